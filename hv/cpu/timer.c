/*
 * Software timers: a sorted list per CPU, the soonest deadline programmed into the APIC timer.
 * Lock order: a timer's own lock, then a CPU's list lock. The timer's lock keeps two CPUs that set
 * or cancel it at once from linking it into two lists; the list lock alone covers firing.
 */
#include <keel/apic.h>
#include <keel/dom0.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/time.h>
#include <keel/timer.h>
#include <keel/traps.h>

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *data)
{
    *t = (struct timer){ .fn = fn, .data = data };
}

/* Unlinks t from its CPU's list; call with that list's lock held. */
static void unlink_timer(struct percpu *p, struct timer *t)
{
    for (struct timer **pp = &p->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->armed = false;
}

static void program_hw(struct percpu *p)
{
    lapic_timer_arm(p->timers ? tsc_at(p->timers->deadline) : 0);
}

/* Takes t off the list it is armed on; call with t's lock held. */
static bool disarm(struct timer *t)
{
    struct percpu *p = cpus[t->cpu];
    bool was_armed;

    if (!p)
        return false;
    spin_lock(&p->timer_lock);
    was_armed = t->armed;
    if (was_armed)
        unlink_timer(p, t);
    spin_unlock(&p->timer_lock);
    return was_armed;
}

/* Where timers set on this CPU go: here, unless the CPU is dom0's (its APIC timer is dom0's). */
static struct percpu *timer_home(void)
{
    struct percpu *me = this_cpu();

    if (!cpu_is_dom0(me->id))
        return me;
    for (unsigned int i = 0; i < MAX_CPUS; i++)
        if (cpus[i] && cpus[i]->online && !cpu_is_dom0(i))
            return cpus[i];
    return me;
}

void timer_set(struct timer *t, uint64_t deadline_ns)
{
    unsigned long flags = spin_lock_irqsave(&t->lock);
    struct percpu *p = timer_home();
    struct timer **pp;

    disarm(t);
    spin_lock(&p->timer_lock);
    t->deadline = deadline_ns;
    t->cpu = p->id;
    t->armed = true;
    for (pp = &p->timers; *pp && (*pp)->deadline <= deadline_ns; pp = &(*pp)->next)
        ;
    t->next = *pp;
    *pp = t;
    if (p->timers == t && p == this_cpu())
        program_hw(p);
    else if (p->timers == t)            /* its timer interrupt reprograms it */
        lapic_send_ipi(p->apic_id, APIC_DM_FIXED | VEC_TIMER);
    spin_unlock(&p->timer_lock);
    spin_unlock_irqrestore(&t->lock, flags);
}

void timer_move_away(void)
{
    struct percpu *p = this_cpu();
    struct timer *list;
    unsigned long flags = spin_lock_irqsave(&p->timer_lock);

    list = p->timers;
    p->timers = NULL;
    lapic_timer_arm(0);
    spin_unlock_irqrestore(&p->timer_lock, flags);
    while (list) {
        struct timer *t = list;

        list = t->next;
        t->armed = false;
        timer_set(t, t->deadline);
    }
}

bool timer_cancel(struct timer *t)
{
    unsigned long flags = spin_lock_irqsave(&t->lock);
    bool was_armed = disarm(t);

    spin_unlock_irqrestore(&t->lock, flags);
    return was_armed;
}

/* Takes the first expired timer off this CPU's list, or returns NULL. */
static struct timer *pop_expired(struct percpu *p, uint64_t now)
{
    struct timer *t = NULL;

    spin_lock(&p->timer_lock);
    if (p->timers && p->timers->deadline <= now) {
        t = p->timers;
        p->timers = t->next;
        t->armed = false;
    }
    spin_unlock(&p->timer_lock);
    return t;
}

static void timer_interrupt(struct cpu_regs *regs)
{
    struct percpu *p = this_cpu();
    struct timer *t;

    lapic_eoi();
    p->irq_count++;
    while ((t = pop_expired(p, now_ns())))
        t->fn(t);
    spin_lock(&p->timer_lock);
    program_hw(p);
    spin_unlock(&p->timer_lock);
}

void timer_cpu_init(void)
{
    if (this_cpu()->id == 0)
        irq_set_handler(VEC_TIMER, timer_interrupt);
    lapic_timer_arm(0);
}
