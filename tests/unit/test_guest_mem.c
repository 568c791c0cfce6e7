/*
 * Unit tests for hv/guest_mem.c: guest-physical copies through a fake p2m whose RAM frames are
 * host pages, and guest-virtual copies with paging off. Hypercalls hand it any address a guest
 * likes, so every range that is not wholly RAM must fail without touching memory, including
 * ranges that wrap past 2^64 and frames that stop being RAM between the check and the copy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/guest_mem.c"
#include "../../hv/guest_walk.c"

#define NR_RAM 4                        /* gfns 0-3: RAM; gfn 4: read-only; the rest: nothing */
#define RO_GFN 4
#define TOP_GFN 0xfffffffffffffull      /* the last gfn of a 64-bit address, for wrapping ranges */

static uint8_t (*frames)[PAGE_SIZE];    /* NR_RAM + 1 host pages */
static unsigned int lookups, lookups_left;  /* after lookups_left more, nothing is RAM */
static struct domain dom;
static struct vcpu vcpu = { .domain = &dom };

enum p2m_type p2m_lookup(struct p2m *p2m, gfn_t gfn, mfn_t *mfn, unsigned int *order)
{
    uint64_t g = gfn_x(gfn);

    lookups++;
    if (lookups_left && !--lookups_left)
        lookups_left = ~0u;             /* from now on the p2m is empty */
    if (lookups_left == ~0u || g > RO_GFN) {
        *mfn = INVALID_MFN;
        return p2m_invalid;
    }
    *mfn = _mfn(((uintptr_t)frames[g] - DIRECTMAP_BASE) >> PAGE_SHIFT);
    return g == RO_GFN ? p2m_ram_ro : p2m_ram_rw;
}

static int setup(void **state)
{
    if (!frames)
        frames = aligned_alloc(PAGE_SIZE, (NR_RAM + 1) * PAGE_SIZE);
    for (unsigned int i = 0; i <= NR_RAM; i++)
        memset(frames[i], 0x10 + i, PAGE_SIZE);
    lookups = lookups_left = 0;
    return 0;
}

static void test_copies_within_ram(void **state)
{
    uint8_t buf[32];

    assert_int_equal(gpa_read(&dom, PAGE_SIZE - 16, buf, sizeof(buf)), 0);   /* crosses a page */
    assert_int_equal(buf[15], 0x10);
    assert_int_equal(buf[16], 0x11);
    memset(buf, 0xab, sizeof(buf));
    assert_int_equal(gpa_write(&dom, 3 * PAGE_SIZE - 8, buf, sizeof(buf)), 0);
    assert_int_equal(frames[2][PAGE_SIZE - 1], 0xab);
    assert_int_equal(frames[3][23], 0xab);
    assert_int_equal(frames[3][24], 0x13);
    assert_int_equal(gpa_read(&dom, RO_GFN * PAGE_SIZE, buf, 8), 0);        /* read-only: reads */
    assert_int_equal(buf[0], 0x10 + RO_GFN);
    assert_int_equal(gpa_read(&dom, ~0ull, buf, 0), 0);                      /* nothing to copy */
}

static void test_ranges_leaving_ram_change_nothing(void **state)
{
    uint8_t buf[64];

    memset(buf, 0xcd, sizeof(buf));
    assert_int_equal(gpa_write(&dom, RO_GFN * PAGE_SIZE - 8, buf, 16), -EACCES);
    assert_int_equal(frames[RO_GFN - 1][PAGE_SIZE - 1], 0x10 + RO_GFN - 1);  /* not half done */
    assert_int_equal(gpa_write(&dom, 2 * PAGE_SIZE - 8, buf, 8), 0);
    assert_int_equal(gpa_write(&dom, (RO_GFN + 1) * PAGE_SIZE + 8, buf, 16), -EFAULT);
    assert_int_equal(gpa_read(&dom, (RO_GFN + 1) * PAGE_SIZE - 8, buf, 16), -EFAULT);
    assert_int_equal(gpa_read(&dom, 1ull << 52, buf, 16), -EFAULT);
}

/* Ranges that wrap past 2^64 used to skip the check loop and copy through a NULL frame. */
static void test_wrapping_ranges_fail(void **state)
{
    uint8_t buf[PAGE_SIZE];

    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(gpa_read(&dom, ~0ull - 7, buf, 16), -EFAULT);
    assert_int_equal(gpa_write(&dom, ~0ull - 7, buf, 16), -EFAULT);
    assert_int_equal(gpa_read(&dom, 0ull - 256, buf, 256), -EFAULT);     /* ends exactly at 2^64 */
    assert_int_equal(gpa_write(&dom, 0ull - PAGE_SIZE, buf, PAGE_SIZE), -EFAULT);
    assert_int_equal(gpa_read(&dom, TOP_GFN << PAGE_SHIFT, buf, 1), -EFAULT);
    assert_int_equal(frames[0][0], 0x10);                                /* nothing written */
}

/* A frame that stops being RAM after the check (another CPU changed the p2m) fails the copy. */
static void test_frame_gone_between_check_and_copy(void **state)
{
    uint8_t buf[2 * PAGE_SIZE];

    lookups_left = 4;                   /* two checks, the first copy; then the p2m is empty */
    assert_int_equal(gpa_read(&dom, PAGE_SIZE / 2, buf, PAGE_SIZE), -EFAULT);
    assert_int_equal(lookups, 4);
}

static struct vcpu_state flat64 = { .efer = 1u << 10 };  /* long mode, paging off: gva = gpa */

static void test_gva_copies_count_pages(void **state)
{
    uint8_t buf[16];
    uint32_t pfec = 0;
    uint64_t fault = 0;

    assert_int_equal(gva_read(&vcpu, &flat64, PAGE_SIZE - 8, buf, sizeof(buf), GW_READ, &pfec,
                              &fault), 0);
    assert_int_equal(buf[7], 0x10);
    assert_int_equal(buf[8], 0x11);
    /* Wrapping past 2^64: both pages are walked (the second is gpa 0), and the first is no RAM. */
    memset(buf, 0x77, sizeof(buf));
    assert_int_equal(gva_read(&vcpu, &flat64, ~0ull - 7, buf, sizeof(buf), GW_READ, &pfec, &fault),
                     -EFAULT);
    assert_int_equal(gva_write(&vcpu, &flat64, ~0ull - 7, buf, sizeof(buf), &pfec, &fault),
                     -EFAULT);
    assert_int_equal(frames[0][0], 0x10);
}

static int teardown(void **state)
{
    free(frames);
    frames = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_copies_within_ram, setup),
        cmocka_unit_test_setup(test_ranges_leaving_ram_change_nothing, setup),
        cmocka_unit_test_setup(test_wrapping_ranges_fail, setup),
        cmocka_unit_test_setup(test_frame_gone_between_check_and_copy, setup),
        cmocka_unit_test_setup(test_gva_copies_count_pages, setup),
    };

    return cmocka_run_group_tests(tests, NULL, teardown);
}
