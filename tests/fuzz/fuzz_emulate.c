/*
 * libFuzzer target for the x86 instruction emulator. The input supplies the mode, CPL, CR0/CR4
 * bits, RFLAGS, the registers (as small offsets into a 4 KiB buffer or raw values), segment
 * attributes and limits, a fault pattern for the memory callbacks, and finally the instruction
 * bytes, which sit in a heap copy of exactly their length. The callbacks serve a small buffer
 * and fault (#PF or unhandleable) when the access falls outside it or the pattern says so. A
 * REP instruction is resumed until it finishes, with a bound on the number of chunks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_shim.h"

#include "../../hv/x86/decode.c"
#include "../../hv/x86/emulate.c"
#include "../../hv/x86/emulate_alu.c"
#include "../../hv/x86/emulate_string.c"
#include "../../hv/x86/emulate_simd.c"

#define FUZZ_MEM 4096

struct fuzz_ctx {
    uint8_t mem[FUZZ_MEM];
    uint32_t fault_bits;    /* access n faults when bit n % 32 is set (and fault_on) */
    bool fault_on;
    unsigned int accesses;
};

static int fuzz_check(struct fuzz_ctx *c, uint64_t linear, unsigned int size)
{
    unsigned int n = c->accesses++;

    if (size == 0 || size > 32 || (linear >> 12) != ((linear + size - 1) >> 12))
        abort();    /* the emulator promised one page, 1 to 32 bytes */
    if (c->fault_on && (c->fault_bits >> (n % 32)) & 1)
        return n & 32 ? X86EMUL_UNHANDLEABLE : X86EMUL_PAGE_FAULT;
    return linear < FUZZ_MEM && linear + size <= FUZZ_MEM ? X86EMUL_OK : X86EMUL_PAGE_FAULT;
}

static int fuzz_read(void *ctx, enum x86_seg seg, uint64_t linear, void *buf, unsigned int size)
{
    struct fuzz_ctx *c = ctx;
    int rc = fuzz_check(c, linear, size);

    if (!rc)
        memcpy(buf, c->mem + linear, size);
    return rc;
}

static int fuzz_write(void *ctx, enum x86_seg seg, uint64_t linear, const void *buf,
                      unsigned int size)
{
    struct fuzz_ctx *c = ctx;
    int rc = fuzz_check(c, linear, size);

    if (!rc)
        memcpy(c->mem + linear, buf, size);
    return rc;
}

struct fuzz_input {
    uint8_t mode, cpl, cr_bits, gpr_raw;
    uint32_t fault_bits;
    uint64_t rflags;
    uint64_t gpr[16];
    uint32_t seg_attr[6], seg_limit[6];
    uint16_t seg_base[6];
};

static void fuzz_state(struct x86_emul_state *st, const struct fuzz_input *in)
{
    memset(st, 0, sizeof(*st));
    st->mode = (enum x86_cpu_mode)(in->mode % 3);
    st->cpl = in->cpl & 3;
    st->cr0 = (in->cr_bits & 1 ? X86_CR0_PE : 0) | (in->cr_bits & 2 ? X86_CR0_TS : 0) |
              (in->cr_bits & 4 ? X86_CR0_EM : 0);
    st->cr4 = in->cr_bits & 8 ? 0 : X86_CR4_OSFXSR;
    st->rflags = in->rflags;
    st->rip = 0x100;
    /* registers mostly point into the buffer so that accesses get somewhere */
    for (int i = 0; i < 16; i++)
        st->gpr[i] = (in->gpr_raw >> (i & 7)) & 1 ? in->gpr[i] : in->gpr[i] % FUZZ_MEM;
    for (int i = 0; i < 6; i++) {
        st->seg[i].attr = in->seg_attr[i];
        st->seg[i].limit = in->seg_limit[i];
        st->seg[i].base = in->seg_base[i] % FUZZ_MEM;
    }
    for (int r = 0; r < 16; r++)
        for (int b = 0; b < 32; b++)
            st->xmm[r][b] = (uint8_t)(r * 32 + b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz_ctx ctx;
    static const struct x86_emul_ops ops = { fuzz_read, fuzz_write };
    struct fuzz_input in;
    struct x86_emul_state st;
    size_t n;
    uint8_t *insn;
    int rc, chunks = 0;

    if (size < sizeof(in) + 1)
        return 0;
    memcpy(&in, data, sizeof(in));
    n = MIN(size - sizeof(in), (size_t)X86_MAX_INSN_LEN);
    insn = malloc(n);
    memcpy(insn, data + sizeof(in), n);
    fuzz_state(&st, &in);
    memset(ctx.mem, 0xa5, sizeof(ctx.mem));
    ctx.fault_bits = in.fault_bits;
    ctx.fault_on = in.cpl & 4;
    ctx.accesses = 0;
    do
        rc = x86_emulate(&st, &ops, &ctx, insn, n);
    while (rc == X86EMUL_RETRY && ++chunks < 64);
    if (rc < X86EMUL_OK || rc > X86EMUL_UNHANDLEABLE)
        abort();
    free(insn);
    return 0;
}
