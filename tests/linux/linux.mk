# The Linux test guest: Debian's kernel and a busybox initramfs in $(BUILD)/linux, made by
# scripts/linux-guest.sh from the packages apt resolves (see tests/linux/README.md). `make linux-kit`
# builds it, and so do the goals that run the tests that boot it; plain `make` needs no network.
LINUX_DIR := $(BUILD)/linux
LINUX_KIT := $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initramfs.cpio.gz $(LINUX_DIR)/VERSION

$(LINUX_KIT) &: scripts/linux-guest.sh scripts/mkcpio.py tests/linux/init tests/linux/power-button
	$(Q)PYTHON=$(PYTHON) scripts/linux-guest.sh $(LINUX_DIR)

# With a goal that installs packages first, the download waits for the apt lists `make deps` fetches.
ifneq ($(filter deps test test-quick,$(MAKECMDGOALS)),)
$(LINUX_KIT): | deps
endif

# Boot images with the kit as a domain under Keel: linux-qemu.iso for the system test (the
# hypervisor ends the emulator when the guest powers off), linux-run.iso for `make run`.
LINUX_GUEST  := guest linux kind=linux mem=256M vcpus=2 timeout=3600 console=raw cmdline="console=ttyS0 panic=-1"
LINUX_ISOS   := $(BUILD)/iso/linux-qemu.iso $(BUILD)/iso/linux-run.iso $(BUILD)/iso/dom0-smp-qemu.iso

$(BUILD)/iso/linux-qemu.iso: $(BUILD)/keel.elf $(LINUX_KIT) scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "console=com1,115200 loglvl=info test_exit=qemu" \
	    $(LINUX_DIR)/vmlinuz '$(LINUX_GUEST)' $(LINUX_DIR)/initramfs.cpio.gz "initrd linux"
$(BUILD)/iso/linux-run.iso: $(BUILD)/keel.elf $(LINUX_KIT) scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "console=com1,115200 loglvl=info" \
	    $(LINUX_DIR)/vmlinuz '$(LINUX_GUEST)' $(LINUX_DIR)/initramfs.cpio.gz "initrd linux"

# The same kit as dom0 with two vCPUs (tests/system/test_dom0_smp.py, on a 3-CPU machine).
$(BUILD)/iso/dom0-smp-qemu.iso: $(BUILD)/keel.elf $(LINUX_KIT) scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "console=com1,115200 loglvl=info dom0_mem=512M dom0_vcpus=2" \
	    $(LINUX_DIR)/vmlinuz "dom0-kernel console=ttyS1,115200 nokaslr" \
	    $(LINUX_DIR)/initramfs.cpio.gz "dom0-initrd"
