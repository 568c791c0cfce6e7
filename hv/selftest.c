/*
 * Boot self-checks of the machinery every later part relies on: a cross-CPU call reaches each CPU,
 * and each CPU's timer fires, repeatedly and never early. The results are printed for the boot
 * tests to read.
 */
#include <keel/cpu.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/selftest.h>
#include <keel/smp.h>
#include <keel/time.h>
#include <keel/timer.h>

#define TICKS 5
#define TICK_NS (10 * NSEC_PER_MSEC)

struct tick_state {
    struct timer timer;
    volatile unsigned int ticks;
    volatile unsigned int early;
};

static struct tick_state tick_state[MAX_CPUS];

static void record_cpu(void *arg)
{
    *(volatile unsigned int *)arg = this_cpu()->id;
}

static bool check_calls(void)
{
    bool ok = true;

    for (unsigned int i = 1; i < MAX_CPUS; i++) {
        volatile unsigned int seen = ~0u;

        if (!cpus[i])
            continue;
        if (smp_call_on(i, record_cpu, (void *)&seen) || seen != i) {
            pr_err("selftest: cross-CPU call to CPU %u failed\n", i);
            ok = false;
        }
    }
    return ok;
}

static void tick(struct timer *t)
{
    struct tick_state *s = t->data;

    if (now_ns() < t->deadline)
        s->early++;
    if (++s->ticks < TICKS)
        timer_set(t, now_ns() + TICK_NS);
}

static void start_ticking(void *arg)
{
    struct tick_state *s = &tick_state[this_cpu()->id];

    timer_init(&s->timer, tick, s);
    timer_set(&s->timer, now_ns() + TICK_NS);
}

static bool check_timers(unsigned int *ok_cpus)
{
    uint64_t deadline = now_ns() + 10 * NSEC_PER_SEC;
    bool done = false;

    start_ticking(NULL);
    for (unsigned int i = 1; i < MAX_CPUS; i++)
        if (cpus[i])
            smp_call_on(i, start_ticking, NULL);
    while (!done && now_ns() < deadline) {
        done = true;
        for (unsigned int i = 0; i < MAX_CPUS; i++)
            if (cpus[i] && tick_state[i].ticks < TICKS)
                done = false;
        cpu_relax();                            /* interrupts are on: the BSP ticks too */
    }
    *ok_cpus = 0;
    for (unsigned int i = 0; i < MAX_CPUS; i++) {
        if (!cpus[i])
            continue;
        if (tick_state[i].ticks >= TICKS && !tick_state[i].early)
            (*ok_cpus)++;
        else
            pr_err("selftest: CPU %u timer: %u of %u ticks, %u early\n", i, tick_state[i].ticks,
                   TICKS, tick_state[i].early);
    }
    return *ok_cpus == nr_cpus_online;
}

bool boot_selftest(void)
{
    unsigned int timer_cpus;
    bool calls = check_calls(), timers = check_timers(&timer_cpus);

    pr_info("selftest: cross-CPU calls %s on %u CPUs\n", calls ? "ok" : "FAILED", nr_cpus_online);
    pr_info("selftest: timers ok on %u of %u CPUs (%u ticks of %llu ms each)\n", timer_cpus,
            nr_cpus_online, TICKS, (unsigned long long)(TICK_NS / NSEC_PER_MSEC));
    return calls && timers;
}
