# dom0's image (scripts/dom0-image.sh) and the boot images with it: `make dom0-kit`, and the goals
# that run dom0 (test, run, bench) build it. It needs the Linux kit (the same kernel).
DOM0_DIR  := $(BUILD)/dom0
DOM0_KIT  := $(DOM0_DIR)/initrd.gz $(DOM0_DIR)/keel.ko $(DOM0_DIR)/disk.img
DOM0_SRCS := scripts/dom0-image.sh scripts/debs.sh scripts/mkcpio.py toolstack/dom0/init \
             toolstack/dom0/udhcpc.script devmodel/linux/keel.c devmodel/linux/Kbuild \
             $(wildcard toolstack/lib/*.[ch] toolstack/cli/*.[ch] toolstack/builder/*.[ch] tests/dom0/*.c \
                        hv/include/public/keel/*.h firmware/*.[cS] firmware/include/keel/*.h)
DOM0_ISOS := $(BUILD)/iso/dom0-qemu.iso $(BUILD)/iso/dom0-run.iso
DOM0_CMDLINE := console=com1,115200 loglvl=info dom0_mem=1G dom0_vcpus=1

$(DOM0_KIT) &: $(DOM0_SRCS) $(LINUX_KIT) $(TS_BUILD)/keel-static examples/demo.xml
	+$(Q)PYTHON=$(PYTHON) KEEL_BIN=$(TS_BUILD)/keel-static scripts/dom0-image.sh $(DOM0_DIR) $(LINUX_DIR)

# For tests/system/test_dom0.py: the machine ends when dom0 does; /dev/mem may try the
# hypervisor's memory (iomem=relaxed); the evtchn-peer guest runs beside dom0.
$(BUILD)/iso/dom0-qemu.iso: $(BUILD)/keel.elf $(DOM0_KIT) $(BUILD)/guests/evtchn-peer.bin scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(DOM0_CMDLINE) test_exit=qemu" \
	    $(LINUX_DIR)/vmlinuz "dom0-kernel console=ttyS1,115200 nokaslr iomem=relaxed" \
	    $(DOM0_DIR)/initrd.gz "dom0-initrd" \
	    $(BUILD)/guests/evtchn-peer.bin "guest evtchn-peer mem=16M vcpus=1 timeout=1800"
$(BUILD)/iso/dom0-run.iso: $(BUILD)/keel.elf $(DOM0_KIT) scripts/mkiso.sh
	$(Q)scripts/mkiso.sh $@ $< "$(DOM0_CMDLINE)" \
	    $(LINUX_DIR)/vmlinuz "dom0-kernel console=ttyS1,115200 nokaslr keel.demo" \
	    $(DOM0_DIR)/initrd.gz "dom0-initrd"

dom0-kit: $(DOM0_KIT) $(DOM0_ISOS)

ifneq ($(filter deps test test-quick run bench,$(MAKECMDGOALS)),)
$(DOM0_KIT): | deps
endif
