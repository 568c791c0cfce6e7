/*
 * Differential test of the x86 instruction emulator against the build machine's CPU, 64-bit
 * code only. Instructions are generated from templates (opcode, ModRM.reg, immediate size) with
 * random prefixes (66, REX.W/R/B, LOCK on the lockable memory forms), random register or
 * [base+disp8] operands and random operand values, from a fixed seed. Each one runs natively
 * from an executable page through a trampoline that loads all registers and RFLAGS and saves
 * them afterwards, and through the emulator with callbacks that access the same host buffer;
 * registers, the buffer and RFLAGS are compared. Flags the SDM leaves undefined (AF after the
 * logical ops, all but CF after BT*) are left out, so the test passes on Intel and AMD alike.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "shim.h"

#include "../../hv/x86/decode.c"
#include "../../hv/x86/emulate.c"
#include "../../hv/x86/emulate_alu.c"
#include "../../hv/x86/emulate_string.c"
#include "../../hv/x86/emulate_simd.c"

#define CASES_PER_TEMPLATE 400
#define BUF_SIZE 256
#define BASE_OFF 128        /* the base register points here */

struct native_regs {
    uint64_t gpr[16];
    uint64_t rflags;
};

/* diff_native(regs, code): loads every register but RSP and RFLAGS, calls code, saves them. */
void diff_native(struct native_regs *r, const void *code);
__asm__(
    ".text\n"
    ".globl diff_native\n"
    "diff_native:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  push %rdi\n"
    "  push %rsi\n"
    "  pushq 128(%rdi); popfq\n"
    "  mov 0(%rdi), %rax; mov 8(%rdi), %rcx; mov 16(%rdi), %rdx; mov 24(%rdi), %rbx\n"
    "  mov 40(%rdi), %rbp; mov 48(%rdi), %rsi\n"
    "  mov 64(%rdi), %r8; mov 72(%rdi), %r9; mov 80(%rdi), %r10; mov 88(%rdi), %r11\n"
    "  mov 96(%rdi), %r12; mov 104(%rdi), %r13; mov 112(%rdi), %r14; mov 120(%rdi), %r15\n"
    "  mov 56(%rdi), %rdi\n"
    "  call *(%rsp)\n"
    "  push %rdi\n"
    "  mov 16(%rsp), %rdi\n"
    "  mov %rax, 0(%rdi); mov %rcx, 8(%rdi); mov %rdx, 16(%rdi); mov %rbx, 24(%rdi)\n"
    "  mov %rbp, 40(%rdi); mov %rsi, 48(%rdi); popq 56(%rdi)\n"
    "  mov %r8, 64(%rdi); mov %r9, 72(%rdi); mov %r10, 80(%rdi); mov %r11, 88(%rdi)\n"
    "  mov %r12, 96(%rdi); mov %r13, 104(%rdi); mov %r14, 112(%rdi); mov %r15, 120(%rdi)\n"
    "  pushfq; popq 128(%rdi)\n"
    "  add $16, %rsp\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n");

/* Operand kinds of a template. */
enum { OPS_RM_REG, OPS_RM_IMM, OPS_BT_REG, OPS_ACC_IMM };

struct tmpl {
    const char *name;
    uint8_t map;            /* 0 or 1 (0F) */
    uint8_t opcode;
    int8_t reg;             /* fixed ModRM.reg, -1: random */
    uint8_t imm;            /* immediate bytes: 0, 1, or 4 ("z": 2 with 66) */
    uint8_t kind;
    bool lockable;
    uint32_t flag_mask;     /* flags compared; 0: all arithmetic flags */
};

#define T(n, m, o, r, i, k, l) { n, m, o, r, i, k, l, 0 }

static const struct tmpl tmpls[] = {
    T("add Eb,Gb", 0, 0x00, -1, 0, OPS_RM_REG, true), T("add Ev,Gv", 0, 0x01, -1, 0, OPS_RM_REG, true),
    T("add Gb,Eb", 0, 0x02, -1, 0, OPS_RM_REG, false), T("add Gv,Ev", 0, 0x03, -1, 0, OPS_RM_REG, false),
    T("or Eb,Gb", 0, 0x08, -1, 0, OPS_RM_REG, true), T("or Ev,Gv", 0, 0x09, -1, 0, OPS_RM_REG, true),
    T("or Gv,Ev", 0, 0x0b, -1, 0, OPS_RM_REG, false),
    T("adc Eb,Gb", 0, 0x10, -1, 0, OPS_RM_REG, true), T("adc Ev,Gv", 0, 0x11, -1, 0, OPS_RM_REG, true),
    T("adc Gv,Ev", 0, 0x13, -1, 0, OPS_RM_REG, false),
    T("sbb Eb,Gb", 0, 0x18, -1, 0, OPS_RM_REG, true), T("sbb Ev,Gv", 0, 0x19, -1, 0, OPS_RM_REG, true),
    T("sbb Gb,Eb", 0, 0x1a, -1, 0, OPS_RM_REG, false),
    T("and Ev,Gv", 0, 0x21, -1, 0, OPS_RM_REG, true), T("and Gb,Eb", 0, 0x22, -1, 0, OPS_RM_REG, false),
    T("sub Eb,Gb", 0, 0x28, -1, 0, OPS_RM_REG, true), T("sub Ev,Gv", 0, 0x29, -1, 0, OPS_RM_REG, true),
    T("sub Gv,Ev", 0, 0x2b, -1, 0, OPS_RM_REG, false),
    T("xor Ev,Gv", 0, 0x31, -1, 0, OPS_RM_REG, true), T("xor Gb,Eb", 0, 0x32, -1, 0, OPS_RM_REG, false),
    T("cmp Eb,Gb", 0, 0x38, -1, 0, OPS_RM_REG, false), T("cmp Ev,Gv", 0, 0x39, -1, 0, OPS_RM_REG, false),
    T("cmp Gv,Ev", 0, 0x3b, -1, 0, OPS_RM_REG, false),
    T("add al,ib", 0, 0x04, -1, 1, OPS_ACC_IMM, false), T("sub eAX,iz", 0, 0x2d, -1, 4, OPS_ACC_IMM, false),
    T("grp1 Eb,ib", 0, 0x80, -1, 1, OPS_RM_IMM, true), T("grp1 Ev,iz", 0, 0x81, -1, 4, OPS_RM_IMM, true),
    T("grp1 Ev,ib", 0, 0x83, -1, 1, OPS_RM_IMM, true),
    T("test Eb,Gb", 0, 0x84, -1, 0, OPS_RM_REG, false), T("test Ev,Gv", 0, 0x85, -1, 0, OPS_RM_REG, false),
    T("test Eb,ib", 0, 0xf6, 0, 1, OPS_RM_IMM, false), T("test Ev,iz", 0, 0xf7, 0, 4, OPS_RM_IMM, false),
    T("not Eb", 0, 0xf6, 2, 0, OPS_RM_IMM, true), T("not Ev", 0, 0xf7, 2, 0, OPS_RM_IMM, true),
    T("neg Eb", 0, 0xf6, 3, 0, OPS_RM_IMM, true), T("neg Ev", 0, 0xf7, 3, 0, OPS_RM_IMM, true),
    T("inc Eb", 0, 0xfe, 0, 0, OPS_RM_IMM, true), T("dec Eb", 0, 0xfe, 1, 0, OPS_RM_IMM, true),
    T("inc Ev", 0, 0xff, 0, 0, OPS_RM_IMM, true), T("dec Ev", 0, 0xff, 1, 0, OPS_RM_IMM, true),
    T("xchg Eb,Gb", 0, 0x86, -1, 0, OPS_RM_REG, true), T("xchg Ev,Gv", 0, 0x87, -1, 0, OPS_RM_REG, true),
    T("cmpxchg Eb,Gb", 1, 0xb0, -1, 0, OPS_RM_REG, true), T("cmpxchg Ev,Gv", 1, 0xb1, -1, 0, OPS_RM_REG, true),
    T("bt Ev,Gv", 1, 0xa3, -1, 0, OPS_BT_REG, false), T("bts Ev,Gv", 1, 0xab, -1, 0, OPS_BT_REG, true),
    T("btr Ev,Gv", 1, 0xb3, -1, 0, OPS_BT_REG, true), T("btc Ev,Gv", 1, 0xbb, -1, 0, OPS_BT_REG, true),
    T("bt Ev,ib", 1, 0xba, 4, 1, OPS_RM_IMM, false), T("bts Ev,ib", 1, 0xba, 5, 1, OPS_RM_IMM, true),
    T("btr Ev,ib", 1, 0xba, 6, 1, OPS_RM_IMM, true), T("btc Ev,ib", 1, 0xba, 7, 1, OPS_RM_IMM, true),
    T("mov Eb,Gb", 0, 0x88, -1, 0, OPS_RM_REG, false), T("mov Ev,Gv", 0, 0x89, -1, 0, OPS_RM_REG, false),
    T("mov Gb,Eb", 0, 0x8a, -1, 0, OPS_RM_REG, false), T("mov Gv,Ev", 0, 0x8b, -1, 0, OPS_RM_REG, false),
    T("mov Eb,ib", 0, 0xc6, 0, 1, OPS_RM_IMM, false), T("mov Ev,iz", 0, 0xc7, 0, 4, OPS_RM_IMM, false),
    T("movzx Gv,Eb", 1, 0xb6, -1, 0, OPS_RM_REG, false), T("movzx Gv,Ew", 1, 0xb7, -1, 0, OPS_RM_REG, false),
    T("movsx Gv,Eb", 1, 0xbe, -1, 0, OPS_RM_REG, false), T("movsx Gv,Ew", 1, 0xbf, -1, 0, OPS_RM_REG, false),
    T("movsxd Gv,Ed", 0, 0x63, -1, 0, OPS_RM_REG, false),
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    /* xorshift64*: a fixed seed makes every run test the same cases */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Operand values biased towards the edges where flags change. */
static uint64_t rnd_value(void)
{
    static const uint64_t edges[] = { 0, 1, ~0ULL, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                      0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffff,
                                      0x8000000000000000, 0x0f, 0x10 };
    uint64_t r = rnd();

    switch (r & 3) {
    case 0: return edges[(r >> 8) % ARRAY_SIZE(edges)];
    case 1: return edges[(r >> 8) % ARRAY_SIZE(edges)] + ((r >> 16) & 3) - 1;
    default: return rnd();
    }
}

struct diff_case {
    uint8_t code[16];
    size_t len;
    struct native_regs regs;
    uint8_t buf[BUF_SIZE];
};

static uint8_t *guest_buf;      /* the buffer both runs access */
static uint8_t *code_page;

static int diff_read(void *ctx, enum x86_seg seg, uint64_t linear, void *buf, unsigned int size)
{
    uint64_t b = (uint64_t)(uintptr_t)guest_buf;

    assert_true(linear >= b && linear + size <= b + BUF_SIZE);
    memcpy(buf, (void *)(uintptr_t)linear, size);
    return X86EMUL_OK;
}

static int diff_write(void *ctx, enum x86_seg seg, uint64_t linear, const void *buf,
                      unsigned int size)
{
    uint64_t b = (uint64_t)(uintptr_t)guest_buf;

    assert_true(linear >= b && linear + size <= b + BUF_SIZE);
    memcpy((void *)(uintptr_t)linear, buf, size);
    return X86EMUL_OK;
}

/* Prefixes: LOCK (memory forms of lockable ops), 66, REX. Returns the REX byte used. */
static uint8_t gen_prefixes(struct diff_case *c, const struct tmpl *t, bool mem)
{
    uint8_t rex = 0x40 | (rnd() & 0xd);     /* W, R, B; X has no effect without SIB */
    uint64_t r = rnd();

    if (t->lockable && mem && (r & 1))
        c->code[c->len++] = 0xf0;
    if ((r >> 1) % 4 == 0 && t->opcode != 0x63)
        c->code[c->len++] = 0x66;
    if ((r >> 3) % 3)
        c->code[c->len++] = rex;
    else
        rex = 0;
    return rex;
}

static void gen_case(struct diff_case *c, const struct tmpl *t)
{
    bool mem = rnd() % 3 != 0;
    uint8_t rex, reg, rm, base;
    bool has66;
    int8_t disp = (int8_t)(rnd() % 64) - 32;

    memset(c, 0, sizeof(*c));
    rex = gen_prefixes(c, t, mem);
    has66 = memchr(c->code, 0x66, c->len) != NULL;
    if (t->map)
        c->code[c->len++] = 0x0f;
    c->code[c->len++] = t->opcode;
    reg = t->reg >= 0 ? (uint8_t)t->reg : rnd() % 8;
    if (t->reg < 0 && reg == 4 && !(rex & 4))
        reg = 5 + rnd() % 3;                /* never RSP (CH, DH, BH for byte ops) */
    if (c->code[0] == 0xf0 && t->map == 0 && (t->opcode & 0xfc) == 0x80 && reg == 7)
        reg = rnd() % 7;                    /* LOCK CMP is #UD */
    rm = mem ? 3 : rnd() % 8;
    if (!mem && rm == 4 && !(rex & 1))
        rm = 5 + rnd() % 3;
    if (t->kind != OPS_ACC_IMM)
        c->code[c->len++] = (uint8_t)((mem ? 0x40 : 0xc0) | (reg << 3) | rm);
    if (t->kind != OPS_ACC_IMM && mem)
        c->code[c->len++] = (uint8_t)disp;
    for (unsigned int i = 0; i < (t->imm == 4 && has66 ? 2u : t->imm); i++)
        c->code[c->len++] = (uint8_t)rnd();
    c->code[c->len] = 0xc3;                 /* ret */
    for (int i = 0; i < 16; i++)
        c->regs.gpr[i] = rnd_value();
    base = 3 | (rex & 1 ? 8 : 0);
    c->regs.gpr[4] = 0;
    if (mem)
        c->regs.gpr[base] = (uint64_t)(uintptr_t)guest_buf + BASE_OFF;
    if (t->kind == OPS_BT_REG && mem)       /* a bit offset that stays inside the buffer */
        c->regs.gpr[reg | (rex & 4 ? 8 : 0)] = (uint64_t)(int64_t)((int)(rnd() % 512) - 256);
    c->regs.rflags = 0x2 | (rnd() & X86_FL_ARITH);
    for (int i = 0; i < BUF_SIZE; i++)
        c->buf[i] = (uint8_t)rnd_value();
}

/* A base register used as its own bit offset would address far away: skip those. */
static bool case_usable(const struct diff_case *c, const struct tmpl *t)
{
    struct x86_insn insn;

    if (x86_decode(c->code, c->len, X86_MODE_64, &insn))
        return false;
    if (t->kind == OPS_BT_REG && insn.mem && insn.modrm_reg == insn.base)
        return false;
    return true;
}

/* The arithmetic flags the architecture defines after this instruction. */
static uint64_t defined_flags(const struct diff_case *c, const struct tmpl *t)
{
    struct x86_insn insn;
    uint8_t op, reg;

    if (t->flag_mask)
        return t->flag_mask;
    if (x86_decode(c->code, c->len, X86_MODE_64, &insn))
        return X86_FL_ARITH;
    op = insn.opcode;
    reg = insn.modrm_reg & 7;
    if (insn.map == 1 && (op == 0xa3 || op == 0xab || op == 0xb3 || op == 0xbb || op == 0xba))
        return X86_FL_CF;                               /* BT family: only CF */
    if (insn.map == 0 && ((op >= 0x08 && op <= 0x0d) || (op >= 0x20 && op <= 0x25) ||
                          (op >= 0x30 && op <= 0x35) || op == 0x84 || op == 0x85 ||
                          ((op == 0xf6 || op == 0xf7) && reg <= 1) ||
                          ((op >= 0x80 && op <= 0x83) && (reg == 1 || reg == 4 || reg == 6))))
        return X86_FL_ARITH & ~X86_FL_AF;               /* logical ops: AF undefined */
    return X86_FL_ARITH;
}

static void run_case(const struct diff_case *c, const struct tmpl *t)
{
    static const struct x86_emul_ops ops = { diff_read, diff_write };
    struct native_regs nat = c->regs;
    uint8_t nat_buf[BUF_SIZE];
    struct x86_emul_state st = { .mode = X86_MODE_64, .cr0 = X86_CR0_PE, .rip = 0x1000,
                                 .cr4 = X86_CR4_OSFXSR };
    uint64_t mask = defined_flags(c, t);
    int rc;

    if (getenv("DIFF_TRACE"))     /* names the instruction that crashes natively */
        fprintf(stderr, "%s: %02x %02x %02x %02x %02x %02x\n", t->name, c->code[0], c->code[1],
                c->code[2], c->code[3], c->code[4], c->code[5]);
    memcpy(code_page, c->code, c->len + 1);
    memcpy(guest_buf, c->buf, BUF_SIZE);
    diff_native(&nat, code_page);
    memcpy(nat_buf, guest_buf, BUF_SIZE);

    memcpy(guest_buf, c->buf, BUF_SIZE);
    memcpy(st.gpr, c->regs.gpr, sizeof(st.gpr));
    st.rflags = c->regs.rflags;
    rc = x86_emulate(&st, &ops, NULL, c->code, c->len);
    if (rc != X86EMUL_OK)
        fail_msg("%s: rc %d", t->name, rc);
    assert_int_equal(st.rip, 0x1000 + c->len);
    for (int r = 0; r < 16; r++)
        if (r != 4 && st.gpr[r] != nat.gpr[r]) {
            fail_msg("%s (%02x %02x %02x %02x %02x): reg %d %llx native %llx", t->name,
                     c->code[0], c->code[1], c->code[2], c->code[3], c->code[4], r,
                     (unsigned long long)st.gpr[r], (unsigned long long)nat.gpr[r]);
        }
    assert_memory_equal(guest_buf, nat_buf, BUF_SIZE);
    if ((st.rflags ^ nat.rflags) & mask) {
        fail_msg("%s (%02x %02x %02x %02x %02x): flags %llx native %llx", t->name,
                 c->code[0], c->code[1], c->code[2], c->code[3], c->code[4],
                 (unsigned long long)st.rflags, (unsigned long long)nat.rflags);
    }
}

static void test_diff(void **state)
{
    struct diff_case c;
    unsigned int total = 0;

    for (size_t ti = 0; ti < ARRAY_SIZE(tmpls); ti++) {
        for (unsigned int n = 0; n < CASES_PER_TEMPLATE; n++) {
            gen_case(&c, &tmpls[ti]);
            if (!case_usable(&c, &tmpls[ti]))
                continue;
            run_case(&c, &tmpls[ti]);
            total++;
        }
    }
    print_message("%u instructions compared with the CPU\n", total);
    assert_true(total > 10000);
}

static int setup(void **state)
{
    code_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    guest_buf = malloc(BUF_SIZE);
    return code_page == MAP_FAILED || !guest_buf ? -1 : 0;
}

static int teardown(void **state)
{
    munmap(code_page, 4096);
    free(guest_buf);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff),
    };

    return cmocka_run_group_tests_name("emulate_diff", tests, setup, teardown);
}
