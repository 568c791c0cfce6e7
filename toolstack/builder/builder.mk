# Userspace libraries for dom0's toolstack: libkeelfw.a is firmware/'s direct-boot code (the same
# sources the hypervisor links) built for Linux, libkeelbuild.a the domain builder on top of it.
TS_BUILD     := $(BUILD)/toolstack
TS_CFLAGS    := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -fPIC \
                -Ihv/include -Ifirmware/include -MMD -MP
KEELFW_SRCS  := firmware/kboot.c firmware/linux.c firmware/e820.c firmware/acpi.c firmware/aml.c
KEELFW_OBJS  := $(patsubst %.c,$(TS_BUILD)/obj/%.o,$(KEELFW_SRCS)) $(TS_BUILD)/obj/firmware/entry32.o
KEELBUILD_OBJS := $(TS_BUILD)/obj/toolstack/builder/builder.o

$(TS_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(TS_CFLAGS) -c $< -o $@

$(TS_BUILD)/obj/firmware/entry32.o: firmware/entry32.S
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -D__ASSEMBLY__ -Ifirmware/include -Ihv/include -Wa,--noexecstack -c $< -o $@

$(TS_BUILD)/libkeelfw.a: $(KEELFW_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
$(TS_BUILD)/libkeelbuild.a: $(KEELBUILD_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

-include $(KEELFW_OBJS:.o=.d) $(KEELBUILD_OBJS:.o=.d)
