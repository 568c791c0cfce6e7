/*
 * A multiboot (v1) test kernel: an ELF32 image the hypervisor boots directly, as QEMU's -kernel
 * would. It arrives in flat 32-bit protected mode, paging off, EAX = the boot magic and EBX = the
 * boot information, and hands both to mb_main().
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003                 /* page-aligned modules, memory information */

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    mov %esp, entry_esp
    mov $stack_top, %esp
    pushfl
    pop entry_eflags
    mov %cr0, %ecx
    mov %ecx, entry_cr0
    push %ebx
    push %eax
    call mb_main
1:  cli
    hlt
    jmp 1b

    .bss
    .balign 16
    .skip 16384
stack_top:
