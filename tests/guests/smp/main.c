/*
 * Several vCPUs (the manifest gives this guest 4, more than some test hosts have CPUs): start
 * them with INIT/SIPI, check each one's identity, send IPIs in every addressing mode the guests
 * rely on, run a TLB-shootdown-style storm of IPIs while the others are busy, and let each vCPU's
 * own LAPIC timer tick at its own rate.
 */
#include "guest.h"

#define APIC_LDR        0xd0
#define APIC_DFR        0xe0
#define APIC_LVT_TIMER  0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_DIV  0x3e0
#define ICR_LOGICAL     (1u << 11)
#define ICR_ALL_BUT_SELF (3u << 18)
#define VEC_PING        40
#define VEC_FLUSH       41
#define VEC_TICK        42
#define PM_TIMER_PORT   0xb008
#define PM_TIMER_HZ     3579545u
#define SPINS           200000000ul     /* a bound on waits: far beyond any healthy delay */
#define STORM_ROUNDS    100
#define SHOOT_VA        0x200000000ul   /* 8 GiB, outside the identity map: remapped in the storm */

static volatile unsigned int pings[GUEST_MAX_CPUS], flushes[GUEST_MAX_CPUS], ticks[GUEST_MAX_CPUS];
static volatile unsigned int seen_gen[GUEST_MAX_CPUS], bad_reads[GUEST_MAX_CPUS];
static volatile uint32_t cpuid_apic[GUEST_MAX_CPUS], x2_apic[GUEST_MAX_CPUS];
static volatile unsigned int generation;
static volatile bool stop;
static unsigned int nr;
static uint64_t *pages[2];

__attribute__((interrupt)) static void ping_handler(struct guest_interrupt_frame *f)
{
    (void)f;
    __atomic_add_fetch(&pings[guest_cpu_id()], 1, __ATOMIC_SEQ_CST);
    guest_apic_eoi();
}

/* Like a TLB shootdown: drop the stale translation, then say which generation we are at. */
__attribute__((interrupt)) static void flush_handler(struct guest_interrupt_frame *f)
{
    unsigned int me = guest_cpu_id();

    (void)f;
    invlpg(SHOOT_VA);
    seen_gen[me] = generation;
    flushes[me]++;
    guest_apic_eoi();
}

__attribute__((interrupt)) static void tick_handler(struct guest_interrupt_frame *f)
{
    (void)f;
    ticks[guest_cpu_id()]++;
    guest_apic_eoi();
}

static uint32_t pm_now(void)
{
    return inl(PM_TIMER_PORT) & 0xffffff;
}

static uint64_t pm_elapsed(uint32_t from)
{
    return (pm_now() - from) & 0xffffff;
}

static void on_all_aps(void (*fn)(unsigned int, void *), void *arg)
{
    for (unsigned int c = 1; c < nr; c++)
        guest_smp_call(c, fn, arg);
    for (unsigned int c = 1; c < nr; c++)
        guest_smp_wait(c, SPINS);
}

static void identify(unsigned int cpu, void *arg)
{
    (void)arg;
    cpuid_apic[cpu] = cpuid(1).ebx >> 24;
    x2_apic[cpu] = cpuid_count(0xb, 0).edx;
    guest_apic_write(APIC_DFR, 0xffffffff);                 /* flat model */
    guest_apic_write(APIC_LDR, (1u << cpu) << 24);
}

static bool wait_count(volatile unsigned int *counter, unsigned int want)
{
    for (unsigned long i = 0; i < SPINS; i++) {
        if (*counter >= want)
            return true;
        cpu_relax();
    }
    return false;
}

static void check_start(void)
{
    nr = guest_smp_start();
    report(nr == guest_start_info.nr_vcpus && guest_cpus_online() == (1u << nr) - 1,
           "all vCPUs start through INIT and SIPI", "%u of %u online (mask %#x)", nr,
           guest_start_info.nr_vcpus, guest_cpus_online());
    identify(0, NULL);
    on_all_aps(identify, NULL);
    bool ok = true;
    for (unsigned int c = 0; c < nr; c++)
        ok &= cpuid_apic[c] == c && x2_apic[c] == c;
    report(ok, "each vCPU's CPUID APIC IDs are its number", "vCPU 1: %u/%u, vCPU %u: %u/%u",
           cpuid_apic[1], x2_apic[1], nr - 1, cpuid_apic[nr - 1], x2_apic[nr - 1]);
}

static void check_physical_ipis(void)
{
    bool ok = true;

    for (unsigned int c = 1; c < nr; c++) {
        for (unsigned int i = 1; i <= 50 && ok; i++) {
            guest_send_ipi(c, VEC_PING);
            ok = wait_count(&pings[c], i);
        }
    }
    report(ok && pings[0] == 0, "50 physical-destination IPIs reach each vCPU, one by one",
           "counts %u %u %u %u", pings[0], pings[1], pings[2], pings[3]);
}

static void check_shorthand_and_logical(void)
{
    unsigned int before[GUEST_MAX_CPUS];
    bool ok = true;

    for (unsigned int c = 0; c < nr; c++)
        before[c] = pings[c];
    for (unsigned int r = 1; r <= 20 && ok; r++) {
        guest_send_ipi(0, ICR_ALL_BUT_SELF | VEC_PING);
        for (unsigned int c = 1; c < nr; c++)
            ok &= wait_count(&pings[c], before[c] + r);
    }
    report(ok && pings[0] == before[0], "all-but-self IPIs reach every other vCPU and not the sender",
           "vCPU 0 %u->%u, vCPU 1 %u->%u", before[0], pings[0], before[1], pings[1]);

    /* Flat logical destination 0b1010: vCPUs 1 and 3 only. */
    for (unsigned int c = 0; c < nr; c++)
        before[c] = pings[c];
    guest_send_ipi(0x0a, ICR_LOGICAL | VEC_PING);
    ok = wait_count(&pings[1], before[1] + 1) && (nr < 4 || wait_count(&pings[3], before[3] + 1));
    for (unsigned int i = 0; i < 1000000; i++)          /* give a wrong delivery time to land */
        cpu_relax();
    report(ok && pings[0] == before[0] && pings[2] == before[2],
           "a logical-destination IPI reaches exactly the vCPUs in its mask",
           "deltas %u %u %u %u", pings[0] - before[0], pings[1] - before[1], pings[2] - before[2],
           nr > 3 ? pings[3] - before[3] : 0);
}

/* Each AP reads SHOOT_VA in a loop: once it has flushed for generation g, it must never again
 * see the page of an older generation. */
static void reader(unsigned int cpu, void *arg)
{
    (void)arg;
    while (!stop) {
        unsigned int gen = seen_gen[cpu];
        uint64_t val = *(volatile uint64_t *)SHOOT_VA;

        if (val < gen)
            bad_reads[cpu]++;
    }
}

static void check_storm(void)
{
    unsigned int rounds_ok = 0, bad = 0;
    pages[0] = pt_alloc_page();
    pages[1] = pt_alloc_page();

    pt_map(&guest_pt, SHOOT_VA, (uint64_t)pages[0], PAGE_SIZE, PTE_P | PTE_RW);
    *pages[0] = 0;
    stop = false;
    for (unsigned int c = 1; c < nr; c++)
        guest_smp_call(c, reader, NULL);
    for (unsigned int g = 1; g <= STORM_ROUNDS; g++) {
        bool all = true;

        *pages[g & 1] = g;
        pt_map(&guest_pt, SHOOT_VA, (uint64_t)pages[g & 1], PAGE_SIZE, PTE_P | PTE_RW);
        invlpg(SHOOT_VA);
        __atomic_store_n(&generation, g, __ATOMIC_SEQ_CST);
        guest_send_ipi(0, ICR_ALL_BUT_SELF | VEC_FLUSH);
        for (unsigned int c = 1; c < nr; c++) {
            for (unsigned long i = 0; seen_gen[c] != g && i < SPINS; i++)
                cpu_relax();
            all &= seen_gen[c] == g;
        }
        rounds_ok += all;
    }
    stop = true;
    for (unsigned int c = 1; c < nr; c++) {
        guest_smp_wait(c, SPINS);
        bad += bad_reads[c];
    }
    report(rounds_ok == STORM_ROUNDS, "100 rounds of shootdown IPIs to busy vCPUs are all acknowledged",
           "%u rounds complete", rounds_ok);
    report(bad == 0, "no vCPU reads a stale mapping after acknowledging a flush", "%u stale reads", bad);
}

/* vCPU n ticks every (n + 1) * 4 ms, halting in between, until told to stop. */
static void ticker(unsigned int cpu, void *arg)
{
    (void)arg;
    ticks[cpu] = 0;
    guest_apic_write(APIC_TIMER_DIV, 0xb);                              /* divide by 1: 1 GHz */
    guest_apic_write(APIC_LVT_TIMER, VEC_TICK | (1u << 17));            /* periodic */
    guest_apic_write(APIC_TIMER_INIT, (cpu + 1) * 4000000u);
    while (!stop)
        asm volatile("sti; hlt" ::: "memory");
    guest_apic_write(APIC_LVT_TIMER, 1u << 16);                         /* masked */
}

static void check_timers(void)
{
    uint32_t t0;
    uint64_t el;
    bool ok = true;

    stop = false;
    for (unsigned int c = 1; c < nr; c++)
        guest_smp_call(c, ticker, NULL);
    t0 = pm_now();
    while (pm_elapsed(t0) < PM_TIMER_HZ / 4)                             /* 250 ms */
        cpu_relax();
    stop = true;
    el = pm_elapsed(t0);
    for (unsigned int c = 1; c < nr; c++) {
        guest_send_ipi(c, GUEST_VEC_WAKE);
        ok &= guest_smp_wait(c, SPINS);
    }
    for (unsigned int c = 1; c < nr; c++) {
        /* Expected ticks: elapsed / period; 25% either way for hosts under load. */
        uint64_t want = el * 1000000000ull / PM_TIMER_HZ / ((c + 1) * 4000000ull);

        if (ticks[c] * 4 < want * 3 || ticks[c] * 4 > want * 5) {
            ok = false;
            report(false, "per-vCPU timer rate", "vCPU %u: %u ticks, expected about %llu", c,
                   ticks[c], (unsigned long long)want);
        }
    }
    report(ok, "each vCPU's periodic LAPIC timer ticks at its own rate (within 25%)",
           "ticks %u %u %u over %llu PM-timer counts", ticks[1], ticks[2], ticks[3],
           (unsigned long long)el);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    guest_idt_set_handler(VEC_PING, (void (*)(void))ping_handler);
    guest_idt_set_handler(VEC_FLUSH, (void (*)(void))flush_handler);
    guest_idt_set_handler(VEC_TICK, (void (*)(void))tick_handler);
    asm volatile("sti");
    check_start();
    if (nr < 2)
        return;
    check_physical_ipis();
    check_shorthand_and_logical();
    check_storm();
    check_timers();
}
