/*
 * Start-up code for the other CPUs. smp.c copies this block to a page below 1 MiB and fills in
 * its parameter block; a CPU woken by INIT-SIPI-SIPI starts at its first byte in real mode with
 * CS = page >> 4, goes to protected mode, then long mode on a page table that also identity-maps
 * low memory, and jumps to the C entry on its own stack.
 */
#include <keel/layout.h>

#define OFF(x) ((x) - trampoline_start)

    .section .rodata
    .balign 16
    .globl trampoline_start, trampoline_end
    .globl tramp_params, tramp_gdt_ptr, tramp_pm_jump, tramp_lm_jump
    .code16
trampoline_start:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    mov OFF(tramp_base), %ebx           /* our physical address, for flat addressing below */
    lgdtl OFF(tramp_gdt_ptr)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl *OFF(tramp_pm_jump)

    .code32
tramp_pm:
    mov $GDT_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $(1 << 5), %eax                  /* PAE */
    mov %eax, %cr4
    mov OFF(tramp_cr3)(%ebx), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx               /* EFER as on the boot CPU (LME, NXE) */
    mov OFF(tramp_efer)(%ebx), %eax
    xor %edx, %edx
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax                /* PG | WP */
    mov %eax, %cr0
    ljmpl *OFF(tramp_lm_jump)(%ebx)

    .code64
tramp_lm:
    mov %ebx, %ebx                      /* upper halves are undefined after the mode switch */
    mov OFF(tramp_stack)(%rbx), %rsp
    mov OFF(tramp_percpu)(%rbx), %rdi
    mov OFF(tramp_entry)(%rbx), %rax
    xor %ebp, %ebp
    push $0
    jmp *%rax

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00af9a000000ffff            /* GDT_CS64 */
    .quad 0x00cf92000000ffff            /* GDT_DS */
    .quad 0x00cf9a000000ffff            /* GDT_CS32 */
tramp_gdt_end:
    .balign 8
/* Patched by smp.c: every address here is physical. */
tramp_gdt_ptr:
    .word tramp_gdt_end - tramp_gdt - 1
    .long OFF(tramp_gdt)                /* + base */
tramp_pm_jump:
    .long OFF(tramp_pm)                 /* + base */
    .word GDT_CS32
tramp_lm_jump:
    .long OFF(tramp_lm)                 /* + base */
    .word GDT_CS64
    .balign 8
tramp_params:
tramp_base:   .quad 0
tramp_cr3:    .quad 0
tramp_efer:   .quad 0
tramp_stack:  .quad 0
tramp_percpu: .quad 0
tramp_entry:  .quad 0
trampoline_end:
