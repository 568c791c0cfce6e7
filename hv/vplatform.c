/*
 * The virtual platform's glue (see vplatform.h). Each vCPU's local APIC is a pure model
 * (hv/vdev/vlapic.c) behind a per-vCPU lock: its own vCPU, its timer (interrupt context on the
 * vCPU's CPU) and other vCPUs' IPIs all reach it. Its timer runs on the hypervisor's timer API on
 * the vCPU's CPU; an interrupt that becomes pending wakes a halted vCPU.
 */
#include <keel/hvm.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/time.h>
#include <keel/vlapic.h>
#include <keel/vplatform.h>

#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

struct vcpu_platform {
    struct vlapic lapic;
    struct vlapic_env env;
    spinlock_t lock;
    struct timer timer;
    struct vcpu *v;
};

static struct vcpu_platform *plat(struct vcpu *v)
{
    return v->platform;
}

static uint64_t guest_now(void *ctx)
{
    struct vcpu *v = ((struct vcpu_platform *)ctx)->v;

    return now_ns() - v->domain->created_ns;
}

static uint64_t guest_tsc(void *ctx)
{
    return rdtsc() + hvm->get_msr(((struct vcpu_platform *)ctx)->v, HVM_MSR_TSC_OFFSET);
}

static void no_irq_line(void *ctx, unsigned int line, bool level)
{
}

static void no_ioapic(void *ctx, uint8_t vector)
{
}

/* Something may have become pending for v: let it run if it was halted. */
static void wake(struct vcpu *v)
{
    if (v->halted) {
        v->halted = false;
        sched_kick(v);
    }
}

static void timer_sync(struct vcpu_platform *p);

static void timer_fired(struct timer *t)
{
    struct vcpu_platform *p = t->data;
    unsigned long flags = spin_lock_irqsave(&p->lock);

    vlapic_update(&p->lapic);
    spin_unlock_irqrestore(&p->lock, flags);
    timer_sync(p);
    wake(p->v);
}

/* Arms the hypervisor timer for the model's next event (on the CPU running this code). */
static void timer_sync(struct vcpu_platform *p)
{
    unsigned long flags = spin_lock_irqsave(&p->lock);
    uint64_t next = vlapic_next_event(&p->lapic);

    spin_unlock_irqrestore(&p->lock, flags);
    if (next == VDEV_NO_EVENT)
        timer_cancel(&p->timer);
    else
        timer_set(&p->timer, next + p->v->domain->created_ns);
}

static bool ipi_targets(struct vcpu *src, struct vcpu *dst, uint8_t shorthand, uint32_t dest,
                        bool logical)
{
    switch (shorthand) {
    case 1: return dst == src;
    case 2: return true;
    case 3: return dst != src;
    default: return vlapic_match_dest(&plat(dst)->lapic, dest, logical);
    }
}

static void send_ipi(void *ctx, uint32_t dest, bool logical, uint8_t shorthand, uint8_t mode,
                     uint8_t vector, bool level_assert)
{
    struct vcpu *src = ((struct vcpu_platform *)ctx)->v;
    struct domain *d = src->domain;

    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *dst = d->vcpus[i];
        struct vcpu_platform *p = plat(dst);
        unsigned long flags;

        if (!ipi_targets(src, dst, shorthand, dest, logical))
            continue;
        /* The sender's own lock is held by the register write that sent this. */
        flags = dst == src ? 0 : spin_lock_irqsave(&p->lock);
        vlapic_accept(&p->lapic, mode, vector, false);
        if (dst != src)
            spin_unlock_irqrestore(&p->lock, flags);
        wake(dst);
    }
}

static int vcpu_platform_init(struct vcpu *v)
{
    struct vcpu_platform *p = kzalloc(sizeof(*p));

    if (!p)
        return -ENOMEM;
    p->v = v;
    p->env = (struct vlapic_env){
        .base = { .now_ns = guest_now, .set_irq = no_irq_line, .ctx = p },
        .send_ipi = send_ipi, .eoi_level = no_ioapic, .tsc = guest_tsc, .tsc_khz = tsc_khz,
        .tsc_deadline = false,          /* not offered in CPUID yet */
    };
    vlapic_init(&p->lapic, &p->env, v->id, v->id == 0);
    timer_init(&p->timer, timer_fired, p);
    v->platform = p;
    return 0;
}

int vplatform_init(struct domain *d)
{
    int r = p2m_set_entry(&d->p2m, _gfn(VLAPIC_MMIO_BASE >> PAGE_SHIFT), INVALID_MFN, P2M_ORDER_4K,
                          p2m_mmio_hv);

    d->created_ns = now_ns();
    for (unsigned int i = 0; !r && i < d->nr_vcpus; i++)
        r = vcpu_platform_init(d->vcpus[i]);
    return r;
}

void vplatform_destroy(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu_platform *p = plat(d->vcpus[i]);

        if (!p)
            continue;
        timer_cancel(&p->timer);
        kfree(p);
        d->vcpus[i]->platform = NULL;
    }
}

int vplatform_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;
    uint32_t val = 0;

    if (!p || (gpa & PAGE_MASK) != VLAPIC_MMIO_BASE)
        return -ENOENT;
    /* The model reads 0 and ignores writes for any access other than an aligned dword. */
    for (unsigned int i = 0; write && i < MIN(size, 4u); i++)
        val |= (uint32_t)((uint8_t *)buf)[i] << (8 * i);
    flags = spin_lock_irqsave(&p->lock);
    if (write)
        vlapic_mmio_write(&p->lapic, (uint32_t)(gpa & ~PAGE_MASK), size, val);
    else
        val = vlapic_mmio_read(&p->lapic, (uint32_t)(gpa & ~PAGE_MASK), size);
    spin_unlock_irqrestore(&p->lock, flags);
    for (unsigned int i = 0; !write && i < size; i++)
        ((uint8_t *)buf)[i] = i < 4 ? (uint8_t)(val >> (8 * i)) : 0;
    if (write)
        timer_sync(p);
    return 0;
}

int vplatform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;
    int r = -ENOENT;

    if (!p || (msr != MSR_IA32_APIC_BASE && (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)))
        return -ENOENT;
    flags = spin_lock_irqsave(&p->lock);
    if (msr == MSR_IA32_APIC_BASE) {
        *val = vlapic_apic_base_read(&p->lapic);
        r = 0;
    } else {
        r = vlapic_msr_read(&p->lapic, msr, val);
    }
    spin_unlock_irqrestore(&p->lock, flags);
    return r;
}

int vplatform_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;
    int r;

    if (!p || (msr != MSR_IA32_APIC_BASE && (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)))
        return -ENOENT;
    if (msr == MSR_IA32_APIC_BASE && (val & (1ULL << 10)))
        return -EPERM;                  /* x2APIC is not offered in CPUID yet */
    flags = spin_lock_irqsave(&p->lock);
    r = msr == MSR_IA32_APIC_BASE ? vlapic_apic_base_write(&p->lapic, val)
                                  : vlapic_msr_write(&p->lapic, msr, val);
    spin_unlock_irqrestore(&p->lock, flags);
    timer_sync(p);
    return r;
}

int vplatform_pending_irq(struct vcpu *v)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;
    int vec;

    if (!p)
        return -1;
    flags = spin_lock_irqsave(&p->lock);
    vec = vlapic_pending_irq(&p->lapic);
    spin_unlock_irqrestore(&p->lock, flags);
    return vec;
}

void vplatform_ack(struct vcpu *v, uint8_t vector)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags = spin_lock_irqsave(&p->lock);

    vlapic_ack(&p->lapic, vector);
    spin_unlock_irqrestore(&p->lock, flags);
}
