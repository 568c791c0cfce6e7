/*
 * Unit tests for the guest page-table walker (hv/guest_walk.c). Page tables are built in a fake
 * guest memory, a 1 MiB byte array whose read and write callbacks bounds-check, insist on aligned
 * entry-sized accesses and log every write, so the Accessed/Dirty updates can be checked exactly.
 * The bit values below are written out from the architecture, not taken from the walker.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/guest_walk.c"

#define P    0x1ull
#define W    0x2ull
#define U    0x4ull
#define A    0x20ull
#define D    0x40ull
#define PS   0x80ull
#define PAT  0x1000ull      /* bit 12 in a large-page entry */
#define XD   (1ull << 63)

#define CR0_PE   0x1ull
#define CR0_WP   (1ull << 16)
#define CR0_PG   (1ull << 31)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* --- fake guest memory ----------------------------------------------------------------------- */

#define MEM_SIZE 0x100000u

struct fake_mem {
    uint8_t bytes[MEM_SIZE];
    unsigned int reads, writes;
    struct { uint64_t gpa; size_t len; } wlog[16];
    bool fail_writes;
    uint64_t next_table;
};

static struct fake_mem *mem;

static int fake_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    struct fake_mem *m = ctx;

    assert_true(len == 4 || len == 8);
    assert_int_equal(gpa % len, 0);
    m->reads++;
    if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
        return -EFAULT;
    memcpy(buf, m->bytes + gpa, len);
    return 0;
}

static int fake_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    struct fake_mem *m = ctx;

    assert_true(len == 4 || len == 8);
    assert_int_equal(gpa % len, 0);
    if (m->fail_writes || gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
        return -EFAULT;
    assert_true(m->writes < ARRAY_SIZE(m->wlog));
    m->wlog[m->writes].gpa = gpa;
    m->wlog[m->writes].len = len;
    m->writes++;
    memcpy(m->bytes + gpa, buf, len);
    return 0;
}

static const struct guest_mem_ops ops = { .read = fake_read, .write = fake_write };

static int setup(void **state)
{
    mem = calloc(1, sizeof(*mem));
    assert_non_null(mem);
    mem->next_table = 0x10000;
    return 0;
}

static int teardown(void **state)
{
    free(mem);
    return 0;
}

static uint64_t get(uint64_t gpa, unsigned int size)
{
    uint64_t v = 0;

    memcpy(&v, mem->bytes + gpa, size);
    return v;
}

static void put(uint64_t gpa, uint64_t v, unsigned int size)
{
    memcpy(mem->bytes + gpa, &v, size);
}

static void clear_log(void)
{
    mem->reads = mem->writes = 0;
}

/* Was the entry at gpa written (with the given size)? */
static bool written(uint64_t gpa, size_t len)
{
    for (unsigned int i = 0; i < mem->writes; i++)
        if (mem->wlog[i].gpa == gpa && mem->wlog[i].len == len)
            return true;
    return false;
}

/* --- building page tables -------------------------------------------------------------------- */

struct layout {
    unsigned int nlevels, esize;
    unsigned int shift[5], bits[5];
    uint64_t addr_mask;
};

static const struct layout L32 = { 2, 4, { 22, 12 }, { 10, 10 }, 0xfffff000ull };
static const struct layout LPAE = { 3, 8, { 30, 21, 12 }, { 2, 9, 9 }, 0x000ffffffffff000ull };
static const struct layout L4 = { 4, 8, { 39, 30, 21, 12 }, { 9, 9, 9, 9 }, 0x000ffffffffff000ull };
static const struct layout L5 = { 5, 8, { 48, 39, 30, 21, 12 }, { 9, 9, 9, 9, 9 },
                                  0x000ffffffffff000ull };

/*
 * The address of gva's entry at `level` (0 = top), creating the tables above it with entry
 * flags upper[i] where they are missing.
 */
static uint64_t entry_at(const struct layout *l, uint64_t top, uint64_t gva, unsigned int level,
                         const uint64_t *upper)
{
    uint64_t table = top;

    for (unsigned int i = 0;; i++) {
        uint64_t ea = table + ((gva >> l->shift[i]) & ((1ull << l->bits[i]) - 1)) * l->esize;
        uint64_t e;

        if (i == level)
            return ea;
        e = get(ea, l->esize);
        if (!(e & P)) {
            e = mem->next_table | upper[i];
            mem->next_table += 0x1000;
            put(ea, e, l->esize);
        }
        table = e & l->addr_mask;
    }
}

static const uint64_t all_upper[5] = { P | W | U, P | W | U, P | W | U, P | W | U, P | W | U };
static const uint64_t pae_upper[3] = { P, P | W | U, P | W | U };

static void map(const struct layout *l, uint64_t top, uint64_t gva, unsigned int level,
                uint64_t entry)
{
    put(entry_at(l, top, gva, level, l == &LPAE ? pae_upper : all_upper), entry, l->esize);
}

static struct guest_paging pg_32(void)
{
    return (struct guest_paging){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1000 };
}

static struct guest_paging pg_pae(void)
{
    return (struct guest_paging){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1020,
                                  .cr4 = CR4_PAE, .efer = EFER_NXE };
}

static struct guest_paging pg_long(void)
{
    return (struct guest_paging){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1000,
                                  .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA | EFER_NXE };
}

struct result {
    enum guest_walk_result rc;
    uint64_t gpa;
    uint32_t pfec;
};

static struct result walk(const struct guest_paging *pg, uint64_t gva, unsigned int access)
{
    struct result r = { .gpa = 0xdeadbeef, .pfec = 0xdeadbeef };

    clear_log();
    r.rc = guest_walk(pg, gva, access, &ops, mem, &r.gpa, &r.pfec);
    return r;
}

static void expect_ok(const struct guest_paging *pg, uint64_t gva, unsigned int access,
                      uint64_t gpa)
{
    struct result r = walk(pg, gva, access);

    if (r.rc != GW_OK || r.gpa != gpa)
        fail_msg("gva %#llx access %#x: rc %d gpa %#llx pfec %#x, want gpa %#llx",
                 (unsigned long long)gva, access, r.rc, (unsigned long long)r.gpa, r.pfec,
                 (unsigned long long)gpa);
}

static void expect_pf(const struct guest_paging *pg, uint64_t gva, unsigned int access,
                      uint32_t pfec)
{
    struct result r = walk(pg, gva, access);

    if (r.rc != GW_PAGE_FAULT || r.pfec != pfec)
        fail_msg("gva %#llx access %#x: rc %d gpa %#llx pfec %#x, want #PF %#x",
                 (unsigned long long)gva, access, r.rc, (unsigned long long)r.gpa, r.pfec, pfec);
}

/* --- translation in each mode ---------------------------------------------------------------- */

static void test_no_paging(void **state)
{
    struct guest_paging pg = { .cr0 = CR0_PE | CR0_WP, .cr4 = CR4_PAE | CR4_PSE };

    expect_ok(&pg, 0x123456789ull, GW_WRITE, 0x23456789);
    expect_ok(&pg, 0xfffff, GW_FETCH, 0xfffff);
    assert_int_equal(mem->reads, 0);
    assert_int_equal(mem->writes, 0);
    pg.cr0 = 0;
    expect_ok(&pg, 0xffffffffffffffffull, GW_READ | GW_IMPLICIT, 0xffffffff);
}

static void test_32bit_4k(void **state)
{
    struct guest_paging pg = pg_32();

    /* gva 0x00401234: PDE 1 at 0x1004, PTE 1 of the table at 0x2000 */
    put(0x1004, 0x2000 | P | W | U, 4);
    put(0x2004, 0xabc000 | P | W | U, 4);
    pg.cr3 = 0x1000 | 0x18;                             /* PWT, PCD: not address bits */
    expect_ok(&pg, 0x00401234, GW_READ, 0xabc234);
    assert_int_equal(get(0x1004, 4), 0x2000 | P | W | U | A);
    assert_int_equal(get(0x2004, 4), 0xabc000 | P | W | U | A);
    assert_int_equal(mem->writes, 2);
    assert_true(written(0x1004, 4) && written(0x2004, 4));
    expect_ok(&pg, 0x00401234, GW_WRITE, 0xabc234);
    assert_int_equal(get(0x2004, 4), 0xabc000 | P | W | U | A | D);
    assert_int_equal(mem->writes, 1);
    expect_ok(&pg, 0x00401234, GW_WRITE, 0xabc234);
    assert_int_equal(mem->writes, 0);
    /* outside long mode the upper half of the gva does not exist */
    expect_ok(&pg, 0xffffffff00401fffull, GW_READ, 0xabcfff);
    /* bit 63 does not exist in 4-byte entries, so NXE changes nothing */
    pg.efer = EFER_NXE;
    expect_ok(&pg, 0x00401234, GW_FETCH, 0xabc234);
    /* not present */
    expect_pf(&pg, 0x00402000, GW_READ, 0);
    expect_pf(&pg, 0x00800000, GW_WRITE, PFEC_WRITE);
}

static void test_32bit_pse(void **state)
{
    struct guest_paging pg = pg_32();

    /* PDE 3 (gva 0x00c00000): a 4 MiB page at 0x12_00c00000 with PSE-36 bits 20:13 = 0x12 */
    put(0x100c, 0x00c00000 | (0x12ull << 13) | PS | P | W, 4);
    pg.cr4 = CR4_PSE;
    expect_ok(&pg, 0x00d23456, GW_WRITE, 0x1200d23456ull);
    assert_int_equal(get(0x100c, 4), 0x00c00000 | (0x12ull << 13) | PS | P | W | A | D);
    assert_int_equal(mem->writes, 1);
    assert_true(written(0x100c, 4));
    /* bit 21 is reserved in a 4 MiB PDE */
    put(0x100c, 0x00c00000 | (1ull << 21) | PS | P | W, 4);
    expect_pf(&pg, 0x00d23456, GW_READ, PFEC_RSVD | PFEC_PRESENT);
    expect_pf(&pg, 0x00d23456, GW_WRITE, PFEC_RSVD | PFEC_PRESENT | PFEC_WRITE);
    assert_int_equal(mem->writes, 0);
    /* without CR4.PSE, PS is ignored: the PDE points to a page table */
    put(0x1010, 0x3000 | PS | P | W, 4);                /* PDE 4: gva 0x01000000 */
    put(0x3000 + 5 * 4, 0x55000 | P | W, 4);
    pg.cr4 = 0;
    expect_ok(&pg, 0x01005678, GW_READ, 0x55678);
    pg.cr4 = CR4_PSE;                                   /* a 4 MiB page: bit 13 is address bit 32 */
    expect_ok(&pg, 0x01005678, GW_READ, 0x100005678ull);
}

static void test_pae(void **state)
{
    struct guest_paging pg = pg_pae();

    /* gva 0xc0201234: PDPTE 3 at 0x1020 + 24, PDE 1, PTE 1 */
    put(0x1038, 0x2000 | P, 8);
    put(0x2008, 0x3000 | P | W | U, 8);
    put(0x3008, 0xf12345000ull | P | W | U, 8);         /* above 4 GiB */
    expect_ok(&pg, 0xc0201234, GW_READ, 0xf12345234ull);
    assert_int_equal(mem->writes, 2);                   /* PDPTEs have no accessed flag */
    assert_true(written(0x2008, 8) && written(0x3008, 8));
    assert_int_equal(get(0x1038, 8), 0x2000 | P);
    /* a 2 MiB page: PDE 2; bit 12 is PAT, not address */
    put(0x2010, 0x40000000 | PAT | PS | P | W | U, 8);
    expect_ok(&pg, 0xc0412345, GW_WRITE, 0x40012345);
    assert_int_equal(get(0x2010, 8), 0x40000000 | PAT | PS | P | W | U | A | D);
    expect_ok(&pg, 0x1c0412345ull, GW_READ, 0x40012345);   /* gva truncated to 32 bits */
    /* CR3 holds a 32-byte aligned PDPT address */
    pg.cr3 = 0x1000;
    expect_pf(&pg, 0xc0201234, GW_READ, 0);             /* PDPTE 3 of the PDPT at 0x1000 */
    /* NX */
    put(0x3010, 0x7000 | XD | P | W | U, 8);            /* gva 0xc0202000 */
    pg.cr3 = 0x1020;
    expect_ok(&pg, 0xc0202000, GW_READ, 0x7000);
    expect_pf(&pg, 0xc0202000, GW_FETCH, PFEC_PRESENT | PFEC_FETCH);
    pg.efer = 0;
    expect_pf(&pg, 0xc0202000, GW_READ, PFEC_RSVD | PFEC_PRESENT);
    expect_pf(&pg, 0xc0202000, GW_FETCH, PFEC_RSVD | PFEC_PRESENT);    /* no I/D without NXE */
}

static void test_long_4level(void **state)
{
    struct guest_paging pg = pg_long();
    uint64_t gva = 0xffff800000201234ull;

    /* PML4 256 at 0x1800, PDPT 0 at 0x2000, PD 1 at 0x3008, PT 1 at 0x4008 */
    put(0x1800, 0x2000 | P | W | U, 8);
    put(0x2000, 0x3000 | P | W | U, 8);
    put(0x3008, 0x4000 | P | W | U, 8);
    put(0x4008, 0x0008000012345000ull | (1ull << 58) | (1ull << 62) | P | W | U, 8);
    expect_ok(&pg, gva, GW_READ, 0x0008000012345234ull);     /* bits 62:52 ignored */
    assert_int_equal(mem->writes, 4);
    assert_true(written(0x1800, 8) && written(0x2000, 8) && written(0x3008, 8) &&
                written(0x4008, 8));
    assert_int_equal(get(0x4008, 8) & (A | D), A);
    expect_ok(&pg, gva, GW_WRITE, 0x0008000012345234ull);
    assert_int_equal(mem->writes, 1);
    assert_int_equal(get(0x4008, 8) & (A | D), A | D);
    /* a 1 GiB page (PDPT 1) and a 2 MiB page (PD 2) */
    put(0x2008, 0x140000000ull | PAT | PS | P | W | U, 8);
    expect_ok(&pg, 0xffff800052345678ull, GW_WRITE, 0x152345678ull);
    assert_int_equal(get(0x2008, 8), 0x140000000ull | PAT | PS | P | W | U | A | D);
    put(0x3010, 0x80000000ull | PAT | PS | P | W | U, 8);
    expect_ok(&pg, 0xffff800000412345ull, GW_READ, 0x80012345ull);
    assert_int_equal(get(0x3010, 8), 0x80000000ull | PAT | PS | P | W | U | A);
    /* CR3's PCID and flag bits are not address bits */
    pg.cr3 = 0x1000 | 0xfff;
    expect_ok(&pg, 0xffff800000412345ull, GW_READ, 0x80012345ull);
}

static void test_noncanonical(void **state)
{
    struct guest_paging pg = pg_long();
    static const uint64_t bad4[] = { 0x0000800000000000ull, 0xffff7fffffffffffull,
                                     0x8000000000000000ull, 0x00ff000000000000ull };

    for (size_t i = 0; i < ARRAY_SIZE(bad4); i++) {
        expect_pf(&pg, bad4[i], GW_READ, GW_PFEC_NONCANONICAL);
        assert_int_equal(mem->reads, 0);
    }
    pg.cr4 |= CR4_LA57;
    expect_pf(&pg, 0x0100000000000000ull, GW_READ, GW_PFEC_NONCANONICAL);
    expect_pf(&pg, 0xfeffffffffffffffull, GW_FETCH, GW_PFEC_NONCANONICAL);
    /* canonical for 57 bits: walks (and finds nothing mapped) */
    expect_pf(&pg, 0x0000800000000000ull, GW_READ, 0);
    expect_pf(&pg, 0xff00000000000000ull, GW_WRITE, PFEC_WRITE);
}

static void test_long_5level(void **state)
{
    struct guest_paging pg = pg_long();
    uint64_t gva = 0x00ff812345678abcull;       /* canonical only with 57 bits */

    pg.cr4 |= CR4_LA57;
    map(&L5, 0x1000, gva, 4, 0x99000ull | P | W | U);
    expect_ok(&pg, gva, GW_WRITE, 0x99abcull);
    assert_int_equal(mem->writes, 5);
    /* the PML5 index is bits 56:48 */
    assert_true(written(0x1000 + ((gva >> 48) & 0x1ff) * 8, 8));
    /* a PML5E with PS set is reserved */
    put(0x1000 + ((gva >> 48) & 0x1ff) * 8, get(0x1000 + ((gva >> 48) & 0x1ff) * 8, 8) | PS, 8);
    expect_pf(&pg, gva, GW_READ, PFEC_RSVD | PFEC_PRESENT);
    /* without LA57 the same CR3 is a PML4 and the gva is not canonical */
    pg.cr4 &= ~CR4_LA57;
    expect_pf(&pg, gva, GW_READ, GW_PFEC_NONCANONICAL);
}

/* --- reserved bits --------------------------------------------------------------------------- */

struct rsvd_case {
    const struct layout *l;
    unsigned int level;
    uint64_t extra;         /* bits added to the entry at that level */
    bool large;             /* the entry maps a page */
    bool nxe;
    bool fault;             /* reserved (true) or ignored/valid (false) */
};

static const struct rsvd_case rsvd_cases[] = {
    { &L4, 0, PS, false, true, true },                  /* PML4E.PS */
    { &L4, 0, XD, false, false, true },                 /* XD without NXE */
    { &L4, 0, XD, false, true, false },
    { &L4, 0, 1ull << 52, false, true, false },         /* bits 62:52 ignored in long mode */
    { &L4, 0, 1ull << 62, false, false, false },
    { &L4, 1, 1ull << 13, true, true, true },           /* 1 GiB page: bits 29:13 */
    { &L4, 1, 1ull << 29, true, true, true },
    { &L4, 1, 1ull << 12, true, true, false },          /* PAT */
    { &L4, 1, 1ull << 11, false, true, false },         /* ignored */
    { &L4, 2, 1ull << 6, false, true, false },          /* ignored in a non-leaf PDE */
    { &L4, 2, 1ull << 13, true, true, true },           /* 2 MiB page: bits 20:13 */
    { &L4, 2, 1ull << 20, true, true, true },
    { &L4, 2, 1ull << 21, true, true, false },
    { &L4, 3, XD, false, false, true },
    { &L4, 3, PS, false, true, false },                 /* PAT in a PTE */
    { &L4, 3, 1ull << 51, false, true, false },         /* MAXPHYADDR 52 */
    { &L5, 0, PS, false, true, true },
    { &L5, 0, XD, false, false, true },
    { &LPAE, 0, W, false, true, true },                 /* PDPTE bits 2:1, 8:5, 63:52 */
    { &LPAE, 0, U, false, true, true },
    { &LPAE, 0, A, false, true, true },
    { &LPAE, 0, PS, false, true, true },
    { &LPAE, 0, 1ull << 8, false, true, true },
    { &LPAE, 0, 1ull << 52, false, true, true },
    { &LPAE, 0, XD, false, true, true },
    { &LPAE, 0, 1ull << 9, false, true, false },        /* ignored */
    { &LPAE, 0, 0x18, false, true, false },             /* PWT, PCD */
    { &LPAE, 1, 1ull << 52, false, true, true },        /* bits 62:52 reserved in PAE */
    { &LPAE, 1, 1ull << 62, false, true, true },
    { &LPAE, 1, 1ull << 13, true, true, true },
    { &LPAE, 1, 1ull << 20, true, true, true },
    { &LPAE, 1, 1ull << 12, true, true, false },
    { &LPAE, 2, 1ull << 52, false, true, true },
    { &LPAE, 2, XD, false, false, true },
    { &LPAE, 2, XD, false, true, false },
    { &L32, 0, 1ull << 21, true, false, true },
    { &L32, 0, 1ull << 13, true, false, false },        /* PSE-36 address bit */
};

static struct guest_paging pg_for(const struct layout *l)
{
    struct guest_paging pg = l == &L32 ? pg_32() : l == &LPAE ? pg_pae() : pg_long();

    if (l == &L32)
        pg.cr4 |= CR4_PSE;
    if (l == &L5)
        pg.cr4 |= CR4_LA57;
    return pg;
}

static uint64_t top_of(const struct layout *l)
{
    return l == &LPAE ? 0x1020 : 0x1000;
}

static void test_reserved_bits(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(rsvd_cases); i++) {
        const struct rsvd_case *c = &rsvd_cases[i];
        struct guest_paging pg = pg_for(c->l);
        uint64_t gva = 0x40000000, ea, page = 0x40000000;
        unsigned int leaf = c->large ? c->level : c->l->nlevels - 1;
        struct result r;

        memset(mem, 0, sizeof(*mem));
        mem->next_table = 0x10000;
        pg.efer = c->nxe ? pg.efer | EFER_NXE : pg.efer & ~EFER_NXE;
        map(c->l, top_of(c->l), gva, leaf, page | (c->large ? PS : 0) | P | W | U);
        ea = entry_at(c->l, top_of(c->l), gva, c->level, all_upper);     /* exists already */
        put(ea, get(ea, c->l->esize) | c->extra, c->l->esize);
        r = walk(&pg, gva, GW_WRITE);
        if (c->fault && (r.rc != GW_PAGE_FAULT ||
                         r.pfec != (PFEC_RSVD | PFEC_PRESENT | PFEC_WRITE)))
            fail_msg("case %zu: rc %d pfec %#x, want a reserved-bit fault", i, r.rc, r.pfec);
        if (!c->fault && r.rc != GW_OK)
            fail_msg("case %zu: rc %d pfec %#x, want a translation", i, r.rc, r.pfec);
    }
}

/* --- access rights --------------------------------------------------------------------------- */

struct perm_case {
    uint64_t pte, pml4;     /* flags besides P; the levels between have P|W|U */
    unsigned int cpl, access;
    uint64_t cr4, efer;     /* added to long mode with CR4.PAE */
    bool wp, ac;
    uint32_t pfec;          /* ALLOW, or the error code of the #PF */
};

#define UW (U | W)
#define NP 0xffff           /* the PTE is not present */
#define SMEP CR4_SMEP
#define SMAP CR4_SMAP
#define NXE EFER_NXE
#define PF(x) (PFEC_PRESENT | (x))
#define ALLOW 0x100u        /* not a PFEC value */

static const struct perm_case perm_cases[] = {
    /* user accesses */
    { UW, UW, 3, GW_READ, 0, 0, true, false, ALLOW },
    { W, UW, 3, GW_READ, 0, 0, true, false, PF(PFEC_USER) },
    { U, UW, 3, GW_WRITE, 0, 0, false, false, PF(PFEC_WRITE | PFEC_USER) },
    { U, UW, 3, GW_WRITE, 0, 0, true, false, PF(PFEC_WRITE | PFEC_USER) },
    { UW, W, 3, GW_READ, 0, 0, true, false, PF(PFEC_USER) },         /* U/S combines */
    { UW, U, 3, GW_WRITE, 0, 0, false, false, PF(PFEC_WRITE | PFEC_USER) },   /* R/W combines */
    { UW, U, 3, GW_READ, 0, 0, true, false, ALLOW },
    { UW | XD, UW, 3, GW_FETCH, 0, NXE, true, false, PF(PFEC_USER | PFEC_FETCH) },
    { UW | XD, UW, 3, GW_READ, 0, NXE, true, false, ALLOW },
    /* XD combines */
    { UW, UW | XD, 3, GW_FETCH, 0, NXE, true, false, PF(PFEC_USER | PFEC_FETCH) },
    { UW, UW, 3, GW_FETCH, 0, NXE, true, false, ALLOW },
    /* SMAP and SMEP only restrict supervisor accesses */
    { UW, UW, 3, GW_READ, SMAP, 0, true, false, ALLOW },
    { UW, UW, 3, GW_FETCH, SMEP, 0, true, false, ALLOW },
    { W, UW, 3, GW_FETCH, SMEP, 0, true, false, PF(PFEC_USER | PFEC_FETCH) },
    /* supervisor accesses */
    { W, UW, 0, GW_READ, 0, 0, true, false, ALLOW },
    { U, UW, 0, GW_READ, 0, 0, true, false, ALLOW },
    { 0, UW, 0, GW_WRITE, 0, 0, false, false, ALLOW },         /* WP=0: writes anywhere */
    { 0, UW, 0, GW_WRITE, 0, 0, true, false, PF(PFEC_WRITE) },
    { U, UW, 0, GW_WRITE, 0, 0, false, false, ALLOW },
    { U, UW, 0, GW_WRITE, 0, 0, true, false, PF(PFEC_WRITE) },
    { W, U, 0, GW_WRITE, 0, 0, true, false, PF(PFEC_WRITE) },
    { W, U, 0, GW_WRITE, 0, 0, false, false, ALLOW },
    { UW, UW, 2, GW_READ, SMAP, 0, true, false, PF(0) },               /* cpl 1, 2 are supervisor */
    { UW, UW, 0, GW_FETCH, 0, 0, true, false, ALLOW },
    { UW, UW, 0, GW_FETCH, SMEP, 0, true, false, PF(PFEC_FETCH) },
    { W, UW, 0, GW_FETCH, SMEP, 0, true, false, ALLOW },
    { UW, W, 0, GW_FETCH, SMEP, 0, true, false, ALLOW },               /* one level without U */
    { W | XD, UW, 0, GW_FETCH, 0, NXE, true, false, PF(PFEC_FETCH) },
    { W | XD, UW, 0, GW_READ, 0, NXE, true, false, ALLOW },
    { W | XD, UW, 0, GW_FETCH, SMEP, NXE, true, false, PF(PFEC_FETCH) },
    /* SMAP */
    { UW, UW, 0, GW_READ, SMAP, 0, true, false, PF(0) },
    { UW, UW, 0, GW_WRITE, SMAP, 0, true, false, PF(PFEC_WRITE) },
    { UW, UW, 0, GW_READ, SMAP, 0, true, true, ALLOW },
    { UW, UW, 0, GW_WRITE, SMAP, 0, true, true, ALLOW },
    { U, UW, 0, GW_WRITE, SMAP, 0, true, true, PF(PFEC_WRITE) },
    { U, UW, 0, GW_WRITE, SMAP, 0, false, true, ALLOW },
    { UW, W, 0, GW_READ, SMAP, 0, true, false, ALLOW },                /* a supervisor page */
    { UW, UW, 0, GW_FETCH, SMAP, 0, true, false, ALLOW },                  /* not a data access */
    { UW, UW, 0, GW_READ | GW_IMPLICIT, SMAP, 0, true, true, PF(0) },  /* implicit: AC no help */
    { UW, UW, 0, GW_WRITE | GW_IMPLICIT, SMAP, 0, true, true, PF(PFEC_WRITE) },
    { UW, UW, 0, GW_READ | GW_IMPLICIT, 0, 0, true, false, ALLOW },
    { W, UW, 0, GW_READ | GW_IMPLICIT, SMAP, 0, true, false, ALLOW },
    /* implicit accesses from cpl 3 are supervisor accesses */
    { W, UW, 3, GW_READ | GW_IMPLICIT, 0, 0, true, false, ALLOW },
    { 0, UW, 3, GW_WRITE | GW_IMPLICIT, 0, 0, true, false, PF(PFEC_WRITE) },
    { 0, UW, 3, GW_WRITE | GW_IMPLICIT, 0, 0, false, false, ALLOW },
    { UW, UW, 3, GW_READ | GW_IMPLICIT, SMAP, 0, true, true, PF(0) },
    /* not present: P clear, the access bits as usual */
    { NP, UW, 3, GW_READ, 0, 0, true, false, PFEC_USER },
    { NP, UW, 0, GW_WRITE, 0, 0, true, false, PFEC_WRITE },
    { NP, UW, 3, GW_FETCH, 0, NXE, true, false, PFEC_USER | PFEC_FETCH },
    { NP, UW, 0, GW_FETCH, SMEP, 0, true, false, PFEC_FETCH },
    { NP, UW, 0, GW_FETCH, 0, 0, true, false, 0 },                     /* no NXE, no SMEP: no I/D */
};

static void test_permissions(void **state)
{
    const uint64_t gva = 0x7f0000401000ull, page = 0x55000;

    for (size_t i = 0; i < ARRAY_SIZE(perm_cases); i++) {
        const struct perm_case *c = &perm_cases[i];
        struct guest_paging pg = pg_long();
        uint64_t upper[4] = { P | c->pml4, P | W | U, P | W | U, P | W | U };
        struct result r;

        memset(mem, 0, sizeof(*mem));
        mem->next_table = 0x10000;
        pg.cr0 = c->wp ? pg.cr0 | CR0_WP : pg.cr0 & ~CR0_WP;
        pg.cr4 |= c->cr4;
        pg.efer = EFER_LME | EFER_LMA | c->efer;
        pg.cpl = c->cpl;
        pg.smap_ac = c->ac;
        put(entry_at(&L4, 0x1000, gva, 3, upper), c->pte == NP ? 0 : page | P | c->pte, 8);
        r = walk(&pg, gva, c->access);
        if (c->pfec == ALLOW && (r.rc != GW_OK || r.gpa != page))
            fail_msg("case %zu: rc %d pfec %#x, want a translation", i, r.rc, r.pfec);
        if (c->pfec != ALLOW && (r.rc != GW_PAGE_FAULT || r.pfec != c->pfec))
            fail_msg("case %zu: rc %d pfec %#x, want #PF %#x", i, r.rc, r.pfec, c->pfec);
    }
}

/* PFEC I/D outside PAE paging: only SMEP makes the CPU report it. */
static void test_fetch_pfec_32bit(void **state)
{
    struct guest_paging pg = pg_32();

    put(0x1000, 0x2000 | P | W | U, 4);
    put(0x2000, 0x5000 | P | W | U, 4);
    pg.efer = EFER_NXE;
    expect_pf(&pg, 0x1000, GW_FETCH, 0);
    pg.cpl = 3;
    expect_pf(&pg, 0x1000, GW_FETCH, PFEC_USER);
    pg.cr4 = CR4_SMEP;
    expect_pf(&pg, 0x1000, GW_FETCH, PFEC_USER | PFEC_FETCH);
    pg.cpl = 0;
    expect_pf(&pg, 0x0000, GW_FETCH, PFEC_PRESENT | PFEC_FETCH);       /* SMEP on a user page */
    /* 32-bit U/S and R/W rules as in the other modes */
    put(0x2000, 0x5000 | P | U, 4);
    pg.cr4 = 0;
    pg.cpl = 3;
    expect_pf(&pg, 0x0000, GW_WRITE, PFEC_PRESENT | PFEC_WRITE | PFEC_USER);
    pg.cpl = 0;
    expect_pf(&pg, 0x0000, GW_WRITE, PFEC_PRESENT | PFEC_WRITE);
    pg.cr0 &= ~CR0_WP;
    expect_ok(&pg, 0x0000, GW_WRITE, 0x5000);
}

/* --- Accessed and Dirty ---------------------------------------------------------------------- */

static void test_accessed_dirty(void **state)
{
    struct guest_paging pg = pg_long();
    const uint64_t gva = 0x12345678000ull;
    uint64_t ea[4], pte = 0x66000 | P | W;

    for (unsigned int lv = 0; lv < 4; lv++)
        ea[lv] = entry_at(&L4, 0x1000, gva, lv, all_upper);
    put(ea[3], pte, 8);

    /* a user read of a supervisor page: A on the three upper levels, the leaf untouched */
    pg.cpl = 3;
    expect_pf(&pg, gva, GW_READ, PFEC_PRESENT | PFEC_USER);
    assert_int_equal(mem->writes, 3);
    for (unsigned int lv = 0; lv < 3; lv++)
        assert_true(get(ea[lv], 8) & A);
    assert_int_equal(get(ea[3], 8), pte);
    /* a supervisor write denied by WP: no A, no D on the leaf */
    pg.cpl = 0;
    put(ea[3], pte & ~W, 8);
    expect_pf(&pg, gva, GW_WRITE, PFEC_PRESENT | PFEC_WRITE);
    assert_int_equal(mem->writes, 0);
    assert_int_equal(get(ea[3], 8), pte & ~W);
    /* allowed read: A on the leaf only, as the others have it */
    put(ea[3], pte, 8);
    expect_ok(&pg, gva, GW_READ, 0x66000);
    assert_int_equal(mem->writes, 1);
    assert_true(written(ea[3], 8));
    assert_int_equal(get(ea[3], 8), pte | A);
    /* write: D on the leaf only, never on upper levels */
    expect_ok(&pg, gva, GW_WRITE, 0x66000);
    assert_int_equal(mem->writes, 1);
    assert_int_equal(get(ea[3], 8), pte | A | D);
    for (unsigned int lv = 0; lv < 3; lv++)
        assert_false(get(ea[lv], 8) & D);
    /* nothing left to set */
    expect_ok(&pg, gva, GW_WRITE, 0x66000);
    assert_int_equal(mem->writes, 0);
    /* a fault at a lower level after setting A above: not present, then reserved */
    for (unsigned int lv = 0; lv < 3; lv++)
        put(ea[lv], get(ea[lv], 8) & ~A, 8);
    put(ea[2], 0, 8);
    expect_pf(&pg, gva, GW_READ, 0);
    assert_int_equal(mem->writes, 2);
    assert_true(written(ea[0], 8) && written(ea[1], 8));
    put(ea[2], 0x90000 | XD | P | W | U, 8);            /* no NXE: XD is reserved */
    pg.efer &= ~EFER_NXE;
    expect_pf(&pg, gva, GW_READ, PFEC_RSVD | PFEC_PRESENT);
    assert_int_equal(mem->writes, 0);
    assert_false(get(ea[2], 8) & A);
}

static void test_bad_gpa(void **state)
{
    struct guest_paging pg = pg_long();
    const uint64_t gva = 0x400000;
    uint64_t ea;

    pg.cr3 = 0x200000;                                  /* beyond guest memory */
    assert_int_equal(walk(&pg, gva, GW_READ).rc, GW_BAD_GPA);
    pg.cr3 = 0x1000;
    ea = entry_at(&L4, 0x1000, gva, 2, all_upper);
    put(ea, 0xfff000 | P | W | U, 8);                   /* a page table outside RAM */
    assert_int_equal(walk(&pg, gva, GW_READ).rc, GW_BAD_GPA);
    put(ea, 0x200000 | PS | P | W | U, 8);              /* a large page outside RAM is fine */
    expect_ok(&pg, gva + 5, GW_READ, 0x200005);
    /* the Accessed update cannot be written back */
    put(ea, 0x200000 | PS | P | W | U, 8);
    mem->fail_writes = true;
    assert_int_equal(walk(&pg, gva, GW_READ).rc, GW_BAD_GPA);
    mem->fail_writes = false;
    /* 32-bit and PAE */
    pg = pg_32();
    pg.cr3 = 0xfffff000;
    assert_int_equal(walk(&pg, gva, GW_READ).rc, GW_BAD_GPA);
    pg = pg_pae();
    put(0x1020, 0x300000 | P, 8);
    assert_int_equal(walk(&pg, 0x1000, GW_READ).rc, GW_BAD_GPA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_32bit_4k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_32bit_pse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_4level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noncanonical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_5level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_pfec_32bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accessed_dirty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_gpa, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
