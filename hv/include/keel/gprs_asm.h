/*
 * For the world switches (svm/entry.S, vmx/entry.S): offsets in struct guest_gprs (checked
 * against the C layout in hv/domain.c) and the moves of the registers both backends switch the
 * same way. RAX, RSP, RSI and RDI are left to each backend: they differ in where those live.
 */
#ifndef KEEL_GPRS_ASM_H
#define KEEL_GPRS_ASM_H

#define G_RAX 0
#define G_RCX 8
#define G_RDX 16
#define G_RBX 24
#define G_RSP 32
#define G_RBP 40
#define G_RSI 48
#define G_RDI 56
#define G_R8 64
#define G_R15 120

#ifdef __ASSEMBLY__
    .macro guest_gprs_load base
    mov G_RCX(\base), %rcx
    mov G_RDX(\base), %rdx
    mov G_RBX(\base), %rbx
    mov G_RBP(\base), %rbp
    mov G_R8 + 0(\base), %r8
    mov G_R8 + 8(\base), %r9
    mov G_R8 + 16(\base), %r10
    mov G_R8 + 24(\base), %r11
    mov G_R8 + 32(\base), %r12
    mov G_R8 + 40(\base), %r13
    mov G_R8 + 48(\base), %r14
    mov G_R8 + 56(\base), %r15
    .endm

    .macro guest_gprs_store base
    mov %rcx, G_RCX(\base)
    mov %rdx, G_RDX(\base)
    mov %rbx, G_RBX(\base)
    mov %rbp, G_RBP(\base)
    mov %r8, G_R8 + 0(\base)
    mov %r9, G_R8 + 8(\base)
    mov %r10, G_R8 + 16(\base)
    mov %r11, G_R8 + 24(\base)
    mov %r12, G_R8 + 32(\base)
    mov %r13, G_R8 + 40(\base)
    mov %r14, G_R8 + 48(\base)
    mov %r15, G_R8 + 56(\base)
    .endm
#endif

#endif
