# Fuzz targets (libFuzzer, clang). Included by the top-level Makefile, which provides $(BUILD)
# and $(Q). Run one with e.g. `$(BUILD)/fuzz/fuzz_emulate -max_total_time=30`.
FUZZ_CC     := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -Ihv/include -Itests/unit -DKEEL_UNIT_TEST
FUZZ_BINS   := $(BUILD)/fuzz/fuzz_emulate $(BUILD)/fuzz/fuzz_vdev

EMULATE_SRCS := hv/x86/decode.c $(wildcard hv/x86/emulate*.c) hv/x86/emulate_priv.h \
                hv/include/keel/x86_emulate.h hv/include/keel/x86_decode.h

$(BUILD)/fuzz/fuzz_emulate: tests/fuzz/fuzz_emulate.c tests/fuzz/fuzz_shim.h $(EMULATE_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< -o $@

VDEV_SRCS := $(wildcard hv/vdev/*.c) hv/include/keel/vdev.h $(wildcard hv/include/keel/vdev_*.h) \
             hv/include/keel/vlapic.h hv/include/keel/vioapic.h

$(BUILD)/fuzz/fuzz_vdev: tests/fuzz/fuzz_vdev.c tests/fuzz/fuzz_shim.h $(VDEV_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< -o $@

# The domain-definition loader, with the unit tests' good and bad files as its seeds (their files' paths made real) (run.py
# passes $(BUILD)/fuzz/fuzz_X.seeds when it exists).
FUZZ_BINS += $(BUILD)/fuzz/fuzz_domconfig $(BUILD)/fuzz/fuzz_domconfig.seeds/.stamp
DOMCFG_FUZZ_SRCS := $(filter-out toolstack/config/keel-validate.c,$(wildcard toolstack/config/*.c))

$(BUILD)/fuzz/fuzz_domconfig: tests/fuzz/fuzz_domconfig.c $(DOMCFG_FUZZ_SRCS) toolstack/config/schema.S \
                              toolstack/config/domain.rng $(wildcard toolstack/config/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(shell pkg-config --cflags libxml-2.0) $< $(DOMCFG_FUZZ_SRCS) \
	    toolstack/config/schema.S -o $@ $(shell pkg-config --libs libxml-2.0)

$(BUILD)/fuzz/fuzz_domconfig.seeds/.stamp: $(wildcard tests/unit/data/domxml/*/*.xml) examples/demo.xml
	@mkdir -p $(dir $@)
	$(Q)for f in $^; do sed "s|@DATA@|$(CURDIR)/tests/unit/data/domxml/files|g" $$f \
	        > $(dir $@)/$$(basename $$(dirname $$f))-$$(basename $$f); done && touch $@
