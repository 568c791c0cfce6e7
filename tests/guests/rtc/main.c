/*
 * The RTC and CMOS at ports 0x70/0x71: the CMOS byte store and the NMI-disable bit of the index,
 * the time set under register B's SET bit, BCD and binary, 24- and 12-hour formats, the
 * periodic interrupt at register A's rate (IRQ 8 through IOAPIC pin 8), SET stopping updates,
 * then one update cycle: UIP, the roll-over of 2024-02-29 23:59:59, and the update-ended and
 * alarm interrupts. The PM timer is the reference clock. About 2.1 s of guest time in all
 * (up to 9 s if a stalled emulator hides UIP at the first updates).
 */
#include "guest.h"

#define VEC_RTC 0x25
#define RTC_PIN 8
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define A_UIP 0x80
#define A_DIV 0x20                  /* the 32.768 kHz time base */
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM 0x04                   /* binary */
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define PM_MS(ms) ((uint32_t)((uint64_t)(ms) * GUEST_PM_TIMER_HZ / 1000))

enum { SEC, MIN, HOUR, WDAY, MDAY, MONTH, YEAR, NR_TIME };
static const uint8_t time_index[NR_TIME] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09 };
/* Thursday 2024-02-29 (weekday 5, Sunday being 1). */
static const uint8_t afternoon[NR_TIME] = { 0x56, 0x34, 0x15, 0x05, 0x29, 0x02, 0x24 };
static const uint8_t last_second[NR_TIME] = { 0x59, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24 };
/* One second later: Friday 2024-03-01 00:00:00. */
static const uint8_t next_day[NR_TIME] = { 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24 };

#define MAX_PF 64
static volatile unsigned int pf_irqs, uf_irqs, af_irqs;
static volatile uint32_t pf_pm[MAX_PF];  /* PM timer at each periodic interrupt */
static volatile uint32_t uf_pm;         /* PM timer at the first update-ended interrupt */
static volatile uint8_t uf_c;           /* register C as that interrupt's handler read it */
static uint8_t uf_time[NR_TIME];        /* and the time it read then */

/* The main code takes interrupts only between index/data pairs, so the handler never splits one. */
static uint8_t cmos_read(uint8_t index)
{
    outb(0x70, index);
    return inb(0x71);
}

static void cmos_write(uint8_t index, uint8_t v)
{
    outb(0x70, index);
    outb(0x71, v);
}

static void read_time(uint8_t t[NR_TIME])
{
    for (int i = 0; i < NR_TIME; i++)
        t[i] = cmos_read(time_index[i]);
}

static void write_time(const uint8_t t[NR_TIME])
{
    for (int i = 0; i < NR_TIME; i++)
        cmos_write(time_index[i], t[i]);
}

__attribute__((interrupt)) static void rtc_handler(struct guest_interrupt_frame *f)
{
    uint8_t c = cmos_read(REG_C);           /* reading C also allows the next interrupt */

    (void)f;
    if ((c & C_PF) && pf_irqs < MAX_PF)
        pf_pm[pf_irqs++] = guest_pm_now();
    if ((c & C_UF) && !uf_irqs++) {
        uf_pm = guest_pm_now();
        uf_c = c;
        read_time(uf_time);
    }
    if (c & C_AF)
        af_irqs++;
    guest_apic_eoi();
}

static bool same_time(const uint8_t a[NR_TIME], const uint8_t b[NR_TIME])
{
    return !memcmp(a, b, NR_TIME);
}

static unsigned int from_bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t cmos_pattern(unsigned int index)
{
    return (uint8_t)(index * 73 + 19);
}

/* Bytes 0x0e-0x7f are plain RAM; odd ones are written with the NMI-disable bit in the index. */
static void check_cmos_ram(void)
{
    unsigned int bad = 0, bad_nmi = 0;

    for (unsigned int i = 0x0e; i < 0x80; i++)
        cmos_write((uint8_t)(i | (i & 1) << 7), cmos_pattern(i));
    for (unsigned int i = 0x0e; i < 0x80 && !bad; i++)
        bad = cmos_read((uint8_t)i) != cmos_pattern(i) ? i : 0;
    for (unsigned int i = 0x0e; i < 0x80 && !bad_nmi; i++)
        bad_nmi = cmos_read((uint8_t)(i | 0x80)) != cmos_pattern(i) ? i : 0;
    report(!bad, "rtc-cmos-ram-bytes", "byte 0x%x reads 0x%x, wrote 0x%x", bad,
           cmos_read((uint8_t)bad), cmos_pattern(bad));
    report(!bad_nmi, "rtc-nmi-bit-keeps-index", "index 0x%x reads 0x%x, wrote 0x%x",
           bad_nmi | 0x80, cmos_read((uint8_t)(bad_nmi | 0x80)), cmos_pattern(bad_nmi));
    outb(0x70, REG_C);                                  /* NMIs enabled again */
}

static void check_set_and_formats(void)
{
    uint8_t got[NR_TIME], bcd[NR_TIME], bin[NR_TIME], again[NR_TIME];
    bool agree = true;

    cmos_write(REG_B, B_SET | B_24H);
    write_time(afternoon);
    read_time(got);
    report(same_time(got, afternoon), "rtc-set-write-reads-back", "%02x:%02x:%02x %02x-%02x-%02x",
           got[HOUR], got[MIN], got[SEC], got[YEAR], got[MONTH], got[MDAY]);
    cmos_write(REG_B, B_24H);                           /* runs from 15:34:56 */
    for (int tries = 0; tries < 3; tries++) {           /* again if a second ended meanwhile */
        read_time(bcd);
        cmos_write(REG_B, B_24H | B_DM);
        read_time(bin);
        cmos_write(REG_B, B_24H);
        read_time(again);
        if (same_time(bcd, again))
            break;
    }
    for (int i = 0; i < NR_TIME; i++)
        agree = agree && from_bcd(bcd[i]) == bin[i];
    report(agree && same_time(bcd, again), "rtc-bcd-binary-agree",
           "BCD %02x:%02x:%02x %02x-%02x-%02x, binary %u:%u:%u %u-%u-%u", bcd[HOUR], bcd[MIN],
           bcd[SEC], bcd[YEAR], bcd[MONTH], bcd[MDAY], bin[HOUR], bin[MIN], bin[SEC], bin[YEAR],
           bin[MONTH], bin[MDAY]);
    report(!memcmp(bcd + MIN, afternoon + MIN, NR_TIME - MIN) && bcd[SEC] >= 0x56 &&
           bcd[SEC] <= 0x57, "rtc-runs-from-set-time", "%02x:%02x:%02x %02x-%02x-%02x weekday %x",
           bcd[HOUR], bcd[MIN], bcd[SEC], bcd[YEAR], bcd[MONTH], bcd[MDAY], bcd[WDAY]);
}

/* Sets the hour with SET in 12-hour BCD mode; returns it as 12-hour BCD and 24-hour BCD. */
static void set_hour_12h(uint8_t hour, uint8_t *as_12h, uint8_t *as_24h)
{
    cmos_write(REG_B, B_SET);
    cmos_write(time_index[HOUR], hour);
    cmos_write(REG_B, 0);
    *as_12h = cmos_read(time_index[HOUR]);
    cmos_write(REG_B, B_24H);
    *as_24h = cmos_read(time_index[HOUR]);
}

static void check_12h(void)
{
    uint8_t bcd, bin, h12, h24;

    cmos_write(REG_B, 0);                               /* 12-hour BCD: 15:xx is 3 PM */
    bcd = cmos_read(time_index[HOUR]);
    cmos_write(REG_B, B_DM);
    bin = cmos_read(time_index[HOUR]);
    report(bcd == 0x83 && bin == 0x83, "rtc-12h-pm-bit", "15:xx reads 0x%x (BCD), 0x%x (binary)",
           bcd, bin);
    set_hour_12h(0x12, &h12, &h24);                     /* 12 AM */
    report(h12 == 0x12 && h24 == 0x00, "rtc-12h-midnight", "12 AM reads 0x%x, 0x%x in 24-hour",
           h12, h24);
    set_hour_12h(0x92, &h12, &h24);                     /* 12 PM */
    report(h12 == 0x92 && h24 == 0x12, "rtc-12h-noon", "12 PM reads 0x%x, 0x%x in 24-hour", h12,
           h24);
}

/* The median time between periodic interrupts first..last-1 and the next, in PM counts. */
static uint32_t median_interval(unsigned int first, unsigned int last)
{
    static uint32_t iv[MAX_PF];
    unsigned int n = 0;

    for (unsigned int i = first + 1; i <= last && i < MAX_PF; i++) {
        uint32_t v = (pf_pm[i] - pf_pm[i - 1]) & 0xffffff, j = n++;

        for (; j > 0 && iv[j - 1] > v; j--)
            iv[j] = iv[j - 1];
        iv[j] = v;
    }
    return n ? iv[n / 2] : 0;
}

/* SET on, 2024-02-29 23:59:59 written; the alarm: second 0, any minute (0xc0), any hour (0xff). */
static void set_last_second(void)
{
    cmos_write(REG_B, B_SET | B_24H);
    write_time(last_second);
    cmos_write(0x01, 0x00);
    cmos_write(0x03, 0xc0);
    cmos_write(0x05, 0xff);
}

/*
 * Halts for over a second with the periodic interrupt on, touching no port meanwhile (with the
 * PIT quiet, nothing but the RTC's own timer can bring its next interrupt); the PM counts it took.
 */
static uint32_t hold_periodic(void)
{
    uint32_t pm0, counts = 0;

    (void)cmos_read(REG_C);
    cmos_write(REG_B, B_SET | B_PIE | B_24H);
    pm0 = guest_pm_now();
    while (counts < PM_MS(1050)) {
        guest_sleep_ms(50);
        counts = guest_pm_since(pm0);
    }
    cmos_write(REG_B, B_SET | B_24H);
    return counts;
}

/*
 * Over a second held in SET mode (with 2024-02-29 23:59:59 written) the periodic interrupt runs
 * at 16 Hz while the time stands still: no update.
 */
static void check_set_hold_and_periodic(void)
{
    const uint32_t period = GUEST_PM_TIMER_HZ / 16;
    unsigned int n0 = pf_irqs, n;
    uint32_t counts, want, median;
    uint8_t got[NR_TIME];

    cmos_write(REG_A, A_DIV | 0xc);                     /* rate 12: 32768 Hz >> 11 = 16 Hz */
    set_last_second();
    guest_ioapic_route(RTC_PIN, VEC_RTC, false);
    counts = hold_periodic();
    n = pf_irqs - n0;
    want = (uint32_t)((uint64_t)counts * 16 / GUEST_PM_TIMER_HZ);
    median = median_interval(n0, pf_irqs - 1);
    /*
     * Never more interrupts than periods. A host stall longer than 62.5 ms drops one (by
     * design: a late tick stands for all it missed): two may go. The median gap must be within
     * 10% of 1/16 s. Neighbouring rates are 2x apart.
     */
    report(n <= want + 1 && n + 2 >= want && median * 10 >= period * 9 &&
           median * 10 <= period * 11, "rtc-periodic-16hz", "%u interrupts in %u PM counts (%u "
           "periods), median gap %u (want %u)", n, counts, want, median, period);
    read_time(got);
    report(same_time(got, last_second) && !uf_irqs, "rtc-set-stops-updates",
           "after %u ms: %02x:%02x:%02x, %u update interrupts", counts / PM_MS(1), got[HOUR],
           got[MIN], got[SEC], uf_irqs);
}

/* PF is set at the rate whether or not PIE is; without PIE, IRQF stays clear. */
static void check_pf_without_pie(void)
{
    uint8_t c;

    cmos_write(REG_A, A_DIV | 8);                       /* 256 Hz */
    (void)cmos_read(REG_C);
    guest_sleep_ms(10);
    c = cmos_read(REG_C);
    report(c == C_PF, "rtc-pf-flag-without-pie", "register C 0x%x after 10 ms at 256 Hz", c);
    cmos_write(REG_A, A_DIV);                           /* no periodic flag from here */
    (void)cmos_read(REG_C);
}

struct uip_poll {
    unsigned long reads, set_reads;
    bool done;                          /* UIP seen set, then clear */
    uint32_t set_pm, clear_pm;          /* PM timer before the first read that saw it set, and
                                           after the read that then saw it clear */
};

/*
 * Polls register A until UIP has been seen set and then clear, or for max_ms, taking interrupts
 * between reads (the update interrupt comes meanwhile).
 */
static void catch_uip(unsigned int max_ms, struct uip_poll *u)
{
    uint32_t start = guest_pm_now();
    bool seen = false;

    while (!u->done) {
        uint32_t pm = guest_pm_now();
        bool uip = cmos_read(REG_A) & A_UIP;

        if (uip && !seen)
            u->set_pm = pm;
        if (!uip && seen)
            u->clear_pm = guest_pm_now();
        u->done = seen && !uip;
        u->reads++;
        u->set_reads += uip;
        seen = uip;
        if (((pm - start) & 0xffffff) >= PM_MS(max_ms))
            break;
        asm volatile("sti; nop; cli" ::: "memory");
    }
}

static uint8_t to_bcd(unsigned int v)
{
    return (uint8_t)((v / 10) << 4 | v % 10);
}

/*
 * The update UIP announced came k whole seconds after SET was cleared: PM-timer readings bracket
 * both (a stall widens the bracket; over 20 ms it proves too little). The seconds register then
 * shows 23:59:59 plus k seconds.
 */
static uint32_t check_uip(const struct uip_poll *u, uint32_t t0a, uint32_t t0b, uint8_t seconds)
{
    uint32_t lo = (u->set_pm - t0b) & 0xffffff, hi = (u->clear_pm - t0a) & 0xffffff;
    uint32_t k = (lo + PM_MS(500)) / PM_MS(1000);

    /* UIP is set for 244 us of each second: seen in well under 1% of the reads. */
    report(u->done && u->set_reads * 100 < u->reads && k >= 1 && k <= 60 &&
           seconds == to_bcd((k + 59) % 60), "rtc-uip-before-update",
           "UIP %sseen set then clear, set in %lu of %lu reads; update %u s after the start, "
           "seconds then 0x%x", u->done ? "" : "not ", u->set_reads, u->reads, k, seconds);
    report(u->done && lo < k * PM_MS(1000) && k * PM_MS(1000) <= hi && hi - lo < PM_MS(20),
           "rtc-update-on-whole-seconds", "update between %u and %u PM counts after the start "
           "(%u s: %u)", lo, hi, k, k * PM_MS(1000));
    return k;
}

/*
 * Clearing SET starts the clock at 23:59:59 with the update interrupt and an alarm of "second 0,
 * any minute (0xc0), any hour (0xff)" enabled: one second later UIP comes and goes, and one
 * interrupt reports the update and the alarm, the date having rolled over to 2024-03-01. A
 * descheduled emulator can miss UIP's 244 us: then the poll goes on, for up to eight updates.
 */
static void check_update_cycle(void)
{
    struct uip_poll u = { 0 };
    uint32_t t0a, t0b, elapsed, k;
    uint8_t c, c2;

    t0a = guest_pm_now();
    cmos_write(REG_B, B_UIE | B_AIE | B_24H);
    t0b = guest_pm_now();
    guest_sleep_ms(900);
    catch_uip(8300, &u);
    k = check_uip(&u, t0a, t0b, cmos_read(time_index[SEC]));
    guest_wait_irqs(&uf_irqs, k, 500);
    report(same_time(uf_time, next_day), "rtc-update-rolls-over-leap-day",
           "%02x:%02x:%02x %02x-%02x-%02x weekday %x", uf_time[HOUR], uf_time[MIN], uf_time[SEC],
           uf_time[YEAR], uf_time[MONTH], uf_time[MDAY], uf_time[WDAY]);
    elapsed = (uf_pm - t0a) & 0xffffff;
    /* One per update, the first not before the second is over; how late depends on the host
     * (the roll-over check shows it came before the next update). */
    report(uf_irqs == k && elapsed >= PM_MS(1000), "rtc-update-interrupt-each-second",
           "%u update interrupts for %u updates, the first %u PM counts after SET was cleared "
           "(1 s: %u)", uf_irqs, k, elapsed, PM_MS(1000));
    report(af_irqs == 1 && uf_c == (C_IRQF | C_AF | C_UF), "rtc-alarm-dont-care",
           "%u alarm interrupts, register C 0x%x", af_irqs, uf_c);
    /*
     * The handler's read took AF (which no later update sets again); a read now may find UF of
     * a later update whose interrupt is still pending, and the next read nothing.
     */
    c = cmos_read(REG_C);
    c2 = cmos_read(REG_C);
    report(!(c & C_AF) && c2 == 0, "rtc-c-read-clears", "register C 0x%x, then 0x%x", c, c2);
    cmos_write(REG_B, B_24H);
    guest_ioapic_mask(RTC_PIN);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    outb(0x43, 0x30);                                   /* PIT channel 0: one count, then quiet */
    outb(0x40, 1);
    outb(0x40, 0);
    guest_apic_enable();
    guest_idt_set_handler(VEC_RTC, (void (*)(void))rtc_handler);
    check_cmos_ram();
    check_set_and_formats();
    check_12h();
    check_set_hold_and_periodic();
    check_pf_without_pie();
    check_update_cycle();
}
