/* Unit tests for hv/vdev/pmtimer.c: timer rate and wrap, TMR_STS and the SCI, PM1 registers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/pmtimer.c"

#define SEC 1000000000ull
#define BASE 0xb000

static uint64_t fake_now;
static unsigned int sci_changes;
static bool sci_level;

static uint64_t fake_now_ns(void *ctx)
{
    return fake_now;
}

static void fake_set_irq(void *ctx, unsigned int line, bool level)
{
    assert_int_equal(line, 9);
    assert_int_not_equal(level, sci_level);
    sci_level = level;
    sci_changes++;
}

static const struct vdev_env fake_env = { fake_now_ns, fake_set_irq, NULL };

static void setup(struct pmtimer *pm, uint64_t now)
{
    fake_now = now;
    sci_changes = 0;
    sci_level = false;
    pmtimer_init(pm, &fake_env, BASE);
}

static uint32_t tmr(struct pmtimer *pm)
{
    return pmtimer_io_read(pm, BASE + 8, 4);
}

static void test_frequency(void **state)
{
    struct pmtimer pm;
    uint32_t a, b;

    setup(&pm, 0);
    assert_int_equal(tmr(&pm), 0);
    fake_now = SEC;
    assert_int_equal(tmr(&pm), PMTIMER_FREQ_HZ);
    /* Over an hour the counter advances by exactly 3600 s of ticks, modulo 2^24. */
    fake_now = 1000 * SEC + 123456789;
    a = tmr(&pm);
    fake_now += 3600 * SEC;
    b = tmr(&pm);
    assert_int_equal((b - a) & 0xffffff, (3600ull * PMTIMER_FREQ_HZ) & 0xffffff);
    assert_int_equal(b, pmtimer_ticks(fake_now) & 0xffffff);
    assert_int_equal(b >> 24, 0);
    /* Smaller reads see the same bytes. */
    assert_int_equal(pmtimer_io_read(&pm, BASE + 8, 2), b & 0xffff);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 10, 2), b >> 16);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 9, 1), (b >> 8) & 0xff);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 11, 1), 0);
    pmtimer_io_write(&pm, BASE + 8, 4, 0);              /* read-only */
    assert_int_equal(tmr(&pm), b);
    assert_int_equal(pmtimer_ticks(pmtimer_ticks_to_ns(777777)), 777777);
    assert_int_equal(pmtimer_ticks(pmtimer_ticks_to_ns(777777) - 1), 777776);
}

static void test_wrap_and_tmr_sts(void **state)
{
    struct pmtimer pm;
    uint64_t half = pmtimer_ticks_to_ns(1u << 23), wrap = pmtimer_ticks_to_ns(1u << 24);

    setup(&pm, 0);
    assert_int_equal(pmtimer_next_event(&pm), VDEV_NO_EVENT);   /* not enabled */
    pmtimer_io_write(&pm, BASE + 2, 2, PMTIMER_EN_TMR);
    assert_int_equal(pmtimer_next_event(&pm), half);
    fake_now = half - 1;
    pmtimer_update(&pm);
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2), 0);
    assert_int_equal(sci_changes, 0);
    fake_now = half;
    pmtimer_update(&pm);
    assert_int_equal(tmr(&pm), 0x800000);
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2), PMTIMER_STS_TMR);
    assert_true(sci_level);
    assert_int_equal(pmtimer_next_event(&pm), VDEV_NO_EVENT);
    pmtimer_io_write(&pm, BASE, 2, PMTIMER_STS_TMR);           /* write 1 to clear */
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2), 0);
    assert_false(sci_level);
    assert_int_equal(pmtimer_next_event(&pm), wrap);
    fake_now = wrap - 1;
    assert_int_equal(tmr(&pm), 0xffffff);
    fake_now = wrap;
    assert_int_equal(tmr(&pm), 0);                             /* the read catches up too */
    assert_int_equal(pmtimer_io_read(&pm, BASE, 1), PMTIMER_STS_TMR);
    assert_true(sci_level);
    pmtimer_io_write(&pm, BASE, 2, 0);                         /* writing 0 changes nothing */
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2), PMTIMER_STS_TMR);
    /* Disabling drops the SCI but keeps the status. */
    pmtimer_io_write(&pm, BASE + 2, 2, 0);
    assert_false(sci_level);
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2), PMTIMER_STS_TMR);
    /* Status without the enable: set by the transition, no SCI. */
    pmtimer_io_write(&pm, BASE, 2, 0xffff);
    fake_now = 10 * wrap;
    pmtimer_update(&pm);
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2), PMTIMER_STS_TMR);
    assert_false(sci_level);
    assert_int_equal(sci_changes, 4);
}

static void test_long_pause_one_status(void **state)
{
    struct pmtimer pm;

    setup(&pm, 0);
    pmtimer_io_write(&pm, BASE + 2, 2, PMTIMER_EN_TMR);
    fake_now = 3600 * SEC;
    pmtimer_update(&pm);
    assert_int_equal(sci_changes, 1);
    pmtimer_io_write(&pm, BASE, 2, PMTIMER_STS_TMR);
    assert_int_equal(pmtimer_next_event(&pm),
                     pmtimer_ticks_to_ns(((pmtimer_ticks(fake_now) >> 23) + 1) << 23));
    assert_true(pmtimer_next_event(&pm) > fake_now);
}

/* A reset while the SCI is asserted must lower it (found by fuzz_vdev: the line stayed up). */
static void test_reset_lowers_sci(void **state)
{
    struct pmtimer pm;

    setup(&pm, 0);
    pmtimer_io_write(&pm, BASE + 2, 2, PMTIMER_EN_TMR);
    fake_now = pmtimer_ticks_to_ns(1u << 23);
    pmtimer_update(&pm);
    assert_true(sci_level);
    pmtimer_reset(&pm);
    assert_false(sci_level);
    assert_int_equal(sci_changes, 2);
    assert_int_equal(pmtimer_io_read(&pm, BASE, 4), 0);
    /* The SCI works as before: enabling the timer once its status is set raises it again. */
    fake_now = pmtimer_ticks_to_ns(2u << 23);
    pmtimer_update(&pm);
    pmtimer_io_write(&pm, BASE + 2, 2, PMTIMER_EN_TMR);
    assert_true(sci_level);
    assert_int_equal(sci_changes, 3);
}

static void test_registers(void **state)
{
    struct pmtimer pm;

    setup(&pm, 0);
    pmtimer_io_write(&pm, BASE + 2, 2, 0xffff);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 2, 2), PMTIMER_EN_MASK);
    pmtimer_io_write(&pm, BASE + 3, 1, 0x00);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 2, 2), 0x21);
    /* A dword at the base covers status and enable together. */
    assert_int_equal(pmtimer_io_read(&pm, BASE, 4), 0x21u << 16);
    pmtimer_io_write(&pm, BASE + 4, 2, 0x0001);                /* SCI_EN */
    assert_int_equal(pmtimer_io_read(&pm, BASE + 4, 2), 0x0001);
    assert_int_equal(pmtimer_sleep_request(&pm), -1);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 6, 2), 0);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 12, 1), 0xff);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 10, 4), 0xffff0000u | (tmr(&pm) >> 16));
    assert_int_equal(pmtimer_io_read(&pm, BASE - 1, 2), 0xffu | pmtimer_io_read(&pm, BASE, 1) << 8);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 8, 3), 0xffffffffu);
    pmtimer_io_write(&pm, BASE + 4, 3, 0xffffff);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 4, 2), 0x0001);
}

static void test_sleep_request(void **state)
{
    struct pmtimer pm;

    setup(&pm, 0);
    pmtimer_io_write(&pm, BASE + 4, 2, 5 << 10 | 1);           /* SLP_TYP without SLP_EN */
    assert_int_equal(pmtimer_sleep_request(&pm), -1);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 4, 2), 5 << 10 | 1);
    pmtimer_io_write(&pm, BASE + 4, 2, PMTIMER_CNT_SLP_EN | 5 << 10 | 1);
    assert_int_equal(pmtimer_io_read(&pm, BASE + 4, 2), 5 << 10 | 1);   /* SLP_EN reads 0 */
    assert_int_equal(pmtimer_sleep_request(&pm), 5);
    assert_int_equal(pmtimer_sleep_request(&pm), -1);                   /* taken */
    pmtimer_io_write(&pm, BASE + 5, 1, 0x20);                           /* S0 by a byte write */
    assert_int_equal(pmtimer_sleep_request(&pm), 0);
}

/* The power button sets PWRBTN_STS; the SCI follows its enable bit; writing 1 clears it. */
static void test_power_button(void **state)
{
    struct pmtimer pm;

    setup(&pm, 0);
    pmtimer_power_button(&pm);
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2) & PMTIMER_STS_PWRBTN, PMTIMER_STS_PWRBTN);
    assert_false(sci_level);
    pmtimer_io_write(&pm, BASE + 2, 2, PMTIMER_STS_PWRBTN);    /* PWRBTN_EN */
    assert_true(sci_level);
    pmtimer_io_write(&pm, BASE, 2, PMTIMER_STS_PWRBTN);        /* acknowledged */
    assert_false(sci_level);
    assert_int_equal(pmtimer_io_read(&pm, BASE, 2) & PMTIMER_STS_PWRBTN, 0);
    pmtimer_power_button(&pm);                                  /* enabled: at once */
    assert_true(sci_level);
}

static void test_save_load(void **state)
{
    struct pmtimer a, b;
    uint8_t buf[PMTIMER_SAVE_SIZE];

    setup(&a, 0);
    pmtimer_io_write(&a, BASE + 2, 2, PMTIMER_EN_TMR);
    pmtimer_io_write(&a, BASE + 4, 2, PMTIMER_CNT_SLP_EN | 3 << 10);
    fake_now = 5 * SEC;
    pmtimer_update(&a);
    assert_int_equal(pmtimer_save(&a, buf, sizeof(buf) - 1), 0);
    assert_int_equal(pmtimer_save(&a, buf, sizeof(buf)), sizeof(buf));
    pmtimer_init(&b, &fake_env, BASE);
    assert_int_equal(pmtimer_load(&b, buf, sizeof(buf)), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
    assert_int_equal(pmtimer_sleep_request(&b), 3);
    assert_int_equal(pmtimer_io_read(&b, BASE, 2), PMTIMER_STS_TMR);
    assert_int_equal(pmtimer_load(&b, buf, sizeof(buf) + 1), -EINVAL);
}

/* A loaded count of periods whose next change lies past 2^64 ns (load accepts up to 2^34): the
 * next event is the last representable time, not a wrapped one in the past that the glue would
 * re-arm its timer for over and over. */
static void test_next_event_far_off(void **state)
{
    struct pmtimer a, b;
    struct pmtimer_state s;
    uint8_t buf[PMTIMER_SAVE_SIZE];

    setup(&a, 0);
    pmtimer_io_write(&a, BASE + 2, 2, PMTIMER_EN_TMR);
    pmtimer_save(&a, buf, sizeof(buf));
    memcpy(&s, buf + 8, sizeof(s));
    s.periods = 7871502699ull;      /* its end, 2^64 ns and a little, would wrap to 1.65 s */
    memcpy(buf + 8, &s, sizeof(s));
    setup(&b, 2 * SEC);
    assert_int_equal(pmtimer_load(&b, buf, sizeof(buf)), 0);
    pmtimer_update(&b);
    assert_int_equal(pmtimer_next_event(&b), VDEV_NO_EVENT - 1);
    s.periods = PMTIMER_MAX_PERIODS;
    memcpy(buf + 8, &s, sizeof(s));
    assert_int_equal(pmtimer_load(&b, buf, sizeof(buf)), 0);
    assert_int_equal(pmtimer_next_event(&b), VDEV_NO_EVENT - 1);
    assert_int_equal(sci_changes, 0);
}

static void test_load_rejects(void **state)
{
#define ST(f) (8 + offsetof(struct pmtimer_state, f))
    static const struct { size_t off; uint8_t val; } bad[] = {
        { 0, 0 }, { 4, 3 },
        { ST(periods) + 5, 1 },
        { ST(sts), 0x02 }, { ST(sts) + 1, 0x40 },
        { ST(en), 0x02 }, { ST(en) + 1, 0x80 },
        { ST(cnt), 0x08 }, { ST(cnt) + 1, 0x20 },                 /* SLP_EN is never stored */
        { ST(sleep_type), 8 },
        { ST(sci), 1 },                                           /* SCI without a cause */
    };
    struct pmtimer a, b, before;
    uint8_t buf[PMTIMER_SAVE_SIZE], bad_buf[PMTIMER_SAVE_SIZE];
    size_t i;

    setup(&a, 0);
    pmtimer_save(&a, buf, sizeof(buf));
    setup(&b, 3 * SEC);
    pmtimer_io_write(&b, BASE + 2, 2, 0x0101);
    before = b;
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(bad_buf, buf, sizeof(buf));
        bad_buf[bad[i].off] = bad[i].val;
        assert_int_equal(pmtimer_load(&b, bad_buf, sizeof(bad_buf)), -EINVAL);
        assert_memory_equal(&b, &before, sizeof(b));
    }
#undef ST
}

static uint32_t rng_state = 31337;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void test_fuzz(void **state)
{
    static const unsigned int sizes[] = { 1, 2, 4, 3, 0 };
    uint8_t buf[PMTIMER_SAVE_SIZE];
    struct pmtimer pm, q;
    uint32_t last = 0, cur;
    uint64_t last_ns = 0;
    int i;

    setup(&pm, 0);
    for (i = 0; i < 200000; i++) {
        uint16_t port = BASE - 4 + rng() % 20;
        unsigned int size = sizes[rng() % ARRAY_SIZE(sizes)];

        fake_now += rng() % (rng() & 1 ? 1000 : 3 * SEC);
        if (rng() & 1)
            pmtimer_io_write(&pm, port, size, rng());
        else
            pmtimer_io_read(&pm, port, size);
        pmtimer_sleep_request(&pm);
        pmtimer_update(&pm);
        assert_true(pmtimer_next_event(&pm) > fake_now);
        assert_int_equal(sci_level, (pm.s.sts & pm.s.en) != 0);
        /* The counter moves forward by the elapsed time, modulo 2^24. */
        cur = tmr(&pm);
        assert_int_equal((cur - last) & 0xffffff,
                         (pmtimer_ticks(fake_now) - pmtimer_ticks(last_ns)) & 0xffffff);
        last = cur;
        last_ns = fake_now;
        assert_int_equal(pmtimer_save(&pm, buf, sizeof(buf)), sizeof(buf));
        assert_int_equal(pmtimer_load(&q, buf, sizeof(buf)), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frequency),
        cmocka_unit_test(test_wrap_and_tmr_sts),
        cmocka_unit_test(test_long_pause_one_status),
        cmocka_unit_test(test_reset_lowers_sci),
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_sleep_request),
        cmocka_unit_test(test_power_button),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_next_event_far_off),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests_name("vdev_pmtimer", tests, NULL, NULL);
}
