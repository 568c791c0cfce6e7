/*
 * What a broken or hostile guest may do to the interrupt controllers, and proof that its domain
 * still works afterwards: IOAPIC accesses of the wrong size, misaligned or across the end of the
 * page, writes to reserved registers, redirection entries with reserved delivery modes or an
 * illegal vector, 8259 initialisation sequences cut short, and interrupt floods: the PIT at its
 * fastest rate through both the IOAPIC and the PIC, the APIC timer with a 1 ns period (the
 * handler ends each flood after a while). The hypervisor's part (it carries on, and every page
 * of the domain comes back) is checked by the guest runner.
 */
#include "intc.h"

#define IOA(off) (IOAPIC_ADDR + (off))
#define PIN_PIT 2
#define PIN_RTC 8
#define PIN_SPARE 23
#define VEC_PIT_PIC 0x20
#define VEC_APIC_TIMER 0x2a
#define VEC_RTC_IOAPIC 0x2b
#define VEC_PIT_IOAPIC 0x2c
#define SPARE_ENTRY 0x00010055u         /* masked, fixed, vector 0x55 */
#define ESR_RECV_ILLEGAL (1u << 6)
#define FLOOD_MAX 300                   /* the handler ends a flood after this many interrupts */

static void hook(uint8_t vector)
{
    bool stop = intc_nseq >= FLOOD_MAX;

    if (vector == VEC_APIC_TIMER && stop)
        apic_write(APIC_LVT_TIMER, VEC_APIC_TIMER | APIC_LVT_MASKED);
    else if ((vector == VEC_PIT_PIC || vector == VEC_PIT_IOAPIC) && stop)
        pit_stop();
    if (vector == VEC_PIT_PIC)
        outb(PIC_M_CMD, PIC_EOI);
    else
        apic_eoi();
}

/* Register state a bad access must leave alone: IOREGSEL, ID, version and every entry. */
struct ioapic_snapshot {
    uint32_t sel, id, ver;
    uint64_t rte[24];
};

static void ioapic_snap(struct ioapic_snapshot *s)
{
    memset(s, 0, sizeof(*s));           /* the padding too: snapshots are compared whole */
    s->sel = mov_read32(IOA(IOAPIC_IOREGSEL));
    s->id = ioapic_read(IOAPIC_REG_ID);
    s->ver = ioapic_read(IOAPIC_REG_VER);
    for (unsigned int pin = 0; pin < 24; pin++)
        s->rte[pin] = ioapic_rte(pin);
    ioapic_write(IOAPIC_REG_RTE(PIN_SPARE), SPARE_ENTRY);   /* IOREGSEL back to where it was */
}

static bool ioapic_unchanged(const struct ioapic_snapshot *before)
{
    struct ioapic_snapshot now;

    ioapic_snap(&now);
    return !memcmp(before, &now, sizeof(now));
}

/* Keel's IOAPIC takes aligned 4-byte accesses at IOREGSEL, IOWIN and EOI only. */
static void check_access_sizes(void)
{
    struct ioapic_snapshot before;
    uint64_t b, w, q0, q1;

    ioapic_write(IOAPIC_REG_RTE(PIN_SPARE), SPARE_ENTRY);
    ioapic_snap(&before);
    b = mov_read8(IOA(IOAPIC_IOREGSEL));
    w = mov_read16(IOA(IOAPIC_IOWIN));
    q0 = mov_read64(IOA(IOAPIC_IOREGSEL));
    q1 = mov_read64(IOA(IOAPIC_IOWIN));
    report(b == 0 && w == 0 && q0 == 0 && q1 == 0, "ioapic-1-2-8-byte-reads-zero",
           "1 byte 0x%lx, 2 bytes 0x%lx, 8 bytes 0x%lx and 0x%lx", (unsigned long)b, (unsigned long)w,
           (unsigned long)q0, (unsigned long)q1);
    mov_write8(IOA(IOAPIC_IOREGSEL), 0x10);
    mov_write16(IOA(IOAPIC_IOREGSEL), 0x10);
    mov_write64(IOA(IOAPIC_IOREGSEL), 0x10);
    mov_write8(IOA(IOAPIC_IOWIN), 0xaa);
    mov_write16(IOA(IOAPIC_IOWIN), 0xaaaa);
    mov_write64(IOA(IOAPIC_IOWIN), 0xaaaaaaaaaaaaaaaaull);
    report(ioapic_unchanged(&before), "ioapic-1-2-8-byte-writes-dropped", "registers changed");
    b = mov_read32(IOA(0x01));
    w = mov_read32(IOA(0x12));
    mov_write32(IOA(0x01), 0x10);
    mov_write32(IOA(0x12), 0xffffffff);
    report(b == 0 && w == 0 && ioapic_unchanged(&before), "ioapic-misaligned-ignored",
           "reads 0x%lx and 0x%lx", (unsigned long)b, (unsigned long)w);
    /* 2 bytes of the IOAPIC (a 2-byte access: 0) and 2 of the hole above it (all ones). */
    q0 = mov_read32(IOA(0xffe));
    mov_write32(IOA(0xffe), 0x10101010);
    report(q0 == 0xffff0000 && ioapic_unchanged(&before), "ioapic-access-across-page-end",
           "read 0x%lx", (unsigned long)q0);
}

static void check_reserved_registers(void)
{
    static const uint32_t offsets[] = { 0x04, 0x20, 0x30, 0x44, 0x80, 0xffc };
    static const uint32_t indices[] = { 0x03, 0x0f, 0x40, 0x7f, 0xff };
    struct ioapic_snapshot before;
    uint32_t seen = 0, sel;
    bool same;

    ioapic_snap(&before);
    for (unsigned int i = 0; i < ARRAY_SIZE(offsets); i++) {
        mov_write32(IOA(offsets[i]), 0x10);
        seen |= mov_read32(IOA(offsets[i]));
    }
    seen |= mov_read32(IOA(IOAPIC_EOIR));           /* write-only */
    report(seen == 0 && ioapic_unchanged(&before), "ioapic-reserved-offsets",
           "reads or 0x%x", seen);
    for (unsigned int i = 0; i < ARRAY_SIZE(indices); i++) {
        ioapic_write(indices[i], 0xdeadbeef);
        seen |= ioapic_read(indices[i]);
    }
    ioapic_write(IOAPIC_REG_VER, 0xdeadbeef);
    ioapic_write(IOAPIC_REG_ARB, 0xdeadbeef);
    mov_write32(IOA(IOAPIC_IOREGSEL), before.sel);
    same = ioapic_unchanged(&before);
    report(seen == 0 && same && ioapic_read(IOAPIC_REG_ARB) == before.id, "ioapic-reserved-registers",
           "reads or 0x%x, other registers %s", seen, same ? "unchanged" : "changed");
    mov_write32(IOA(IOAPIC_IOREGSEL), 0x12345678);  /* IOREGSEL bits 31:8 are reserved */
    sel = mov_read32(IOA(IOAPIC_IOREGSEL));
    report(sel == 0x78, "ioapic-ioregsel-8-bits", "IOREGSEL reads 0x%x", sel);
}

/* Deliveries of vector for one RTC edge through pin 8 programmed as e, or -1 without an edge. */
static int rtc_through(uint64_t e, uint8_t vector)
{
    ioapic_set_rte(PIN_RTC, e);
    intc_clear_log();
    if (!rtc_pulse())
        return -1;
    intc_take_pending();
    ioapic_set_rte(PIN_RTC, RTE_MASKED);
    return (int)(vector >= INTC_FIRST_VEC ? intc_hits(vector) : intc_nseq);
}

static void check_bad_entries(void)
{
    int dm3 = rtc_through(RTE_DM(3) | VEC_RTC_IOAPIC, VEC_RTC_IOAPIC);
    int dm6 = rtc_through(RTE_DM(6) | VEC_RTC_IOAPIC, VEC_RTC_IOAPIC);
    int low, fixed;
    uint32_t esr;

    report(dm3 == 0 && dm6 == 0, "ioapic-reserved-delivery-modes",
           "deliveries with mode 3: %d, mode 6: %d", dm3, dm6);
    apic_write(APIC_ESR, 0);
    low = rtc_through(0x05, 0);                     /* fixed, vector 5: illegal */
    apic_write(APIC_ESR, 0);                        /* a write latches the errors seen */
    esr = apic_read(APIC_ESR);
    report(low == 0 && (esr & ESR_RECV_ILLEGAL), "ioapic-illegal-vector",
           "%d deliveries, ESR 0x%x", low, esr);
    fixed = rtc_through(VEC_RTC_IOAPIC, VEC_RTC_IOAPIC);
    report(fixed == 1, "ioapic-valid-entry-after-bad-ones", "%d deliveries", fixed);
}



/* Initialisation sequences cut short or odd: data-port writes go where the sequence says. */
static void check_pic_sequences(void)
{
    uint8_t mid, after, single, no_icw4;

    apic_write(APIC_LVT_LINT0, APIC_LVT_EXTINT | APIC_LVT_MASKED);
    outb(PIC_M_CMD, 0x11);              /* ICW1: cascade, ICW4 needed */
    outb(PIC_M_DATA, 0x20);             /* ICW2 */
    outb(PIC_M_DATA, 0xff);             /* meant as OCW1, taken as ICW3 */
    mid = inb(PIC_M_DATA);
    outb(PIC_M_DATA, 0xff);             /* taken as ICW4 */
    outb(PIC_M_DATA, 0xa5);             /* OCW1 at last */
    after = inb(PIC_M_DATA);
    report(mid == 0 && after == 0xa5, "pic-icw-sequence-takes-data-writes",
           "IMR 0x%x in the sequence, 0x%x after it", mid, after);
    outb(PIC_M_CMD, 0x13);              /* ICW1: single, ICW4 needed: no ICW3 */
    outb(PIC_M_DATA, 0x20);
    outb(PIC_M_DATA, 0x01);             /* ICW4 */
    outb(PIC_M_DATA, 0x5a);
    single = inb(PIC_M_DATA);
    outb(PIC_M_CMD, 0x10);              /* ICW1: cascade, no ICW4 */
    outb(PIC_M_DATA, 0x20);
    outb(PIC_M_DATA, 0x04);             /* ICW3 */
    outb(PIC_M_DATA, 0x3c);
    no_icw4 = inb(PIC_M_DATA);
    report(single == 0x5a && no_icw4 == 0x3c, "pic-icw3-icw4-optional",
           "IMR 0x%x after ICW1-2-4, 0x%x after ICW1-2-3", single, no_icw4);
}

/* An abandoned sequence, then a full one: the vector base is the second ICW2's. */
static void check_pic_restart(void)
{
    bool fired;

    outb(PIC_M_CMD, 0x11);
    outb(PIC_M_DATA, 0x28);             /* ICW2 of a sequence never finished */
    pic_init(0x20, 0x28);
    pic_set_imr(0xfe, 0xff);
    apic_write(APIC_LVT_LINT0, APIC_LVT_EXTINT);
    intc_clear_log();
    fired = pic_fire_irq0();
    intc_take_pending();
    report(fired && intc_nseq == 1 && intc_seq[0] == VEC_PIT_PIC, "pic-works-after-bad-sequences",
           "%u deliveries (first 0x%x)", intc_nseq, intc_seq[0]);
}

/* Waits with IF=1 until the handler has ended the flood or 20 ms of PM timer time passed. */
static uint32_t flood_window(void)
{
    uint32_t start = guest_pm_now();

    asm volatile("sti");
    while (intc_nseq < FLOOD_MAX && guest_pm_us_since(start) < 20000)
        asm volatile("pause");
    asm volatile("cli");
    return guest_pm_us_since(start);
}

/*
 * The PIT at its fastest legal rate (mode 2, count 2: 596.6 kHz) into the PIC and the IOAPIC
 * at once. Each model delivers at most one interrupt per late update, so no route can see more
 * interrupts than the PIT had periods (plus one).
 */
static void check_pit_flood(void)
{
    unsigned int via_ioapic, via_pic, us;

    pic_set_imr(0xfe, 0xff);
    ioapic_set_rte(PIN_PIT, VEC_PIT_IOAPIC);
    intc_clear_log();
    outb(0x43, 0x34);                   /* channel 0, low then high byte, mode 2 */
    outb(0x40, 2);
    outb(0x40, 0);
    us = flood_window();
    pit_stop();
    ioapic_set_rte(PIN_PIT, RTE_MASKED);
    pic_set_imr(0xff, 0xff);
    intc_take_pending();
    via_ioapic = intc_hits(VEC_PIT_IOAPIC);
    via_pic = intc_hits(VEC_PIT_PIC);
    report(via_ioapic + via_pic > 0 && via_ioapic <= us * 597 / 1000 + 1 && via_pic <= us * 597 / 1000 + 1,
           "pit-flood", "%u through the IOAPIC, %u through the PIC in %u us", via_ioapic, via_pic, us);
}

/* The local APIC timer in periodic mode with a count of 1: a 1 ns period. */
static void check_apic_timer_flood(void)
{
    unsigned int hits, us;

    intc_clear_log();
    apic_write(APIC_TIMER_DIV, 0xb);
    apic_write(APIC_LVT_TIMER, VEC_APIC_TIMER | (1u << 17));
    apic_write(APIC_TIMER_INIT, 1);
    us = flood_window();
    apic_write(APIC_LVT_TIMER, VEC_APIC_TIMER | APIC_LVT_MASKED);
    apic_write(APIC_TIMER_INIT, 0);
    intc_take_pending();
    hits = intc_hits(VEC_APIC_TIMER);
    report(hits > 0 && hits == intc_nseq, "apic-timer-flood", "%u interrupts in %u us", hits, us);
}

/* After all that, one interrupt of each kind arrives, once. */
static void check_still_working(void)
{
    int rtc = rtc_through(VEC_RTC_IOAPIC, VEC_RTC_IOAPIC);
    bool fired;

    pic_set_imr(0xfe, 0xff);
    intc_clear_log();
    fired = pic_fire_irq0();
    intc_take_pending();
    pic_set_imr(0xff, 0xff);
    report(rtc == 1 && fired && intc_nseq == 1 && intc_seq[0] == VEC_PIT_PIC, "domain-still-works",
           "RTC through the IOAPIC: %d, PIT through the PIC: %u (first 0x%x)", rtc, intc_nseq,
           intc_seq[0]);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    pic_init(0x20, 0x28);
    intc_setup();
    intc_hook = hook;
    check_access_sizes();
    check_reserved_registers();
    check_bad_entries();
    check_pic_sequences();
    check_pic_restart();
    check_pit_flood();
    check_apic_timer_flood();
    check_still_working();
}
