/*
 * Exception entry for the 32 architectural vectors, and the recovery point guest_catch() uses.
 * Each stub is 16 bytes long, so the C side finds vector n's stub at guest_trap_stubs + 16 * n.
 */
#include "layout.h"

    .text
    .code64
    .balign 16
    .globl guest_trap_stubs
guest_trap_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .balign 16
    /* The CPU pushes an error code for #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC and #SX. */
    .if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
    push $0
    .endif
    push $\n
    jmp trap_common
    .endr

/* Saves the registers as struct guest_trap_frame (lib/guest.h) and calls guest_trap(frame). */
trap_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi
    call guest_trap                         /* 22 qwords pushed: RSP is 16-byte aligned here */
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp                           /* vector and error code */
    iretq

/*
 * int guest_catch_call(struct guest_catch *c, void (*fn)(void *), void *arg): saves what a
 * return to our caller needs (callee-saved registers, RSP) in c, then calls fn(arg) and returns
 * -1. If fn raises an exception, guest_trap() restores those registers, sets RAX to the vector
 * and resumes at guest_catch_recover, which returns that vector to our caller instead.
 */
    .globl guest_catch_call, guest_catch_recover
guest_catch_call:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    mov %rsp, 48(%rdi)
    sub $8, %rsp                            /* keep fn's stack 16-byte aligned */
    mov %rdx, %rdi
    call *%rsi
    add $8, %rsp
    mov $-1, %eax
    ret
guest_catch_recover:
    ret
