/* Unit tests for hv/vdev/vlapic.c, driven by a fake environment with a settable clock and TSC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/vlapic.c"

#define MAX_LOG 64

struct ipi {
    uint32_t dest;
    bool logical;
    uint8_t shorthand, dm, vector;
    bool assert;
};

struct fake {
    uint64_t now, tsc;
    struct ipi ipis[MAX_LOG];
    unsigned int nr_ipis;
    uint8_t eois[MAX_LOG];
    unsigned int nr_eois;
};

static struct fake fk;

static uint64_t fake_now(void *ctx) { return ((struct fake *)ctx)->now; }
static uint64_t fake_tsc(void *ctx) { return ((struct fake *)ctx)->tsc; }

static void fake_send_ipi(void *ctx, uint32_t dest, bool logical, uint8_t shorthand, uint8_t dm,
                          uint8_t vector, bool level_assert)
{
    struct fake *f = ctx;

    if (f->nr_ipis < MAX_LOG)
        f->ipis[f->nr_ipis++] = (struct ipi){ dest, logical, shorthand, dm, vector, level_assert };
}

static void fake_eoi_level(void *ctx, uint8_t vector)
{
    struct fake *f = ctx;

    if (f->nr_eois < MAX_LOG)
        f->eois[f->nr_eois++] = vector;
}

static struct vlapic_env env = {
    .base = { .now_ns = fake_now, .ctx = &fk },
    .send_ipi = fake_send_ipi, .eoi_level = fake_eoi_level, .tsc = fake_tsc,
    .tsc_khz = 2000000, .tsc_deadline = true,
};

static struct vlapic_env env_no_deadline = {
    .base = { .now_ns = fake_now, .ctx = &fk },
    .send_ipi = fake_send_ipi, .eoi_level = fake_eoi_level, .tsc = fake_tsc,
    .tsc_khz = 2000000, .tsc_deadline = false,
};

static int setup(void **state)
{
    memset(&fk, 0, sizeof(fk));
    return 0;
}

static uint32_t rd(struct vlapic *l, uint32_t off) { return vlapic_mmio_read(l, off, 4); }
static void wr(struct vlapic *l, uint32_t off, uint32_t v) { vlapic_mmio_write(l, off, 4, v); }

/* An xAPIC with the APIC software-enabled (spurious vector 0xff). */
static void new_lapic(struct vlapic *l, uint32_t id)
{
    vlapic_init(l, &env, id, id == 0);
    wr(l, 0xf0, 0x1ff);
}

static void to_x2apic(struct vlapic *l)
{
    assert_int_equal(vlapic_apic_base_write(l, VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EN |
                                               VLAPIC_BASE_EXTD), 0);
}

static uint64_t msr(struct vlapic *l, uint32_t m)
{
    uint64_t v = 0xdead;

    assert_int_equal(vlapic_msr_read(l, m, &v), 0);
    return v;
}

static int popcount256(const uint32_t *map)
{
    int n = 0;

    for (int i = 0; i < 8; i++)
        n += __builtin_popcount(map[i]);
    return n;
}

/* --- registers ----------------------------------------------------------------------------- */

static void test_power_on_state(void **state)
{
    struct vlapic l;

    vlapic_init(&l, &env, 3, true);
    assert_int_equal(vlapic_apic_base_read(&l), 0xfee00000u | VLAPIC_BASE_EN | VLAPIC_BASE_BSP);
    assert_int_equal(rd(&l, 0x20), 3u << 24);
    assert_int_equal(rd(&l, 0x30), 0x00050014);
    assert_int_equal(rd(&l, 0xf0), 0xff);
    assert_int_equal(rd(&l, 0xe0), 0xffffffffu);
    assert_int_equal(rd(&l, 0xd0), 0);
    for (uint32_t off = 0x320; off <= 0x370; off += 0x10)
        assert_int_equal(rd(&l, off), VLAPIC_LVT_MASKED);
    assert_false(vlapic_enabled(&l));
    vlapic_init(&l, &env, 4, false);
    assert_int_equal(vlapic_apic_base_read(&l), 0xfee00000u | VLAPIC_BASE_EN);
}

static void test_xapic_register_semantics(void **state)
{
    struct vlapic l;

    new_lapic(&l, 1);
    wr(&l, 0x20, 0x7f000000);                   /* ID: read-only */
    assert_int_equal(rd(&l, 0x20), 1u << 24);
    wr(&l, 0x30, 0);
    assert_int_equal(rd(&l, 0x30), 0x00050014);
    wr(&l, 0x80, 0xffffff35);                   /* TPR: bits 7:0 */
    assert_int_equal(rd(&l, 0x80), 0x35);
    assert_int_equal(rd(&l, 0xa0), 0x35);       /* PPR follows TPR with nothing in service */
    wr(&l, 0xa0, 0);
    assert_int_equal(rd(&l, 0xa0), 0x35);
    assert_int_equal(rd(&l, 0x90), 0);          /* APR, RRD read 0 */
    assert_int_equal(rd(&l, 0xc0), 0);
    assert_int_equal(rd(&l, 0xb0), 0);          /* EOI is write-only */
    wr(&l, 0xd0, 0xffffffff);                   /* LDR: bits 31:24 */
    assert_int_equal(rd(&l, 0xd0), 0xff000000u);
    wr(&l, 0xe0, 0x0);                          /* DFR: model in 31:28, rest ones */
    assert_int_equal(rd(&l, 0xe0), 0x0fffffffu);
    wr(&l, 0xf0, 0xffffffff);                   /* SVR: no EOI-broadcast suppression */
    assert_int_equal(rd(&l, 0xf0), 0x3ff);
    wr(&l, 0x310, 0xffffffff);
    assert_int_equal(rd(&l, 0x310), 0xff000000u);
    wr(&l, 0x3e0, 0xffffffff);
    assert_int_equal(rd(&l, 0x3e0), 0xb);
    wr(&l, 0x100, 0xffffffff);                  /* ISR/TMR/IRR read-only */
    wr(&l, 0x200, 0xffffffff);
    for (uint32_t off = 0x100; off < 0x280; off += 0x10)
        assert_int_equal(rd(&l, off), 0);
    wr(&l, 0x390, 1234);
    assert_int_equal(rd(&l, 0x390), 0);
}

static void test_xapic_lvt_masks(void **state)
{
    static const uint32_t want[] = { 0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff };
    struct vlapic l;

    new_lapic(&l, 0);
    for (unsigned int i = 0; i < 6; i++) {
        uint32_t off = 0x320 + 0x10 * i;

        /* The timer's mode field accepts 0-2 only; 3 is dropped. */
        wr(&l, off, i == 0 ? 0x5ffff : 0xffffffff);
        assert_int_equal(rd(&l, off), i == 0 ? 0x5ffff & want[0] : want[i]);
    }
    wr(&l, 0x320, 0x60040);
    assert_int_equal(rd(&l, 0x320), 0x5ffff & want[0]);
    /* Without TSC-deadline the mode's high bit is reserved. */
    vlapic_init(&l, &env_no_deadline, 0, true);
    wr(&l, 0xf0, 0x1ff);
    wr(&l, 0x320, 0x40040);
    assert_int_equal(rd(&l, 0x320), 0x40);
}

static void test_mmio_odd_accesses(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x80, 0x20);
    assert_int_equal(vlapic_mmio_read(&l, 0x80, 1), 0);
    assert_int_equal(vlapic_mmio_read(&l, 0x80, 8), 0);
    assert_int_equal(vlapic_mmio_read(&l, 0x84, 4), 0);
    assert_int_equal(vlapic_mmio_read(&l, 0x1000, 4), 0);
    assert_int_equal(vlapic_mmio_read(&l, 0xfffffff0u, 4), 0);
    vlapic_mmio_write(&l, 0x80, 2, 0x40);
    vlapic_mmio_write(&l, 0x81, 4, 0x40);
    vlapic_mmio_write(&l, 0x2000, 4, 0x40);
    assert_int_equal(rd(&l, 0x80), 0x20);
    /* None of that is an APIC error; a reserved register is. */
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), 0);
    assert_int_equal(rd(&l, 0x3f0), 0);         /* SELF IPI is x2APIC-only */
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), VLAPIC_ESR_ILLEGAL_REG);
}

static void test_esr_write_then_read(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x300, 0x5);                         /* fixed IPI, vector 5 */
    assert_int_equal(rd(&l, 0x280), 0);         /* not visible before a write */
    wr(&l, 0x280, 0x1234);
    assert_int_equal(rd(&l, 0x280), VLAPIC_ESR_SEND_ILLEGAL);
    assert_int_equal(rd(&l, 0x280), VLAPIC_ESR_SEND_ILLEGAL);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 3, false);
    assert_int_equal(rd(&l, 0x280), VLAPIC_ESR_SEND_ILLEGAL);
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), VLAPIC_ESR_RECV_ILLEGAL);
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), 0);
}

static void test_sw_disable_masks_lvts(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x350, 0x700);                       /* LINT0 ExtINT, unmasked */
    assert_int_equal(rd(&l, 0x350), 0x700);
    wr(&l, 0xf0, 0xff);
    assert_int_equal(rd(&l, 0x350), 0x10700);
    wr(&l, 0x350, 0x700);                       /* stays masked while disabled */
    assert_int_equal(rd(&l, 0x350), 0x10700);
    wr(&l, 0xf0, 0x1ff);
    assert_int_equal(rd(&l, 0x350), 0x10700);
    wr(&l, 0x350, 0x700);
    assert_int_equal(rd(&l, 0x350), 0x700);
}

static void test_reset_is_init(void **state)
{
    struct vlapic l;

    new_lapic(&l, 2);
    wr(&l, 0x80, 0x10);
    wr(&l, 0x320, 0x20030);
    wr(&l, 0x380, 100);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x40, true);
    vlapic_accept(&l, VLAPIC_DM_SIPI, 0x9a, false);
    vlapic_reset(&l);
    assert_int_equal(rd(&l, 0x80), 0);
    assert_int_equal(rd(&l, 0xf0), 0xff);
    assert_int_equal(rd(&l, 0x320), VLAPIC_LVT_MASKED);
    assert_int_equal(rd(&l, 0x380), 0);
    assert_int_equal(rd(&l, 0x210), 0);
    assert_int_equal(rd(&l, 0x20), 2u << 24);
    assert_int_equal(vlapic_next_event(&l), VDEV_NO_EVENT);
    uint8_t v = 0;
    assert_true(vlapic_take_sipi(&l, &v));      /* a SIPI after the INIT survives */
    assert_int_equal(v, 0x9a);
}

/* --- x2APIC ------------------------------------------------------------------------------- */

static void test_x2apic_register_semantics(void **state)
{
    struct vlapic l;
    uint64_t v;

    new_lapic(&l, 0x123);
    assert_int_equal(vlapic_msr_read(&l, 0x802, &v), -EPERM);      /* not in x2APIC mode */
    assert_int_equal(vlapic_msr_write(&l, 0x808, 0), -EPERM);
    to_x2apic(&l);
    assert_int_equal(msr(&l, 0x802), 0x123);
    assert_int_equal(msr(&l, 0x803), 0x00050014);
    assert_int_equal(msr(&l, 0x80d), (0x12u << 16) | (1u << 3));
    assert_int_equal(vlapic_msr_write(&l, 0x808, 0x40), 0);
    assert_int_equal(msr(&l, 0x808), 0x40);
    assert_int_equal(msr(&l, 0x80a), 0x40);
    assert_int_equal(msr(&l, 0x80f), 0x1ff);    /* SVR survives the mode switch */
    assert_int_equal(vlapic_msr_write(&l, 0x83e, 0xa), 0);
    assert_int_equal(msr(&l, 0x83e), 0xa);
    assert_int_equal(vlapic_msr_write(&l, 0x835, 0x8700), 0);
    assert_int_equal(msr(&l, 0x835), 0x8700);
    assert_int_equal(vlapic_msr_write(&l, 0x838, 1000), 0);
    assert_int_equal(msr(&l, 0x838), 1000);
    assert_int_equal(msr(&l, 0x839), 1000);
    /* The MMIO page is gone. */
    assert_int_equal(rd(&l, 0x20), 0);
    wr(&l, 0x80, 0x99);
    assert_int_equal(msr(&l, 0x808), 0x40);
    assert_int_equal(vlapic_msr_read(&l, 0x1b, &v), -ENOENT);
    assert_int_equal(vlapic_msr_read(&l, 0x900, &v), -ENOENT);
}

static void test_x2apic_gp_cases(void **state)
{
    static const uint32_t reserved[] = { 0x800, 0x801, 0x804, 0x809, 0x80c, 0x80e, 0x82f,
                                         0x831, 0x83a, 0x83d, 0x840, 0x8ff };
    static const uint32_t read_only[] = { 0x802, 0x803, 0x80a, 0x80d, 0x810, 0x817, 0x818,
                                          0x820, 0x827, 0x839 };
    struct vlapic l;
    uint64_t v;

    new_lapic(&l, 5);
    to_x2apic(&l);
    for (unsigned int i = 0; i < ARRAY_SIZE(reserved); i++) {
        assert_int_equal(vlapic_msr_read(&l, reserved[i], &v), -EPERM);
        assert_int_equal(vlapic_msr_write(&l, reserved[i], 0), -EPERM);
    }
    for (unsigned int i = 0; i < ARRAY_SIZE(read_only); i++)
        assert_int_equal(vlapic_msr_write(&l, read_only[i], 0), -EPERM);
    assert_int_equal(vlapic_msr_read(&l, 0x80b, &v), -EPERM);      /* EOI: write-only */
    assert_int_equal(vlapic_msr_read(&l, 0x83f, &v), -EPERM);      /* SELF IPI: write-only */
    assert_int_equal(vlapic_msr_write(&l, 0x80b, 1), -EPERM);      /* EOI must be 0 */
    assert_int_equal(vlapic_msr_write(&l, 0x80b, 0), 0);
    assert_int_equal(vlapic_msr_write(&l, 0x828, 1), -EPERM);      /* ESR must be 0 */
    assert_int_equal(vlapic_msr_write(&l, 0x828, 0), 0);
    assert_int_equal(vlapic_msr_write(&l, 0x830, 1u << 12), -EPERM);   /* delivery status */
    assert_int_equal(vlapic_msr_write(&l, 0x830, 1u << 16), -EPERM);
    assert_int_equal(vlapic_msr_write(&l, 0x832, 1u << 12), -EPERM);
    assert_int_equal(vlapic_msr_write(&l, 0x832, 0x60040), -EPERM);   /* timer mode 3 */
    assert_int_equal(vlapic_msr_write(&l, 0x837, 0x700 | 0x40), -EPERM);  /* no DM in error */
    assert_int_equal(vlapic_msr_write(&l, 0x808, 0x100), -EPERM);
    assert_int_equal(vlapic_msr_write(&l, 0x808, 1ull << 32), -EPERM);
    assert_int_equal(vlapic_msr_write(&l, 0x80f, 1u << 12), -EPERM);
    assert_int_equal(vlapic_msr_write(&l, 0x83e, 4), -EPERM);
    assert_int_equal(vlapic_msr_write(&l, 0x83f, 0x100), -EPERM);
    assert_int_equal(vlapic_msr_write(&l, 0x838, 1ull << 32), -EPERM);
    assert_int_equal(fk.nr_ipis, 0);
}

static void test_x2apic_icr_and_self_ipi(void **state)
{
    struct vlapic l;

    new_lapic(&l, 7);
    to_x2apic(&l);
    assert_int_equal(vlapic_msr_write(&l, 0x830, (0x10004ull << 32) | 0x4831), 0);
    assert_int_equal(msr(&l, 0x830), (0x10004ull << 32) | 0x4831);
    assert_int_equal(fk.nr_ipis, 1);
    assert_int_equal(fk.ipis[0].dest, 0x10004);
    assert_true(fk.ipis[0].logical);
    assert_int_equal(fk.ipis[0].vector, 0x31);
    assert_int_equal(vlapic_msr_write(&l, 0x83f, 0x77), 0);
    assert_int_equal(fk.nr_ipis, 2);
    assert_int_equal(fk.ipis[1].dest, 7);
    assert_int_equal(fk.ipis[1].shorthand, VLAPIC_SH_SELF);
    assert_int_equal(fk.ipis[1].dm, VLAPIC_DM_FIXED);
    assert_int_equal(fk.ipis[1].vector, 0x77);
    assert_int_equal(vlapic_msr_write(&l, 0x83f, 0x7), 0);     /* illegal: error, not sent */
    assert_int_equal(fk.nr_ipis, 2);
    assert_int_equal(vlapic_msr_write(&l, 0x828, 0), 0);
    assert_int_equal(msr(&l, 0x828), VLAPIC_ESR_SEND_ILLEGAL);
}

static void test_apic_base_transitions(void **state)
{
    const uint64_t b = VLAPIC_DEFAULT_BASE;
    struct vlapic l;

    new_lapic(&l, 9);
    /* Reserved bits, invalid mode, BSP read-only. */
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EN | 1), -EPERM);
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EN | (1u << 9)), -EPERM);
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EN | (1ull << 52)), -EPERM);
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EXTD), -EPERM);
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EN | VLAPIC_BASE_BSP), 0);
    assert_int_equal(vlapic_apic_base_read(&l), b | VLAPIC_BASE_EN);
    /* Relocation in xAPIC mode. */
    assert_int_equal(vlapic_apic_base_write(&l, 0xfed00000 | VLAPIC_BASE_EN), 0);
    assert_int_equal(vlapic_apic_base_read(&l), 0xfed00000 | VLAPIC_BASE_EN);
    to_x2apic(&l);
    assert_true(vlapic_x2apic_mode(&l));
    /* x2APIC -> xAPIC directly is illegal; through disabled it is fine. */
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EN), -EPERM);
    assert_int_equal(vlapic_apic_base_write(&l, b), 0);
    assert_false(vlapic_x2apic_mode(&l));
    assert_int_equal(rd(&l, 0x20), 0);          /* disabled: no MMIO */
    /* Disabled -> x2APIC is illegal. */
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EN | VLAPIC_BASE_EXTD), -EPERM);
    assert_int_equal(vlapic_apic_base_write(&l, b | VLAPIC_BASE_EN), 0);
    /* Disabling reset the registers. */
    assert_int_equal(rd(&l, 0xf0), 0xff);
    assert_int_equal(rd(&l, 0xd0), 0);
    assert_int_equal(rd(&l, 0x20), 9u << 24);
}

static void test_hw_disabled_accepts_nothing(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    assert_int_equal(vlapic_apic_base_write(&l, VLAPIC_DEFAULT_BASE), 0);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x40, false);
    vlapic_accept(&l, VLAPIC_DM_NMI, 0, false);
    assert_false(vlapic_take_nmi(&l));
    assert_int_equal(vlapic_pending_irq(&l), -1);
}

/* --- priority, acceptance, EOI ------------------------------------------------------------- */

static void test_tpr_ppr_classes(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x45, false);
    wr(&l, 0x80, 0x40);                         /* same class: blocked */
    assert_int_equal(vlapic_pending_irq(&l), -1);
    wr(&l, 0x80, 0x3f);                         /* sub-class bits do not matter */
    assert_int_equal(vlapic_pending_irq(&l), 0x45);
    wr(&l, 0x80, 0x4f);
    assert_int_equal(vlapic_pending_irq(&l), -1);
    wr(&l, 0x80, 0);
    assert_int_equal(vlapic_pending_irq(&l), 0x45);
    vlapic_ack(&l, 0x45);
    assert_int_equal(rd(&l, 0xa0), 0x40);       /* PPR = ISRV class */
    wr(&l, 0x80, 0x32);
    assert_int_equal(rd(&l, 0xa0), 0x40);
    wr(&l, 0x80, 0x52);
    assert_int_equal(rd(&l, 0xa0), 0x52);       /* PPR = TPR when its class is higher */
    wr(&l, 0x80, 0x47);
    assert_int_equal(rd(&l, 0xa0), 0x47);       /* equal classes: TPR */
    /* In-service 0x45 blocks 0x4x but not 0x5x. */
    wr(&l, 0x80, 0);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x4a, false);
    assert_int_equal(vlapic_pending_irq(&l), -1);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x50, false);
    assert_int_equal(vlapic_pending_irq(&l), 0x50);
}

static void test_nested_irr_isr_eoi(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x30, false);
    vlapic_accept(&l, VLAPIC_DM_LOWPRI, 0x31, false);
    assert_int_equal(rd(&l, 0x210), (1u << 16) | (1u << 17));   /* IRR 0x20-0x3f */
    assert_int_equal(vlapic_pending_irq(&l), 0x31);
    vlapic_ack(&l, 0x31);
    assert_int_equal(rd(&l, 0x110), 1u << 17);
    assert_int_equal(vlapic_pending_irq(&l), -1);   /* 0x30 is the same class */
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x80, false);
    assert_int_equal(vlapic_pending_irq(&l), 0x80);  /* nests */
    vlapic_ack(&l, 0x80);
    assert_int_equal(rd(&l, 0xa0), 0x80);
    wr(&l, 0xb0, 0);                            /* retires 0x80 first */
    assert_int_equal(rd(&l, 0x180), 0);
    assert_int_equal(rd(&l, 0x110), 1u << 17);
    assert_int_equal(rd(&l, 0xa0), 0x30);
    wr(&l, 0xb0, 0);
    assert_int_equal(vlapic_pending_irq(&l), 0x30);
    vlapic_ack(&l, 0x30);
    wr(&l, 0xb0, 0);
    wr(&l, 0xb0, 0);                            /* spurious EOI: nothing in service */
    for (uint32_t off = 0x100; off < 0x280; off += 0x10)
        assert_int_equal(rd(&l, off), 0);
    assert_int_equal(fk.nr_eois, 0);
    vlapic_ack(&l, 0x99);                       /* not requested: ignored */
    assert_int_equal(rd(&l, 0x190), 0);
}

static void test_eoi_broadcast_level_only(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x61, true);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x72, false);
    assert_int_equal(rd(&l, 0x1b0), 1u << 1);   /* TMR 0x60-0x7f */
    vlapic_ack(&l, 0x72);
    vlapic_ack(&l, 0x61);
    wr(&l, 0xb0, 0);
    assert_int_equal(fk.nr_eois, 0);
    wr(&l, 0xb0, 0);
    assert_int_equal(fk.nr_eois, 1);
    assert_int_equal(fk.eois[0], 0x61);
    /* An edge message for the same vector clears TMR. */
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x61, false);
    assert_int_equal(rd(&l, 0x1b0), 0);
}

static void test_accept_events_and_sw_disable(void **state)
{
    struct vlapic l;
    uint8_t v = 0;

    vlapic_init(&l, &env, 0, true);             /* software-disabled */
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x40, false);
    assert_int_equal(rd(&l, 0x220), 0);
    vlapic_accept(&l, VLAPIC_DM_NMI, 0, false);
    vlapic_accept(&l, VLAPIC_DM_INIT, 0, true);
    vlapic_accept(&l, VLAPIC_DM_SIPI, 0x12, false);
    vlapic_accept(&l, VLAPIC_DM_EXTINT, 0, false);
    vlapic_accept(&l, VLAPIC_DM_SMI, 0, false);
    assert_int_equal(l.s.events, VLAPIC_EV_ALL);
    assert_true(vlapic_take_nmi(&l));
    assert_false(vlapic_take_nmi(&l));
    assert_true(vlapic_take_init(&l));
    assert_false(vlapic_take_init(&l));
    assert_true(vlapic_take_sipi(&l, &v));
    assert_int_equal(v, 0x12);
    assert_false(vlapic_take_sipi(&l, &v));
    assert_true(vlapic_take_extint(&l));
    assert_false(vlapic_take_extint(&l));
    /* Held IRR bits are not delivered while software-disabled. */
    wr(&l, 0xf0, 0x1ff);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 0x40, false);
    wr(&l, 0xf0, 0xff);
    assert_int_equal(vlapic_pending_irq(&l), -1);
    wr(&l, 0xf0, 0x1ff);
    assert_int_equal(vlapic_pending_irq(&l), 0x40);
}

static void test_illegal_vectors_and_error_lvt(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x370, 0xe3);                        /* error LVT, vector 0xe3 */
    vlapic_accept(&l, VLAPIC_DM_FIXED, 15, false);
    assert_int_equal(rd(&l, 0x200), 0);
    assert_int_equal(vlapic_pending_irq(&l), 0xe3);
    wr(&l, 0x300, 0x40f);                       /* NMI: vector is ignored, no error */
    wr(&l, 0x300, 0x10f);                       /* lowest priority with vector 15 */
    assert_int_equal(fk.nr_ipis, 1);
    assert_int_equal(fk.ipis[0].dm, VLAPIC_DM_NMI);
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), VLAPIC_ESR_SEND_ILLEGAL | VLAPIC_ESR_RECV_ILLEGAL);
    /* An illegal error vector only logs. */
    wr(&l, 0x370, 0x03);
    vlapic_accept(&l, VLAPIC_DM_FIXED, 1, false);
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), VLAPIC_ESR_RECV_ILLEGAL);
    assert_int_equal(rd(&l, 0x200), 0);
}

/* --- ICR ----------------------------------------------------------------------------------- */

static void test_icr_delivery_modes(void **state)
{
    static const struct { uint32_t lo; bool sent; uint8_t dm; bool assert; } cases[] = {
        { 0x00040, true, VLAPIC_DM_FIXED, false },
        { 0x04141, true, VLAPIC_DM_LOWPRI, true },
        { 0x00242, false, 0, false },            /* SMI: ignored */
        { 0x00343, false, 0, false },            /* reserved */
        { 0x00400, true, VLAPIC_DM_NMI, false },
        { 0x04500, true, VLAPIC_DM_INIT, true },
        { 0x0c500, true, VLAPIC_DM_INIT, true },  /* INIT assert, level-triggered */
        { 0x08500, false, 0, false },            /* INIT level de-assert */
        { 0x00500, true, VLAPIC_DM_INIT, false },
        { 0x0069a, true, VLAPIC_DM_SIPI, false },
        { 0x00700, false, 0, false },            /* ExtINT is not an IPI */
    };
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x310, 0x05000000);
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        fk.nr_ipis = 0;
        wr(&l, 0x300, cases[i].lo | (1u << 12));  /* delivery status: read-only */
        assert_int_equal(rd(&l, 0x300), cases[i].lo);
        assert_int_equal(fk.nr_ipis, cases[i].sent);
        if (!cases[i].sent)
            continue;
        assert_int_equal(fk.ipis[0].dest, 5);
        assert_int_equal(fk.ipis[0].dm, cases[i].dm);
        assert_int_equal(fk.ipis[0].vector, cases[i].lo & 0xff);
        assert_int_equal(fk.ipis[0].assert, cases[i].assert);
        assert_false(fk.ipis[0].logical);
        assert_int_equal(fk.ipis[0].shorthand, VLAPIC_SH_NONE);
    }
    wr(&l, 0x280, 0);
    assert_int_equal(rd(&l, 0x280), 0);
}

static void test_icr_shorthands_and_dest_mode(void **state)
{
    struct vlapic l;

    new_lapic(&l, 2);
    wr(&l, 0x310, 0xf3000000);
    for (uint8_t sh = 0; sh < 4; sh++) {
        fk.nr_ipis = 0;
        wr(&l, 0x300, 0x800 | ((uint32_t)sh << 18) | 0x55);
        assert_int_equal(fk.nr_ipis, 1);
        assert_int_equal(fk.ipis[0].shorthand, sh);
        assert_true(fk.ipis[0].logical);
        assert_int_equal(fk.ipis[0].dest, 0xf3);
        assert_int_equal(fk.ipis[0].vector, 0x55);
    }
    /* Reserved ICR bits are dropped. */
    wr(&l, 0x300, 0xfffff055);
    assert_int_equal(rd(&l, 0x300), 0xcc055);
}

/* --- destinations -------------------------------------------------------------------------- */

static void test_match_physical(void **state)
{
    struct vlapic l;

    new_lapic(&l, 6);
    assert_true(vlapic_match_dest(&l, 6, false));
    assert_false(vlapic_match_dest(&l, 7, false));
    assert_true(vlapic_match_dest(&l, 0xff, false));
    to_x2apic(&l);
    assert_true(vlapic_match_dest(&l, 6, false));
    assert_false(vlapic_match_dest(&l, 0xff, false));
    assert_true(vlapic_match_dest(&l, 0xffffffffu, false));
}

static void test_match_logical_flat(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0xd0, 0x24000000);                   /* logical ID bits 2 and 5 */
    assert_true(vlapic_match_dest(&l, 0x04, true));
    assert_true(vlapic_match_dest(&l, 0x21, true));
    assert_false(vlapic_match_dest(&l, 0x41, true));
    assert_true(vlapic_match_dest(&l, 0xff, true));
    wr(&l, 0xd0, 0);
    assert_false(vlapic_match_dest(&l, 0x7f, true));
    assert_true(vlapic_match_dest(&l, 0xff, true));     /* broadcast */
}

static void test_match_logical_cluster(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0xe0, 0x0fffffff);
    wr(&l, 0xd0, 0x32000000);                   /* cluster 3, member bit 1 */
    assert_true(vlapic_match_dest(&l, 0x32, true));
    assert_true(vlapic_match_dest(&l, 0x3f, true));
    assert_false(vlapic_match_dest(&l, 0x31, true));
    assert_false(vlapic_match_dest(&l, 0x22, true));
    assert_true(vlapic_match_dest(&l, 0xff, true));
}

static void test_match_logical_x2apic(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0x35);                        /* cluster 3, member 5 */
    to_x2apic(&l);
    assert_int_equal(msr(&l, 0x80d), 0x30020);
    assert_true(vlapic_match_dest(&l, 0x30020, true));
    assert_true(vlapic_match_dest(&l, 0x3ffff, true));
    assert_false(vlapic_match_dest(&l, 0x30010, true));
    assert_false(vlapic_match_dest(&l, 0x20020, true));
    assert_true(vlapic_match_dest(&l, 0xffffffffu, true));
    /* LDR is read-only and survives INIT. */
    assert_int_equal(vlapic_msr_write(&l, 0x80d, 0), -EPERM);
    vlapic_reset(&l);
    assert_int_equal(msr(&l, 0x80d), 0x30020);
}

/* --- timer --------------------------------------------------------------------------------- */

static void test_timer_oneshot(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    fk.now = 1000;
    wr(&l, 0x3e0, 0x1);                         /* divide by 4 */
    wr(&l, 0x320, 0x30);
    wr(&l, 0x380, 100);
    assert_int_equal(vlapic_next_event(&l), 1000 + 400);
    fk.now = 1000 + 39;
    assert_int_equal(rd(&l, 0x390), 91);
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), -1);
    fk.now = 1400;
    assert_int_equal(rd(&l, 0x390), 0);
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), 0x30);
    assert_int_equal(vlapic_next_event(&l), VDEV_NO_EVENT);
    assert_int_equal(rd(&l, 0x380), 100);
    /* Writing 0 stops a running count. */
    wr(&l, 0x380, 10);
    wr(&l, 0x380, 0);
    assert_int_equal(vlapic_next_event(&l), VDEV_NO_EVENT);
    assert_int_equal(rd(&l, 0x390), 0);
}

static void test_timer_periodic_divides(void **state)
{
    static const struct { uint32_t dcr; unsigned int div; } divs[] = {
        { 0xb, 1 }, { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 }, { 0x9, 64 },
        { 0xa, 128 },
    };
    struct vlapic l;

    for (unsigned int i = 0; i < ARRAY_SIZE(divs); i++) {
        uint64_t p = 10ull * divs[i].div;

        new_lapic(&l, 0);
        fk.now = 5000;
        wr(&l, 0x3e0, divs[i].dcr);
        wr(&l, 0x320, 0x20040);
        wr(&l, 0x380, 10);
        assert_int_equal(vlapic_next_event(&l), 5000 + p);
        fk.now = 5000 + p - 1;
        assert_int_equal(rd(&l, 0x390), 1);
        fk.now = 5000 + p;
        assert_int_equal(rd(&l, 0x390), 10);
        vlapic_update(&l);
        assert_int_equal(vlapic_pending_irq(&l), 0x40);
        assert_int_equal(vlapic_next_event(&l), 5000 + 2 * p);
        vlapic_ack(&l, 0x40);
        wr(&l, 0xb0, 0);
        fk.now = 5000 + 2 * p;
        vlapic_update(&l);
        assert_int_equal(vlapic_pending_irq(&l), 0x40);
    }
}

static void test_timer_periodic_missed_ticks(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x3e0, 0xb);
    wr(&l, 0x320, 0x20040);
    wr(&l, 0x380, 100);
    fk.now = 1050;                              /* ten periods late */
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), 0x40);
    assert_int_equal(popcount256(l.s.irr), 1);
    assert_int_equal(vlapic_next_event(&l), 1100);
    assert_int_equal(rd(&l, 0x390), 50);
    vlapic_ack(&l, 0x40);
    assert_int_equal(vlapic_pending_irq(&l), -1);
}

static void test_timer_masked(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x3e0, 0xb);
    wr(&l, 0x320, 0x30040);                     /* periodic, masked */
    wr(&l, 0x380, 100);
    fk.now = 250;
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), -1);
    assert_int_equal(vlapic_next_event(&l), 300);   /* still reloads */
    wr(&l, 0x320, 0x20040);
    fk.now = 300;
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), 0x40);
    /* Masked one-shot expires silently. */
    new_lapic(&l, 0);
    fk.now = 0;
    wr(&l, 0x320, 0x10041);
    wr(&l, 0x380, 8);
    fk.now = 100;
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), -1);
    assert_int_equal(vlapic_next_event(&l), VDEV_NO_EVENT);
}

static void test_timer_divide_latched_at_load(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x3e0, 0xb);
    wr(&l, 0x320, 0x20040);
    wr(&l, 0x380, 100);
    wr(&l, 0x3e0, 0x0);                         /* divide by 2 from the next period */
    assert_int_equal(vlapic_next_event(&l), 100);
    fk.now = 100;
    vlapic_update(&l);
    assert_int_equal(vlapic_next_event(&l), 300);
}

/* A divider change, then an update several periods late: the reload at the first missed
 * boundary takes the new divider, so one interrupt stands for all the missed periods and the
 * next event is ahead (found by fuzz_vdev: it was in the past, so the timer fired again). */
static void test_timer_divide_change_missed_ticks(void **state)
{
    struct vlapic l;

    new_lapic(&l, 0);
    wr(&l, 0x3e0, 0x3);                         /* divide by 16: a period of 1600 ns */
    wr(&l, 0x320, 0x20040);
    wr(&l, 0x380, 100);
    wr(&l, 0x3e0, 0xb);                         /* divide by 1 from the next period */
    fk.now = 1600 + 1450;
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), 0x40);
    assert_int_equal(popcount256(l.s.irr), 1);
    assert_int_equal(vlapic_next_event(&l), 3100);
    assert_int_equal(rd(&l, 0x390), 50);
    vlapic_ack(&l, 0x40);
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), -1);
}

static void test_tsc_deadline(void **state)
{
    struct vlapic l;
    uint64_t v;

    new_lapic(&l, 0);
    fk.now = 1000;
    fk.tsc = 10000;
    assert_int_equal(vlapic_tsc_deadline_write(&l, 20000), 0);     /* ignored: one-shot */
    assert_int_equal(vlapic_tsc_deadline_read(&l, &v), 0);
    assert_int_equal(v, 0);
    wr(&l, 0x380, 50);
    wr(&l, 0x320, 0x40050);                     /* switching mode disarms the count */
    assert_int_equal(rd(&l, 0x380), 0);
    wr(&l, 0x380, 50);                          /* ignored in TSC-deadline mode */
    assert_int_equal(rd(&l, 0x380), 0);
    assert_int_equal(rd(&l, 0x390), 0);
    assert_int_equal(vlapic_next_event(&l), VDEV_NO_EVENT);
    /* 2 GHz TSC: 2,000,001 cycles are 1,000,000.5 ns, rounded up. */
    assert_int_equal(vlapic_tsc_deadline_write(&l, 10000 + 2000001), 0);
    assert_int_equal(vlapic_tsc_deadline_read(&l, &v), 0);
    assert_int_equal(v, 10000 + 2000001);
    assert_int_equal(vlapic_next_event(&l), 1000 + 1000001);
    fk.tsc = 10000 + 2000000;
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), -1);
    fk.tsc = 10000 + 2000001;
    assert_int_equal(vlapic_next_event(&l), 1000);
    vlapic_update(&l);
    assert_int_equal(vlapic_pending_irq(&l), 0x50);
    assert_int_equal(vlapic_tsc_deadline_read(&l, &v), 0);
    assert_int_equal(v, 0);                     /* cleared on expiry */
    assert_int_equal(vlapic_next_event(&l), VDEV_NO_EVENT);
    /* Far deadlines saturate instead of wrapping. */
    assert_int_equal(vlapic_tsc_deadline_write(&l, UINT64_MAX), 0);
    assert_true(vlapic_next_event(&l) > 1000 && vlapic_next_event(&l) < VDEV_NO_EVENT);
    /* Leaving TSC-deadline mode disarms it. */
    wr(&l, 0x320, 0x50);
    wr(&l, 0x320, 0x40050);
    assert_int_equal(vlapic_tsc_deadline_read(&l, &v), 0);
    assert_int_equal(v, 0);
}

static void test_tsc_deadline_not_offered(void **state)
{
    struct vlapic l;
    uint64_t v;

    vlapic_init(&l, &env_no_deadline, 0, true);
    assert_int_equal(vlapic_tsc_deadline_read(&l, &v), -EPERM);
    assert_int_equal(vlapic_tsc_deadline_write(&l, 1), -EPERM);
    wr(&l, 0xf0, 0x1ff);
    to_x2apic(&l);
    assert_int_equal(vlapic_msr_write(&l, 0x832, 0x40040), -EPERM);
}

/* Save and load through the byte record, with the state exposed for tampering. */
static void save_state(const struct vlapic *d, struct vlapic_state *s)
{
    uint8_t buf[VLAPIC_SAVE_SIZE + 1];

    assert_int_equal(vlapic_save(d, buf, VLAPIC_SAVE_SIZE - 1), 0);
    assert_int_equal(vlapic_save(d, buf, sizeof(buf)), VLAPIC_SAVE_SIZE);
    memcpy(s, buf + 8, sizeof(*s));
}

static int load_state(struct vlapic *d, const struct vlapic_state *s)
{
    uint32_t hdr[2] = { VLAPIC_SAVE_MAGIC, VLAPIC_SAVE_VERSION };
    uint8_t buf[VLAPIC_SAVE_SIZE];

    memcpy(buf, hdr, sizeof(hdr));
    memcpy(buf + 8, s, sizeof(*s));
    return vlapic_load(d, buf, sizeof(buf));
}

/* A record with a wrong magic, version or length is refused whole. */
static void test_save_record_header(void **state)
{
    struct vlapic a, b, before;
    uint8_t buf[VLAPIC_SAVE_SIZE + 4];

    memset(&a, 0, sizeof(a));
    vlapic_init(&a, &env, 1, false);
    vlapic_init(&b, &env, 2, false);
    before = b;
    assert_int_equal(vlapic_save(&a, buf, sizeof(buf)), VLAPIC_SAVE_SIZE);
    assert_int_equal(vlapic_load(&b, buf, VLAPIC_SAVE_SIZE - 1), -EINVAL);
    assert_int_equal(vlapic_load(&b, buf, VLAPIC_SAVE_SIZE + 4), -EINVAL);
    buf[0] ^= 1;
    assert_int_equal(vlapic_load(&b, buf, VLAPIC_SAVE_SIZE), -EINVAL);
    buf[0] ^= 1;
    buf[4] ^= 2;
    assert_int_equal(vlapic_load(&b, buf, VLAPIC_SAVE_SIZE), -EINVAL);
    assert_memory_equal(&b.s, &before.s, sizeof(b.s));
    buf[4] ^= 2;
    assert_int_equal(vlapic_load(&b, buf, VLAPIC_SAVE_SIZE), 0);
    assert_memory_equal(&b.s, &a.s, sizeof(b.s));
}

/* --- save/load ----------------------------------------------------------------------------- */

static void busy_lapic(struct vlapic *l)
{
    new_lapic(l, 4);
    wr(l, 0x80, 0x20);
    wr(l, 0xd0, 0x10000000);
    wr(l, 0x320, 0x20040);
    wr(l, 0x3e0, 0x3);
    wr(l, 0x380, 1000);
    vlapic_accept(l, VLAPIC_DM_FIXED, 0x51, true);
    vlapic_accept(l, VLAPIC_DM_FIXED, 0x62, false);
    vlapic_ack(l, 0x62);
    vlapic_accept(l, VLAPIC_DM_NMI, 0, false);
    wr(l, 0x300, 0x3);
}

static void test_save_load_round_trip(void **state)
{
    struct vlapic a, b;
    struct vlapic_state s;

    busy_lapic(&a);
    save_state(&a, &s);
    vlapic_init(&b, &env, 0, false);
    assert_int_equal(load_state(&b, &s), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(s));
    fk.now = 123456;
    assert_int_equal(rd(&a, 0x390), rd(&b, 0x390));
    assert_int_equal(vlapic_next_event(&a), vlapic_next_event(&b));
    assert_int_equal(vlapic_pending_irq(&b), -1);
    to_x2apic(&a);
    save_state(&a, &s);
    assert_int_equal(load_state(&b, &s), 0);
    assert_int_equal(msr(&b, 0x80d), 0x10);
}

/* A loaded count that started near the end of 64-bit nanoseconds: the next event is the last
 * representable time, not a wrapped one in the past that the glue would re-arm its timer for
 * over and over (found by fuzz_vdev). */
static void test_load_count_far_off(void **state)
{
    struct vlapic a, b;
    struct vlapic_state s;

    busy_lapic(&a);
    save_state(&a, &s);
    s.timer_load_ns = UINT64_MAX - 5;
    vlapic_init(&b, &env, 0, false);
    assert_int_equal(load_state(&b, &s), 0);
    fk.now = 1000000;
    vlapic_update(&b);
    assert_int_equal(vlapic_next_event(&b), VDEV_NO_EVENT - 1);
    assert_int_equal(rd(&b, 0x390), 1000);
}

/* Each corruption must be refused and leave the device untouched. */
static void test_load_rejects_corrupt(void **state)
{
    struct vlapic a, b, before;
    struct vlapic_state good, s;

    busy_lapic(&a);
    save_state(&a, &good);
#define BAD(stmt) do { s = good; stmt; vlapic_init(&b, &env, 1, false); before = b; \
        assert_int_equal(load_state(&b, &s), -EINVAL); \
        assert_memory_equal(&b.s, &before.s, sizeof(b.s)); } while (0)
    BAD(s.apic_base |= 1);
    BAD(s.apic_base |= 1ull << 60);
    BAD(s.apic_base = VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EXTD);
    BAD(s.apic_base |= VLAPIC_BASE_EXTD);          /* x2APIC with an xAPIC LDR */
    BAD(s.ldr |= 1);
    BAD(s.icr_hi = 1);
    BAD(s.tpr = 0x100);
    BAD(s.dfr = 0);
    BAD(s.svr |= 1u << 12);
    BAD(s.esr = 1);
    BAD(s.esr_pending = 1u << 31);
    BAD(s.icr_lo |= 1u << 12);
    BAD(s.lvt[VLAPIC_LVT_ERROR] |= 0x700);
    BAD(s.lvt[VLAPIC_LVT_TIMER] |= 3u << 17);
    BAD(s.tsc_deadline = 5);                        /* not in TSC-deadline mode */
    BAD(s.svr &= ~0x100u);                          /* disabled with unmasked LVTs */
    BAD(s.irr[0] = 1);
    BAD(s.isr[0] = 1u << 15);
    BAD(s.tmr[0] = 1u << 3);
    BAD(s.timer_dcr = 4);
    BAD(s.timer_armed = 2);
    BAD(s.timer_shift = 8);
    BAD(s.timer_icr = 0);
    BAD(s.events = 0x10);
    BAD(s.lvt[VLAPIC_LVT_TIMER] = 0x40040; s.timer_armed = 1);
#undef BAD
    vlapic_init(&b, &env_no_deadline, 1, false);
    s = good;
    s.lvt[VLAPIC_LVT_TIMER] = 0x40040;
    s.timer_armed = 0;
    s.timer_icr = 0;
    assert_int_equal(load_state(&b, &s), -EINVAL);
    vlapic_init(&b, &env, 1, false);
    assert_int_equal(load_state(&b, &s), 0);
}

/* --- random -------------------------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* One random operation; returns +1 for an ack that moved a vector into ISR, -1 for an EOI that
 * retired one, else 0, so the caller can track how many vectors should be in service. */
static int random_op(struct vlapic *l)
{
    uint64_t r = rng(), v = rng();
    int irq, before = popcount256(l->s.isr);

    switch (r % 10) {
    case 0: wr(l, (v % 0x110) * 0x10, (uint32_t)(v >> 20)); break;
    case 1: vlapic_mmio_read(l, (uint32_t)(v >> 8) % 0x1100, (r >> 8) % 9); break;
    case 2: vlapic_msr_write(l, 0x7f0 + (uint32_t)(v % 0x120), rng()); break;
    case 3: { uint64_t x; vlapic_msr_read(l, 0x800 + (uint32_t)(v % 0x100), &x); break; }
    case 4: vlapic_accept(l, v & 7, (uint8_t)(v >> 8), (v >> 16) & 1); break;
    case 5:
        irq = vlapic_pending_irq(l);
        if (irq >= 0)
            vlapic_ack(l, irq);
        break;
    case 6: vlapic_mmio_write(l, 0xb0, 4, 0); vlapic_msr_write(l, 0x80b, 0); break;
    case 7: fk.now += v % 5000; fk.tsc += (v >> 32) % 10000; vlapic_update(l); break;
    case 8: {
        static const uint64_t modes[] = { 0, VLAPIC_BASE_EN, VLAPIC_BASE_EN | VLAPIC_BASE_EXTD,
                                          VLAPIC_BASE_EN | VLAPIC_BASE_EXTD };
        vlapic_apic_base_write(l, v & 4 ? v : VLAPIC_DEFAULT_BASE | modes[v & 3]);
        break;
    }
    default: vlapic_tsc_deadline_write(l, fk.tsc + v % 20000); break;
    }
    return popcount256(l->s.isr) - before;
}

static void test_random_ops(void **state)
{
    struct vlapic l, copy;
    struct vlapic_state s;
    int in_service = 0, most = 0, x2_steps = 0;

    rng_state = 0x9e3779b97f4a7c15ull;
    new_lapic(&l, 1);
    for (int i = 0; i < 200000; i++) {
        uint64_t base_before = l.s.apic_base;
        int d = random_op(&l);

        /* Going disabled resets ISR; otherwise it changes by one acked or retired vector. */
        if (!(l.s.apic_base & VLAPIC_BASE_EN) && (base_before & VLAPIC_BASE_EN)) {
            in_service = 0;
        } else {
            assert_true(d >= -1 && d <= 1);
            in_service += d;
        }
        assert_int_equal(popcount256(l.s.isr), in_service);
        most = MAX(most, in_service);
        x2_steps += vlapic_x2apic_mode(&l);
        assert_int_equal(l.s.irr[0] & 0xffff, 0);
        save_state(&l, &s);
        vlapic_init(&copy, &env, 0, false);
        assert_int_equal(load_state(&copy, &s), 0);
        if (!(l.s.apic_base & VLAPIC_BASE_EN) && i % 7 == 0)
            vlapic_apic_base_write(&l, VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EN);
        if (!(l.s.svr & 0x100) && i % 5 == 0)
            wr(&l, 0xf0, 0x1ff);
    }
    /* The run did reach nesting and x2APIC mode. */
    assert_true(most >= 3);
    assert_true(x2_steps > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_power_on_state, setup),
        cmocka_unit_test_setup(test_xapic_register_semantics, setup),
        cmocka_unit_test_setup(test_xapic_lvt_masks, setup),
        cmocka_unit_test_setup(test_mmio_odd_accesses, setup),
        cmocka_unit_test_setup(test_esr_write_then_read, setup),
        cmocka_unit_test_setup(test_sw_disable_masks_lvts, setup),
        cmocka_unit_test_setup(test_reset_is_init, setup),
        cmocka_unit_test_setup(test_x2apic_register_semantics, setup),
        cmocka_unit_test_setup(test_x2apic_gp_cases, setup),
        cmocka_unit_test_setup(test_x2apic_icr_and_self_ipi, setup),
        cmocka_unit_test_setup(test_apic_base_transitions, setup),
        cmocka_unit_test_setup(test_hw_disabled_accepts_nothing, setup),
        cmocka_unit_test_setup(test_tpr_ppr_classes, setup),
        cmocka_unit_test_setup(test_nested_irr_isr_eoi, setup),
        cmocka_unit_test_setup(test_eoi_broadcast_level_only, setup),
        cmocka_unit_test_setup(test_accept_events_and_sw_disable, setup),
        cmocka_unit_test_setup(test_illegal_vectors_and_error_lvt, setup),
        cmocka_unit_test_setup(test_icr_delivery_modes, setup),
        cmocka_unit_test_setup(test_icr_shorthands_and_dest_mode, setup),
        cmocka_unit_test_setup(test_match_physical, setup),
        cmocka_unit_test_setup(test_match_logical_flat, setup),
        cmocka_unit_test_setup(test_match_logical_cluster, setup),
        cmocka_unit_test_setup(test_match_logical_x2apic, setup),
        cmocka_unit_test_setup(test_timer_oneshot, setup),
        cmocka_unit_test_setup(test_timer_periodic_divides, setup),
        cmocka_unit_test_setup(test_timer_periodic_missed_ticks, setup),
        cmocka_unit_test_setup(test_timer_masked, setup),
        cmocka_unit_test_setup(test_timer_divide_latched_at_load, setup),
        cmocka_unit_test_setup(test_timer_divide_change_missed_ticks, setup),
        cmocka_unit_test_setup(test_tsc_deadline, setup),
        cmocka_unit_test_setup(test_tsc_deadline_not_offered, setup),
        cmocka_unit_test_setup(test_save_load_round_trip, setup),
        cmocka_unit_test_setup(test_save_record_header, setup),
        cmocka_unit_test_setup(test_load_rejects_corrupt, setup),
        cmocka_unit_test_setup(test_load_count_far_off, setup),
        cmocka_unit_test_setup(test_random_ops, setup),
    };

    return cmocka_run_group_tests_name("vlapic", tests, NULL, NULL);
}
