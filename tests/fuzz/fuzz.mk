# Fuzz targets (libFuzzer, clang). Included by the top-level Makefile, which provides $(BUILD)
# and $(Q). Run one with e.g. `$(BUILD)/fuzz/fuzz_emulate -max_total_time=30`.
FUZZ_CC     := clang
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -Ihv/include -Itests/unit -DKEEL_UNIT_TEST
FUZZ_BINS   := $(BUILD)/fuzz/fuzz_emulate

EMULATE_SRCS := hv/x86/decode.c $(wildcard hv/x86/emulate*.c) hv/x86/emulate_priv.h \
                hv/include/keel/x86_emulate.h hv/include/keel/x86_decode.h

$(BUILD)/fuzz/fuzz_emulate: tests/fuzz/fuzz_emulate.c tests/fuzz/fuzz_shim.h $(EMULATE_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< -o $@
