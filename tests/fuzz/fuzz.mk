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
