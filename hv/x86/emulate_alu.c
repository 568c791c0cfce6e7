/*
 * Arithmetic and logic with the flags the CPU computes: ADD/OR/ADC/SBB/AND/SUB/XOR/CMP, TEST,
 * INC/DEC, NEG/NOT, XCHG, CMPXCHG and the bit tests. Where the manuals leave a flag undefined
 * this matches the hardware (tests/unit/test_emulate_diff.c compares every flag with the build
 * machine's CPU): AND/OR/XOR/TEST clear AF; BT/BTS/BTR/BTC change CF only.
 */
#include "emulate_priv.h"

static uint64_t emul_msb(unsigned int size)
{
    return 1ULL << (8 * size - 1);
}

/* ZF, SF and PF of a result (PF: even parity of its low byte). */
static uint64_t emul_szp(uint64_t res, unsigned int size)
{
    uint8_t p = (uint8_t)res;
    uint64_t fl = 0;

    p ^= p >> 4;
    p ^= p >> 2;
    p ^= p >> 1;
    if (!(p & 1))
        fl |= X86_FL_PF;
    if (!(res & emul_mask(size)))
        fl |= X86_FL_ZF;
    if (res & emul_msb(size))
        fl |= X86_FL_SF;
    return fl;
}

static void emul_set_flags(uint64_t *rflags, uint64_t which, uint64_t val)
{
    *rflags = (*rflags & ~which) | (val & which);
}

static uint64_t emul_add(uint64_t a, uint64_t b, unsigned int c, unsigned int size, uint64_t *fl)
{
    uint64_t m = emul_mask(size), msb = emul_msb(size);
    uint64_t res = (a + b + c) & m;
    uint64_t f = emul_szp(res, size) | ((a ^ b ^ res) & X86_FL_AF);

    if (((a & b) | ((a | b) & ~res)) & msb)
        f |= X86_FL_CF;
    if ((a ^ res) & (b ^ res) & msb)
        f |= X86_FL_OF;
    emul_set_flags(fl, X86_FL_ARITH, f);
    return res;
}

static uint64_t emul_sub(uint64_t a, uint64_t b, unsigned int c, unsigned int size, uint64_t *fl)
{
    uint64_t m = emul_mask(size), msb = emul_msb(size);
    uint64_t res = (a - b - c) & m;
    uint64_t f = emul_szp(res, size) | ((a ^ b ^ res) & X86_FL_AF);

    if (((~a & b) | (~(a ^ b) & res)) & msb)
        f |= X86_FL_CF;
    if ((a ^ b) & (a ^ res) & msb)
        f |= X86_FL_OF;
    emul_set_flags(fl, X86_FL_ARITH, f);
    return res;
}

/* AND/OR/XOR/TEST: CF and OF clear; AF is undefined and cleared by the CPUs we match. */
static uint64_t emul_logic(uint64_t res, unsigned int size, uint64_t *fl)
{
    res &= emul_mask(size);
    emul_set_flags(fl, X86_FL_ARITH, emul_szp(res, size));
    return res;
}

uint64_t emul_alu(unsigned int op, uint64_t a, uint64_t b, unsigned int size, uint64_t *rflags)
{
    unsigned int cf = *rflags & X86_FL_CF;

    a &= emul_mask(size);
    b &= emul_mask(size);
    switch (op) {
    case EMUL_ALU_ADD: return emul_add(a, b, 0, size, rflags);
    case EMUL_ALU_OR:  return emul_logic(a | b, size, rflags);
    case EMUL_ALU_ADC: return emul_add(a, b, cf, size, rflags);
    case EMUL_ALU_SBB: return emul_sub(a, b, cf, size, rflags);
    case EMUL_ALU_AND: return emul_logic(a & b, size, rflags);
    case EMUL_ALU_XOR: return emul_logic(a ^ b, size, rflags);
    default:           return emul_sub(a, b, 0, size, rflags);  /* SUB, CMP */
    }
}

/* op on the r/m operand and src, written back unless op is CMP (or TEST). */
static int emul_rmw(struct emul *e, unsigned int op, uint64_t src, bool store)
{
    unsigned int size = e->insn.op_size;
    uint64_t v;
    int rc = emul_rm_read(e, size, &v);

    if (rc)
        return rc;
    v = emul_alu(op, v, src, size, &e->st->rflags);
    if (store) {
        rc = emul_rm_write(e, size, v);
        if (rc)
            return rc;
    }
    return emul_done(e);
}

/* The immediate sign-extended to the operand: at most 32 bits are encoded (83: 8 bits). */
static uint64_t emul_imm(const struct emul *e)
{
    unsigned int n = e->insn.opcode == 0x83 ? 1 : MIN((unsigned int)e->insn.op_size, 4u);

    return emul_sext(e->insn.imm, n);
}

/* 00-3D: the low three opcode bits pick r/m,reg / reg,r/m / accumulator,imm and the size. */
int emul_alu_rm(struct emul *e)
{
    unsigned int op = e->insn.opcode >> 3, form = e->insn.opcode & 7;
    unsigned int size = e->insn.op_size, reg = e->insn.modrm_reg;
    uint64_t a, b;
    int rc;

    if (form < 2)
        return emul_rmw(e, op, emul_reg_read(e, reg, size), op != EMUL_ALU_CMP);
    if (form >= 4) {
        reg = 0;
        b = emul_imm(e);
    } else {
        rc = emul_rm_read(e, size, &b);
        if (rc)
            return rc;
    }
    a = emul_alu(op, emul_reg_read(e, reg, size), b, size, &e->st->rflags);
    if (op != EMUL_ALU_CMP)
        emul_reg_write(e, reg, size, a);
    return emul_done(e);
}

/* 80-83 /op r/m, imm. */
int emul_grp1(struct emul *e)
{
    unsigned int op = e->insn.modrm_reg & 7;

    return emul_rmw(e, op, emul_imm(e), op != EMUL_ALU_CMP);
}

static int emul_test_with(struct emul *e, uint64_t src)
{
    unsigned int size = e->insn.op_size;
    uint64_t v;
    int rc = emul_rm_read(e, size, &v);

    if (rc)
        return rc;
    emul_logic(v & src, size, &e->st->rflags);
    return emul_done(e);
}

/* 84/85 TEST r/m, reg. */
int emul_test(struct emul *e)
{
    return emul_test_with(e, emul_reg_read(e, e->insn.modrm_reg, e->insn.op_size));
}

/* F6/F7: /0 /1 TEST imm, /2 NOT, /3 NEG; MUL/IMUL/DIV/IDIV are not emulated. */
int emul_grp3(struct emul *e)
{
    unsigned int size = e->insn.op_size, op = e->insn.modrm_reg & 7;
    uint64_t v;
    int rc;

    if (op < 2)
        return emul_test_with(e, emul_imm(e));
    if (op > 3)
        return X86EMUL_UNHANDLEABLE;
    rc = emul_rm_read(e, size, &v);
    if (rc)
        return rc;
    if (op == 2)
        v = ~v;     /* NOT changes no flags */
    else
        v = emul_sub(0, v & emul_mask(size), 0, size, &e->st->rflags);
    rc = emul_rm_write(e, size, v);
    return rc ? rc : emul_done(e);
}

/* FE/FF /0 INC, /1 DEC: CF is kept. */
int emul_incdec(struct emul *e)
{
    unsigned int size = e->insn.op_size, op = e->insn.modrm_reg & 7;
    uint64_t v, fl = e->st->rflags;
    int rc;

    if (op > 1)
        return X86EMUL_UNHANDLEABLE;
    rc = emul_rm_read(e, size, &v);
    if (rc)
        return rc;
    v = emul_alu(op ? EMUL_ALU_SUB : EMUL_ALU_ADD, v, 1, size, &fl);
    emul_set_flags(&e->st->rflags, X86_FL_ARITH & ~X86_FL_CF, fl);
    rc = emul_rm_write(e, size, v);
    return rc ? rc : emul_done(e);
}

/* 86/87: the memory write comes first so that a fault leaves the register untouched. */
int emul_xchg(struct emul *e)
{
    unsigned int size = e->insn.op_size, reg = e->insn.modrm_reg;
    uint64_t v, r = emul_reg_read(e, reg, size);
    int rc = emul_rm_read(e, size, &v);

    if (!rc)
        rc = emul_rm_write(e, size, r);
    if (rc)
        return rc;
    emul_reg_write(e, reg, size, v);
    return emul_done(e);
}

/*
 * 0F B0/B1. When the values differ the CPU writes the old value back to memory as part of the
 * locked cycle; a device would see a write the guest never asked for, so that is not done.
 * The accumulator is written (zero-extending EAX) only when they differ.
 */
int emul_cmpxchg(struct emul *e)
{
    unsigned int size = e->insn.op_size;
    uint64_t dst, acc = emul_reg_read(e, 0, size);
    int rc = emul_rm_read(e, size, &dst);

    if (rc)
        return rc;
    emul_alu(EMUL_ALU_CMP, acc, dst, size, &e->st->rflags);
    if (e->st->rflags & X86_FL_ZF)
        rc = emul_rm_write(e, size, emul_reg_read(e, e->insn.modrm_reg, size));
    else
        emul_reg_write(e, 0, size, dst);
    return rc ? rc : emul_done(e);
}

/*
 * BT/BTS/BTR/BTC (op 0-3). With a register offset and a memory operand the offset is signed and
 * selects an operand-sized unit anywhere around the address; otherwise it is taken modulo the
 * operand size.
 */
static int emul_bt(struct emul *e, unsigned int op, uint64_t off, bool reg_offset)
{
    unsigned int size = e->insn.op_size, bits = 8 * size;
    uint64_t v, bit;
    int rc;

    if (reg_offset && e->insn.mem) {
        int64_t soff = (int64_t)emul_sext(off, size);
        int64_t unit = soff >> (size == 2 ? 4 : size == 4 ? 5 : 6);
        e->ea = (e->ea + (uint64_t)unit * size) & emul_mask(e->insn.addr_size);
    }
    bit = 1ULL << (off & (bits - 1));
    rc = emul_rm_read(e, size, &v);
    if (rc)
        return rc;
    emul_set_flags(&e->st->rflags, X86_FL_CF, v & bit ? X86_FL_CF : 0);
    if (op == 0)
        return emul_done(e);
    v = op == 1 ? v | bit : op == 2 ? v & ~bit : v ^ bit;
    rc = emul_rm_write(e, size, v);
    return rc ? rc : emul_done(e);
}

/* 0F A3/AB/B3/BB: bits 4:3 of the opcode are the operation. */
int emul_bt_reg(struct emul *e)
{
    uint64_t off = emul_reg_read(e, e->insn.modrm_reg, e->insn.op_size);

    return emul_bt(e, (e->insn.opcode >> 3) & 3, off, true);
}

/* 0F BA /4-/7 r/m, imm8. */
int emul_bt_imm(struct emul *e)
{
    return emul_bt(e, (e->insn.modrm_reg & 7) - 4, e->insn.imm, false);
}
