/*
 * The AMD-V world switch: svm_world_switch(vmcb_pa, guest_gprs, host_vmcb_pa).
 * With the global interrupt flag clear, save the host's VMLOAD/VMSAVE state, load the guest's and
 * its general registers, VMRUN, and undo it all after the #VMEXIT. RAX and RSP travel in the VMCB.
 */
/* struct guest_gprs offsets (checked in svm/svm.c) */
#define G_RCX 8
#define G_RDX 16
#define G_RBX 24
#define G_RBP 40
#define G_RSI 48
#define G_RDI 56
#define G_R8 64
#define G_R9 72
#define G_R10 80
#define G_R11 88
#define G_R12 96
#define G_R13 104
#define G_R14 112
#define G_R15 120

    .text
    .globl svm_world_switch
svm_world_switch:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rsi                           /* 16(%rsp) after the next two: guest registers */
    push %rdx                           /* 8(%rsp): host save area */
    push %rdi                           /* 0(%rsp): VMCB */
    clgi
    mov %rdx, %rax
    vmsave %rax
    mov %rdi, %rax
    vmload %rax
    mov G_RCX(%rsi), %rcx
    mov G_RDX(%rsi), %rdx
    mov G_RBX(%rsi), %rbx
    mov G_RBP(%rsi), %rbp
    mov G_RDI(%rsi), %rdi
    mov G_R8(%rsi), %r8
    mov G_R9(%rsi), %r9
    mov G_R10(%rsi), %r10
    mov G_R11(%rsi), %r11
    mov G_R12(%rsi), %r12
    mov G_R13(%rsi), %r13
    mov G_R14(%rsi), %r14
    mov G_R15(%rsi), %r15
    mov G_RSI(%rsi), %rsi
    vmrun %rax                          /* RAX (the VMCB) and RSP come back as they were */
    push %rsi
    mov 24(%rsp), %rsi
    mov %rcx, G_RCX(%rsi)
    mov %rdx, G_RDX(%rsi)
    mov %rbx, G_RBX(%rsi)
    mov %rbp, G_RBP(%rsi)
    mov %rdi, G_RDI(%rsi)
    mov %r8, G_R8(%rsi)
    mov %r9, G_R9(%rsi)
    mov %r10, G_R10(%rsi)
    mov %r11, G_R11(%rsi)
    mov %r12, G_R12(%rsi)
    mov %r13, G_R13(%rsi)
    mov %r14, G_R14(%rsi)
    mov %r15, G_R15(%rsi)
    popq G_RSI(%rsi)
    vmsave %rax
    mov 8(%rsp), %rax
    vmload %rax
    stgi
    add $24, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
