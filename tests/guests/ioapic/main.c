/*
 * The IOAPIC at 0xfec00000 end to end: its registers (version, ID, arbitration, the 24
 * redirection entries), masking, edge delivery of the RTC's IRQ 8 on pin 8, physical, logical
 * flat and logical cluster destinations, and level delivery of the ACPI SCI on pin 9: remote
 * IRR, one message per assertion until the EOI, re-delivery while the line stays asserted, the
 * version 0x20 EOI register, and the polarity bit as Keel implements it.
 */
#include "intc.h"

#define PIN_RTC 8
#define PIN_SCI 9
#define PIN_SPARE 23                    /* nothing drives it */
#define VEC_RTC 0x28
#define VEC_SCI 0x29
#define LEVEL_SCI (RTE_LEVEL | VEC_SCI) /* fixed, physical to APIC 0, active high */
/* 82093AA: delivery status (12) and remote IRR (14) are read-only, bits 17-55 reserved. */
#define RTE_LO_WRITABLE 0x0001afffu
#define RTE_HI_WRITABLE 0xff000000u

static volatile bool hook_eoi;          /* the handler EOIs the local APIC */
static volatile bool last_tmr;          /* the APIC's TMR bit for the vector, in the handler */
static volatile unsigned int sci_stop_after;    /* delivery at which the handler clears TMR_STS */

static void hook(uint8_t vector)
{
    last_tmr = apic_vector_bit(APIC_TMR, vector);
    if (vector == VEC_SCI && sci_stop_after && intc_hits(VEC_SCI) >= sci_stop_after)
        sci_clear_status();
    if (hook_eoi)
        apic_eoi();
}

static void eoir(uint8_t vector)
{
    *(volatile uint32_t *)(IOAPIC_ADDR + IOAPIC_EOIR) = vector;
}

static void check_id_version(void)
{
    uint32_t ver = ioapic_read(IOAPIC_REG_VER), id0, id1, id2, arb1, arb2;

    report(ver == 0x00170020, "ioapic-version", "version register 0x%x (want 0x00170020: "
           "24 entries, version 0x20)", ver);
    ioapic_write(IOAPIC_REG_VER, 0);
    report(ioapic_read(IOAPIC_REG_VER) == ver, "ioapic-version-read-only", "reads 0x%x after a write",
           ioapic_read(IOAPIC_REG_VER));
    id0 = ioapic_read(IOAPIC_REG_ID);
    ioapic_write(IOAPIC_REG_ID, 0x0f000000);
    id1 = ioapic_read(IOAPIC_REG_ID);
    arb1 = ioapic_read(IOAPIC_REG_ARB);
    ioapic_write(IOAPIC_REG_ID, 0xffffffff);
    id2 = ioapic_read(IOAPIC_REG_ID);
    ioapic_write(IOAPIC_REG_ARB, 0x05000000);
    arb2 = ioapic_read(IOAPIC_REG_ARB);
    ioapic_write(IOAPIC_REG_ID, id0);
    /* Only ID bits 27:24 exist; the arbitration ID is loaded from the ID and is read-only. */
    report(id0 == 0 && id1 == 0x0f000000 && id2 == 0x0f000000 && ioapic_read(IOAPIC_REG_ID) == 0,
           "ioapic-id-rw", "ID 0x%x, then 0x%x and 0x%x", id0, id1, id2);
    report(arb1 == 0x0f000000 && arb2 == 0x0f000000, "ioapic-arbitration-id", "0x%x, 0x%x after a write",
           arb1, arb2);
}

static void check_entries(void)
{
    static const uint32_t lo[] = { 0xffffffff, 0x0001a5a5, 0x00015a5a, 0x00010000 };
    static const uint32_t hi[] = { 0xffffffff, 0x5a000000, 0x00a5a5a5, 0 };
    unsigned int bad = 0, pin;
    uint64_t e = 0;

    for (pin = 0; pin < 24 && !bad; pin++)
        if ((e = ioapic_rte(pin)) != RTE_MASKED)
            bad = pin + 1;
    report(!bad, "ioapic-entries-reset-masked", "pin %u reads 0x%lx", bad - 1, (unsigned long)e);
    for (unsigned int i = 0; i < ARRAY_SIZE(lo) && !bad; i++) {
        ioapic_write(IOAPIC_REG_RTE(PIN_SPARE), lo[i]);
        ioapic_write(IOAPIC_REG_RTE(PIN_SPARE) + 1, hi[i]);
        e = ioapic_rte(PIN_SPARE);
        if (e != ((uint64_t)(hi[i] & RTE_HI_WRITABLE) << 32 | (lo[i] & RTE_LO_WRITABLE)))
            bad = i + 1;
    }
    report(!bad, "ioapic-entry-read-back", "pattern %u reads 0x%lx", bad - 1, (unsigned long)e);
    ioapic_set_rte(PIN_SPARE, RTE_MASKED);
    /* Entry 24 (indices 0x40, 0x41) is past the maximum the version register gives. */
    ioapic_write(IOAPIC_REG_RTE(24), 0x0001ffff);
    ioapic_write(IOAPIC_REG_RTE(24) + 1, 0xff000000);
    report(ioapic_read(IOAPIC_REG_RTE(24)) == 0 && ioapic_read(IOAPIC_REG_RTE(24) + 1) == 0,
           "ioapic-no-entry-24", "indices 0x40/0x41 read 0x%x/0x%x", ioapic_read(IOAPIC_REG_RTE(24)),
           ioapic_read(IOAPIC_REG_RTE(24) + 1));
}

/* Deliveries of VEC_RTC for one RTC edge through entry e of pin 8, or -1 if no edge came. */
static int pulse_through(uint64_t e)
{
    ioapic_set_rte(PIN_RTC, e | VEC_RTC);
    intc_clear_log();
    if (!rtc_pulse())
        return -1;
    intc_take_pending();
    ioapic_set_rte(PIN_RTC, RTE_MASKED | VEC_RTC);
    return (int)intc_hits(VEC_RTC);
}

static void check_mask_and_edge(void)
{
    bool edge;

    hook_eoi = true;
    ioapic_set_rte(PIN_RTC, RTE_MASKED | VEC_RTC);
    intc_clear_log();
    edge = rtc_pulse();
    intc_take_pending();
    report(edge && intc_hits(VEC_RTC) == 0, "ioapic-masked-pin-silent", "edge %s, %u deliveries",
           edge ? "seen" : "missing", intc_hits(VEC_RTC));
    ioapic_set_rte(PIN_RTC, VEC_RTC);
    intc_take_pending();
    report(intc_hits(VEC_RTC) == 0, "ioapic-masked-edge-lost", "%u deliveries on unmasking",
           intc_hits(VEC_RTC));
    last_tmr = true;
    edge = rtc_pulse();
    intc_take_pending();
    report(edge && intc_hits(VEC_RTC) == 1 && intc_nseq == 1 && intc_seq[0] == VEC_RTC && !last_tmr,
           "ioapic-edge-delivery", "edge %s, %u deliveries (first vector 0x%x), TMR bit %u",
           edge ? "seen" : "missing", intc_nseq, intc_seq[0], last_tmr);
    ioapic_set_rte(PIN_RTC, RTE_MASKED | VEC_RTC);
}

static void check_destinations(void)
{
    int p0 = pulse_through(RTE_DEST(0)), p1 = pulse_through(RTE_DEST(1));
    int pf = pulse_through(RTE_DEST(0x0f)), pb = pulse_through(RTE_DEST(0xff));
    int f4, f6, fb, f0, ff, c21, c23, c11, c22, lp;

    report(p0 == 1 && p1 == 0 && pf == 0 && pb == 1, "ioapic-physical-destination",
           "deliveries to ID 0: %d, 1: %d, 0xf: %d, 0xff (broadcast): %d", p0, p1, pf, pb);
    apic_write(APIC_DFR, 0xffffffff);               /* flat model */
    apic_write(APIC_LDR, 0x04000000);               /* logical ID: bit 2 */
    f4 = pulse_through(RTE_LOGICAL | RTE_DEST(0x04));
    f6 = pulse_through(RTE_LOGICAL | RTE_DEST(0x06));
    fb = pulse_through(RTE_LOGICAL | RTE_DEST(0x0b));
    f0 = pulse_through(RTE_LOGICAL | RTE_DEST(0x00));
    ff = pulse_through(RTE_LOGICAL | RTE_DEST(0xff));
    lp = pulse_through(RTE_LOGICAL | RTE_DM(1) | RTE_DEST(0x04));  /* lowest priority */
    report(f4 == 1 && f6 == 1 && fb == 0 && f0 == 0 && ff == 1, "ioapic-logical-flat",
           "LDR 0x%x: deliveries to 0x04: %d, 0x06: %d, 0x0b: %d, 0x00: %d, 0xff: %d",
           apic_read(APIC_LDR), f4, f6, fb, f0, ff);
    report(lp == 1, "ioapic-lowest-priority", "%d deliveries", lp);
    apic_write(APIC_DFR, 0x0fffffff);               /* cluster model */
    apic_write(APIC_LDR, 0x21000000);               /* cluster 2, member bit 0 */
    c21 = pulse_through(RTE_LOGICAL | RTE_DEST(0x21));
    c23 = pulse_through(RTE_LOGICAL | RTE_DEST(0x23));
    c11 = pulse_through(RTE_LOGICAL | RTE_DEST(0x11));
    c22 = pulse_through(RTE_LOGICAL | RTE_DEST(0x22));
    report(apic_read(APIC_DFR) == 0x0fffffff && c21 == 1 && c23 == 1 && c11 == 0 && c22 == 0,
           "ioapic-logical-cluster", "DFR 0x%x: deliveries to 0x21: %d, 0x23: %d, 0x11: %d, 0x22: %d",
           apic_read(APIC_DFR), c21, c23, c11, c22);
    apic_write(APIC_DFR, 0xffffffff);
    apic_write(APIC_LDR, 0);
}

static bool sci_remote_irr(void)
{
    return ioapic_rte(PIN_SCI) & RTE_REMOTE_IRR;
}

/* The first SCI: delivered when unmasked, one message until the EOI, the EOI redelivers. */
static void check_level_delivery(void)
{
    bool irr;

    hook_eoi = false;
    intc_clear_log();
    sci_enable(true);                   /* the line is asserted, the entry still masked */
    intc_take_pending();
    report(intc_hits(VEC_SCI) == 0 && !sci_remote_irr(), "ioapic-level-masked-silent",
           "%u deliveries", intc_hits(VEC_SCI));
    last_tmr = false;
    ioapic_set_rte(PIN_SCI, LEVEL_SCI);
    intc_take_pending();
    report(intc_hits(VEC_SCI) == 1 && sci_remote_irr() && last_tmr, "ioapic-level-remote-irr",
           "%u deliveries, entry 0x%lx, TMR bit %u", intc_hits(VEC_SCI),
           (unsigned long)ioapic_rte(PIN_SCI), last_tmr);
    intc_take_pending();
    report(intc_hits(VEC_SCI) == 1 && !apic_vector_bit(APIC_IRR, VEC_SCI),
           "ioapic-level-one-message-until-eoi", "%u deliveries", intc_hits(VEC_SCI));
    eoir(VEC_SCI + 1);
    irr = apic_vector_bit(APIC_IRR, VEC_SCI);       /* a wrong EOI would have sent it again */
    report(sci_remote_irr() && !irr, "ioapic-eoir-other-vector", "remote IRR %u, APIC IRR %u",
           sci_remote_irr(), irr);
    apic_eoi();                         /* TMR set: the EOI reaches the IOAPIC */
    irr = apic_vector_bit(APIC_IRR, VEC_SCI);
    intc_take_pending();
    report(intc_hits(VEC_SCI) == 2 && irr && sci_remote_irr(), "ioapic-level-redelivered-after-eoi",
           "%u deliveries, APIC IRR %u", intc_hits(VEC_SCI), irr);
}

/* The EOI register, masking with remote IRR set, switching to edge, and the polarity bit. */
static void check_level_eoi_paths(void)
{
    bool rirr, isr;

    sci_enable(false);
    eoir(VEC_SCI);                      /* the vector is still in service at the APIC */
    rirr = sci_remote_irr();
    isr = apic_vector_bit(APIC_ISR, VEC_SCI);
    apic_eoi();
    intc_take_pending();
    report(!rirr && isr && intc_hits(VEC_SCI) == 2, "ioapic-eoir-clears-remote-irr",
           "remote IRR %u, APIC ISR %u, %u deliveries", rirr, isr, intc_hits(VEC_SCI));
    sci_enable(true);
    intc_take_pending();
    report(intc_hits(VEC_SCI) == 3 && sci_remote_irr(), "ioapic-level-assert-delivers",
           "%u deliveries", intc_hits(VEC_SCI));
    ioapic_set_rte(PIN_SCI, LEVEL_SCI | RTE_MASKED);
    apic_eoi();
    intc_take_pending();
    rirr = sci_remote_irr();
    ioapic_set_rte(PIN_SCI, LEVEL_SCI);
    intc_take_pending();
    report(!rirr && intc_hits(VEC_SCI) == 4, "ioapic-level-held-while-masked",
           "remote IRR %u after the EOI, %u deliveries after unmasking", rirr, intc_hits(VEC_SCI));
    /* Keel's policy: an entry switched to edge drops its remote IRR, so it cannot stay wedged. */
    ioapic_set_rte(PIN_SCI, VEC_SCI | RTE_MASKED);
    rirr = sci_remote_irr();
    apic_eoi();
    report(!rirr, "ioapic-edge-switch-clears-remote-irr", "remote IRR %u", rirr);
    /* The polarity bit is stored; Keel hands the IOAPIC its lines already active-high. */
    ioapic_set_rte(PIN_SCI, LEVEL_SCI | RTE_ACTIVE_LOW);
    intc_take_pending();
    rirr = (ioapic_rte(PIN_SCI) & RTE_ACTIVE_LOW) && intc_hits(VEC_SCI) == 5;
    sci_enable(false);
    apic_eoi();
    intc_take_pending();
    report(rirr && intc_hits(VEC_SCI) == 5, "ioapic-polarity-stored-not-applied",
           "entry 0x%lx, %u deliveries", (unsigned long)ioapic_rte(PIN_SCI), intc_hits(VEC_SCI));
    ioapic_set_rte(PIN_SCI, LEVEL_SCI | RTE_MASKED);
}

/* The handler EOIs without clearing TMR_STS twice, then clears it: exactly three deliveries. */
static void check_level_until_cleared(void)
{
    intc_clear_log();
    hook_eoi = true;
    sci_stop_after = 3;
    ioapic_set_rte(PIN_SCI, LEVEL_SCI);
    sci_enable(true);
    intc_take_pending();
    pm_delay_us(1000);
    intc_take_pending();
    sci_enable(false);
    report(intc_hits(VEC_SCI) == 3 && !(inw(PM1_STS) & PM_TMR_STS) && !sci_remote_irr(),
           "ioapic-level-until-status-cleared", "%u deliveries, PM1 status 0x%x", intc_hits(VEC_SCI),
           inw(PM1_STS));
    ioapic_set_rte(PIN_SCI, LEVEL_SCI | RTE_MASKED);
    sci_stop_after = 0;
}

static void check_level(void)
{
    bool sts;

    ioapic_set_rte(PIN_SCI, LEVEL_SCI | RTE_MASKED);
    sci_enable(false);
    sts = sci_wait_status(4000);
    report(sts, "pm-tmr-sts-sets", "TMR_STS %s within 4 s (it sets every 2.34 s)",
           sts ? "set" : "still clear");
    if (!sts)
        return;
    check_level_delivery();
    check_level_eoi_paths();
    check_level_until_cleared();
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    pic_init(0x30, 0x38);               /* all masked; LINT0 stays masked too */
    intc_setup();
    intc_hook = hook;
    check_id_version();
    check_entries();
    check_mask_and_edge();
    check_destinations();
    check_level();
}
