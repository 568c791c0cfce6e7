/*
 * The real-mode to 32-bit protected-mode entry blob for directly booted kernels
 * (firmware/entry32.S): where it goes in the guest and the parameter block at its end.
 */
#ifndef KEEL_FW_ENTRY32_H
#define KEEL_FW_ENTRY32_H

#define FW_ENTRY32_GPA 0x7000           /* below the boot_params page; 16-byte aligned */

#define FW_ENTRY32_EIP 0
#define FW_ENTRY32_ESP 4
#define FW_ENTRY32_EAX 8
#define FW_ENTRY32_EBX 12
#define FW_ENTRY32_ESI 16
#define FW_ENTRY32_PARAMS_SIZE 20

#ifndef __ASSEMBLY__
#include <stdint.h>

struct fw_entry32_params {
    uint32_t eip, esp, eax, ebx, esi;
};
_Static_assert(sizeof(struct fw_entry32_params) == FW_ENTRY32_PARAMS_SIZE, "entry32 params");

extern const char fw_entry32_start[], fw_entry32_end[], fw_entry32_params[];
#endif

#endif
