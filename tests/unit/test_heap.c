/*
 * Unit tests for the hypervisor heap (hv/mm/heap.c). Pages come from a fake provider that
 * records every page it hands out, fills new pages with garbage and can be told to fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shim.h"

/* Single-threaded host build: the heap lock does nothing. */
#define KEEL_SPINLOCK_H
typedef int spinlock_t;
#define SPINLOCK_INIT 0
static inline unsigned long spin_lock_irqsave(spinlock_t *l) { (void)l; return 0; }
static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long f) { (void)l; (void)f; }

#include "../../hv/mm/heap.c"

#include <stdlib.h>
#include <string.h>

/* --- the fake page provider ------------------------------------------------------------------- */

#define FAKE_MAX 8192

static struct {
    void *p[FAKE_MAX];
    unsigned int order[FAKE_MAX];
    unsigned int n;                 /* live blocks */
    uint64_t pages;                 /* pages currently handed to the heap */
    int fail_in;                    /* fail the call after this many more successes; <0: never */
} fake;

static void *fake_alloc_pages(unsigned int order)
{
    if (fake.fail_in == 0)
        return NULL;
    if (fake.fail_in > 0)
        fake.fail_in--;
    assert_true(fake.n < FAKE_MAX);
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);
    assert_non_null(p);
    memset(p, 0xa5, PAGE_SIZE << order);
    fake.p[fake.n] = p;
    fake.order[fake.n++] = order;
    fake.pages += 1ULL << order;
    return p;
}

static void fake_free_pages(void *p, unsigned int order)
{
    for (unsigned int i = 0; i < fake.n; i++) {
        if (fake.p[i] != p)
            continue;
        assert_int_equal(fake.order[i], order);
        fake.pages -= 1ULL << order;
        fake.p[i] = fake.p[--fake.n];
        fake.order[i] = fake.order[fake.n];
        free(p);
        return;
    }
    fail_msg("free_pages(%p, %u): not a page the provider handed out", p, order);
}

static const struct heap_page_ops fake_ops = {
    .alloc_pages = fake_alloc_pages,
    .free_pages = fake_free_pages,
};

static int setup(void **state)
{
    memset(&fake, 0, sizeof(fake));
    fake.fail_in = -1;
    heap_init(&fake_ops);
    return 0;
}

/* Pages the heap still holds (the cached empty slabs) go back, so nothing leaks between tests. */
static int teardown(void **state)
{
    while (fake.n) {
        fake.n--;
        free(fake.p[fake.n]);
    }
    return 0;
}

/* Empty slab pages per size class currently held: the cache may keep at most one of each. */
static void assert_only_spares_held(void)
{
    unsigned int per_class[HEAP_NR_CLASSES] = { 0 };
    struct heap_stats st;

    heap_get_stats(&st);
    assert_int_equal(st.pages_held, fake.pages);
    assert_int_equal(st.bytes_in_use, 0);
    for (unsigned int i = 0; i < fake.n; i++) {
        const struct heap_slab *s = fake.p[i];
        assert_int_equal(fake.order[i], 0);
        assert_int_equal(s->magic, HEAP_SLAB_MAGIC);
        assert_int_equal(s->in_use, 0);
        per_class[heap_class_index(s->size)]++;
    }
    for (unsigned int i = 0; i < HEAP_NR_CLASSES; i++)
        assert_in_range(per_class[i], 0, 1);
    assert_true(fake.pages <= HEAP_NR_CLASSES);
}

static size_t class_of(size_t size)
{
    size_t c = 16;

    while (c < size)
        c <<= 1;
    return c;
}

static unsigned int objs_per_page(size_t cls)
{
    return (unsigned int)((PAGE_SIZE - HEAP_SLAB_HDR) / cls);
}

static uint8_t pattern(uintptr_t id, size_t i)
{
    return (uint8_t)(id * 131 + i * 7 + 1);
}

static void fill(void *p, size_t size, uintptr_t id)
{
    for (size_t i = 0; i < size; i++)
        ((uint8_t *)p)[i] = pattern(id, i);
}

static void check_fill(const void *p, size_t size, uintptr_t id)
{
    for (size_t i = 0; i < size; i++)
        if (((const uint8_t *)p)[i] != pattern(id, i))
            fail_msg("object %p (id %lu) corrupted at byte %zu", p, (unsigned long)id, i);
}

/* --- tests ------------------------------------------------------------------------------------ */

static void test_zero_size_and_null(void **state)
{
    struct heap_stats st;

    assert_null(kmalloc(0));
    assert_null(kzalloc(0));
    kfree(NULL);
    heap_get_stats(&st);
    assert_int_equal(st.allocs, 0);
    assert_int_equal(st.frees, 0);
    assert_int_equal(st.pages_held, 0);
    assert_int_equal(fake.pages, 0);
}

static void test_every_class(void **state)
{
    static const size_t sizes[] = { 1, 15, 16, 17, 31, 32, 33, 64, 65, 100, 128, 129, 255, 256,
                                    257, 512, 513, 1000, 1024, 1025, 2000, 2047, 2048 };
    void *p[ARRAY_SIZE(sizes)];
    uint64_t bytes = 0;
    struct heap_stats st;

    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        p[i] = kmalloc(sizes[i]);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        const struct heap_slab *s = (const void *)ALIGN_DOWN((uintptr_t)p[i], PAGE_SIZE);
        assert_int_equal(s->size, class_of(sizes[i]));
        bytes += class_of(sizes[i]);
        heap_get_stats(&st);
        assert_int_equal(st.bytes_in_use, bytes);
        fill(p[i], class_of(sizes[i]), i);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        check_fill(p[i], class_of(sizes[i]), i);
        kfree(p[i]);
    }
    assert_only_spares_held();
}

/* A class fills whole pages: n objects per page, distinct, in bounds and never overlapping. */
static void test_class_packing(void **state)
{
    for (size_t cls = 16; cls <= 2048; cls <<= 1) {
        unsigned int per = objs_per_page(cls), n = 3 * per + 1;
        uint8_t **p = calloc(n, sizeof(*p));
        uint64_t pages0 = fake.pages;

        for (unsigned int i = 0; i < n; i++) {
            p[i] = kmalloc(cls);
            assert_non_null(p[i]);
            assert_int_equal((uintptr_t)p[i] % 16, 0);
            uintptr_t off = (uintptr_t)p[i] % PAGE_SIZE;
            assert_true(off >= HEAP_SLAB_HDR && off + cls <= PAGE_SIZE);
            memset(p[i], (int)i, cls);
        }
        assert_int_equal(fake.pages - pages0, 4);
        for (unsigned int i = 0; i < n; i++)
            for (size_t j = 0; j < cls; j++)
                assert_int_equal(p[i][j], (uint8_t)i);
        for (unsigned int i = 0; i < n; i++)
            kfree(p[n - 1 - i]);
        free(p);
    }
    assert_only_spares_held();
}

static void test_kzalloc_zeroes(void **state)
{
    /* fresh pages arrive full of 0xa5 */
    for (size_t size = 1; size <= 3 * PAGE_SIZE; size = size * 3 + 1) {
        uint8_t *p = kzalloc(size);
        assert_non_null(p);
        for (size_t i = 0; i < size; i++)
            assert_int_equal(p[i], 0);
        kfree(p);
    }
    /* and a reused object is zeroed too */
    uint8_t *p = kmalloc(200);
    memset(p, 0xff, 200);
    kfree(p);
    uint8_t *q = kzalloc(200);
    assert_ptr_equal(p, q);
    for (size_t i = 0; i < 200; i++)
        assert_int_equal(q[i], 0);
    kfree(q);
}

static void test_reuse_after_free(void **state)
{
    void *keep = kmalloc(64);
    void *p = kmalloc(64);
    uint64_t pages = fake.pages;

    kfree(p);
    void *q = kmalloc(64);
    assert_ptr_equal(p, q);
    assert_int_equal(fake.pages, pages);
    /* an emptied page is reused, not returned and fetched again */
    kfree(q);
    kfree(keep);
    assert_int_equal(fake.pages, 1);
    p = kmalloc(40);
    assert_int_equal(fake.pages, 1);
    kfree(p);
    assert_only_spares_held();
}

/*
 * Freeing into a full page makes it usable again before any new page is taken. (A 2048-byte
 * page holds one object, so a hole would empty it instead: that case is test_reuse_after_free.)
 */
static void test_full_page_reused(void **state)
{
    for (size_t cls = 16; cls <= 1024; cls <<= 1) {
        unsigned int per = objs_per_page(cls), n = 2 * per;
        void **p = calloc(n, sizeof(*p));

        for (unsigned int i = 0; i < n; i++)
            p[i] = kmalloc(cls);
        uint64_t pages = fake.pages;
        /* one hole in each of the two full pages; refilling them must take no new page */
        kfree(p[0]);
        kfree(p[per]);
        void *a = kmalloc(cls), *b = kmalloc(cls);
        assert_int_equal(fake.pages, pages);
        assert_true(per >= 2);
        assert_true((a == p[0] && b == p[per]) || (a == p[per] && b == p[0]));
        for (unsigned int i = 0; i < n; i++)
            kfree(p[i]);
        free(p);
    }
    assert_only_spares_held();
}

static void test_large(void **state)
{
    static const struct { size_t size; unsigned int order; } cases[] = {
        { 2049, 0 }, { 4000, 0 }, { PAGE_SIZE - 16, 0 }, { PAGE_SIZE - 15, 1 }, { PAGE_SIZE, 1 },
        { 10000, 2 }, { 5 * PAGE_SIZE, 3 }, { 1 << 20, 9 },
    };
    struct heap_stats st;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t pages = fake.pages;
        uint8_t *p = kmalloc(cases[i].size);

        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_int_equal(fake.pages - pages, 1ULL << cases[i].order);
        assert_int_equal(fake.order[fake.n - 1], cases[i].order);
        assert_ptr_equal(ALIGN_DOWN((uintptr_t)p, PAGE_SIZE), (uintptr_t)fake.p[fake.n - 1]);
        heap_get_stats(&st);
        assert_int_equal(st.bytes_in_use, (PAGE_SIZE << cases[i].order) - 16);
        assert_int_equal(st.pages_held, fake.pages);
        fill(p, cases[i].size, i);
        check_fill(p, cases[i].size, i);
        kfree(p);
        assert_int_equal(fake.pages, pages);        /* large pages go straight back */
    }
    assert_only_spares_held();
}

static void test_too_big_and_provider_failure(void **state)
{
    struct heap_stats st;

    assert_null(kmalloc(SIZE_MAX));
    assert_null(kmalloc(PAGE_SIZE << HEAP_MAX_ORDER));
    fake.fail_in = 0;
    assert_null(kmalloc(8));
    assert_null(kzalloc(3000));
    assert_null(kmalloc(1 << 16));
    heap_get_stats(&st);
    assert_int_equal(st.allocs, 0);
    assert_int_equal(st.pages_held, 0);
    assert_int_equal(st.bytes_in_use, 0);
    /* a partly used page still serves its class when the provider is dry */
    fake.fail_in = 1;
    void *a = kmalloc(512), *b = kmalloc(512);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(kmalloc(1024));
    fake.fail_in = -1;
    kfree(a);
    kfree(b);
    assert_only_spares_held();
}

static void test_pages_returned(void **state)
{
    enum { N = 3000 };
    void **p = calloc(N, sizeof(*p));
    uint64_t seed = 42;

    for (unsigned int i = 0; i < N; i++) {
        p[i] = kmalloc((size_t)16 << (i % HEAP_NR_CLASSES));
        assert_non_null(p[i]);
    }
    assert_true(fake.pages > 100);
    for (unsigned int i = N; i > 1; i--) {           /* free in a shuffled order */
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned int j = (unsigned int)((seed >> 33) % i);
        void *t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    for (unsigned int i = 0; i < N; i++)
        kfree(p[i]);
    assert_only_spares_held();
    assert_int_equal(fake.pages, HEAP_NR_CLASSES);
    free(p);
}

static void test_stats(void **state)
{
    struct heap_stats st;

    void *a = kmalloc(20), *b = kzalloc(300), *c = kmalloc(3000);
    heap_get_stats(&st);
    assert_int_equal(st.allocs, 3);
    assert_int_equal(st.frees, 0);
    assert_int_equal(st.bytes_in_use, 32 + 512 + PAGE_SIZE - 16);
    assert_int_equal(st.pages_held, 3);
    kfree(b);
    kfree(NULL);
    heap_get_stats(&st);
    assert_int_equal(st.frees, 1);
    assert_int_equal(st.bytes_in_use, 32 + PAGE_SIZE - 16);
    assert_int_equal(st.pages_held, 3);             /* the 512 page is the class's spare */
    kfree(c);
    kfree(a);
    heap_get_stats(&st);
    assert_int_equal(st.allocs, 3);
    assert_int_equal(st.frees, 3);
    assert_int_equal(st.bytes_in_use, 0);
    assert_int_equal(st.pages_held, 2);
    assert_int_equal(st.pages_held, fake.pages);
}

struct live {
    uint8_t *p;
    size_t size;
    uintptr_t id;
};

static size_t stress_size(uint64_t r)
{
    if (r % 100 < 85)
        return 1 + (r >> 8) % 2048;
    return 2049 + (r >> 8) % (64 * 1024);
}

static uint64_t stress_bytes(size_t size)
{
    if (size <= 2048)
        return class_of(size);
    size_t pages = 1;
    while (pages * PAGE_SIZE - 16 < size)
        pages <<= 1;
    return pages * PAGE_SIZE - 16;
}

static void test_random_stress(void **state)
{
    enum { MAXLIVE = 1500, OPS = 30000 };
    struct live *live = calloc(MAXLIVE, sizeof(*live));
    uint64_t seed = 0x243f6a8885a308d3ULL, bytes = 0;
    size_t n = 0;
    struct heap_stats st;

    for (uintptr_t op = 0; op < OPS; op++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = seed >> 16;
        if (n && (r % 100 < 48 || n == MAXLIVE)) {
            size_t i = (r >> 8) % n;
            check_fill(live[i].p, live[i].size, live[i].id);
            kfree(live[i].p);
            bytes -= stress_bytes(live[i].size);
            live[i] = live[--n];
        } else {
            size_t size = stress_size(r >> 7);
            uint8_t *p = (r & 64) ? kzalloc(size) : kmalloc(size);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % 16, 0);
            fill(p, size, op);
            live[n++] = (struct live){ p, size, op };
            bytes += stress_bytes(size);
        }
        heap_get_stats(&st);
        assert_int_equal(st.bytes_in_use, bytes);
        assert_int_equal(st.pages_held, fake.pages);
    }
    heap_get_stats(&st);
    assert_int_equal(st.allocs - st.frees, n);
    while (n) {
        n--;
        check_fill(live[n].p, live[n].size, live[n].id);
        kfree(live[n].p);
    }
    assert_only_spares_held();
    free(live);
}

/* --- panics: each is caught before the heap changes --------------------------------------------- */

static void test_panic_bad_magic(void **state)
{
    uint8_t *page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    struct heap_stats before, after;

    memset(page, 0, PAGE_SIZE);
    heap_get_stats(&before);
    expect_assert_failure(kfree(page + 64));
    expect_assert_failure(kfree(page));
    /* the second page of a large object starts with the caller's data, not a header */
    uint8_t *big = kzalloc(3 * PAGE_SIZE);
    expect_assert_failure(kfree(big + 2 * PAGE_SIZE));
    kfree(big);
    heap_get_stats(&after);
    assert_int_equal(after.frees, before.frees + 1);
    free(page);
    assert_only_spares_held();
}

static void test_panic_not_object_boundary(void **state)
{
    uint8_t *p = kmalloc(64), *q = kmalloc(64);
    uint8_t *big = kmalloc(5000);
    struct heap_stats before, after;

    heap_get_stats(&before);
    expect_assert_failure(kfree(p + 8));
    expect_assert_failure(kfree(p + 16));
    expect_assert_failure(kfree(p - 16));                        /* inside the page header */
    expect_assert_failure(kfree((void *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE)));
    expect_assert_failure(kfree((void *)(ALIGN_DOWN((uintptr_t)p, PAGE_SIZE) + PAGE_SIZE - 16)));
    expect_assert_failure(kfree(big + 16));
    expect_assert_failure(kfree(big - 16));
    heap_get_stats(&after);
    assert_memory_equal(&before, &after, sizeof(before));
    kfree(p);
    kfree(q);
    kfree(big);
    assert_only_spares_held();
}

static void test_panic_double_free(void **state)
{
    void *keep = kmalloc(128);
    void *p = kmalloc(128);
    struct heap_stats before, after;

    kfree(p);
    heap_get_stats(&before);
    expect_assert_failure(kfree(p));
    heap_get_stats(&after);
    assert_memory_equal(&before, &after, sizeof(before));
    /* the free list is intact: the next two allocations are distinct */
    void *a = kmalloc(128), *b = kmalloc(128);
    assert_ptr_not_equal(a, b);
    kfree(a);
    kfree(b);
    kfree(keep);
    assert_only_spares_held();
}

static void test_panic_corrupt_size_class(void **state)
{
    void *keep = kmalloc(32);
    struct heap_slab *s = (void *)ALIGN_DOWN((uintptr_t)keep, PAGE_SIZE);

    s->size = 48;
    expect_assert_failure(kfree(keep));
    s->size = 0;
    expect_assert_failure(kfree(keep));
    s->size = 32;
    kfree(keep);
    assert_only_spares_held();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_zero_size_and_null),
        T(test_every_class),
        T(test_class_packing),
        T(test_kzalloc_zeroes),
        T(test_reuse_after_free),
        T(test_full_page_reused),
        T(test_large),
        T(test_too_big_and_provider_failure),
        T(test_pages_returned),
        T(test_stats),
        T(test_random_stress),
        T(test_panic_bad_magic),
        T(test_panic_not_object_boundary),
        T(test_panic_double_free),
        T(test_panic_corrupt_size_class),
    };
#undef T

    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
