# libkeelconfig.a (domain XML to a checked struct keel_domconfig, and back) and keel-validate.
# Included by the top-level Makefile, which provides $(BUILD), $(HOSTCC) and $(Q).
DOMCFG_DIR    := toolstack/config
DOMCFG_OBJDIR := $(BUILD)/toolstack/config
DOMCFG_C      := $(filter-out $(DOMCFG_DIR)/keel-validate.c,$(sort $(wildcard $(DOMCFG_DIR)/*.c)))
DOMCFG_DEPS   := $(DOMCFG_C) $(DOMCFG_DIR)/schema.S $(DOMCFG_DIR)/domain.rng \
                 $(wildcard $(DOMCFG_DIR)/*.h)
XML_CFLAGS    := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
XML_LIBS      := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)
DOMCFG_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -fPIC \
                 $(XML_CFLAGS) -MMD -MP
DOMCFG_OBJS   := $(patsubst $(DOMCFG_DIR)/%.c,$(DOMCFG_OBJDIR)/%.o,$(DOMCFG_C)) \
                 $(DOMCFG_OBJDIR)/schema.o
DOMCFG_LIB    := $(DOMCFG_OBJDIR)/libkeelconfig.a
KEEL_VALIDATE := $(BUILD)/toolstack/keel-validate

$(DOMCFG_OBJDIR)/%.o: $(DOMCFG_DIR)/%.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(DOMCFG_CFLAGS) -c $< -o $@

$(DOMCFG_OBJDIR)/schema.o: $(DOMCFG_DIR)/schema.S $(DOMCFG_DIR)/domain.rng
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -c $< -o $@

$(DOMCFG_LIB): $(DOMCFG_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(KEEL_VALIDATE): $(DOMCFG_DIR)/keel-validate.c $(DOMCFG_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(DOMCFG_CFLAGS) $< $(DOMCFG_LIB) $(XML_LIBS) -o $@

# The unit test compiles the library's sources with the sanitizers (the generic rule in the
# Makefile builds one .c alone).
$(BUILD)/unit/test_domconfig: tests/unit/test_domconfig.c $(DOMCFG_DEPS)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(XML_CFLAGS) $< $(DOMCFG_C) $(DOMCFG_DIR)/schema.S -o $@ \
	    -lcmocka $(XML_LIBS)
