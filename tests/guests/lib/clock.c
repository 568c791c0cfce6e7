/*
 * Guest time through the ACPI PM timer (a 24-bit counter at 3.579545 MHz at port 0xB008 on
 * Keel's platform): a clock every test can trust without calibrating anything.
 */
#include "guest.h"

#define PM_TIMER_PORT 0xb008

uint32_t guest_pm_now(void)
{
    return inl(PM_TIMER_PORT) & 0xffffff;
}

uint64_t guest_pm_since(uint32_t from)
{
    return (guest_pm_now() - from) & 0xffffff;
}

uint64_t guest_pm_to_ns(uint64_t counts)
{
    return counts * 1000000000ull / GUEST_PM_TIMER_HZ;
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
