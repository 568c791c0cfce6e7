/*
 * Shared between the emulator's files (emulate.c: addressing, memory, dispatch, moves;
 * emulate_alu.c: arithmetic and flags; emulate_string.c: MOVS/STOS/LODS/CMPS;
 * emulate_simd.c: SSE/AVX moves). Not an interface: use <keel/x86_emulate.h>.
 */
#ifndef KEEL_X86_EMULATE_PRIV_H
#define KEEL_X86_EMULATE_PRIV_H

#include <keel/x86_emulate.h>

struct emul {
    struct x86_emul_state *st;
    const struct x86_emul_ops *ops;
    void *ctx;
    struct x86_insn insn;
    const uint8_t *bytes;
    uint64_t next_rip;          /* RIP of the next instruction (RIP-relative base) */
    uint64_t ea;                /* memory operand's offset, address-size truncated */
    enum x86_seg seg;           /* memory operand's segment */
    uint8_t vex_l, vex_pp, vex_vvvv;
};

typedef int (*emul_handler)(struct emul *e);

/* emulate.c */
uint64_t emul_mask(unsigned int size);
uint64_t emul_sext(uint64_t v, unsigned int size);
uint64_t emul_reg_read(const struct emul *e, unsigned int reg, unsigned int size);
void emul_reg_write(struct emul *e, unsigned int reg, unsigned int size, uint64_t val);
int emul_exception(struct emul *e, uint8_t vector, bool has_error_code, uint32_t error_code);
int emul_linear(struct emul *e, enum x86_seg seg, uint64_t off, unsigned int size, bool write,
                uint64_t *linear);
int emul_mem_read(struct emul *e, enum x86_seg seg, uint64_t off, void *buf, unsigned int size);
int emul_mem_write(struct emul *e, enum x86_seg seg, uint64_t off, const void *buf,
                   unsigned int size);
int emul_rm_read(struct emul *e, unsigned int size, uint64_t *val);
int emul_rm_write(struct emul *e, unsigned int size, uint64_t val);
int emul_done(struct emul *e);

/* emulate_alu.c */
uint64_t emul_alu(unsigned int op, uint64_t a, uint64_t b, unsigned int size, uint64_t *rflags);
int emul_alu_rm(struct emul *e);
int emul_grp1(struct emul *e);
int emul_test(struct emul *e);
int emul_grp3(struct emul *e);
int emul_incdec(struct emul *e);
int emul_xchg(struct emul *e);
int emul_cmpxchg(struct emul *e);
int emul_bt_reg(struct emul *e);
int emul_bt_imm(struct emul *e);

/* emulate_string.c */
int emul_string(struct emul *e);

/* emulate_simd.c */
int emul_sse_move(struct emul *e);
int emul_vex(struct emul *e);

#define EMUL_ALU_ADD 0
#define EMUL_ALU_OR  1
#define EMUL_ALU_ADC 2
#define EMUL_ALU_SBB 3
#define EMUL_ALU_AND 4
#define EMUL_ALU_SUB 5
#define EMUL_ALU_XOR 6
#define EMUL_ALU_CMP 7

#endif
