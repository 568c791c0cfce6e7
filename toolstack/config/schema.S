/* The domain schema (domain.rng) built into libkeelconfig, so that loading needs no file. */
    .section .rodata
    .globl keel_domain_rng
    .type keel_domain_rng, @object
keel_domain_rng:
    .incbin "toolstack/config/domain.rng"
keel_domain_rng_end:
    .byte 0
    .size keel_domain_rng, . - keel_domain_rng
    .globl keel_domain_rng_len
    .type keel_domain_rng_len, @object
    .balign 4
keel_domain_rng_len:
    .long keel_domain_rng_end - keel_domain_rng
    .size keel_domain_rng_len, 4
    .section .note.GNU-stack, "", @progbits
