/*
 * rm_test: called in real mode through guest_call_real(), with CS = DS = ES = GUEST_RM_SEG and
 * SS:SP = 0:GUEST_RM_STACK. Runs real-mode code natively, then goes real -> protected -> long
 * -> protected -> real by itself, recording in rm_slots what it sees at each step (rm.h). Any
 * exception here is a triple fault: only the real-mode IVT is loaded.
 */
#include "layout.h"
#include "rm.h"

#define RM(x)       ((x) - GUEST_LOAD_ADDR)         /* offset from segment GUEST_RM_SEG */
#define SLOT16(n)   RM(rm_slots + 4 * (n))          /* with DS = GUEST_RM_SEG */
#define SLOT(n)     (rm_slots + 4 * (n))            /* flat */

    .section .text16, "ax"
    .code16
    .globl rm_test, rm_after_int
rm_test:
    /* 16-bit arithmetic */
    mov $0x1234, %ax
    mov $0x0100, %bx
    mul %bx
    movzwl %ax, %eax
    mov %eax, SLOT16(RM_MUL_LO)
    movzwl %dx, %edx
    mov %edx, SLOT16(RM_MUL_HI)
    mov $0xffff, %ax
    add $1, %ax
    setc %cl
    movzwl %ax, %eax
    mov %eax, SLOT16(RM_ADD_WRAP)
    movzbl %cl, %ecx
    mov %ecx, SLOT16(RM_ADD_CARRY)

    /* One linear address through two segment:offset pairs */
    mov $((RM_SEG_LINEAR - 0x1010) >> 4), %ax
    mov %ax, %es
    movw $0xbeef, %es:0x1010
    mov $((RM_SEG_LINEAR - 0x0010) >> 4), %ax
    mov %ax, %fs
    movzwl %fs:0x0010, %eax
    mov %eax, SLOT16(RM_SEG_READ)
    mov $GUEST_RM_SEG, %ax
    mov %ax, %es

    /* Far call into another code segment that reaches the same bytes */
    lcall $(GUEST_RM_SEG + 1), $(RM(rm_far) - 0x10)
    movl $1, SLOT16(RM_FAR_DONE)

    /* POPF sets CF and DF; PUSHF reads them back; PUSHF moves SP by 2 */
    pushf
    pop %ax
    or $0x0401, %ax
    push %ax
    popf
    pushf
    pop %ax
    cld
    movzwl %ax, %eax
    mov %eax, SLOT16(RM_FLAGS)
    mov %sp, %cx
    pushf
    mov %sp, %dx
    popf
    sub %dx, %cx
    movzwl %cx, %ecx
    mov %ecx, SLOT16(RM_PUSHF_SIZE)

    /* INT through a vector we install in the IVT at 0:0 */
    xor %ax, %ax
    mov %ax, %es
    movw $RM(rm_int_handler), %es:(RM_INT_VECTOR * 4)
    movw $GUEST_RM_SEG, %es:(RM_INT_VECTOR * 4 + 2)
    mov $GUEST_RM_SEG, %ax
    mov %ax, %es
    pushf
    pop %ax
    movzwl %ax, %eax
    mov %eax, SLOT16(RM_FLAGS_BEFORE_INT)
    int $RM_INT_VECTOR
rm_after_int:
    mov RM(rm_int_count), %eax
    mov %eax, SLOT16(RM_INT_DONE)

    /* Real -> protected */
    mov %cr0, %eax
    mov %eax, SLOT16(RM_CR0_REAL)
    or $CR0_PE, %eax
    mov %eax, %cr0
    ljmpl $GUEST_CS32, $rm_pm32

    .code32
rm_pm32:
    mov $GUEST_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    movzwl %sp, %esp                        /* SS's base was 0: the stack is at linear SP */
    mov %cr0, %eax
    mov %eax, SLOT(RM_CR0_PROT)
    mov %esp, %ecx
    push $0                                 /* the same bytes push 2, 4 or 8 by mode */
    sub %esp, %ecx
    pop %eax
    mov %ecx, SLOT(RM_PUSH_SIZE_PROT)

    /* Protected -> long, on the library's page tables */
    mov %cr4, %eax
    or $CR4_PAE, %eax
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
    ljmp $GUEST_CS64, $rm_lm64

    .code64
rm_lm64:
    mov %esp, %esp                          /* clears RSP's undefined upper half */
    mov $MSR_EFER, %ecx
    rdmsr
    mov %eax, SLOT(RM_EFER_LONG)
    mov %rsp, %rcx
    push $0
    sub %rsp, %rcx
    pop %rax
    mov %ecx, SLOT(RM_PUSH_SIZE_LONG)
    movabs $0x0123456789abcdef, %rax
    ror $16, %rax
    mov %eax, SLOT(RM_LONG_LO)
    shr $32, %rax
    mov %eax, SLOT(RM_LONG_HI)

    /* Long -> protected: compatibility mode first, then paging off */
    push $GUEST_CS32
    lea rm_pm32_back(%rip), %rax
    push %rax
    lretq

    .code32
rm_pm32_back:
    mov %cr0, %eax
    and $~CR0_PG, %eax
    mov %eax, %cr0
    mov $MSR_EFER, %ecx
    rdmsr
    and $~EFER_LME, %eax
    wrmsr
    /* Protected -> real, through 16-bit segments that leave real-mode limits behind */
    ljmp $GUEST_CS16, $RM(rm_pm16)

    .code16
rm_pm16:
    mov $GUEST_DS16, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov %cr0, %eax
    and $~CR0_PE, %eax
    mov %eax, %cr0
    ljmp $GUEST_RM_SEG, $RM(rm_back)
rm_back:
    mov $GUEST_RM_SEG, %ax
    mov %ax, %ds
    mov %ax, %es
    xor %ax, %ax
    mov %ax, %ss
    mov %cr0, %eax
    mov %eax, SLOT16(RM_CR0_BACK)
    mov $MSR_EFER, %ecx
    rdmsr
    mov %eax, SLOT16(RM_EFER_BACK)
    mov %sp, %cx
    push $0
    mov %sp, %dx
    pop %ax
    sub %dx, %cx
    movzwl %cx, %ecx
    mov %ecx, SLOT16(RM_PUSH_SIZE_BACK)
    mov $((RM_SEG_LINEAR - 0x0010) >> 4), %ax
    mov %ax, %fs
    movzwl %fs:0x0010, %eax
    mov %eax, SLOT16(RM_SEG_READ_BACK)
    int $RM_INT_VECTOR
    mov RM(rm_int_count), %eax
    mov %eax, SLOT16(RM_INT_DONE_BACK)
    movl $1, SLOT16(RM_DONE)
    mov $0x1234abcd, %eax                   /* guest_call_real() must hand this back */
    ret

/* Reached with CS = GUEST_RM_SEG + 1, so IP = linear - 0x10010. */
rm_far:
    mov %cs, %ax
    movzwl %ax, %eax
    mov %eax, SLOT16(RM_FAR_CS)
    mov %sp, %bp
    movzwl 2(%bp), %eax                     /* [SP] return IP, [SP + 2] return CS */
    mov %eax, SLOT16(RM_FAR_RET_CS)
    lret

/* INT 0x80: records the frame the first time, counts every time. */
rm_int_handler:
    cmpl $0, RM(rm_int_count)
    jne 1f
    mov %sp, %bp
    movzwl 0(%bp), %eax
    mov %eax, SLOT16(RM_INT_IP)
    movzwl 2(%bp), %eax
    mov %eax, SLOT16(RM_INT_CS)
    movzwl 4(%bp), %eax
    mov %eax, SLOT16(RM_INT_FLAGS)
1:  incl RM(rm_int_count)
    iret

    .section .data16, "aw"
    .balign 4
    .globl rm_slots, rm_int_count
rm_slots:
    .fill RM_NR_SLOTS, 4, 0
rm_int_count:
    .long 0
