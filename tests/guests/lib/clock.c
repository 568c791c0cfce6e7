/*
 * Guest time through the ACPI PM timer (a 24-bit counter at 3.579545 MHz at port 0xB008 on
 * Keel's platform): a clock every test can trust without calibrating anything.
 */
#include "guest.h"

uint32_t guest_pm_now(void)
{
    return inl(GUEST_PM_TIMER_PORT) & 0xffffff;
}

uint64_t guest_pm_since(uint32_t from)
{
    return (guest_pm_now() - from) & 0xffffff;
}

uint64_t guest_pm_to_ns(uint64_t counts)
{
    return counts * 1000000000ull / GUEST_PM_TIMER_HZ;
}

uint64_t guest_pm_us_since(uint32_t from)
{
    return guest_pm_since(from) * 1000000ull / GUEST_PM_TIMER_HZ;
}

void guest_busy_ms(unsigned int ms)
{
    uint64_t want = (uint64_t)ms * GUEST_PM_TIMER_HZ / 1000, total = 0;
    uint32_t last = guest_pm_now();

    while (total < want) {
        for (volatile unsigned int i = 0; i < 2000; i++)
            ;
        uint32_t now = guest_pm_now();

        total += (now - last) & 0xffffff;           /* read often enough never to miss a wrap */
        last = now;
    }
}

#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define WAKE_TICKS_PER_MS 62500u    /* Keel's 1 GHz bus clock divided by 16 */

__attribute__((interrupt)) static void wake_handler(struct guest_interrupt_frame *f)
{
    (void)f;
    guest_apic_eoi();
}

/*
 * Halts until *count reaches n or max_ms of PM-timer time have passed; the local APIC timer
 * (periodic, GUEST_VEC_TICK, a tenth of max_ms but 1-50 ms) wakes the vCPU meanwhile so that a
 * missing interrupt cannot hang the test. Returns with interrupts disabled and the APIC timer
 * stopped.
 */
bool guest_wait_irqs(volatile unsigned int *count, unsigned int n, unsigned int max_ms)
{
    uint64_t want = (uint64_t)max_ms * GUEST_PM_TIMER_HZ / 1000, total = 0;
    unsigned int tick_ms = max_ms / 10 < 1 ? 1 : max_ms / 10 > 50 ? 50 : max_ms / 10;
    uint32_t last = guest_pm_now();

    guest_idt_set_handler(GUEST_VEC_TICK, (void (*)(void))wake_handler);
    guest_apic_write(APIC_TIMER_DIV, 0x3);                  /* divide by 16 */
    guest_apic_write(APIC_LVT_TIMER, GUEST_VEC_TICK | LVT_PERIODIC);
    guest_apic_write(APIC_TIMER_INIT, tick_ms * WAKE_TICKS_PER_MS);
    while (*count < n && total < want) {
        asm volatile("sti; hlt; cli" ::: "memory");
        uint32_t now = guest_pm_now();

        total += (now - last) & 0xffffff;
        last = now;
    }
    guest_apic_write(APIC_LVT_TIMER, GUEST_VEC_TICK | LVT_MASKED);
    guest_apic_write(APIC_TIMER_INIT, 0);
    return *count >= n;
}

void guest_sleep_ms(unsigned int ms)
{
    static volatile unsigned int never;

    guest_wait_irqs(&never, 1, ms);
}

/*
 * PIT channel 2 counting down count clocks in mode 0, gated and watched through port 0x61 (as
 * firmware calibrates its clocks). clock() is read around the count write that starts it and
 * around the poll that sees OUT2 rise, so the window lasted between *lo and *hi of its units
 * (differences modulo mask + 1). False if OUT2 never rose or was already high at the first poll.
 */
bool guest_pit2_window(uint16_t count, uint64_t (*clock)(void), uint64_t mask, uint64_t *lo,
                       uint64_t *hi)
{
    uint64_t s0, s1, e0 = 0, e1;
    bool low_seen = false;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);                 /* gate 2 on, speaker off */
    outb(0x43, 0xb0);                                       /* channel 2, lo/hi, mode 0 */
    outb(0x42, count & 0xff);
    s0 = clock();
    outb(0x42, count >> 8);                                 /* counting starts here */
    s1 = clock();
    for (unsigned long i = 0; i < 2000000; i++) {
        uint64_t t = clock();

        if (inb(0x61) & 0x20)
            break;
        e0 = t;                                             /* OUT2 was still low after t */
        low_seen = true;
    }
    e1 = clock();
    *lo = (e0 - s1) & mask;
    *hi = (e1 - s0) & mask;
    return low_seen && (inb(0x61) & 0x20) && *lo <= *hi;
}
