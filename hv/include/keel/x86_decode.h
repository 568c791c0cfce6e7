/*
 * x86 instruction decoder: length and operands of one instruction, in 16-, 32- or 64-bit code.
 * Used to step over intercepted instructions when the CPU does not report their length (SVM
 * without NRIP save) and to emulate accesses to pages that are not RAM.
 */
#ifndef KEEL_X86_DECODE_H
#define KEEL_X86_DECODE_H

#include <keel/types.h>

#define X86_MAX_INSN_LEN 15

enum x86_cpu_mode { X86_MODE_16, X86_MODE_32, X86_MODE_64 };

enum x86_seg { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS, X86_SEG_NONE };

/* Register numbers as in ModRM/REX: 0 = RAX ... 15 = R15. */
#define X86_REG_NONE 0xff

struct x86_insn {
    uint8_t len;                    /* total length in bytes */
    uint8_t opcode;                 /* the opcode byte (after 0F / 0F38 / 0F3A / VEX) */
    uint8_t map;                    /* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A (EVEX: also 5, 6) */
    uint8_t op_size;                /* operand size in bytes: 1, 2, 4 or 8 (for byte ops 1;
                                       MOVZX/MOVSX: the destination's) */
    uint8_t addr_size;              /* 2, 4 or 8 */
    bool lock, rep, repne;          /* F0, F3, F2 */
    bool opsize_prefix;             /* 66 */
    uint8_t rex;                    /* the REX byte, 0 if none */
    bool vex;                       /* VEX (C4/C5) or EVEX (62 in 64-bit mode) encoded */
    enum x86_seg seg;               /* segment override, X86_SEG_NONE if none */
    bool has_modrm;
    uint8_t modrm_mod, modrm_reg, modrm_rm;   /* reg and rm include REX.R / REX.B */
    bool mem;                       /* has a memory operand (ModRM with mod != 3, or moffs) */
    uint8_t base, index;            /* registers of the memory operand, X86_REG_NONE if absent */
    uint8_t scale;                  /* 1, 2, 4, 8 */
    bool rip_relative;
    int64_t disp;                   /* displacement, sign-extended; EVEX disp8 unscaled
                                       (moffs: the absolute offset, zero-extended) */
    uint64_t imm;                   /* first immediate, zero-extended */
    uint8_t imm_size;               /* bytes of immediate(s) in total */
};

/*
 * Decodes the instruction in bytes[0..avail). Returns 0, -EAGAIN if avail is too short to
 * tell (fetch more and retry), -EINVAL for an encoding that raises #UD (or is longer than 15).
 */
int x86_decode(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, struct x86_insn *insn);

#endif
