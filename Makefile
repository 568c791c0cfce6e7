# Keel: top-level build. `make` builds the hypervisor, the ISO images and the host test programs.
# `make run` / `make test` / `make bench` install missing Debian packages first (`make deps`).

BUILD      ?= build
CC         := gcc
LD         := ld
HOSTCC     ?= gcc
PYTHON     := /usr/bin/python3
Q          := $(if $(V),,@)

HV_DIRS    := hv vmx svm npt firmware
HV_C       := $(sort $(shell find $(HV_DIRS) -name '*.c' 2>/dev/null))
HV_S       := $(sort $(shell find $(HV_DIRS) -name '*.S' 2>/dev/null))
HV_OBJS    := $(patsubst %,$(BUILD)/obj/%.o,$(HV_C) $(HV_S))

HV_CFLAGS  := -std=c11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
              -Wmissing-prototypes -Wno-unused-parameter \
              -ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
              -mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx -mno-80387 \
              -fno-pic -fno-pie -mcmodel=kernel -fno-stack-protector -fno-strict-aliasing \
              -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fcf-protection=none \
              -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections \
              -Ihv/include -Ifirmware/include -MMD -MP
KEEL_COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
HV_CFLAGS  += -DKEEL_COMMIT='"$(KEEL_COMMIT)"'
HV_ASFLAGS := -D__ASSEMBLY__ -Ihv/include -Ifirmware/include -MMD -MP -fno-pic
HV_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
              -T hv/arch/keel.ld

HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
               -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
               -Ihv/include -Ifirmware/include -Itests/unit -DKEEL_UNIT_TEST -MMD -MP
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
FW_TOOLS   := $(BUILD)/fw/fw_acpi_dump $(BUILD)/fw/fw_bzimage_info

# The command lines the ISO images boot with. keel.iso is the interactive one (`make run`).
ISO_RUN_CMDLINE   := console=com1,115200 loglvl=info
ISO_QEMU_CMDLINE  := console=com1,115200 loglvl=debug test_exit=qemu
ISO_BOCHS_CMDLINE := console=com1,115200 loglvl=debug test_exit=bochs
ISO_CRASH_CMDLINE := console=com1,115200 loglvl=info test_exit=qemu crash=pf
ISO_CRASH_UD_CMDLINE := console=com1,115200 loglvl=info test_exit=qemu crash=ud
ISOS := $(BUILD)/keel.iso $(BUILD)/iso/test-qemu.iso $(BUILD)/iso/test-bochs.iso \
        $(BUILD)/iso/test-crash.iso $(BUILD)/iso/test-crash-ud.iso

# Test guests (tests/guests/) and the images that run them on each test host.
include tests/guests/guests.mk
GUEST_ISO_QEMU_CMDLINE  := console=com1,115200 loglvl=info test_exit=qemu max_asids=2
GUEST_ISO_BOCHS_CMDLINE := console=com1,115200 loglvl=info test_exit=bochs vmx_check
GUEST_ISO_BREAK_CMDLINE := console=com1,115200 loglvl=info test_exit=bochs break_vmcs=tr
ISOS += $(BUILD)/iso/guests-qemu.iso $(BUILD)/iso/guests-bochs.iso $(BUILD)/iso/break-vmcs-bochs.iso \
        $(BUILD)/iso/bench-qemu.iso $(BUILD)/iso/bench-bochs.iso $(BUILD)/iso/break-vmcs-check-bochs.iso \
        $(BUILD)/iso/console-input-qemu.iso

# libFuzzer targets over every decoder a guest can feed (tests/fuzz/).
include tests/fuzz/fuzz.mk
FUZZ_TIME ?= 600

# Domain definitions (toolstack/config/): libkeelconfig.a and keel-validate.
include toolstack/config/config.mk

# The Linux test guest (tests/linux/): built by `make linux-kit` and before the tests.
include tests/linux/linux.mk
include toolstack/builder/builder.mk
include toolstack/toolstack.mk
include toolstack/dom0/dom0.mk

.PHONY: all deps run debug test test-quick unit bench fuzz clean linux-kit dom0-kit
# `make` alone builds everything: fuzz.mk, included above, defines the first target.
.DEFAULT_GOAL := all
all: $(BUILD)/keel.elf $(ISOS) $(UNIT_BINS) $(FW_TOOLS) $(FUZZ_BINS) $(TS_BUILD)/libkeelfw.a $(TS_BUILD)/libkeelbuild.a
all: $(DOMCFG_LIB) $(KEEL_VALIDATE) $(TS_BUILD)/keel

deps:
	$(Q)scripts/deps.sh

linux-kit: $(LINUX_KIT) $(LINUX_ISOS)

# --- the hypervisor -----------------------------------------------------------------------------
$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_ASFLAGS) -c $< -o $@

# Two-pass link: the symbol table used by crash-dump backtraces sits after .bss, so filling it
# in the second pass moves no code. The check below proves the text addresses did not change.
$(BUILD)/keel.elf: $(HV_OBJS) hv/arch/keel.ld scripts/gensyms.sh
	$(Q)scripts/gensyms.sh /dev/null > $(BUILD)/ksyms0.S
	$(Q)$(CC) $(HV_ASFLAGS) -c $(BUILD)/ksyms0.S -o $(BUILD)/ksyms0.o
	$(Q)$(LD) $(HV_LDFLAGS) -o $@.pass1 $(HV_OBJS) $(BUILD)/ksyms0.o
	$(Q)nm -n $@.pass1 > $(BUILD)/keel.nm1
	$(Q)scripts/gensyms.sh $(BUILD)/keel.nm1 > $(BUILD)/ksyms.S
	$(Q)$(CC) $(HV_ASFLAGS) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	$(Q)$(LD) $(HV_LDFLAGS) -o $@.tmp $(HV_OBJS) $(BUILD)/ksyms.o
	$(Q)nm -n $@.tmp | grep -i ' t ' > $(BUILD)/keel.nm2t; grep -i ' t ' $(BUILD)/keel.nm1 | cmp -s - $(BUILD)/keel.nm2t \
	   || { echo "keel.elf: code moved between link passes"; exit 1; }
	$(Q)mv $@.tmp $@
	@echo "  LD      $@"

$(BUILD)/keel.iso: $(BUILD)/keel.elf scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(ISO_RUN_CMDLINE)"
$(BUILD)/iso/test-qemu.iso: $(BUILD)/keel.elf scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(ISO_QEMU_CMDLINE)"
$(BUILD)/iso/test-bochs.iso: $(BUILD)/keel.elf scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(ISO_BOCHS_CMDLINE)"
$(BUILD)/iso/test-crash.iso: $(BUILD)/keel.elf scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(ISO_CRASH_CMDLINE)"
$(BUILD)/iso/test-crash-ud.iso: $(BUILD)/keel.elf scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(ISO_CRASH_UD_CMDLINE)"

$(BUILD)/iso/guests-qemu.iso: $(BUILD)/keel.elf $(GUEST_BINS) $(GUEST_MANIFEST) scripts/mkiso-guests.sh
	$(Q)scripts/mkiso-guests.sh $@ $< "$(GUEST_ISO_QEMU_CMDLINE)" $(GUEST_MANIFEST) $(BUILD)/guests
$(BUILD)/iso/guests-bochs.iso: $(BUILD)/keel.elf $(GUEST_BINS) $(GUEST_MANIFEST) scripts/mkiso-guests.sh
	$(Q)scripts/mkiso-guests.sh $@ $< "$(GUEST_ISO_BOCHS_CMDLINE)" $(GUEST_MANIFEST) $(BUILD)/guests
$(BUILD)/iso/break-vmcs-bochs.iso: $(BUILD)/keel.elf $(BUILD)/guests/cpuid.bin scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(GUEST_ISO_BREAK_CMDLINE)" $(BUILD)/guests/cpuid.bin "guest cpuid mem=16M vcpus=1"

$(BUILD)/iso/break-vmcs-check-bochs.iso: $(BUILD)/keel.elf $(BUILD)/guests/cpuid.bin scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(GUEST_ISO_BREAK_CMDLINE) vmx_check" $(BUILD)/guests/cpuid.bin "guest cpuid mem=16M vcpus=1"

# The uart guest without and then with the console focus, for tests/system/test_console_input.py.
$(BUILD)/iso/console-input-qemu.iso: $(BUILD)/keel.elf $(BUILD)/guests/uart.bin scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "console=com1,115200 loglvl=info test_exit=qemu" \
	    $(BUILD)/guests/uart.bin "guest uart mem=16M vcpus=1" \
	    $(BUILD)/guests/uart.bin "guest uart-input mem=16M vcpus=1 timeout=300 arg=input console=input"
$(BUILD)/iso/bench-%.iso: $(BUILD)/keel.elf $(BUILD)/guests/bench.bin scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "console=com1,115200 loglvl=info test_exit=$* bench" \
	    $(BUILD)/guests/bench.bin "guest bench mem=16M vcpus=1"

# --- host unit tests: each tests/unit/test_X.c is one program that includes the sources it tests.
$(BUILD)/unit/%: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< -o $@ -lcmocka

# The guest ACPI tables written to files, for the iasl test (tests/system/test_fw_acpi.py).
$(BUILD)/fw/fw_acpi_dump: tests/unit/fw_acpi_dump.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< -o $@

# firmware/linux.c run over the kit's kernel, for tests/system/test_fw_linux.py.
$(BUILD)/fw/fw_bzimage_info: tests/unit/fw_bzimage_info.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $< -o $@

# --- running ---------------------------------------------------------------------------------
run: deps all linux-kit dom0-kit
	$(Q)scripts/run-qemu.sh --dom0 $(BUILD)/run/keel.log $(BUILD)/iso/dom0-run.iso

debug: deps all
	$(Q)scripts/run-qemu.sh --debug $(BUILD)/keel.iso

test: deps all linux-kit dom0-kit
	$(Q)$(PYTHON) tests/run.py --build $(BUILD)

test-quick: deps all linux-kit dom0-kit
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --quick

unit: $(UNIT_BINS)
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --only unit

fuzz: deps all
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --only fuzz --fuzz-seconds $(FUZZ_TIME)

bench: deps all linux-kit dom0-kit
	$(Q)$(PYTHON) bench/run.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
