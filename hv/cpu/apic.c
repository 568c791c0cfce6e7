/* Local APIC access in both modes, IPIs and the timer. */
#include <keel/apic.h>
#include <keel/cpu.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/time.h>
#include <keel/traps.h>

#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN   (1ULL << 11)
#define APIC_SVR_ENABLE (1u << 8)
#define APIC_ICR_BUSY  (1u << 12)
#define APIC_TIMER_TSC_DEADLINE (2u << 17)
#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4))

static bool x2apic;
static volatile uint32_t *xapic_regs;
static bool tsc_deadline;
static uint64_t lapic_ticks_per_ms;     /* one-shot mode, divide by 16 */

static uint32_t lapic_read(uint32_t reg)
{
    return x2apic ? (uint32_t)rdmsr(X2APIC_MSR(reg)) : xapic_regs[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(X2APIC_MSR(reg), v);
    else
        xapic_regs[reg / 4] = v;
}

uint32_t lapic_reg_read(uint32_t reg)
{
    return lapic_read(reg);
}

void lapic_reg_write(uint32_t reg, uint32_t v)
{
    lapic_write(reg, v);
}

bool lapic_is_x2apic(void)
{
    return x2apic;
}

void lapic_init_bsp(paddr_t acpi_lapic_addr)
{
    paddr_t base = rdmsr(MSR_IA32_APIC_BASE) & PTE_ADDR_MASK;

    x2apic = cpuid(1).ecx & (1u << 21);
    tsc_deadline = cpuid(1).ecx & (1u << 24);
    if (acpi_lapic_addr && acpi_lapic_addr != base)
        pr_warn("apic: ACPI says the local APIC is at %llx, the CPU says %llx; using the CPU's\n",
                (unsigned long long)acpi_lapic_addr, (unsigned long long)base);
    if (!x2apic) {
        xapic_regs = ioremap(base, PAGE_SIZE);
        if (!xapic_regs)
            panic("apic: cannot map the local APIC");
    }
    pr_info("apic: local APIC in %s mode, timer %s\n", x2apic ? "x2APIC" : "xAPIC",
            tsc_deadline ? "TSC-deadline" : "one-shot");
}

void lapic_init_cpu(void)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EN;

    wrmsr(MSR_IA32_APIC_BASE, base);
    if (x2apic)
        wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
    lapic_write(APIC_TPR, 0);
    lapic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
    lapic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    lapic_write(APIC_LVT_LINT1, APIC_DM_NMI);
    lapic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
    lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    lapic_write(APIC_ESR, 0);
    lapic_write(APIC_EOI, 0);
}

uint32_t lapic_id(void)
{
    uint32_t id = lapic_read(APIC_ID);

    return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
    lapic_write(APIC_EOI, 0);
}

bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    if (x2apic) {
        wrmsr(X2APIC_MSR(APIC_ICR), ((uint64_t)apic_id << 32) | icr_low);
        return true;
    }
    xapic_regs[APIC_ICR2 / 4] = apic_id << 24;
    xapic_regs[APIC_ICR / 4] = icr_low;
    for (unsigned int i = 0; i < 1000000; i++) {
        if (!(xapic_regs[APIC_ICR / 4] & APIC_ICR_BUSY))
            return true;
        cpu_relax();
    }
    return false;
}

void lapic_timer_calibrate(void)
{
    uint64_t start, ticks;

    if (tsc_deadline)
        return;
    lapic_write(APIC_TDCR, 0x3);            /* divide by 16 */
    lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    lapic_write(APIC_TMICT, 0xffffffff);
    start = rdtsc();
    while (rdtsc() - start < ns_to_tsc(10 * NSEC_PER_MSEC))
        cpu_relax();
    ticks = 0xffffffffu - lapic_read(APIC_TMCCT);
    lapic_write(APIC_TMICT, 0);
    lapic_ticks_per_ms = ticks / 10 ? ticks / 10 : 1;
    pr_info("apic: timer runs at %llu kHz (divided by 16)\n", (unsigned long long)lapic_ticks_per_ms);
}

bool lapic_timer_uses_tsc_deadline(void)
{
    return tsc_deadline;
}

void lapic_timer_arm(uint64_t tsc)
{
    uint64_t now, ticks;

    if (tsc_deadline) {
        lapic_write(APIC_LVT_TIMER, APIC_TIMER_TSC_DEADLINE | VEC_TIMER);
        wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
        return;
    }
    lapic_write(APIC_LVT_TIMER, VEC_TIMER);
    lapic_write(APIC_TDCR, 0x3);
    if (!tsc) {
        lapic_write(APIC_TMICT, 0);
        return;
    }
    now = rdtsc();
    ticks = tsc > now ? tsc_to_ns(tsc - now) * lapic_ticks_per_ms / NSEC_PER_MSEC : 0;
    lapic_write(APIC_TMICT, (uint32_t)MIN(MAX(ticks, 1), 0xffffffffULL));
}
