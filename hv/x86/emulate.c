/*
 * x86 instruction emulator: decoding, operand addressing with segmentation and canonical
 * checks, memory access through the caller's callbacks, the opcode tables, and the MOV family.
 * Arithmetic lives in emulate_alu.c, string instructions in emulate_string.c, vector moves in
 * emulate_simd.c.
 */
#include <keel/string.h>
#include "emulate_priv.h"

uint64_t emul_mask(unsigned int size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

uint64_t emul_sext(uint64_t v, unsigned int size)
{
    unsigned int sh = 64 - 8 * size;

    return size >= 8 ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}

/* Byte registers 4-7 without any REX are AH, CH, DH, BH. */
static bool emul_high_byte(const struct emul *e, unsigned int reg, unsigned int size)
{
    return size == 1 && !e->insn.rex && reg >= 4 && reg < 8;
}

uint64_t emul_reg_read(const struct emul *e, unsigned int reg, unsigned int size)
{
    if (emul_high_byte(e, reg, size))
        return (e->st->gpr[reg - 4] >> 8) & 0xff;
    return e->st->gpr[reg & 15] & emul_mask(size);
}

/* As a MOV of size bytes writes: 32-bit results clear the upper half, smaller ones merge. */
void emul_reg_write(struct emul *e, unsigned int reg, unsigned int size, uint64_t val)
{
    uint64_t *r = &e->st->gpr[reg & 15];

    if (emul_high_byte(e, reg, size)) {
        r = &e->st->gpr[reg - 4];
        *r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
    } else if (size == 4)
        *r = (uint32_t)val;
    else
        *r = (*r & ~emul_mask(size)) | (val & emul_mask(size));
}

int emul_exception(struct emul *e, uint8_t vector, bool has_error_code, uint32_t error_code)
{
    e->st->event = (struct x86_emul_event){ .vector = vector, .has_error_code = has_error_code,
                                            .error_code = error_code };
    return X86EMUL_EXCEPTION;
}

/* #SS(0) for stack-segment references, #GP(0) for the others. */
static int emul_seg_fault(struct emul *e, enum x86_seg seg)
{
    return emul_exception(e, seg == X86_SEG_SS ? X86_EXC_SS : X86_EXC_GP, true, 0);
}

static bool emul_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Type and limit checks of a 16/32-bit code access; types only matter in protected mode. */
static bool emul_seg_ok(const struct emul *e, const struct x86_emul_segment *s, uint64_t off,
                        unsigned int size, bool write)
{
    uint64_t last = off + size - 1;
    uint32_t type = s->attr & 0xf;
    uint64_t top = s->attr & X86_SEGA_DB ? 0xffffffffULL : 0xffffULL;

    if (s->attr & X86_SEGA_UNUSABLE)
        return false;
    if (e->st->cr0 & X86_CR0_PE) {
        if ((type & X86_SEGA_TYPE_CODE) && (write || !(type & X86_SEGA_TYPE_WRITE)))
            return false;
        if (!(type & X86_SEGA_TYPE_CODE) && write && !(type & X86_SEGA_TYPE_WRITE))
            return false;
    }
    if (!(type & X86_SEGA_TYPE_CODE) && (type & X86_SEGA_TYPE_DOWN))
        return off > s->limit && last <= top;
    return last <= s->limit;
}

int emul_linear(struct emul *e, enum x86_seg seg, uint64_t off, unsigned int size, bool write,
                uint64_t *linear)
{
    const struct x86_emul_segment *s = &e->st->seg[seg];

    if (e->st->mode == X86_MODE_64) {
        *linear = off + (seg == X86_SEG_FS || seg == X86_SEG_GS ? s->base : 0);
        if (!emul_canonical(*linear) || !emul_canonical(*linear + size - 1))
            return emul_seg_fault(e, seg);
        return X86EMUL_OK;
    }
    if (!emul_seg_ok(e, s, off, size, write))
        return emul_seg_fault(e, seg);
    *linear = (uint32_t)(s->base + off);
    return X86EMUL_OK;
}

/* Fills in the #PF a callback reports unless it says otherwise; maps its result. */
static int emul_callback(struct emul *e, enum x86_seg seg, uint64_t linear, void *buf,
                         unsigned int size, bool write)
{
    int rc;

    e->st->event = (struct x86_emul_event){
        .vector = X86_EXC_PF, .has_error_code = true, .cr2 = linear,
        .error_code = (write ? 2u : 0u) | (e->st->cpl == 3 ? 4u : 0u) };
    rc = write ? e->ops->write(e->ctx, seg, linear, buf, size)
               : e->ops->read(e->ctx, seg, linear, buf, size);
    if (rc == X86EMUL_PAGE_FAULT || rc == X86EMUL_EXCEPTION)
        return X86EMUL_EXCEPTION;
    return rc == X86EMUL_OK ? X86EMUL_OK : X86EMUL_UNHANDLEABLE;
}

/* Splits at page boundaries so that each callback translates one page. Outside 64-bit mode
 * the linear address wraps at 4 GiB. */
static int emul_access(struct emul *e, enum x86_seg seg, uint64_t off, void *buf,
                       unsigned int size, bool write)
{
    uint64_t linear;
    uint8_t *p = buf;
    int rc = emul_linear(e, seg, off, size, write, &linear);

    while (!rc && size) {
        unsigned int n = (unsigned int)MIN((uint64_t)size, PAGE_SIZE - (linear & (PAGE_SIZE - 1)));
        rc = emul_callback(e, seg, linear, p, n, write);
        p += n;
        size -= n;
        linear += n;
        if (e->st->mode != X86_MODE_64)
            linear = (uint32_t)linear;
    }
    return rc;
}

int emul_mem_read(struct emul *e, enum x86_seg seg, uint64_t off, void *buf, unsigned int size)
{
    return emul_access(e, seg, off, buf, size, false);
}

int emul_mem_write(struct emul *e, enum x86_seg seg, uint64_t off, const void *buf,
                   unsigned int size)
{
    return emul_access(e, seg, off, (void *)buf, size, true);
}

static void emul_put_le(uint8_t *buf, uint64_t v, unsigned int size)
{
    for (unsigned int i = 0; i < size; i++)
        buf[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t emul_get_le(const uint8_t *buf, unsigned int size)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < size; i++)
        v |= (uint64_t)buf[i] << (8 * i);
    return v;
}

/* The ModRM r/m operand (register or memory) of size bytes. */
int emul_rm_read(struct emul *e, unsigned int size, uint64_t *val)
{
    uint8_t buf[8];
    int rc;

    if (!e->insn.mem) {
        *val = emul_reg_read(e, e->insn.modrm_rm, size);
        return X86EMUL_OK;
    }
    rc = emul_mem_read(e, e->seg, e->ea, buf, size);
    *val = rc ? 0 : emul_get_le(buf, size);
    return rc;
}

int emul_rm_write(struct emul *e, unsigned int size, uint64_t val)
{
    uint8_t buf[8];

    if (!e->insn.mem) {
        emul_reg_write(e, e->insn.modrm_rm, size, val);
        return X86EMUL_OK;
    }
    emul_put_le(buf, val, size);
    return emul_mem_write(e, e->seg, e->ea, buf, size);
}

/* Advances RIP past the instruction; IP wraps at the code's default size outside 64-bit mode. */
int emul_done(struct emul *e)
{
    static const uint64_t rip_mask[] = { [X86_MODE_16] = 0xffff, [X86_MODE_32] = 0xffffffff,
                                         [X86_MODE_64] = ~0ULL };

    e->st->rip = e->next_rip & rip_mask[e->st->mode];
    return X86EMUL_OK;
}

/* ---- the MOV family ------------------------------------------------------------------------ */

/* 88/89: r/m <- reg; 8A/8B: reg <- r/m. */
static int emul_mov(struct emul *e)
{
    unsigned int size = e->insn.op_size;
    uint64_t v;
    int rc;

    if (!(e->insn.opcode & 2)) {
        rc = emul_rm_write(e, size, emul_reg_read(e, e->insn.modrm_reg, size));
        return rc ? rc : emul_done(e);
    }
    rc = emul_rm_read(e, size, &v);
    if (rc)
        return rc;
    emul_reg_write(e, e->insn.modrm_reg, size, v);
    return emul_done(e);
}

/* C6/C7 /0: the immediate is at most 32 bits, sign-extended to a 64-bit operand. */
static int emul_mov_imm(struct emul *e)
{
    unsigned int size = e->insn.op_size;
    int rc;

    if (e->insn.modrm_reg & 7)
        return X86EMUL_UNHANDLEABLE;   /* XABORT, XBEGIN */
    rc = emul_rm_write(e, size, emul_sext(e->insn.imm, MIN(size, 4u)));
    return rc ? rc : emul_done(e);
}

/* A0-A3: AL/eAX and an absolute offset. */
static int emul_mov_moffs(struct emul *e)
{
    unsigned int size = e->insn.op_size;
    uint64_t v;
    int rc;

    if (e->insn.opcode & 2) {
        rc = emul_rm_write(e, size, emul_reg_read(e, 0, size));
        return rc ? rc : emul_done(e);
    }
    rc = emul_rm_read(e, size, &v);
    if (rc)
        return rc;
    emul_reg_write(e, 0, size, v);
    return emul_done(e);
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX, 63 MOVSXD: the source is 1, 2 or 4 bytes. */
static int emul_movx(struct emul *e)
{
    uint8_t op = e->insn.opcode;
    unsigned int src = op == 0x63 ? 4 : (op & 1) ? 2 : 1;
    uint64_t v;
    int rc;

    if (op == 0x63 && e->st->mode != X86_MODE_64)
        return X86EMUL_UNHANDLEABLE;   /* ARPL */
    src = MIN(src, (unsigned int)e->insn.op_size);
    rc = emul_rm_read(e, src, &v);
    if (rc)
        return rc;
    if (op == 0x63 || op >= 0xbe)
        v = emul_sext(v, src);
    emul_reg_write(e, e->insn.modrm_reg, e->insn.op_size, v);
    return emul_done(e);
}

/* 0F C3 MOVNTI: a store of a 32/64-bit register to memory only. */
static int emul_movnti(struct emul *e)
{
    unsigned int size = e->insn.op_size;
    int rc;

    if (!e->insn.mem || size == 2)
        return emul_exception(e, X86_EXC_UD, false, 0);
    rc = emul_rm_write(e, size, emul_reg_read(e, e->insn.modrm_reg, size));
    return rc ? rc : emul_done(e);
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static const emul_handler emul_onebyte[256] = {
    [0x00 ... 0x05] = emul_alu_rm, [0x08 ... 0x0d] = emul_alu_rm,
    [0x10 ... 0x15] = emul_alu_rm, [0x18 ... 0x1d] = emul_alu_rm,
    [0x20 ... 0x25] = emul_alu_rm, [0x28 ... 0x2d] = emul_alu_rm,
    [0x30 ... 0x35] = emul_alu_rm, [0x38 ... 0x3d] = emul_alu_rm,
    [0x63] = emul_movx,
    [0x80 ... 0x83] = emul_grp1,
    [0x84 ... 0x85] = emul_test, [0x86 ... 0x87] = emul_xchg,
    [0x88 ... 0x8b] = emul_mov,
    [0xa0 ... 0xa3] = emul_mov_moffs,
    [0xa4 ... 0xa7] = emul_string, [0xaa ... 0xad] = emul_string,
    [0xc6 ... 0xc7] = emul_mov_imm,
    [0xf6 ... 0xf7] = emul_grp3,
    [0xfe ... 0xff] = emul_incdec,
};

static const emul_handler emul_twobyte[256] = {
    [0x10 ... 0x11] = emul_sse_move, [0x28 ... 0x29] = emul_sse_move,
    [0x6f] = emul_sse_move, [0x7f] = emul_sse_move,
    [0xa3] = emul_bt_reg, [0xab] = emul_bt_reg, [0xb3] = emul_bt_reg, [0xbb] = emul_bt_reg,
    [0xba] = emul_bt_imm,
    [0xb0 ... 0xb1] = emul_cmpxchg,
    [0xb6 ... 0xb7] = emul_movx, [0xbe ... 0xbf] = emul_movx,
    [0xc3] = emul_movnti,
};

/*
 * Which ModRM.reg values of each opcode may take LOCK (bit n: /n), for the memory form only:
 * the read-modify-write instructions. Everything else with LOCK raises #UD.
 */
struct emul_lockable {
    uint8_t map, opcode, regs;
};

static const struct emul_lockable emul_lockables[] = {
    { 0, 0x00, 0xff }, { 0, 0x01, 0xff }, { 0, 0x08, 0xff }, { 0, 0x09, 0xff },
    { 0, 0x10, 0xff }, { 0, 0x11, 0xff }, { 0, 0x18, 0xff }, { 0, 0x19, 0xff },
    { 0, 0x20, 0xff }, { 0, 0x21, 0xff }, { 0, 0x28, 0xff }, { 0, 0x29, 0xff },
    { 0, 0x30, 0xff }, { 0, 0x31, 0xff },
    { 0, 0x80, 0x7f }, { 0, 0x81, 0x7f }, { 0, 0x82, 0x7f }, { 0, 0x83, 0x7f },
    { 0, 0x86, 0xff }, { 0, 0x87, 0xff },
    { 0, 0xf6, 0x0c }, { 0, 0xf7, 0x0c }, { 0, 0xfe, 0x03 }, { 0, 0xff, 0x03 },
    { 1, 0xab, 0xff }, { 1, 0xb3, 0xff }, { 1, 0xbb, 0xff }, { 1, 0xba, 0xe0 },
    { 1, 0xb0, 0xff }, { 1, 0xb1, 0xff }, { 1, 0xc7, 0x02 },
};

static bool emul_lock_ok(const struct x86_insn *insn)
{
    if (!insn->mem || insn->vex || !insn->has_modrm)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(emul_lockables); i++) {
        const struct emul_lockable *l = &emul_lockables[i];
        if (l->map == insn->map && l->opcode == insn->opcode)
            return l->regs & (1u << (insn->modrm_reg & 7));
    }
    return false;
}

/* The memory operand's offset and segment: BP/SP-based references default to SS. */
static void emul_address(struct emul *e)
{
    const struct x86_insn *insn = &e->insn;
    uint64_t a = (uint64_t)insn->disp;

    if (insn->rip_relative)
        a += e->next_rip;
    if (insn->base != X86_REG_NONE)
        a += e->st->gpr[insn->base];
    if (insn->index != X86_REG_NONE)
        a += e->st->gpr[insn->index] * insn->scale;
    e->ea = a & emul_mask(insn->addr_size);
    e->seg = insn->seg != X86_SEG_NONE ? insn->seg
           : (insn->base == 4 || insn->base == 5) ? X86_SEG_SS : X86_SEG_DS;
}

static emul_handler emul_lookup(const struct x86_insn *insn)
{
    if (insn->vex)
        return insn->map == 1 ? emul_vex : NULL;
    if (insn->map == 0)
        return emul_onebyte[insn->opcode];
    return insn->map == 1 ? emul_twobyte[insn->opcode] : NULL;
}

int x86_emulate(struct x86_emul_state *st, const struct x86_emul_ops *ops, void *ctx,
                const uint8_t *bytes, size_t len)
{
    struct emul e = { .st = st, .ops = ops, .ctx = ctx, .bytes = bytes };
    emul_handler h;

    if (x86_decode(bytes, len, st->mode, &e.insn))
        return X86EMUL_UNHANDLEABLE;
    h = emul_lookup(&e.insn);
    if (!h)
        return X86EMUL_UNHANDLEABLE;
    if (e.insn.lock && !emul_lock_ok(&e.insn))
        return emul_exception(&e, X86_EXC_UD, false, 0);
    e.next_rip = st->rip + e.insn.len;
    if (e.insn.mem)
        emul_address(&e);
    return h(&e);
}
