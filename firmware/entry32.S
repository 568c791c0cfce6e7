/*
 * The first code a directly booted guest kernel's vCPU runs: from real mode (where every vCPU
 * starts) to flat 32-bit protected mode with paging off, then a jump to the kernel's 32-bit
 * entry with the registers its boot protocol wants. The hypervisor copies this blob to guest-
 * physical FW_ENTRY32_GPA, fills in the parameter block at its end, and starts the vCPU at
 * CS:IP = (FW_ENTRY32_GPA >> 4):0.
 *
 * Selectors 0x10 (code) and 0x18 (data) are flat 4 GiB, as the Linux 32-bit boot protocol
 * requires; multiboot kernels accept any flat selectors.
 */
#include <keel/fw_entry32.h>

#define ABS(x) ((x) - fw_entry32_start + FW_ENTRY32_GPA)

    .section .rodata.fw_entry32, "a"
    .globl fw_entry32_start, fw_entry32_end, fw_entry32_params
    .code16
fw_entry32_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl ABS(gdt_ptr)
    mov %cr0, %eax
    and $0x7ffffff0, %eax                   /* paging, and the FPU emulation bits, off */
    or $0x11, %eax                          /* PE, ET */
    mov %eax, %cr0
    ljmpl $0x10, $ABS(pm32)

    .code32
pm32:
    mov $0x18, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    mov %eax, %ss
    mov ABS(fw_entry32_params + FW_ENTRY32_ESP), %esp
    mov ABS(fw_entry32_params + FW_ENTRY32_EAX), %eax
    mov ABS(fw_entry32_params + FW_ENTRY32_EBX), %ebx
    mov ABS(fw_entry32_params + FW_ENTRY32_ESI), %esi
    xor %ecx, %ecx
    xor %edx, %edx
    xor %edi, %edi
    xor %ebp, %ebp
    jmp *ABS(fw_entry32_params + FW_ENTRY32_EIP)

    .balign 8
gdt:
    .quad 0
    .quad 0
    .quad 0x00cf9a000000ffff                /* 0x10: flat 32-bit code */
    .quad 0x00cf93000000ffff                /* 0x18: flat data */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .long ABS(gdt)

    .balign 4
fw_entry32_params:                          /* struct fw_entry32_params */
    .skip FW_ENTRY32_PARAMS_SIZE
fw_entry32_end:
