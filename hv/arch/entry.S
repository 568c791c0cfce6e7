/*
 * Interrupt and exception stubs: each pushes a dummy error code where the CPU pushes none, then
 * its vector, and joins the common path that saves the registers as a struct cpu_regs and calls
 * trap_dispatch.
 */
    .text
    .balign 16
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
    mov %rsp, %rbx                      /* callee-saved: restores the stack after alignment */
    and $~0xf, %rsp
    call trap_dispatch
    mov %rbx, %rsp
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
    add $16, %rsp                       /* vector, error code */
    iretq


    .macro stub v
    .balign 16
trap_stub_\v:  /* error code pushed by the CPU for 8, 10-14, 17, 21, 29, 30 */
    .if !(\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30)
    push $0
    .endif
    push $\v
    jmp trap_common
    .endm

    .altmacro
    .macro stubs from, to
    stub \from
    .if \to - \from
    stubs %(\from + 1), \to
    .endif
    .endm

    .macro stub_addr v
    .quad trap_stub_\v
    .endm
    .macro stub_addrs from, to
    stub_addr \from
    .if \to - \from
    stub_addrs %(\from + 1), \to
    .endif
    .endm

    stubs 0, 63
    stubs 64, 127
    stubs 128, 191
    stubs 192, 255

    .section .rodata
    .balign 8
    .globl trap_stubs
trap_stubs:
    stub_addrs 0, 63
    stub_addrs 64, 127
    stub_addrs 128, 191
    stub_addrs 192, 255
