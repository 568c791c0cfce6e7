/* Unit tests for hv/vdev/rtc.c: formats, calendar roll-overs, UIP, SET, interrupts, CMOS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/rtc.c"

#define SEC 1000000000ull

static uint64_t fake_now;
static unsigned int irq_raised, irq_lowered;
static bool irq_level;

static uint64_t fake_now_ns(void *ctx)
{
    return fake_now;
}

static void fake_set_irq(void *ctx, unsigned int line, bool level)
{
    assert_int_equal(line, 8);
    assert_int_not_equal(level, irq_level);
    irq_level = level;
    if (level)
        irq_raised++;
    else
        irq_lowered++;
}

static const struct vdev_env fake_env = { fake_now_ns, fake_set_irq, NULL };

static uint8_t cmos_read(struct rtc *r, uint8_t idx)
{
    rtc_io_write(r, 0x70, 1, idx);
    return (uint8_t)rtc_io_read(r, 0x71, 1);
}

static void cmos_write(struct rtc *r, uint8_t idx, uint8_t val)
{
    rtc_io_write(r, 0x70, 1, idx);
    rtc_io_write(r, 0x71, 1, val);
}

static void setup(struct rtc *r, uint64_t now, uint64_t unix_secs)
{
    fake_now = now;
    irq_raised = irq_lowered = 0;
    irq_level = false;
    rtc_init(r, &fake_env);
    rtc_set_time(r, unix_secs);
}

/* Checks the seven time registers: seconds, minutes, hours, weekday, day, month, year. */
static void expect_time(struct rtc *r, const uint8_t want[7])
{
    static const uint8_t idx[7] = { 0, 2, 4, 6, 7, 8, 9 };
    unsigned int i;

    for (i = 0; i < 7; i++)
        assert_int_equal(cmos_read(r, idx[i]), want[i]);
}

static void test_read_bcd_binary(void **state)
{
    static const uint8_t bcd[7] = { 0x30, 0x45, 0x13, 0x06, 0x14, 0x07, 0x23 };
    static const uint8_t bin[7] = { 30, 45, 13, 6, 14, 7, 23 };
    struct rtc r;

    setup(&r, 12345, 1689342330);       /* Friday 2023-07-14 13:45:30 */
    expect_time(&r, bcd);
    cmos_write(&r, RTC_REG_B, 0x06);
    expect_time(&r, bin);
    fake_now += 90 * SEC;
    assert_int_equal(cmos_read(&r, 0), 0);
    assert_int_equal(cmos_read(&r, 2), 47);
}

static void test_12_hour(void **state)
{
    struct rtc r;

    setup(&r, 0, 1689342330);
    cmos_write(&r, RTC_REG_B, 0x00);   /* BCD, 12-hour */
    assert_int_equal(cmos_read(&r, 4), 0x81);
    cmos_write(&r, RTC_REG_B, 0x04);   /* binary, 12-hour */
    assert_int_equal(cmos_read(&r, 4), 0x81);
    rtc_set_time(&r, 1704067200);      /* midnight */
    assert_int_equal(cmos_read(&r, 4), 12);
    rtc_set_time(&r, 1704110400);      /* noon */
    assert_int_equal(cmos_read(&r, 4), 0x8c);
    cmos_write(&r, RTC_REG_B, 0x00);
    assert_int_equal(cmos_read(&r, 4), 0x92);
    rtc_set_time(&r, 1704110400 - 3600);
    assert_int_equal(cmos_read(&r, 4), 0x11);
}

static void check_rollover(uint64_t t, const uint8_t before[7], const uint8_t after[7])
{
    struct rtc r;

    setup(&r, 0, t);
    expect_time(&r, before);
    fake_now = SEC - 1;
    expect_time(&r, before);
    fake_now = SEC;
    expect_time(&r, after);
}

static void test_rollovers(void **state)
{
    static const uint8_t jan31[7] = { 0x59, 0x59, 0x23, 0x03, 0x31, 0x01, 0x23 };
    static const uint8_t feb1[7] = { 0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x23 };
    static const uint8_t feb28_24[7] = { 0x59, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24 };
    static const uint8_t feb29_24[7] = { 0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24 };
    static const uint8_t feb28_23[7] = { 0x59, 0x59, 0x23, 0x03, 0x28, 0x02, 0x23 };
    static const uint8_t mar1_23[7] = { 0x00, 0x00, 0x00, 0x04, 0x01, 0x03, 0x23 };
    static const uint8_t dec31[7] = { 0x59, 0x59, 0x23, 0x01, 0x31, 0x12, 0x23 };
    static const uint8_t jan1[7] = { 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x24 };
    static const uint8_t y1999[7] = { 0x59, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99 };
    static const uint8_t y2000[7] = { 0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00 };

    check_rollover(1675209599, jan31, feb1);
    check_rollover(1709164799, feb28_24, feb29_24);
    check_rollover(1677628799, feb28_23, mar1_23);
    check_rollover(1704067199, dec31, jan1);
    check_rollover(946684799, y1999, y2000);
}

static void test_leap_day_to_march(void **state)
{
    static const uint8_t mar1_24[7] = { 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24 };
    struct rtc r;

    setup(&r, 0, 1709164799);
    fake_now = 86401 * SEC;
    expect_time(&r, mar1_24);
}

static void test_uip_window(void **state)
{
    struct rtc r;
    uint64_t t0 = 777;

    setup(&r, t0, 1689342330);
    fake_now = t0 + SEC - RTC_UIP_NS - 1;
    assert_int_equal(cmos_read(&r, RTC_REG_A), 0x26);
    fake_now = t0 + SEC - RTC_UIP_NS;
    assert_int_equal(cmos_read(&r, RTC_REG_A), 0xa6);
    assert_int_equal(cmos_read(&r, 0), 0x30);           /* not yet updated */
    fake_now = t0 + SEC - 1;
    assert_int_equal(cmos_read(&r, RTC_REG_A), 0xa6);
    fake_now = t0 + SEC;
    assert_int_equal(cmos_read(&r, RTC_REG_A), 0x26);
    assert_int_equal(cmos_read(&r, 0), 0x31);
    fake_now = t0 + 2 * SEC - 1000;
    cmos_write(&r, RTC_REG_B, 0x82);
    assert_int_equal(cmos_read(&r, RTC_REG_A), 0x26);   /* no updates while SET */
    cmos_write(&r, RTC_REG_A, 0xa6);                     /* UIP is read-only */
    cmos_write(&r, RTC_REG_B, 0x02);
    assert_int_equal(r.s.cmos[RTC_REG_A], 0x26);
}

static void test_set_mode(void **state)
{
    static const uint8_t set[7] = { 0x58, 0x59, 0x23, 0x01, 0x31, 0x12, 0x69 };
    static const uint8_t later[7] = { 0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x70 };
    struct rtc r;

    setup(&r, 0, 1689342330);
    cmos_write(&r, RTC_REG_B, 0x92);                    /* SET with UIE: UIE is dropped */
    assert_int_equal(cmos_read(&r, RTC_REG_B), 0x82);
    cmos_write(&r, 0, 0x58);
    cmos_write(&r, 2, 0x59);
    cmos_write(&r, 4, 0x23);
    cmos_write(&r, 6, 0x01);
    cmos_write(&r, 7, 0x31);
    cmos_write(&r, 8, 0x12);
    cmos_write(&r, 9, 0x69);
    fake_now = 10 * SEC;
    expect_time(&r, set);                               /* frozen */
    cmos_write(&r, RTC_REG_B, 0x02);
    fake_now = 12 * SEC;
    /* 2069 is the last year of the window; the year byte wraps like the chip's. */
    expect_time(&r, later);
    assert_int_equal(r.s.base_secs, 3155759998ull);
}

static void test_write_time_running(void **state)
{
    struct rtc r;

    setup(&r, 0, 1689342330);
    fake_now = SEC / 2;
    cmos_write(&r, 2, 0x10);                            /* minutes */
    assert_int_equal(cmos_read(&r, 2), 0x10);
    assert_int_equal(cmos_read(&r, 0), 0x30);
    fake_now = SEC;                                     /* the update phase is kept */
    assert_int_equal(cmos_read(&r, 0), 0x31);
    assert_int_equal(cmos_read(&r, 4), 0x13);
}

static void test_update_interrupt_and_c(void **state)
{
    struct rtc r;

    setup(&r, 500, 1689342330);
    cmos_write(&r, RTC_REG_A, 0x20);       /* no periodic flag in the way */
    assert_int_equal(rtc_next_event(&r), VDEV_NO_EVENT);
    cmos_write(&r, RTC_REG_B, 0x12);
    assert_int_equal(rtc_next_event(&r), 500 + SEC);
    fake_now = 500 + SEC - 1;
    rtc_update(&r);
    assert_int_equal(irq_raised, 0);
    fake_now = 500 + SEC;
    rtc_update(&r);
    assert_int_equal(irq_raised, 1);
    assert_int_equal(irq_lowered, 1);
    assert_int_equal(rtc_next_event(&r), VDEV_NO_EVENT);   /* until C is read */
    fake_now = 500 + 3 * SEC;
    rtc_update(&r);
    assert_int_equal(irq_raised, 1);
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x90);
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x00);      /* cleared by the read */
    assert_int_equal(rtc_next_event(&r), 500 + 4 * SEC);
    /* Flags without the enable: set, but no IRQF and no interrupt. */
    cmos_write(&r, RTC_REG_B, 0x02);
    fake_now = 500 + 5 * SEC;
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x10);
    /* Enabling with the flag already up raises IRQF at once. */
    fake_now = 500 + 6 * SEC;
    rtc_update(&r);
    cmos_write(&r, RTC_REG_B, 0x12);
    assert_int_equal(irq_raised, 2);
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x90);
    cmos_write(&r, RTC_REG_C, 0xff);                       /* read-only */
    cmos_write(&r, RTC_REG_D, 0x00);
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x00);
    assert_int_equal(cmos_read(&r, RTC_REG_D), 0x80);
}

static void test_periodic(void **state)
{
    struct rtc r;

    setup(&r, 0, 1689342330);
    cmos_write(&r, RTC_REG_B, 0x42);                       /* rate 6: 1024 Hz */
    assert_int_equal(rtc_next_event(&r), 976563);
    fake_now = 976562;
    rtc_update(&r);
    assert_int_equal(irq_raised, 0);
    fake_now = 976563;
    rtc_update(&r);
    assert_int_equal(irq_raised, 1);
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0xc0);
    assert_int_equal(rtc_next_event(&r), 1953125);
    cmos_write(&r, RTC_REG_A, 0x2f);                       /* rate 15: 2 Hz */
    assert_int_equal(rtc_next_event(&r), SEC / 2);
    cmos_write(&r, RTC_REG_A, 0x21);                       /* rate 1: 256 Hz like rate 8 */
    assert_int_equal(rtc_next_event(&r), 3906250);
    cmos_write(&r, RTC_REG_A, 0x20);                       /* rate 0: off */
    assert_int_equal(rtc_next_event(&r), VDEV_NO_EVENT);
    fake_now = 10 * SEC;
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x10);     /* only the update flag */
}

static void test_alarm(void **state)
{
    struct rtc r;

    setup(&r, 0, 1689342330);                              /* 13:45:30 */
    cmos_write(&r, RTC_REG_A, 0x20);
    cmos_write(&r, 1, 0x00);
    cmos_write(&r, 3, 0x46);
    cmos_write(&r, 5, 0xc5);                               /* any hour */
    cmos_write(&r, RTC_REG_B, 0x22);
    assert_int_equal(rtc_next_event(&r), 30 * SEC);
    fake_now = 30 * SEC - 1;
    rtc_update(&r);
    assert_int_equal(irq_raised, 0);
    fake_now = 30 * SEC;
    rtc_update(&r);
    assert_int_equal(irq_raised, 1);
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0xa0 | 0x10);
    /* The next match with any hour: 14:46:00. */
    assert_int_equal(rtc_next_event(&r), (30 + 3600) * SEC);
    /* Every second: all three don't-care. */
    cmos_write(&r, 3, 0xff);
    cmos_write(&r, 1, 0xc0);
    assert_int_equal(rtc_next_event(&r), 31 * SEC);
    /* Exact hour in 12-hour BCD: 1 PM is 0x81. */
    cmos_write(&r, RTC_REG_B, 0x20);
    cmos_write(&r, 5, 0x81);
    cmos_write(&r, 3, 0x59);
    cmos_write(&r, 1, 0x59);
    assert_int_equal(rtc_next_event(&r), (30 + 13 * 60 + 59) * SEC);
    /* A value no time can have never fires. */
    cmos_write(&r, 1, 0x7a);
    assert_int_equal(rtc_next_event(&r), VDEV_NO_EVENT);
}

static void test_alarm_polled_and_late(void **state)
{
    struct rtc r;

    setup(&r, 0, 1689342330);
    cmos_write(&r, RTC_REG_A, 0x20);
    cmos_write(&r, 1, 0x35);
    cmos_write(&r, 3, 0x45);
    cmos_write(&r, 5, 0x13);
    fake_now = 3 * SEC;
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x10);      /* 13:45:33: not yet */
    fake_now = 10 * SEC;
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x30);      /* passed in between */
    assert_int_equal(irq_raised, 0);
    fake_now = 3 * 86400 * SEC;
    assert_int_equal(cmos_read(&r, RTC_REG_C), 0x30);
}

static void test_cmos_and_index(void **state)
{
    struct rtc r;
    unsigned int i;

    setup(&r, 0, 0);
    for (i = 0x0e; i < 0x80; i++)
        cmos_write(&r, i, i ^ 0x5a);
    for (i = 0x0e; i < 0x80; i++)
        assert_int_equal(cmos_read(&r, i), i ^ 0x5a);
    rtc_io_write(&r, 0x70, 1, 0x8f);
    assert_int_equal(r.s.nmi_mask, 1);
    assert_int_equal(r.s.index, 0x0f);
    assert_int_equal(rtc_io_read(&r, 0x71, 1), 0x0f ^ 0x5a);
    assert_int_equal(rtc_io_read(&r, 0x70, 1), 0xff);
    rtc_io_write(&r, 0x70, 1, 0x0f);
    assert_int_equal(r.s.nmi_mask, 0);
    assert_int_equal(rtc_io_read(&r, 0x71, 2), 0xffff);
    assert_int_equal(rtc_io_read(&r, 0x71, 4), 0xffffffffu);
    rtc_io_write(&r, 0x71, 2, 0);
    rtc_io_write(&r, 0x70, 4, 0x20);
    assert_int_equal(rtc_io_read(&r, 0x71, 1), 0x0f ^ 0x5a);
    assert_int_equal(rtc_io_read(&r, 0x72, 1), 0xff);
    /* 1970-01-01 was a Thursday. */
    assert_int_equal(cmos_read(&r, 6), 5);
    assert_int_equal(cmos_read(&r, 9), 0x70);
}

static void test_save_load(void **state)
{
    struct rtc a, b;
    uint8_t buf[RTC_SAVE_SIZE];

    setup(&a, 0, 1689342330);
    cmos_write(&a, 0x40, 0x99);
    cmos_write(&a, RTC_REG_B, 0x52);
    fake_now = 2 * SEC;
    rtc_update(&a);
    assert_int_equal(rtc_save(&a, buf, sizeof(buf) - 1), 0);
    assert_int_equal(rtc_save(&a, buf, sizeof(buf)), sizeof(buf));
    rtc_init(&b, &fake_env);
    assert_int_equal(rtc_load(&b, buf, sizeof(buf)), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
    assert_int_equal(cmos_read(&b, 0x40), 0x99);
    assert_int_equal(cmos_read(&b, 0), 0x32);
    assert_int_equal(cmos_read(&b, RTC_REG_C) & 0xd0, 0xd0);
    /* A stream saved in SET mode keeps the written time bytes. */
    cmos_write(&a, RTC_REG_B, 0x82);
    cmos_write(&a, 0, 0x11);
    rtc_save(&a, buf, sizeof(buf));
    assert_int_equal(rtc_load(&b, buf, sizeof(buf)), 0);
    assert_int_equal(cmos_read(&b, 0), 0x11);
    assert_int_equal(rtc_load(&b, buf, 10), -EINVAL);
}

static void test_load_rejects(void **state)
{
#define ST(f) (8 + offsetof(struct rtc_state, f))
    static const struct { size_t off; uint8_t val; } bad[] = {
        { 0, 0 }, { 4, 7 },
        { ST(base_secs) + 5, 0x01 },                        /* past 9999 */
        { ST(index), 0x80 }, { ST(nmi_mask), 2 }, { ST(pad) + 5, 1 },
        { ST(cmos) + RTC_REG_A, 0xa6 },                     /* UIP is never stored */
        { ST(cmos) + RTC_REG_B, 0x92 },                     /* SET with UIE */
        { ST(cmos) + RTC_REG_C, 0x01 },
        { ST(cmos) + RTC_REG_C, 0x40 },                     /* PF with PIE but no IRQF */
        { ST(cmos) + RTC_REG_D, 0x00 },
        { ST(cmos) + 0, 0x12 },                             /* a time byte outside SET */
        { ST(cmos) + 9, 0x12 },
    };
    struct rtc a, b, before;
    uint8_t buf[RTC_SAVE_SIZE], bad_buf[RTC_SAVE_SIZE];
    size_t i;

    setup(&a, 0, 1689342330);
    cmos_write(&a, RTC_REG_B, 0x42);
    rtc_save(&a, buf, sizeof(buf));
    setup(&b, 5, 1000);
    before = b;
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(bad_buf, buf, sizeof(buf));
        bad_buf[bad[i].off] = bad[i].val;
        assert_int_equal(rtc_load(&b, bad_buf, sizeof(bad_buf)), -EINVAL);
        assert_memory_equal(&b, &before, sizeof(b));
    }
#undef ST
}

/* A loaded state whose times lie at the end of 64-bit nanoseconds: each kind of event is then
 * reported at the last representable time, not at a wrapped one in the past that the glue
 * would re-arm its timer for over and over (found by fuzz_vdev). */
static void test_next_event_far_off(void **state)
{
    static const uint8_t enables[3] = { RTC_B_PIE, RTC_B_UIE, RTC_B_AIE };
    struct rtc a, b;
    struct rtc_state s;
    uint8_t buf[RTC_SAVE_SIZE];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(enables); i++) {
        setup(&a, 2 * SEC, 1689342330);
        cmos_write(&a, RTC_REG_B, RTC_B_24H | enables[i]);
        rtc_save(&a, buf, sizeof(buf));
        memcpy(&s, buf + 8, sizeof(s));
        s.base_ns = s.last_ns = UINT64_MAX - 5;
        memcpy(buf + 8, &s, sizeof(s));
        setup(&b, 2 * SEC, 0);
        assert_int_equal(rtc_load(&b, buf, sizeof(buf)), 0);
        rtc_update(&b);
        assert_int_equal(rtc_next_event(&b), VDEV_NO_EVENT - 1);
        assert_int_equal(irq_raised, 0);
    }
}

static uint32_t rng_state = 99;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void test_fuzz(void **state)
{
    static const unsigned int sizes[] = { 1, 1, 1, 1, 2, 4, 8 };
    uint8_t buf[RTC_SAVE_SIZE];
    struct rtc r, q;
    unsigned int before;
    uint64_t ev;
    int i;

    setup(&r, 0, 1689342330);
    for (i = 0; i < 200000; i++) {
        uint16_t port = 0x70 + rng() % 3;
        unsigned int size = sizes[rng() % ARRAY_SIZE(sizes)];

        fake_now += rng() % (rng() & 1 ? 100000 : 3 * SEC);
        if (rng() & 1)
            rtc_io_write(&r, port, size, port == 0x70 ? rng() % 0x10 : rng());
        else
            rtc_io_read(&r, port, size);
        if (rng() % 1000 == 0)
            rtc_set_time(&r, (uint64_t)rng() * 300);
        before = irq_raised;
        ev = rtc_next_event(&r);
        rtc_update(&r);
        assert_true(irq_raised - before <= 1);
        if (ev <= fake_now)
            assert_int_equal(irq_raised - before, 1);
        assert_true(rtc_next_event(&r) > fake_now);
        assert_int_equal(rtc_save(&r, buf, sizeof(buf)), sizeof(buf));
        assert_int_equal(rtc_load(&q, buf, sizeof(buf)), 0);
    }
    assert_int_equal(irq_raised, irq_lowered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_bcd_binary),
        cmocka_unit_test(test_12_hour),
        cmocka_unit_test(test_rollovers),
        cmocka_unit_test(test_leap_day_to_march),
        cmocka_unit_test(test_uip_window),
        cmocka_unit_test(test_set_mode),
        cmocka_unit_test(test_write_time_running),
        cmocka_unit_test(test_update_interrupt_and_c),
        cmocka_unit_test(test_periodic),
        cmocka_unit_test(test_alarm),
        cmocka_unit_test(test_alarm_polled_and_late),
        cmocka_unit_test(test_cmos_and_index),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_next_event_far_off),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests_name("vdev_rtc", tests, NULL, NULL);
}
