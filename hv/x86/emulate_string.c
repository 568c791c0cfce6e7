/*
 * MOVS, STOS, LODS and CMPS, with REP/REPE/REPNE. Pointer and count registers are as wide as the
 * address size; DF picks the direction. A REP instruction does at most one page's worth of
 * elements per call and returns X86EMUL_RETRY with RIP unchanged while elements remain, so the
 * guest stays interruptible and re-executes it to continue.
 */
#include "emulate_priv.h"

#define EMUL_RSI 6
#define EMUL_RDI 7
#define EMUL_RCX 1

/* Adds delta to an address-sized register: 32-bit updates zero-extend, 16-bit ones merge. */
static void emul_areg_add(struct emul *e, unsigned int reg, int64_t delta)
{
    unsigned int asz = e->insn.addr_size;
    uint64_t *r = &e->st->gpr[reg];
    uint64_t v = *r + (uint64_t)delta;

    *r = asz == 8 ? v : asz == 4 ? (uint32_t)v : (*r & ~0xffffULL) | (v & 0xffff);
}

static uint64_t emul_areg(const struct emul *e, unsigned int reg)
{
    return e->st->gpr[reg] & emul_mask(e->insn.addr_size);
}

/* The source segment (DS, or the override); the destination is always ES. */
static enum x86_seg emul_src_seg(const struct emul *e)
{
    return e->insn.seg != X86_SEG_NONE ? e->insn.seg : X86_SEG_DS;
}

static uint64_t emul_le(const uint8_t *buf, unsigned int size)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < size; i++)
        v |= (uint64_t)buf[i] << (8 * i);
    return v;
}

/* One element. Registers move only after the element's accesses succeeded. */
static int emul_string_one(struct emul *e, uint8_t op, unsigned int size, int64_t delta)
{
    uint8_t a[8], b[8];
    bool src = op != 0xaa, dst = op != 0xac;
    int rc = X86EMUL_OK;

    for (unsigned int i = 0; i < size; i++)
        a[i] = (uint8_t)(e->st->gpr[0] >> (8 * i));
    if (src)
        rc = emul_mem_read(e, emul_src_seg(e), emul_areg(e, EMUL_RSI), a, size);
    if (!rc && op == 0xa6)
        rc = emul_mem_read(e, X86_SEG_ES, emul_areg(e, EMUL_RDI), b, size);
    else if (!rc && dst)
        rc = emul_mem_write(e, X86_SEG_ES, emul_areg(e, EMUL_RDI), a, size);
    if (rc)
        return rc;
    if (op == 0xa6)
        emul_alu(EMUL_ALU_CMP, emul_le(a, size), emul_le(b, size), size, &e->st->rflags);
    if (op == 0xac)
        emul_reg_write(e, 0, size, emul_le(a, size));
    if (src)
        emul_areg_add(e, EMUL_RSI, delta);
    if (dst)
        emul_areg_add(e, EMUL_RDI, delta);
    return X86EMUL_OK;
}

/* REPE/REPNE end CMPS early on a difference/an equality. */
static bool emul_rep_stop(const struct emul *e, uint8_t op)
{
    bool zf = e->st->rflags & X86_FL_ZF;

    if (op != 0xa6)
        return false;
    return e->insn.repne ? zf : !zf;
}

int emul_string(struct emul *e)
{
    uint8_t op = e->insn.opcode & ~1;
    unsigned int size = e->insn.opcode & 1 ? e->insn.op_size : 1;
    int64_t delta = e->st->rflags & X86_FL_DF ? -(int64_t)size : (int64_t)size;
    uint64_t count;
    int rc;

    if (!e->insn.rep && !e->insn.repne) {
        rc = emul_string_one(e, op, size, delta);
        return rc ? rc : emul_done(e);
    }
    count = emul_areg(e, EMUL_RCX);
    for (unsigned int i = 0; count && i < PAGE_SIZE / size; i++) {
        rc = emul_string_one(e, op, size, delta);
        if (rc)
            return rc;
        emul_areg_add(e, EMUL_RCX, -1);
        count--;
        if (emul_rep_stop(e, op))
            return emul_done(e);
    }
    return count ? X86EMUL_RETRY : emul_done(e);
}
