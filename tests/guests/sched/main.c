/*
 * Fair shares. The manifest runs three of these together, all pinned to physical CPU 0:
 * "light" (weight 256) and "heavy" (weight 512) spin, and each checks that the run time the
 * hypervisor accounted to it over a measured interval is its share of a CPU (1/3 and 2/3,
 * within 10%); "idle" halts until its timer fires and checks that it used (almost) no CPU.
 */
#include "guest.h"

#define WARMUP_MS   100         /* all three domains are running by then... */
#define COOLDOWN_MS 100         /* ...and still running until the others have measured */
#define MEASURE_MS  600
#define APIC_LVT_TIMER  0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_DIV  0x3e0
#define VEC_TIMER   40

static volatile bool fired;

__attribute__((interrupt)) static void timer_handler(struct guest_interrupt_frame *f)
{
    (void)f;
    fired = true;
    guest_apic_eoi();
}

static uint64_t runtime_ns(void)
{
    return (uint64_t)guest_hypercall(KEEL_HC_RUNTIME, 0, 0, 0, 0, 0);
}

static void spin_and_measure(unsigned int share_num, unsigned int share_den, const char *name)
{
    uint64_t r0, r1, el, share_ppm, want_ppm = 1000000ull * share_num / share_den;
    uint32_t t0;

    guest_busy_ms(WARMUP_MS);
    r0 = runtime_ns();
    t0 = guest_pm_now();
    guest_busy_ms(MEASURE_MS);
    r1 = runtime_ns();
    el = guest_pm_to_ns(guest_pm_since(t0));
    guest_busy_ms(COOLDOWN_MS);
    share_ppm = (r1 - r0) * 1000000ull / el;
    printf("sched: ran %llu of %llu us (%llu ppm of the CPU)\n", (unsigned long long)(r1 - r0) / 1000,
           (unsigned long long)el / 1000, (unsigned long long)share_ppm);
    report(share_ppm * 10 >= want_ppm * 9 && share_ppm * 10 <= want_ppm * 11, name,
           "ran %llu of %llu us: %llu.%04llu of the CPU, expected %u/%u within 10%%",
           (unsigned long long)(r1 - r0) / 1000, (unsigned long long)el / 1000,
           (unsigned long long)share_ppm / 1000000, (unsigned long long)share_ppm % 1000000 / 100,
           share_num, share_den);
}

static void idle(void)
{
    uint64_t r0, r1, el;
    uint32_t t0;

    guest_idt_set_handler(VEC_TIMER, (void (*)(void))timer_handler);
    guest_apic_enable();
    guest_apic_write(APIC_TIMER_DIV, 0xb);                  /* divide by 1: 1 GHz */
    guest_apic_write(APIC_LVT_TIMER, VEC_TIMER);            /* one-shot */
    r0 = runtime_ns();
    t0 = guest_pm_now();
    guest_apic_write(APIC_TIMER_INIT, (WARMUP_MS + MEASURE_MS) * 1000000u);
    while (!fired)
        asm volatile("sti; hlt; cli" ::: "memory");
    el = guest_pm_to_ns(guest_pm_since(t0));
    r1 = runtime_ns();
    report(el >= (WARMUP_MS + MEASURE_MS - 5) * 1000000ull, "the idle guest waited for its timer",
           "%llu us", (unsigned long long)el / 1000);
    report((r1 - r0) * 100 < el * 2, "a halted guest uses under 2% of a CPU",
           "ran %llu us in %llu us", (unsigned long long)(r1 - r0) / 1000,
           (unsigned long long)el / 1000);
}

void guest_main(const struct keel_start_info *si)
{
    if (!strcmp(si->cmdline, "light"))
        spin_and_measure(1, 3, "weight 256 next to weight 512 gets a third of the CPU");
    else if (!strcmp(si->cmdline, "heavy"))
        spin_and_measure(2, 3, "weight 512 next to weight 256 gets two thirds of the CPU");
    else if (!strcmp(si->cmdline, "idle"))
        idle();
    else
        report(false, "arg", "unknown role \"%s\"", si->cmdline);
}
