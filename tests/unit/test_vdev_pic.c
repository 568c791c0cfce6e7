/* Unit tests for hv/vdev/pic.c: the 8259A pair as OSes program it, then a random run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/pic.c"

static uint64_t fake_now;

static uint64_t fake_now_ns(void *ctx)
{
    return fake_now;
}

static void fake_set_irq(void *ctx, unsigned int line, bool level)
{
    fail_msg("the PIC drives no interrupt line");
}

static const struct vdev_env fake_env = { fake_now_ns, fake_set_irq, NULL };

static void outb(struct pic *p, uint16_t port, uint8_t v)
{
    pic_io_write(p, port, 1, v);
}

static uint8_t inb(struct pic *p, uint16_t port)
{
    return (uint8_t)pic_io_read(p, port, 1);
}

/* The sequence Linux and SeaBIOS use: vectors 0x20 and 0x28, slave on IR2, 8086 mode. */
static void pic_setup(struct pic *p, uint8_t icw4)
{
    pic_init(p, &fake_env);
    outb(p, 0x20, 0x11);
    outb(p, 0x21, 0x20);
    outb(p, 0x21, 0x04);
    outb(p, 0x21, icw4);
    outb(p, 0xa0, 0x11);
    outb(p, 0xa1, 0x28);
    outb(p, 0xa1, 0x02);
    outb(p, 0xa1, icw4);
    outb(p, 0x21, 0x00);
    outb(p, 0xa1, 0x00);
}

static void pulse(struct pic *p, unsigned int irq)
{
    pic_set_irq(p, irq, true);
    pic_set_irq(p, irq, false);
}

static uint8_t read_isr(struct pic *p, uint16_t cmd)
{
    outb(p, cmd, 0x0b);
    return inb(p, cmd);
}

static uint8_t read_irr(struct pic *p, uint16_t cmd)
{
    outb(p, cmd, 0x0a);
    return inb(p, cmd);
}

static void test_init_and_ack(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    assert_false(pic_intr(&p));
    assert_int_equal(pic_pending_vector(&p), -1);
    pulse(&p, 1);
    assert_true(pic_intr(&p));
    assert_int_equal(read_irr(&p, 0x20), 0x02);
    assert_int_equal(pic_pending_vector(&p), 0x21);
    assert_int_equal(pic_acknowledge(&p), 0x21);
    assert_false(pic_intr(&p));
    assert_int_equal(read_isr(&p, 0x20), 0x02);
    assert_int_equal(read_irr(&p, 0x20), 0x00);
    outb(&p, 0x20, 0x20);
    assert_int_equal(read_isr(&p, 0x20), 0x00);
    assert_true(p.s.chip[0].flags & PIC_F_8086);
}

static void test_icw_sequence_variants(void **state)
{
    struct pic p;

    pic_init(&p, &fake_env);
    /* Single mode without ICW4: ICW2 ends the sequence, the next data write is the mask. */
    outb(&p, 0x20, 0x12);
    outb(&p, 0x21, 0x47);
    assert_int_equal(p.s.chip[0].base, 0x40);
    assert_int_equal(p.s.chip[0].init_step, PIC_READY);
    outb(&p, 0x21, 0xfe);
    assert_int_equal(inb(&p, 0x21), 0xfe);
    /* Cascade without ICW4: ICW3 ends it. ICW1 clears the mask. */
    outb(&p, 0x20, 0x10);
    assert_int_equal(inb(&p, 0x21), 0x00);
    outb(&p, 0x21, 0x08);
    outb(&p, 0x21, 0x04);
    assert_int_equal(p.s.chip[0].icw3, 0x04);
    outb(&p, 0x21, 0x55);
    assert_int_equal(inb(&p, 0x21), 0x55);
    assert_false(p.s.chip[0].flags & PIC_F_8086);
}

static void test_priority_and_nesting(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    pulse(&p, 3);
    pulse(&p, 5);
    assert_int_equal(pic_acknowledge(&p), 0x23);
    /* IRQ5 has lower priority than the in-service IRQ3: no INTR. */
    assert_false(pic_intr(&p));
    pulse(&p, 0);
    assert_int_equal(pic_acknowledge(&p), 0x20);
    assert_int_equal(read_isr(&p, 0x20), 0x09);
    outb(&p, 0x20, 0x20);               /* non-specific EOI ends the highest: IRQ0 */
    assert_int_equal(read_isr(&p, 0x20), 0x08);
    assert_false(pic_intr(&p));
    outb(&p, 0x20, 0x20);
    assert_int_equal(pic_acknowledge(&p), 0x25);
}

static void test_mask(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    outb(&p, 0x21, 0x10);
    pulse(&p, 4);
    assert_false(pic_intr(&p));
    assert_int_equal(read_irr(&p, 0x20), 0x10);
    outb(&p, 0x21, 0x00);
    assert_int_equal(pic_acknowledge(&p), 0x24);
}

static void test_specific_eoi(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    pulse(&p, 3);
    assert_int_equal(pic_acknowledge(&p), 0x23);
    pulse(&p, 1);
    assert_int_equal(pic_acknowledge(&p), 0x21);
    outb(&p, 0x20, 0x63);               /* specific EOI for IR3, not the highest */
    assert_int_equal(read_isr(&p, 0x20), 0x02);
    outb(&p, 0x20, 0x61);
    assert_int_equal(read_isr(&p, 0x20), 0x00);
}

static void test_rotation(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    pulse(&p, 1);
    assert_int_equal(pic_acknowledge(&p), 0x21);
    outb(&p, 0x20, 0xa0);               /* rotate on non-specific EOI: IR1 becomes lowest */
    assert_int_equal(p.s.chip[0].priority_add, 2);
    pulse(&p, 1);
    pulse(&p, 0);
    pulse(&p, 2 + 4);                   /* IR6 */
    assert_int_equal(pic_acknowledge(&p), 0x26);
    outb(&p, 0x20, 0xe6);               /* rotate on specific EOI 6: IR7 highest */
    assert_int_equal(pic_acknowledge(&p), 0x20);
    outb(&p, 0x20, 0xc0);               /* set priority: IR0 lowest, IR1 highest */
    outb(&p, 0x20, 0x60);
    assert_int_equal(pic_acknowledge(&p), 0x21);
}

static void test_aeoi_and_rotate(void **state)
{
    struct pic p;

    pic_setup(&p, 0x03);
    pulse(&p, 1);
    assert_int_equal(pic_acknowledge(&p), 0x21);
    assert_int_equal(read_isr(&p, 0x20), 0x00);
    outb(&p, 0x20, 0x80);               /* rotate in automatic EOI mode */
    pulse(&p, 1);
    assert_int_equal(pic_acknowledge(&p), 0x21);
    pulse(&p, 0);
    pulse(&p, 1);
    pulse(&p, 3);
    assert_int_equal(pic_acknowledge(&p), 0x23);   /* IR2 highest (empty), then IR3 */
    assert_int_equal(pic_acknowledge(&p), 0x20);   /* IR4 highest now: wraps to IR0 */
    outb(&p, 0x20, 0x00);               /* clear rotate in AEOI */
    assert_int_equal(pic_acknowledge(&p), 0x21);
    assert_int_equal(p.s.chip[0].priority_add, 1);
}

static void test_poll(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    outb(&p, 0x20, 0x0c);
    assert_int_equal(inb(&p, 0x20), 0x00);   /* nothing pending */
    pulse(&p, 6);
    outb(&p, 0x20, 0x0c);
    assert_int_equal(inb(&p, 0x21), 0x86);   /* either port answers a poll */
    assert_int_equal(read_isr(&p, 0x20), 0x40);
    assert_false(pic_intr(&p));
    assert_int_equal(inb(&p, 0x21), 0x00);   /* poll is one-shot: this reads the mask */
    /* Poll on the slave acknowledges there and drops the cascade. */
    pulse(&p, 12);
    assert_true(pic_intr(&p));
    outb(&p, 0xa0, 0x0c);
    assert_int_equal(inb(&p, 0xa0), 0x84);
    assert_int_equal(read_isr(&p, 0xa0), 0x10);
}

static void test_read_select_sticky(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    pulse(&p, 5);
    assert_int_equal(pic_acknowledge(&p), 0x25);
    pulse(&p, 6);
    outb(&p, 0x20, 0x0b);
    assert_int_equal(inb(&p, 0x20), 0x20);
    assert_int_equal(inb(&p, 0x20), 0x20);   /* the selection stays until changed */
    outb(&p, 0x20, 0x08);                    /* OCW3 without RR: still ISR */
    assert_int_equal(inb(&p, 0x20), 0x20);
    outb(&p, 0x20, 0x0a);
    assert_int_equal(inb(&p, 0x20), 0x40);
}

static void test_special_mask(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    pulse(&p, 3);
    assert_int_equal(pic_acknowledge(&p), 0x23);
    pulse(&p, 5);
    assert_false(pic_intr(&p));
    outb(&p, 0x21, 0x08);
    outb(&p, 0x20, 0x68);               /* enter special mask mode */
    assert_true(pic_intr(&p));
    assert_int_equal(pic_acknowledge(&p), 0x25);
    outb(&p, 0x20, 0x65);
    outb(&p, 0x20, 0x48);               /* leave it */
    pulse(&p, 6);
    assert_false(pic_intr(&p));         /* IR3 is in service again for priority */
}

static void test_slave_cascade(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    pulse(&p, 10);
    assert_true(pic_intr(&p));
    assert_int_equal(pic_pending_vector(&p), 0x2a);
    assert_int_equal(pic_acknowledge(&p), 0x2a);
    assert_int_equal(read_isr(&p, 0x20), 0x04);
    assert_int_equal(read_isr(&p, 0xa0), 0x04);
    pulse(&p, 14);                      /* lower than IR10 on the slave: waits */
    assert_false(pic_intr(&p));
    outb(&p, 0xa0, 0x20);
    /* The slave now requests again, but the master's IR2 is still in service. */
    assert_false(pic_intr(&p));
    outb(&p, 0x20, 0x20);
    assert_true(pic_intr(&p));
    assert_int_equal(pic_acknowledge(&p), 0x2e);
    /* Masking IR2 on the master hides the whole slave. */
    outb(&p, 0xa0, 0x20);
    outb(&p, 0x20, 0x20);
    outb(&p, 0x21, 0x04);
    pulse(&p, 9);
    assert_false(pic_intr(&p));
    outb(&p, 0x21, 0x00);
    assert_int_equal(pic_acknowledge(&p), 0x29);
}

static void test_sfnm(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    outb(&p, 0x20, 0x11);
    outb(&p, 0x21, 0x20);
    outb(&p, 0x21, 0x04);
    outb(&p, 0x21, 0x11);               /* master in special fully nested mode */
    pulse(&p, 12);
    assert_int_equal(pic_acknowledge(&p), 0x2c);
    pulse(&p, 9);                       /* higher on the slave: nests despite master ISR2 */
    assert_true(pic_intr(&p));
    assert_int_equal(pic_acknowledge(&p), 0x29);
}

static void test_spurious_irq7(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    outb(&p, 0x4d0, 0x20);              /* IR5 level-triggered */
    pic_set_irq(&p, 5, true);
    assert_true(pic_intr(&p));
    pic_set_irq(&p, 5, false);          /* the device let go before INTA */
    assert_false(pic_intr(&p));
    assert_int_equal(pic_acknowledge(&p), 0x27);
    assert_int_equal(read_isr(&p, 0x20), 0x00);
}

static void test_spurious_irq15(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    outb(&p, 0x4d1, 0x08);              /* IR11 level-triggered */
    pic_set_irq(&p, 11, true);
    pic_set_irq(&p, 11, false);
    /* The master latched the edge on IR2; the slave has nothing to say. */
    assert_true(pic_intr(&p));
    assert_int_equal(pic_pending_vector(&p), 0x2f);
    assert_int_equal(pic_acknowledge(&p), 0x2f);
    assert_int_equal(read_isr(&p, 0x20), 0x04);
    assert_int_equal(read_isr(&p, 0xa0), 0x00);
}

static void test_edge_vs_level(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    pic_set_irq(&p, 4, true);
    assert_int_equal(pic_acknowledge(&p), 0x24);
    outb(&p, 0x20, 0x20);
    assert_false(pic_intr(&p));         /* edge: a held line does not request again */
    pic_set_irq(&p, 4, false);
    pic_set_irq(&p, 4, true);
    assert_true(pic_intr(&p));
    /* Level: requests again after EOI while held, stops when released. */
    outb(&p, 0x4d0, 0x08);
    pic_set_irq(&p, 3, true);
    assert_int_equal(pic_acknowledge(&p), 0x23);
    outb(&p, 0x20, 0x63);
    assert_int_equal(pic_acknowledge(&p), 0x23);
    pic_set_irq(&p, 3, false);
    outb(&p, 0x20, 0x63);
    assert_int_equal(pic_acknowledge(&p), 0x24);
}

static void test_ltim(void **state)
{
    struct pic p;

    pic_init(&p, &fake_env);
    outb(&p, 0x20, 0x1b);               /* level mode for all inputs, single, ICW4 */
    outb(&p, 0x21, 0x08);
    outb(&p, 0x21, 0x01);
    pic_set_irq(&p, 0, true);
    assert_int_equal(pic_acknowledge(&p), 0x08);
    outb(&p, 0x20, 0x20);
    assert_true(pic_intr(&p));
    pic_set_irq(&p, 0, false);
    assert_false(pic_intr(&p));
}

static void test_elcr(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    outb(&p, 0x4d0, 0xff);
    outb(&p, 0x4d1, 0xff);
    assert_int_equal(inb(&p, 0x4d0), 0xf8);
    assert_int_equal(inb(&p, 0x4d1), 0xde);
    outb(&p, 0x4d0, 0x00);
    assert_int_equal(inb(&p, 0x4d0), 0x00);
}

static void test_sizes_and_ports(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    outb(&p, 0x21, 0x5a);
    assert_int_equal(pic_io_read(&p, 0x21, 2), 0xffff);
    assert_int_equal(pic_io_read(&p, 0x21, 4), 0xffffffffu);
    assert_int_equal(pic_io_read(&p, 0x21, 3), 0xffffffffu);
    pic_io_write(&p, 0x21, 2, 0);
    pic_io_write(&p, 0x21, 4, 0);
    assert_int_equal(inb(&p, 0x21), 0x5a);
    assert_int_equal(inb(&p, 0x22), 0xff);
    outb(&p, 0x22, 0x00);
    assert_int_equal(inb(&p, 0x21), 0x5a);
    pic_set_irq(&p, 16, true);
    pic_set_irq(&p, 2, true);
    assert_false(pic_intr(&p));
    assert_int_equal(pic_next_event(&p), VDEV_NO_EVENT);
    pic_update(&p);
}

static void test_ack_without_request(void **state)
{
    struct pic p;

    pic_setup(&p, 0x01);
    assert_int_equal(pic_acknowledge(&p), 0x27);
    assert_int_equal(read_isr(&p, 0x20), 0);
}

static void test_save_load(void **state)
{
    struct pic a, b;
    uint8_t buf[PIC_SAVE_SIZE + 8];

    pic_setup(&a, 0x01);
    pulse(&a, 10);
    pulse(&a, 3);
    assert_int_equal(pic_acknowledge(&a), 0x2a);
    outb(&a, 0x4d0, 0x20);
    assert_int_equal(pic_save(&a, buf, PIC_SAVE_SIZE - 1), 0);
    assert_int_equal(pic_save(&a, buf, sizeof(buf)), PIC_SAVE_SIZE);
    pic_init(&b, &fake_env);
    assert_int_equal(pic_load(&b, buf, PIC_SAVE_SIZE), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
    assert_false(pic_intr(&b));        /* IR3 waits behind the slave in service */
    outb(&b, 0xa0, 0x20);
    outb(&b, 0x20, 0x20);
    assert_int_equal(pic_acknowledge(&b), 0x23);
    assert_int_equal(pic_load(&b, buf, PIC_SAVE_SIZE - 1), -EINVAL);
    assert_int_equal(pic_load(&b, buf, PIC_SAVE_SIZE + 1), -EINVAL);
}

/* Each corruption alone must be refused and leave the target untouched. */
static void test_load_rejects(void **state)
{
    static const struct { size_t off; uint8_t val; } bad[] = {
        { 0, 0x00 },                                                        /* magic */
        { 4, 0x02 },                                                        /* version */
        { 8 + offsetof(struct pic_chip_state, elcr), 0x01 },
        { 8 + sizeof(struct pic_chip_state) + offsetof(struct pic_chip_state, elcr), 0x20 },
        { 8 + offsetof(struct pic_chip_state, base), 0x21 },
        { 8 + offsetof(struct pic_chip_state, init_step), 4 },
        { 8 + offsetof(struct pic_chip_state, priority_add), 8 },
        { 8 + offsetof(struct pic_chip_state, pad), 1 },
        { 8 + offsetof(struct pic_chip_state, flags) + 1, 0x04 },
    };
    struct pic a, b, before;
    uint8_t buf[PIC_SAVE_SIZE], bad_buf[PIC_SAVE_SIZE];
    size_t i;

    pic_setup(&a, 0x01);
    pic_save(&a, buf, sizeof(buf));
    pic_setup(&b, 0x03);
    pulse(&b, 1);
    before = b;
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(bad_buf, buf, sizeof(buf));
        bad_buf[bad[i].off] = bad[i].val;
        assert_int_equal(pic_load(&b, bad_buf, sizeof(bad_buf)), -EINVAL);
        assert_memory_equal(&b, &before, sizeof(b));
    }
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void test_fuzz(void **state)
{
    static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x22, 0xa2 };
    static const unsigned int sizes[] = { 1, 1, 1, 2, 4, 3 };
    uint8_t buf[PIC_SAVE_SIZE];
    struct pic p, q;
    int i, v;

    pic_setup(&p, 0x01);
    for (i = 0; i < 200000; i++) {
        uint16_t port = ports[rng() % ARRAY_SIZE(ports)];
        unsigned int size = sizes[rng() % ARRAY_SIZE(sizes)];

        switch (rng() % 4) {
        case 0: pic_io_write(&p, port, size, rng()); break;
        case 1: pic_io_read(&p, port, size); break;
        case 2: pic_set_irq(&p, rng() % 17, rng() & 1); break;
        default:
            v = pic_pending_vector(&p);
            assert_int_equal(v >= 0, pic_intr(&p));
            if (v >= 0)
                assert_int_equal(pic_acknowledge(&p), v);
            break;
        }
        /* Whatever the guest did, the state is one a load would accept. */
        assert_int_equal(pic_save(&p, buf, sizeof(buf)), sizeof(buf));
        assert_int_equal(pic_load(&q, buf, sizeof(buf)), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_ack),
        cmocka_unit_test(test_icw_sequence_variants),
        cmocka_unit_test(test_priority_and_nesting),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_specific_eoi),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_aeoi_and_rotate),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_read_select_sticky),
        cmocka_unit_test(test_special_mask),
        cmocka_unit_test(test_slave_cascade),
        cmocka_unit_test(test_sfnm),
        cmocka_unit_test(test_spurious_irq7),
        cmocka_unit_test(test_spurious_irq15),
        cmocka_unit_test(test_edge_vs_level),
        cmocka_unit_test(test_ltim),
        cmocka_unit_test(test_elcr),
        cmocka_unit_test(test_sizes_and_ports),
        cmocka_unit_test(test_ack_without_request),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests_name("vdev_pic", tests, NULL, NULL);
}
