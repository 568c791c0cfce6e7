/*
 * The 8259 pair end to end, reaching vCPU 0 as ExtINT through LINT0: ICW1-ICW4 initialisation,
 * IMR, OCW3 reads of IRR and ISR, specific and non-specific EOI, the cascade (the RTC's IRQ 8
 * through master IR2 with the slave's vector), priority and its rotation, special mask mode,
 * automatic EOI, poll mode, the ELCR, and edge against level inputs with the ACPI SCI (IRQ 9).
 * Sources: the PIT's IRQ 0 in one-shot mode, the RTC's IRQ 8, the SCI (see lib/intc.h).
 */
#include "intc.h"

#define MASTER_BASE 0x20
#define SLAVE_BASE 0x28
#define VEC_PIT (MASTER_BASE + 0)
#define VEC_RTC (SLAVE_BASE + 0)
#define VEC_SCI (SLAVE_BASE + 1)

static volatile bool hook_eoi;          /* the handler sends non-specific EOIs */
static volatile bool record_isr;        /* the handler reads the master's ISR (port I/O) */
static volatile uint8_t isr_at_entry;
static volatile unsigned int sci_stop_after;    /* delivery at which the handler clears TMR_STS */

static void hook(uint8_t vector)
{
    if (record_isr)
        isr_at_entry = pic_isr(PIC_M_CMD);
    if (vector == VEC_SCI && sci_stop_after && intc_hits(VEC_SCI) >= sci_stop_after)
        sci_clear_status();
    if (!hook_eoi)
        return;
    if (vector >= SLAVE_BASE)
        outb(PIC_S_CMD, PIC_EOI);
    outb(PIC_M_CMD, PIC_EOI);
}



static void check_init(void)
{
    uint8_t m, s, mi, si;

    pic_set_imr(0x5a, 0xa5);                    /* something for ICW1 to clear */
    pic_init_chip(PIC_M_CMD, MASTER_BASE, 1u << 2, 0x01);
    pic_init_chip(PIC_S_CMD, SLAVE_BASE, 2, 0x01);
    m = inb(PIC_M_DATA);
    s = inb(PIC_S_DATA);
    mi = pic_isr(PIC_M_CMD);
    si = pic_isr(PIC_S_CMD);
    report(m == 0 && s == 0 && mi == 0 && si == 0, "pic-icw1-clears-imr-isr",
           "IMR 0x%x/0x%x, ISR 0x%x/0x%x", m, s, mi, si);
    pic_set_imr(0xa5, 0x5a);
    m = inb(PIC_M_DATA);
    s = inb(PIC_S_DATA);
    report(m == 0xa5 && s == 0x5a, "pic-imr-read-write", "IMR reads 0x%x/0x%x", m, s);
    pic_set_imr(0xff, 0xff);
}

/* PIIX: ELCR1 bits 0-2 (IRQ 0, 1, 2) and ELCR2 bits 0 and 5 (IRQ 8, 13) are fixed at 0. */
static void check_elcr(void)
{
    uint8_t r0 = inb(PIC_ELCR_M), r1 = inb(PIC_ELCR_S), f0, f1;

    outb(PIC_ELCR_M, 0xff);
    outb(PIC_ELCR_S, 0xff);
    f0 = inb(PIC_ELCR_M);
    f1 = inb(PIC_ELCR_S);
    outb(PIC_ELCR_M, 0);
    outb(PIC_ELCR_S, 0);
    report(r0 == 0 && r1 == 0 && f0 == 0xf8 && f1 == 0xde && inb(PIC_ELCR_M) == 0 &&
           inb(PIC_ELCR_S) == 0, "pic-elcr", "reset 0x%x/0x%x, all ones read 0x%x/0x%x", r0, r1, f0, f1);
}

/* A masked request waits in IRR; unmasked with IF=0, it must end the HLT that follows STI. */
static void check_irr_and_hlt(void)
{
    bool fired = pic_fire_irq0();
    uint8_t irr = pic_irr(PIC_M_CMD), isr = pic_isr(PIC_M_CMD);
    unsigned int ticks;

    intc_take_pending();
    report(fired && irr == 0x01 && isr == 0 && intc_nseq == 0, "pic-irr-holds-masked-request",
           "IRR 0x%x, ISR 0x%x, %u deliveries", irr, isr, intc_nseq);
    pic_set_imr(0xfe, 0xff);
    ticks = intc_timer_ticks;
    apic_write(APIC_TIMER_DIV, 0xb);
    apic_write(APIC_LVT_TIMER, INTC_TIMER_VEC);     /* one-shot, 20 ms: only a safety net */
    apic_write(APIC_TIMER_INIT, 20000000);
    asm volatile("sti; hlt; cli" ::: "memory");
    apic_write(APIC_TIMER_INIT, 0);
    report(intc_nseq == 1 && intc_seq[0] == VEC_PIT && intc_timer_ticks == ticks,
           "pic-hlt-wakes-on-pending-request", "%u deliveries (first 0x%x), %u APIC timer ticks first",
           intc_nseq, intc_seq[0], intc_timer_ticks - ticks);
    irr = pic_irr(PIC_M_CMD);
    isr = pic_isr(PIC_M_CMD);
    report(isr_at_entry == 0x01 && isr == 0x01 && irr == 0, "pic-inta-moves-irr-to-isr",
           "ISR in the handler 0x%x, then IRR 0x%x, ISR 0x%x", isr_at_entry, irr, isr);
}

/* IR0 in service holds IR2 (the slave) back; once it is EOIed, the slave's IRQ 8 comes. */
static void check_priority(void)
{
    bool edge;
    uint8_t sirr, mirr, misr, sisr;

    pic_set_imr(0xfa, 0xfe);
    edge = rtc_pulse();
    intc_take_pending();
    sirr = pic_irr(PIC_S_CMD);
    mirr = pic_irr(PIC_M_CMD);
    report(edge && intc_hits(VEC_RTC) == 0 && sirr == 0x01 && (mirr & 0x04), "pic-lower-priority-waits",
           "%u deliveries, IRR master 0x%x slave 0x%x", intc_hits(VEC_RTC), mirr, sirr);
    outb(PIC_M_CMD, PIC_EOI);
    intc_take_pending();
    misr = pic_isr(PIC_M_CMD);
    sisr = pic_isr(PIC_S_CMD);
    report(intc_nseq == 2 && intc_seq[1] == VEC_RTC && isr_at_entry == 0x04 && misr == 0x04 &&
           sisr == 0x01, "pic-cascade-after-eoi", "vector 0x%x, ISR master 0x%x slave 0x%x",
           intc_seq[1], misr, sisr);
    pic_fire_irq0();
    intc_take_pending();
    misr = pic_isr(PIC_M_CMD);
    report(intc_nseq == 3 && intc_seq[2] == VEC_PIT && misr == 0x05, "pic-higher-priority-nests",
           "%u deliveries, master ISR 0x%x", intc_nseq, misr);
    outb(PIC_M_CMD, PIC_EOI);
    misr = pic_isr(PIC_M_CMD);
    report(misr == 0x04, "pic-nonspecific-eoi-highest", "master ISR 0x%x", misr);
    outb(PIC_M_CMD, PIC_SEOI(2));
    outb(PIC_S_CMD, PIC_EOI);
    misr = pic_isr(PIC_M_CMD);
    sisr = pic_isr(PIC_S_CMD);
    report(misr == 0 && sisr == 0, "pic-specific-eoi", "ISR master 0x%x slave 0x%x", misr, sisr);
}

/* IRQ 0 and IRQ 8 pending together: IR0 first, until OCW2 makes IR2 the highest. */
static void check_order(void)
{
    hook_eoi = true;
    intc_clear_log();
    pic_fire_irq0();
    rtc_pulse();
    intc_take_pending();
    report(intc_nseq == 2 && intc_seq[0] == VEC_PIT && intc_seq[1] == VEC_RTC, "pic-priority-order",
           "%u deliveries: 0x%x, 0x%x", intc_nseq, intc_seq[0], intc_seq[1]);
    outb(PIC_M_CMD, 0xc1);              /* set priority: IR1 lowest, so IR2 highest */
    intc_clear_log();
    pic_fire_irq0();
    rtc_pulse();
    intc_take_pending();
    report(intc_nseq == 2 && intc_seq[0] == VEC_RTC && intc_seq[1] == VEC_PIT, "pic-rotated-priority",
           "%u deliveries: 0x%x, 0x%x", intc_nseq, intc_seq[0], intc_seq[1]);
    outb(PIC_M_CMD, 0xc7);              /* IR7 lowest again */
}

static void check_cascade_mask(void)
{
    uint8_t mirr;

    intc_clear_log();
    pic_set_imr(0xfe, 0xfe);
    rtc_pulse();
    intc_take_pending();
    mirr = pic_irr(PIC_M_CMD);
    report(intc_nseq == 0 && (mirr & 0x04), "pic-cascade-masked-at-master", "%u deliveries, master IRR 0x%x",
           intc_nseq, mirr);
    pic_set_imr(0xfa, 0xfe);
    intc_take_pending();
    report(intc_nseq == 1 && intc_seq[0] == VEC_RTC, "pic-cascade-unmasked", "%u deliveries (0x%x)",
           intc_nseq, intc_seq[0]);
}

/* IR0 in service and masked: lower inputs pass only in special mask mode. */
static void check_special_mask(void)
{
    unsigned int held;

    hook_eoi = false;
    intc_clear_log();
    pic_fire_irq0();
    intc_take_pending();
    pic_set_imr(0xfb, 0xfe);
    rtc_pulse();
    intc_take_pending();
    held = intc_hits(VEC_RTC);
    outb(PIC_M_CMD, 0x68);              /* OCW3: set special mask mode */
    intc_take_pending();
    report(intc_hits(VEC_PIT) == 1 && held == 0 && intc_hits(VEC_RTC) == 1, "pic-special-mask-mode",
           "IRQ 8 deliveries: %u without, %u with special mask mode", held, intc_hits(VEC_RTC));
    outb(PIC_M_CMD, 0x48);              /* OCW3: reset special mask mode */
    outb(PIC_S_CMD, PIC_SEOI(0));
    outb(PIC_M_CMD, PIC_SEOI(2));
    outb(PIC_M_CMD, PIC_SEOI(0));
    report(pic_isr(PIC_M_CMD) == 0 && pic_isr(PIC_S_CMD) == 0, "pic-specific-eoi-each",
           "ISR master 0x%x slave 0x%x", pic_isr(PIC_M_CMD), pic_isr(PIC_S_CMD));
}

/* ICW4 bit 1: the acknowledge leaves ISR clear, so requests follow each other without EOIs. */
static void check_auto_eoi(void)
{
    uint8_t isr;

    pic_init_chip(PIC_M_CMD, MASTER_BASE, 1u << 2, 0x03);
    pic_set_imr(0xfe, 0xff);
    intc_clear_log();
    isr_at_entry = 0xff;
    pic_fire_irq0();
    intc_take_pending();
    isr = pic_isr(PIC_M_CMD);
    pic_fire_irq0();
    intc_take_pending();
    report(intc_hits(VEC_PIT) == 2 && isr_at_entry == 0 && isr == 0, "pic-auto-eoi",
           "%u deliveries, ISR 0x%x in the handler and 0x%x after", intc_hits(VEC_PIT), isr_at_entry, isr);
    /* Two requests at once and handlers that cause no exit: both must come in one IF=1 window. */
    record_isr = false;
    pic_set_imr(0xfa, 0xfe);
    intc_clear_log();
    pic_fire_irq0();
    rtc_pulse();
    intc_take_pending();
    report(intc_nseq == 2 && intc_seq[0] == VEC_PIT && intc_seq[1] == VEC_RTC,
           "pic-auto-eoi-back-to-back", "%u deliveries in one window", intc_nseq);
    record_isr = true;
    pic_init(MASTER_BASE, SLAVE_BASE);  /* a clean pair whatever happened above */
}

/* OCW3 poll: the read acknowledges (ISR set, IRR cleared) and the CPU takes no interrupt. */
static void check_poll(void)
{
    uint8_t p, isr, irr, none, pm, ps;

    pic_set_imr(0xfe, 0xff);
    intc_clear_log();
    pic_fire_irq0();
    p = pic_poll(PIC_M_CMD);
    isr = pic_isr(PIC_M_CMD);
    irr = pic_irr(PIC_M_CMD);
    intc_take_pending();
    outb(PIC_M_CMD, PIC_SEOI(0));
    none = pic_poll(PIC_M_CMD);
    report(p == 0x80 && isr == 0x01 && !(irr & 1) && intc_nseq == 0 && !(none & 0x80), "pic-poll",
           "poll 0x%x, ISR 0x%x, IRR 0x%x, %u deliveries, empty poll 0x%x", p, isr, irr, intc_nseq, none);
    pic_set_imr(0xfb, 0xfe);
    rtc_pulse();
    pm = pic_poll(PIC_M_CMD);
    ps = pic_poll(PIC_S_CMD);
    outb(PIC_S_CMD, PIC_EOI);
    outb(PIC_M_CMD, PIC_EOI);
    intc_take_pending();
    report(pm == 0x82 && ps == 0x80 && intc_nseq == 0 && pic_isr(PIC_M_CMD) == 0 && pic_isr(PIC_S_CMD) == 0,
           "pic-poll-cascade", "master poll 0x%x, slave poll 0x%x, %u deliveries", pm, ps, intc_nseq);
}

static void check_lint0_mask(void)
{
    hook_eoi = true;
    pic_set_imr(0xfe, 0xff);
    intc_clear_log();
    apic_write(APIC_LVT_LINT0, APIC_LVT_EXTINT | APIC_LVT_MASKED);
    pic_fire_irq0();
    intc_take_pending();
    report(intc_nseq == 0, "pic-lint0-masked-blocks", "%u deliveries", intc_nseq);
    apic_write(APIC_LVT_LINT0, APIC_LVT_EXTINT);
    intc_take_pending();
    report(intc_nseq == 1 && intc_seq[0] == VEC_PIT, "pic-lint0-unmasked-delivers", "%u deliveries",
           intc_nseq);
    pic_set_imr(0xff, 0xff);
}

/* IRQ 9 edge-triggered: one interrupt per rising edge, however long the line stays high. */
static void check_sci_edge(void)
{
    unsigned int once;

    pic_set_imr(0xfb, 0xfd);
    intc_clear_log();
    sci_enable(true);
    intc_take_pending();
    pm_delay_us(1000);
    intc_take_pending();
    once = intc_hits(VEC_SCI);
    sci_enable(false);
    sci_enable(true);
    intc_take_pending();
    report(once == 1 && intc_hits(VEC_SCI) == 2, "pic-edge-once-per-rising-edge",
           "%u deliveries while high, %u after a second edge", once, intc_hits(VEC_SCI));
    sci_enable(false);
}

/*
 * A level request that goes away before the CPU takes it: the master has latched the cascade
 * edge, so Keel's model acknowledges a spurious IRQ 15 (the slave's IR7 vector, no slave ISR
 * bit) and the master's ISR bit 2 is set, to be EOIed like any cascaded interrupt.
 */
static void check_sci_withdrawn(void)
{
    uint8_t elcr, sisr;

    outb(PIC_ELCR_S, 0x02);
    elcr = inb(PIC_ELCR_S);
    intc_clear_log();
    isr_at_entry = 0;
    sci_enable(true);                   /* with IF=0 */
    sci_enable(false);
    intc_take_pending();
    sisr = pic_isr(PIC_S_CMD);
    report(elcr == 0x02 && intc_nseq == 1 && intc_seq[0] == SLAVE_BASE + 7 && isr_at_entry == 0x04 &&
           sisr == 0 && pic_isr(PIC_M_CMD) == 0, "pic-spurious-irq15",
           "ELCR2 0x%x, %u deliveries (first 0x%x), master ISR 0x%x in the handler, slave ISR 0x%x",
           elcr, intc_nseq, intc_seq[0], isr_at_entry, sisr);
}

/* IRQ 9 level-triggered through the ELCR: redelivered after each EOI until the status clears. */
static void check_sci_level(void)
{
    intc_clear_log();
    sci_stop_after = 3;
    sci_enable(true);
    intc_take_pending();
    pm_delay_us(1000);
    intc_take_pending();
    sci_enable(false);
    report(intc_hits(VEC_SCI) == 3 && intc_nseq == 3 && !(inw(PM1_STS) & PM_TMR_STS),
           "pic-level-until-status-cleared", "%u deliveries, PM1 status 0x%x", intc_nseq, inw(PM1_STS));
    sci_stop_after = 0;
    outb(PIC_ELCR_S, 0);
    pic_set_imr(0xff, 0xff);
}

static void check_sci(void)
{
    bool sts = sci_wait_status(4000);

    report(sts, "pm-tmr-sts-sets", "TMR_STS %s within 4 s (it sets every 2.34 s)",
           sts ? "set" : "still clear");
    if (!sts)
        return;
    check_sci_edge();
    check_sci_withdrawn();
    check_sci_level();
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    intc_setup();
    intc_hook = hook;
    record_isr = true;
    check_init();
    check_elcr();
    apic_write(APIC_LVT_LINT0, APIC_LVT_EXTINT);    /* the PIC reaches the CPU as ExtINT */
    check_irr_and_hlt();
    check_priority();
    check_order();
    check_cascade_mask();
    check_special_mask();
    check_auto_eoi();
    check_poll();
    check_lint0_mask();
    check_sci();
}
