/*
 * Unit tests for the buddy frame allocator (hv/mm/buddy.c). Allocations are checked against a
 * per-frame owner map kept here, and the free lists against an independent oracle: the unique
 * fully merged decomposition of the set of free frames into aligned blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/mm/buddy.c"

#include <stdlib.h>
#include <string.h>

/* --- test harness: the allocator plus what the test believes about each frame ----------------- */

enum { F_HOLE = 0, F_FREE = 1, F_OWNED = 2 };

struct harness {
    struct buddy b;
    struct buddy_frame *meta;
    uint8_t *want;                  /* F_* for each frame, as the test expects it */
};

struct block {
    uint64_t pfn;
    unsigned int order;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: fixed seed per test, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void h_init(struct harness *h, uint64_t base, uint64_t nr)
{
    h->meta = calloc(nr ? nr : 1, sizeof(*h->meta));
    h->want = calloc(nr ? nr : 1, 1);
    assert_non_null(h->meta);
    assert_non_null(h->want);
    /* garbage, so buddy_init has to initialise every record */
    memset(h->meta, 0x5a, nr * sizeof(*h->meta));
    buddy_init(&h->b, base, nr, h->meta);
}

static void h_fini(struct harness *h)
{
    free(h->meta);
    free(h->want);
}

static void h_add(struct harness *h, uint64_t pfn, uint64_t count)
{
    struct buddy *b = &h->b;
    uint64_t before = b->total_frames, added = 0;
    uint64_t end = count > UINT64_MAX - pfn ? UINT64_MAX : pfn + count;

    for (uint64_t p = MAX(pfn, b->base_pfn); p < MIN(end, b->base_pfn + b->nr_frames); p++) {
        h->want[p - b->base_pfn] = F_FREE;
        added++;
    }
    buddy_add_range(b, pfn, count);
    assert_int_equal(b->total_frames, before + added);
}

/* Checks and records an allocation: aligned, inside the range, only frames that were free. */
static void h_took(struct harness *h, int64_t pfn, unsigned int order, uint64_t limit)
{
    struct buddy *b = &h->b;

    assert_true(pfn >= 0);
    assert_int_equal((uint64_t)pfn & ((1ULL << order) - 1), 0);
    assert_true((uint64_t)pfn >= b->base_pfn);
    assert_true((uint64_t)pfn + (1ULL << order) <= b->base_pfn + b->nr_frames);
    assert_true((uint64_t)pfn + (1ULL << order) <= limit);
    for (uint64_t i = 0; i < (1ULL << order); i++) {
        uint64_t idx = (uint64_t)pfn - b->base_pfn + i;
        assert_int_equal(h->want[idx], F_FREE);   /* neither a hole nor someone else's frame */
        assert_int_equal(h->meta[idx].state, BUDDY_USED);
        h->want[idx] = F_OWNED;
    }
}

static int64_t h_alloc(struct harness *h, unsigned int order)
{
    uint64_t free_before = h->b.free_frames;
    int64_t pfn = buddy_alloc(&h->b, order);

    if (pfn >= 0) {
        h_took(h, pfn, order, UINT64_MAX);
        assert_int_equal(h->b.free_frames, free_before - (1ULL << order));
    } else {
        assert_int_equal(pfn, -ENOMEM);
        assert_int_equal(h->b.free_frames, free_before);
    }
    return pfn;
}

static void h_free(struct harness *h, uint64_t pfn, unsigned int order)
{
    uint64_t free_before = h->b.free_frames;

    for (uint64_t i = 0; i < (1ULL << order); i++) {
        assert_int_equal(h->want[pfn - h->b.base_pfn + i], F_OWNED);
        h->want[pfn - h->b.base_pfn + i] = F_FREE;
    }
    buddy_free(&h->b, pfn, order);
    assert_int_equal(h->b.free_frames, free_before + (1ULL << order));
}

/* The fully merged decomposition of the frames the test believes are free, lowest first. */
static size_t oracle_blocks(const struct harness *h, struct block *out, size_t max)
{
    const struct buddy *b = &h->b;
    size_t n = 0;
    uint64_t i = 0;

    while (i < b->nr_frames) {
        if (h->want[i] != F_FREE) {
            i++;
            continue;
        }
        uint64_t pfn = b->base_pfn + i;
        unsigned int k = 0;
        while (k < BUDDY_MAX_ORDER && !(pfn & ((2ULL << k) - 1))) {
            uint64_t len = 2ULL << k, j;
            if (i + len > b->nr_frames)
                break;
            for (j = 0; j < len && h->want[i + j] == F_FREE; j++)
                ;
            if (j < len)
                break;
            k++;
        }
        assert_true(n < max);
        out[n++] = (struct block){ pfn, k };
        i += 1ULL << k;
    }
    return n;
}

static int block_cmp(const void *a, const void *b)
{
    const struct block *x = a, *y = b;
    return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* The allocator's free lists, checked for consistency, sorted by pfn. */
static size_t list_blocks(const struct harness *h, struct block *out, size_t max)
{
    const struct buddy *b = &h->b;
    uint64_t frames = 0;
    size_t n = 0;

    for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++) {
        uint32_t prev = BUDDY_NONE;
        for (uint32_t i = b->free_head[k]; i != BUDDY_NONE; i = b->meta[i].next) {
            assert_true(i < b->nr_frames);
            assert_int_equal(b->meta[i].prev, prev);
            assert_int_equal(b->meta[i].state, BUDDY_FREE_HEAD);
            assert_int_equal(b->meta[i].order, k);
            assert_int_equal((b->base_pfn + i) & ((1ULL << k) - 1), 0);
            assert_true(i + (1ULL << k) <= b->nr_frames);
            for (uint64_t j = 1; j < (1ULL << k); j++)
                assert_int_equal(b->meta[i + j].state, BUDDY_FREE_TAIL);
            assert_true(n < max);
            out[n++] = (struct block){ b->base_pfn + i, k };
            frames += 1ULL << k;
            prev = i;
        }
    }
    assert_int_equal(frames, b->free_frames);
    qsort(out, n, sizeof(*out), block_cmp);
    return n;
}

/* Everything the allocator says is free matches the test's view, fully merged. */
static void h_check(const struct harness *h)
{
    size_t max = h->b.nr_frames + 1;
    struct block *got = calloc(max, sizeof(*got)), *exp = calloc(max, sizeof(*exp));
    uint64_t nfree = 0, nused = 0;

    size_t ng = list_blocks(h, got, max), ne = oracle_blocks(h, exp, max);
    assert_int_equal(ng, ne);
    for (size_t i = 0; i < ng; i++) {
        assert_int_equal(got[i].pfn, exp[i].pfn);
        assert_int_equal(got[i].order, exp[i].order);
    }
    for (uint64_t i = 0; i < h->b.nr_frames; i++) {
        nfree += h->want[i] == F_FREE;
        nused += h->meta[i].state == BUDDY_USED;
    }
    assert_int_equal(h->b.free_frames, nfree);
    assert_int_equal(nused, h->b.nr_frames - nfree);
    free(got);
    free(exp);
}

/* --- tests ------------------------------------------------------------------------------------ */

static void test_init_empty(void **state)
{
    struct harness h;

    h_init(&h, 0x100, 64);
    assert_int_equal(h.b.free_frames, 0);
    assert_int_equal(h.b.total_frames, 0);
    for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++)
        assert_int_equal(h.b.free_head[k], BUDDY_NONE);
    for (unsigned int i = 0; i < 64; i++)
        assert_int_equal(h.meta[i].state, BUDDY_USED);
    assert_int_equal(buddy_alloc(&h.b, 0), -ENOMEM);
    assert_int_equal(buddy_alloc_below(&h.b, 0, UINT64_MAX), -ENOMEM);
    h_check(&h);
    h_fini(&h);
}

static void test_aligned_range_is_one_block(void **state)
{
    struct harness h;

    h_init(&h, 0x4000, 1024);
    h_add(&h, 0x4000, 1024);
    assert_int_equal(h.b.free_frames, 1024);
    assert_int_equal(h.b.free_head[10], 0);
    assert_int_equal(h.meta[0].next, BUDDY_NONE);
    h_check(&h);
    h_fini(&h);
}

static void test_alloc_every_order_aligned(void **state)
{
    struct harness h;
    int64_t pfn[11];

    h_init(&h, 0x800, 2048);
    h_add(&h, 0x800, 2048);
    for (unsigned int k = 0; k <= 10; k++) {
        pfn[k] = h_alloc(&h, k);
        assert_true(pfn[k] >= 0);
        h_check(&h);
    }
    assert_int_equal(h.b.free_frames, 1);
    assert_int_equal(h_alloc(&h, 1), -ENOMEM);
    for (unsigned int k = 0; k <= 10; k++) {
        h_free(&h, (uint64_t)pfn[k], k);
        h_check(&h);
    }
    assert_int_equal(h.b.free_head[11], 0);
    h_fini(&h);
}

static void test_exhaustion_and_merge_back(void **state)
{
    struct harness h;
    int64_t *got = calloc(512, sizeof(*got));
    unsigned int n = 0;

    h_init(&h, 0x200, 512);
    h_add(&h, 0x200, 512);
    while (n < 600) {
        int64_t pfn = h_alloc(&h, 0);
        if (pfn < 0)
            break;
        got[n++] = pfn;
    }
    assert_int_equal(n, 512);
    assert_int_equal(h.b.free_frames, 0);
    assert_int_equal(h_alloc(&h, 0), -ENOMEM);
    assert_int_equal(buddy_alloc_below(&h.b, 0, UINT64_MAX), -ENOMEM);
    h_check(&h);
    rng_state = 77;
    for (unsigned int i = n; i > 1; i--) {           /* free in a shuffled order */
        unsigned int j = (unsigned int)(rng() % i);
        int64_t t = got[i - 1];
        got[i - 1] = got[j];
        got[j] = t;
    }
    for (unsigned int i = 0; i < n; i++)
        h_free(&h, (uint64_t)got[i], 0);
    h_check(&h);
    assert_int_equal(h.b.free_head[9], 0);
    assert_int_equal(h.b.free_frames, 512);
    assert_int_equal(h.b.total_frames, 512);
    free(got);
    h_fini(&h);
}

static void test_order_larger_than_any_block(void **state)
{
    struct harness h;

    h_init(&h, 0, 256);
    h_add(&h, 0, 256);
    assert_int_equal(h_alloc(&h, 9), -ENOMEM);
    assert_int_equal(h_alloc(&h, BUDDY_MAX_ORDER + 1), -ENOMEM);
    assert_int_equal(h_alloc(&h, 200), -ENOMEM);
    assert_int_equal(buddy_alloc_below(&h.b, BUDDY_MAX_ORDER + 1, UINT64_MAX), -ENOMEM);
    assert_true(h_alloc(&h, 8) == 0);
    h_fini(&h);
}

static void test_unaligned_base(void **state)
{
    struct harness h;
    const uint64_t base = 0x10003, nr = 1200;

    h_init(&h, base, nr);
    h_add(&h, base, nr);
    h_check(&h);
    /* [0x10003, 0x104b3): blocks of 1, 4, 8, .., 256 frames, then 512 at 0x10200, then less */
    assert_int_equal(h.meta[0].state, BUDDY_FREE_HEAD);
    assert_int_equal(h.meta[0].order, 0);
    assert_int_equal(h.meta[0x10200 - base].order, 9);
    int64_t big = h_alloc(&h, 9);
    assert_int_equal(big, 0x10200);
    assert_int_equal(h_alloc(&h, 9), -ENOMEM);
    for (unsigned int k = 0; k < 9; k++) {
        int64_t p = h_alloc(&h, k);
        if (p >= 0)
            h_free(&h, (uint64_t)p, k);
    }
    h_free(&h, 0x10200, 9);
    h_check(&h);
    h_fini(&h);
}

static void test_adjacent_ranges_merge(void **state)
{
    struct harness h;

    h_init(&h, 0, 512);
    h_add(&h, 300, 212);
    h_add(&h, 0, 100);
    h_check(&h);
    h_add(&h, 100, 200);
    h_check(&h);
    assert_int_equal(h.b.free_head[9], 0);
    assert_int_equal(h.b.total_frames, 512);
    for (unsigned int k = 0; k < 9; k++)
        assert_int_equal(h.b.free_head[k], BUDDY_NONE);
    h_fini(&h);
}

static void test_single_frames_merge_in_any_order(void **state)
{
    struct harness h;
    const uint64_t base = 0x3ff81, nr = 700;   /* straddles a 2^18 boundary at 0x40000 */
    uint64_t *order = malloc(nr * sizeof(*order));

    for (uint64_t i = 0; i < nr; i++)
        order[i] = i;
    rng_state = 12345;
    for (uint64_t i = nr; i > 1; i--) {
        uint64_t j = rng() % i, t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    h_init(&h, base, nr);
    for (uint64_t i = 0; i < nr; i++) {
        h_add(&h, base + order[i], 1);
        if (i % 64 == 0)
            h_check(&h);
    }
    h_check(&h);
    assert_int_equal(h.b.free_frames, nr);
    assert_int_equal(h.b.total_frames, nr);
    /* the block below 0x40000 must not merge across it with the one above */
    assert_int_equal(h.meta[0x40000 - base].state, BUDDY_FREE_HEAD);
    free(order);
    h_fini(&h);
}

static void test_holes_never_handed_out(void **state)
{
    struct harness h;
    const uint64_t base = 0x1000, nr = 4096;
    uint64_t allocated = 0;

    h_init(&h, base, nr);
    h_add(&h, 0x1005, 300);
    h_add(&h, 0x1200, 0x200);
    h_add(&h, 0x1401, 1);
    h_add(&h, 0x1800, 0x7ff);
    h_check(&h);
    for (unsigned int k = 11;; ) {
        int64_t p = h_alloc(&h, k);        /* h_took asserts no frame is a hole */
        if (p >= 0) {
            allocated += 1ULL << k;
            continue;
        }
        if (k == 0)
            break;
        k--;
    }
    assert_int_equal(allocated, h.b.total_frames);
    assert_int_equal(h.b.free_frames, 0);
    h_check(&h);
    h_fini(&h);
}

static void test_add_range_clips(void **state)
{
    struct harness h;

    h_init(&h, 0x100, 0x100);
    h_add(&h, 0, 0x80);                        /* entirely below */
    h_add(&h, 0x200, 0x80);                    /* entirely above */
    h_add(&h, 0x150, 0);                       /* empty */
    assert_int_equal(h.b.total_frames, 0);
    h_add(&h, 0xf0, 0x20);                     /* 0x100..0x10f inside */
    assert_int_equal(h.b.total_frames, 0x10);
    h_add(&h, 0x1f0, UINT64_MAX);              /* runs off the end of the address space */
    assert_int_equal(h.b.total_frames, 0x20);
    h_check(&h);
    h_fini(&h);
}

static void test_max_order(void **state)
{
    struct harness h;
    const uint64_t nr = 2ULL << BUDDY_MAX_ORDER;

    h_init(&h, 0, nr);
    h_add(&h, 0, nr);
    /* two blocks of the largest order; they are buddies but must not merge past the maximum */
    assert_int_equal(h.meta[0].order, BUDDY_MAX_ORDER);
    assert_int_equal(h.meta[nr / 2].order, BUDDY_MAX_ORDER);
    assert_int_equal(h.meta[nr / 2].state, BUDDY_FREE_HEAD);
    int64_t a = h_alloc(&h, BUDDY_MAX_ORDER), c = h_alloc(&h, BUDDY_MAX_ORDER);
    assert_true(a >= 0 && c >= 0);
    assert_int_equal(h_alloc(&h, 0), -ENOMEM);
    h_free(&h, (uint64_t)a, BUDDY_MAX_ORDER);
    h_free(&h, (uint64_t)c, BUDDY_MAX_ORDER);
    assert_int_equal(h.b.free_head[BUDDY_MAX_ORDER] != BUDDY_NONE, 1);
    assert_int_equal(h.b.free_frames, nr);
    h_fini(&h);
}

static void test_alloc_below_basic(void **state)
{
    struct harness h;

    h_init(&h, 0, 1024);
    h_add(&h, 0, 1024);
    assert_int_equal(buddy_alloc_below(&h.b, 0, 0), -ENOMEM);
    int64_t p = buddy_alloc_below(&h.b, 0, 16);
    h_took(&h, p, 0, 16);
    assert_int_equal(p, 0);
    /* [0, 16) is no longer whole, so an order-4 block below 16 cannot exist */
    assert_int_equal(buddy_alloc_below(&h.b, 4, 16), -ENOMEM);
    assert_int_equal(buddy_alloc_below(&h.b, 4, 31), -ENOMEM);
    p = buddy_alloc_below(&h.b, 4, 32);
    h_took(&h, p, 4, 32);
    assert_int_equal(p, 16);
    /* free now: 1 (order 0), 2, 4, 8, 32, 64, 128 (order 7), 256, 512 */
    assert_int_equal(buddy_alloc_below(&h.b, 7, 255), -ENOMEM);
    p = buddy_alloc_below(&h.b, 6, 255);
    h_took(&h, p, 6, 255);
    assert_int_equal(p, 64);
    assert_int_equal(h.b.free_frames, 1024 - 1 - 16 - 64);
    h_check(&h);
    h_fini(&h);
}

static void test_alloc_below_prefers_small_low_blocks(void **state)
{
    struct harness h;

    h_init(&h, 0x1000, 0x1000);
    h_add(&h, 0x1800, 0x800);                  /* one order-11 block */
    h_add(&h, 0x1203, 1);
    h_add(&h, 0x1405, 1);                      /* now first on its free list, but not lowest */
    h_add(&h, 0x1300, 4);
    h_check(&h);
    /* the smallest order that fits wins, then the lowest address */
    int64_t p = buddy_alloc_below(&h.b, 0, 0x2000);
    h_took(&h, p, 0, 0x2000);
    assert_int_equal(p, 0x1203);
    p = buddy_alloc_below(&h.b, 0, 0x2000);
    h_took(&h, p, 0, 0x2000);
    assert_int_equal(p, 0x1405);
    p = buddy_alloc_below(&h.b, 1, 0x2000);
    h_took(&h, p, 1, 0x2000);
    assert_int_equal(p, 0x1300);
    /* nothing small is left below 0x1800 except 0x1302..0x1303 */
    p = buddy_alloc_below(&h.b, 1, 0x1800);
    h_took(&h, p, 1, 0x1800);
    assert_int_equal(p, 0x1302);
    assert_int_equal(buddy_alloc_below(&h.b, 0, 0x1800), -ENOMEM);
    assert_int_equal(buddy_alloc_below(&h.b, 0, 0x1000), -ENOMEM);  /* below the range */
    p = buddy_alloc_below(&h.b, 5, 0x1821);
    h_took(&h, p, 5, 0x1821);
    assert_int_equal(p, 0x1800);
    h_check(&h);
    h_fini(&h);
}

/* True if some aligned run of 2^order frames below limit is entirely free in the test's view. */
static bool oracle_fits_below(const struct harness *h, unsigned int order, uint64_t limit)
{
    const struct buddy *b = &h->b;
    uint64_t len = 1ULL << order;
    uint64_t p = ALIGN_UP(b->base_pfn, len);

    for (; p + len <= limit && p + len <= b->base_pfn + b->nr_frames; p += len) {
        uint64_t j;
        for (j = 0; j < len && h->want[p - b->base_pfn + j] == F_FREE; j++)
            ;
        if (j == len)
            return true;
    }
    return false;
}

struct live {
    uint64_t pfn;
    unsigned int order;
};

/* Random allocs (some below a random limit) and frees; returns the number of live blocks. */
static size_t stress_ops(struct harness *h, struct live *live, size_t max, unsigned int nops)
{
    size_t n = 0;

    for (unsigned int op = 0; op < nops; op++) {
        uint64_t r = rng();
        if (n && (r % 100 < 45 || n == max)) {
            size_t i = (r >> 8) % n;
            h_free(h, live[i].pfn, live[i].order);
            live[i] = live[--n];
        } else {
            unsigned int order = (unsigned int)((r >> 8) % 100 < 70 ? (r >> 16) % 3 : (r >> 16) % 8);
            int64_t p;
            if (r % 100 < 70) {
                p = h_alloc(h, order);
            } else {
                uint64_t limit = h->b.base_pfn + (r >> 24) % (h->b.nr_frames + 64);
                p = buddy_alloc_below(&h->b, order, limit);
                if (p >= 0)
                    h_took(h, p, order, limit);
                else
                    assert_false(oracle_fits_below(h, order, limit));
            }
            if (p >= 0)
                live[n++] = (struct live){ (uint64_t)p, order };
        }
        if (op % 500 == 0)
            h_check(h);
    }
    return n;
}

static void test_random_stress_merges_back(void **state)
{
    struct harness h;
    const uint64_t base = 0x12345, nr = 6000;
    const size_t max = 4000;
    struct live *live = calloc(max, sizeof(*live));
    struct block *initial = calloc(nr, sizeof(*initial)), *final = calloc(nr, sizeof(*final));

    h_init(&h, base, nr);
    h_add(&h, base + 4000, 2000);
    h_add(&h, base + 17, 1500);
    h_add(&h, base + 1517, 483);               /* adjacent to the previous range */
    h_add(&h, base + 2500, 1000);              /* leaves holes around it */
    h_check(&h);
    size_t n0 = list_blocks(&h, initial, nr);
    uint64_t free0 = h.b.free_frames;

    rng_state = 0x9e3779b97f4a7c15ULL;
    size_t n = stress_ops(&h, live, max, 20000);
    for (size_t i = n; i > 1; i--) {
        size_t j = rng() % i;
        struct live t = live[i - 1];
        live[i - 1] = live[j];
        live[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        h_free(&h, live[i].pfn, live[i].order);

    h_check(&h);
    assert_int_equal(h.b.free_frames, free0);
    assert_int_equal(h.b.total_frames, free0);
    size_t n1 = list_blocks(&h, final, nr);
    assert_int_equal(n1, n0);
    for (size_t i = 0; i < n0; i++) {
        assert_int_equal(final[i].pfn, initial[i].pfn);
        assert_int_equal(final[i].order, initial[i].order);
    }
    free(live);
    free(initial);
    free(final);
    h_fini(&h);
}

/* --- panics: each must leave the allocator exactly as it was ---------------------------------- */

static void expect_unchanged(struct harness *h, uint64_t free_frames)
{
    assert_int_equal(h->b.free_frames, free_frames);
    h_check(h);
}

static void test_panic_double_free(void **state)
{
    struct harness h;

    h_init(&h, 0x1000, 256);
    h_add(&h, 0x1000, 256);
    int64_t p = h_alloc(&h, 2);
    h_free(&h, (uint64_t)p, 2);
    expect_assert_failure(buddy_free(&h.b, (uint64_t)p, 2));
    expect_unchanged(&h, 256);
    /* a sub-block of a free block, and a larger block overlapping a free one */
    expect_assert_failure(buddy_free(&h.b, 0x1004, 0));
    int64_t a = h_alloc(&h, 0), c = h_alloc(&h, 0);
    assert_true(a >= 0 && c >= 0);
    expect_assert_failure(buddy_free(&h.b, ALIGN_DOWN((uint64_t)a, 4), 2));
    expect_unchanged(&h, 254);
    h_fini(&h);
}

static void test_panic_add_overlapping_free(void **state)
{
    struct harness h;

    h_init(&h, 0, 64);
    h_add(&h, 0, 32);
    expect_assert_failure(buddy_add_range(&h.b, 8, 4));
    h_fini(&h);
}

static void test_panic_outside_range(void **state)
{
    struct harness h;

    h_init(&h, 0x1000, 0xf0);
    h_add(&h, 0x1000, 0x80);
    int64_t p = h_alloc(&h, 0);
    assert_true(p >= 0);
    expect_assert_failure(buddy_free(&h.b, 0xfff, 0));
    expect_assert_failure(buddy_free(&h.b, 0, 0));
    expect_assert_failure(buddy_free(&h.b, 0x10f0, 0));
    expect_assert_failure(buddy_free(&h.b, 0x10000, 4));
    expect_assert_failure(buddy_free(&h.b, UINT64_MAX & ~0xffULL, 8));
    /* starts inside, on frames never added (so still in use), but runs past the end */
    expect_assert_failure(buddy_free(&h.b, 0x10e0, 5));
    expect_unchanged(&h, 0x7f);
    h_fini(&h);
}

static void test_panic_misaligned(void **state)
{
    struct harness h;

    h_init(&h, 0x1001, 0x100);                 /* an unaligned base: alignment is absolute */
    h_add(&h, 0x1001, 0x100);
    int64_t p = h_alloc(&h, 3);
    assert_int_equal(p & 7, 0);
    expect_assert_failure(buddy_free(&h.b, (uint64_t)p + 1, 2));
    expect_assert_failure(buddy_free(&h.b, (uint64_t)p + 4, 3));
    expect_assert_failure(buddy_free(&h.b, 0x1001, 1));
    expect_unchanged(&h, 0xf8);
    h_free(&h, (uint64_t)p, 3);
    h_fini(&h);
}

static void test_panic_order_too_big(void **state)
{
    struct harness h;

    h_init(&h, 0, 64);
    h_add(&h, 0, 32);
    expect_assert_failure(buddy_free(&h.b, 0, BUDDY_MAX_ORDER + 1));
    expect_assert_failure(buddy_free(&h.b, 0, 64));
    expect_assert_failure(buddy_free(&h.b, 0, 1000));
    expect_unchanged(&h, 32);
    h_fini(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_empty),
        cmocka_unit_test(test_aligned_range_is_one_block),
        cmocka_unit_test(test_alloc_every_order_aligned),
        cmocka_unit_test(test_exhaustion_and_merge_back),
        cmocka_unit_test(test_order_larger_than_any_block),
        cmocka_unit_test(test_unaligned_base),
        cmocka_unit_test(test_adjacent_ranges_merge),
        cmocka_unit_test(test_single_frames_merge_in_any_order),
        cmocka_unit_test(test_holes_never_handed_out),
        cmocka_unit_test(test_add_range_clips),
        cmocka_unit_test(test_max_order),
        cmocka_unit_test(test_alloc_below_basic),
        cmocka_unit_test(test_alloc_below_prefers_small_low_blocks),
        cmocka_unit_test(test_random_stress_merges_back),
        cmocka_unit_test(test_panic_double_free),
        cmocka_unit_test(test_panic_add_overlapping_free),
        cmocka_unit_test(test_panic_outside_range),
        cmocka_unit_test(test_panic_misaligned),
        cmocka_unit_test(test_panic_order_too_big),
    };

    return cmocka_run_group_tests_name("buddy", tests, NULL, NULL);
}
