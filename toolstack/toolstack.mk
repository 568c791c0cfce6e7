# The toolstack's programs: keel (the CLI) and keeld (the daemon), one binary that is keeld when
# called by that name. $(TS_BUILD)/keel is for this machine; keel-static (no shared libraries:
# dom0 has none) goes into dom0's image. Needs builder.mk and config.mk, included before.
KEEL_SRCS   := $(wildcard toolstack/cli/*.c toolstack/daemon/*.c toolstack/lib/*.c)
KEEL_DEPS   := $(KEEL_SRCS) $(wildcard toolstack/cli/*.h toolstack/cli/*.inc toolstack/daemon/*.h \
                                       toolstack/lib/*.h hv/include/public/keel/*.h)
KEEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Ihv/include \
               $(XML_CFLAGS) -DKEEL_WITH_KEELD
KEEL_LIBS   := $(TS_BUILD)/libkeelbuild.a $(TS_BUILD)/libkeelfw.a $(DOMCFG_LIB)
XML_STATIC  := $(shell pkg-config --static --libs libxml-2.0 2>/dev/null) -lstdc++ -lpthread

$(TS_BUILD)/keel: $(KEEL_DEPS) $(KEEL_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(KEEL_CFLAGS) $(KEEL_SRCS) $(KEEL_LIBS) $(XML_LIBS) -o $@
	$(Q)ln -sf keel $(TS_BUILD)/keeld

# glibc warns that getpwnam and dlopen in a static program still want shared libraries at run
# time: libxml2 and ICU never call them on the paths keel uses.
$(TS_BUILD)/keel-static: $(KEEL_DEPS) $(KEEL_LIBS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)$(HOSTCC) $(KEEL_CFLAGS) -static -s $(KEEL_SRCS) $(KEEL_LIBS) $(XML_STATIC) -o $@ 2>&1 | \
	    { grep -v -e 'statically linked applications requires at runtime' -e 'in function' || true; }
	$(Q)test -x $@
