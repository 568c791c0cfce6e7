/*
 * The HPET at 0xfed00000: capabilities, the main counter, and timer 0 routed to IOAPIC pin 20,
 * one-shot and then periodic (the comparator-then-period write sequence Linux uses).
 */
#include "guest.h"

#define APIC 0xfee00000ul
#define IOAPIC 0xfec00000ul
#define HPET 0xfed00000ul
#define VEC_HPET 0x26
#define PIN 20
#define T0_INT_ENB (1u << 2)
#define T0_PERIODIC (1u << 3)
#define T0_VAL_SET (1u << 6)

struct interrupt_frame;
static volatile unsigned int hpet_irqs;

static uint64_t hpet_read(uint32_t reg)
{
    return *(volatile uint64_t *)(HPET + reg);
}

static void hpet_write(uint32_t reg, uint64_t v)
{
    *(volatile uint64_t *)(HPET + reg) = v;
}

__attribute__((interrupt)) static void hpet_handler(struct interrupt_frame *f)
{
    (void)f;
    hpet_irqs++;
    *(volatile uint32_t *)(APIC + 0xb0) = 0;
}

static void wait_irqs(unsigned int n)
{
    for (int i = 0; i < 2000 && hpet_irqs < n; i++)
        asm volatile("sti; hlt; cli");
}

static void route_pin(void)
{
    *(volatile uint32_t *)(APIC + 0xf0) = 0x1ff;
    *(volatile uint32_t *)IOAPIC = 0x10 + 2 * PIN + 1;
    *(volatile uint32_t *)(IOAPIC + 0x10) = 0;
    *(volatile uint32_t *)IOAPIC = 0x10 + 2 * PIN;
    *(volatile uint32_t *)(IOAPIC + 0x10) = VEC_HPET;      /* edge, fixed, unmasked */
}

void guest_main(const struct keel_start_info *si)
{
    uint64_t caps = hpet_read(0x000), period_fs = caps >> 32, ms, c1, c2;

    (void)si;
    guest_idt_set_handler(VEC_HPET, (void (*)(void))hpet_handler);
    report(((caps >> 16) & 0xffff) == 0x8086 && ((caps >> 8) & 0x1f) == 2 && period_fs,
           "hpet-capabilities", "capabilities 0x%lx", (unsigned long)caps);
    ms = period_fs ? 1000000000000ull / period_fs : 1;
    hpet_write(0x010, 1);                           /* enable the counter */
    c1 = hpet_read(0x0f0);
    for (int i = 0; i < 100000; i++)
        asm volatile("pause");
    c2 = hpet_read(0x0f0);
    report(c2 > c1, "hpet-counter-runs", "counter 0x%lx then 0x%lx", (unsigned long)c1, (unsigned long)c2);
    route_pin();
    hpet_write(0x100, ((uint64_t)PIN << 9) | T0_INT_ENB);
    hpet_write(0x108, hpet_read(0x0f0) + ms);
    wait_irqs(1);
    report(hpet_irqs == 1, "hpet-one-shot", "%u interrupts", hpet_irqs);
    hpet_write(0x100, ((uint64_t)PIN << 9) | T0_INT_ENB | T0_PERIODIC | T0_VAL_SET);
    hpet_write(0x108, hpet_read(0x0f0) + ms);       /* first comparator ... */
    hpet_write(0x108, ms);                          /* ... then the period */
    wait_irqs(6);
    hpet_write(0x100, 0);
    report(hpet_irqs >= 6, "hpet-periodic", "%u interrupts", hpet_irqs);
}
