/* Unit tests for hv/vdev/pit.c: counts and OUT per mode at chosen clocks, IRQ0, latches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/pit.c"

static uint64_t fake_now;
static unsigned int irq_raised, irq_lowered;
static bool irq_level;

static uint64_t fake_now_ns(void *ctx)
{
    return fake_now;
}

/* Logs IRQ0 pulses and checks that they are well-formed (raise, then lower). */
static void fake_set_irq(void *ctx, unsigned int line, bool level)
{
    assert_int_equal(line, 0);
    assert_int_not_equal(level, irq_level);
    irq_level = level;
    if (level)
        irq_raised++;
    else
        irq_lowered++;
}

static const struct vdev_env fake_env = { fake_now_ns, fake_set_irq, NULL };

static void at_tick(uint64_t base_ns, uint64_t ticks)
{
    fake_now = base_ns + pit_ticks_to_ns(ticks);
}

static void outb(struct pit *p, uint16_t port, uint8_t v)
{
    pit_io_write(p, port, 1, v);
}

static uint8_t inb(struct pit *p, uint16_t port)
{
    return (uint8_t)pit_io_read(p, port, 1);
}

static void setup(struct pit *p, uint64_t now)
{
    fake_now = now;
    irq_raised = irq_lowered = 0;
    irq_level = false;
    pit_init(p, &fake_env);
}

/* Programs counter ch in mode, lo/hi access, with count. */
static void program(struct pit *p, unsigned int ch, unsigned int mode, uint16_t count)
{
    outb(p, 0x43, ch << 6 | 0x30 | mode << 1);
    outb(p, 0x40 + ch, count & 0xff);
    outb(p, 0x40 + ch, count >> 8);
}

static uint16_t latch_read(struct pit *p, unsigned int ch)
{
    uint16_t lo;

    outb(p, 0x43, ch << 6);
    lo = inb(p, 0x40 + ch);
    return lo | inb(p, 0x40 + ch) << 8;
}

static uint8_t status(struct pit *p, unsigned int ch)
{
    outb(p, 0x43, 0xe0 | 2u << ch);
    return inb(p, 0x40 + ch);
}

static void test_ticks_conversion(void **state)
{
    struct pit_channel_state c = { .load_ns = 0 };

    assert_int_equal(pit_ticks(&c, 1000000000ull), PIT_FREQ_HZ);
    assert_int_equal(pit_ticks(&c, 3600ull * 1000000000ull), 3600ull * PIT_FREQ_HZ);
    assert_int_equal(pit_ticks(&c, pit_ticks_to_ns(12345)), 12345);
    assert_int_equal(pit_ticks(&c, pit_ticks_to_ns(12345) - 1), 12344);
    c.load_ns = 500;
    assert_int_equal(pit_ticks(&c, 100), 0);   /* a load in the future counts as now */
}

static void test_mode0_oneshot(void **state)
{
    struct pit p;
    uint64_t t0 = 5000;

    setup(&p, 0);
    fake_now = t0;
    outb(&p, 0x43, 0x30);
    assert_int_equal(status(&p, 0) & 0xc0, 0x40);   /* OUT low, null count */
    assert_int_equal(pit_next_event(&p), VDEV_NO_EVENT);
    outb(&p, 0x40, 1000 & 0xff);
    outb(&p, 0x40, 1000 >> 8);
    assert_int_equal(pit_next_event(&p), t0 + pit_ticks_to_ns(1000));
    at_tick(t0, 100);
    assert_int_equal(latch_read(&p, 0), 900);
    assert_int_equal(status(&p, 0), 0x30);          /* OUT low, loaded, lo/hi, mode 0 */
    pit_update(&p);
    assert_int_equal(irq_raised, 0);
    at_tick(t0, 999);
    assert_int_equal(status(&p, 0) & 0x80, 0);
    pit_update(&p);
    assert_int_equal(irq_raised, 0);
    at_tick(t0, 1000);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    pit_update(&p);
    assert_int_equal(irq_raised, 1);
    assert_int_equal(irq_lowered, 1);
    assert_int_equal(pit_next_event(&p), VDEV_NO_EVENT);
    at_tick(t0, 5000);
    pit_update(&p);
    assert_int_equal(irq_raised, 1);                /* one-shot */
    at_tick(t0, 1001);
    assert_int_equal(latch_read(&p, 0), 0xffff);    /* keeps counting, OUT stays high */
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
}

static void test_mode0_first_byte_stops(void **state)
{
    struct pit p;

    setup(&p, 0);
    program(&p, 0, 0, 10);
    at_tick(0, 20);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    outb(&p, 0x40, 50);                              /* half a new count: OUT low, stopped */
    assert_int_equal(status(&p, 0) & 0xc0, 0x40);
    assert_int_equal(pit_next_event(&p), VDEV_NO_EVENT);
    outb(&p, 0x40, 0);
    assert_int_equal(pit_next_event(&p), fake_now + pit_ticks_to_ns(50));
}

static void test_mode2_periodic_and_missed(void **state)
{
    struct pit p;
    unsigned int k;

    setup(&p, 0);
    program(&p, 0, 2, 100);
    for (k = 1; k <= 5; k++) {
        assert_int_equal(pit_next_event(&p), pit_ticks_to_ns(100 * k));
        at_tick(0, 100 * k - 1);
        pit_update(&p);
        assert_int_equal(irq_raised, k - 1);
        assert_int_equal(status(&p, 0) & 0x80, 0);   /* the one low clock before reload */
        at_tick(0, 100 * k);
        pit_update(&p);
        assert_int_equal(irq_raised, k);
        assert_int_equal(status(&p, 0) & 0x80, 0x80);
    }
    at_tick(0, 550);
    assert_int_equal(latch_read(&p, 0), 50);
    /* A long pause: one tick for the whole lot, then on to the next boundary. */
    at_tick(0, 100 * 5000 + 5);
    pit_update(&p);
    assert_int_equal(irq_raised, 6);
    pit_update(&p);
    assert_int_equal(irq_raised, 6);
    assert_int_equal(pit_next_event(&p), pit_ticks_to_ns(100 * 5001));
    at_tick(0, 100 * 5001);
    pit_update(&p);
    assert_int_equal(irq_raised, 7);
    assert_int_equal(irq_lowered, 7);
}

static void test_mode3_square(void **state)
{
    struct pit p;

    setup(&p, 0);
    program(&p, 0, 3, 10);
    at_tick(0, 1);
    assert_int_equal(latch_read(&p, 0), 8);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    at_tick(0, 4);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    at_tick(0, 5);
    assert_int_equal(status(&p, 0) & 0x80, 0);
    at_tick(0, 9);
    assert_int_equal(status(&p, 0) & 0x80, 0);
    at_tick(0, 10);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    pit_update(&p);
    assert_int_equal(irq_raised, 1);
    assert_int_equal(pit_next_event(&p), pit_ticks_to_ns(20));
    /* Odd count: high for (n + 1) / 2 clocks. */
    fake_now = 0;
    program(&p, 0, 3, 11);
    at_tick(0, 5);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    at_tick(0, 6);
    assert_int_equal(status(&p, 0) & 0x80, 0);
}

static void test_mode4_strobe(void **state)
{
    struct pit p;

    setup(&p, 0);
    program(&p, 0, 4, 20);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    at_tick(0, 19);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    at_tick(0, 20);
    assert_int_equal(status(&p, 0) & 0x80, 0);
    pit_update(&p);
    assert_int_equal(irq_raised, 0);                 /* the IRQ edge is OUT going back up */
    at_tick(0, 21);
    assert_int_equal(status(&p, 0) & 0x80, 0x80);
    pit_update(&p);
    assert_int_equal(irq_raised, 1);
    assert_int_equal(pit_next_event(&p), VDEV_NO_EVENT);
}

static void test_gate_modes_1_5_2(void **state)
{
    struct pit p;

    setup(&p, 0);
    outb(&p, 0x61, 0x01);
    program(&p, 2, 1, 50);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0);        /* mode 1: OUT low while counting */
    at_tick(0, 30);
    assert_int_equal(latch_read(&p, 2), 20);
    outb(&p, 0x61, 0x00);
    outb(&p, 0x61, 0x01);                             /* retrigger */
    uint64_t t1 = fake_now;
    at_tick(t1, 10);
    assert_int_equal(latch_read(&p, 2), 40);
    at_tick(t1, 50);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
    /* Mode 5: strobe low at terminal count, restartable by the gate. */
    fake_now = 0;
    program(&p, 2, 5, 8);
    at_tick(0, 8);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0);
    at_tick(0, 9);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
    /* Mode 2 with the gate low holds OUT high. */
    fake_now = 0;
    program(&p, 2, 2, 8);
    at_tick(0, 7);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0);
    outb(&p, 0x61, 0x00);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
    assert_int_equal(irq_raised, 0);                  /* counter 2 has no IRQ */
}

static void test_modes_6_7_alias(void **state)
{
    struct pit p;

    setup(&p, 0);
    outb(&p, 0x43, 0x3c);                             /* mode 6 */
    outb(&p, 0x40, 100);
    outb(&p, 0x40, 0);
    assert_int_equal(status(&p, 0) & 0x3f, 0x3c);
    at_tick(0, 99);
    assert_int_equal(status(&p, 0) & 0x80, 0);        /* mode 2 behaviour */
    outb(&p, 0x43, 0x3e);                             /* mode 7 */
    outb(&p, 0x40, 10);
    outb(&p, 0x40, 0);
    uint64_t t1 = fake_now;
    at_tick(t1, 5);
    assert_int_equal(status(&p, 0) & 0x80, 0);        /* mode 3 behaviour */
}

static void test_latch(void **state)
{
    struct pit p;

    setup(&p, 0);
    program(&p, 0, 2, 1000);
    at_tick(0, 100);
    outb(&p, 0x43, 0x00);
    at_tick(0, 300);
    outb(&p, 0x43, 0x00);                             /* ignored: the first latch stays */
    assert_int_equal(inb(&p, 0x40), 900 & 0xff);
    assert_int_equal(inb(&p, 0x40), 900 >> 8);
    assert_int_equal(latch_read(&p, 0), 700);
    /* Live reads alternate low, high. */
    assert_int_equal(inb(&p, 0x40), 700 & 0xff);
    at_tick(0, 400);
    assert_int_equal(inb(&p, 0x40), 600 >> 8);
    /* A latch between the bytes of a live read is read low byte first; the live read then
     * carries on with its high byte. */
    assert_int_equal(inb(&p, 0x40), 600 & 0xff);
    outb(&p, 0x43, 0x00);
    at_tick(0, 500);
    assert_int_equal(inb(&p, 0x40), 600 & 0xff);
    assert_int_equal(inb(&p, 0x40), 600 >> 8);
    assert_int_equal(inb(&p, 0x40), 500 >> 8);
}

static void test_latch_byte_modes(void **state)
{
    struct pit p;

    setup(&p, 0);
    outb(&p, 0x43, 0x14);                             /* lo only, mode 2 */
    outb(&p, 0x40, 200);
    at_tick(0, 50);
    outb(&p, 0x43, 0x00);
    assert_int_equal(inb(&p, 0x40), 150);
    assert_int_equal(inb(&p, 0x40), 150);             /* latch gone, live again */
    outb(&p, 0x43, 0x24);                             /* hi only, mode 2 */
    outb(&p, 0x40, 0x12);
    uint64_t t1 = fake_now;
    at_tick(t1, 0x100);
    outb(&p, 0x43, 0x00);
    assert_int_equal(inb(&p, 0x40), 0x11);
    assert_int_equal(pit_next_event(&p), t1 + pit_ticks_to_ns(0x1200));
}

static void test_read_back(void **state)
{
    struct pit p;

    setup(&p, 0);
    outb(&p, 0x43, 0xb5);                             /* counter 2, lo/hi, mode 2, BCD */
    assert_int_equal(status(&p, 2), 0xf5);            /* OUT high, null count, BCD shown */
    outb(&p, 0x42, 0x00);
    outb(&p, 0x42, 0x10);
    assert_int_equal(status(&p, 2) & 0x40, 0x40);     /* not yet clocked into the counter */
    at_tick(0, 1);
    assert_int_equal(status(&p, 2), 0xb5);
    /* Count and status together: status first, then the count low, high. */
    at_tick(0, 0x10);
    outb(&p, 0x43, 0xc8);
    at_tick(0, 0x20);
    outb(&p, 0x43, 0xc8);                             /* both already latched: ignored */
    assert_int_equal(inb(&p, 0x42), 0xb5);
    assert_int_equal(inb(&p, 0x42), 0xf0);
    assert_int_equal(inb(&p, 0x42), 0x0f);
    /* Several counters in one command; count only. */
    program(&p, 0, 2, 0x300);
    program(&p, 1, 2, 0x400);
    uint64_t t1 = fake_now;
    at_tick(t1, 0x10);
    outb(&p, 0x43, 0xd6);
    at_tick(t1, 0x20);
    assert_int_equal(inb(&p, 0x40), 0xf0);
    assert_int_equal(inb(&p, 0x40), 0x02);
    assert_int_equal(inb(&p, 0x41), 0xf0);
    assert_int_equal(inb(&p, 0x41), 0x03);
    assert_int_equal(inb(&p, 0x40), 0xe0);            /* live again */
}

static void test_port61(void **state)
{
    struct pit p;

    setup(&p, 0);
    outb(&p, 0x61, 0xff);
    fake_now = 14999;
    assert_int_equal(inb(&p, 0x61) & 0x1f, 0x0f);
    fake_now = 15000;
    assert_int_equal(inb(&p, 0x61) & 0x1f, 0x1f);
    fake_now = 30000;
    assert_int_equal(inb(&p, 0x61) & 0x10, 0);
    /* Linux's calibration loop: gate on, speaker off, mode 0, wait for OUT2. */
    outb(&p, 0x61, (inb(&p, 0x61) & ~0x02) | 0x01);
    assert_int_equal(inb(&p, 0x61) & 0x0f, 0x0d);
    outb(&p, 0x43, 0xb0);
    outb(&p, 0x42, 0xff);
    outb(&p, 0x42, 0xff);
    uint64_t t1 = fake_now;
    at_tick(t1, 0xfffe);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0);
    at_tick(t1, 0xffff);
    assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
    assert_int_equal(inb(&p, 0x61) & 0xc0, 0);
}

static void test_sizes_and_ports(void **state)
{
    struct pit p;

    setup(&p, 0);
    assert_int_equal(pit_io_read(&p, 0x40, 2), 0xffff);
    assert_int_equal(pit_io_read(&p, 0x40, 4), 0xffffffffu);
    assert_int_equal(inb(&p, 0x43), 0xff);
    assert_int_equal(inb(&p, 0x44), 0xff);
    pit_io_write(&p, 0x43, 2, 0x34);
    pit_io_write(&p, 0x43, 4, 0x34);
    assert_int_equal(p.s.ch[0].mode, 3);
    outb(&p, 0x60, 0x34);
    /* After reset counter 0 runs at 18.2 Hz. */
    assert_int_equal(pit_next_event(&p), pit_ticks_to_ns(0x10000));
}

static void test_save_load(void **state)
{
    struct pit a, b;
    uint8_t buf[PIT_SAVE_SIZE];

    setup(&a, 0);
    program(&a, 0, 2, 1000);
    outb(&a, 0x61, 0x03);
    at_tick(0, 250);
    outb(&a, 0x43, 0x00);
    outb(&a, 0x43, 0xe4);
    assert_int_equal(pit_save(&a, buf, sizeof(buf) - 1), 0);
    assert_int_equal(pit_save(&a, buf, sizeof(buf)), sizeof(buf));
    pit_init(&b, &fake_env);
    assert_int_equal(pit_load(&b, buf, sizeof(buf)), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
    assert_int_equal(inb(&b, 0x41) & 0x3f, 0x36);     /* latched status of counter 1 */
    assert_int_equal(latch_read(&b, 0), 750);
    assert_int_equal(pit_next_event(&b), pit_ticks_to_ns(1000));
    assert_int_equal(pit_load(&b, buf, sizeof(buf) + 1), -EINVAL);
}

static void test_load_rejects(void **state)
{
#define CH0(f) (8 + offsetof(struct pit_channel_state, f))
#define CH1(f) (8 + sizeof(struct pit_channel_state) + offsetof(struct pit_channel_state, f))
    static const struct { size_t off; uint8_t val; } bad[] = {
        { 0, 0 }, { 4, 9 },
        { CH0(reload) + 1, 0 }, { CH0(reload) + 2, 2 },
        { CH0(mode), 8 }, { CH0(rw), 0 }, { CH0(rw), 4 }, { CH0(bcd), 2 },
        { CH0(latch_state), 4 }, { CH0(flags), 0x20 }, { CH0(pad) + 2, 1 },
        { CH0(irq_ticks) + 7, 0x01 },                    /* beyond PIT_MAX_IRQ_TICKS */
        { CH1(irq_ticks), 0x10 },                        /* only counter 0 has an IRQ */
        { 8 + offsetof(struct pit_state, port61), 0x10 },
        { 8 + offsetof(struct pit_state, pad) + 6, 1 },
    };
    struct pit a, b, before;
    uint8_t buf[PIT_SAVE_SIZE], bad_buf[PIT_SAVE_SIZE];
    size_t i;

    setup(&a, 0);
    program(&a, 0, 2, 0x0100);        /* one byte from a reload of 0 or of 0x20100 */
    pit_save(&a, buf, sizeof(buf));
    setup(&b, 77);
    program(&b, 1, 4, 99);
    before = b;
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(bad_buf, buf, sizeof(buf));
        bad_buf[bad[i].off] = bad[i].val;
        assert_int_equal(pit_load(&b, bad_buf, sizeof(bad_buf)), -EINVAL);
        assert_memory_equal(&b, &before, sizeof(b));
    }
#undef CH0
#undef CH1
}

static uint32_t rng_state = 4242;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void test_fuzz(void **state)
{
    static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x43, 0x61, 0x44, 0x60 };
    static const unsigned int sizes[] = { 1, 1, 1, 1, 2, 4, 0 };
    uint8_t buf[PIT_SAVE_SIZE];
    struct pit p, q;
    unsigned int before;
    uint64_t ev;
    int i;

    setup(&p, 0);
    for (i = 0; i < 200000; i++) {
        uint16_t port = ports[rng() % ARRAY_SIZE(ports)];
        unsigned int size = sizes[rng() % ARRAY_SIZE(sizes)];

        fake_now += rng() % (rng() & 1 ? 2000 : 20000000);
        if (rng() & 1)
            pit_io_write(&p, port, size, rng());
        else
            pit_io_read(&p, port, size);
        before = irq_raised;
        ev = pit_next_event(&p);
        pit_update(&p);
        assert_true(irq_raised - before <= 1);
        assert_int_equal(irq_raised != before, ev <= fake_now);
        assert_true(pit_next_event(&p) > fake_now);
        assert_int_equal(pit_save(&p, buf, sizeof(buf)), sizeof(buf));
        assert_int_equal(pit_load(&q, buf, sizeof(buf)), 0);
    }
    assert_int_equal(irq_raised, irq_lowered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks_conversion),
        cmocka_unit_test(test_mode0_oneshot),
        cmocka_unit_test(test_mode0_first_byte_stops),
        cmocka_unit_test(test_mode2_periodic_and_missed),
        cmocka_unit_test(test_mode3_square),
        cmocka_unit_test(test_mode4_strobe),
        cmocka_unit_test(test_gate_modes_1_5_2),
        cmocka_unit_test(test_modes_6_7_alias),
        cmocka_unit_test(test_latch),
        cmocka_unit_test(test_latch_byte_modes),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_port61),
        cmocka_unit_test(test_sizes_and_ports),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests_name("vdev_pit", tests, NULL, NULL);
}
