/*
 * Boot self-checks of the machinery every later part relies on: a cross-CPU call reaches each CPU,
 * each CPU's timer fires, repeatedly and never early, and a timer re-armed from every CPU at once
 * stays on one CPU's list. The results are printed for the boot tests to read.
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

/*
 * Device timers are re-armed from whichever CPU runs the vCPU and from their own callback on the
 * CPU they were armed on. Here the boot CPU's loop and every CPU's timer interrupt (in bursts of
 * SHARED_BURST) re-arm one shared timer for SHARED_RUN_NS while it re-arms itself; afterwards no
 * CPU's list may hold it, and every list must be a clean chain of armed timers that belong to it.
 * (Before timers had their own lock this corrupted the lists, or hung in them, within a few runs.)
 */
#define SHARED_NS (100 * NSEC_PER_USEC)
#define SHARED_RUN_NS (100 * NSEC_PER_MSEC)
#define SHARED_BURST 32
#define LIST_MAX 1000

static struct timer shared, hammers[MAX_CPUS];
static volatile uint64_t shared_until;
static volatile unsigned int shared_fired, hammer_sets[MAX_CPUS];

static void shared_fn(struct timer *t)
{
    shared_fired++;
    if (now_ns() < shared_until)
        timer_set(t, now_ns() + SHARED_NS);
}

static void hammer_fn(struct timer *t)
{
    if (now_ns() >= shared_until)
        return;
    for (unsigned int i = 0; i < SHARED_BURST && now_ns() < shared_until; i++)
        timer_set(&shared, now_ns() + SHARED_NS);
    hammer_sets[this_cpu()->id] += SHARED_BURST;
    timer_set(t, now_ns() + SHARED_NS / 2);
}

static void nothing(void *arg)
{
}

static void start_hammer(void *arg)
{
    struct timer *t = &hammers[this_cpu()->id];

    timer_init(t, hammer_fn, NULL);
    timer_set(t, now_ns() + SHARED_NS / 2);
}

/* A CPU's list: acyclic, each entry armed and on this CPU, and not the shared timer. */
static bool list_clean(struct percpu *p)
{
    unsigned long flags = spin_lock_irqsave(&p->timer_lock);
    unsigned int n = 0;
    bool ok = true;

    for (struct timer *t = p->timers; t && ok; t = t->next)
        ok = ++n < LIST_MAX && t->armed && t->cpu == p->id && t != &shared;
    spin_unlock_irqrestore(&p->timer_lock, flags);
    return ok;
}

static bool check_shared_timer(void)
{
    unsigned int sets = 0;
    bool ok = true;

    timer_init(&shared, shared_fn, NULL);
    shared_until = now_ns() + SHARED_RUN_NS;
    timer_set(&shared, now_ns() + SHARED_NS);
    start_hammer(NULL);
    for (unsigned int i = 1; i < MAX_CPUS; i++)
        if (cpus[i])
            smp_call_on(i, start_hammer, NULL);
    while (now_ns() < shared_until) {
        timer_set(&shared, now_ns() + SHARED_NS);
        sets++;
    }
    while (now_ns() < shared_until + 10 * NSEC_PER_MSEC)
        cpu_relax();
    /* A cross-CPU call returns once that CPU takes interrupts again: no burst is still running
     * there (a slow emulated CPU can still be in one after the deadline). */
    for (unsigned int i = 1; i < MAX_CPUS; i++)
        if (cpus[i])
            smp_call_on(i, nothing, NULL);
    timer_cancel(&shared);
    for (unsigned int i = 0; i < MAX_CPUS; i++) {
        if (!cpus[i])
            continue;
        timer_cancel(&hammers[i]);
        sets += hammer_sets[i];
        if (!list_clean(cpus[i])) {
            pr_err("selftest: CPU %u timer list corrupted by a timer armed from every CPU\n", i);
            ok = false;
        }
    }
    pr_info("selftest: a timer re-armed %u times from %u CPUs fired %u times%s\n", sets,
            nr_cpus_online, shared_fired, ok ? "" : ": FAILED");
    return ok;              /* it may never fire: every CPU keeps pushing it back */
}

bool boot_selftest(void)
{
    unsigned int timer_cpus;
    bool calls = check_calls(), timers = check_timers(&timer_cpus), shared_ok = check_shared_timer();

    pr_info("selftest: cross-CPU calls %s on %u CPUs\n", calls ? "ok" : "FAILED", nr_cpus_online);
    pr_info("selftest: timers ok on %u of %u CPUs (%u ticks of %llu ms each)\n", timer_cpus,
            nr_cpus_online, TICKS, (unsigned long long)(TICK_NS / NSEC_PER_MSEC));
    return calls && timers && shared_ok;
}
