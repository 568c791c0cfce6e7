/* Unit tests for hv/vdev/vioapic.c, driven by a fake environment that logs deliveries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/vioapic.c"

#define MAX_LOG 64

struct msg {
    uint32_t dest;
    bool logical;
    uint8_t dm, vector;
    bool level;
};

struct fake {
    uint64_t now;
    struct msg msgs[MAX_LOG];
    unsigned int nr;
};

static struct fake fk;

static uint64_t fake_now(void *ctx) { return ((struct fake *)ctx)->now; }

static void fake_deliver(void *ctx, uint32_t dest, bool logical, uint8_t dm, uint8_t vector,
                         bool level)
{
    struct fake *f = ctx;

    if (f->nr < MAX_LOG)
        f->msgs[f->nr++] = (struct msg){ dest, logical, dm, vector, level };
}

static const struct vioapic_env env = {
    .base = { .now_ns = fake_now, .ctx = &fk },
    .deliver = fake_deliver,
};

static int setup(void **state)
{
    memset(&fk, 0, sizeof(fk));
    return 0;
}

static uint32_t reg_read(struct vioapic *io, uint32_t idx)
{
    vioapic_mmio_write(io, VIOAPIC_IOREGSEL, 4, idx);
    return vioapic_mmio_read(io, VIOAPIC_IOWIN, 4);
}

static void reg_write(struct vioapic *io, uint32_t idx, uint32_t val)
{
    vioapic_mmio_write(io, VIOAPIC_IOREGSEL, 4, idx);
    vioapic_mmio_write(io, VIOAPIC_IOWIN, 4, val);
}

static void set_entry(struct vioapic *io, unsigned int pin, uint64_t e)
{
    reg_write(io, 0x11 + 2 * pin, e >> 32);
    reg_write(io, 0x10 + 2 * pin, (uint32_t)e);
}

static uint64_t entry(struct vioapic *io, unsigned int pin)
{
    return ((uint64_t)reg_read(io, 0x11 + 2 * pin) << 32) | reg_read(io, 0x10 + 2 * pin);
}

static void test_reset_state_and_ids(void **state)
{
    struct vioapic io;

    vioapic_init(&io, &env, 2);
    assert_int_equal(reg_read(&io, 0), 2u << 24);
    assert_int_equal(reg_read(&io, 1), 0x00170020);
    assert_int_equal(reg_read(&io, 2), 2u << 24);
    for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++)
        assert_int_equal(entry(&io, pin), VIOAPIC_RTE_MASKED);
    /* ID: bits 27:24 only; version and arbitration are read-only. */
    reg_write(&io, 0, 0xffffffff);
    assert_int_equal(reg_read(&io, 0), 0x0f000000);
    reg_write(&io, 1, 0);
    reg_write(&io, 2, 0);
    assert_int_equal(reg_read(&io, 1), 0x00170020);
    assert_int_equal(reg_read(&io, 2), 0x0f000000);
    /* Unimplemented indices read 0 and ignore writes. */
    for (uint32_t idx = 3; idx < 0x10; idx++) {
        reg_write(&io, idx, 0xffffffff);
        assert_int_equal(reg_read(&io, idx), 0);
    }
    for (uint32_t idx = 0x40; idx < 0x100; idx++) {
        reg_write(&io, idx, 0xffffffff);
        assert_int_equal(reg_read(&io, idx), 0);
    }
    assert_int_equal(fk.nr, 0);
}

static void test_ioregsel_and_odd_accesses(void **state)
{
    struct vioapic io;

    vioapic_init(&io, &env, 0);
    vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, 0xffffff01);
    assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, 4), 0x01);
    assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4), 0x00170020);
    assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOWIN, 2), 0);
    assert_int_equal(vioapic_mmio_read(&io, 0x14, 4), 0);
    assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_EOIR, 4), 0);
    vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 1, 0);
    vioapic_mmio_write(&io, 0x04, 4, 0);
    assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, 4), 0x01);
}

static void test_redirection_rw_and_reserved_bits(void **state)
{
    struct vioapic io;

    vioapic_init(&io, &env, 0);
    for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++) {
        set_entry(&io, pin, ~0ull);
        /* Reserved bits 55:17, delivery status and remote IRR read 0. */
        assert_int_equal(entry(&io, pin), 0xff0000000001afffull);
        set_entry(&io, pin, 0x1200000000010000ull | (0x20 + pin));
        assert_int_equal(entry(&io, pin), 0x1200000000010000ull | (0x20 + pin));
    }
    /* The halves are independent. */
    reg_write(&io, 0x11, 0x34000000);
    assert_int_equal(entry(&io, 0), 0x3400000000010020ull);
    reg_write(&io, 0x10, 0x0000a951);
    assert_int_equal(entry(&io, 0), 0x340000000000a951ull);
    assert_int_equal(fk.nr, 0);
}

static void test_edge_delivery(void **state)
{
    struct vioapic io;

    vioapic_init(&io, &env, 0);
    set_entry(&io, 4, 0x0300000000000934ull);   /* logical dest 3, lowest priority, edge */
    vioapic_set_irq(&io, 4, true);
    assert_int_equal(fk.nr, 1);
    assert_int_equal(fk.msgs[0].dest, 3);
    assert_true(fk.msgs[0].logical);
    assert_int_equal(fk.msgs[0].dm, 1);
    assert_int_equal(fk.msgs[0].vector, 0x34);
    assert_false(fk.msgs[0].level);
    vioapic_set_irq(&io, 4, true);              /* no new edge */
    assert_int_equal(fk.nr, 1);
    vioapic_set_irq(&io, 4, false);
    vioapic_set_irq(&io, 4, true);
    assert_int_equal(fk.nr, 2);
    assert_int_equal(entry(&io, 4) & (VIOAPIC_RTE_REMOTE_IRR | VIOAPIC_RTE_STATUS), 0);
    /* An edge while masked is lost, also after unmasking. */
    vioapic_set_irq(&io, 4, false);
    set_entry(&io, 4, 0x0300000000010934ull);
    vioapic_set_irq(&io, 4, true);
    set_entry(&io, 4, 0x0300000000000934ull);
    assert_int_equal(fk.nr, 2);
    /* Pins past 23 are ignored. */
    vioapic_set_irq(&io, 24, true);
    vioapic_set_irq(&io, UINT32_MAX, true);
    assert_int_equal(fk.nr, 2);
}

static void test_level_remote_irr_and_eoi(void **state)
{
    struct vioapic io;

    vioapic_init(&io, &env, 0);
    set_entry(&io, 9, 0x0100000000008041ull);   /* physical dest 1, fixed, level */
    vioapic_set_irq(&io, 9, true);
    assert_int_equal(fk.nr, 1);
    assert_true(fk.msgs[0].level);
    assert_int_equal(fk.msgs[0].dest, 1);
    assert_true(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
    vioapic_set_irq(&io, 9, true);              /* remote IRR holds it */
    assert_int_equal(fk.nr, 1);
    vioapic_eoi(&io, 0x42);                     /* other vector */
    assert_true(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
    vioapic_eoi(&io, 0x41);                     /* still asserted: re-delivered */
    assert_int_equal(fk.nr, 2);
    assert_true(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
    vioapic_set_irq(&io, 9, false);
    vioapic_mmio_write(&io, VIOAPIC_EOIR, 4, 0x41);   /* the version 0x20 EOI register */
    assert_int_equal(fk.nr, 2);
    assert_false(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
    /* Remote IRR cannot be written by the guest. */
    reg_write(&io, 0x10 + 18, 0x0000c041);
    assert_false(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
    vioapic_set_irq(&io, 9, true);
    assert_int_equal(fk.nr, 3);
    reg_write(&io, 0x10 + 18, 0x00008041);
    assert_true(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
    /* Switching to edge clears remote IRR. */
    reg_write(&io, 0x10 + 18, 0x00000041);
    assert_false(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
    assert_int_equal(fk.nr, 3);
}

static void test_level_eoi_shared_vector(void **state)
{
    struct vioapic io;

    vioapic_init(&io, &env, 0);
    set_entry(&io, 1, 0x8050);
    set_entry(&io, 2, 0x8050);
    set_entry(&io, 3, 0x0050);                  /* edge, same vector: unaffected by EOI */
    vioapic_set_irq(&io, 1, true);
    vioapic_set_irq(&io, 2, true);
    assert_int_equal(fk.nr, 2);
    vioapic_set_irq(&io, 2, false);
    vioapic_eoi(&io, 0x50);
    assert_int_equal(fk.nr, 3);                 /* only pin 1 is still asserted */
    assert_true(entry(&io, 1) & VIOAPIC_RTE_REMOTE_IRR);
    assert_false(entry(&io, 2) & VIOAPIC_RTE_REMOTE_IRR);
}

static void test_level_masking(void **state)
{
    struct vioapic io;

    vioapic_init(&io, &env, 0);
    set_entry(&io, 5, 0x18060);                 /* level, masked */
    vioapic_set_irq(&io, 5, true);
    assert_int_equal(fk.nr, 0);
    set_entry(&io, 5, 0x08060);                 /* unmasked while asserted: delivers */
    assert_int_equal(fk.nr, 1);
    assert_int_equal(fk.msgs[0].vector, 0x60);
    /* Masking with remote IRR set, deasserting, then EOI: nothing more. */
    set_entry(&io, 5, 0x18060);
    vioapic_eoi(&io, 0x60);
    set_entry(&io, 5, 0x08060);
    assert_int_equal(fk.nr, 2);                 /* still asserted after the EOI */
    set_entry(&io, 5, 0x18060);
    vioapic_eoi(&io, 0x60);
    vioapic_set_irq(&io, 5, false);
    set_entry(&io, 5, 0x08060);
    assert_int_equal(fk.nr, 2);
}

static void test_delivery_modes(void **state)
{
    static const struct { uint8_t dm; bool sent; } modes[] = {
        { 0, true }, { 1, true }, { 2, true }, { 3, false }, { 4, true }, { 5, true },
        { 6, false }, { 7, true },
    };
    struct vioapic io;

    vioapic_init(&io, &env, 0);
    for (unsigned int i = 0; i < ARRAY_SIZE(modes); i++) {
        fk.nr = 0;
        set_entry(&io, 0, 0xff00000000000000ull | ((uint64_t)modes[i].dm << 8) | 0x70);
        vioapic_set_irq(&io, 0, true);
        vioapic_set_irq(&io, 0, false);
        assert_int_equal(fk.nr, modes[i].sent);
        if (modes[i].sent) {
            assert_int_equal(fk.msgs[0].dm, modes[i].dm);
            assert_int_equal(fk.msgs[0].dest, 0xff);
        }
    }
}

/* Save and load through the byte record, with the state exposed for tampering. */
static void save_state(const struct vioapic *d, struct vioapic_state *s)
{
    uint8_t buf[VIOAPIC_SAVE_SIZE + 1];

    assert_int_equal(vioapic_save(d, buf, VIOAPIC_SAVE_SIZE - 1), 0);
    assert_int_equal(vioapic_save(d, buf, sizeof(buf)), VIOAPIC_SAVE_SIZE);
    memcpy(s, buf + 8, sizeof(*s));
}

static int load_state(struct vioapic *d, const struct vioapic_state *s)
{
    uint32_t hdr[2] = { VIOAPIC_SAVE_MAGIC, VIOAPIC_SAVE_VERSION };
    uint8_t buf[VIOAPIC_SAVE_SIZE];

    memcpy(buf, hdr, sizeof(hdr));
    memcpy(buf + 8, s, sizeof(*s));
    return vioapic_load(d, buf, sizeof(buf));
}

/* A record with a wrong magic, version or length is refused whole. */
static void test_save_record_header(void **state)
{
    struct vioapic a, b, before;
    uint8_t buf[VIOAPIC_SAVE_SIZE + 4];

    memset(&a, 0, sizeof(a));
    vioapic_init(&a, &env, 1);
    vioapic_init(&b, &env, 2);
    before = b;
    assert_int_equal(vioapic_save(&a, buf, sizeof(buf)), VIOAPIC_SAVE_SIZE);
    assert_int_equal(vioapic_load(&b, buf, VIOAPIC_SAVE_SIZE - 1), -EINVAL);
    assert_int_equal(vioapic_load(&b, buf, VIOAPIC_SAVE_SIZE + 4), -EINVAL);
    buf[0] ^= 1;
    assert_int_equal(vioapic_load(&b, buf, VIOAPIC_SAVE_SIZE), -EINVAL);
    buf[0] ^= 1;
    buf[4] ^= 2;
    assert_int_equal(vioapic_load(&b, buf, VIOAPIC_SAVE_SIZE), -EINVAL);
    assert_memory_equal(&b.s, &before.s, sizeof(b.s));
    buf[4] ^= 2;
    assert_int_equal(vioapic_load(&b, buf, VIOAPIC_SAVE_SIZE), 0);
    assert_memory_equal(&b.s, &a.s, sizeof(b.s));
}

static void busy_ioapic(struct vioapic *io)
{
    vioapic_init(io, &env, 1);
    set_entry(io, 0, 0x0100000000000030ull);
    set_entry(io, 7, 0x0200000000008931ull);
    set_entry(io, 23, 0x0000000000012032ull);
    vioapic_set_irq(io, 7, true);
    vioapic_set_irq(io, 23, true);
    vioapic_mmio_write(io, VIOAPIC_IOREGSEL, 4, 0x1e);
}

static void test_save_load_round_trip(void **state)
{
    struct vioapic a, b;
    struct vioapic_state s;

    busy_ioapic(&a);
    save_state(&a, &s);
    vioapic_init(&b, &env, 0);
    assert_int_equal(load_state(&b, &s), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(s));
    fk.nr = 0;
    vioapic_eoi(&b, 0x31);                      /* the loaded remote IRR works */
    assert_int_equal(fk.nr, 1);
    set_entry(&b, 23, 0x2032);                  /* and so does the loaded line state */
    assert_int_equal(fk.nr, 1);
    set_entry(&b, 23, 0xa032);
    assert_int_equal(fk.nr, 2);
}

static void test_load_rejects_corrupt(void **state)
{
    struct vioapic a, b, before;
    struct vioapic_state good, s;

    busy_ioapic(&a);
    save_state(&a, &good);
#define BAD(stmt) do { s = good; stmt; vioapic_init(&b, &env, 3); before = b; \
        assert_int_equal(load_state(&b, &s), -EINVAL); \
        assert_memory_equal(&b.s, &before.s, sizeof(b.s)); } while (0)
    BAD(s.id |= 1);
    BAD(s.id = 0x10000000);
    BAD(s.ioregsel = 0x100);
    BAD(s.lines = 1u << 24);
    BAD(s.pad = 1);
    BAD(s.redir[3] |= 1ull << 17);
    BAD(s.redir[3] |= 1ull << 55);
    BAD(s.redir[4] |= VIOAPIC_RTE_STATUS);
    BAD(s.redir[0] |= VIOAPIC_RTE_REMOTE_IRR);  /* remote IRR on an edge entry */
#undef BAD
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned int remote_irr_count(const struct vioapic *io)
{
    unsigned int n = 0;

    for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++)
        n += !!(io->s.redir[pin] & VIOAPIC_RTE_REMOTE_IRR);
    return n;
}

/*
 * Random register traffic, lines and EOIs. Every level message must be accounted for by a pin
 * that now holds remote IRR for it; outside EOIs, by a pin that just set remote IRR.
 */
static void test_random_ops(void **state)
{
    struct vioapic io, copy;
    struct vioapic_state s;
    unsigned int level_msgs = 0;

    rng_state = 0x243f6a8885a308d3ull;
    vioapic_init(&io, &env, 0);
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rng(), v = rng();
        unsigned int irr_before = remote_irr_count(&io), nlevel = 0;
        bool eoi = false;

        fk.nr = 0;
        switch (r % 6) {
        case 0: vioapic_mmio_write(&io, v % 0x50, (r >> 8) % 5, (uint32_t)(v >> 16));
                eoi = true; break;
        case 1: vioapic_mmio_read(&io, v % 0x50, (r >> 8) % 5); break;
        case 2: reg_write(&io, 0x10 + v % 48, ((uint32_t)(v >> 16) & ~0x700u) | 0x40); break;
        case 3: vioapic_set_irq(&io, v % 26, (v >> 8) & 1); break;
        case 4: vioapic_eoi(&io, 0x40 + v % 4); eoi = true; break;
        default: reg_read(&io, (uint32_t)v); break;
        }
        for (unsigned int m = 0; m < fk.nr; m++) {
            bool found = false;

            if (!fk.msgs[m].level)
                continue;
            nlevel++;
            for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++)
                found |= (io.s.redir[pin] & (VIOAPIC_RTE_REMOTE_IRR | 0xff)) ==
                         (VIOAPIC_RTE_REMOTE_IRR | fk.msgs[m].vector);
            assert_true(found);
        }
        if (!eoi)
            assert_true(nlevel <= remote_irr_count(&io) - MIN(irr_before, remote_irr_count(&io)));
        level_msgs += nlevel;
        for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++) {
            uint64_t e = io.s.redir[pin];

            assert_false(e & VIOAPIC_RTE_STATUS);
            assert_false((e & VIOAPIC_RTE_REMOTE_IRR) && !(e & VIOAPIC_RTE_LEVEL));
        }
        save_state(&io, &s);
        vioapic_init(&copy, &env, 0);
        assert_int_equal(load_state(&copy, &s), 0);
    }
    assert_true(level_msgs > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state_and_ids, setup),
        cmocka_unit_test_setup(test_ioregsel_and_odd_accesses, setup),
        cmocka_unit_test_setup(test_redirection_rw_and_reserved_bits, setup),
        cmocka_unit_test_setup(test_edge_delivery, setup),
        cmocka_unit_test_setup(test_level_remote_irr_and_eoi, setup),
        cmocka_unit_test_setup(test_level_eoi_shared_vector, setup),
        cmocka_unit_test_setup(test_level_masking, setup),
        cmocka_unit_test_setup(test_delivery_modes, setup),
        cmocka_unit_test_setup(test_save_load_round_trip, setup),
        cmocka_unit_test_setup(test_save_record_header, setup),
        cmocka_unit_test_setup(test_load_rejects_corrupt, setup),
        cmocka_unit_test_setup(test_random_ops, setup),
    };

    return cmocka_run_group_tests_name("vioapic", tests, NULL, NULL);
}
