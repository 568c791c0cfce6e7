/*
 * Multiboot2 entry. GRUB enters here in 32-bit protected mode with paging off, EAX = the multiboot2
 * magic and EBX = the physical address of the information structure. We build page tables that
 * map the first 4 GiB both at 0 and (the first 1 GiB) at KERNEL_VBASE, enter long mode, and call
 * kmain(magic, info_pa) on the boot stack at the high address. Until then we run at the physical
 * load address, so every symbol reference subtracts KERNEL_VBASE.
 */
#include <keel/layout.h>

#define PA(x) ((x) - KERNEL_VBASE)
#define MB2_MAGIC 0xe85250d6
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long 0                                  /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + (mb2_header_end - mb2_header))
    /* information request: memory map, ACPI RSDPs, EFI system table, load base */
    .balign 8
    .word 1, 0
    .long 4 * 7 + 8
    .long 6, 14, 15, 12, 21, 1, 3
    .balign 8
    .word 0, 0                               /* end tag */
    .long 8
mb2_header_end:

    .section .text.boot, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    mov %eax, %esi
    mov %ebx, %edi
    mov $PA(boot_stack_top), %esp

    /* Zero .bss (it holds the page tables and the boot stack); GRUB may not. */
    mov $PA(__bss_start), %ecx
    mov $PA(__bss_end), %eax
    sub %ecx, %eax
    mov %ecx, %edx
    mov %eax, %ecx
    shr $2, %ecx
    mov %edi, %ebp                           /* the stack is in .bss: keep the info pointer in EBP */
    mov %edx, %edi
    xor %eax, %eax
    rep stosl
    mov %ebp, %edi

    /* Long mode is the one thing we cannot live without: say so on COM1 if it is missing. */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jnc no_long_mode

    /* PD entries: 2048 x 2 MiB = the first 4 GiB. */
    mov $PA(boot_pd), %ebx
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P | PTE_W | PTE_PS), %eax
    mov %eax, (%ebx, %ecx, 8)
    mov %ecx, %eax
    shr $11, %eax                            /* bits 32+ of the address: ecx >> 11 */
    mov %eax, 4(%ebx, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jne 1b

    /* Low PDPT: four PDs. High PDPT entry 510 (KERNEL_VBASE) -> the first PD (0..1 GiB). */
    mov $PA(boot_pdpt_low), %ebx
    mov $PA(boot_pd) + (PTE_P | PTE_W), %eax
    mov %eax, 0(%ebx)
    add $0x1000, %eax
    mov %eax, 8(%ebx)
    add $0x1000, %eax
    mov %eax, 16(%ebx)
    add $0x1000, %eax
    mov %eax, 24(%ebx)
    movl $PA(boot_pd) + (PTE_P | PTE_W), PA(boot_pdpt_high) + 510 * 8
    movl $PA(boot_pdpt_low) + (PTE_P | PTE_W), PA(boot_pml4)
    movl $PA(boot_pdpt_high) + (PTE_P | PTE_W), PA(boot_pml4) + 511 * 8

    mov %cr4, %eax
    or $(1 << 5), %eax                       /* PAE */
    mov %eax, %cr4
    mov $PA(boot_pml4), %eax
    mov %eax, %cr3
    mov $0x80000001, %eax                    /* EFER.NXE too, if the CPU has NX */
    cpuid
    xor %ebx, %ebx
    bt $20, %edx
    jnc 5f
    mov $(1 << 11), %ebx
5:  mov $0xc0000080, %ecx                    /* EFER.LME */
    rdmsr
    or $(1 << 8), %eax
    or %ebx, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax                     /* PG | WP | PE */
    mov %eax, %cr0

    lgdt PA(boot_gdt_ptr)
    ljmp $GDT_CS64, $PA(start64_low)

no_long_mode:
    mov $PA(msg_no_lm), %ebx
2:  movb (%ebx), %al
    test %al, %al
    jz 3f
    mov $0x3f8, %dx
    outb %al, %dx
    inc %ebx
    jmp 2b
3:  hlt
    jmp 3b

    .code64
start64_low:
    movabs $start64, %rax
    jmp *%rax

    .text
start64:
    mov $GDT_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp                           /* ends frame-pointer backtraces */
    mov %esi, %eax                           /* kmain(magic, info_pa) */
    mov %edi, %esi
    mov %eax, %edi
    call kmain
4:  cli
    hlt
    jmp 4b

    .section .rodata
msg_no_lm:
    .asciz "Keel: this CPU has no long mode (x86-64); cannot boot.\r\n"

    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                 /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff                 /* 0x10: data */
boot_gdt_end:
    .globl boot_gdt_ptr
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .quad PA(boot_gdt)

    .bss
    .balign 4096
    .globl boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
    .balign 16
boot_stack:     .skip BOOT_STACK_SIZE
    .globl boot_stack_top
boot_stack_top:
