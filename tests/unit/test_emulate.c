/*
 * Unit tests for the x86 instruction emulator (hv/x86/emulate*.c).
 *
 * A table of single instructions in 16-, 32- and 64-bit code, each run against a flat test
 * memory through the callbacks, checking every register, RFLAGS, RIP, the eight bytes at the
 * operand address and the exception raised. Separate tests cover REP chunking and resumption,
 * DF=1, REPE/REPNE, faults in the middle of a REP, page-crossing #PF and the vector moves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/x86/decode.c"
#include "../../hv/x86/emulate.c"
#include "../../hv/x86/emulate_alu.c"
#include "../../hv/x86/emulate_string.c"
#include "../../hv/x86/emulate_simd.c"

#define M16 X86_MODE_16
#define M32 X86_MODE_32
#define M64 X86_MODE_64

#define MEM_SIZE 0x30000
#define FAULT_PAGE 0x5000       /* reads and writes here raise #PF */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

struct test_mem {
    uint8_t bytes[MEM_SIZE];
    struct x86_emul_state *st;
    unsigned int calls;
    uint64_t last_linear;
    unsigned int max_size;
};

static struct test_mem *mem;

static int mem_check(struct test_mem *m, uint64_t linear, unsigned int size)
{
    m->calls++;
    m->last_linear = linear;
    m->max_size = MAX(m->max_size, size);
    assert_true(size >= 1 && size <= 32);
    assert_int_equal(linear >> 12, (linear + size - 1) >> 12);   /* never crosses a page */
    if ((linear & ~0xfffULL) == FAULT_PAGE) {
        m->st->event.error_code |= 1;   /* a protection fault: the P bit */
        return X86EMUL_PAGE_FAULT;
    }
    return linear + size <= MEM_SIZE ? X86EMUL_OK : X86EMUL_UNHANDLEABLE;
}

static int mem_read(void *ctx, enum x86_seg seg, uint64_t linear, void *buf, unsigned int size)
{
    struct test_mem *m = ctx;
    int rc = mem_check(m, linear, size);

    if (!rc)
        memcpy(buf, m->bytes + linear, size);
    return rc;
}

static int mem_write(void *ctx, enum x86_seg seg, uint64_t linear, const void *buf,
                     unsigned int size)
{
    struct test_mem *m = ctx;
    int rc = mem_check(m, linear, size);

    if (!rc)
        memcpy(m->bytes + linear, buf, size);
    return rc;
}

static const struct x86_emul_ops ops = { mem_read, mem_write };

static size_t hex_bytes(const char *hex, uint8_t *out)
{
    size_t n = 0;
    unsigned int v;

    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        assert_int_equal(sscanf(hex, "%2x", &v), 1);
        assert_true(n < 15);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Flat segments; real mode for 16-bit code, protected or long mode otherwise. */
static void state_init(struct x86_emul_state *st, enum x86_cpu_mode mode)
{
    memset(st, 0, sizeof(*st));
    st->mode = mode;
    st->rip = 0x800;
    st->rflags = 0x2;
    st->cr0 = mode == M16 ? 0 : X86_CR0_PE;
    st->cr4 = X86_CR4_OSFXSR;
    for (int i = 0; i < 6; i++) {
        st->seg[i].limit = mode == M16 ? 0xffff : 0xffffffff;
        st->seg[i].attr = 0x93 | (mode == M16 ? 0 : X86_SEGA_DB | 0x8000);
    }
    st->seg[X86_SEG_CS].attr = (st->seg[X86_SEG_CS].attr & ~0xfu) | 0xb;
}

static int run(struct x86_emul_state *st, const char *hex)
{
    uint8_t bytes[15];
    size_t n = hex_bytes(hex, bytes);
    uint8_t *copy = malloc(n);
    int rc;

    memcpy(copy, bytes, n);     /* an exact-size heap copy: over-reads are caught */
    mem->st = st;
    rc = x86_emulate(st, &ops, mem, copy, n);
    free(copy);
    return rc;
}

struct reg_val {
    uint8_t reg;        /* register number + 1, 0 ends the list */
    uint64_t val;
};

struct ecase {
    const char *name;
    enum x86_cpu_mode mode;
    const char *hex;
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t segbase[6];
    uint32_t seglimit[6];       /* 0: the default */
    uint32_t segattr[6];        /* 0: the default */
    uint8_t cpl;
    uint64_t addr, mem;         /* eight bytes of memory at addr */
    int rc;
    struct reg_val out[3];      /* registers that change; all others must not */
    bool store;                 /* the eight bytes at addr become emem */
    uint64_t emem;
    uint64_t eflags;            /* when flags_set: RFLAGS afterwards */
    bool flags_set;
    uint8_t vec;
    uint32_t ec;
    uint64_t cr2;
};

#define R(r, v) { (r) + 1, (v) }

#define FL(x) .flags_set = true, .eflags = 0x2 | (x)
#define CF X86_FL_CF
#define PF X86_FL_PF
#define AF X86_FL_AF
#define ZF X86_FL_ZF
#define SF X86_FL_SF
#define OF X86_FL_OF
#define EXC(v, e) .rc = X86EMUL_EXCEPTION, .vec = (v), .ec = (e)

static const struct ecase cases[] = {
    /* ---- MOV, 64-bit ---- */
    { "mov [rbx],eax", M64, "89 03", { [RAX] = 0x1122334455667788, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0xaaaaaaaaaaaaaaaa, .store = true, .emem = 0xaaaaaaaa55667788 },
    { "mov rax,[rbx]", M64, "48 8b 03", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x0102030405060708, .out = { R(RAX, 0x0102030405060708) } },
    { "mov eax,[rbx] zero-extends", M64, "8b 03", { [RAX] = ~0ULL, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x0102030405060708, .out = { R(RAX, 0x05060708) } },
    { "mov ax,[rbx] merges", M64, "66 8b 03", { [RAX] = ~0ULL, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x0102030405060708, .out = { R(RAX, 0xffffffffffff0708) } },
    { "mov ah,[rbx]", M64, "8a 23", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = 0x08,
      .out = { R(RAX, 0x0800) } },
    { "mov spl,[rbx] (REX)", M64, "40 8a 23", { [RSP] = 0x1234, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x08, .out = { R(RSP, 0x1208) } },
    { "mov [rbx],bh", M64, "88 3b", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = 0,
      .store = true, .emem = 0x10 },
    { "mov byte [rbx],imm", M64, "c6 03 5a", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = ~0ULL,
      .store = true, .emem = 0xffffffffffffff5a },
    { "mov qword [rbx],-2", M64, "48 c7 03 fe ff ff ff", { [RBX] = 0x1000 }, .addr = 0x1000,
      .store = true, .emem = 0xfffffffffffffffe },
    { "mov word [rbx],imm16", M64, "66 c7 03 34 12", { [RBX] = 0x1000 }, .addr = 0x1000,
      .store = true, .emem = 0x1234 },
    { "mov r9,[rbx+rsi*4+0x10]", M64, "4c 8b 4c b3 10", { [RBX] = 0xff0, [RSI] = 2 },
      .addr = 0x1008, .mem = 0x99, .out = { R(R9, 0x99) } },
    { "mov eax,[r12] (REX.B SIB)", M64, "41 8b 04 24", { [R12] = 0x1000 }, .addr = 0x1000,
      .mem = 0x42, .out = { R(RAX, 0x42) } },
    { "mov eax,[rbx+r10*8] (REX.X)", M64, "42 8b 04 d3", { [RBX] = 0x1000, [R10] = 2 },
      .addr = 0x1010, .mem = 0x43, .out = { R(RAX, 0x43) } },
    { "mov [rbx],r15 (REX.WR)", M64, "4c 89 3b", { [RBX] = 0x1000, [R15] = 0x0123456789abcdef },
      .addr = 0x1000, .store = true, .emem = 0x0123456789abcdef },
    { "mov eax,[rip+0x100]", M64, "8b 05 00 01 00 00", { 0 }, .addr = 0x906, .mem = 7,
      .out = { R(RAX, 7) } },
    { "mov eax,[eip+0x100] (67)", M64, "67 8b 05 00 01 00 00", { 0 }, .addr = 0x907, .mem = 8,
      .out = { R(RAX, 8) } },
    { "mov eax,moffs64", M64, "a1 00 10 00 00 00 00 00 00", { 0 }, .addr = 0x1000, .mem = 9,
      .out = { R(RAX, 9) } },
    { "mov moffs64,al", M64, "a2 00 10 00 00 00 00 00 00", { [RAX] = 0x5a5a }, .addr = 0x1000,
      .store = true, .emem = 0x5a },
    { "mov rax,moffs32 (67)", M64, "67 48 a1 00 10 00 00", { 0 }, .addr = 0x1000, .mem = ~0ULL,
      .out = { R(RAX, ~0ULL) } },
    { "mov eax,fs:[rbx]", M64, "64 8b 03", { [RBX] = 0x10 }, .segbase = { [X86_SEG_FS] = 0x1000 },
      .addr = 0x1010, .mem = 0x77, .out = { R(RAX, 0x77) } },
    { "mov eax,ds:[rbx] ignores DS base", M64, "3e 8b 03", { [RBX] = 0x1000 },
      .segbase = { [X86_SEG_DS] = 0x5000 }, .addr = 0x1000, .mem = 0x78, .out = { R(RAX, 0x78) } },
    { "mov [rbx+ecx] (67 wraps)", M64, "67 89 04 0b", { [RAX] = 1, [RBX] = 0xfffff000, [RCX] = 0x2000 },
      .addr = 0x1000, .store = true, .emem = 1 },
    /* ---- MOVZX/MOVSX/MOVSXD/MOVNTI ---- */
    { "movzx eax,byte [rbx]", M64, "0f b6 03", { [RAX] = ~0ULL, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x80, .out = { R(RAX, 0x80) } },
    { "movzx ax,byte [rbx]", M64, "66 0f b6 03", { [RAX] = ~0ULL, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x80, .out = { R(RAX, 0xffffffffffff0080) } },
    { "movzx rax,word [rbx]", M64, "48 0f b7 03", { [RAX] = ~0ULL, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x8081, .out = { R(RAX, 0x8081) } },
    { "movsx rax,word [rbx]", M64, "48 0f bf 03", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x8000, .out = { R(RAX, 0xffffffffffff8000) } },
    { "movsx ecx,byte [rbx]", M64, "0f be 0b", { [RCX] = ~0ULL, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0xfe, .out = { R(RCX, 0xfffffffe) } },
    { "movsxd rax,[rbx]", M64, "48 63 03", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x80000000, .out = { R(RAX, 0xffffffff80000000) } },
    { "movnti [rbx],rax", M64, "48 0f c3 03", { [RAX] = 0x1122334455667788, [RBX] = 0x1000 },
      .addr = 0x1000, .store = true, .emem = 0x1122334455667788 },
    { "movnti register form #UD", M64, "0f c3 c0", { 0 }, EXC(X86_EXC_UD, 0) },
    { "arpl is not movsxd", M32, "63 03", { [RBX] = 0x1000 }, .rc = X86EMUL_UNHANDLEABLE },
    /* ---- ALU ---- */
    { "add [rbx],eax carry", M64, "01 03", { [RAX] = 1, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x11111111ffffffff, .store = true, .emem = 0x1111111100000000,
      FL(CF | PF | AF | ZF) },
    { "sub eax,[rbx]", M64, "2b 03", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = 1,
      .out = { R(RAX, 0xffffffff) }, FL(CF | PF | AF | SF) },
    { "cmp byte [rbx],0x7f overflow", M64, "80 3b 7f", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x80, FL(OF | AF) },
    { "cmp [rbx],rax equal", M64, "48 39 03", { [RAX] = 5, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 5, FL(ZF | PF) },
    { "or qword [rbx],-1 (83)", M64, "48 83 0b ff", { [RBX] = 0x1000 }, .addr = 0x1000,
      .store = true, .emem = ~0ULL, .rflags = 0x2 | CF | OF | AF, FL(PF | SF) },
    { "adc dword [rbx],0x10 (81)", M64, "81 13 10 00 00 00", { [RBX] = 0x1000 }, .addr = 0x1000,
      .rflags = 0x2 | CF, .store = true, .emem = 0x11, FL(PF) },
    { "sbb al,[rbx]", M64, "1a 03", { [RBX] = 0x1000 }, .addr = 0x1000, .rflags = 0x2 | CF,
      .out = { R(RAX, 0xff) }, FL(CF | PF | AF | SF) },
    { "xor [rbx],r8b", M64, "44 30 03", { [R8] = 0xff, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x0f, .store = true, .emem = 0xf0, FL(PF | SF) },
    { "and [rbx],cx", M64, "66 21 0b", { [RCX] = 0xf0f0, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0xffff0f0f, .store = true, .emem = 0xffff0000, FL(PF | ZF) },
    { "add rax,imm32 sign-extends", M64, "48 05 ff ff ff ff", { [RAX] = 1 },
      .out = { R(RAX, 0) }, FL(CF | PF | AF | ZF) },
    { "sub word [rbx],0x8000", M64, "66 81 2b 00 80", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x0001, .store = true, .emem = 0x8001, FL(CF | SF | OF) },
    { "add al,[bx+si] 16-bit", M16, "02 00", { [RAX] = 0x7f, [RBX] = 0x1000, [RSI] = 0x10 },
      .addr = 0x1010, .mem = 1, .out = { R(RAX, 0x80) }, FL(OF | SF | AF) },
    { "cmp eax,[ebx] 32-bit", M32, "3b 03", { [RAX] = 3, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 4, FL(CF | PF | AF | SF) },
    { "alu op 82 in 32-bit code", M32, "82 03 01", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = 1,
      .store = true, .emem = 2, FL(0) },
    { "op 82 is invalid in 64-bit code", M64, "82 03 01", { 0 }, .rc = X86EMUL_UNHANDLEABLE },
    { "test dword [rbx],imm", M64, "f7 03 00 00 00 80", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x80000000, .rflags = 0x2 | CF | OF, FL(SF | PF) },
    { "test [rbx],al", M64, "84 03", { [RAX] = 0x01, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x02, FL(ZF | PF) },
    { "test byte [rbx],imm (f6 /1)", M64, "f6 0b 03", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x01, FL(0) },
    { "inc dword [rbx] keeps CF", M64, "ff 03", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x7fffffff, .rflags = 0x2 | CF, .store = true, .emem = 0x80000000,
      FL(CF | PF | AF | SF | OF) },
    { "dec byte [rbx]", M64, "fe 0b", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = 0,
      .store = true, .emem = 0xff, FL(PF | AF | SF) },
    { "neg dword [rbx]", M64, "f7 1b", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = 1,
      .store = true, .emem = 0xffffffff, FL(CF | PF | AF | SF) },
    { "neg zero", M64, "f7 1b", { [RBX] = 0x1000 }, .addr = 0x1000, .rflags = 0x2 | CF,
      .store = true, .emem = 0, FL(PF | ZF) },
    { "not word [rbx] keeps flags", M64, "66 f7 13", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x00ff, .rflags = 0x2 | CF | ZF, .store = true, .emem = 0xff00 },
    { "mul is not emulated", M64, "f7 23", { [RBX] = 0x1000 }, .rc = X86EMUL_UNHANDLEABLE },
    { "call [rbx] is not emulated", M64, "ff 13", { [RBX] = 0x1000 }, .rc = X86EMUL_UNHANDLEABLE },
    /* ---- XCHG, CMPXCHG ---- */
    { "xchg [rbx],ecx", M64, "87 0b", { [RCX] = 0xffffffff00000002, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x1111111100000001, .store = true, .emem = 0x1111111100000002,
      .out = { R(RCX, 1) } },
    { "xchg [rbx],dh", M64, "86 33", { [RDX] = 0x1200, [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x34, .store = true, .emem = 0x12, .out = { R(RDX, 0x3400) } },
    { "lock cmpxchg [rbx],ecx equal", M64, "f0 0f b1 0b", { [RAX] = 0xffffffff00000005,
      [RCX] = 9, [RBX] = 0x1000 }, .addr = 0x1000, .mem = 5, .store = true, .emem = 9,
      FL(ZF | PF) },
    { "cmpxchg [rbx],ecx differ", M64, "0f b1 0b", { [RAX] = 0xffffffff00000001,
      [RCX] = 9, [RBX] = 0x1000 }, .addr = 0x1000, .mem = 2, .out = { R(RAX, 2) },
      FL(CF | PF | AF | SF) },
    { "cmpxchg [rbx],cl byte", M64, "0f b0 0b", { [RAX] = 0x7, [RCX] = 0x9, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x107, .store = true, .emem = 0x109, FL(ZF | PF) },
    /* ---- BT family ---- */
    { "bt [rbx],ecx beyond the dword", M64, "0f a3 0b", { [RCX] = 35, [RBX] = 0x1000 },
      .addr = 0x1000, .mem = 0x0000000800000000, FL(CF) },
    { "bts [rbx],rcx negative offset", M64, "48 0f ab 0b", { [RCX] = ~0ULL, [RBX] = 0x1008 },
      .addr = 0x1000, .mem = 0, .store = true, .emem = 0x8000000000000000, FL(0) },
    { "btr dword [rbx],4", M64, "0f ba 33 04", { [RBX] = 0x1000 }, .addr = 0x1000, .mem = 0x30,
      .store = true, .emem = 0x20, FL(CF) },
    { "btc word [rbx],17 wraps", M64, "66 0f ba 3b 11", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x10000, .store = true, .emem = 0x10002, FL(0) },
    { "bt ax,cx register", M64, "66 0f a3 c8", { [RAX] = 0x8000, [RCX] = 31 }, FL(CF) },
    { "btr [bx],ax 16-bit negative", M16, "0f b3 07", { [RAX] = 0xfff0, [RBX] = 0x1002 },
      .addr = 0x1000, .mem = 0xffff, .store = true, .emem = 0xfffe, FL(CF) },
    /* ---- 16- and 32-bit addressing and segments ---- */
    { "mov ax,[bx+si+2]", M16, "8b 40 02", { [RBX] = 0x1000, [RSI] = 0x10 }, .addr = 0x1012,
      .mem = 0xbeef, .out = { R(RAX, 0xbeef) } },
    { "mov [bp+di],al uses SS", M16, "88 03", { [RAX] = 0x5a, [RBP] = 0x100 },
      .segbase = { [X86_SEG_SS] = 0x2000 }, .addr = 0x2100, .store = true, .emem = 0x5a },
    { "mov ax,ds:[bp+di]", M16, "3e 8b 03", { [RBP] = 0x100 }, .segbase = { [X86_SEG_SS] = 0x2000,
      [X86_SEG_DS] = 0x3000 }, .addr = 0x3100, .mem = 0x66, .out = { R(RAX, 0x66) } },
    { "mov eax,[bx] (66)", M16, "66 8b 07", { [RBX] = 0x1000 }, .addr = 0x1000,
      .mem = 0x12345678, .out = { R(RAX, 0x12345678) } },
    { "mov ax,[ebx+ecx*2] (67)", M16, "67 8b 04 4b", { [RBX] = 0x1000, [RCX] = 4 },
      .addr = 0x1008, .mem = 0x55, .out = { R(RAX, 0x55) } },
    { "mov ax,[bx+si] wraps at 64K", M16, "8b 00", { [RBX] = 0xfff0, [RSI] = 0x20 },
      .addr = 0x10, .mem = 0x66, .out = { R(RAX, 0x66) } },
    { "mov ax,[bx] past the limit #GP", M16, "8b 07", { [RBX] = 0xffff }, EXC(X86_EXC_GP, 0) },
    { "mov ax,[bp] past the limit #SS", M16, "8b 46 00", { [RBP] = 0xffff }, EXC(X86_EXC_SS, 0) },
    { "mov ax,es:[bx] in real mode with base", M16, "26 8b 07", { [RBX] = 0x10 },
      .segbase = { [X86_SEG_ES] = 0x10000 }, .addr = 0x10010, .mem = 0x99, .out = { R(RAX, 0x99) } },
    { "mov eax,[ebx] DS base", M32, "8b 03", { [RBX] = 0x10 }, .segbase = { [X86_SEG_DS] = 0x1000 },
      .addr = 0x1010, .mem = 0x31, .out = { R(RAX, 0x31) } },
    { "mov eax,moffs32", M32, "a1 00 10 00 00", { 0 }, .addr = 0x1000, .mem = 0x32,
      .out = { R(RAX, 0x32) } },
    { "mov eax,[bx+si] (67)", M32, "67 8b 00", { [RBX] = 0x1000, [RSI] = 0x8 }, .addr = 0x1008,
      .mem = 0x33, .out = { R(RAX, 0x33) } },
    { "mov eax,[esp] SS base", M32, "8b 04 24", { [RSP] = 0x100 },
      .segbase = { [X86_SEG_SS] = 0x2000 }, .addr = 0x2100, .mem = 0x34, .out = { R(RAX, 0x34) } },
    { "limit: last byte inside", M32, "8b 03", { [RBX] = 0xffc }, .seglimit = { [X86_SEG_DS] = 0xfff },
      .addr = 0xffc, .mem = 0x35, .out = { R(RAX, 0x35) } },
    { "limit: one byte past #GP", M32, "8b 03", { [RBX] = 0xffd }, .seglimit = { [X86_SEG_DS] = 0xfff },
      EXC(X86_EXC_GP, 0) },
    { "limit: [esp] past #SS", M32, "89 04 24", { [RSP] = 0x1000 },
      .seglimit = { [X86_SEG_SS] = 0xfff }, EXC(X86_EXC_SS, 0) },
    { "expand-down: below the limit #GP", M32, "8b 03", { [RBX] = 0x800 },
      .seglimit = { [X86_SEG_DS] = 0xfff }, .segattr = { [X86_SEG_DS] = 0xc097 }, EXC(X86_EXC_GP, 0) },
    { "expand-down: above the limit", M32, "8b 03", { [RBX] = 0x1000 },
      .seglimit = { [X86_SEG_DS] = 0xfff }, .segattr = { [X86_SEG_DS] = 0xc097 }, .addr = 0x1000,
      .mem = 0x36, .out = { R(RAX, 0x36) } },
    { "write to read-only data #GP", M32, "89 03", { [RBX] = 0x1000 },
      .segattr = { [X86_SEG_DS] = 0xc091 }, EXC(X86_EXC_GP, 0) },
    { "read of read-only data", M32, "8b 03", { [RBX] = 0x1000 },
      .segattr = { [X86_SEG_DS] = 0xc091 }, .addr = 0x1000, .mem = 0x37, .out = { R(RAX, 0x37) } },
    { "write through cs: #GP", M32, "2e 89 03", { [RBX] = 0x1000 }, EXC(X86_EXC_GP, 0) },
    { "read of execute-only code #GP", M32, "2e 8b 03", { [RBX] = 0x1000 },
      .segattr = { [X86_SEG_CS] = 0xc099 }, EXC(X86_EXC_GP, 0) },
    { "unusable fs #GP", M32, "64 8b 03", { [RBX] = 0x1000 },
      .segattr = { [X86_SEG_FS] = X86_SEGA_UNUSABLE }, EXC(X86_EXC_GP, 0) },
    { "32-bit linear address wraps", M32, "8b 03", { [RBX] = 0x2000 },
      .segbase = { [X86_SEG_DS] = 0xfffff000 }, .addr = 0x1000, .mem = 0x38, .out = { R(RAX, 0x38) } },
    /* ---- 64-bit faults ---- */
    { "non-canonical #GP", M64, "8b 03", { [RBX] = 0x0000800000000000 }, EXC(X86_EXC_GP, 0) },
    { "non-canonical at the end #GP", M64, "48 8b 03", { [RBX] = 0x00007ffffffffffc },
      EXC(X86_EXC_GP, 0) },
    { "non-canonical [rsp] #SS", M64, "8b 04 24", { [RSP] = 0x8000000000000000 },
      EXC(X86_EXC_SS, 0) },
    { "non-canonical [rbp] #SS", M64, "89 45 00", { [RBP] = 0x0001000000000000 },
      EXC(X86_EXC_SS, 0) },
    { "non-canonical ss:[rbx] #SS", M64, "36 8b 03", { [RBX] = 0x0001000000000000 },
      EXC(X86_EXC_SS, 0) },
    { "non-canonical [r13] #GP", M64, "41 8b 45 00", { [R13] = 0x0001000000000000 },
      EXC(X86_EXC_GP, 0) },
    { "non-canonical fs base #GP", M64, "64 8b 03", { [RBX] = 0 },
      .segbase = { [X86_SEG_FS] = 0x0000800000000000 }, EXC(X86_EXC_GP, 0) },
    { "#PF on read", M64, "8b 03", { [RBX] = FAULT_PAGE + 8 }, EXC(X86_EXC_PF, 1),
      .cr2 = FAULT_PAGE + 8 },
    { "#PF on user write", M64, "89 03", { [RBX] = FAULT_PAGE }, .cpl = 3, EXC(X86_EXC_PF, 7),
      .cr2 = FAULT_PAGE },
    { "#PF on the second page", M64, "48 8b 03", { [RBX] = FAULT_PAGE - 4 }, EXC(X86_EXC_PF, 1),
      .cr2 = FAULT_PAGE },
    { "#PF leaves xchg's register", M64, "87 03", { [RAX] = 1, [RBX] = FAULT_PAGE },
      EXC(X86_EXC_PF, 1), .cr2 = FAULT_PAGE },
    { "unbacked memory", M64, "8b 03", { [RBX] = MEM_SIZE }, .rc = X86EMUL_UNHANDLEABLE },
    /* ---- LOCK ---- */
    { "lock add [rbx],eax", M64, "f0 01 03", { [RAX] = 1, [RBX] = 0x1000 }, .addr = 0x1000,
      .store = true, .emem = 1, FL(0) },
    { "lock add eax,ecx #UD", M64, "f0 01 c8", { 0 }, EXC(X86_EXC_UD, 0) },
    { "lock mov [rbx],eax #UD", M64, "f0 89 03", { [RBX] = 0x1000 }, EXC(X86_EXC_UD, 0) },
    { "lock cmp [rbx],eax #UD", M64, "f0 39 03", { [RBX] = 0x1000 }, EXC(X86_EXC_UD, 0) },
    { "lock add eax,[rbx] #UD", M64, "f0 03 03", { [RBX] = 0x1000 }, EXC(X86_EXC_UD, 0) },
    { "lock bt [rbx],ecx #UD", M64, "f0 0f a3 0b", { [RBX] = 0x1000 }, EXC(X86_EXC_UD, 0) },
    { "lock test [rbx],eax #UD", M64, "f0 85 03", { [RBX] = 0x1000 }, EXC(X86_EXC_UD, 0) },
    { "lock xchg ecx,eax #UD", M64, "f0 87 c8", { 0 }, EXC(X86_EXC_UD, 0) },
    { "lock cmp dword [rbx],1 #UD", M64, "f0 83 3b 01", { [RBX] = 0x1000 }, EXC(X86_EXC_UD, 0) },
    { "lock bts [rbx],3", M64, "f0 0f ba 2b 03", { [RBX] = 0x1000 }, .addr = 0x1000,
      .store = true, .emem = 8, FL(0) },
    { "lock movsb #UD", M64, "f0 a4", { 0 }, EXC(X86_EXC_UD, 0) },
    { "lock neg [rbx]", M64, "f0 f6 1b", { [RBX] = 0x1000 }, .addr = 0x1000, .store = true,
      .emem = 0, FL(PF | ZF) },
    /* ---- not emulated ---- */
    { "hlt", M64, "f4", { 0 }, .rc = X86EMUL_UNHANDLEABLE },
    { "ud2", M64, "0f 0b", { 0 }, .rc = X86EMUL_UNHANDLEABLE },
    { "truncated", M64, "8b", { 0 }, .rc = X86EMUL_UNHANDLEABLE },
    { "lea", M64, "48 8d 03", { 0 }, .rc = X86EMUL_UNHANDLEABLE },
};

static void load_case(struct x86_emul_state *st, const struct ecase *c)
{
    state_init(st, c->mode);
    memcpy(st->gpr, c->gpr, sizeof(st->gpr));
    st->rflags = c->rflags ? c->rflags : 0x2;
    st->cpl = c->cpl;
    for (int i = 0; i < 6; i++) {
        st->seg[i].base = c->segbase[i];
        if (c->seglimit[i])
            st->seg[i].limit = c->seglimit[i];
        if (c->segattr[i])
            st->seg[i].attr = c->segattr[i];
    }
    memset(mem, 0, sizeof(*mem));
    memcpy(mem->bytes + c->addr, &c->mem, 8);
}

static uint64_t expected_reg(const struct ecase *c, int r)
{
    for (int i = 0; i < 3 && c->out[i].reg; i++)
        if (c->out[i].reg == r + 1)
            return c->out[i].val;
    return c->gpr[r];
}

static void check_case(const struct ecase *c, const struct x86_emul_state *st, size_t len)
{
    uint64_t m;
    uint64_t rflags0 = c->rflags ? c->rflags : 0x2;

    assert_int_equal(st->rip, c->rc == X86EMUL_OK ? 0x800 + len : 0x800);
    for (int r = 0; r < 16; r++)
        assert_int_equal(st->gpr[r], c->rc == X86EMUL_OK ? expected_reg(c, r) : c->gpr[r]);
    assert_int_equal(st->rflags, c->flags_set && c->rc == X86EMUL_OK ? c->eflags : rflags0);
    memcpy(&m, mem->bytes + c->addr, 8);
    assert_int_equal(m, c->store && c->rc == X86EMUL_OK ? c->emem : c->mem);
    if (c->rc != X86EMUL_EXCEPTION)
        return;
    assert_int_equal(st->event.vector, c->vec);
    assert_int_equal(st->event.error_code, c->ec);
    assert_int_equal(st->event.has_error_code, c->vec != X86_EXC_UD && c->vec != X86_EXC_NM);
    if (c->vec == X86_EXC_PF)
        assert_int_equal(st->event.cr2, c->cr2);
}

static void test_table(void **state)
{
    struct x86_emul_state st;
    uint8_t bytes[15];

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct ecase *c = &cases[i];
        int rc;

        load_case(&st, c);
        rc = run(&st, c->hex);
        if (rc != c->rc)
            fail_msg("%s: rc %d, expected %d", c->name, rc, c->rc);
        check_case(c, &st, hex_bytes(c->hex, bytes));
    }
}

/* ---- string instructions ---- */

static void string_state(struct x86_emul_state *st, enum x86_cpu_mode mode)
{
    state_init(st, mode);
    memset(mem, 0, sizeof(*mem));
    mem->st = st;
    for (int i = 0; i < 0x4000; i++)
        mem->bytes[0x10000 + i] = (uint8_t)(i * 7 + 1);
}

/* Runs until done, counting the chunks. */
static int run_to_completion(struct x86_emul_state *st, const char *hex, unsigned int *chunks)
{
    int rc;

    *chunks = 0;
    do {
        uint64_t rip = st->rip;
        rc = run(st, hex);
        (*chunks)++;
        if (rc == X86EMUL_RETRY)
            assert_int_equal(st->rip, rip);
    } while (rc == X86EMUL_RETRY && *chunks < 100);
    return rc;
}

static void test_rep_movsb_chunks(void **state)
{
    struct x86_emul_state st;
    unsigned int chunks;

    string_state(&st, M64);
    st.gpr[RCX] = 10000;
    st.gpr[RSI] = 0x10000;
    st.gpr[RDI] = 0x20000;
    assert_int_equal(run(&st, "f3 a4"), X86EMUL_RETRY);
    assert_int_equal(st.gpr[RCX], 10000 - 4096);
    assert_int_equal(st.gpr[RSI], 0x10000 + 4096);
    assert_int_equal(st.gpr[RDI], 0x20000 + 4096);
    assert_int_equal(st.rip, 0x800);
    assert_int_equal(run_to_completion(&st, "f3 a4", &chunks), X86EMUL_OK);
    assert_int_equal(chunks, 2);
    assert_int_equal(st.gpr[RCX], 0);
    assert_int_equal(st.gpr[RDI], 0x20000 + 10000);
    assert_int_equal(st.rip, 0x802);
    assert_memory_equal(mem->bytes + 0x20000, mem->bytes + 0x10000, 10000);
}

static void test_rep_movsq_df(void **state)
{
    struct x86_emul_state st;
    unsigned int chunks;

    string_state(&st, M64);
    st.rflags |= X86_FL_DF;
    st.gpr[RCX] = 1000;
    st.gpr[RSI] = 0x10000 + 999 * 8;
    st.gpr[RDI] = 0x20000 + 999 * 8;
    assert_int_equal(run_to_completion(&st, "f3 48 a5", &chunks), X86EMUL_OK);
    assert_int_equal(chunks, 2);    /* 512 quadwords per page */
    assert_int_equal(st.gpr[RSI], 0x10000 - 8);
    assert_int_equal(st.gpr[RDI], 0x20000 - 8);
    assert_memory_equal(mem->bytes + 0x20000, mem->bytes + 0x10000, 8000);
}

static void test_rep_stosd_df(void **state)
{
    struct x86_emul_state st;
    uint32_t v[5];

    string_state(&st, M64);
    st.rflags |= X86_FL_DF;
    st.gpr[RAX] = 0x1122334455667788;
    st.gpr[RCX] = 4;
    st.gpr[RDI] = 0x100c;
    assert_int_equal(run(&st, "f3 ab"), X86EMUL_OK);
    memcpy(v, mem->bytes + 0xffc, sizeof(v));
    assert_int_equal(v[0], 0);
    for (int i = 1; i < 5; i++)
        assert_int_equal(v[i], 0x55667788);
    assert_int_equal(st.gpr[RDI], 0xffc);
    assert_int_equal(st.gpr[RCX], 0);
}

static void test_rep_zero_count(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M64);
    st.gpr[RCX] = 0xffffffff00000000;   /* ECX is 0 with a 32-bit address size */
    st.gpr[RDI] = FAULT_PAGE;
    assert_int_equal(run(&st, "67 f3 aa"), X86EMUL_OK);
    assert_int_equal(mem->calls, 0);
    assert_int_equal(st.rip, 0x803);
    assert_int_equal(st.gpr[RCX], 0xffffffff00000000);
}

static void test_rep_addr32(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M64);
    st.gpr[RAX] = 0xab;
    st.gpr[RCX] = 0xffffffff00000003;
    st.gpr[RDI] = 0xffffffff00001000;
    assert_int_equal(run(&st, "67 f3 aa"), X86EMUL_OK);
    assert_int_equal(st.gpr[RDI], 0x1003);      /* 32-bit updates zero-extend */
    assert_int_equal(st.gpr[RCX], 0);
    assert_int_equal(mem->bytes[0x1002], 0xab);
}

static void test_rep_addr16(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M16);
    st.seg[X86_SEG_DS].base = 0x10000;
    st.gpr[RCX] = 0xabcd0002;
    st.gpr[RSI] = 0x12340000;
    st.gpr[RDI] = 0x56780100;
    assert_int_equal(run(&st, "f3 a5"), X86EMUL_OK);   /* rep movsw */
    assert_int_equal(st.gpr[RCX], 0xabcd0000);
    assert_int_equal(st.gpr[RSI], 0x12340004);
    assert_int_equal(st.gpr[RDI], 0x56780104);
    assert_memory_equal(mem->bytes + 0x100, mem->bytes + 0x10000, 4);
}

static void test_repe_cmpsb(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M64);
    memcpy(mem->bytes + 0x20000, mem->bytes + 0x10000, 100);
    mem->bytes[0x20000 + 50] ^= 0xff;
    st.gpr[RCX] = 100;
    st.gpr[RSI] = 0x10000;
    st.gpr[RDI] = 0x20000;
    assert_int_equal(run(&st, "f3 a6"), X86EMUL_OK);
    assert_int_equal(st.gpr[RCX], 49);
    assert_int_equal(st.gpr[RSI], 0x10000 + 51);
    assert_false(st.rflags & X86_FL_ZF);
}

static void test_repne_cmpsb(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M64);
    memset(mem->bytes + 0x20000, 0xee, 100);
    mem->bytes[0x20000 + 10] = mem->bytes[0x10000 + 10];
    st.gpr[RCX] = 100;
    st.gpr[RSI] = 0x10000;
    st.gpr[RDI] = 0x20000;
    assert_int_equal(run(&st, "f2 a6"), X86EMUL_OK);
    assert_int_equal(st.gpr[RCX], 89);
    assert_true(st.rflags & X86_FL_ZF);
}

static void test_cmps_lods_single(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M64);
    mem->bytes[0x1000] = 3;
    mem->bytes[0x2000] = 5;
    st.gpr[RSI] = 0x1000;
    st.gpr[RDI] = 0x2000;
    assert_int_equal(run(&st, "a6"), X86EMUL_OK);
    assert_int_equal(st.rflags, 0x2 | X86_FL_CF | X86_FL_SF | X86_FL_AF);
    assert_int_equal(st.gpr[RSI], 0x1001);
    st.gpr[RAX] = ~0ULL;
    st.gpr[RSI] = 0x10000;
    assert_int_equal(run(&st, "66 ad"), X86EMUL_OK);    /* lodsw */
    assert_int_equal(st.gpr[RAX], 0xffffffffffff0801);
    assert_int_equal(st.gpr[RSI], 0x10002);
    st.gpr[RSI] = 0x10;
    st.seg[X86_SEG_FS].base = 0x10000;
    assert_int_equal(run(&st, "64 ac"), X86EMUL_OK);    /* lodsb fs: */
    assert_int_equal(st.gpr[RAX] & 0xff, mem->bytes[0x10010]);
}

/* A fault after some elements: the registers say how far it got, RIP stays. */
static void test_rep_fault_midway(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M64);
    st.gpr[RCX] = 32;
    st.gpr[RSI] = 0x10000;
    st.gpr[RDI] = FAULT_PAGE - 16;
    assert_int_equal(run(&st, "f3 a4"), X86EMUL_EXCEPTION);
    assert_int_equal(st.event.vector, X86_EXC_PF);
    assert_int_equal(st.event.error_code, 3);
    assert_int_equal(st.event.cr2, FAULT_PAGE);
    assert_int_equal(st.gpr[RCX], 16);
    assert_int_equal(st.gpr[RDI], FAULT_PAGE);
    assert_int_equal(st.rip, 0x800);
}

static void test_rep_segment_limit(void **state)
{
    struct x86_emul_state st;

    string_state(&st, M32);
    st.seg[X86_SEG_ES].limit = 0x1001;
    st.gpr[RCX] = 4;
    st.gpr[RDI] = 0x1000;
    assert_int_equal(run(&st, "f3 aa"), X86EMUL_EXCEPTION);
    assert_int_equal(st.event.vector, X86_EXC_GP);
    assert_int_equal(st.gpr[RCX], 2);
}

/* ---- vector moves ---- */

static void vec_state(struct x86_emul_state *st)
{
    state_init(st, M64);
    memset(mem, 0, sizeof(*mem));
    mem->st = st;
    for (int i = 0; i < 64; i++)
        mem->bytes[0x1000 + i] = (uint8_t)(0x80 + i);
    for (int r = 0; r < 16; r++)
        memset(st->xmm[r], 0x10 + r, 32);
    st->gpr[RBX] = 0x1000;
}

static void test_sse_loads(void **state)
{
    struct x86_emul_state st;
    static const char *const loads[] = { "f3 0f 6f 03", "66 0f 6f 03", "0f 10 03", "0f 28 03",
                                         "66 0f 28 03", "66 0f 10 03" };

    for (size_t i = 0; i < ARRAY_SIZE(loads); i++) {
        vec_state(&st);
        assert_int_equal(run(&st, loads[i]), X86EMUL_OK);
        assert_memory_equal(st.xmm[0], mem->bytes + 0x1000, 16);
        assert_int_equal(st.xmm[0][16], 0x10);  /* the YMM upper half is kept */
        assert_int_equal(st.xmm[0][31], 0x10);
    }
    vec_state(&st);
    assert_int_equal(run(&st, "44 0f 10 03"), X86EMUL_OK);  /* movups xmm8 */
    assert_memory_equal(st.xmm[8], mem->bytes + 0x1000, 16);
    assert_int_equal(st.rip, 0x804);
}

static void test_sse_stores(void **state)
{
    struct x86_emul_state st;
    static const char *const stores[] = { "f3 0f 7f 0b", "66 0f 7f 0b", "0f 11 0b", "0f 29 0b" };

    for (size_t i = 0; i < ARRAY_SIZE(stores); i++) {
        vec_state(&st);
        assert_int_equal(run(&st, stores[i]), X86EMUL_OK);
        assert_memory_equal(mem->bytes + 0x1000, st.xmm[1], 16);
        assert_int_equal(mem->bytes[0x1010], 0x90);
    }
    vec_state(&st);
    assert_int_equal(run(&st, "66 0f 7f d9"), X86EMUL_OK);  /* movdqa xmm1,xmm3 */
    assert_memory_equal(st.xmm[1], st.xmm[3], 16);
    assert_int_equal(st.xmm[1][16], 0x11);
}

static void test_sse_faults(void **state)
{
    struct x86_emul_state st;
    static const char *const aligned[] = { "66 0f 6f 03", "0f 28 03", "0f 29 03", "66 0f 7f 03" };

    for (size_t i = 0; i < ARRAY_SIZE(aligned); i++) {
        vec_state(&st);
        st.gpr[RBX] = 0x1008;
        assert_int_equal(run(&st, aligned[i]), X86EMUL_EXCEPTION);
        assert_int_equal(st.event.vector, X86_EXC_GP);
        assert_int_equal(st.event.error_code, 0);
        assert_int_equal(mem->calls, 0);
    }
    vec_state(&st);
    st.gpr[RBX] = 0x1008;
    assert_int_equal(run(&st, "f3 0f 6f 03"), X86EMUL_OK);     /* movdqu: no alignment */
    vec_state(&st);
    st.cr0 |= X86_CR0_TS;
    assert_int_equal(run(&st, "0f 10 03"), X86EMUL_EXCEPTION);
    assert_int_equal(st.event.vector, X86_EXC_NM);
    vec_state(&st);
    st.cr4 = 0;
    assert_int_equal(run(&st, "0f 10 03"), X86EMUL_EXCEPTION);
    assert_int_equal(st.event.vector, X86_EXC_UD);
    vec_state(&st);
    assert_int_equal(run(&st, "f0 0f 10 03"), X86EMUL_EXCEPTION);  /* lock */
    assert_int_equal(st.event.vector, X86_EXC_UD);
    vec_state(&st);
    assert_int_equal(run(&st, "0f 6f 03"), X86EMUL_UNHANDLEABLE);  /* MMX movq */
    assert_int_equal(run(&st, "f3 0f 10 03"), X86EMUL_UNHANDLEABLE); /* movss */
}

static void test_vmovdqu(void **state)
{
    struct x86_emul_state st;

    vec_state(&st);
    assert_int_equal(run(&st, "c5 fe 6f 03"), X86EMUL_OK);     /* vmovdqu ymm0,[rbx] */
    assert_memory_equal(st.xmm[0], mem->bytes + 0x1000, 32);
    vec_state(&st);
    assert_int_equal(run(&st, "c5 fa 6f 03"), X86EMUL_OK);     /* vmovdqu xmm0,[rbx] */
    assert_memory_equal(st.xmm[0], mem->bytes + 0x1000, 16);
    assert_int_equal(st.xmm[0][16], 0);                         /* VEX.128 zeroes the rest */
    vec_state(&st);
    assert_int_equal(run(&st, "c5 fe 7f 0b"), X86EMUL_OK);     /* vmovdqu [rbx],ymm1 */
    assert_memory_equal(mem->bytes + 0x1000, st.xmm[1], 32);
    assert_int_equal(mem->bytes[0x1020], 0xa0);
    vec_state(&st);
    assert_int_equal(run(&st, "c4 41 7e 6f 03"), X86EMUL_OK);  /* vmovdqu ymm8,[r11] */
    vec_state(&st);
    st.gpr[R11] = 0x1000;
    assert_int_equal(run(&st, "c4 41 7e 6f 03"), X86EMUL_OK);
    assert_memory_equal(st.xmm[8], mem->bytes + 0x1000, 32);
    vec_state(&st);
    st.gpr[RBX] = 0x1010;
    assert_int_equal(run(&st, "c5 fd 6f 03"), X86EMUL_EXCEPTION); /* vmovdqa ymm misaligned */
    assert_int_equal(st.event.vector, X86_EXC_GP);
    vec_state(&st);
    assert_int_equal(run(&st, "c5 f6 6f 03"), X86EMUL_EXCEPTION);  /* vvvv used */
    assert_int_equal(st.event.vector, X86_EXC_UD);
    vec_state(&st);
    assert_int_equal(run(&st, "c5 fc 28 03"), X86EMUL_UNHANDLEABLE);  /* vmovaps */
    vec_state(&st);
    st.mode = M32;
    st.seg[X86_SEG_DS].attr = 0xc093;
    assert_int_equal(run(&st, "c5 fe 6f 03"), X86EMUL_OK);     /* 32-bit code */
    assert_memory_equal(st.xmm[0], mem->bytes + 0x1000, 32);
}

/* Every access of a 64-byte vector store at a page's end is split there. */
static void test_page_split(void **state)
{
    struct x86_emul_state st;

    vec_state(&st);
    st.gpr[RBX] = 0x1ff8;
    assert_int_equal(run(&st, "c5 fe 7f 0b"), X86EMUL_OK);
    assert_int_equal(mem->calls, 2);
    assert_int_equal(mem->last_linear, 0x2000);
    assert_memory_equal(mem->bytes + 0x1ff8, st.xmm[1], 32);
}

static int setup(void **state)
{
    mem = calloc(1, sizeof(*mem));
    return mem ? 0 : -1;
}

static int teardown(void **state)
{
    free(mem);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_rep_movsb_chunks),
        cmocka_unit_test(test_rep_movsq_df),
        cmocka_unit_test(test_rep_stosd_df),
        cmocka_unit_test(test_rep_zero_count),
        cmocka_unit_test(test_rep_addr32),
        cmocka_unit_test(test_rep_addr16),
        cmocka_unit_test(test_repe_cmpsb),
        cmocka_unit_test(test_repne_cmpsb),
        cmocka_unit_test(test_cmps_lods_single),
        cmocka_unit_test(test_rep_fault_midway),
        cmocka_unit_test(test_rep_segment_limit),
        cmocka_unit_test(test_sse_loads),
        cmocka_unit_test(test_sse_stores),
        cmocka_unit_test(test_sse_faults),
        cmocka_unit_test(test_vmovdqu),
        cmocka_unit_test(test_page_split),
    };

    return cmocka_run_group_tests_name("emulate", tests, setup, teardown);
}
