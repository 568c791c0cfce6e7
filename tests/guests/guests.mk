# Test guests: tiny kernels the hypervisor boots as test domains (tests/guests/manifest.txt).
# Included by the top-level Makefile, which provides BUILD and Q; also usable on its own:
#   make -f tests/guests/guests.mk BUILD=build [build/guests/cpuid.bin]
# Every guest is tests/guests/<name>/*.{c,S} linked with tests/guests/lib/*.{c,S} into a flat
# binary $(BUILD)/guests/<name>.bin, loaded at guest-physical 0x10000.

GUEST_STANDALONE := $(if $(filter 1,$(words $(MAKEFILE_LIST))),y)
GUEST_SAVED_GOAL := $(.DEFAULT_GOAL)

BUILD ?= build
Q ?= @

GUEST_DIR      := tests/guests
GUEST_NAMES    := cpuid msr io exceptions paging realmode npt isolation irq nmi apic pit rtc pmtimer timers fwcfg hpet emulator smp sched affinity uart ioapic pic platform-nonsense bench evtchn-peer evtchn
GUEST_BINS     := $(patsubst %,$(BUILD)/guests/%.bin,$(GUEST_NAMES)) $(BUILD)/guests/mbkernel.elf
GUEST_MANIFEST := $(GUEST_DIR)/manifest.txt

GUEST_CC       := gcc
GUEST_LD       := ld
GUEST_OBJCOPY  := objcopy
GUEST_CFLAGS   := -m64 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
                  -fno-stack-protector -nostdlib -O2 -Wall -Wextra -Werror -std=gnu11 \
                  -fno-asynchronous-unwind-tables -fcf-protection=none \
                  -I hv/include/public -I $(GUEST_DIR)/lib -MMD -MP
GUEST_ASFLAGS  := -m64 -fno-pic -D__ASSEMBLY__ -I $(GUEST_DIR)/lib -MMD -MP
GUEST_LDFLAGS  := -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
                  --no-warn-rwx-segments -T $(GUEST_DIR)/lib/guest.ld

# $(call GUEST_OBJS_OF,dir): the objects built from the sources in tests/guests/<dir>/.
GUEST_OBJS_OF   = $(patsubst $(GUEST_DIR)/%,$(BUILD)/guests/obj/%.o, \
                    $(sort $(wildcard $(GUEST_DIR)/$(1)/*.c $(GUEST_DIR)/$(1)/*.S)))
GUEST_LIB_OBJS := $(call GUEST_OBJS_OF,lib)
GUEST_ALL_OBJS := $(GUEST_LIB_OBJS) $(foreach g,$(GUEST_NAMES),$(call GUEST_OBJS_OF,$(g)))

.PHONY: guests
guests: $(GUEST_BINS)

$(BUILD)/guests/obj/%.c.o: $(GUEST_DIR)/%.c
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guests/obj/%.S.o: $(GUEST_DIR)/%.S
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

# The multiboot test kernel is an ELF32 file, booted as a kernel rather than loaded as an image.
MBK_CFLAGS := -m32 -ffreestanding -fno-pic -fno-pie -mgeneral-regs-only -fno-stack-protector \
              -nostdlib -O2 -Wall -Wextra -Werror -std=gnu11 -fno-asynchronous-unwind-tables \
              -fcf-protection=none -I hv/include/public -MMD -MP
MBK_OBJS   := $(BUILD)/guests/obj/mbkernel/entry.S.o32 $(BUILD)/guests/obj/mbkernel/main.c.o32

$(BUILD)/guests/obj/mbkernel/%.o32: $(GUEST_DIR)/mbkernel/%
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(MBK_CFLAGS) -c $< -o $@

$(BUILD)/guests/mbkernel.elf: $(MBK_OBJS) $(GUEST_DIR)/mbkernel/mbkernel.ld
	$(Q)$(GUEST_LD) -m elf_i386 -nostdlib -static -z noexecstack --no-warn-rwx-segments \
	    -T $(GUEST_DIR)/mbkernel/mbkernel.ld -o $@ $(MBK_OBJS)

define GUEST_LINK_RULE
$(BUILD)/guests/$(1).elf: $(call GUEST_OBJS_OF,$(1)) $(GUEST_LIB_OBJS) $(GUEST_DIR)/lib/guest.ld
	$$(Q)$(GUEST_LD) $(GUEST_LDFLAGS) -o $$@ $(call GUEST_OBJS_OF,$(1)) $(GUEST_LIB_OBJS)
endef
$(foreach g,$(GUEST_NAMES),$(eval $(call GUEST_LINK_RULE,$(g))))

$(BUILD)/guests/%.bin: $(BUILD)/guests/%.elf
	$(Q)$(GUEST_OBJCOPY) -O binary $< $@
	@echo "  GUEST   $@"

-include $(GUEST_ALL_OBJS:.o=.d)

# Standalone, `make -f` builds all guests; included, the including Makefile keeps its default.
.DEFAULT_GOAL := $(if $(GUEST_STANDALONE),guests,$(GUEST_SAVED_GOAL))
-include $(MBK_OBJS:.o32=.d)
