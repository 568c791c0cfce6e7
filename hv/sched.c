/*
 * The scheduler: proportional shares per physical CPU, with balancing between CPUs
 * (the policy is described in keel/sched.h). The FPU and SSE registers are restored only when
 * a different vCPU runs on the CPU.
 *
 * Locking: a CPU's run list, its current vCPU and the pcpu of the vCPUs on it change under its
 * runq_lock; two lists are locked in CPU order. A vCPU changes lists only while no CPU runs it.
 */
#include <keel/apic.h>
#include <keel/cpu.h>
#include <keel/exits.h>
#include <keel/hvm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/dom0.h>
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

uint64_t sched_online_mask(void)
{
    uint64_t m = 0;

    for (unsigned int i = 0; i < MAX_CPUS; i++)
        if (cpus[i] && cpus[i]->online && !cpu_is_dom0(i))
            m |= 1ULL << i;
    return m;
}


static bool can_run(const struct vcpu *v)
{
    return v->runnable && !v->halted;
}

static void poke_cpu(struct percpu *p)
{
    if (p != this_cpu())
        lapic_send_ipi(p->apic_id, APIC_DM_FIXED | VEC_KICK);
}

/* v's CPU with its list locked (v may move between reading pcpu and taking the lock). */
static struct percpu *lock_cpu_of(struct vcpu *v, unsigned long *flags)
{
    for (;;) {
        struct percpu *p = cpus[__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE)];

        *flags = spin_lock_irqsave(&p->runq_lock);
        if (p->id == v->pcpu)
            return p;
        spin_unlock_irqrestore(&p->runq_lock, *flags);
    }
}

static void lock_two(struct percpu *a, struct percpu *b)
{
    spin_lock(&(a->id < b->id ? a : b)->runq_lock);
    spin_lock(&(a->id < b->id ? b : a)->runq_lock);
}

static void unlock_two(struct percpu *a, struct percpu *b)
{
    spin_unlock(&a->runq_lock);
    spin_unlock(&b->runq_lock);
}

static void list_add(struct percpu *p, struct vcpu *v)
{
    v->next_on_cpu = p->runq;
    p->runq = v;
    __atomic_store_n(&v->pcpu, p->id, __ATOMIC_RELEASE);
}

static bool list_del(struct percpu *p, struct vcpu *v)
{
    for (struct vcpu **pp = &p->runq; *pp; pp = &(*pp)->next_on_cpu) {
        if (*pp == v) {
            *pp = v->next_on_cpu;
            return true;
        }
    }
    return false;
}

/* The smallest vruntime among the runnable vCPUs of p (locked), or UINT64_MAX. */
static uint64_t min_vruntime(const struct percpu *p)
{
    uint64_t m = UINT64_MAX;

    for (const struct vcpu *v = p->runq; v; v = v->next_on_cpu)
        if (can_run(v) && v->vruntime < m)
            m = v->vruntime;
    if (p->current && p->current->vruntime < m)
        m = p->current->vruntime;
    return m;
}

/* Keeps a vCPU that arrives on p (locked) from being far ahead of or behind the ones there. */
static void settle_vruntime(struct percpu *p, struct vcpu *v)
{
    uint64_t floor = min_vruntime(p);

    if (floor == UINT64_MAX)
        floor = p->vruntime_floor;
    if (floor > SCHED_SLICE_NS && v->vruntime < floor - SCHED_SLICE_NS)
        v->vruntime = floor - SCHED_SLICE_NS;
    if (v->vruntime > floor + SCHED_SLICE_NS && floor != 0)
        v->vruntime = floor + SCHED_SLICE_NS;
}

static unsigned int nr_runnable(const struct percpu *p)
{
    unsigned int n = p->current ? 1 : 0;

    for (const struct vcpu *v = p->runq; v; v = v->next_on_cpu)
        if (can_run(v) && v != p->current)
            n++;
    return n;
}

/* A CPU in mask that is idle (halted in sched_idle), preferring those in prefer; or NULL. */
static struct percpu *find_idle(uint64_t mask, uint64_t prefer, const struct percpu *not)
{
    struct percpu *found = NULL;

    for (unsigned int i = 0; i < MAX_CPUS; i++) {
        struct percpu *q = cpus[i];

        if (!q || q == not || !(mask & (1ULL << i)) || !__atomic_load_n(&q->idle, __ATOMIC_ACQUIRE))
            continue;
        if (prefer & (1ULL << i))
            return q;
        if (!found)
            found = q;
    }
    return found;
}

/* Moves v (not running) from p to q; both locked. */
static void move(struct percpu *p, struct percpu *q, struct vcpu *v)
{
    list_del(p, v);
    list_add(q, v);
    settle_vruntime(q, v);
    __atomic_store_n(&q->idle, false, __ATOMIC_RELEASE);     /* nobody else sends it work now */
}

/* The least-loaded online CPU in mask (preferring prefer), for a new vCPU. */
static struct percpu *place(uint64_t mask, uint64_t prefer)
{
    struct percpu *best = NULL;
    unsigned int best_load = ~0u;

    for (int pass = 0; pass < 2 && !best; pass++) {
        uint64_t m = pass ? mask : mask & prefer;

        for (int i = MAX_CPUS - 1; i >= 0; i--) {       /* CPU 0 last: it also runs the tests */
            struct percpu *q = cpus[i];
            unsigned int load = 0;

            if (!q || !q->online || !(m & (1ULL << i)))
                continue;
            for (struct vcpu *v = q->runq; v; v = v->next_on_cpu)
                load += v->runnable && !v->wait_sipi;
            if (load < best_load) {
                best = q;
                best_load = load;
            }
        }
    }
    return best;
}

void sched_domain_start(struct domain *d)
{
    uint64_t online = sched_online_mask();

    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        struct percpu *p;
        unsigned long flags;

        v->affinity &= online;
        if (!v->affinity)
            v->affinity = online;
        v->wait_sipi = v->halted = i != 0;
        v->runnable = true;
        p = place(v->affinity, v->soft_affinity);
        flags = spin_lock_irqsave(&p->runq_lock);
        list_add(p, v);
        settle_vruntime(p, v);
        spin_unlock_irqrestore(&p->runq_lock, flags);
        if (i == 0)
            poke_cpu(p);
    }
}

void sched_kick(struct vcpu *v)
{
    struct percpu *p = cpus[v->pcpu];

    if (v->domain == dom0) {            /* interrupt vectors on its CPUs are dom0's own */
        dom0_kick();
        return;
    }
    if (p && __atomic_load_n(&p->current, __ATOMIC_ACQUIRE) == v)
        poke_cpu(p);
}

/* p is running some vCPU other than v. */
static bool busy_with_other(const struct percpu *p, const struct vcpu *v)
{
    const struct vcpu *cur = __atomic_load_n(&p->current, __ATOMIC_ACQUIRE);

    return cur && cur != v;
}

void sched_wake(struct vcpu *v)
{
    unsigned long flags;
    struct percpu *p, *q;

    if (!__atomic_exchange_n(&v->halted, false, __ATOMIC_SEQ_CST)) {
        sched_kick(v);                  /* running or runnable: it only has to look */
        return;
    }
    flags = local_irq_save();
    for (;;) {
        p = cpus[__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE)];
        q = busy_with_other(p, v) ? find_idle(v->affinity, v->soft_affinity, p) : NULL;
        if (q)
            lock_two(p, q);
        else
            spin_lock(&p->runq_lock);
        if (p->id == v->pcpu)
            break;
        spin_unlock(&p->runq_lock);
        if (q)
            spin_unlock(&q->runq_lock);
    }
    if (q && p->current != v && __atomic_load_n(&q->idle, __ATOMIC_ACQUIRE)) {
        move(p, q, v);
    } else {
        if (q)
            spin_unlock(&q->runq_lock);
        q = NULL;
        settle_vruntime(p, v);
        p->need_resched = true;         /* the waker may deserve the CPU now */
    }
    spin_unlock(&p->runq_lock);
    if (q)
        spin_unlock(&q->runq_lock);
    local_irq_restore(flags);
    poke_cpu(q ? q : p);
}

void sched_block(struct vcpu *v, bool (*still_idle)(struct vcpu *v))
{
    __atomic_store_n(&v->halted, true, __ATOMIC_SEQ_CST);
    /* An event that arrived before the store saw halted clear and kicked no one: look again. */
    if (!still_idle(v))
        __atomic_store_n(&v->halted, false, __ATOMIC_SEQ_CST);
}

void sched_pause(struct vcpu *v)
{
    struct percpu *p;

    __atomic_store_n(&v->runnable, false, __ATOMIC_SEQ_CST);
    p = cpus[__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE)];
    while (p && __atomic_load_n(&p->current, __ATOMIC_ACQUIRE) == v) {
        poke_cpu(p);
        cpu_relax();
        p = cpus[__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE)];
    }
}

static bool on_list(const struct percpu *p, const struct vcpu *v)
{
    for (const struct vcpu *w = p->runq; w; w = w->next_on_cpu)
        if (w == v)
            return true;
    return false;
}

/* A paused vCPU left its CPU's list (pick_next drops vCPUs that cannot run for good): it goes
 * back on the list of the CPU it last ran on. */
void sched_unpause(struct vcpu *v)
{
    unsigned long flags;
    struct percpu *p = lock_cpu_of(v, &flags);

    __atomic_store_n(&v->runnable, true, __ATOMIC_SEQ_CST);
    if (!on_list(p, v)) {
        list_add(p, v);
        settle_vruntime(p, v);
    }
    spin_unlock_irqrestore(&p->runq_lock, flags);
    poke_cpu(p);                        /* an idle CPU looks at its list again */
}

void sched_remove(struct vcpu *v)
{
    unsigned long flags;
    struct percpu *p;

    if (!cpus[v->pcpu])
        return;
    v->runnable = false;
    p = lock_cpu_of(v, &flags);
    list_del(p, v);
    spin_unlock_irqrestore(&p->runq_lock, flags);
    while (__atomic_load_n(&p->current, __ATOMIC_ACQUIRE) == v) {
        poke_cpu(p);
        cpu_relax();
    }
    /* A vCPU allocated later at the same address must not pass for v. */
    for (unsigned int i = 0; i < MAX_CPUS; i++)
        if (cpus[i])
            __atomic_compare_exchange_n(&cpus[i]->fpu_owner, &v, NULL, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
}

/* Drops vCPUs that will never run again; makes the runnable one with the least vruntime
 * current and returns it, or NULL. */
static struct vcpu *pick_next(struct percpu *p)
{
    unsigned long flags = spin_lock_irqsave(&p->runq_lock);
    struct vcpu *v, *best = NULL, **pp = &p->runq;

    while ((v = *pp)) {
        if (!v->runnable) {
            *pp = v->next_on_cpu;
            continue;
        }
        if (can_run(v) && (!best || v->vruntime < best->vruntime))
            best = v;
        pp = &v->next_on_cpu;
    }
    if (best && best->vruntime > p->vruntime_floor)
        p->vruntime_floor = best->vruntime;
    __atomic_store_n(&p->current, best, __ATOMIC_RELEASE);  /* sched_remove waits for it */
    spin_unlock_irqrestore(&p->runq_lock, flags);
    return best;
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

static void account(struct vcpu *v, uint64_t ns)
{
    unsigned int w = v->domain->weight ? v->domain->weight : SCHED_WEIGHT_DEFAULT;

    v->runtime_ns += ns;
    v->vruntime += ns * SCHED_WEIGHT_DEFAULT / w;
}

static void run_slice(struct percpu *p, struct vcpu *v)
{
    struct vm_exit exit;
    uint64_t start = now_ns();

    fpu_load(p, v);
    if (hvm_guest_rdtscp)
        wrmsr(0xc0000103, v->tsc_aux);      /* IA32_TSC_AUX: Keel itself never reads it */
    p->slice_start = start;
    p->need_resched = false;
    timer_set(&p->slice_timer, start + SCHED_SLICE_NS);
    while (v->runnable && !v->halted && !p->need_resched) {
        if (!vcpu_prepare_entry(v))
            break;
        hvm->vcpu_run(v, &exit);
        v->exits[exit.reason]++;
        vcpu_handle_exit(v, &exit);
    }
    timer_cancel(&p->slice_timer);
    __asm__ volatile("fxsave64 %0" : "=m"(v->fpu));
    account(v, now_ns() - start);
}

/* After a slice on a CPU with more runnable vCPUs than itself: give one to an idle CPU. */
static void push_extra(struct percpu *p)
{
    unsigned long flags = spin_lock_irqsave(&p->runq_lock);
    struct percpu *q = NULL;
    struct vcpu *w = NULL;

    if (nr_runnable(p) >= 2)
        for (w = p->runq; w; w = w->next_on_cpu)
            if (can_run(w) && w != p->current && (q = find_idle(w->affinity, w->soft_affinity, p)))
                break;
    /* p stays locked (w cannot go away): take q in order, or only if it is free. */
    if (q && (q->id > p->id ? (spin_lock(&q->runq_lock), true) : spin_trylock(&q->runq_lock))) {
        if (!q->idle)
            w = NULL;
        if (w)
            move(p, q, w);
        spin_unlock(&q->runq_lock);
    } else {
        w = NULL;
    }
    spin_unlock_irqrestore(&p->runq_lock, flags);
    if (w)
        poke_cpu(q);
}

/* An idle CPU (p) takes a waiting vCPU from one that has more to run than it can. */
static bool pull_work(struct percpu *p)
{
    for (unsigned int i = 1; i < MAX_CPUS; i++) {
        struct percpu *q = cpus[(p->id + i) % MAX_CPUS];
        struct vcpu *w = NULL;

        if (!q)
            continue;
        lock_two(p, q);
        if (nr_runnable(q) >= 2)
            for (w = q->runq; w; w = w->next_on_cpu)
                if (can_run(w) && w != q->current && (w->affinity & (1ULL << p->id)))
                    break;
        if (w)
            move(q, p, w);
        unlock_two(p, q);
        if (w)
            return true;
    }
    return false;
}

static bool has_work(struct percpu *p)
{
    bool any = false;

    spin_lock(&p->runq_lock);
    for (struct vcpu *v = p->runq; v && !any; v = v->next_on_cpu)
        any = can_run(v);
    spin_unlock(&p->runq_lock);
    return any;
}

void sched_run_this_cpu(void)
{
    struct percpu *p = this_cpu();
    struct vcpu *v;

    while ((v = pick_next(p))) {
        run_slice(p, v);
        push_extra(p);
        __atomic_store_n(&p->current, NULL, __ATOMIC_RELEASE);
    }
}

void sched_idle(void)
{
    struct percpu *p = this_cpu();

    __atomic_store_n(&p->idle, true, __ATOMIC_SEQ_CST);
    if (!has_work(p) && !pull_work(p) && !__atomic_load_n(&p->deferred, __ATOMIC_ACQUIRE))
        safe_halt();                    /* a wake-up's IPI or a timer ends it */
    __atomic_store_n(&p->idle, false, __ATOMIC_RELEASE);
    irq_enable();
}


void sched_defer_to(unsigned int cpu, void (*fn)(void))
{
    struct percpu *p = cpus[cpu];

    if (!p)
        return;
    __atomic_store_n(&p->deferred, fn, __ATOMIC_RELEASE);
    poke_cpu(p);
}

/* Work handed to this CPU with sched_defer_to, run outside interrupt context. */
static void run_deferred(void)
{
    void (*fn)(void) = __atomic_exchange_n(&this_cpu()->deferred, NULL, __ATOMIC_ACQ_REL);

    if (fn)
        fn();
}

__noreturn void sched_idle_loop(void)
{
    for (;;) {
        run_deferred();
        sched_run_this_cpu();
        irq_disable();
        sched_idle();
    }
}

uint64_t sched_vcpu_runtime(const struct vcpu *v)
{
    const struct percpu *p = this_cpu();
    uint64_t t = __atomic_load_n(&v->runtime_ns, __ATOMIC_RELAXED);

    return p->current == v ? t + (now_ns() - p->slice_start) : t;
}

uint64_t sched_domain_runtime(const struct domain *d)
{
    uint64_t sum = 0;

    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        sum += sched_vcpu_runtime(d->vcpus[i]);
    return sum;
}
