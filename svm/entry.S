/*
 * The AMD-V world switch: svm_world_switch(vmcb_pa, guest_gprs, host_vmcb_pa).
 * With the global interrupt flag clear, save the host's VMLOAD/VMSAVE state, load the guest's and
 * its general registers, VMRUN, and undo it all after the #VMEXIT. RAX and RSP travel in the VMCB.
 */
#include <keel/gprs_asm.h>

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
    guest_gprs_load %rsi
    mov G_RDI(%rsi), %rdi
    mov G_RSI(%rsi), %rsi
    vmrun %rax                          /* RAX (the VMCB) and RSP come back as they were */
    push %rsi
    mov 24(%rsp), %rsi
    guest_gprs_store %rsi
    mov %rdi, G_RDI(%rsi)
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
