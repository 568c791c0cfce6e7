/*
 * x86 instruction decoder: prefixes, opcode maps, ModRM/SIB/displacement and immediates, for
 * 16-, 32- and 64-bit code. Each opcode's shape (ModRM or not, immediate kind, operand-size
 * rules, validity) comes from a table: one 16-bit attribute word per opcode for the one-byte and
 * 0F maps; 0F 38 and 0F 3A are uniform; VEX/EVEX follow their own small rules. Where the two
 * vendors differ in length (66 on near branches in 64-bit mode), this decodes as Intel does.
 * Opcodes whose ModRM.reg picks the instruction are checked against x86_groups.
 */
#include <keel/x86_decode.h>

/* Immediate kinds (attribute bits 3:0). */
#define X86_IMM_NONE  0
#define X86_IMM_B     1     /* imm8 */
#define X86_IMM_W     2     /* imm16 */
#define X86_IMM_Z     3     /* imm16 or imm32 by operand size, never 64 */
#define X86_IMM_V     4     /* imm16/32/64 by operand size: MOV reg, imm (B8-BF) */
#define X86_IMM_WB    5     /* imm16 then imm8: ENTER */
#define X86_IMM_P     6     /* far pointer: offset (like Z) then a 16-bit selector */
#define X86_IMM_MOFFS 7     /* an address-sized absolute offset (MOV A0-A3): a memory operand */
#define X86_IMM_BB    8     /* imm8 twice: EXTRQ/INSERTQ */
#define X86_A_IMM     0x000fu

#define X86_A_MODRM   0x0010u
#define X86_A_BYTE    0x0020u   /* byte operands: op_size 1 */
#define X86_A_INV64   0x0040u   /* #UD in 64-bit mode */
#define X86_A_D64     0x0080u   /* stack operation: 64-bit by default in 64-bit mode, 66 gives 16 */
#define X86_A_F64     0x0100u   /* near branch: 64-bit operand in 64-bit mode, 66 ignored (Intel) */
#define X86_A_UD      0x0200u   /* #UD in every mode */
#define X86_A_IO      0x0400u   /* port I/O: REX.W is ignored, operands are at most 32-bit */
#define X86_A_CRDR    0x0800u   /* MOV CR/DR: ModRM.mod is ignored, operands 32- or 64-bit */
#define X86_A_GROUP   0x1000u   /* ModRM.reg selects the instruction: see x86_groups */
#define X86_A_PREFIX  0x2000u   /* a legacy prefix (one-byte map only) */
#define X86_A_MPFX    0x4000u   /* depends on a mandatory prefix: see x86_twobyte_prefixed */

/* Short names for the tables only. */
#define MR  X86_A_MODRM
#define BY  X86_A_BYTE
#define I64 X86_A_INV64
#define D64 X86_A_D64
#define F64 X86_A_F64
#define UD  X86_A_UD
#define IO  X86_A_IO
#define GRP X86_A_GROUP
#define PFX X86_A_PREFIX
#define IB  X86_IMM_B
#define IW  X86_IMM_W
#define IZ  X86_IMM_Z
#define IV  X86_IMM_V
#define MO  X86_IMM_MOFFS
#define WB  X86_IMM_WB
#define FP  X86_IMM_P
#define CR  X86_A_CRDR
#define MP  X86_A_MPFX

/* The one-byte map. 0F, VEX (C4/C5), EVEX (62) and XOP (8F) are recognised before it is read. */
static const uint16_t x86_onebyte[256] = {
/*       +0        +1      +2            +3      +4      +5      +6            +7 */
/* 00 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     I64,          I64,
/* 08 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     I64,          0,
/* 10 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     I64,          I64,
/* 18 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     I64,          I64,
/* 20 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     PFX,          I64,
/* 28 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     PFX,          I64,
/* 30 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     PFX,          I64,
/* 38 */ MR|BY,    MR,     MR|BY,        MR,     IB|BY,  IZ,     PFX,          I64,
/* 40 */ 0,        0,      0,            0,      0,      0,      0,            0,
/* 48 */ 0,        0,      0,            0,      0,      0,      0,            0,
/* 50 */ D64,      D64,    D64,          D64,    D64,    D64,    D64,          D64,
/* 58 */ D64,      D64,    D64,          D64,    D64,    D64,    D64,          D64,
/* 60 */ I64,      I64,    MR|I64,       MR,     PFX,    PFX,    PFX,          PFX,
/* 68 */ IZ|D64,   MR|IZ,  IB|D64,       MR|IB,  BY,     IO,     BY,           IO,
/* 70 */ IB|F64,   IB|F64, IB|F64,       IB|F64, IB|F64, IB|F64, IB|F64,       IB|F64,
/* 78 */ IB|F64,   IB|F64, IB|F64,       IB|F64, IB|F64, IB|F64, IB|F64,       IB|F64,
/* 80 */ MR|BY|IB, MR|IZ,  MR|BY|IB|I64, MR|IB,  MR|BY,  MR,     MR|BY,        MR,
/* 88 */ MR|BY,    MR,     MR|BY,        MR,     MR,     MR|GRP, MR,           MR|D64|GRP,
/* 90 */ 0,        0,      0,            0,      0,      0,      0,            0,
/* 98 */ 0,        0,      FP|I64,       0,      D64,    D64,    0,            0,
/* a0 */ MO|BY,    MO,     MO|BY,        MO,     BY,     0,      BY,           0,
/* a8 */ IB|BY,    IZ,     BY,           0,      BY,     0,      BY,           0,
/* b0 */ IB|BY,    IB|BY,  IB|BY,        IB|BY,  IB|BY,  IB|BY,  IB|BY,        IB|BY,
/* b8 */ IV,       IV,     IV,           IV,     IV,     IV,     IV,           IV,
/* c0 */ MR|BY|IB, MR|IB,  IW|F64,       F64,    MR|I64, MR|I64, MR|BY|IB|GRP, MR|IZ|GRP,
/* c8 */ WB|D64,   D64,    IW,           0,      0,      IB,     I64,          0,
/* d0 */ MR|BY,    MR,     MR|BY,        MR,     IB|I64, IB|I64, I64,          0,
/* d8 */ MR,       MR,     MR,           MR,     MR,     MR,     MR,           MR,
/* e0 */ IB|F64,   IB|F64, IB|F64,       IB|F64, IB|BY,  IB|IO,  IB|BY,        IB|IO,
/* e8 */ IZ|F64,   IZ|F64, FP|I64,       IB|F64, BY,     IO,     BY,           IO,
/* f0 */ PFX,      0,      PFX,          PFX,    0,      0,      MR|BY|GRP,    MR|GRP,
/* f8 */ 0,        0,      0,            0,      0,      0,      MR|BY|GRP,    MR|GRP,
};

/* The 0F map. 0F 38 and 0F 3A are escapes to their own maps; 0F 0F is 3DNow! (its imm8 is the
 * real opcode). */
static const uint16_t x86_twobyte[256] = {
/*       +0         +1      +2         +3      +4      +5      +6      +7 */
/* 00 */ MR,        MR,     MR,        MR,     UD,     0,      0,      0,
/* 08 */ 0,         0,      UD,        UD,     UD,     MR,     0,      MR|IB,
/* 10 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 18 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 20 */ MR|CR,     MR|CR,  MR|CR,     MR|CR,  UD,     UD,     UD,     UD,
/* 28 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 30 */ 0,         0,      0,         0,      0,      0,      UD,     0,
/* 38 */ 0,         UD,     0,         UD,     UD,     UD,     UD,     UD,
/* 40 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 48 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 50 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 58 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 60 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 68 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* 70 */ MR|IB,     MR|IB,  MR|IB,     MR|IB,  MR,     MR,     MR,     0,
/* 78 */ MR|F64|MP, MR|F64, UD,        UD,     MR,     MR,     MR,     MR,
/* 80 */ IZ|F64,    IZ|F64, IZ|F64,    IZ|F64, IZ|F64, IZ|F64, IZ|F64, IZ|F64,
/* 88 */ IZ|F64,    IZ|F64, IZ|F64,    IZ|F64, IZ|F64, IZ|F64, IZ|F64, IZ|F64,
/* 90 */ MR|BY,     MR|BY,  MR|BY,     MR|BY,  MR|BY,  MR|BY,  MR|BY,  MR|BY,
/* 98 */ MR|BY,     MR|BY,  MR|BY,     MR|BY,  MR|BY,  MR|BY,  MR|BY,  MR|BY,
/* a0 */ D64,       D64,    0,         MR,     MR|IB,  MR,     MR,     MR,
/* a8 */ D64,       D64,    0,         MR,     MR|IB,  MR,     MR,     MR,
/* b0 */ MR|BY,     MR,     MR|GRP,    MR,     MR|GRP, MR|GRP, MR,     MR,
/* b8 */ MR|MP,     UD,     MR|IB|GRP, MR,     MR,     MR,     MR,     MR,
/* c0 */ MR|BY,     MR,     MR|IB,     MR,     MR|IB,  MR|IB,  MR|IB,  MR,
/* c8 */ 0,         0,      0,         0,      0,      0,      0,      0,
/* d0 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* d8 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* e0 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* e8 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* f0 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     MR,
/* f8 */ MR,        MR,     MR,        MR,     MR,     MR,     MR,     UD,
};

#undef MR
#undef BY
#undef I64
#undef D64
#undef F64
#undef UD
#undef IO
#undef GRP
#undef PFX
#undef IB
#undef IW
#undef IZ
#undef IV
#undef MO
#undef WB
#undef FP
#undef CR
#undef MP

/*
 * Opcodes where ModRM.reg selects the instruction: which reg values exist (with a memory and
 * with a register operand), which are near branches or stack operations, which take an
 * immediate. alt_modrm is one more complete ModRM byte that exists (XABORT, XBEGIN), 0 if none.
 */
struct x86_group {
    uint8_t map, opcode;
    uint8_t mem_ok, reg_ok;
    uint8_t f64, d64;
    uint8_t imm_regs, imm;
    uint8_t alt_modrm;
};

static const struct x86_group x86_groups[] = {
    /* map, opcode, mem_ok, reg_ok, f64, d64, imm_regs, imm, alt_modrm */
    { 0, 0x8d, 0xff, 0x00, 0, 0, 0, 0, 0 },                       /* LEA */
    { 0, 0x8f, 0x01, 0x01, 0, 0, 0, 0, 0 },                       /* POP */
    { 0, 0xc6, 0x01, 0x01, 0, 0, 0, 0, 0xf8 },                    /* MOV, XABORT */
    { 0, 0xc7, 0x01, 0x01, 0, 0, 0, 0, 0xf8 },                    /* MOV, XBEGIN */
    { 0, 0xf6, 0xff, 0xff, 0, 0, 0x03, X86_IMM_B, 0 },            /* TEST (/0, /1) has an imm */
    { 0, 0xf7, 0xff, 0xff, 0, 0, 0x03, X86_IMM_Z, 0 },
    { 0, 0xfe, 0x03, 0x03, 0, 0, 0, 0, 0 },                       /* INC, DEC */
    { 0, 0xff, 0x7f, 0x57, 0x14, 0x40, 0, 0, 0 },   /* far CALL/JMP need memory; CALL, JMP, PUSH */
    { 1, 0xb2, 0xff, 0x00, 0, 0, 0, 0, 0 },                       /* LSS */
    { 1, 0xb4, 0xff, 0x00, 0, 0, 0, 0, 0 },                       /* LFS */
    { 1, 0xb5, 0xff, 0x00, 0, 0, 0, 0, 0 },                       /* LGS */
    { 1, 0xba, 0xf0, 0xf0, 0, 0, 0, 0, 0 },                       /* BT, BTS, BTR, BTC */
};

/* VEX/EVEX 0F opcodes with an imm8 (PSHUF*, shift groups, CMPPS, PINSRW, PEXTRW, SHUFPS). */
static const uint32_t x86_vex_0f_imm8[8] = { 0, 0, 0, 0x000f0000, 0, 0, 0x00000074, 0 };

/* The maps each form can select, as bitmaps of its map field; EVEX adds AVX512-FP16's 5 and 6. */
#define X86_VEX_MAPS  0x0eu
#define X86_EVEX_MAPS 0x6eu

/* REX bits, also filled in from VEX/EVEX. */
#define X86_REX_B 0x1u
#define X86_REX_X 0x2u
#define X86_REX_R 0x4u
#define X86_REX_W 0x8u

struct x86_dec {
    const uint8_t *buf;
    size_t avail, pos;
    enum x86_cpu_mode mode;
    struct x86_insn *insn;
    uint16_t attr;
    uint8_t ext;            /* REX.WRXB, from REX or VEX/EVEX */
    uint8_t modrm;
    bool addr_prefix;       /* 67 */
};

/* The byte at pos + off: -EINVAL if that would make the instruction longer than 15 bytes,
 * -EAGAIN if the caller has not supplied it yet. */
static int x86_peek(const struct x86_dec *d, size_t off, uint8_t *b)
{
    size_t i = d->pos + off;

    if (i >= X86_MAX_INSN_LEN)
        return -EINVAL;
    if (i >= d->avail)
        return -EAGAIN;
    *b = d->buf[i];
    return 0;
}

static int x86_fetch(struct x86_dec *d, uint8_t *b)
{
    int rc = x86_peek(d, 0, b);

    if (!rc)
        d->pos++;
    return rc;
}

/* n (<= 8) little-endian bytes. */
static int x86_fetch_le(struct x86_dec *d, unsigned int n, uint64_t *v)
{
    uint8_t b;

    *v = 0;
    for (unsigned int i = 0; i < n; i++) {
        int rc = x86_fetch(d, &b);
        if (rc)
            return rc;
        *v |= (uint64_t)b << (8 * i);
    }
    return 0;
}

static bool x86_bit(const uint32_t *map, uint8_t n)
{
    return map[n >> 5] & (1u << (n & 31));
}

static void x86_legacy_prefix(struct x86_dec *d, uint8_t b)
{
    struct x86_insn *insn = d->insn;

    if (b == 0xf0)
        insn->lock = true;
    else if (b == 0xf2 || b == 0xf3) {
        /* of F2 and F3, the last one counts */
        insn->repne = b == 0xf2;
        insn->rep = b == 0xf3;
    } else if (b == 0x66)
        insn->opsize_prefix = true;
    else if (b == 0x67)
        d->addr_prefix = true;
    else    /* 26 2E 36 3E are ES CS SS DS in bits 4:3; 64 65 are FS GS */
        insn->seg = (b & 0xf0) == 0x60 ? (enum x86_seg)(X86_SEG_FS + (b & 1))
                                       : (enum x86_seg)((b >> 3) & 3);
}

/* A REX counts only as the last prefix before the opcode: a legacy prefix after it voids it. */
static int x86_prefixes(struct x86_dec *d)
{
    struct x86_insn *insn = d->insn;
    uint8_t b;

    for (;;) {
        int rc = x86_peek(d, 0, &b);
        if (rc)
            return rc;
        if (d->mode == X86_MODE_64 && (b & 0xf0) == 0x40)
            insn->rex = b;
        else if (x86_onebyte[b] & X86_A_PREFIX) {
            x86_legacy_prefix(d, b);
            insn->rex = 0;
        } else
            break;
        d->pos++;
    }
    d->ext = insn->rex & 0xf;
    return 0;
}

static int x86_escape(struct x86_dec *d)
{
    struct x86_insn *insn = d->insn;
    uint8_t b;
    int rc;

    d->pos++;
    rc = x86_fetch(d, &b);
    if (rc)
        return rc;
    if (b == 0x38 || b == 0x3a) {
        /* every 0F 38 opcode has a ModRM, every 0F 3A opcode a ModRM and an imm8 */
        insn->map = b == 0x38 ? 2 : 3;
        d->attr = X86_A_MODRM | (b == 0x3a ? X86_IMM_B : X86_IMM_NONE);
        return x86_fetch(d, &insn->opcode);
    }
    insn->map = 1;
    insn->opcode = b;
    d->attr = x86_twobyte[b];
    return 0;
}

/*
 * C4, C5 and 62 start VEX/EVEX in 64-bit mode; elsewhere only when the next byte has its top
 * two bits set, which as a ModRM would be a register operand that LES, LDS and BOUND cannot
 * take. 8F starts XOP when the next byte's map field is 8 or more (POP has ModRM.reg 0).
 */
static int x86_is_vex(const struct x86_dec *d, uint8_t b)
{
    uint8_t next;
    int rc = x86_peek(d, 1, &next);

    if (rc)
        return rc;
    if (b == 0x8f)
        return (next & 0x1f) >= 8;
    return d->mode == X86_MODE_64 || (next & 0xc0) == 0xc0;
}

/* VEX2 (C5): R vvvv L pp, map 0F. */
static int x86_vex2(struct x86_dec *d, const uint8_t *p)
{
    d->ext = ((uint8_t)~p[0] >> 5) & X86_REX_R;
    d->insn->map = 1;
    return 0;
}

/* VEX3 (C4): R X B mmmmm, W vvvv L pp. */
static int x86_vex3(struct x86_dec *d, const uint8_t *p)
{
    uint8_t map = p[0] & 0x1f;

    if (!(X86_VEX_MAPS & (1u << map)))
        return -EINVAL;
    d->ext = (((uint8_t)~p[0] >> 5) & 7) | (p[1] & 0x80 ? X86_REX_W : 0);
    d->insn->map = map;
    return 0;
}

/* EVEX (62): R X B R' 0 mmm, W vvvv 1 pp, z L'L b V' aaa. */
static int x86_evex(struct x86_dec *d, const uint8_t *p)
{
    uint8_t map = p[0] & 7;

    if ((p[0] & 0x08) || !(p[1] & 0x04) || !(X86_EVEX_MAPS & (1u << map)))
        return -EINVAL;
    d->ext = (((uint8_t)~p[0] >> 5) & 7) | (p[1] & 0x80 ? X86_REX_W : 0);
    d->insn->map = map;
    return 0;
}

/* Every VEX/EVEX opcode has a ModRM except VZEROUPPER/VZEROALL (VEX 0F 77). */
static int x86_vex_opcode(struct x86_dec *d, uint8_t prefix)
{
    struct x86_insn *insn = d->insn;
    int rc = x86_fetch(d, &insn->opcode);

    if (rc)
        return rc;
    insn->vex = true;
    if (d->mode != X86_MODE_64)
        d->ext = 0;     /* R and X are 1s there (checked above); B and W do not extend */
    d->attr = X86_A_MODRM;
    if (insn->map == 1 && insn->opcode == 0x77 && prefix != 0x62)
        d->attr = 0;
    if (insn->map == 3 || (insn->map == 1 && x86_bit(x86_vex_0f_imm8, insn->opcode)))
        d->attr |= X86_IMM_B;
    return 0;
}

static int x86_vex(struct x86_dec *d, uint8_t b)
{
    const struct x86_insn *insn = d->insn;
    uint8_t p[3];
    size_t n = b == 0xc5 ? 1 : b == 0xc4 ? 2 : 3;
    int rc;

    if (b == 0x8f)
        return -EINVAL;     /* XOP (AMD only) is not decoded */
    if (insn->lock || insn->rep || insn->repne || insn->opsize_prefix || insn->rex)
        return -EINVAL;     /* #UD: these may not precede VEX/EVEX */
    for (size_t i = 0; i < n; i++) {
        rc = x86_peek(d, 1 + i, &p[i]);
        if (rc)
            return rc;
    }
    rc = b == 0xc5 ? x86_vex2(d, p) : b == 0xc4 ? x86_vex3(d, p) : x86_evex(d, p);
    if (rc)
        return rc;
    d->pos += 1 + n;
    return x86_vex_opcode(d, b);
}

static int x86_opcode(struct x86_dec *d)
{
    struct x86_insn *insn = d->insn;
    uint8_t b;
    int rc = x86_peek(d, 0, &b);

    if (rc)
        return rc;
    if (b == 0x0f)
        return x86_escape(d);
    if (b == 0xc4 || b == 0xc5 || b == 0x62 || b == 0x8f) {
        rc = x86_is_vex(d, b);
        if (rc < 0)
            return rc;
        if (rc)
            return x86_vex(d, b);
    }
    d->pos++;
    insn->map = 0;
    insn->opcode = b;
    d->attr = x86_onebyte[b];
    return 0;
}

/* 0F 78 is VMREAD, or with 66/F2 the SSE4a EXTRQ/INSERTQ with two imm8s; 0F B8 is POPCNT with
 * F3 and otherwise JMPE, which only IA-64 processors had. */
static int x86_twobyte_prefixed(struct x86_dec *d)
{
    const struct x86_insn *insn = d->insn;

    if (insn->opcode == 0x78 && (insn->opsize_prefix || insn->repne))
        d->attr = (d->attr & ~(X86_A_IMM | X86_A_F64)) | X86_IMM_BB;
    if (insn->opcode == 0xb8 && !insn->rep)
        return -EINVAL;
    return 0;
}

static const uint8_t x86_mem16_base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const uint8_t x86_mem16_index[8] = { 6, 7, 6, 7, X86_REG_NONE, X86_REG_NONE,
                                            X86_REG_NONE, X86_REG_NONE };

static int x86_disp(struct x86_dec *d, unsigned int n)
{
    uint64_t v;
    int rc = x86_fetch_le(d, n, &v);

    if (rc || !n)
        return rc;
    /* sign-extend from n bytes */
    d->insn->disp = (int64_t)(v << (64 - 8 * n)) >> (64 - 8 * n);
    return 0;
}

/* 16-bit addressing: [BX+SI], [BX+DI], [BP+SI], [BP+DI], [SI], [DI], [BP] (mod 0: disp16), [BX]. */
static int x86_mem16(struct x86_dec *d, uint8_t mod, uint8_t rm)
{
    struct x86_insn *insn = d->insn;

    if (mod == 0 && rm == 6)
        return x86_disp(d, 2);
    insn->base = x86_mem16_base[rm];
    insn->index = x86_mem16_index[rm];
    return x86_disp(d, mod == 1 ? 1 : mod == 2 ? 2 : 0);
}

/* SIB: index 4 (without REX.X) means none; base 5 (whatever REX.B) with mod 0 means disp32. */
static int x86_sib(struct x86_dec *d, uint8_t mod, unsigned int *disp)
{
    struct x86_insn *insn = d->insn;
    uint8_t sib, index;
    int rc = x86_fetch(d, &sib);

    if (rc)
        return rc;
    insn->scale = 1u << (sib >> 6);
    index = ((sib >> 3) & 7) | (d->ext & X86_REX_X ? 8 : 0);
    if (index != 4)
        insn->index = index;
    if ((sib & 7) == 5 && mod == 0)
        *disp = 4;
    else
        insn->base = (sib & 7) | (d->ext & X86_REX_B ? 8 : 0);
    return 0;
}

/* 32/64-bit addressing. rm 5 with mod 0 is disp32: absolute, or RIP-relative in 64-bit mode. */
static int x86_mem32(struct x86_dec *d, uint8_t mod, uint8_t rm)
{
    struct x86_insn *insn = d->insn;
    unsigned int disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    int rc;

    if (rm == 4) {
        rc = x86_sib(d, mod, &disp);
        if (rc)
            return rc;
    } else if (mod == 0 && rm == 5) {
        disp = 4;
        insn->rip_relative = d->mode == X86_MODE_64;
    } else
        insn->base = rm | (d->ext & X86_REX_B ? 8 : 0);
    return x86_disp(d, disp);
}

static int x86_modrm(struct x86_dec *d)
{
    struct x86_insn *insn = d->insn;
    uint8_t mod, rm;
    int rc = x86_fetch(d, &d->modrm);

    if (rc)
        return rc;
    mod = d->modrm >> 6;
    rm = d->modrm & 7;
    if (d->attr & X86_A_CRDR)
        mod = 3;
    insn->has_modrm = true;
    insn->modrm_mod = mod;
    insn->modrm_reg = ((d->modrm >> 3) & 7) | (d->ext & X86_REX_R ? 8 : 0);
    insn->modrm_rm = rm | (d->ext & X86_REX_B ? 8 : 0);
    if (mod == 3)
        return 0;
    insn->mem = true;
    return insn->addr_size == 2 ? x86_mem16(d, mod, rm) : x86_mem32(d, mod, rm);
}

static const struct x86_group *x86_find_group(uint8_t map, uint8_t opcode)
{
    for (size_t i = 0; i < ARRAY_SIZE(x86_groups); i++)
        if (x86_groups[i].map == map && x86_groups[i].opcode == opcode)
            return &x86_groups[i];
    return NULL;
}

/* Checks ModRM.reg against the group's members and takes on that member's attributes. */
static int x86_group(struct x86_dec *d)
{
    const struct x86_group *g = x86_find_group(d->insn->map, d->insn->opcode);
    uint8_t bit = 1u << ((d->modrm >> 3) & 7);
    bool alt;

    if (!g)
        return 0;
    alt = g->alt_modrm && d->modrm == g->alt_modrm;
    if (!((d->insn->modrm_mod == 3 ? g->reg_ok : g->mem_ok) & bit) && !alt)
        return -EINVAL;
    if (g->f64 & bit)
        d->attr |= X86_A_F64;
    if (g->d64 & bit)
        d->attr |= X86_A_D64;
    if (g->imm_regs & bit)
        d->attr = (d->attr & ~X86_A_IMM) | g->imm;
    return 0;
}

static uint8_t x86_op_size(const struct x86_dec *d)
{
    const struct x86_insn *insn = d->insn;
    bool m64 = d->mode == X86_MODE_64;

    if (d->attr & X86_A_BYTE)
        return 1;
    if (d->attr & X86_A_CRDR)
        return m64 ? 8 : 4;
    if (m64 && (d->attr & X86_A_F64))
        return 8;
    if ((d->ext & X86_REX_W) && !(d->attr & X86_A_IO))
        return 8;
    if (insn->vex)
        return 4;   /* VEX/EVEX general-register operands ignore the default size */
    if (m64 && (d->attr & X86_A_D64))
        return insn->opsize_prefix ? 2 : 8;
    return (d->mode == X86_MODE_16) != insn->opsize_prefix ? 2 : 4;
}

/* Sizes of the first immediate and of all immediates together. */
static void x86_imm_sizes(const struct x86_dec *d, unsigned int *first, unsigned int *total)
{
    unsigned int z = d->insn->op_size == 2 ? 2 : 4;
    static const uint8_t fixed[][2] = {
        [X86_IMM_NONE] = { 0, 0 }, [X86_IMM_B] = { 1, 1 }, [X86_IMM_W] = { 2, 2 },
        [X86_IMM_WB] = { 2, 3 }, [X86_IMM_BB] = { 1, 2 },
    };
    unsigned int kind = d->attr & X86_A_IMM;

    if (kind == X86_IMM_Z || kind == X86_IMM_P) {
        *first = z;
        *total = kind == X86_IMM_P ? z + 2 : z;
    } else if (kind == X86_IMM_V) {
        *first = *total = d->insn->op_size;
    } else {
        *first = fixed[kind][0];
        *total = fixed[kind][1];
    }
}

static int x86_immediate(struct x86_dec *d)
{
    struct x86_insn *insn = d->insn;
    unsigned int first, total;
    uint64_t rest;
    int rc;

    if ((d->attr & X86_A_IMM) == X86_IMM_MOFFS) {
        insn->mem = true;
        rc = x86_fetch_le(d, insn->addr_size, &insn->imm);
        insn->disp = (int64_t)insn->imm;
        insn->imm = 0;
        return rc;
    }
    x86_imm_sizes(d, &first, &total);
    insn->imm_size = total;
    rc = x86_fetch_le(d, first, &insn->imm);
    return rc ? rc : x86_fetch_le(d, total - first, &rest);
}

static int x86_operands(struct x86_dec *d)
{
    static const uint8_t addr_size[3][2] = { { 2, 4 }, { 4, 2 }, { 8, 4 } };  /* [mode][67] */
    struct x86_insn *insn = d->insn;
    int rc = 0;

    if ((d->attr & X86_A_UD) || ((d->attr & X86_A_INV64) && d->mode == X86_MODE_64))
        return -EINVAL;
    if (d->attr & X86_A_MPFX)
        rc = x86_twobyte_prefixed(d);
    insn->addr_size = addr_size[d->mode][d->addr_prefix];
    if (!rc && (d->attr & X86_A_MODRM))
        rc = x86_modrm(d);
    if (!rc && (d->attr & X86_A_GROUP))
        rc = x86_group(d);
    if (rc)
        return rc;
    insn->op_size = x86_op_size(d);
    return x86_immediate(d);
}

int x86_decode(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, struct x86_insn *insn)
{
    struct x86_dec d = { .buf = bytes, .avail = avail, .mode = mode, .insn = insn };
    int rc;

    *insn = (struct x86_insn){ .seg = X86_SEG_NONE, .base = X86_REG_NONE,
                               .index = X86_REG_NONE, .scale = 1 };
    rc = x86_prefixes(&d);
    if (!rc)
        rc = x86_opcode(&d);
    if (!rc)
        rc = x86_operands(&d);
    if (rc)
        return rc;
    insn->len = (uint8_t)d.pos;
    return 0;
}
