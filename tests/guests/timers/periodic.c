/*
 * Periodic ticks against the PM timer: the PIT (channel 0, mode 2, IOAPIC pin 2), the local APIC
 * timer (periodic, divide by 16) and the HPET (timer 0 periodic, IOAPIC pin 20), all at 20 ms,
 * run together for ten ticks each.
 *
 * An interrupt's arrival says little about guest time on a loaded emulator: it can be late by
 * however long the host left the vCPU waiting. So each handler also reads its source's own
 * counter, which says how far past its latest period boundary the source is, and takes that
 * boundary in PM-timer time: the tick's grid point. Those points must be whole periods apart
 * (no drift). A host stall longer than a period drops ticks (by design: a late tick stands for
 * all it missed), which shows as grid points more than one period apart; up to half of them may
 * be dropped, so a source at half the rate still fails. A grid point is used only if the PM
 * timer moved less than 0.5 ms while it was read.
 */
#include "timers.h"

#define N_TICKS 10
#define PERIOD_MS 20
#define PIT_RELOAD 23864u                   /* 20.0003 ms */
#define APIC_COUNT (PERIOD_MS * 1000000u / APIC_NS_PER_TICK)
#define MAX_SKEW PM_MS(1) / 2
/* Worst distance of a grid point from the grid: twice the read skew allowed, which is 0.5% of
 * the ten periods. */
#define GRID_TOLERANCE (2 * MAX_SKEW)

enum { SRC_PIT, SRC_LAPIC, SRC_HPET, NR_SRC };
static const char *const src_name[NR_SRC] = { "pit", "lapic", "hpet" };
static volatile unsigned int ticks[NR_SRC];
static volatile uint32_t grid[NR_SRC][N_TICKS + 1];
static volatile bool grid_ok[NR_SRC][N_TICKS + 1];
static uint64_t hpet_period;                /* in HPET clocks */

static uint32_t pit_to_pm(uint64_t clocks)
{
    return (uint32_t)(clocks * GUEST_PM_TIMER_HZ / PIT_HZ);
}

static uint32_t ns_to_pm(uint64_t ns)
{
    return (uint32_t)(ns * GUEST_PM_TIMER_HZ / NS_PER_S);
}

/* PM counts since the source's latest period boundary, from its own counter. */
static uint32_t since_boundary(int src)
{
    uint64_t v;

    switch (src) {
    case SRC_PIT:
        outb(0x43, 0x00);                               /* latch channel 0 */
        v = inb(0x40);
        v |= (uint64_t)inb(0x40) << 8;                  /* counts down from the reload to 1 */
        return pit_to_pm((PIT_RELOAD - v) % PIT_RELOAD);
    case SRC_LAPIC:
        v = guest_apic_read(APIC_TIMER_CUR);
        return ns_to_pm((APIC_COUNT - v) % APIC_COUNT * APIC_NS_PER_TICK);
    default:                                            /* the comparator is the next match */
        v = hpet_read(HPET_COUNTER) - (hpet_read(HPET_T0_CMP) - hpet_period);
        return ns_to_pm(v * hpet_fs / 1000000);
    }
}

static void tick(int src)
{
    unsigned int n = ticks[src];

    if (n <= N_TICKS) {
        uint32_t before = guest_pm_now(), since = since_boundary(src);
        uint32_t after = guest_pm_now();

        grid[src][n] = (before - since) & PM_MASK;
        grid_ok[src][n] = ((after - before) & PM_MASK) < MAX_SKEW;
    }
    ticks[src] = n + 1;
    guest_apic_eoi();
}

#define TICK_HANDLER(src)                                                                    \
    __attribute__((interrupt)) static void src##_handler(struct guest_interrupt_frame *f)   \
    {                                                                                        \
        (void)f;                                                                             \
        tick(src);                                                                           \
    }
TICK_HANDLER(SRC_PIT)
TICK_HANDLER(SRC_LAPIC)
TICK_HANDLER(SRC_HPET)

/* Each source's period in PM counts, from how it was programmed. */
static void start_periodic(uint32_t period_pm[NR_SRC])
{
    hpet_period = PERIOD_MS * 1000000000000ull / hpet_fs;
    period_pm[SRC_PIT] = pit_to_pm(PIT_RELOAD);
    period_pm[SRC_LAPIC] = ns_to_pm((uint64_t)APIC_COUNT * APIC_NS_PER_TICK);
    period_pm[SRC_HPET] = ns_to_pm(hpet_period * hpet_fs / 1000000);
    guest_idt_set_handler(VEC_PIT, (void (*)(void))SRC_PIT_handler);
    guest_idt_set_handler(VEC_LAPIC, (void (*)(void))SRC_LAPIC_handler);
    guest_idt_set_handler(VEC_HPET, (void (*)(void))SRC_HPET_handler);
    guest_ioapic_route(PIT_PIN, VEC_PIT, false);
    outb(0x43, 0x34);                                   /* channel 0, lo/hi, mode 2 */
    outb(0x40, PIT_RELOAD & 0xff);
    outb(0x40, PIT_RELOAD >> 8);
    guest_apic_write(APIC_TIMER_DIV, 0x3);              /* divide by 16 */
    guest_apic_write(APIC_LVT_TIMER, VEC_LAPIC | LVT_PERIODIC);
    guest_apic_write(APIC_TIMER_INIT, APIC_COUNT);
    guest_ioapic_route(HPET_PIN, VEC_HPET, false);
    hpet_write(HPET_T0_CONFIG,
               HPET_PIN << 9 | HPET_T0_INT_ENB | HPET_T0_PERIODIC | HPET_T0_VAL_SET);
    hpet_write(HPET_T0_CMP, hpet_read(HPET_COUNTER) + hpet_period);    /* first match ... */
    hpet_write(HPET_T0_CMP, hpet_period);                               /* ... then the period */
}

static void stop_periodic(void)
{
    guest_ioapic_mask(PIT_PIN);
    guest_apic_write(APIC_LVT_TIMER, VEC_LAPIC | LVT_MASKED);
    guest_apic_write(APIC_TIMER_INIT, 0);
    hpet_write(HPET_T0_CONFIG, 0);
    guest_ioapic_mask(HPET_PIN);
}

static bool all_ticked(void)
{
    for (int i = 0; i < NR_SRC; i++)
        if (ticks[i] <= N_TICKS)
            return false;
    return true;
}

struct grid_fit {
    unsigned int points;        /* grid points read cleanly */
    unsigned int periods;       /* from the first of them to the last */
    unsigned int ticks;         /* delivered over those periods */
    uint32_t worst;             /* largest distance from a whole number of periods */
};

static void fit_grid(int src, uint32_t period, struct grid_fit *f)
{
    int first = -1;

    *f = (struct grid_fit){ 0 };
    for (int k = 0; k <= N_TICKS; k++) {
        uint32_t d, m, off;

        if (!grid_ok[src][k])
            continue;
        first = first < 0 ? k : first;
        d = (grid[src][k] - grid[src][first]) & PM_MASK;
        m = (d + period / 2) / period;
        off = d > m * period ? d - m * period : m * period - d;
        f->worst = off > f->worst ? off : f->worst;
        f->points++;
        f->periods = m;
        f->ticks = k - first;
    }
}

void check_periodic(void)
{
    uint32_t period[NR_SRC], start = guest_pm_now();
    struct grid_fit f;
    char name[32];

    start_periodic(period);
    while (!all_ticked() && ((guest_pm_now() - start) & PM_MASK) < PM_MS(1000))
        asm volatile("sti; hlt; cli" ::: "memory");
    stop_periodic();
    for (int i = 0; i < NR_SRC; i++) {
        fit_grid(i, period[i], &f);
        snprintf(name, sizeof(name), "periodic-%s-no-drift", src_name[i]);
        report(ticks[i] > N_TICKS && f.points > N_TICKS / 2 && f.worst <= GRID_TOLERANCE &&
               f.periods >= f.ticks && f.periods <= f.ticks + N_TICKS / 2, name,
               "%u ticks, %u grid points read, %u ticks over %u periods of %u PM counts, worst "
               "%u counts off the grid (tolerance %u)", ticks[i], f.points, f.ticks, f.periods,
               period[i], f.worst, GRID_TOLERANCE);
    }
}
