/*
 * The virtual platform's glue (see vplatform.h). Each vCPU's local APIC is a pure model
 * (hv/vdev/vlapic.c) behind a per-vCPU lock: its own vCPU, its timer (interrupt context on the
 * vCPU's CPU) and other vCPUs' IPIs all reach it. The domain's IOAPIC, PIC and PIT sit behind one
 * domain lock. Lock order: domain, then a vCPU's; an EOI that must reach the IOAPIC is therefore
 * passed on after the vCPU's lock is dropped. ISA IRQs go to the PIC and to the IOAPIC (IRQ 0 on
 * pin 2, as the MADT's override says); the PIC reaches vCPU 0 as ExtINT through LINT0. Device
 * timers run on the hypervisor's timer API; an interrupt that becomes pending wakes a halted vCPU.
 */
#include <keel/hvm.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/time.h>
#include <keel/guest_mem.h>
#include <keel/mm.h>
#include <keel/string.h>
#include <keel/vdev_fwcfg.h>
#include <keel/vdev_hpet.h>
#include <keel/vdev_pic.h>
#include <keel/vdev_pit.h>
#include <keel/vdev_pmtimer.h>
#include <keel/vdev_rtc.h>
#include <keel/vdev_uart.h>
#include <keel/vioapic.h>
#include <keel/vlapic.h>
#include <keel/vplatform.h>
#include <public/keel/abi.h>

#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff
#define VIOAPIC_MMIO_BASE 0xfec00000ULL
#define LVT_LINT0 0x350
#define LVT_MASKED (1u << 16)
#define DM_EXTINT 7
/*
 * A device timer that re-arms itself from its own callback waits at least this long: a period
 * the guest made shorter than the callback takes (PIT count 2, APIC timer count 1) would
 * otherwise keep the CPU in the timer interrupt for good. The models fold the periods missed
 * meanwhile into one interrupt. Timers armed from a guest's register write are not held back.
 */
#define REARM_MIN_NS 100000ull

struct vcpu_platform {
    struct vlapic lapic;
    struct vlapic_env env;
    spinlock_t lock;
    struct timer timer;
    struct vcpu *v;
    int deferred_eoi;                   /* a level EOI for the IOAPIC, or -1 */
};

struct domain_platform {
    spinlock_t lock;
    struct vioapic ioapic;
    struct vioapic_env ioapic_env;
    struct pic pic;
    struct pit pit;
    struct rtc rtc;
    struct pmtimer pm;
    struct hpet hpet;
    struct hpet_env hpet_env;
    struct fwcfg fwcfg;
    struct fwcfg_env fwcfg_env;
    struct uart uart;                   /* COM1 */
    struct uart_env uart_env;
    void *fwcfg_arena;                  /* one page: the files published to the firmware */
    uint8_t *test_regs;                 /* test domains: the memory-like MMIO page */
    struct vdev_env isa_env;
    struct timer timer;                 /* the next event of the PIT, RTC, PM timer, HPET or UART */
    struct domain *d;
    uint64_t apic_pages[VPLATFORM_APIC_PAGES];  /* pages mapped for local APICs (0: free) */
    bool sleep_logged;                  /* an unsupported ACPI sleep state was asked for */
};

static int domain_platform_init(struct domain *d);
static int ioapic_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write);

/* An MMIO access's bytes as a little-endian value, and back (devices take at most 8). */
static uint64_t bytes_to_val(const void *buf, unsigned int size)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < MIN(size, 8u); i++)
        v |= (uint64_t)((const uint8_t *)buf)[i] << (8 * i);
    return v;
}

static void val_to_bytes(void *buf, unsigned int size, uint64_t v)
{
    for (unsigned int i = 0; i < size; i++)
        ((uint8_t *)buf)[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

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

static void defer_eoi(void *ctx, uint8_t vector)
{
    ((struct vcpu_platform *)ctx)->deferred_eoi = vector;
}

static struct domain_platform *dplat(struct domain *d)
{
    return d->platform;
}

/* After a vCPU's lock is released: a level EOI clears the IOAPIC's remote IRR. */
static void pass_eoi(struct vcpu_platform *p)
{
    struct domain_platform *dp = dplat(p->v->domain);
    int vec = p->deferred_eoi;
    unsigned long flags;

    if (vec < 0 || !dp)
        return;
    p->deferred_eoi = -1;
    flags = spin_lock_irqsave(&dp->lock);
    vioapic_eoi(&dp->ioapic, (uint8_t)vec);
    spin_unlock_irqrestore(&dp->lock, flags);
}

/* A device's event time (guest time) as hypervisor time, saturating: a model that reports the
 * last representable time must not wrap into the past and fire forever. */
static uint64_t host_time(const struct domain *d, uint64_t guest_ns)
{
    uint64_t t;

    return __builtin_add_overflow(guest_ns, d->created_ns, &t) ? UINT64_MAX : t;
}

/* Something may have become pending for v: it must see it (and run, if it was halted). */
static void wake(struct vcpu *v)
{
    sched_wake(v);
}

static void timer_sync(struct vcpu_platform *p, uint64_t not_before);

static void timer_fired(struct timer *t)
{
    struct vcpu_platform *p = t->data;
    unsigned long flags = spin_lock_irqsave(&p->lock);

    vlapic_update(&p->lapic);
    spin_unlock_irqrestore(&p->lock, flags);
    timer_sync(p, now_ns() + REARM_MIN_NS);
    wake(p->v);
}

/* Arms the hypervisor timer for the model's next event, not before not_before (on the CPU
 * running this code). */
static void timer_sync(struct vcpu_platform *p, uint64_t not_before)
{
    unsigned long flags = spin_lock_irqsave(&p->lock);
    uint64_t next = vlapic_next_event(&p->lapic);

    spin_unlock_irqrestore(&p->lock, flags);
    if (next == VDEV_NO_EVENT)
        timer_cancel(&p->timer);
    else
        timer_set(&p->timer, MAX(host_time(p->v->domain, next), not_before));
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
        .send_ipi = send_ipi, .eoi_level = defer_eoi, .tsc = guest_tsc, .tsc_khz = tsc_khz,
        .tsc_deadline = true,           /* CPUID offers it (hv/cpuid.c) */
    };
    p->deferred_eoi = -1;
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
    return r ? r : domain_platform_init(d);
}

void vplatform_destroy(struct domain *d)
{
    if (d->platform) {
        timer_cancel(&dplat(d)->timer);
        free_pages(dplat(d)->fwcfg_arena, 0);
        free_pages(dplat(d)->test_regs, 0);
        kfree(d->platform);
        d->platform = NULL;
    }
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu_platform *p = plat(d->vcpus[i]);

        if (!p)
            continue;
        timer_cancel(&p->timer);
        kfree(p);
        d->vcpus[i]->platform = NULL;
    }
}

/* The page v's local APIC answers at. */
static uint64_t apic_page(struct vcpu_platform *p)
{
    return __atomic_load_n(&p->lapic.s.apic_base, __ATOMIC_RELAXED) & VLAPIC_BASE_ADDR;
}

static bool is_apic_page(struct domain_platform *dp, uint64_t page)
{
    for (unsigned int i = 0; dp && i < VPLATFORM_APIC_PAGES; i++)
        if (dp->apic_pages[i] == page)
            return true;
    return false;
}

/*
 * A vCPU moves its APIC to page. An empty page is mapped for local APICs; on a page of Keel's
 * own devices the vCPU's accesses reach its APIC first and everyone else's the device, as on a
 * PC. On RAM or a device model's page the registers are not reachable (the page is the whole
 * domain's, as under other hypervisors). A page that was an APIC's stays mapped; to a vCPU whose
 * APIC is elsewhere it reads as all ones.
 */
static void apic_relocate(struct vcpu *v, uint64_t page)
{
    struct domain_platform *dp = dplat(v->domain);
    enum p2m_type t = p2m_lookup(&v->domain->p2m, _gfn(page >> PAGE_SHIFT), NULL, NULL);
    unsigned long flags;
    unsigned int i;

    if (is_apic_page(dp, page) || t == p2m_mmio_hv)
        return;
    if (t != p2m_invalid) {
        pr_warn("d%u v%u: APIC base moved onto %s at %#llx: its registers are not reachable there\n",
                v->domain->id, v->id, t == p2m_mmio_dm ? "a device model's MMIO" : "RAM",
                (unsigned long long)page);
        return;
    }
    flags = spin_lock_irqsave(&dp->lock);
    for (i = 0; i < VPLATFORM_APIC_PAGES && dp->apic_pages[i]; i++)
        ;
    if (i < VPLATFORM_APIC_PAGES &&
        !p2m_set_entry(&v->domain->p2m, _gfn(page >> PAGE_SHIFT), INVALID_MFN, P2M_ORDER_4K, p2m_mmio_hv))
        dp->apic_pages[i] = page;
    spin_unlock_irqrestore(&dp->lock, flags);
    if (i == VPLATFORM_APIC_PAGES)
        pr_warn("d%u v%u: more than %u APIC pages in use: %#llx not mapped\n", v->domain->id, v->id,
                VPLATFORM_APIC_PAGES, (unsigned long long)page);
}

int vplatform_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;
    uint32_t val = 0;

    if (!p || (gpa & PAGE_MASK) != apic_page(p)) {
        if (!is_apic_page(dplat(v->domain), gpa & PAGE_MASK))
            return ioapic_mmio(v, gpa, buf, size, write);
        if (!write)                         /* another vCPU's APIC page: nothing here for v */
            memset(buf, 0xff, size);
        return 0;
    }
    /* The model reads 0 and ignores writes for any access other than an aligned dword. */
    if (write)
        val = (uint32_t)bytes_to_val(buf, MIN(size, 4u));
    flags = spin_lock_irqsave(&p->lock);
    if (write)
        vlapic_mmio_write(&p->lapic, (uint32_t)(gpa & ~PAGE_MASK), size, val);
    else
        val = vlapic_mmio_read(&p->lapic, (uint32_t)(gpa & ~PAGE_MASK), size);
    spin_unlock_irqrestore(&p->lock, flags);
    if (!write)
        val_to_bytes(buf, size, val);
    if (write) {
        timer_sync(p, 0);
        pass_eoi(p);
    }
    return 0;
}

static bool platform_msr(uint32_t msr)
{
    return msr == MSR_IA32_APIC_BASE || msr == VLAPIC_MSR_TSC_DEADLINE ||
           (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

int vplatform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;
    int r = -ENOENT;

    if (!p || !platform_msr(msr))
        return -ENOENT;
    flags = spin_lock_irqsave(&p->lock);
    if (msr == MSR_IA32_APIC_BASE) {
        *val = vlapic_apic_base_read(&p->lapic);
        r = 0;
    } else if (msr == VLAPIC_MSR_TSC_DEADLINE) {
        r = vlapic_tsc_deadline_read(&p->lapic, val);
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

    if (!p || !platform_msr(msr))
        return -ENOENT;
    if (msr == MSR_IA32_APIC_BASE && (val & VLAPIC_BASE_ADDR) != apic_page(p))
        apic_relocate(v, val & VLAPIC_BASE_ADDR);
    flags = spin_lock_irqsave(&p->lock);
    if (msr == MSR_IA32_APIC_BASE)
        r = vlapic_apic_base_write(&p->lapic, val);
    else if (msr == VLAPIC_MSR_TSC_DEADLINE)
        r = vlapic_tsc_deadline_write(&p->lapic, val);
    else
        r = vlapic_msr_write(&p->lapic, msr, val);
    spin_unlock_irqrestore(&p->lock, flags);
    timer_sync(p, 0);
    pass_eoi(p);
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

/* NMI, INIT or SIPI accepted by v's local APIC and not yet taken. */
bool vplatform_startup_pending(struct vcpu *v)
{
    struct vcpu_platform *p = plat(v);

    return p && (__atomic_load_n(&p->lapic.s.events, __ATOMIC_SEQ_CST) &
                 (VLAPIC_EV_NMI | VLAPIC_EV_INIT | VLAPIC_EV_SIPI));
}

bool vplatform_no_startup(struct vcpu *v)
{
    return !v->pending_nmi && !vplatform_startup_pending(v);
}

/* INIT: the local APIC and the vCPU go to their INIT state, waiting for a SIPI, which starts
 * the vCPU in real mode at vector:0000 (the SIPI is ignored unless the vCPU waits for one). */
bool vplatform_startup(struct vcpu *v)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;
    bool init, sipi;
    uint8_t vec = 0;

    if (!p)
        return true;
    flags = spin_lock_irqsave(&p->lock);
    if (vlapic_take_nmi(&p->lapic))
        v->pending_nmi = true;
    init = vlapic_take_init(&p->lapic);
    if (init)
        vlapic_reset(&p->lapic);
    sipi = vlapic_take_sipi(&p->lapic, &vec);
    spin_unlock_irqrestore(&p->lock, flags);
    if (init) {
        v->wait_sipi = true;
        v->pending_irq = -1;
        v->pending_nmi = false;
        timer_sync(p, 0);
    }
    if (sipi && v->wait_sipi) {
        hvm->vcpu_reset(v, (uint16_t)(vec << 8), 0);
        v->wait_sipi = false;
    }
    if (v->wait_sipi)
        sched_block(v, vplatform_no_startup);
    return !v->wait_sipi;
}

void vplatform_ack(struct vcpu *v, uint8_t vector)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags = spin_lock_irqsave(&p->lock);

    vlapic_ack(&p->lapic, vector);
    spin_unlock_irqrestore(&p->lock, flags);
}

/* --- the domain's IOAPIC, PIC and PIT ----------------------------------------------------- */

static uint64_t domain_now(void *ctx)
{
    return now_ns() - ((struct domain_platform *)ctx)->d->created_ns;
}

/* IOAPIC messages: to every vCPU the destination names (lowest priority: the first of them). */
static void ioapic_deliver(void *ctx, uint32_t dest, bool logical, uint8_t mode, uint8_t vector,
                           bool level)
{
    struct domain *d = ((struct domain_platform *)ctx)->d;

    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu_platform *p = plat(d->vcpus[i]);
        unsigned long flags = spin_lock_irqsave(&p->lock);
        bool hit = vlapic_match_dest(&p->lapic, dest, logical);

        if (hit)
            vlapic_accept(&p->lapic, mode, vector, level);
        spin_unlock_irqrestore(&p->lock, flags);
        if (hit)
            wake(d->vcpus[i]);
        if (hit && mode == 1)           /* lowest priority: one is enough */
            break;
    }
}

bool vplatform_raise(struct vcpu *v, uint8_t vector)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags;

    if (!p || vector < 32)
        return false;
    flags = spin_lock_irqsave(&p->lock);
    vlapic_accept(&p->lapic, 0, vector, false);     /* fixed, edge */
    spin_unlock_irqrestore(&p->lock, flags);
    wake(v);
    return true;
}

/* An ISA interrupt line (called with the domain lock held). */
static void isa_set_irq(void *ctx, unsigned int line, bool level)
{
    struct domain_platform *dp = ctx;

    pic_set_irq(&dp->pic, line, level);
    vioapic_set_irq(&dp->ioapic, line == 0 ? 2 : line, level);
    if (pic_intr(&dp->pic))
        wake(dp->d->vcpus[0]);
}

/* HPET lines are GSIs; its legacy routes (GSI 2 and 8) stand for ISA IRQ 0 and 8 on the PIC too. */
static void hpet_set_irq(void *ctx, unsigned int gsi, bool level)
{
    struct domain_platform *dp = ctx;

    if (gsi == 2 || gsi == 8) {
        isa_set_irq(dp, gsi == 2 ? 0 : 8, level);
        return;
    }
    vioapic_set_irq(&dp->ioapic, gsi, level);
}

/* An MSI: address bits 19-12 name the APIC ID, data bits 7-0 the vector, 10-8 the mode. */
static void hpet_msi(void *ctx, uint64_t addr, uint32_t data)
{
    ioapic_deliver(ctx, (uint32_t)(addr >> 12) & 0xff, addr & (1u << 2), (data >> 8) & 7,
                   (uint8_t)data, false);
}

static void dev_timer_sync(struct domain_platform *dp, uint64_t not_before);

static void dev_timer_fired(struct timer *t)
{
    struct domain_platform *dp = t->data;
    unsigned long flags = spin_lock_irqsave(&dp->lock);

    pit_update(&dp->pit);
    rtc_update(&dp->rtc);
    pmtimer_update(&dp->pm);
    hpet_update(&dp->hpet);
    uart_update(&dp->uart);
    spin_unlock_irqrestore(&dp->lock, flags);
    dev_timer_sync(dp, now_ns() + REARM_MIN_NS);
}

static void dev_timer_sync(struct domain_platform *dp, uint64_t not_before)
{
    unsigned long flags = spin_lock_irqsave(&dp->lock);
    uint64_t next = MIN(MIN(pit_next_event(&dp->pit), rtc_next_event(&dp->rtc)),
                        MIN(pmtimer_next_event(&dp->pm), hpet_next_event(&dp->hpet)));

    next = MIN(next, uart_next_event(&dp->uart));

    spin_unlock_irqrestore(&dp->lock, flags);
    if (next == VDEV_NO_EVENT)
        timer_cancel(&dp->timer);
    else
        timer_set(&dp->timer, MAX(host_time(dp->d, next), not_before));
}

static int fwcfg_read_gpa(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    return gpa_read(((struct domain_platform *)ctx)->d, gpa, buf, len);
}

static int fwcfg_write_gpa(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    return gpa_write(((struct domain_platform *)ctx)->d, gpa, buf, len);
}

/* What the firmware reads: RAM size and vCPUs, and for test domains a known file. */
static int fwcfg_publish(struct domain_platform *dp)
{
    static uint8_t test_file[KEEL_TEST_FWCFG_LEN];
    struct domain *d = dp->d;
    int r;

    dp->fwcfg_arena = alloc_pages(0);
    if (!dp->fwcfg_arena)
        return -ENOMEM;
    dp->fwcfg_env = (struct fwcfg_env){
        .base = { .now_ns = domain_now, .set_irq = no_irq_line, .ctx = dp },
        .read_gpa = fwcfg_read_gpa, .write_gpa = fwcfg_write_gpa,
    };
    fwcfg_init(&dp->fwcfg, &dp->fwcfg_env, dp->fwcfg_arena, PAGE_SIZE);
    r = fwcfg_set_u64(&dp->fwcfg, 0x03, d->ram_bytes);          /* RAM size */
    if (!r)
        r = fwcfg_set_u16(&dp->fwcfg, 0x05, (uint16_t)d->nr_vcpus); /* CPUs */
    if (!r)
        r = fwcfg_set_u16(&dp->fwcfg, 0x0f, (uint16_t)d->nr_vcpus); /* maximum CPUs */
    if (r || !(d->flags & DOMF_TEST_DEVICES))
        return r;
    for (unsigned int i = 0; i < sizeof(test_file); i++)
        test_file[i] = (uint8_t)(i * 7 + 1);
    return fwcfg_add_file(&dp->fwcfg, KEEL_TEST_FWCFG_FILE, test_file, sizeof(test_file));
}

/* What the guest sends on COM1 goes to its console lines, like port 0xE9's bytes. */
static void uart_tx(void *ctx, uint8_t byte)
{
    domain_console_putc(((struct domain_platform *)ctx)->d, (char)byte);
}

static int domain_platform_init(struct domain *d)
{
    struct domain_platform *dp = kzalloc(sizeof(*dp));

    if (!dp)
        return -ENOMEM;
    dp->d = d;
    dp->isa_env = (struct vdev_env){ .now_ns = domain_now, .set_irq = isa_set_irq, .ctx = dp };
    dp->ioapic_env = (struct vioapic_env){
        .base = { .now_ns = domain_now, .set_irq = no_irq_line, .ctx = dp }, .deliver = ioapic_deliver,
    };
    vioapic_init(&dp->ioapic, &dp->ioapic_env, 0);
    pic_init(&dp->pic, &dp->isa_env);
    pit_init(&dp->pit, &dp->isa_env);
    rtc_init(&dp->rtc, &dp->isa_env);
    rtc_set_time(&dp->rtc, wallclock_now());
    pmtimer_init(&dp->pm, &dp->isa_env, VPLATFORM_PM_BASE);
    dp->hpet_env = (struct hpet_env){
        .base = { .now_ns = domain_now, .set_irq = hpet_set_irq, .ctx = dp }, .msi = hpet_msi,
    };
    hpet_init(&dp->hpet, &dp->hpet_env);
    dp->uart_env = (struct uart_env){
        .base = { .now_ns = domain_now, .set_irq = isa_set_irq, .ctx = dp }, .tx = uart_tx,
    };
    uart_init(&dp->uart, &dp->uart_env, UART_COM1_BASE, UART_COM1_IRQ);
    timer_init(&dp->timer, dev_timer_fired, dp);
    dp->apic_pages[0] = VLAPIC_MMIO_BASE;
    d->platform = dp;
    if (fwcfg_publish(dp))
        return -ENOMEM;
    if (d->flags & DOMF_TEST_DEVICES) {
        dp->test_regs = alloc_pages(0);
        if (!dp->test_regs || p2m_set_entry(&d->p2m, _gfn(KEEL_TEST_MMIO_HV_GPA >> PAGE_SHIFT),
                                            INVALID_MFN, P2M_ORDER_4K, p2m_mmio_hv))
            return -ENOMEM;
    }
    if (p2m_set_entry(&d->p2m, _gfn(HPET_BASE >> PAGE_SHIFT), INVALID_MFN, P2M_ORDER_4K, p2m_mmio_hv))
        return -ENOMEM;
    return p2m_set_entry(&d->p2m, _gfn(VIOAPIC_MMIO_BASE >> PAGE_SHIFT), INVALID_MFN, P2M_ORDER_4K,
                         p2m_mmio_hv);
}

/* The port handlers of the domain's ISA devices, by port range. */
struct isa_port_range {
    uint16_t first, last;
    uint32_t (*read)(struct domain_platform *dp, uint16_t port, unsigned int size);
    void (*write)(struct domain_platform *dp, uint16_t port, unsigned int size, uint32_t val);
};

#define ISA_DEVICE_PORTS(dev, field)                                                            \
    static uint32_t dev##_read(struct domain_platform *dp, uint16_t port, unsigned int size)   \
    {                                                                                           \
        return dev##_io_read(&dp->field, port, size);                                           \
    }                                                                                           \
    static void dev##_write(struct domain_platform *dp, uint16_t port, unsigned int size,      \
                            uint32_t val)                                                       \
    {                                                                                           \
        dev##_io_write(&dp->field, port, size, val);                                            \
    }
ISA_DEVICE_PORTS(pic, pic)
ISA_DEVICE_PORTS(pit, pit)
ISA_DEVICE_PORTS(rtc, rtc)
ISA_DEVICE_PORTS(pmtimer, pm)
ISA_DEVICE_PORTS(fwcfg, fwcfg)
ISA_DEVICE_PORTS(uart, uart)

static const struct isa_port_range isa_ports[] = {
    { 0x20, 0x21, pic_read, pic_write }, { 0xa0, 0xa1, pic_read, pic_write },
    { 0x4d0, 0x4d1, pic_read, pic_write }, { 0x40, 0x43, pit_read, pit_write },
    { 0x61, 0x61, pit_read, pit_write }, { 0x70, 0x71, rtc_read, rtc_write },
    { VPLATFORM_PM_BASE, VPLATFORM_PM_BASE + PMTIMER_BLOCK_LEN - 1, pmtimer_read, pmtimer_write },
    { FWCFG_PORT_SEL, FWCFG_PORT_DATA, fwcfg_read, fwcfg_write },
    { FWCFG_PORT_DMA_HI, FWCFG_PORT_DMA_LO + 3, fwcfg_read, fwcfg_write },
    { UART_COM1_BASE, UART_COM1_BASE + UART_NR_PORTS - 1, uart_read, uart_write },
};

/*
 * SLP_EN written to PM1a control. Keel's DSDT declares _S5 as SLP_TYP 0 (as on PIIX4): it powers
 * the domain off exactly as the poweroff hypercall does. S1-S4 are not offered; a request for
 * one is logged once per domain and ignored, and the guest carries on.
 */
static void acpi_sleep(struct vcpu *v, int type)
{
    struct domain_platform *dp = dplat(v->domain);

    if (type == VPLATFORM_SLP_TYP_S5)
        domain_shutdown(v->domain, KEEL_SHUTDOWN_POWEROFF, 0);
    else if (!__atomic_exchange_n(&dp->sleep_logged, true, __ATOMIC_RELAXED))
        pr_warn("d%u v%u: ACPI sleep type %d written to PM1a control: only S5 (type %d) is "
                "supported, ignored\n", v->domain->id, v->id, type, VPLATFORM_SLP_TYP_S5);
}

/*
 * The ways a PC resets itself, where Keel has no device otherwise: the reset control register
 * (RST_CPU in a byte written to 0xCF9), the keyboard controller's reset pulse (0xFE written to
 * 0x64) and port A's fast reset (bit 0 of 0x92). Such a write ends the domain with the reason
 * reboot; the toolstack then applies its on_reboot action. Reads see no device.
 */
static bool reset_request(uint16_t port, unsigned int size, uint32_t val)
{
    if (size != 1)
        return false;
    return (port == 0xcf9 && (val & 0x04)) || (port == 0x64 && (uint8_t)val == 0xfe) ||
           (port == 0x92 && (val & 0x01));
}

/*
 * The panic notifier (QEMU's pvpanic interface): reads say which events it takes (bit 0,
 * "panicked"); a write with bit 0 set is the guest kernel's last word, and the domain crashes.
 */
static void pvpanic_io(struct vcpu *v, bool write, uint32_t *val)
{
    if (!write)
        *val = 0x01;
    else if (*val & 0x01)
        domain_crash(v->domain, "v%u: the guest kernel panicked (pvpanic)", v->id);
}

int vplatform_io(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t *val)
{
    struct domain_platform *dp = dplat(v->domain);
    const struct isa_port_range *r = NULL;
    unsigned long flags;
    int sleep;

    for (unsigned int i = 0; dp && i < ARRAY_SIZE(isa_ports) && !r; i++)
        if (port >= isa_ports[i].first && port <= isa_ports[i].last)
            r = &isa_ports[i];
    if (!r && dp && port == VPLATFORM_PVPANIC_PORT && size == 1) {
        pvpanic_io(v, write, val);
        return 0;
    }
    if (!r && dp && write && reset_request(port, size, *val)) {
        domain_shutdown(v->domain, KEEL_SHUTDOWN_REBOOT, 0);
        return 0;
    }
    if (!r)
        return -ENOENT;
    flags = spin_lock_irqsave(&dp->lock);
    if (write)
        r->write(dp, port, size, *val);
    else
        *val = r->read(dp, port, size);
    sleep = write && r->write == pmtimer_write ? pmtimer_sleep_request(&dp->pm) : -1;
    spin_unlock_irqrestore(&dp->lock, flags);
    /* Reading the UART's RBR restarts its timeout; reading RTC register C re-enables its
     * interrupt: their next events come back then. */
    if (write || r->read == uart_read || port == RTC_PORT_DATA)
        dev_timer_sync(dp, 0);
    if (sleep >= 0)
        acpi_sleep(v, sleep);
    return 0;
}

size_t vplatform_uart_input(struct domain *d, const uint8_t *buf, size_t len)
{
    struct domain_platform *dp = dplat(d);
    unsigned long flags;
    size_t taken;

    if (!dp)
        return 0;
    flags = spin_lock_irqsave(&dp->lock);
    taken = uart_receive(&dp->uart, buf, len);
    spin_unlock_irqrestore(&dp->lock, flags);
    dev_timer_sync(dp, 0);              /* the character timeout may now be due */
    return taken;
}

bool vplatform_power_button(struct domain *d)
{
    struct domain_platform *dp = dplat(d);
    unsigned long flags;

    if (!dp)
        return false;
    flags = spin_lock_irqsave(&dp->lock);
    pmtimer_power_button(&dp->pm);
    spin_unlock_irqrestore(&dp->lock, flags);
    return true;
}

static int hpet_mmio(struct domain_platform *dp, uint64_t gpa, void *buf, unsigned int size,
                     bool write)
{
    unsigned long flags;
    uint64_t val = 0;

    if (write)
        val = bytes_to_val(buf, size);
    flags = spin_lock_irqsave(&dp->lock);
    if (write)
        hpet_mmio_write(&dp->hpet, (uint32_t)(gpa & ~PAGE_MASK), size, val);
    else
        val = hpet_mmio_read(&dp->hpet, (uint32_t)(gpa & ~PAGE_MASK), size);
    spin_unlock_irqrestore(&dp->lock, flags);
    if (!write)
        val_to_bytes(buf, size, val);
    if (write)
        dev_timer_sync(dp, 0);
    return 0;
}

/* The test MMIO page: a plain byte store, so that only the emulator stands between the guest
 * and the bytes (the emulator splits accesses at page boundaries). */
static int test_mmio(struct domain_platform *dp, uint64_t gpa, void *buf, unsigned int size,
                     bool write)
{
    uint8_t *reg = dp->test_regs + (gpa & ~PAGE_MASK);

    if (!dp->test_regs || (gpa & ~PAGE_MASK) + size > PAGE_SIZE)
        return -ENOENT;
    if (write)
        memcpy(reg, buf, size);
    else
        memcpy(buf, reg, size);
    return 0;
}

static int ioapic_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write)
{
    struct domain_platform *dp = dplat(v->domain);
    unsigned long flags;
    uint32_t val = 0;

    if (dp && (gpa & PAGE_MASK) == KEEL_TEST_MMIO_HV_GPA)
        return test_mmio(dp, gpa, buf, size, write);
    if (dp && (gpa & PAGE_MASK) == HPET_BASE)
        return hpet_mmio(dp, gpa, buf, size, write);
    if (!dp || (gpa & PAGE_MASK) != VIOAPIC_MMIO_BASE)
        return -ENOENT;
    if (write)
        val = (uint32_t)bytes_to_val(buf, MIN(size, 4u));
    flags = spin_lock_irqsave(&dp->lock);
    if (write)
        vioapic_mmio_write(&dp->ioapic, (uint32_t)(gpa & ~PAGE_MASK), size, val);
    else
        val = vioapic_mmio_read(&dp->ioapic, (uint32_t)(gpa & ~PAGE_MASK), size);
    spin_unlock_irqrestore(&dp->lock, flags);
    if (!write)
        val_to_bytes(buf, size, val);
    return 0;
}

/* The PIC reaches vCPU 0 when its LINT0 is an unmasked ExtINT, or its APIC is off. */
static bool extint_open(struct vcpu *v)
{
    struct vcpu_platform *p = plat(v);
    unsigned long flags = spin_lock_irqsave(&p->lock);
    uint32_t lint0 = vlapic_mmio_read(&p->lapic, LVT_LINT0, 4);
    bool open = !vlapic_enabled(&p->lapic) ||
                (!(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) == DM_EXTINT);

    spin_unlock_irqrestore(&p->lock, flags);
    return open;
}

bool vplatform_extint_pending(struct vcpu *v)
{
    struct domain_platform *dp = dplat(v->domain);
    unsigned long flags;
    bool intr;

    if (!dp || v->id != 0 || !extint_open(v))
        return false;
    flags = spin_lock_irqsave(&dp->lock);
    intr = pic_intr(&dp->pic);
    spin_unlock_irqrestore(&dp->lock, flags);
    return intr;
}

bool vplatform_deliver_extint(struct vcpu *v)
{
    struct domain_platform *dp = dplat(v->domain);
    unsigned long flags;
    bool injected = false;
    int vec;

    if (!dp || v->id != 0 || !extint_open(v))
        return false;
    flags = spin_lock_irqsave(&dp->lock);
    vec = pic_intr(&dp->pic) ? pic_pending_vector(&dp->pic) : -1;
    if (vec >= 0 && hvm->inject_irq(v, (uint8_t)vec)) {
        pic_acknowledge(&dp->pic);      /* INTA only once the vector is surely on its way */
        injected = true;
    }
    spin_unlock_irqrestore(&dp->lock, flags);
    return injected;
}
