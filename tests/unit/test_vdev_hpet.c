/* Unit tests for hv/vdev/hpet.c: counter, comparators, interrupt routing, registers, state. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/hpet.c"

#define NLINES 24

static uint64_t fake_now;
static bool line_level[NLINES];
static unsigned int raised[NLINES];
static unsigned int msi_count;
static uint64_t msi_addr;
static uint32_t msi_data;

static uint64_t fake_now_ns(void *ctx)
{
    return fake_now;
}

/* Logs edges per GSI and checks that every call changes the level. */
static void fake_set_irq(void *ctx, unsigned int line, bool level)
{
    assert_true(line < NLINES);
    assert_int_not_equal(level, line_level[line]);
    line_level[line] = level;
    if (level)
        raised[line]++;
}

static void fake_msi(void *ctx, uint64_t addr, uint32_t data)
{
    msi_count++;
    msi_addr = addr;
    msi_data = data;
}

static const struct hpet_env fake_env = { { fake_now_ns, fake_set_irq, NULL }, fake_msi };

static unsigned int total_raised(void)
{
    unsigned int i, n = 0;

    for (i = 0; i < NLINES; i++)
        n += raised[i];
    return n;
}

static void at_tick(uint64_t base_ns, uint64_t ticks)
{
    fake_now = base_ns + hpet_ticks_to_ns(ticks);
}

static uint64_t rd(struct hpet *h, uint32_t off)
{
    return hpet_mmio_read(h, off, 8);
}

static void wr(struct hpet *h, uint32_t off, uint64_t val)
{
    hpet_mmio_write(h, off, 8, val);
}

static uint32_t rd32(struct hpet *h, uint32_t off)
{
    return (uint32_t)hpet_mmio_read(h, off, 4);
}

static void wr32(struct hpet *h, uint32_t off, uint32_t val)
{
    hpet_mmio_write(h, off, 4, val);
}

static void setup(struct hpet *h, uint64_t now)
{
    fake_now = now;
    memset(line_level, 0, sizeof(line_level));
    memset(raised, 0, sizeof(raised));
    msi_count = 0;
    msi_addr = 0;
    msi_data = 0;
    hpet_init(h, &fake_env);
}

static uint64_t route(unsigned int gsi)
{
    return (uint64_t)gsi << HPET_TN_ROUTE_SHIFT;
}

static void test_conversions(void **state)
{
    assert_int_equal(hpet_ticks(1000000000ull), 14318179);
    assert_int_equal(hpet_ticks(3600ull * 1000000000ull), 51545447785ull);
    assert_int_equal(hpet_ticks_to_ns(1000), 69842);
    assert_int_equal(hpet_ticks(hpet_ticks_to_ns(123456789)), 123456789);
    assert_int_equal(hpet_ticks(hpet_ticks_to_ns(123456789) - 1), 123456788);
    assert_int_equal(hpet_ticks(UINT64_MAX), (uint64_t)(((unsigned __int128)UINT64_MAX *
                                                         1000000) / HPET_PERIOD_FS));
    assert_int_equal(hpet_ticks_to_ns(UINT64_MAX), VDEV_NO_EVENT);
}

static void test_capabilities(void **state)
{
    struct hpet h;
    unsigned int n;

    setup(&h, 0);
    assert_int_equal(rd(&h, HPET_REG_CAP), 0x0429b17f8086a201ull);
    assert_int_equal(rd32(&h, 0x000), 0x8086a201u);
    assert_int_equal(rd32(&h, 0x004), 69841279u);
    wr(&h, HPET_REG_CAP, 0);
    assert_int_equal(rd(&h, HPET_REG_CAP), HPET_CAP_ID);
    assert_int_equal(rd(&h, HPET_REG_CONFIG), 0);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 0);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0);
    assert_int_equal(rd(&h, HPET_REG_TIMER(0)), 0x00f0000000008030ull);
    for (n = 1; n < 3; n++)
        assert_int_equal(rd(&h, HPET_REG_TIMER(n)), 0x00f0000000008020ull);
    for (n = 0; n < 3; n++) {
        assert_int_equal(rd(&h, HPET_REG_CMP(n)), ~0ull);
        assert_int_equal(rd(&h, HPET_REG_FSB(n)), 0);
        wr(&h, HPET_REG_TIMER(n), ~0ull);    /* capabilities and reserved bits do not change */
    }
    assert_int_equal(rd(&h, HPET_REG_TIMER(0)), 0x00f000000000ff7eull);
    assert_int_equal(rd(&h, HPET_REG_TIMER(1)), 0x00f000000000ff66ull);
    /* Timers 1 and 2 cannot be periodic. */
    assert_int_equal(rd(&h, HPET_REG_TIMER(2)) & HPET_TN_PERIODIC, 0);
    wr(&h, HPET_REG_CONFIG, ~0ull);
    assert_int_equal(rd(&h, HPET_REG_CONFIG), 3);
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(0xffffffff)); /* 32-bit, cmp ~0 */
}

static void test_counter_enable_rate(void **state)
{
    struct hpet h;
    uint64_t t0 = 1000, held;

    setup(&h, 0);
    fake_now = t0;
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0);   /* stopped after reset */
    wr32(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    fake_now = t0 + 3600ull * 1000000000ull;
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 51545447785ull);
    assert_int_equal(rd32(&h, HPET_REG_COUNTER), (uint32_t)51545447785ull);
    assert_int_equal(rd32(&h, HPET_REG_COUNTER + 4), 51545447785ull >> 32);
    at_tick(t0, 1);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 1);
    fake_now--;
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0);
    /* Disabling holds the count; enabling again carries on from it. */
    at_tick(t0, 5000);
    wr(&h, HPET_REG_CONFIG, 0);
    held = rd(&h, HPET_REG_COUNTER);
    assert_int_equal(held, 5000);
    fake_now += 1000000000ull;
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 5000);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    uint64_t t1 = fake_now;
    at_tick(t1, 14318179);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 5000 + 14318179);
    /* Writing enable again does not restart anything. */
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(t1, 14318180);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 5000 + 14318180);
}

static void test_counter_write(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_COUNTER, 0x1122334455667788ull);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0x1122334455667788ull);
    wr32(&h, HPET_REG_COUNTER + 4, 0xaabbccdd);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0xaabbccdd55667788ull);
    wr32(&h, HPET_REG_COUNTER, 0x01020304);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0xaabbccdd01020304ull);
    wr(&h, HPET_REG_COUNTER, 100);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 50);
    wr(&h, HPET_REG_COUNTER, 7);                     /* ignored while running */
    wr32(&h, HPET_REG_COUNTER + 4, 7);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 150);
    /* The counter wraps at 64 bits. */
    wr(&h, HPET_REG_CONFIG, 0);
    wr(&h, HPET_REG_COUNTER, ~0ull - 9);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    uint64_t t1 = fake_now;
    at_tick(t1, 15);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 5);
}

static void test_oneshot(void **state)
{
    struct hpet h;
    uint64_t t0 = 500;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(2), HPET_TN_INT_ENB | route(20));
    wr(&h, HPET_REG_CMP(2), 1000);
    assert_int_equal(hpet_next_event(&h), VDEV_NO_EVENT);   /* counter stopped */
    fake_now = t0;
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    assert_int_equal(hpet_next_event(&h), t0 + hpet_ticks_to_ns(1000));
    at_tick(t0, 999);
    hpet_update(&h);
    assert_int_equal(total_raised(), 0);
    at_tick(t0, 1000);
    hpet_update(&h);
    assert_int_equal(raised[20], 1);
    assert_false(line_level[20]);
    assert_int_equal(total_raised(), 1);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 0);             /* edge: no status */
    assert_int_equal(rd(&h, HPET_REG_CMP(2)), 1000);          /* one-shot: unchanged */
    assert_int_equal(hpet_next_event(&h), VDEV_NO_EVENT);
    at_tick(t0, 50000);
    hpet_update(&h);
    assert_int_equal(total_raised(), 1);
}

static void test_oneshot_comparator_now(void **state)
{
    struct hpet h;
    uint64_t t0 = 500, now;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(2), HPET_TN_INT_ENB | route(20));
    fake_now = t0;
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(t0, 50000);
    /* A comparator behind the counter never matches in 64-bit mode... */
    wr(&h, HPET_REG_CMP(2), 10);
    assert_int_equal(hpet_next_event(&h), VDEV_NO_EVENT);
    /* ...one equal to it matches at once. */
    now = rd(&h, HPET_REG_COUNTER);
    wr(&h, HPET_REG_CMP(2), now);
    assert_true(hpet_next_event(&h) <= fake_now);
    hpet_update(&h);
    assert_int_equal(raised[20], 1);
    /* Rearming for later, with INT_ENB clear: the match happens but raises nothing. */
    wr(&h, HPET_REG_CMP(2), now + 100);
    wr(&h, HPET_REG_TIMER(2), route(20));
    at_tick(t0, 50100);
    hpet_update(&h);
    assert_int_equal(total_raised(), 1);
    assert_int_equal(hpet_next_event(&h), VDEV_NO_EVENT);
}

/* Linux's sequence: stop, periodic with VAL_SET, comparator, period, start. */
static void test_periodic_val_set(void **state)
{
    struct hpet h;
    unsigned int k;

    setup(&h, 0);
    wr32(&h, HPET_REG_TIMER(0), HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_INT_ENB |
                                HPET_TN_32BIT | (uint32_t)route(21));
    assert_true(rd(&h, HPET_REG_TIMER(0)) & HPET_TN_VAL_SET);
    wr32(&h, HPET_REG_CMP(0), 1000);
    assert_false(rd(&h, HPET_REG_TIMER(0)) & HPET_TN_VAL_SET);
    wr32(&h, HPET_REG_CMP(0), 500);                  /* without VAL_SET: the period only */
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 1000);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    for (k = 0; k < 5; k++) {
        assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(1000 + 500 * k));
        at_tick(0, 999 + 500 * k);
        hpet_update(&h);
        assert_int_equal(raised[21], k);
        at_tick(0, 1000 + 500 * k);
        hpet_update(&h);
        assert_int_equal(raised[21], k + 1);
        assert_int_equal(rd(&h, HPET_REG_CMP(0)), 1500 + 500 * k);
    }
    /* A new period while running takes effect after the match already set. */
    wr(&h, HPET_REG_CMP(0), 200);
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 3500);
    at_tick(0, 3500);
    hpet_update(&h);
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(3700));
    /* VAL_SET while running moves the comparator and the period together. */
    wr(&h, HPET_REG_TIMER(0), rd(&h, HPET_REG_TIMER(0)) | HPET_TN_VAL_SET);
    wr(&h, HPET_REG_CMP(0), 4000);
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(4000));
    at_tick(0, 4000);
    hpet_update(&h);
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 8000);
    assert_int_equal(raised[21], 7);
}

static void test_periodic_zero_period(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(0), HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_INT_ENB | route(20));
    wr(&h, HPET_REG_CMP(0), 0);                      /* comparator and period 0 */
    wr(&h, HPET_REG_CMP(0), 0);
    wr(&h, HPET_REG_COUNTER, 1);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    assert_int_equal(hpet_next_event(&h), VDEV_NO_EVENT);   /* behind, as one-shot */
}

static void test_missed_periods(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(0), HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_INT_ENB | route(22));
    wr(&h, HPET_REG_CMP(0), 100);
    wr(&h, HPET_REG_CMP(0), 100);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 100);
    hpet_update(&h);
    assert_int_equal(raised[22], 1);
    /* A long pause: one interrupt for the lot, the comparator past now. */
    at_tick(0, 100 * 5000 + 5);
    hpet_update(&h);
    assert_int_equal(raised[22], 2);
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 100 * 5001);
    hpet_update(&h);
    assert_int_equal(raised[22], 2);
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(100 * 5001));
    at_tick(0, 100 * 5001);
    hpet_update(&h);
    assert_int_equal(raised[22], 3);
    /* Exactly on a later boundary: the comparator moves to the one after. */
    at_tick(0, 100 * 6000);
    hpet_update(&h);
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 100 * 6001);
    assert_int_equal(raised[22], 4);
}

static void test_32bit_mode(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_COUNTER, 0x00000005fffffff0ull);
    wr(&h, HPET_REG_TIMER(1), HPET_TN_INT_ENB | HPET_TN_32BIT | route(21));
    wr(&h, HPET_REG_CMP(1), 0xabcdef0000000010ull);
    assert_int_equal(rd(&h, HPET_REG_CMP(1)), 0x10);
    wr32(&h, HPET_REG_CMP(1) + 4, 0x55);
    assert_int_equal(rd32(&h, HPET_REG_CMP(1) + 4), 0);
    /* Entering 32-bit mode truncates the comparator. */
    wr(&h, HPET_REG_TIMER(2), HPET_TN_32BIT);
    assert_int_equal(rd(&h, HPET_REG_CMP(2)), 0xffffffffull);
    wr(&h, HPET_REG_TIMER(2), 0);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    /* The low 32 bits wrap before reaching 0x10. */
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(0x20));
    at_tick(0, 0x20);
    hpet_update(&h);
    assert_int_equal(raised[21], 1);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0x0000000600000010ull);
    /* A one-shot 32-bit comparator is reached again each time the low half comes round. */
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(0x20 + (1ull << 32)));
    at_tick(0, 0x20 + 3 * (1ull << 32) + 7);
    hpet_update(&h);
    assert_int_equal(raised[21], 2);
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(0x20 + 4 * (1ull << 32)));
}

static void test_32bit_periodic(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_COUNTER, 0x7fffffff0ull);
    wr(&h, HPET_REG_TIMER(0), HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_INT_ENB |
                              HPET_TN_32BIT | route(23));
    wr(&h, HPET_REG_CMP(0), 0x1fffffff8ull);
    wr(&h, HPET_REG_CMP(0), 0x100000010ull);         /* period 0x10 */
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 0xfffffff8u);
    at_tick(0, 8);
    hpet_update(&h);
    assert_int_equal(raised[23], 1);
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 0x8);  /* wrapped at 32 bits */
    assert_int_equal(hpet_next_event(&h), hpet_ticks_to_ns(0x18));
    at_tick(0, 0x18);
    hpet_update(&h);
    assert_int_equal(raised[23], 2);
    assert_int_equal(rd(&h, HPET_REG_CMP(0)), 0x18);
}

static void test_legacy_routing(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(0), HPET_TN_INT_ENB | route(20));
    wr(&h, HPET_REG_TIMER(1), HPET_TN_INT_ENB | HPET_TN_FSB_EN);
    wr(&h, HPET_REG_TIMER(2), HPET_TN_INT_ENB | route(22));
    wr(&h, HPET_REG_CMP(0), 10);
    wr(&h, HPET_REG_CMP(1), 20);
    wr(&h, HPET_REG_CMP(2), 30);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    at_tick(0, 10);
    hpet_update(&h);
    assert_int_equal(raised[HPET_LEGACY_GSI0], 1);
    at_tick(0, 30);
    hpet_update(&h);
    assert_int_equal(raised[HPET_LEGACY_GSI1], 1);
    assert_int_equal(raised[22], 1);                 /* timer 2 keeps its route */
    assert_int_equal(raised[20], 0);
    assert_int_equal(msi_count, 0);
    assert_int_equal(total_raised(), 3);
    /* Level mode still applies to the legacy lines. */
    wr(&h, HPET_REG_TIMER(1), HPET_TN_INT_ENB | HPET_TN_LEVEL);
    wr(&h, HPET_REG_CMP(1), 40);
    at_tick(0, 40);
    hpet_update(&h);
    assert_true(line_level[8]);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);        /* leaving legacy: route 0 is not allowed */
    assert_false(line_level[8]);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 2);
}

static void test_level_and_status(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(2), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(21));
    wr(&h, HPET_REG_TIMER(1), HPET_TN_LEVEL | route(22));
    wr(&h, HPET_REG_CMP(2), 100);
    wr(&h, HPET_REG_CMP(1), 200);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 100);
    hpet_update(&h);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 4);
    assert_true(line_level[21]);
    wr(&h, HPET_REG_STATUS, 3);                      /* other bits: no effect */
    assert_true(line_level[21]);
    wr32(&h, HPET_REG_STATUS, 4);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 0);
    assert_false(line_level[21]);
    /* Status is set with INT_ENB clear; enabling the interrupt then asserts the line. */
    at_tick(0, 200);
    hpet_update(&h);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 2);
    assert_false(line_level[22]);
    wr(&h, HPET_REG_TIMER(1), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(22));
    assert_true(line_level[22]);
    assert_int_equal(raised[21], 1);
}

static void test_level_line_changes(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(1), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(22));
    wr(&h, HPET_REG_CMP(1), 200);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 200);
    hpet_update(&h);
    assert_true(line_level[22]);
    /* Stopping the counter drops the line and keeps the status; restarting raises it. */
    wr(&h, HPET_REG_CONFIG, 0);
    assert_false(line_level[22]);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 2);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    assert_true(line_level[22]);
    /* A new route moves the asserted level. */
    wr(&h, HPET_REG_TIMER(1), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(23));
    assert_false(line_level[22]);
    assert_true(line_level[23]);
    /* Switching to edge drops the status bit and the line. */
    wr(&h, HPET_REG_TIMER(1), HPET_TN_INT_ENB | route(23));
    assert_int_equal(rd(&h, HPET_REG_STATUS), 0);
    assert_false(line_level[23]);
    assert_int_equal(raised[22], 2);
}

static void test_shared_level_line(void **state)
{
    struct hpet h;
    uint64_t now;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(0), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(20));
    wr(&h, HPET_REG_TIMER(2), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(20));
    wr(&h, HPET_REG_TIMER(1), HPET_TN_INT_ENB | route(20));
    wr(&h, HPET_REG_CMP(0), 10);
    wr(&h, HPET_REG_CMP(2), 10);
    wr(&h, HPET_REG_CMP(1), 10);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 10);
    hpet_update(&h);                                 /* the edge is lost in the held level */
    assert_int_equal(rd(&h, HPET_REG_STATUS), 5);
    assert_int_equal(raised[20], 1);
    wr(&h, HPET_REG_STATUS, 1);
    assert_true(line_level[20]);
    wr(&h, HPET_REG_STATUS, 4);
    assert_false(line_level[20]);
    now = rd(&h, HPET_REG_COUNTER);
    wr(&h, HPET_REG_CMP(1), now + 1);
    at_tick(0, now + 1);
    hpet_update(&h);
    assert_int_equal(raised[20], 2);
    assert_false(line_level[20]);
}

static void test_fsb_delivery(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(1), HPET_TN_INT_ENB | HPET_TN_FSB_EN | HPET_TN_LEVEL | route(20));
    wr(&h, HPET_REG_FSB(1), 0xfee01000ull << 32 | 0x4041);
    wr32(&h, HPET_REG_FSB(1), 0x4042);
    assert_int_equal(rd(&h, HPET_REG_FSB(1)), 0xfee01000ull << 32 | 0x4042);
    wr(&h, HPET_REG_CMP(1), 50);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 50);
    hpet_update(&h);
    assert_int_equal(msi_count, 1);
    assert_int_equal(msi_addr, 0xfee01000ull);
    assert_int_equal(msi_data, 0x4042);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 0);    /* messages are edges */
    assert_int_equal(total_raised(), 0);
    /* INT_ENB clear: the match sends nothing. */
    wr(&h, HPET_REG_TIMER(1), HPET_TN_FSB_EN);
    wr(&h, HPET_REG_CMP(1), 60);
    at_tick(0, 60);
    hpet_update(&h);
    assert_int_equal(msi_count, 1);
    /* FSB_EN clear again: the route is used. */
    wr(&h, HPET_REG_TIMER(1), HPET_TN_INT_ENB | route(20));
    wr(&h, HPET_REG_CMP(1), 70);
    at_tick(0, 70);
    hpet_update(&h);
    assert_int_equal(msi_count, 1);
    assert_int_equal(raised[20], 1);
}

static void test_route_not_allowed(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(0), HPET_TN_INT_ENB | route(5));
    wr(&h, HPET_REG_TIMER(2), HPET_TN_INT_ENB | HPET_TN_LEVEL | route(19));
    wr(&h, HPET_REG_CMP(0), 10);
    wr(&h, HPET_REG_CMP(2), 10);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 10);
    hpet_update(&h);
    assert_int_equal(total_raised(), 0);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 4);
    assert_int_equal((rd(&h, HPET_REG_TIMER(0)) & HPET_TN_ROUTE) >> HPET_TN_ROUTE_SHIFT, 5);
}

static void test_access_sizes(void **state)
{
    struct hpet h;

    setup(&h, 0);
    assert_int_equal(hpet_mmio_read(&h, 0x000, 1), 0xff);
    assert_int_equal(hpet_mmio_read(&h, 0x000, 2), 0xffff);
    assert_int_equal(hpet_mmio_read(&h, 0x000, 3), 0xffffff);
    assert_int_equal(hpet_mmio_read(&h, 0x002, 4), 0xffffffffu);
    assert_int_equal(hpet_mmio_read(&h, 0x004, 8), ~0ull);
    assert_int_equal(hpet_mmio_read(&h, 0x400, 4), 0xffffffffu);
    assert_int_equal(hpet_mmio_read(&h, 0xfffffff8u, 8), ~0ull);
    assert_int_equal(hpet_mmio_read(&h, 0x3f8, 8), 0);   /* reserved, inside the block */
    assert_int_equal(hpet_mmio_read(&h, 0x030, 4), 0);
    assert_int_equal(hpet_mmio_read(&h, HPET_REG_TIMER(0) + 0x18, 8), 0);
    assert_int_equal(hpet_mmio_read(&h, HPET_REG_TIMER(3), 8), 0);
    hpet_mmio_write(&h, HPET_REG_CONFIG, 1, 1);
    hpet_mmio_write(&h, HPET_REG_CONFIG, 2, 1);
    hpet_mmio_write(&h, HPET_REG_CONFIG + 2, 4, 1);
    hpet_mmio_write(&h, HPET_REG_CONFIG + 4, 8, 1);
    hpet_mmio_write(&h, HPET_REG_CONFIG + 4, 4, 1);  /* the reserved upper half */
    hpet_mmio_write(&h, HPET_REG_CONFIG + 0x400, 4, 1);
    hpet_mmio_write(&h, HPET_REG_TIMER(3), 8, ~0ull);
    hpet_mmio_write(&h, 0x3fc, 4, ~0ull);
    assert_int_equal(rd(&h, HPET_REG_CONFIG), 0);
    /* 4-byte writes reach one half; the value's upper bits are dropped. */
    hpet_mmio_write(&h, HPET_REG_CMP(2) + 4, 4, 0xffffffff00000012ull);
    assert_int_equal(rd(&h, HPET_REG_CMP(2)), 0x00000012ffffffffull);
    hpet_mmio_write(&h, HPET_REG_CMP(2), 4, 0x123456789ull);
    assert_int_equal(rd(&h, HPET_REG_CMP(2)), 0x0000001223456789ull);
    hpet_mmio_write(&h, HPET_REG_CONFIG, 4, 0x100000001ull);
    assert_int_equal(rd(&h, HPET_REG_CONFIG), 1);
    assert_int_equal(hpet_mmio_read(&h, HPET_REG_TIMER(0) + 4, 4), 0x00f00000);
}

static void test_reset(void **state)
{
    struct hpet h;

    setup(&h, 0);
    wr(&h, HPET_REG_TIMER(2), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(21));
    wr(&h, HPET_REG_CMP(2), 5);
    wr(&h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 5);
    hpet_update(&h);
    assert_true(line_level[21]);
    hpet_reset(&h);
    assert_false(line_level[21]);
    assert_int_equal(rd(&h, HPET_REG_CONFIG), 0);
    assert_int_equal(rd(&h, HPET_REG_STATUS), 0);
    assert_int_equal(rd(&h, HPET_REG_COUNTER), 0);
    assert_int_equal(rd(&h, HPET_REG_CMP(2)), ~0ull);
    assert_int_equal(hpet_next_event(&h), VDEV_NO_EVENT);
}

/* A running periodic timer 0, an asserted level timer 2 and a 32-bit timer 1. */
static void busy_state(struct hpet *h)
{
    setup(h, 0);
    wr(h, HPET_REG_TIMER(0), HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_INT_ENB | route(20));
    wr(h, HPET_REG_CMP(0), 1000);
    wr(h, HPET_REG_CMP(0), 1000);
    wr(h, HPET_REG_TIMER(1), HPET_TN_32BIT | route(22));
    wr(h, HPET_REG_CMP(1), 0x12345678);
    wr(h, HPET_REG_TIMER(2), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(21));
    wr(h, HPET_REG_CMP(2), 300);
    wr(h, HPET_REG_FSB(2), 0xfee00000ull << 32 | 0x31);
    wr(h, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    at_tick(0, 1500);
    hpet_update(h);
}

static void test_save_load(void **state)
{
    struct hpet a, b;
    uint8_t buf[HPET_SAVE_SIZE];

    busy_state(&a);
    assert_int_equal(hpet_save(&a, buf, sizeof(buf) - 1), 0);
    assert_int_equal(hpet_save(&a, buf, sizeof(buf)), sizeof(buf));
    hpet_init(&b, &fake_env);
    assert_int_equal(hpet_load(&b, buf, sizeof(buf)), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
    assert_int_equal(rd(&b, HPET_REG_COUNTER), 1500);
    assert_int_equal(rd(&b, HPET_REG_STATUS), 4);
    assert_int_equal(hpet_next_event(&b), hpet_ticks_to_ns(2000));
    at_tick(0, 2000);
    hpet_update(&b);
    assert_int_equal(raised[20], 2);
    assert_int_equal(rd(&b, HPET_REG_CMP(0)), 3000);
    assert_int_equal(hpet_load(&b, buf, sizeof(buf) + 1), -EINVAL);
    assert_int_equal(hpet_load(&b, buf, sizeof(buf) - 1), -EINVAL);
}

/* Offsets in a saved image. */
#define S(f) (8 + offsetof(struct hpet_state, f))
#define T(n, f) (S(t) + (n) * sizeof(struct hpet_timer_state) + \
                 offsetof(struct hpet_timer_state, f))

static void test_load_rejects(void **state)
{
    static const struct { size_t off; uint8_t val; } bad[] = {
        { 0, 0 }, { 4, 2 },
        { S(config), 0x05 }, { S(config) + 7, 0x80 },
        { S(status), 0x0c },                              /* no timer 3 */
        { S(status), 0x06 },                              /* timer 1 is edge-triggered */
        { S(status), 0x00 },                              /* lines no longer match */
        { S(lines), 0x01 }, { S(lines) + 3, 0x01 }, { S(pad), 1 },
        { T(0, config), 0x01 }, { T(0, config) + 2, 0x01 }, { T(0, config) + 4, 0xf0 },
        { T(2, config), 0x0e },                           /* periodic needs timer 0 */
        { T(1, cmp) + 4, 0x01 }, { T(1, period) + 7, 0x01 },  /* 32-bit mode */
        { T(0, fire) + 7, 0x20 },                         /* beyond HPET_MAX_FIRE */
        { T(0, fire), 0x01 },                             /* not at the comparator */
        { T(1, fire), 0x00 },
        { T(2, period), 0x01 },                           /* only timer 0 has a period */
    };
    struct hpet a, b, before;
    uint8_t buf[HPET_SAVE_SIZE], bad_buf[HPET_SAVE_SIZE];
    size_t i;

    busy_state(&a);
    hpet_save(&a, buf, sizeof(buf));
    fake_now = 77;
    hpet_init(&b, &fake_env);
    wr(&b, HPET_REG_TIMER(0), HPET_TN_INT_ENB | route(23));
    wr(&b, HPET_REG_CMP(0), 99);
    before = b;
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(bad_buf, buf, sizeof(buf));
        bad_buf[bad[i].off] = bad[i].val;
        assert_int_equal(hpet_load(&b, bad_buf, sizeof(bad_buf)), -EINVAL);
        assert_memory_equal(&b, &before, sizeof(b));
    }
}

/* A stopped counter has no pending matches. */
static void test_load_rejects_stopped(void **state)
{
    struct hpet a, b;
    uint8_t buf[HPET_SAVE_SIZE], bad_buf[HPET_SAVE_SIZE];

    busy_state(&a);
    wr(&a, HPET_REG_CONFIG, 0);
    wr(&a, HPET_REG_STATUS, 4);
    hpet_save(&a, buf, sizeof(buf));
    assert_int_equal(hpet_load(&b, buf, sizeof(buf)), 0);
    memcpy(bad_buf, buf, sizeof(buf));
    memset(bad_buf + T(1, fire), 0, 8);
    assert_int_equal(hpet_load(&b, bad_buf, sizeof(bad_buf)), -EINVAL);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
}

#undef S
#undef T

static uint32_t rng_state = 2718;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static uint64_t rng_value(struct hpet *h)
{
    switch (rng() % 5) {
    case 0:
        return (uint64_t)rng() << 40 ^ (uint64_t)rng() << 20 ^ rng();
    case 1:
        return h->s.counter + hpet_elapsed(h) * (h->s.config & 1) + rng() % 100000;
    case 2:
        return rng() & 0xffff;
    case 3:                                               /* a plausible timer setup */
        return HPET_TN_INT_ENB | route(20 + rng() % 4) | (rng() & 0x414a);
    default:
        return rng() & 3 ? HPET_CFG_ENABLE : rng() & 3;
    }
}

static void check_lines(const struct hpet *h)
{
    unsigned int i;

    for (i = 0; i < NLINES; i++)
        assert_int_equal(h->s.lines >> i & 1, line_level[i]);
}

static void test_fuzz(void **state)
{
    static const uint32_t offs[] = { 0x000, 0x004, 0x010, 0x010, 0x020, 0x0f0, 0x0f4,
                                     0x100, 0x108, 0x10c, 0x110, 0x120, 0x128, 0x130,
                                     0x140, 0x148, 0x150, 0x158, 0x160, 0x3fc, 0x400, 0x013 };
    static const unsigned int sizes[] = { 4, 8, 8, 4, 1, 2, 3, 0 };
    uint8_t buf[HPET_SAVE_SIZE];
    struct hpet h, q;
    unsigned int before;
    uint64_t ev;
    int i;

    setup(&h, 0);
    for (i = 0; i < 200000; i++) {
        uint32_t off = rng() & 7 ? offs[rng() % ARRAY_SIZE(offs)] : rng() % 0x500;
        unsigned int size = sizes[rng() % ARRAY_SIZE(sizes)];

        fake_now += rng() % (rng() & 1 ? 2000 : 20000000);
        if (rng() & 1)
            hpet_mmio_write(&h, off, size, rng_value(&h));
        else
            hpet_mmio_read(&h, off, size);
        check_lines(&h);
        before = total_raised() + msi_count;
        ev = hpet_next_event(&h);
        hpet_update(&h);
        assert_true(total_raised() + msi_count - before <= HPET_NUM_TIMERS);
        if (ev > fake_now)
            assert_int_equal(total_raised() + msi_count, before);
        assert_true(hpet_next_event(&h) > fake_now);
        check_lines(&h);
        assert_int_equal(hpet_save(&h, buf, sizeof(buf)), sizeof(buf));
        assert_int_equal(hpet_load(&q, buf, sizeof(buf)), 0);
    }
    /* The run must have reached the delivery paths, not only the register decoder. */
    assert_true(total_raised() > 100);
    assert_true(msi_count > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_capabilities),
        cmocka_unit_test(test_counter_enable_rate),
        cmocka_unit_test(test_counter_write),
        cmocka_unit_test(test_oneshot),
        cmocka_unit_test(test_oneshot_comparator_now),
        cmocka_unit_test(test_periodic_val_set),
        cmocka_unit_test(test_periodic_zero_period),
        cmocka_unit_test(test_missed_periods),
        cmocka_unit_test(test_32bit_mode),
        cmocka_unit_test(test_32bit_periodic),
        cmocka_unit_test(test_legacy_routing),
        cmocka_unit_test(test_level_and_status),
        cmocka_unit_test(test_level_line_changes),
        cmocka_unit_test(test_shared_level_line),
        cmocka_unit_test(test_fsb_delivery),
        cmocka_unit_test(test_route_not_allowed),
        cmocka_unit_test(test_access_sizes),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_load_rejects_stopped),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests_name("vdev_hpet", tests, NULL, NULL);
}
