/*
 * Running vCPUs on physical CPUs: each CPU takes the vCPUs on its run list in turn, one time
 * slice each, skipping those that are halted or whose domain stopped. The FPU and SSE registers
 * are restored only when a different vCPU runs on the CPU.
 */
#include <keel/apic.h>
#include <keel/cpu.h>
#include <keel/exits.h>
#include <keel/hvm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/smp.h>
#include <keel/time.h>
#include <keel/traps.h>

static void kick_interrupt(struct cpu_regs *regs)
{
    lapic_eoi();
}

static void slice_end(struct timer *t)
{
    ((struct percpu *)t->data)->need_resched = true;
}

void sched_cpu_init(void)
{
    struct percpu *p = this_cpu();

    if (p->id == 0)
        irq_set_handler(VEC_KICK, kick_interrupt);
    timer_init(&p->slice_timer, slice_end, p);
    write_cr4(read_cr4() | X86_CR4_OSFXSR | (1UL << 10));   /* OSXMMEXCPT: for FXSAVE/FXRSTOR */
}

void sched_kick(struct vcpu *v)
{
    struct percpu *p = cpus[v->pcpu];

    if (!p)
        return;
    p->need_resched = true;
    if (p != this_cpu())
        lapic_send_ipi(p->apic_id, APIC_DM_FIXED | VEC_KICK);
}

void sched_assign(struct vcpu *v, unsigned int cpu)
{
    struct percpu *p = cpus[cpu];
    unsigned long flags = spin_lock_irqsave(&p->runq_lock);
    struct vcpu **pp = &p->runq;

    while (*pp)
        pp = &(*pp)->next_on_cpu;
    v->next_on_cpu = NULL;
    v->pcpu = cpu;
    v->runnable = true;
    *pp = v;
    spin_unlock_irqrestore(&p->runq_lock, flags);
    if (p != this_cpu())
        lapic_send_ipi(p->apic_id, APIC_DM_FIXED | VEC_KICK);
}

/* Drops vCPUs that will never run again; returns the one after prev that can run now, or NULL. */
static struct vcpu *pick_next(struct percpu *p, struct vcpu *prev)
{
    unsigned long flags = spin_lock_irqsave(&p->runq_lock);
    struct vcpu *v, **pp = &p->runq;

    while ((v = *pp)) {
        if (!v->runnable)
            *pp = v->next_on_cpu;
        else
            pp = &v->next_on_cpu;
    }
    v = prev && prev->runnable ? prev->next_on_cpu : NULL;
    for (unsigned int pass = 0; pass < 2; pass++, v = p->runq) {
        for (; v; v = v->next_on_cpu)
            if (v->runnable && !v->halted)
                goto out;
    }
out:
    p->current = v;                     /* under the lock: sched_remove waits for it */
    spin_unlock_irqrestore(&p->runq_lock, flags);
    return v;
}

void sched_remove(struct vcpu *v)
{
    struct percpu *p = cpus[v->pcpu];
    unsigned long flags;

    if (!p)
        return;
    v->runnable = false;
    flags = spin_lock_irqsave(&p->runq_lock);
    for (struct vcpu **pp = &p->runq; *pp; pp = &(*pp)->next_on_cpu) {
        if (*pp == v) {
            *pp = v->next_on_cpu;
            break;
        }
    }
    spin_unlock_irqrestore(&p->runq_lock, flags);
    while (__atomic_load_n(&p->current, __ATOMIC_ACQUIRE) == v) {
        sched_kick(v);
        cpu_relax();
    }
    /* A vCPU allocated later at the same address must not pass for v. */
    __atomic_compare_exchange_n(&p->fpu_owner, &v, NULL, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* The registers hold fpu_owner's FPU/SSE state; each slice saves it when it ends, so a switch
 * only restores, and never writes into a vCPU that is not running here. */
static void fpu_load(struct percpu *p, struct vcpu *v)
{
    if (p->fpu_owner == v)
        return;
    __asm__ volatile("fxrstor64 %0" :: "m"(v->fpu));
    p->fpu_owner = v;
}

static void run_slice(struct percpu *p, struct vcpu *v)
{
    struct vm_exit exit;

    fpu_load(p, v);
    p->need_resched = false;
    timer_set(&p->slice_timer, now_ns() + SCHED_SLICE_NS);
    while (v->runnable && !v->halted && !p->need_resched) {
        vcpu_prepare_entry(v);
        hvm->vcpu_run(v, &exit);
        v->exits[exit.reason]++;
        vcpu_handle_exit(v, &exit);
    }
    timer_cancel(&p->slice_timer);
    __asm__ volatile("fxsave64 %0" : "=m"(v->fpu));
    __atomic_store_n(&p->current, NULL, __ATOMIC_RELEASE);
}

void sched_run_this_cpu(void)
{
    struct percpu *p = this_cpu();
    struct vcpu *v = NULL;

    while ((v = pick_next(p, v)))
        run_slice(p, v);
}

__noreturn void sched_idle_loop(void)
{
    struct percpu *p = this_cpu();

    for (;;) {
        sched_run_this_cpu();
        irq_disable();
        if (!pick_next(p, NULL))
            safe_halt();                    /* an IPI or a timer wakes us */
        else
            irq_enable();
    }
}
