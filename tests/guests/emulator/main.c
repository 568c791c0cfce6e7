/*
 * The hypervisor's instruction emulator, seen from a guest: each instruction form runs natively
 * on a RAM buffer and then on the test MMIO page (KEEL_TEST_MMIO_HV_GPA), where every access is
 * emulated; memory, registers and the flags the architecture defines must come out the same.
 */
#include "guest.h"

#define MMIO ((volatile uint8_t *)(uintptr_t)KEEL_TEST_MMIO_HV_GPA)
#define AREA 64
#define FL_CF 0x001
#define FL_ALL 0x8d5                    /* CF PF AF ZF SF OF */
#define FL_LOGIC (FL_ALL & ~0x10)       /* AF undefined after the logical ops */
#define FL_NONE 0

struct regs {
    uint64_t a, c, d, si, di, flags;
};

typedef void (*form_fn)(uint8_t *m, struct regs *r);

#define FORM(fname, text)                                                                     \
    static void fname(uint8_t *m, struct regs *r)                                             \
    {                                                                                         \
        asm volatile("pushq %[fl]; popfq\n\t" text "\n\tpushfq; popq %[fl]"                   \
                     : [fl] "+r"(r->flags), "+a"(r->a), "+c"(r->c), "+d"(r->d), "+S"(r->si),  \
                       "+D"(r->di)                                                            \
                     : "b"(m) : "memory", "cc");                                              \
    }

FORM(f_mov_store, "movq %%rax, 8(%%rbx)")
FORM(f_mov_load, "movq 8(%%rbx), %%rcx")
FORM(f_mov_imm, "movl $0x12345678, 16(%%rbx)")
FORM(f_movzx, "movzbl 9(%%rbx), %%edx")
FORM(f_movsx, "movswq 10(%%rbx), %%rdx")
FORM(f_add, "addq %%rax, 8(%%rbx)")
FORM(f_adc, "stc; adcl %%eax, 12(%%rbx)")
FORM(f_sub, "subl %%eax, 12(%%rbx)")
FORM(f_and_imm, "andb $0x5a, 9(%%rbx)")
FORM(f_or, "orw %%ax, 14(%%rbx)")
FORM(f_xor_load, "xorq 8(%%rbx), %%rax")
FORM(f_cmp, "cmpq %%rax, 8(%%rbx)")
FORM(f_test, "testl $0x80000001, 8(%%rbx)")
FORM(f_inc, "incq 8(%%rbx)")
FORM(f_dec, "decw 20(%%rbx)")
FORM(f_neg, "negl 12(%%rbx)")
FORM(f_not, "notq 16(%%rbx)")
FORM(f_xchg, "xchgq %%rax, 8(%%rbx)")
FORM(f_cmpxchg, "lock cmpxchgq %%rcx, 8(%%rbx)")
FORM(f_bts, "andq $63, %%rcx; btsq %%rcx, 8(%%rbx)")
FORM(f_btr_imm, "btrl $5, 8(%%rbx)")
FORM(f_rep_movsb, "leaq 0(%%rbx), %%rsi; leaq 32(%%rbx), %%rdi; movq $16, %%rcx; cld; rep movsb")
FORM(f_rep_stosq, "leaq 8(%%rbx), %%rdi; movq $3, %%rcx; cld; rep stosq")
FORM(f_lodsl, "leaq 4(%%rbx), %%rsi; cld; lodsl")
FORM(f_repe_cmpsb, "leaq 0(%%rbx), %%rsi; leaq 16(%%rbx), %%rdi; movq $16, %%rcx; cld; repe cmpsb")
FORM(f_std_movsw, "leaq 14(%%rbx), %%rsi; leaq 46(%%rbx), %%rdi; movq $4, %%rcx; std; rep movsw; cld")
FORM(f_movdqu, "movdqu 0(%%rbx), %%xmm1; movdqu %%xmm1, 32(%%rbx)")

static const struct {
    const char *name;
    form_fn fn;
    uint32_t flags;                     /* flags compared */
} forms[] = {
    { "mov-store", f_mov_store, FL_ALL }, { "mov-load", f_mov_load, FL_ALL },
    { "mov-imm", f_mov_imm, FL_ALL }, { "movzx", f_movzx, FL_ALL }, { "movsx", f_movsx, FL_ALL },
    { "add", f_add, FL_ALL }, { "adc", f_adc, FL_ALL }, { "sub", f_sub, FL_ALL },
    { "and-imm", f_and_imm, FL_LOGIC }, { "or", f_or, FL_LOGIC }, { "xor-load", f_xor_load, FL_LOGIC },
    { "cmp", f_cmp, FL_ALL }, { "test", f_test, FL_LOGIC }, { "inc", f_inc, FL_ALL },
    { "dec", f_dec, FL_ALL }, { "neg", f_neg, FL_ALL }, { "not", f_not, FL_ALL },
    { "xchg", f_xchg, FL_ALL }, { "cmpxchg", f_cmpxchg, FL_ALL }, { "bts", f_bts, FL_CF },
    { "btr-imm", f_btr_imm, FL_CF }, { "rep-movsb", f_rep_movsb, FL_ALL },
    { "rep-stosq", f_rep_stosq, FL_ALL }, { "lodsl", f_lodsl, FL_ALL },
    { "repe-cmpsb", f_repe_cmpsb, FL_ALL }, { "std-rep-movsw", f_std_movsw, FL_ALL },
    { "movdqu", f_movdqu, FL_ALL },
};

static uint8_t ram[AREA] __attribute__((aligned(64)));

static void fill(uint8_t *dst, volatile uint8_t *mmio, unsigned int seed)
{
    for (unsigned int i = 0; i < AREA; i++) {
        uint8_t b = (uint8_t)(i * 37 + seed * 11 + (i < 16 && i > 7 ? 0 : i >> 3));

        dst[i] = b;
        mmio[i] = b;
    }
    mmio[16] = dst[16] = dst[0];        /* some equal bytes, so REPE CMPS runs a while */
    mmio[17] = dst[17] = dst[1];
}

/* String forms leave RSI/RDI pointing into the area: compare them as offsets. */
static void rebase(struct regs *r, uint64_t base)
{
    if (r->si >= base && r->si <= base + AREA)
        r->si -= base;
    if (r->di >= base && r->di <= base + AREA)
        r->di -= base;
}

/* Runs form f on RAM and on the MMIO page from the same state; true if both agree. */
static bool run_form(unsigned int f, unsigned int seed, char *why, size_t n)
{
    struct regs init = { 0x8000000000000001ull * seed + 0x1234, 0x77 + seed, 0xdead, 0, 0,
                         0x2 | (seed & 0x8d5) }, rr = init, rm = init;
    uint32_t mask = forms[f].flags;

    fill(ram, MMIO, seed);
    forms[f].fn(ram, &rr);
    forms[f].fn((uint8_t *)MMIO, &rm);
    rebase(&rr, (uintptr_t)ram);
    rebase(&rm, (uintptr_t)MMIO);
    for (unsigned int i = 0; i < AREA; i++) {
        if (ram[i] != MMIO[i]) {
            snprintf(why, n, "byte %u: RAM 0x%x, MMIO 0x%x", i, ram[i], MMIO[i]);
            return false;
        }
    }
    if (rr.a != rm.a || rr.c != rm.c || rr.d != rm.d || rr.si != rm.si || rr.di != rm.di) {
        snprintf(why, n, "registers differ: rax %lx/%lx rcx %lx/%lx rdx %lx/%lx", (unsigned long)rr.a,
                 (unsigned long)rm.a, (unsigned long)rr.c, (unsigned long)rm.c, (unsigned long)rr.d,
                 (unsigned long)rm.d);
        return false;
    }
    if ((rr.flags ^ rm.flags) & (mask | 0x400)) {
        snprintf(why, n, "flags RAM 0x%lx, MMIO 0x%lx", (unsigned long)rr.flags, (unsigned long)rm.flags);
        return false;
    }
    return true;
}

void guest_main(const struct keel_start_info *si)
{
    char why[128], name[48];

    (void)si;
    write_cr4(read_cr4() | 0x600);      /* OSFXSR, OSXMMEXCPT: SSE moves are allowed */
    for (unsigned int f = 0; f < ARRAY_SIZE(forms); f++) {
        bool ok = true;

        why[0] = '\0';
        for (unsigned int seed = 1; seed <= 3 && ok; seed++)
            ok = run_form(f, seed, why, sizeof(why));
        snprintf(name, sizeof(name), "emulate-%s", forms[f].name);
        report(ok, name, "%s", why);
    }
}
