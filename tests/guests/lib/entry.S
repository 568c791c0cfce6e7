/*
 * Test-guest entry and mode switches.
 *
 * The hypervisor starts us in real mode at CS:IP = 0x1000:0 with EBX = the start info's address
 * and nothing else set up (no BIOS). We go to protected mode, build identity page tables for the
 * first 4 GiB with 2 MiB pages (that also covers KEEL_TEST_RO_GPA and KEEL_TEST_MMIO_GPA), enter
 * long mode and call guest_start() in C.
 *
 * Other vCPUs, started by INIT and a SIPI with vector GUEST_LOAD_ADDR >> 12, arrive here too, in
 * real mode at the same address; their APIC ID (CPUID leaf 1) is not 0. They reuse the boot
 * vCPU's tables, take a stack of their own and call guest_ap_start(apic_id) (lib/smp.c).
 *
 * guest_call_pm32() and guest_rm_thunk32 take a long-mode guest down to 32-bit protected mode
 * (paging off) or real mode for a while and back. 16-bit code and the data it touches live in
 * .text16/.data16, which the linker script keeps in the image's first 64 KiB, so real-mode
 * offsets from segment GUEST_RM_SEG are `symbol - GUEST_LOAD_ADDR`.
 */
#include "layout.h"

#define RM(x) ((x) - GUEST_LOAD_ADDR)
#define PTE_P  0x1
#define PTE_RW 0x2
#define PTE_PS 0x80

/* Flat data selectors everywhere (32-bit code). */
.macro LOAD_FLAT_DATA
    mov $GUEST_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
.endm

/* From 32-bit protected mode to long mode on the boot tables, continuing at target. */
.macro ENTER_LONG_MODE target
    mov $CR4_PAE, %eax
    mov %eax, %cr4
    mov $guest_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0
    ljmp $GUEST_CS64, $\target
.endm

    .section .text.entry, "ax"
    .code16
    .globl _start
_start:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    mov %ebx, %esi                          /* the start info's address, on the boot vCPU */
    mov $1, %eax
    cpuid
    shr $24, %ebx                           /* initial APIC ID */
    lgdtl RM(guest_gdt_ptr)
    mov $(CR0_PE | CR0_ET | CR0_NE), %eax   /* CR0 is undefined at entry: set all of it */
    mov %eax, %cr0
    test %ebx, %ebx
    jnz 1f
    mov %esi, %ebx
    ljmpl $GUEST_CS32, $entry32
1:  ljmpl $GUEST_CS32, $ap_entry32

    .code32
entry32:
    LOAD_FLAT_DATA
    mov $guest_boot_stack_top, %esp

    /* Zero .bss, page tables included, before anything lives there. EBX survives. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; PDs: 2048 identity 2 MiB pages = 4 GiB. */
    movl $(guest_pdpt + PTE_P + PTE_RW), guest_pml4
    mov $guest_pdpt, %edi
    mov $(guest_pd + PTE_P + PTE_RW), %eax
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $0x1000, %eax
    add $8, %edi
    loop 1b
    mov $guest_pd, %edi
    mov $(PTE_P + PTE_RW + PTE_PS), %eax
    mov $2048, %ecx
2:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 2b

    /*
     * Load TR before long mode: the reset value is a 16-bit TSS, which is not valid in long mode
     * (VMX refuses such guest state). Type 9 means a 32-bit TSS here and a 64-bit one later.
     */
    mov $guest_tss, %eax
    mov %ax, guest_gdt + GUEST_TSS + 2
    shr $16, %eax
    mov %al, guest_gdt + GUEST_TSS + 4
    mov %ah, guest_gdt + GUEST_TSS + 7
    mov $GUEST_TSS, %ax
    ltr %ax

    ENTER_LONG_MODE entry64

    .code64
entry64:
    mov $guest_boot_stack_top, %esp
    xor %ebp, %ebp
    mov %ebx, %edi
    call guest_start                        /* does not return */
3:  cli
    hlt
    jmp 3b

/* An AP, in 32-bit protected mode with EBX = its APIC ID. */
    .code32
ap_entry32:
    LOAD_FLAT_DATA
    cmp $GUEST_MAX_CPUS, %ebx
    jae 3f                                  /* no stack for it: it stays here */
    lea 1(%ebx), %esp
    shl $GUEST_AP_STACK_SHIFT, %esp
    add $guest_ap_stacks, %esp
    /* The TSS is shared (nothing here switches stacks through it): clear its busy bit first.
     * APs start one at a time, so no two of them do this at once. */
    andb $~0x02, guest_gdt + GUEST_TSS + 5
    mov $GUEST_TSS, %ax
    ltr %ax
    ENTER_LONG_MODE ap_entry64

    .code64
ap_entry64:
    xor %ebp, %ebp
    mov %ebx, %edi
    call guest_ap_start                     /* does not return */
3:  cli
    hlt
    jmp 3b

/*
 * uint32_t guest_rm_thunk32(uint32_t fn16): called in 32-bit protected mode by guest_call_pm32().
 * Runs the near 16-bit function at offset fn16 of segment GUEST_RM_SEG in real mode, with
 * DS = ES = GUEST_RM_SEG, SS:SP = 0:GUEST_RM_STACK and the real-mode IVT at 0:0, and returns its
 * EAX. fn16 must come back in real mode.
 */
    .code32
    .globl guest_rm_thunk32
guest_rm_thunk32:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %eax
    mov %ax, rm_fn16
    mov %esp, rm_saved_esp
    lidt rm_ivt_ptr
    ljmp $GUEST_CS16, $RM(4f)
    .code16
4:  mov $GUEST_DS16, %ax                    /* real-mode segment limits: 64 KiB */
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov %cr0, %eax
    and $~CR0_PE, %eax
    mov %eax, %cr0
    ljmp $GUEST_RM_SEG, $RM(5f)
5:  mov $GUEST_RM_SEG, %ax
    mov %ax, %ds
    mov %ax, %es
    xor %ax, %ax
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $GUEST_RM_STACK, %esp
    call *RM(rm_fn16)
    cli
    mov $GUEST_RM_SEG, %bx
    mov %bx, %ds
    mov %eax, RM(rm_result)
    mov %cr0, %eax
    or $CR0_PE, %eax
    mov %eax, %cr0
    ljmpl $GUEST_CS32, $6f
    .code32
6:  mov $GUEST_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov rm_saved_esp, %esp
    mov rm_result, %eax
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

/*
 * uint32_t guest_call_pm32(uint32_t (*fn)(uint32_t), uint32_t arg): leave long mode, call the
 * 32-bit cdecl function fn(arg) in protected mode with paging off, come back. fn may change
 * CR3, CR4 and paging as long as it turns paging off before it returns. No exception handler
 * exists meanwhile: the IDT limit is 0, so any exception becomes a triple fault rather than a
 * jump through a 64-bit gate misread as a 32-bit one.
 */
    .text
    .code64
    .globl guest_call_pm32
guest_call_pm32:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, pm32_saved_rsp(%rip)
    sidt pm32_saved_idt(%rip)
    mov %cr4, %rax
    mov %rax, pm32_saved_cr4(%rip)
    mov %cr3, %rax
    mov %rax, pm32_saved_cr3(%rip)
    mov %edi, %ebx                          /* EBX and ESI are callee-saved in cdecl too */
    lidt pm32_null_idt(%rip)
    push $GUEST_CS32
    lea 1f(%rip), %rax
    push %rax
    lretq
    .code32
1:  mov %cr0, %eax                          /* compatibility mode: paging off leaves long mode */
    and $~CR0_PG, %eax
    mov %eax, %cr0
    mov $MSR_EFER, %ecx
    rdmsr
    and $~EFER_LME, %eax
    wrmsr
    mov $GUEST_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    push %esi
    call *%ebx
    add $4, %esp
    mov %eax, %ebp

    mov %cr0, %eax
    and $~CR0_PG, %eax
    mov %eax, %cr0
    mov pm32_saved_cr4, %eax
    mov %eax, %cr4
    mov pm32_saved_cr3, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0
    ljmp $GUEST_CS64, $2f
    .code64
2:  mov pm32_saved_rsp(%rip), %rsp
    lidt pm32_saved_idt(%rip)
    mov %ebp, %eax
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .section .data16, "aw"
    .balign 16
    .globl guest_gdt
guest_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff                /* GUEST_CS32 */
    .quad 0x00cf92000000ffff                /* GUEST_DS */
    .quad 0x00af9a000000ffff                /* GUEST_CS64 */
    .quad 0x00009a010000ffff                /* GUEST_CS16: base 0x10000 = GUEST_LOAD_ADDR */
    .quad 0x000092000000ffff                /* GUEST_DS16 */
    .quad 0x0000890000000067, 0             /* GUEST_TSS: base filled in at boot */
guest_gdt_end:
    .balign 4
    .word 0
guest_gdt_ptr:
    .word guest_gdt_end - guest_gdt - 1
    .long guest_gdt
    .word 0
rm_ivt_ptr:
    .word 0x3ff
    .long 0
rm_fn16:
    .word 0
    .balign 4
rm_saved_esp:
    .long 0
rm_result:
    .long 0

    .data
    .balign 8
pm32_saved_rsp:
    .quad 0
pm32_saved_cr4:
    .quad 0
pm32_saved_cr3:
    .quad 0
pm32_saved_idt:
    .word 0
    .quad 0
pm32_null_idt:
    .word 0
    .quad 0

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
    .globl guest_pml4, guest_pdpt, guest_pd
guest_pml4:
    .skip 4096
guest_pdpt:
    .skip 4096
guest_pd:
    .skip 4 * 4096

    .bss
    .balign 16
    .globl guest_tss
guest_tss:
    .skip 104
    .balign 4096
guest_boot_stack:
    .skip 16384
guest_boot_stack_top:
    .globl guest_ap_stacks
guest_ap_stacks:                            /* APIC ID n uses slot n (slot 0 unused) */
    .skip GUEST_MAX_CPUS << GUEST_AP_STACK_SHIFT
