/*
 * Port I/O through the test FIFO (KEEL_TEST_FIFO_PORT): each access size, FIFO order, and the
 * string instructions in both directions. The string buffers straddle a 4 KiB boundary whose
 * two virtual pages map to physical pages that are not adjacent, so an emulator that
 * translates only the first address writes to the wrong page.
 * Unverified: never run against a FIFO yet (QEMU has none on port 0xec).
 */
#include "guest.h"

#define FIFO            KEEL_TEST_FIFO_PORT
#define UNKNOWN_PORT    0x2f0
#define BUF_VA          0x8000000000ull     /* PML4 slot 1: free for our own mappings */
#define LEN             200                 /* bytes per string test */
#define START_OFF       (PAGE_SIZE - 100)   /* 100 bytes before the boundary */

/* Physical backing: src = pages 0 and 2, dst = pages 1 and 3. */
static uint8_t phys[4][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t *const src = (uint8_t *)(uintptr_t)(BUF_VA + START_OFF);
static uint8_t *const dst = (uint8_t *)(uintptr_t)(BUF_VA + 2 * PAGE_SIZE + START_OFF);
static uint8_t big[PAGE_SIZE];

struct rep_result {
    uint64_t ptr, rcx;          /* RSI or RDI, and RCX, after the instruction */
};

/* Reads the FIFO until it reports empty; returns how many bytes were left in it. */
static unsigned int fifo_drain(void)
{
    unsigned int n = 0;

    while (inb(FIFO) != 0xff && n <= 4096)
        n++;
    return n;
}

static void map_buffers(void)
{
    pt_map(&guest_pt, BUF_VA, (uintptr_t)phys[0], PAGE_SIZE, PTE_RW);
    pt_map(&guest_pt, BUF_VA + PAGE_SIZE, (uintptr_t)phys[2], PAGE_SIZE, PTE_RW);
    pt_map(&guest_pt, BUF_VA + 2 * PAGE_SIZE, (uintptr_t)phys[1], PAGE_SIZE, PTE_RW);
    pt_map(&guest_pt, BUF_VA + 3 * PAGE_SIZE, (uintptr_t)phys[3], PAGE_SIZE, PTE_RW);
}

static void fill(uint8_t *p, unsigned int n, uint8_t seed)
{
    for (unsigned int i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + 7 * i) & 0x7f;      /* never 0xff, the FIFO's "empty" */
}

/* DF is set and cleared inside the same asm statement, around nothing but the string op. */
#define REP_IO(insn, ptr_constraint, r, port, down)                                 \
    asm volatile("test %[dn], %[dn]\n\tjz 1f\n\tstd\n1:\trep " insn "\n\tcld"       \
                 : ptr_constraint((r).ptr), "+c"((r).rcx)                           \
                 : "d"(port), [dn] "r"((uint32_t)(down)) : "memory", "cc")

static struct rep_result rep_outs(int size, bool down, const void *buf, uint64_t count)
{
    struct rep_result r = { (uintptr_t)buf, count };

    if (size == 1)
        REP_IO("outsb", "+S", r, FIFO, down);
    else if (size == 2)
        REP_IO("outsw", "+S", r, FIFO, down);
    else
        REP_IO("outsl", "+S", r, FIFO, down);
    return r;
}

static struct rep_result rep_ins(int size, bool down, uint16_t port, void *buf, uint64_t count)
{
    struct rep_result r = { (uintptr_t)buf, count };

    if (size == 1)
        REP_IO("insb", "+D", r, port, down);
    else if (size == 2)
        REP_IO("insw", "+D", r, port, down);
    else
        REP_IO("insl", "+D", r, port, down);
    return r;
}

static void check_single(void)
{
    uint8_t b[7];
    uint32_t l;
    uint16_t w;
    unsigned int left;

    report(inb(FIFO) == 0xff, "fifo-empty-byte", "read a byte from the empty FIFO");
    w = inw(FIFO);
    l = inl(FIFO);
    report(w == 0xffff && l == 0xffffffff, "fifo-empty-word-dword", "inw 0x%x, inl 0x%x", w, l);

    outb(FIFO, 0x11);
    outw(FIFO, 0x3322);
    outl(FIFO, 0x77665544);
    for (int i = 0; i < 7; i++)
        b[i] = inb(FIFO);
    left = fifo_drain();
    report(b[0] == 0x11 && b[1] == 0x22 && b[2] == 0x33 && b[3] == 0x44 && b[4] == 0x55 &&
           b[5] == 0x66 && b[6] == 0x77 && !left, "fifo-out-sizes-in-bytes",
           "read %x %x %x %x %x %x %x, %u bytes left", b[0], b[1], b[2], b[3], b[4], b[5], b[6], left);

    for (int i = 1; i <= 8; i++)
        outb(FIFO, (uint8_t)i);
    w = inw(FIFO);
    l = inl(FIFO);
    b[0] = inb(FIFO);
    b[1] = inb(FIFO);
    b[2] = inb(FIFO);
    report(w == 0x0201 && l == 0x06050403 && b[0] == 7 && b[1] == 8 && b[2] == 0xff,
           "fifo-in-sizes", "inw 0x%x inl 0x%x inb 0x%x 0x%x then 0x%x", w, l, b[0], b[1], b[2]);

    outb(FIFO, 0xab);
    l = inl(FIFO);
    report(l == 0xffffffab, "fifo-partial-dword", "inl 0x%x after one byte", l);

    outb(UNKNOWN_PORT, 0x12);
    b[0] = inb(UNKNOWN_PORT);
    w = inw(UNKNOWN_PORT);
    l = inl(UNKNOWN_PORT);
    left = fifo_drain();
    report(b[0] == 0xff && w == 0xffff && l == 0xffffffff && !left, "unknown-port",
           "port 0x%x: inb 0x%x inw 0x%x inl 0x%x, FIFO bytes %u", UNKNOWN_PORT, b[0], w, l, left);
}

/* Compares n bytes and names the first difference. */
static bool same(const uint8_t *a, const uint8_t *b, unsigned int n, char *why, size_t sz)
{
    for (unsigned int i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            snprintf(why, sz, "byte %u: 0x%x, expected 0x%x", i, a[i], b[i]);
            return false;
        }
    }
    snprintf(why, sz, "data ok");
    return true;
}

static void check_string_up(const char *name, int size)
{
    uint64_t count = LEN / size;
    struct rep_result o, in;
    char why[80];
    bool ok;

    fill(src, LEN, (uint8_t)size);
    memset(dst, 0, LEN);
    o = rep_outs(size, false, src, count);
    in = rep_ins(size, false, FIFO, dst, count);
    ok = same(dst, src, LEN, why, sizeof(why));
    report(ok && o.ptr == (uintptr_t)src + LEN && !o.rcx &&
           in.ptr == (uintptr_t)dst + LEN && !in.rcx && !fifo_drain(), name,
           "%s; after outs RSI +%ld RCX %lu, after ins RDI +%ld RCX %lu", why,
           (long)(o.ptr - (uintptr_t)src), (unsigned long)o.rcx,
           (long)(in.ptr - (uintptr_t)dst), (unsigned long)in.rcx);
}

/* DF=1 on one side only, so the data comes out reversed and the direction is visible. */
static void check_string_down(void)
{
    uint8_t expect[LEN];
    struct rep_result o, in;
    char why[80];
    bool ok;

    fill(src, LEN, 0x21);
    memset(dst, 0, LEN);
    for (int i = 0; i < LEN; i++)
        expect[i] = src[LEN - 1 - i];
    o = rep_outs(1, true, src + LEN - 1, LEN);
    in = rep_ins(1, false, FIFO, dst, LEN);
    ok = same(dst, expect, LEN, why, sizeof(why));
    report(ok && o.ptr == (uintptr_t)src - 1 && !o.rcx && in.ptr == (uintptr_t)dst + LEN,
           "rep-outsb-df1", "%s; after outs RSI %ld from the start, RCX %lu", why,
           (long)(o.ptr - (uintptr_t)src), (unsigned long)o.rcx);

    fill(src, LEN, 0x42);
    memset(dst, 0, LEN);
    for (int i = 0; i < LEN; i++)
        expect[i] = src[LEN - 1 - i];
    o = rep_outs(1, false, src, LEN);
    in = rep_ins(1, true, FIFO, dst + LEN - 1, LEN);
    ok = same(dst, expect, LEN, why, sizeof(why));
    report(ok && o.ptr == (uintptr_t)src + LEN && in.ptr == (uintptr_t)dst - 1 &&
           !in.rcx && !fifo_drain(), "rep-insb-df1", "%s; after ins RDI %ld from the start, RCX %lu",
           why, (long)(in.ptr - (uintptr_t)dst), (unsigned long)in.rcx);
}

/* The bytes must land in the right physical pages, not just read back through the same VA. */
static void check_physical_pages(void)
{
    fill(src, LEN, 0x33);
    rep_outs(1, false, src, LEN);
    rep_ins(1, false, FIFO, dst, LEN);
    report(!memcmp(phys[1] + START_OFF, phys[0] + START_OFF, 100) && !memcmp(phys[3], phys[2], 100) &&
           phys[3][0] == ((0x33 + 7 * 100) & 0x7f), "rep-ins-page-crossing-physical",
           "data after the 4 KiB boundary is not in the second page's frame");
}

static void check_unknown_port_string(void)
{
    uint8_t buf[16];
    struct rep_result in;
    bool ones = true;

    memset(buf, 0, sizeof(buf));
    in = rep_ins(1, false, UNKNOWN_PORT, buf, sizeof(buf));
    for (unsigned int i = 0; i < sizeof(buf); i++)
        ones &= buf[i] == 0xff;
    report(ones && in.ptr == (uintptr_t)buf + sizeof(buf) && !in.rcx, "rep-insb-unknown-port",
           "buf[0] 0x%x, RDI +%ld, RCX %lu", buf[0], (long)(in.ptr - (uintptr_t)buf),
           (unsigned long)in.rcx);
}

static void check_capacity(void)
{
    static uint8_t back[PAGE_SIZE];
    char why[80];
    bool ok;

    fill(big, sizeof(big), 0x5);
    memset(back, 0, sizeof(back));
    rep_outs(1, false, big, sizeof(big));
    rep_ins(1, false, FIFO, back, sizeof(back));
    ok = same(back, big, sizeof(big), why, sizeof(why));
    report(ok && inb(FIFO) == 0xff, "fifo-capacity-4096", "%s", why);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    map_buffers();
    check_single();
    check_string_up("rep-outsb-insb", 1);
    check_string_up("rep-outsw-insw", 2);
    check_string_up("rep-outsd-insd", 4);
    check_string_down();
    check_physical_pages();
    check_unknown_port_string();
    check_capacity();
}
