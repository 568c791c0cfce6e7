# The Linux test guest: Debian's kernel and a busybox initramfs in $(BUILD)/linux, made by
# scripts/linux-guest.sh from the packages apt resolves (see tests/linux/README.md). `make linux-kit`
# builds it, and so do the goals that run the tests that boot it; plain `make` needs no network.
LINUX_DIR := $(BUILD)/linux
LINUX_KIT := $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initramfs.cpio.gz $(LINUX_DIR)/VERSION

$(LINUX_KIT) &: scripts/linux-guest.sh scripts/mkcpio.py tests/linux/init
	$(Q)PYTHON=$(PYTHON) scripts/linux-guest.sh $(LINUX_DIR)

# With a goal that installs packages first, the download waits for the apt lists `make deps` fetches.
ifneq ($(filter deps test test-quick,$(MAKECMDGOALS)),)
$(LINUX_KIT): | deps
endif
