/*
 * Unit tests for the p2m (npt/p2m.c, npt/p2m_format.c). Table pages come from a fake allocator
 * that hands out made-up machine addresses and can be told to fail. Every test runs once per
 * format. The raw entries are checked by a walker written here from the hardware's rules, with
 * the expected bits spelled out, not taken from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../npt/p2m_format.c"
#include "../../npt/p2m.c"

/* --- the fake page allocator ------------------------------------------------------------------ */

#define FAKE_BASE 0x000fedc000000000ULL     /* high bits set, to catch a narrow address mask */
#define FAKE_MAX 4096
#define HW_ADDR 0x000ffffffffff000ULL

static struct {
    void *va[FAKE_MAX];
    unsigned int high;              /* slots [0, high) have been used */
    unsigned int live;
    unsigned int fail_in;           /* the fail_in-th allocation from now fails; 0: none */
    bool failed;
    char log[256];                  /* 'a' alloc, 'f' free, 'F' flush, in order */
    unsigned int log_len;
} fake;

static void fake_log_reset(void)
{
    memset(fake.log, 0, sizeof(fake.log));
    fake.log_len = 0;
}

static void fake_log(char c)
{
    if (fake.log_len < sizeof(fake.log) - 1)
        fake.log[fake.log_len++] = c;
}

static void *fake_alloc(paddr_t *pa)
{
    unsigned int slot = 0;

    if (fake.fail_in && --fake.fail_in == 0) {
        fake.failed = true;
        return NULL;
    }
    while (slot < FAKE_MAX && fake.va[slot])
        slot++;
    assert_true(slot < FAKE_MAX);
    fake.va[slot] = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    assert_non_null(fake.va[slot]);
    memset(fake.va[slot], 0, PAGE_SIZE);
    fake.high = MAX(fake.high, slot + 1);
    fake.live++;
    fake_log('a');
    *pa = FAKE_BASE + (uint64_t)slot * PAGE_SIZE;
    return fake.va[slot];
}

static void fake_free(void *va)
{
    for (unsigned int slot = 0; slot < fake.high; slot++) {
        if (fake.va[slot] == va) {
            free(va);
            fake.va[slot] = NULL;
            fake.live--;
            fake_log('f');
            return;
        }
    }
    fail_msg("free_page(%p): not a live page", va);
}

static void *fake_table_va(paddr_t pa)
{
    uint64_t slot = (pa - FAKE_BASE) / PAGE_SIZE;

    assert_true(pa >= FAKE_BASE && (pa & (PAGE_SIZE - 1)) == 0);
    assert_true(slot < FAKE_MAX);
    assert_non_null(fake.va[slot]);
    return fake.va[slot];
}

static const struct p2m_mem_ops fake_ops = {
    .alloc_page = fake_alloc, .free_page = fake_free, .table_va = fake_table_va,
};

/* --- per-test state --------------------------------------------------------------------------- */

static enum p2m_format_id FMT;
static struct p2m P;
static unsigned int flushes;

static const enum p2m_format_id fmt_npt = P2M_FORMAT_NPT, fmt_ept = P2M_FORMAT_EPT;

static void count_flush(struct p2m *p2m)
{
    assert_ptr_equal(p2m, &P);
    assert_true(spin_is_locked(&p2m->lock));    /* before anyone can map the freed frame again */
    flushes++;
    fake_log('F');
}

static int setup(void **state)
{
    memset(&fake, 0, sizeof(fake));
    memset(&P, 0, sizeof(P));
    FMT = *(const enum p2m_format_id *)*state;
    flushes = 0;
    p2m_set_mem_ops(&fake_ops);
    assert_int_equal(p2m_init(&P, FMT), 0);
    P.flush = count_flush;
    return 0;
}

static int teardown(void **state)
{
    p2m_destroy(&P);
    assert_null(P.root);
    assert_int_equal(fake.live, 0);
    return 0;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: fixed seed per test, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* --- what the hardware expects ---------------------------------------------------------------- */

static bool type_present(enum p2m_type t)
{
    return t == p2m_ram_rw || t == p2m_ram_ro || t == p2m_ram_logdirty || t == p2m_mmio_direct;
}

static bool hw_present(uint64_t e)
{
    return FMT == P2M_FORMAT_NPT ? (e & 1) : (e & 7);
}

/*
 * NPT: P|RW|US (US at every level, or the guest faults). EPT: R|W|X, nothing in bits 5:3 (reserved
 * in a non-leaf entry). Both come to 7.
 */
static uint64_t hw_table(paddr_t pa)
{
    return pa | 0x7;
}

static uint64_t hw_perm(enum p2m_type t)
{
    static const uint64_t npt[P2M_NR_TYPES] = {
        [p2m_ram_rw] = 0x07,                /* P|RW|US */
        [p2m_ram_ro] = 0x05,                /* P|US */
        [p2m_ram_logdirty] = 0x05,
        [p2m_mmio_direct] = 0x1f,           /* P|RW|US|PWT|PCD */
    };
    static const uint64_t ept[P2M_NR_TYPES] = {
        [p2m_ram_rw] = 0x37,                /* R|W|X, WB (6 << 3) */
        [p2m_ram_ro] = 0x35,                /* R|X, WB */
        [p2m_ram_logdirty] = 0x35,
        [p2m_mmio_direct] = 0x43,           /* R|W, UC (0), IPAT */
    };

    return FMT == P2M_FORMAT_NPT ? npt[t] : ept[t];
}

static uint64_t hw_leaf(enum p2m_type t, uint64_t mfn, unsigned int order)
{
    uint64_t e = (uint64_t)t << 52;

    if (!type_present(t))
        return e;
    return e | hw_perm(t) | (mfn << 12) | (order ? 0x80 : 0);
}

/* The entry that translates gfn and its level, walking as the MMU does. */
static uint64_t *hw_walk(uint64_t gfn, unsigned int *level)
{
    uint64_t *table = P.root;

    for (unsigned int l = 4;; l--) {
        uint64_t *e = &table[(gfn >> (9 * (l - 1))) & 511];

        if (l == 1 || !hw_present(*e) || (*e & 0x80)) {
            *level = l;
            return e;
        }
        assert_int_equal(*e, hw_table(*e & HW_ADDR));
        table = fake_table_va(*e & HW_ADDR);
    }
}

struct tree_count {
    uint64_t tables, pages[P2M_NR_TYPES], empty_tables;
};

static void check_leaf(uint64_t e, unsigned int level)
{
    enum p2m_type t = (enum p2m_type)((e >> 52) & 0xf);

    assert_true(level <= 2);
    assert_true(t > p2m_invalid && t < P2M_NR_TYPES);
    assert_int_equal(hw_present(e), type_present(t));
    assert_int_equal(e, hw_leaf(t, (e & HW_ADDR) >> 12, level == 2 ? 9 : 0));
    if (level == 2 && type_present(t))
        assert_int_equal((e >> 12) & 511, 0);
}

static void check_table(const uint64_t *table, unsigned int level, struct tree_count *c)
{
    bool empty = true;

    c->tables++;
    for (unsigned int i = 0; i < 512; i++) {
        uint64_t e = table[i];

        if (!e)
            continue;
        empty = false;
        if (level > 1 && hw_present(e) && !(e & 0x80)) {
            assert_int_equal(e, hw_table(e & HW_ADDR));
            check_table(fake_table_va(e & HW_ADDR), level - 1, c);
        } else {
            check_leaf(e, level);
            c->pages[(e >> 52) & 0xf] += level == 2 ? 512 : 1;
        }
    }
    c->empty_tables += empty && table != P.root;
}

/* Every entry encoded as the hardware expects, counters exact, no page leaked, lock free. */
static void check_tree(bool allow_empty)
{
    struct tree_count c = { 0 };

    check_table(P.root, 4, &c);
    assert_int_equal(c.tables, P.nr_tables);
    assert_int_equal(fake.live, P.nr_tables);
    for (unsigned int t = 0; t < P2M_NR_TYPES; t++)
        assert_int_equal(c.pages[t], P.nr_pages[t]);
    if (!allow_empty)
        assert_int_equal(c.empty_tables, 0);
    assert_false(spin_is_locked(&P.lock));
    assert_int_equal(P.root_pa & (PAGE_SIZE - 1), 0);
    assert_ptr_equal(fake_table_va(P.root_pa), P.root);
}

static void expect_at(uint64_t gfn, enum p2m_type t, uint64_t mfn, unsigned int order)
{
    mfn_t m;
    unsigned int o = 99;

    assert_int_equal(p2m_lookup(&P, _gfn(gfn), &m, &o), t);
    assert_int_equal(mfn_x(m), type_present(t) ? mfn : mfn_x(INVALID_MFN));
    assert_int_equal(o, order);
}

static void map(uint64_t gfn, uint64_t mfn, unsigned int order, enum p2m_type t)
{
    assert_int_equal(p2m_set_entry(&P, _gfn(gfn), _mfn(mfn), order, t), 0);
}

static uint64_t total_pages(void)
{
    uint64_t n = 0;

    for (unsigned int t = 0; t < P2M_NR_TYPES; t++)
        n += P.nr_pages[t];
    return n;
}

/* --- basic mapping ---------------------------------------------------------------------------- */

static void test_init_destroy(void **state)
{
    struct p2m q = { 0 };

    assert_int_equal(P.nr_tables, 1);
    assert_int_equal(fake.live, 1);
    assert_int_equal(total_pages(), 0);
    assert_ptr_equal(P.fmt, p2m_format_get(FMT));
    assert_ptr_equal(P.flush, count_flush);
    check_tree(false);

    /* flush and owner are the caller's, set before or after */
    q.flush = count_flush;
    q.owner = &q;
    assert_int_equal(p2m_init(&q, FMT), 0);
    assert_ptr_equal(q.flush, count_flush);
    assert_ptr_equal(q.owner, &q);
    p2m_destroy(&q);
    p2m_destroy(&q);
    assert_null(q.root);

    fake.fail_in = 1;
    assert_int_equal(p2m_init(&q, FMT), -ENOMEM);
    assert_null(q.root);
    assert_int_equal(p2m_init(&q, (enum p2m_format_id)7), -EINVAL);
    assert_int_equal(fake.live, 1);
    assert_int_equal(flushes, 0);
}

static void test_map_4k(void **state)
{
    uint64_t gfn = 0x123456789ULL & P2M_MAX_GFN, *e;
    unsigned int level;

    map(gfn, 0xabcdef, 0, p2m_ram_rw);
    expect_at(gfn, p2m_ram_rw, 0xabcdef, 0);
    expect_at(gfn + 1, p2m_invalid, 0, 0);
    expect_at(gfn - 1, p2m_invalid, 0, 0);
    assert_int_equal(p2m_lookup(&P, _gfn(gfn), NULL, NULL), p2m_ram_rw);
    assert_int_equal(P.nr_tables, 4);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 1);
    e = hw_walk(gfn, &level);
    assert_int_equal(level, 1);
    assert_int_equal(*e, hw_leaf(p2m_ram_rw, 0xabcdef, 0));
    check_tree(false);
    assert_int_equal(flushes, 0);
}

static void test_map_2m(void **state)
{
    uint64_t gfn = 0x3ull << 27 | 0x5ull << 18 | 0x7ull << 9, mfn = 0x77777ull << 9, *e;
    unsigned int level;

    map(gfn, mfn, 9, p2m_ram_rw);
    for (uint64_t i = 0; i < 512; i += 37)
        expect_at(gfn + i, p2m_ram_rw, mfn + i, 9);
    expect_at(gfn + 511, p2m_ram_rw, mfn + 511, 9);
    expect_at(gfn + 512, p2m_invalid, 0, 0);
    expect_at(gfn - 1, p2m_invalid, 0, 0);
    assert_int_equal(P.nr_tables, 3);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 512);
    e = hw_walk(gfn + 100, &level);
    assert_int_equal(level, 2);
    assert_int_equal(*e, hw_leaf(p2m_ram_rw, mfn, 9));
    assert_true(*e & 0x80);
    check_tree(false);
    assert_int_equal(flushes, 0);
}

static void test_lookup_unmapped(void **state)
{
    static const uint64_t gfns[] = { 0, 1, 511, 512, 0x40000, P2M_MAX_GFN, P2M_MAX_GFN + 1,
                                     1ULL << 40, ~0ULL };
    mfn_t m = _mfn(5);
    unsigned int o = 5;

    for (unsigned int i = 0; i < ARRAY_SIZE(gfns); i++) {
        expect_at(gfns[i], p2m_invalid, 0, 0);
        assert_int_equal(p2m_lookup(&P, _gfn(gfns[i]), NULL, &o), p2m_invalid);
        assert_int_equal(p2m_lookup(&P, _gfn(gfns[i]), &m, NULL), p2m_invalid);
        assert_int_equal(mfn_x(m), mfn_x(INVALID_MFN));
    }
    map(0x1000, 0x2000, 0, p2m_ram_rw);
    expect_at(0x1001, p2m_invalid, 0, 0);
    expect_at(0x1000 + 512, p2m_invalid, 0, 0);
    assert_int_equal(P.nr_tables, 4);   /* lookups create nothing */
    check_tree(false);
}

/* Every type at both orders, with the raw bits and the ends of the address range. */
static void test_encodings(void **state)
{
    for (enum p2m_type t = p2m_invalid; t < P2M_NR_TYPES; t++) {
        for (unsigned int order = 0; order <= 9; order += 9) {
            uint64_t gfn = 0x40000 + (uint64_t)t * 1024, mfn = P2M_MAX_MFN + 1 - 512;
            uint64_t *e;
            unsigned int level;

            map(gfn, type_present(t) ? mfn : 0x1234, order, t);
            e = hw_walk(gfn, &level);
            if (t != p2m_invalid)
                assert_int_equal(level, order ? 2 : 1);
            assert_int_equal(*e, t == p2m_invalid ? 0 : hw_leaf(t, mfn, order));
            assert_int_equal(hw_present(*e), type_present(t));
            assert_int_equal(*e >> 63, 0);                  /* never NX */
            assert_int_equal((*e >> 52) & 0xf, t);          /* the type, present or not */
            if (FMT == P2M_FORMAT_EPT)
                assert_int_equal(*e & 0x300, 0);            /* accessed/dirty left to the CPU */
            expect_at(gfn, t, mfn, t == p2m_invalid ? 0 : order);
            check_tree(true);
            assert_int_equal(p2m_remove(&P, _gfn(gfn), order), 0);
        }
    }
    map(0x5000, P2M_MAX_MFN, 0, p2m_mmio_direct);
    expect_at(0x5000, p2m_mmio_direct, P2M_MAX_MFN, 0);
    map(P2M_MAX_GFN + 1 - 512, 0, 9, p2m_ram_ro);
    expect_at(P2M_MAX_GFN, p2m_ram_ro, 511, 9);
    map(P2M_MAX_GFN, 0, 0, p2m_ram_rw);
    expect_at(P2M_MAX_GFN, p2m_ram_rw, 0, 0);
    check_tree(false);
}

/* The literal bits, for one entry of each kind: what a reviewer would check against the manual. */
static void test_encodings_literal(void **state)
{
    uint64_t *e, *root = P.root;
    unsigned int level;

    map(0, 0x1000, 0, p2m_ram_rw);
    map(1, 0x1001, 0, p2m_ram_ro);
    map(2, 0x1002, 0, p2m_mmio_direct);
    map(3, 0, 0, p2m_mmio_dm);
    map(512, 0x2000 << 9, 9, p2m_ram_logdirty);
    assert_int_equal(root[0] & 0xfff0000000000fffULL, 0x7);
    assert_int_equal(*hw_walk(3, &level), 0x0040000000000000ULL);
    e = hw_walk(0, &level);
    if (FMT == P2M_FORMAT_NPT) {
        assert_int_equal(e[0], 0x0010000001000007ULL);
        assert_int_equal(e[1], 0x0020000001001005ULL);
        assert_int_equal(e[2], 0x006000000100201fULL);
        assert_int_equal(*hw_walk(512, &level), 0x0030000400000085ULL);
    } else {
        assert_int_equal(e[0], 0x0010000001000037ULL);
        assert_int_equal(e[1], 0x0020000001001035ULL);
        assert_int_equal(e[2], 0x0060000001002043ULL);
        assert_int_equal(*hw_walk(512, &level), 0x00300004000000b5ULL);
    }
    check_tree(false);
}

/* --- splitting and removing ------------------------------------------------------------------- */

static void test_split_by_set(void **state)
{
    uint64_t gfn = 0x80000, mfn = 0x100000, *e;
    unsigned int level;

    map(gfn, mfn, 9, p2m_ram_rw);
    assert_int_equal(P.nr_tables, 3);
    map(gfn + 5, 0x999, 0, p2m_ram_ro);
    assert_int_equal(P.nr_tables, 4);
    assert_int_equal(flushes, 1);       /* a different frame, and read-only */
    for (uint64_t i = 0; i < 512; i++) {
        e = hw_walk(gfn + i, &level);
        assert_int_equal(level, 1);
        if (i == 5) {
            assert_int_equal(*e, hw_leaf(p2m_ram_ro, 0x999, 0));
            expect_at(gfn + i, p2m_ram_ro, 0x999, 0);
        } else {
            assert_int_equal(*e, hw_leaf(p2m_ram_rw, mfn + i, 0));
            expect_at(gfn + i, p2m_ram_rw, mfn + i, 0);
        }
    }
    assert_int_equal(P.nr_pages[p2m_ram_rw], 511);
    assert_int_equal(P.nr_pages[p2m_ram_ro], 1);
    check_tree(false);
}

static void test_split_not_present(void **state)
{
    uint64_t gfn = 0x1000;

    map(gfn, 0, 9, p2m_mmio_dm);
    expect_at(gfn + 3, p2m_mmio_dm, 0, 9);
    map(gfn + 3, 0x42, 0, p2m_ram_rw);
    assert_int_equal(flushes, 0);       /* only access added */
    for (uint64_t i = 0; i < 512; i++)
        if (i == 3)
            expect_at(gfn + i, p2m_ram_rw, 0x42, 0);
        else
            expect_at(gfn + i, p2m_mmio_dm, 0, 0);
    assert_int_equal(P.nr_pages[p2m_mmio_dm], 511);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 1);
    check_tree(false);
}

static void test_split_by_remove(void **state)
{
    uint64_t gfn = 0x200000, mfn = 0x400;

    map(gfn, mfn, 9, p2m_ram_rw);
    assert_int_equal(p2m_remove(&P, _gfn(gfn + 7), 0), 0);
    assert_int_equal(flushes, 1);
    expect_at(gfn + 7, p2m_invalid, 0, 0);
    for (uint64_t i = 0; i < 512; i++)
        if (i != 7)
            expect_at(gfn + i, p2m_ram_rw, mfn + i, 0);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 511);
    assert_int_equal(P.nr_tables, 4);
    check_tree(false);

    /* removing the rest empties the tables; they go, the root stays */
    for (uint64_t i = 0; i < 512; i++)
        assert_int_equal(p2m_remove(&P, _gfn(gfn + i), 0), 0);
    assert_int_equal(P.nr_tables, 1);
    assert_int_equal(fake.live, 1);
    assert_int_equal(total_pages(), 0);
    assert_int_equal(flushes, 512);     /* every present page removed */
    check_tree(false);
}

static void test_remove(void **state)
{
    map(0x10, 0x20, 0, p2m_ram_rw);
    map(0x11, 0, 0, p2m_mmio_dm);
    map(0x400, 0x800, 9, p2m_ram_rw);

    /* nothing there: no change, no memory, no flush */
    assert_int_equal(p2m_remove(&P, _gfn(0x12), 0), 0);
    assert_int_equal(p2m_remove(&P, _gfn(0x7000000), 0), 0);
    assert_int_equal(p2m_remove(&P, _gfn(0x7000000), 9), 0);
    assert_int_equal(P.nr_tables, 4);
    assert_int_equal(flushes, 0);

    assert_int_equal(p2m_remove(&P, _gfn(0x400), 9), 0);
    expect_at(0x400, p2m_invalid, 0, 0);
    expect_at(0x5ff, p2m_invalid, 0, 0);
    assert_int_equal(flushes, 1);
    assert_int_equal(p2m_remove(&P, _gfn(0x10), 0), 0);
    assert_int_equal(flushes, 2);
    expect_at(0x11, p2m_mmio_dm, 0, 0);
    assert_int_equal(P.nr_tables, 4);
    check_tree(false);

    /* the last entry was not present, but its tables may be cached: flush before freeing them */
    fake_log_reset();
    assert_int_equal(p2m_remove(&P, _gfn(0x11), 0), 0);
    assert_int_equal(flushes, 3);
    assert_string_equal(fake.log, "Ffff");
    assert_int_equal(P.nr_tables, 1);
    check_tree(false);
}

/* A 2 MiB mapping over 4 KiB ones: the old table goes (after the flush), its pages uncounted. */
static void test_2m_over_table(void **state)
{
    uint64_t gfn = 0xa00;

    map(gfn + 1, 0x10, 0, p2m_ram_rw);
    map(gfn + 2, 0, 0, p2m_mmio_hv);
    map(gfn + 3, 0x11, 0, p2m_ram_ro);
    assert_int_equal(P.nr_tables, 4);
    fake_log_reset();
    map(gfn, 0x200, 9, p2m_ram_rw);
    assert_string_equal(fake.log, "Ff");
    assert_int_equal(P.nr_tables, 3);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 512);
    assert_int_equal(P.nr_pages[p2m_ram_ro], 0);
    assert_int_equal(P.nr_pages[p2m_mmio_hv], 0);
    expect_at(gfn + 2, p2m_ram_rw, 0x202, 9);
    check_tree(false);

    /* and back: a 2 MiB invalid entry over a table removes it all */
    map(gfn + 8, 0x33, 0, p2m_ram_rw);
    assert_int_equal(p2m_set_entry(&P, _gfn(gfn), INVALID_MFN, 9, p2m_invalid), 0);
    assert_int_equal(P.nr_tables, 1);
    assert_int_equal(total_pages(), 0);
    check_tree(false);
}

/* --- changing types over a range -------------------------------------------------------------- */

static void test_change_type_range(void **state)
{
    uint64_t a = 0x10000, b = a + 512, c = a + 1024, d = a + 1536;
    uint64_t start = a + 100, end = d + 50, n;

    map(a, 0x8000, 9, p2m_ram_rw);              /* partly in the range */
    map(b + 1, 0x501, 0, p2m_ram_rw);
    map(b + 2, 0x502, 0, p2m_ram_ro);
    map(b + 3, 0, 0, p2m_mmio_dm);
    map(b + 4, 0x504, 0, p2m_ram_rw);
    map(c, 0x9000, 9, p2m_ram_rw);              /* wholly in it: stays 2 MiB */
    map(d, 0xa000, 9, p2m_ram_rw);              /* partly */
    n = p2m_change_type_range(&P, _gfn(start), end - start, p2m_ram_rw, p2m_ram_logdirty);
    assert_int_equal(n, (512 - 100) + 2 + 512 + 50);
    assert_int_equal(flushes, 1);
    for (uint64_t i = 0; i < 512; i++) {
        expect_at(a + i, i < 100 ? p2m_ram_rw : p2m_ram_logdirty, 0x8000 + i, 0);
        expect_at(c + i, p2m_ram_logdirty, 0x9000 + i, 9);
        expect_at(d + i, i < 50 ? p2m_ram_logdirty : p2m_ram_rw, 0xa000 + i, 0);
    }
    expect_at(b + 1, p2m_ram_logdirty, 0x501, 0);
    expect_at(b + 2, p2m_ram_ro, 0x502, 0);
    expect_at(b + 3, p2m_mmio_dm, 0, 0);
    expect_at(b + 4, p2m_ram_logdirty, 0x504, 0);
    expect_at(b + 5, p2m_invalid, 0, 0);
    assert_int_equal(P.nr_pages[p2m_ram_logdirty], n);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 100 + 462);
    check_tree(false);

    /* back to ram_rw: only adds access */
    n = p2m_change_type_range(&P, _gfn(0), P2M_MAX_GFN + 1, p2m_ram_logdirty, p2m_ram_rw);
    assert_int_equal(n, (512 - 100) + 2 + 512 + 50);
    assert_int_equal(flushes, 1);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 512 * 3 + 2);
    expect_at(c + 7, p2m_ram_rw, 0x9007, 9);
    check_tree(false);
}

static void test_change_type_range_inside_2m(void **state)
{
    uint64_t g = 0x30000;

    map(g, 0x1000, 9, p2m_ram_rw);
    assert_int_equal(p2m_change_type_range(&P, _gfn(g + 10), 5, p2m_ram_rw, p2m_ram_ro), 5);
    assert_int_equal(P.nr_tables, 4);
    for (uint64_t i = 0; i < 512; i++)
        expect_at(g + i, i >= 10 && i < 15 ? p2m_ram_ro : p2m_ram_rw, 0x1000 + i, 0);
    /* a range that matches nothing splits nothing */
    map(g + 1024, 0x2000, 9, p2m_ram_rw);
    assert_int_equal(p2m_change_type_range(&P, _gfn(g + 1030), 5, p2m_mmio_dm, p2m_mmio_hv), 0);
    assert_int_equal(P.nr_tables, 4);
    expect_at(g + 1030, p2m_ram_rw, 0x2006, 9);
    check_tree(false);
}

static void test_change_type_range_not_present(void **state)
{
    map(0x200, 0, 9, p2m_mmio_dm);
    map(0x500, 0x300, 0, p2m_ram_rw);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0), 0x600, p2m_mmio_dm, p2m_mmio_hv), 512);
    assert_int_equal(flushes, 0);
    expect_at(0x3ff, p2m_mmio_hv, 0, 9);
    /* to a type without a frame: the frame is dropped, and access removed */
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x500), 1, p2m_ram_rw, p2m_mmio_dm), 1);
    assert_int_equal(flushes, 1);
    expect_at(0x500, p2m_mmio_dm, 0, 0);
    /* and not back: there is no frame to map */
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x500), 1, p2m_mmio_dm, p2m_ram_rw), 0);
    expect_at(0x500, p2m_mmio_dm, 0, 0);
    check_tree(false);
}

static void test_change_type_range_invalid(void **state)
{
    map(0x100, 0x100, 0, p2m_ram_rw);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x100), 1, p2m_ram_rw, p2m_ram_rw), 0);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x100), 1, p2m_invalid, p2m_ram_rw), 0);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x100), 0, p2m_ram_rw, p2m_ram_ro), 0);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x100), 1, P2M_NR_TYPES, p2m_ram_ro), 0);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x100), 1, p2m_ram_rw, P2M_NR_TYPES), 0);
    assert_int_equal(p2m_change_type_range(&P, _gfn(P2M_MAX_GFN + 1), 1, p2m_ram_rw, p2m_ram_ro),
                     0);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x101), ~0ULL, p2m_ram_rw, p2m_ram_ro), 0);
    assert_int_equal(flushes, 0);
    expect_at(0x100, p2m_ram_rw, 0x100, 0);
    /* a count past the end is clipped */
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x100), ~0ULL, p2m_ram_rw, p2m_ram_ro), 1);
    map(P2M_MAX_GFN, 0x5, 0, p2m_ram_rw);
    assert_int_equal(p2m_change_type_range(&P, _gfn(P2M_MAX_GFN), ~0ULL, p2m_ram_rw, p2m_ram_ro),
                     1);
    check_tree(false);
}

static void test_change_type_range_enomem(void **state)
{
    map(0x200, 0x400, 9, p2m_ram_rw);
    map(0x600, 0x600, 9, p2m_ram_rw);
    for (unsigned int fail = 1; fail <= 2; fail++) {
        fake.fail_in = fail;
        assert_int_equal(p2m_change_type_range(&P, _gfn(0x300), 0x400, p2m_ram_rw, p2m_ram_ro),
                         0);
        assert_true(fake.failed);
        fake.failed = false;
        expect_at(0x300, p2m_ram_rw, 0x500, 9);
        expect_at(0x6ff, p2m_ram_rw, 0x6ff, 9);
        assert_int_equal(P.nr_tables, 3);
        check_tree(false);
    }
    assert_int_equal(flushes, 0);
    assert_int_equal(p2m_change_type_range(&P, _gfn(0x300), 0x400, p2m_ram_rw, p2m_ram_ro),
                     0x200);
    assert_int_equal(P.nr_tables, 5);
    check_tree(false);
}

/* --- walking everything ----------------------------------------------------------------------- */

struct visit {
    uint64_t gfn, mfn;
    unsigned int order;
    enum p2m_type t;
};

static struct visit visits[4096];
static unsigned int nr_visits;

static void record(gfn_t gfn, mfn_t mfn, unsigned int order, enum p2m_type t, void *arg)
{
    assert_ptr_equal(arg, &nr_visits);
    assert_true(nr_visits < ARRAY_SIZE(visits));
    visits[nr_visits++] = (struct visit){ gfn_x(gfn), mfn_x(mfn), order, t };
}

static void test_for_each_mapped(void **state)
{
    static const struct visit want[] = {
        { 0, 0x10, 0, p2m_ram_rw },
        { 3, ~0ULL, 0, p2m_mmio_dm },
        { 0x200, 0x400, 9, p2m_ram_ro },
        { 0x600, ~0ULL, 9, p2m_mmio_hv },
        { 1ULL << 18, 0x7, 0, p2m_mmio_direct },
        { 1ULL << 27, 0x200, 9, p2m_ram_logdirty },
        { P2M_MAX_GFN, 0x99, 0, p2m_ram_rw },
    };

    for (int i = ARRAY_SIZE(want) - 1; i >= 0; i--)
        map(want[i].gfn, want[i].mfn, want[i].order, want[i].t);
    map(5, 5, 0, p2m_ram_rw);
    assert_int_equal(p2m_remove(&P, _gfn(5), 0), 0);
    nr_visits = 0;
    p2m_for_each_mapped(&P, record, &nr_visits);
    assert_int_equal(nr_visits, ARRAY_SIZE(want));
    for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
        assert_int_equal(visits[i].gfn, want[i].gfn);
        assert_int_equal(visits[i].mfn, want[i].mfn);
        assert_int_equal(visits[i].order, want[i].order);
        assert_int_equal(visits[i].t, want[i].t);
    }

    /* after a split, the 4 KiB pieces in order */
    map(0x205, 0x7777, 0, p2m_ram_rw);
    nr_visits = 0;
    p2m_for_each_mapped(&P, record, &nr_visits);
    assert_int_equal(nr_visits, ARRAY_SIZE(want) - 1 + 512);
    for (unsigned int i = 0; i < 512; i++) {
        assert_int_equal(visits[2 + i].gfn, 0x200 + i);
        assert_int_equal(visits[2 + i].order, 0);
        assert_int_equal(visits[2 + i].mfn, i == 5 ? 0x7777 : 0x400 + i);
    }
    assert_false(spin_is_locked(&P.lock));
}

static void test_for_each_mapped_empty(void **state)
{
    nr_visits = 0;
    p2m_for_each_mapped(&P, record, &nr_visits);
    assert_int_equal(nr_visits, 0);
}

/* --- flushing --------------------------------------------------------------------------------- */

struct flush_step {
    uint64_t gfn, mfn;
    unsigned int order;
    int t;                          /* -1: remove */
    unsigned int flushes;           /* expected for this step */
};

static void test_flush(void **state)
{
    static const struct flush_step steps[] = {
        { 0x10, 0x100, 0, p2m_ram_rw, 0 },          /* new */
        { 0x10, 0x100, 0, p2m_ram_rw, 0 },          /* the same again */
        { 0x10, 0x100, 0, p2m_ram_ro, 1 },          /* write access taken */
        { 0x10, 0x100, 0, p2m_ram_logdirty, 0 },    /* the same rights */
        { 0x10, 0x100, 0, p2m_ram_ro, 0 },
        { 0x10, 0x100, 0, p2m_ram_rw, 0 },          /* write access given */
        { 0x10, 0x100, 0, p2m_ram_logdirty, 1 },
        { 0x10, 0x100, 0, p2m_ram_rw, 0 },
        { 0x10, 0x101, 0, p2m_ram_rw, 1 },          /* another frame */
        { 0x10, 0x101, 0, p2m_mmio_direct, 1 },     /* cacheability changed */
        { 0x10, 0x101, 0, p2m_ram_rw, 1 },
        { 0x10, 0, 0, p2m_mmio_dm, 1 },             /* not present any more */
        { 0x10, 0, 0, p2m_mmio_hv, 0 },
        { 0x10, 0x200, 0, p2m_ram_ro, 0 },
        { 0x11, 0, 0, p2m_mmio_dm, 0 },
        { 0x11, 0, 0, -1, 0 },                      /* not present, and the table stays */
        { 0x10, 0, 0, -1, 1 },                      /* present */
        { 0x10, 0, 0, -1, 0 },                      /* nothing there */
        { 0x400, 0x400, 9, p2m_ram_ro, 0 },
        { 0x401, 0x401, 0, p2m_ram_rw, 0 },         /* split, and only more access */
        { 0x402, 0x402, 0, p2m_ram_rw, 0 },
        { 0x403, 0x999, 0, p2m_ram_ro, 1 },
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(steps); i++) {
        const struct flush_step *s = &steps[i];
        unsigned int before = flushes;

        if (s->t < 0)
            assert_int_equal(p2m_remove(&P, _gfn(s->gfn), s->order), 0);
        else
            map(s->gfn, s->mfn, s->order, (enum p2m_type)s->t);
        if (flushes - before != s->flushes)
            fail_msg("step %u: %u flushes, expected %u", i, flushes - before, s->flushes);
    }

    /* no flush hook: nothing to call */
    P.flush = NULL;
    assert_int_equal(p2m_remove(&P, _gfn(0x400), 9), 0);
    check_tree(false);
}

/* --- bad arguments ---------------------------------------------------------------------------- */

static void test_einval(void **state)
{
    static const struct {
        uint64_t gfn, mfn;
        unsigned int order;
        int t;
    } bad[] = {
        { 0, 0, 1, p2m_ram_rw }, { 0, 0, 8, p2m_ram_rw }, { 0, 0, 10, p2m_ram_rw },
        { 0, 0, 18, p2m_ram_rw }, { 0, 0, 30, p2m_ram_rw }, { 0, 0, ~0u, p2m_ram_rw },
        { 1, 0, 9, p2m_ram_rw }, { 0x1ff, 0, 9, p2m_mmio_dm }, { 0, 1, 9, p2m_ram_rw },
        { 0, 0x100, 9, p2m_mmio_direct },
        { P2M_MAX_GFN + 1, 0, 0, p2m_ram_rw }, { P2M_MAX_GFN + 1, 0, 0, p2m_mmio_dm },
        { P2M_MAX_GFN + 1, 0, 9, p2m_ram_rw }, { ~0ULL, 0, 0, p2m_ram_rw },
        { ~0ULL - 511, 0, 9, p2m_ram_rw }, { 1ULL << 40, 0, 0, p2m_ram_rw },
        { 0, 0, 0, P2M_NR_TYPES }, { 0, 0, 0, 15 }, { 0, 0, 0, -1 },
        { 0, ~0ULL, 0, p2m_ram_rw }, { 0, ~0ULL, 9, p2m_ram_ro }, { 0, ~0ULL, 0, p2m_mmio_direct },
        { 0, 1ULL << 40, 0, p2m_ram_rw }, { 0, 1ULL << 40, 9, p2m_ram_rw },
        { 0, (1ULL << 40) + 1, 0, p2m_ram_logdirty }, { 0, 1ULL << 52, 0, p2m_ram_rw },
    };

    map(0x10, 0x10, 0, p2m_ram_rw);
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        int rc = p2m_set_entry(&P, _gfn(bad[i].gfn), _mfn(bad[i].mfn), bad[i].order,
                               (enum p2m_type)bad[i].t);

        if (rc != -EINVAL)
            fail_msg("case %u: %d, expected -EINVAL", i, rc);
    }
    assert_int_equal(p2m_remove(&P, _gfn(0x10), 1), -EINVAL);
    assert_int_equal(p2m_remove(&P, _gfn(0x10), 9), -EINVAL);
    assert_int_equal(p2m_remove(&P, _gfn(P2M_MAX_GFN + 1), 0), -EINVAL);
    assert_int_equal(p2m_remove(&P, _gfn(P2M_MAX_GFN + 1 - 256), 9), -EINVAL);
    assert_int_equal(fake.live, 4);     /* nothing allocated, nothing changed */
    assert_int_equal(flushes, 0);
    expect_at(0x10, p2m_ram_rw, 0x10, 0);
    assert_int_equal(total_pages(), 1);

    /* the edges that are fine; a type that is not present ignores the frame */
    map(0, P2M_MAX_MFN, 0, p2m_ram_rw);
    map(0x200, P2M_MAX_MFN + 1 - 512, 9, p2m_ram_rw);
    map(0x400, ~0ULL, 0, p2m_mmio_dm);
    map(0x600, 0x123, 9, p2m_mmio_hv);
    map(P2M_MAX_GFN + 1 - 512, 0, 9, p2m_ram_rw);
    expect_at(0x600, p2m_mmio_hv, 0, 9);
    assert_int_equal(p2m_remove(&P, _gfn(P2M_MAX_GFN + 1 - 512), 9), 0);
    check_tree(false);
}

/* --- running out of memory -------------------------------------------------------------------- */

static void test_enomem_map(void **state)
{
    for (unsigned int fail = 1; fail <= 3; fail++) {
        fake.fail_in = fail;
        assert_int_equal(p2m_set_entry(&P, _gfn(0x12345), _mfn(1), 0, p2m_ram_rw), -ENOMEM);
        assert_true(fake.failed);
        fake.failed = false;
        assert_int_equal(P.nr_tables, 1);
        assert_int_equal(fake.live, 1);
        expect_at(0x12345, p2m_invalid, 0, 0);
        check_tree(false);
    }
    fake.fail_in = 4;
    map(0x12345, 1, 0, p2m_ram_rw);
    fake.fail_in = 0;
    assert_int_equal(P.nr_tables, 4);
    check_tree(false);
}

static void test_enomem_split(void **state)
{
    uint64_t g = 0x800, *e, before;
    unsigned int level;

    map(g, 0x1000, 9, p2m_ram_rw);
    before = *hw_walk(g, &level);
    fake.fail_in = 1;
    assert_int_equal(p2m_set_entry(&P, _gfn(g + 9), _mfn(5), 0, p2m_ram_ro), -ENOMEM);
    fake.fail_in = 1;
    assert_int_equal(p2m_remove(&P, _gfn(g + 9), 0), -ENOMEM);
    fake.fail_in = 1;
    assert_int_equal(p2m_set_entry(&P, _gfn(g + 9), INVALID_MFN, 0, p2m_invalid), -ENOMEM);
    fake.fail_in = 0;
    e = hw_walk(g, &level);
    assert_int_equal(level, 2);
    assert_int_equal(*e, before);
    for (uint64_t i = 0; i < 512; i++)
        expect_at(g + i, p2m_ram_rw, 0x1000 + i, 9);
    assert_int_equal(flushes, 0);
    assert_int_equal(P.nr_pages[p2m_ram_rw], 512);
    check_tree(false);
}

/* --- against a reference model ---------------------------------------------------------------- */

#define WIN 2048
#define WIN_BASE ((1ULL << 27) - WIN / 2)  /* crosses a PML4 and a PDPT boundary */

struct cell {
    enum p2m_type t;
    uint64_t mfn;
};

static struct cell model[WIN];

static bool reduces(const struct cell *old, enum p2m_type t, uint64_t mfn)
{
    bool widen = old->t == t || ((old->t == p2m_ram_ro || old->t == p2m_ram_logdirty) &&
                                 (t == p2m_ram_rw || t == p2m_ram_ro || t == p2m_ram_logdirty));

    if (!type_present(old->t))
        return false;
    return !type_present(t) || mfn != old->mfn || !widen;
}

/* Sets model cells [i, i + n); true if any of them lost access. */
static bool model_set(uint64_t i, uint64_t n, enum p2m_type t, uint64_t mfn)
{
    bool r = false;

    for (uint64_t k = 0; k < n; k++) {
        uint64_t m = type_present(t) ? mfn + k : mfn_x(INVALID_MFN);

        r |= reduces(&model[i + k], t, m);
        model[i + k] = (struct cell){ t, m };
    }
    return r;
}

static uint64_t model_count(enum p2m_type t)
{
    uint64_t n = 0;

    for (unsigned int i = 0; i < WIN; i++)
        n += model[i].t == t;
    return n;
}

static void model_check_gfn(uint64_t i)
{
    mfn_t m;
    unsigned int o;

    assert_int_equal(p2m_lookup(&P, _gfn(WIN_BASE + i), &m, &o), model[i].t);
    assert_int_equal(mfn_x(m), model[i].mfn);
    if (o == 9) {
        uint64_t base = i & ~511ULL;

        for (uint64_t k = 0; k < 512; k++) {
            assert_int_equal(model[base + k].t, model[i].t);
            if (type_present(model[i].t))
                assert_int_equal(model[base + k].mfn, model[base].mfn + k);
        }
    }
}

static void model_check_all(void)
{
    uint64_t covered = 0;

    for (unsigned int i = 0; i < WIN; i++)
        model_check_gfn(i);
    expect_at(WIN_BASE - 1, p2m_invalid, 0, 0);
    expect_at(WIN_BASE + WIN, p2m_invalid, 0, 0);
    for (unsigned int t = 1; t < P2M_NR_TYPES; t++)
        assert_int_equal(P.nr_pages[t], model_count(t));
    nr_visits = 0;
    p2m_for_each_mapped(&P, record, &nr_visits);
    for (unsigned int v = 0; v < nr_visits; v++) {
        uint64_t i = visits[v].gfn - WIN_BASE;

        assert_true(visits[v].gfn >= WIN_BASE && i < WIN);
        assert_true(v == 0 || visits[v].gfn > visits[v - 1].gfn);
        assert_int_equal(visits[v].t, model[i].t);
        assert_int_equal(visits[v].mfn, model[i].mfn);
        covered += 1ULL << visits[v].order;
    }
    assert_int_equal(covered, WIN - model_count(p2m_invalid));
    check_tree(true);
}

static uint64_t random_mfn(unsigned int order)
{
    return rng() & P2M_MAX_MFN & ~((1ULL << order) - 1);
}

/* A set or a remove; returns whether the model lost access. Without memory nothing changes. */
static bool random_set(void)
{
    unsigned int order = rng() % 3 == 0 ? 9 : 0;
    uint64_t i = (rng() % WIN) & ~((1ULL << order) - 1);
    enum p2m_type t = (enum p2m_type)(rng() % P2M_NR_TYPES);
    uint64_t mfn = random_mfn(order), old = model[i].mfn;
    int rc;

    /* the frame it has now, sometimes, so that type changes in place are common */
    if (rng() % 4 == 0 && old != mfn_x(INVALID_MFN) && !(old & ((1ULL << order) - 1)))
        mfn = old;
    if (rng() % 4 == 0) {
        t = p2m_invalid;
        rc = p2m_remove(&P, _gfn(WIN_BASE + i), order);
    } else {
        rc = p2m_set_entry(&P, _gfn(WIN_BASE + i), _mfn(mfn), order, t);
    }
    if (rc == -ENOMEM && fake.failed)
        return false;
    assert_int_equal(rc, 0);
    return model_set(i, 1ULL << order, t, mfn);
}

static bool random_change(void)
{
    uint64_t i = rng() % WIN, n = 1 + rng() % (WIN - i), changed = 0, got;
    enum p2m_type from = (enum p2m_type)(1 + rng() % (P2M_NR_TYPES - 1));
    enum p2m_type to = (enum p2m_type)(rng() % P2M_NR_TYPES);
    bool valid = from != to && (type_present(from) || !type_present(to)), r = false;

    got = p2m_change_type_range(&P, _gfn(WIN_BASE + i), n, from, to);
    if (got == 0 && fake.failed)
        return false;
    for (uint64_t k = i; valid && k < i + n; k++) {
        if (model[k].t == from) {
            r |= model_set(k, 1, to, model[k].mfn);
            changed++;
        }
    }
    assert_int_equal(got, changed);
    return r;
}

static void test_random(void **state)
{
    rng_state = 0x9e3779b97f4a7c15ULL ^ FMT;
    for (unsigned int i = 0; i < WIN; i++)
        model[i] = (struct cell){ p2m_invalid, mfn_x(INVALID_MFN) };
    for (unsigned int op = 0; op < 6000; op++) {
        uint64_t tables = P.nr_tables;
        unsigned int before = flushes;
        bool reduced;

        fake.failed = false;
        fake.fail_in = rng() % 10 == 0 ? 1 + rng() % 3 : 0;
        reduced = rng() % 4 == 0 ? random_change() : random_set();
        fake.fail_in = 0;
        /* a flush exactly when access was lost or a table unlinked */
        assert_int_equal(flushes - before, reduced || P.nr_tables < tables);
        for (unsigned int k = 0; k < 4; k++)
            model_check_gfn(rng() % WIN);
        if (op % 100 == 0)
            model_check_all();
    }
    model_check_all();
}

/* --- destruction ------------------------------------------------------------------------------ */

static void free_ram(gfn_t gfn, mfn_t mfn, unsigned int order, enum p2m_type t, void *arg)
{
    *(uint64_t *)arg += type_present(t) ? 1ULL << order : 0;
}

static void test_destroy_everything(void **state)
{
    uint64_t freed = 0;
    unsigned int before;

    for (uint64_t i = 0; i < 64; i++) {
        uint64_t g = (i * 0x1234567ULL) & P2M_MAX_GFN & ~511ULL;

        map(g, i << 9, 9, p2m_ram_rw);
        map(g + 1, 0x77, 0, p2m_ram_ro);
        map(g + 1024, 0, 0, p2m_mmio_dm);
    }
    assert_true(P.nr_tables > 100);
    check_tree(false);
    p2m_for_each_mapped(&P, free_ram, &freed);
    assert_int_equal(freed, P.nr_pages[p2m_ram_rw] + P.nr_pages[p2m_ram_ro]);
    before = flushes;
    p2m_destroy(&P);
    assert_int_equal(fake.live, 0);
    assert_null(P.root);
    assert_int_equal(P.nr_tables, 0);
    assert_int_equal(total_pages(), 0);
    assert_int_equal(flushes, before);  /* the vCPUs are gone by now */
}

static void test_type_name(void **state)
{
    static const char *const names[] = { "invalid", "ram_rw", "ram_ro", "ram_logdirty",
                                         "mmio_dm", "mmio_hv", "mmio_direct" };

    BUILD_BUG_ON(ARRAY_SIZE(names) != P2M_NR_TYPES);
    for (unsigned int t = 0; t < P2M_NR_TYPES; t++)
        assert_string_equal(p2m_type_name((enum p2m_type)t), names[t]);
    assert_string_equal(p2m_type_name(P2M_NR_TYPES), "?");
    assert_string_equal(p2m_type_name((enum p2m_type)-1), "?");
    assert_string_equal(p2m_format_get(FMT)->name, FMT == P2M_FORMAT_NPT ? "npt" : "ept");
}

#define T(f, fmt) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&fmt)
#define TESTS(fmt)                                                                               \
    T(test_init_destroy, fmt), T(test_map_4k, fmt), T(test_map_2m, fmt),                       \
    T(test_lookup_unmapped, fmt), T(test_encodings, fmt), T(test_encodings_literal, fmt),      \
    T(test_split_by_set, fmt), T(test_split_not_present, fmt), T(test_split_by_remove, fmt),   \
    T(test_remove, fmt), T(test_2m_over_table, fmt), T(test_change_type_range, fmt),           \
    T(test_change_type_range_inside_2m, fmt), T(test_change_type_range_not_present, fmt),      \
    T(test_change_type_range_invalid, fmt), T(test_change_type_range_enomem, fmt),             \
    T(test_for_each_mapped, fmt), T(test_for_each_mapped_empty, fmt), T(test_flush, fmt),      \
    T(test_einval, fmt), T(test_enomem_map, fmt), T(test_enomem_split, fmt),                   \
    T(test_random, fmt), T(test_destroy_everything, fmt), T(test_type_name, fmt)

int main(void)
{
    const struct CMUnitTest npt[] = { TESTS(fmt_npt) };
    const struct CMUnitTest ept[] = { TESTS(fmt_ept) };
    int failed = 0;

    failed += cmocka_run_group_tests_name("p2m_npt", npt, NULL, NULL);
    failed += cmocka_run_group_tests_name("p2m_ept", ept, NULL, NULL);
    return failed ? 1 : 0;
}
