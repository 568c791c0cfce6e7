/*
 * The virtual local APIC through its xAPIC registers at 0xFEE00000: identity, software enable,
 * self-IPIs through the ICR, TPR masking, EOI, and the timer in one-shot and periodic modes
 * (the hypervisor's timers drive it, HLT waits for it).
 */
#include "guest.h"

#define APIC 0xfee00000ul
#define REG_ID 0x20
#define REG_VERSION 0x30
#define REG_TPR 0x80
#define REG_EOI 0xb0
#define REG_SVR 0xf0
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3e0
#define VEC_IPI 0x22
#define VEC_TIMER 0x23

struct interrupt_frame;
static volatile unsigned int ipi_hits, timer_hits;

static uint32_t apic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(APIC + reg);
}

static void apic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(APIC + reg) = v;
}

static volatile bool in_x2apic;

/* MMIO in xAPIC mode, the EOI MSR in x2APIC mode (the page no longer answers). */
static void eoi(void)
{
    if (in_x2apic)
        asm volatile("wrmsr" :: "c"(0x80b), "a"(0), "d"(0));
    else
        apic_write(REG_EOI, 0);
}

__attribute__((interrupt)) static void ipi_handler(struct interrupt_frame *f)
{
    (void)f;
    ipi_hits++;
    eoi();
}

__attribute__((interrupt)) static void timer_handler(struct interrupt_frame *f)
{
    (void)f;
    timer_hits++;
    eoi();
}

static void self_ipi(uint8_t vector)
{
    apic_write(REG_ICR_HI, 0);
    apic_write(REG_ICR_LO, (1u << 18) | vector);    /* shorthand: self, fixed */
}

static void check_identity(void)
{
    uint32_t version = apic_read(REG_VERSION);

    report(apic_read(REG_ID) >> 24 == 0, "apic-id", "ID register 0x%x", apic_read(REG_ID));
    report((version & 0xff) >= 0x10 && ((version >> 16) & 0xff) >= 5, "apic-version",
           "version register 0x%x", version);
    apic_write(REG_SVR, 0x1ff);                     /* software enable, spurious vector 0xff */
    report(apic_read(REG_SVR) == 0x1ff, "apic-svr", "SVR reads 0x%x", apic_read(REG_SVR));
}

static void check_ipis(void)
{
    asm volatile("sti");
    self_ipi(VEC_IPI);
    asm volatile("nop");
    report(ipi_hits == 1, "apic-self-ipi", "%u deliveries", ipi_hits);
    apic_write(REG_TPR, 0x30);                      /* class 3 masks the class-2 vector */
    self_ipi(VEC_IPI);
    asm volatile("nop");
    report(ipi_hits == 1, "apic-tpr-masks", "%u deliveries with TPR 0x30", ipi_hits);
    apic_write(REG_TPR, 0);
    asm volatile("nop");
    report(ipi_hits == 2, "apic-tpr-unmasks", "%u deliveries after TPR 0", ipi_hits);
    asm volatile("cli");
}

static void wait_timer(unsigned int hits)
{
    for (int i = 0; i < 1000 && timer_hits < hits; i++)
        asm volatile("sti; hlt; cli");
}

static void check_timer(void)
{
    uint32_t c1, c2;

    apic_write(REG_TIMER_DIV, 0xb);                 /* divide by 1 */
    apic_write(REG_LVT_TIMER, VEC_TIMER);           /* one-shot */
    apic_write(REG_TIMER_INIT, 2000000);
    c1 = apic_read(REG_TIMER_CUR);
    c2 = apic_read(REG_TIMER_CUR);
    report(c1 && c2 <= c1 && c1 <= 2000000, "apic-timer-counts-down", "current count %u then %u", c1, c2);
    wait_timer(1);
    report(timer_hits == 1 && apic_read(REG_TIMER_CUR) == 0, "apic-timer-one-shot",
           "%u interrupts, current count %u", timer_hits, apic_read(REG_TIMER_CUR));
    apic_write(REG_LVT_TIMER, VEC_TIMER | (1u << 17));      /* periodic */
    apic_write(REG_TIMER_INIT, 1000000);
    wait_timer(6);
    apic_write(REG_LVT_TIMER, VEC_TIMER | (1u << 16));      /* masked */
    report(timer_hits >= 6, "apic-timer-periodic", "%u interrupts", timer_hits);
}

#define MSR_APIC_BASE 0x1b
#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4))

/* x2APIC mode: the same registers as MSRs, the SELF IPI register, and #GP on the xAPIC-only way back. */
static void check_x2apic(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE), v;
    unsigned int before = ipi_hits;
    int gp;

    wrmsr(MSR_APIC_BASE, base | (1u << 10));        /* enable x2APIC mode */
    in_x2apic = true;
    report(rdmsr(MSR_APIC_BASE) & (1u << 10), "x2apic-enable", "APIC_BASE 0x%lx",
           (unsigned long)rdmsr(MSR_APIC_BASE));
    report(rdmsr(X2APIC_MSR(REG_ID)) == 0, "x2apic-id", "x2APIC ID %lu",
           (unsigned long)rdmsr(X2APIC_MSR(REG_ID)));
    report((rdmsr(X2APIC_MSR(REG_VERSION)) & 0xff) >= 0x10, "x2apic-version", "version 0x%lx",
           (unsigned long)rdmsr(X2APIC_MSR(REG_VERSION)));
    asm volatile("sti");
    wrmsr(0x83f, VEC_IPI);                          /* SELF IPI */
    asm volatile("nop; cli");
    report(ipi_hits == before + 1, "x2apic-self-ipi", "%u deliveries", ipi_hits - before);
    gp = rdmsr_safe(X2APIC_MSR(REG_ICR_HI), &v);    /* no ICR2 in x2APIC mode */
    report(gp == GP_VECTOR, "x2apic-reserved-register-gp", "%s", guest_exception_name(gp));
    gp = wrmsr_safe(MSR_APIC_BASE, base & ~(1ull << 10));   /* x2APIC -> xAPIC is illegal */
    report(gp == GP_VECTOR, "x2apic-to-xapic-gp", "%s", guest_exception_name(gp));
}

#define MSR_TSC_DEADLINE 0x6e0
#define LVT_TSC_DEADLINE (2u << 17)

static uint64_t tsc_per_ms;

/* The TSC's rate, against the PM timer over 20 ms. */
static void calibrate_tsc(void)
{
    uint32_t t0 = guest_pm_now();
    uint64_t c0 = rdtsc(), counts;

    while ((counts = guest_pm_since(t0)) < GUEST_PM_TIMER_HZ / 50)
        ;
    tsc_per_ms = (rdtsc() - c0) * GUEST_PM_TIMER_HZ / counts / 1000;
}

/* Halts until the timer has fired `want` times in all or max_ms of PM time went by. */
static uint64_t wait_hits(unsigned int want, unsigned int max_ms)
{
    uint32_t t0 = guest_pm_now();
    uint64_t limit = (uint64_t)max_ms * GUEST_PM_TIMER_HZ / 1000, el;

    while ((el = guest_pm_since(t0)) < limit && timer_hits < want)
        asm volatile("sti; nop; cli");
    return el * 1000 / GUEST_PM_TIMER_HZ;
}

/* The TSC-deadline mode: an absolute TSC value in IA32_TSC_DEADLINE arms it. */
static void check_tsc_deadline(void)
{
    uint64_t v, waited;

    calibrate_tsc();
    apic_write(REG_LVT_TIMER, VEC_TIMER | LVT_TSC_DEADLINE);
    timer_hits = 0;
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 20 * tsc_per_ms);
    waited = wait_hits(1, 10);
    report(timer_hits == 0, "tsc-deadline-not-early", "%u interrupts within %lu ms of a 20 ms deadline",
           timer_hits, (unsigned long)waited);
    waited = wait_hits(1, 200);
    report(timer_hits == 1, "tsc-deadline-fires", "%u interrupts, after %lu more ms", timer_hits,
           (unsigned long)waited);
    v = rdmsr(MSR_TSC_DEADLINE);
    report(v == 0, "tsc-deadline-clears-on-fire", "IA32_TSC_DEADLINE reads 0x%lx", (unsigned long)v);
    wrmsr(MSR_TSC_DEADLINE, rdtsc() - 1000);        /* in the past: at once */
    wait_hits(2, 50);
    report(timer_hits == 2, "tsc-deadline-past-fires-at-once", "%u interrupts", timer_hits);
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 5 * tsc_per_ms);
    wrmsr(MSR_TSC_DEADLINE, 0);                     /* disarms */
    wait_hits(3, 30);
    report(timer_hits == 2, "tsc-deadline-zero-disarms", "%u interrupts", timer_hits);
    apic_write(REG_TIMER_INIT, 1000);               /* ignored in this mode */
    report(apic_read(REG_TIMER_INIT) == 0 && apic_read(REG_TIMER_CUR) == 0,
           "tsc-deadline-ignores-initial-count", "TMICT %u, TMCCT %u", apic_read(REG_TIMER_INIT),
           apic_read(REG_TIMER_CUR));
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 5 * tsc_per_ms);
    apic_write(REG_LVT_TIMER, VEC_TIMER);           /* back to one-shot: disarms */
    wait_hits(3, 30);
    report(timer_hits == 2 && rdmsr(MSR_TSC_DEADLINE) == 0, "tsc-deadline-mode-change-disarms",
           "%u interrupts, MSR 0x%lx", timer_hits, (unsigned long)rdmsr(MSR_TSC_DEADLINE));
    apic_write(REG_LVT_TIMER, 1u << 16);
}

/* Moving the xAPIC window: the registers answer at the new base only. */
static void check_relocation(void)
{
    const uint64_t new_base = 0xfee10000ull;
    uint64_t base = rdmsr(MSR_APIC_BASE);
    volatile uint32_t *moved = (volatile uint32_t *)new_base;
    unsigned int before = ipi_hits;
    uint32_t version = apic_read(REG_VERSION);

    wrmsr(MSR_APIC_BASE, (base & 0xfff) | new_base);
    report((rdmsr(MSR_APIC_BASE) & ~0xfffull) == new_base, "apic-base-relocates", "APIC_BASE 0x%lx",
           (unsigned long)rdmsr(MSR_APIC_BASE));
    report(moved[REG_VERSION / 4] == version && moved[REG_ID / 4] >> 24 == 0,
           "apic-registers-at-new-base", "version 0x%x (was 0x%x), ID 0x%x", moved[REG_VERSION / 4],
           version, moved[REG_ID / 4]);
    report(apic_read(REG_VERSION) == 0xffffffff, "apic-old-base-empty", "old base reads 0x%x",
           apic_read(REG_VERSION));
    asm volatile("sti");
    moved[REG_ICR_HI / 4] = 0;
    moved[REG_ICR_LO / 4] = (1u << 18) | VEC_IPI;    /* self IPI through the moved window */
    asm volatile("nop; cli");
    report(ipi_hits == before + 1, "apic-ipi-at-new-base", "%u deliveries", ipi_hits - before);
    moved[REG_EOI / 4] = 0;             /* the handler's EOI went to the old base, where no APIC is */
    report(!(moved[(0x100 + (VEC_IPI / 32) * 0x10) / 4] & (1u << (VEC_IPI % 32))),
           "apic-eoi-at-new-base", "ISR still has vector 0x%x", VEC_IPI);
    wrmsr(MSR_APIC_BASE, base);
    report(apic_read(REG_VERSION) == version && moved[REG_VERSION / 4] == 0xffffffff,
           "apic-base-moves-back", "version 0x%x at the default base, 0x%x at the other",
           apic_read(REG_VERSION), moved[REG_VERSION / 4]);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    guest_idt_set_handler(VEC_IPI, (void (*)(void))ipi_handler);
    guest_idt_set_handler(VEC_TIMER, (void (*)(void))timer_handler);
    check_identity();
    check_ipis();
    check_timer();
    check_tsc_deadline();
    check_relocation();
    check_x2apic();
}
