/*
 * The RTC and the ACPI PM timer: the RTC's date is the host's (BCD, 24-hour, as firmware leaves
 * it), its update-in-progress bit comes and goes once a second, its periodic interrupt arrives
 * through IOAPIC pin 8; the PM timer counts at 3.579545 MHz, checked against a PIT window.
 */
#include "guest.h"

#define APIC 0xfee00000ul
#define IOAPIC 0xfec00000ul
#define VEC_RTC 0x25
#define PM_TIMER 0xb008

struct interrupt_frame;
static volatile unsigned int rtc_irqs;

static uint8_t cmos(uint8_t index)
{
    outb(0x70, index);
    return inb(0x71);
}

static void cmos_write(uint8_t index, uint8_t v)
{
    outb(0x70, index);
    outb(0x71, v);
}

static unsigned int bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

__attribute__((interrupt)) static void rtc_handler(struct interrupt_frame *f)
{
    (void)f;
    rtc_irqs++;
    (void)cmos(0x0c);                               /* reading C allows the next interrupt */
    *(volatile uint32_t *)(APIC + 0xb0) = 0;
}

static void check_date(void)
{
    unsigned int year = bcd(cmos(0x09)), mon = bcd(cmos(0x08)), day = bcd(cmos(0x07));
    unsigned int h = bcd(cmos(0x04)), m = bcd(cmos(0x02)), s = bcd(cmos(0x00));

    report((cmos(0x0b) & 0x06) == 0x02, "rtc-bcd-24h", "register B 0x%x", cmos(0x0b));
    report(year >= 24 && mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h < 24 && m < 60 &&
           s < 60, "rtc-date", "20%02u-%02u-%02u %02u:%02u:%02u", year, mon, day, h, m, s);
    report(cmos(0x0d) & 0x80, "rtc-valid-ram-time", "register D 0x%x", cmos(0x0d));
}

static void check_uip(void)
{
    bool seen_set = false, seen_clear_after = false;

    for (unsigned long i = 0; i < 5000000 && !seen_clear_after; i++) {
        bool uip = cmos(0x0a) & 0x80;

        seen_clear_after = seen_set && !uip;
        seen_set = seen_set || uip;
    }
    report(seen_set && seen_clear_after, "rtc-update-in-progress", "UIP seen %s, then clear %s",
           seen_set ? "yes" : "no", seen_clear_after ? "yes" : "no");
}

static void check_periodic(void)
{
    *(volatile uint32_t *)(APIC + 0xf0) = 0x1ff;
    *(volatile uint32_t *)IOAPIC = 0x21;            /* pin 8, high half: APIC ID 0 */
    *(volatile uint32_t *)(IOAPIC + 0x10) = 0;
    *(volatile uint32_t *)IOAPIC = 0x20;            /* low half: edge, fixed */
    *(volatile uint32_t *)(IOAPIC + 0x10) = VEC_RTC;
    cmos_write(0x0a, 0x26);                         /* 1024 Hz */
    cmos_write(0x0b, cmos(0x0b) | 0x40);            /* periodic interrupt enable */
    (void)cmos(0x0c);
    for (int i = 0; i < 2000 && rtc_irqs < 5; i++)
        asm volatile("sti; hlt; cli");
    cmos_write(0x0b, cmos(0x0b) & ~0x40);
    report(rtc_irqs >= 5, "rtc-periodic-interrupt", "%u interrupts", rtc_irqs);
}

/* A 10 ms window on PIT channel 2 (gate through port 0x61), as firmware calibrates with. */
static void check_pm_rate(void)
{
    uint32_t start, end, ticks;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);                               /* channel 2, lo/hi, mode 0 */
    outb(0x42, 11932 & 0xff);
    outb(0x42, 11932 >> 8);
    start = inl(PM_TIMER) & 0xffffff;
    for (unsigned long i = 0; i < 50000000 && !(inb(0x61) & 0x20); i++)
        ;
    end = inl(PM_TIMER) & 0xffffff;
    ticks = (end - start) & 0xffffff;
    /* 35,795 counts in 10 ms; emulated hosts are jittery, so allow 25%. */
    report(ticks > 26846 && ticks < 44744, "pmtimer-rate-vs-pit", "%u counts in a 10 ms PIT window",
           ticks);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    guest_idt_set_handler(VEC_RTC, (void (*)(void))rtc_handler);
    check_date();
    check_uip();
    check_periodic();
    check_pm_rate();
}
