/*
 * The VT-x world switch: vmx_world_switch(guest_gprs, launched) loads the guest's general
 * registers and enters with VMLAUNCH or VMRESUME. A VM exit arrives at vmx_exit_point (HOST_RIP)
 * on the stack recorded in HOST_RSP, saves the guest's registers and returns 0; a refused entry
 * returns 1. RSP and RIP travel in the VMCS.
 */
#include <keel/gprs_asm.h>

#define HOST_RSP 0x6c14

    .text
    .globl vmx_world_switch, vmx_exit_point
vmx_world_switch:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                           /* the guest registers, found again at exit */
    mov $HOST_RSP, %eax
    vmwrite %rsp, %rax
    test %esi, %esi                     /* MOVs below leave the flags alone */
    mov G_RAX(%rdi), %rax
    mov G_RSI(%rdi), %rsi
    guest_gprs_load %rdi
    mov G_RDI(%rdi), %rdi
    jnz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  add $8, %rsp                        /* refused: host state is untouched */
    mov $1, %eax
    jmp 3f

vmx_exit_point:
    push %rdi
    mov 8(%rsp), %rdi
    mov %rax, G_RAX(%rdi)
    mov %rsi, G_RSI(%rdi)
    guest_gprs_store %rdi
    popq G_RDI(%rdi)
    add $8, %rsp
    xor %eax, %eax
3:  pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
