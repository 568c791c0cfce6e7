/*
 * The vector moves compilers emit for memcpy/memset into framebuffers: MOVUPS/MOVAPS (and the
 * 66 forms MOVUPD/MOVAPD), MOVDQU/MOVDQA, VEX VMOVDQU/VMOVDQA in 128 and 256 bits. Registers are
 * byte images in st->xmm; nothing here executes a vector instruction (the hypervisor is built
 * with -mgeneral-regs-only), bytes are only copied.
 */
#include <keel/string.h>
#include "emulate_priv.h"

struct emul_vmove {
    unsigned int size;      /* 16 or 32 bytes */
    bool store;             /* register to r/m */
    bool aligned;           /* #GP(0) unless the address is a multiple of size */
    bool zero_upper;        /* VEX: a register destination's bytes above size become 0 */
};

static int emul_vmove_mem(struct emul *e, const struct emul_vmove *m, uint8_t *reg)
{
    uint64_t linear;
    int rc = emul_linear(e, e->seg, e->ea, m->size, m->store, &linear);

    if (rc)
        return rc;
    if (m->aligned && (linear & (m->size - 1)))
        return emul_exception(e, X86_EXC_GP, true, 0);
    if (m->store)
        return emul_mem_write(e, e->seg, e->ea, reg, m->size);
    rc = emul_mem_read(e, e->seg, e->ea, reg, m->size);
    if (!rc && m->zero_upper)
        memset(reg + m->size, 0, sizeof(e->st->xmm[0]) - m->size);
    return rc;
}

/* Outside 64-bit mode only XMM0-7 exist; the decoder leaves REX bits clear there. */
static int emul_vmove(struct emul *e, const struct emul_vmove *m)
{
    uint8_t *reg = e->st->xmm[e->insn.modrm_reg & 15];
    uint8_t *rm = e->st->xmm[e->insn.modrm_rm & 15];
    uint8_t *dst = m->store ? rm : reg, *src = m->store ? reg : rm;
    int rc;

    if (e->insn.mem) {
        rc = emul_vmove_mem(e, m, reg);
        return rc ? rc : emul_done(e);
    }
    memmove(dst, src, m->size);
    if (m->zero_upper)
        memset(dst + m->size, 0, sizeof(e->st->xmm[0]) - m->size);
    return emul_done(e);
}

/* Legacy SSE needs CR0.EM clear and CR4.OSFXSR set (else #UD), CR0.TS clear (else #NM). */
static int emul_sse_usable(struct emul *e)
{
    if ((e->st->cr0 & X86_CR0_EM) || !(e->st->cr4 & X86_CR4_OSFXSR))
        return emul_exception(e, X86_EXC_UD, false, 0);
    if (e->st->cr0 & X86_CR0_TS)
        return emul_exception(e, X86_EXC_NM, false, 0);
    return X86EMUL_OK;
}

/* 0F 10/11/28/29 without F2/F3; 0F 6F/7F with 66 (aligned) or F3. The last of F2/F3 wins over 66. */
int emul_sse_move(struct emul *e)
{
    const struct x86_insn *insn = &e->insn;
    uint8_t op = insn->opcode;
    bool dq = op == 0x6f || op == 0x7f;
    struct emul_vmove m = { .size = 16, .store = op & 1 || op == 0x7f };
    int rc;

    if (insn->repne || (!dq && insn->rep) || (dq && !insn->rep && !insn->opsize_prefix))
        return X86EMUL_UNHANDLEABLE;   /* MOVSS/MOVSD, MMX MOVQ */
    m.aligned = dq ? !insn->rep : (op & 0xf8) == 0x28;
    rc = emul_sse_usable(e);
    return rc ? rc : emul_vmove(e, &m);
}

static bool emul_vex_skippable(uint8_t b)
{
    /* the only prefixes the decoder lets precede VEX: segment overrides and 67 */
    return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 ||
           b == 0x67;
}

/* VEX.L, pp and vvvv, which the decoder does not report. false for EVEX. */
static bool emul_vex_fields(struct emul *e)
{
    const uint8_t *p = e->bytes;
    size_t i = 0;
    uint8_t b;

    while (i < e->insn.len && emul_vex_skippable(p[i]))
        i++;
    if (i + 3 > e->insn.len || (p[i] != 0xc4 && p[i] != 0xc5))
        return false;
    b = p[i] == 0xc5 ? p[i + 1] : p[i + 2];
    e->vex_vvvv = (uint8_t)(~b >> 3) & 0xf;
    e->vex_l = (b >> 2) & 1;
    e->vex_pp = b & 3;
    return true;
}

/* VEX 0F 6F/7F: pp 2 (F3) VMOVDQU, pp 1 (66) VMOVDQA. vvvv must be unused (1111). */
int emul_vex(struct emul *e)
{
    struct emul_vmove m = { .zero_upper = true };
    uint8_t op = e->insn.opcode;

    if (!emul_vex_fields(e) || (op != 0x6f && op != 0x7f) || (e->vex_pp != 1 && e->vex_pp != 2))
        return X86EMUL_UNHANDLEABLE;
    if (e->vex_vvvv)
        return emul_exception(e, X86_EXC_UD, false, 0);
    if (e->st->cr0 & X86_CR0_TS)
        return emul_exception(e, X86_EXC_NM, false, 0);
    m.size = e->vex_l ? 32 : 16;
    m.store = op == 0x7f;
    m.aligned = e->vex_pp == 1;
    return emul_vmove(e, &m);
}
