/* Bringing up the other CPUs with INIT-SIPI-SIPI, and cross-CPU calls. */
#include <keel/apic.h>
#include <keel/dom0.h>
#include <keel/cpu.h>
#include <keel/heap.h>
#include <keel/hvm.h>
#include <keel/sched.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/shutdown.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/timer.h>
#include <keel/traps.h>

#define AP_START_TIMEOUT_MS 5000        /* emulators can be slow to schedule a new CPU */
#define CALL_TIMEOUT_MS 5000

struct tramp_params {
    uint64_t base, cr3, efer, stack, percpu, entry;
};

extern const char trampoline_start[], trampoline_end[];
extern const char tramp_params[], tramp_gdt_ptr[], tramp_pm_jump[], tramp_lm_jump[];

struct percpu *cpus[MAX_CPUS];
unsigned int nr_cpus_online;
static struct percpu bsp_percpu;

static void call_interrupt(struct cpu_regs *regs)
{
    struct percpu *p = this_cpu();
    struct call_request *c = p->call;

    lapic_eoi();
    if (!c)
        return;
    p->call = NULL;
    c->fn(c->arg);
    __atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
}

static void stop_interrupt(struct cpu_regs *regs)
{
    cpu_stop();
}

void smp_init_bsp(void)
{
    bsp_percpu.self = &bsp_percpu;
    bsp_percpu.id = 0;
    cpus[0] = &bsp_percpu;
    cpu_tables_load(&bsp_percpu);
    irq_set_handler(VEC_CALL, call_interrupt);
    irq_set_handler(VEC_STOP, stop_interrupt);
}

int smp_call_on(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
    struct call_request req = { .fn = fn, .arg = arg };
    struct percpu *p = cpu < MAX_CPUS ? cpus[cpu] : NULL;
    uint64_t deadline;

    if (!p || !p->online)
        return -ENODEV;
    spin_lock(&p->call_lock);
    p->call = &req;
    lapic_send_ipi(p->apic_id, APIC_DM_FIXED | VEC_CALL);
    deadline = now_ns() + CALL_TIMEOUT_MS * NSEC_PER_MSEC;
    while (!__atomic_load_n(&req.done, __ATOMIC_ACQUIRE) && now_ns() < deadline)
        cpu_relax();
    p->call = NULL;
    spin_unlock(&p->call_lock);
    return req.done ? 0 : -ETIMEDOUT;
}

volatile bool smp_stopping;

void smp_stop_others(void)
{
    struct percpu *me = this_cpu();

    smp_stopping = true;
    for (unsigned int i = 0; i < MAX_CPUS; i++)
        if (cpus[i] && cpus[i] != me && cpus[i]->online)    /* dom0's CPUs take NMIs only */
            lapic_send_ipi(cpus[i]->apic_id, cpu_is_dom0(i) ? APIC_DM_NMI : APIC_DM_FIXED | VEC_STOP);
}

static __noreturn void ap_entry(struct percpu *p)
{
    write_cr3(virt_to_phys(boot_pml4));
    cpu_tables_load(p);
    lapic_init_cpu();
    timer_cpu_init();
    sched_cpu_init();
    p->apic_id = lapic_id();
    if (hvm && hvm->cpu_enable())
        pr_err("cpu%u: %s could not be enabled\n", p->id, hvm->name);
    __atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
    sched_idle_loop();
}

/* Copies the trampoline to a low page and patches its physical addresses. */
static paddr_t trampoline_install(void)
{
    size_t len = (size_t)(trampoline_end - trampoline_start);
    char *page = alloc_pages_below(0, MiB(1));
    paddr_t base;

    if (!page)
        panic("smp: no free page below 1 MiB for the start-up code");
    base = virt_to_phys(page);
    memcpy(page, trampoline_start, len);
    *(uint32_t *)(page + (tramp_gdt_ptr - trampoline_start) + 2) += (uint32_t)base;
    *(uint32_t *)(page + (tramp_pm_jump - trampoline_start)) += (uint32_t)base;
    *(uint32_t *)(page + (tramp_lm_jump - trampoline_start)) += (uint32_t)base;
    return base;
}

static struct percpu *percpu_new(unsigned int id, uint32_t apic_id)
{
    struct percpu *p = kzalloc(sizeof(*p));
    void *stack = alloc_pages(2);

    if (!p || !stack)
        panic("smp: out of memory for CPU %u", id);
    p->self = p;
    p->id = id;
    p->apic_id = apic_id;
    p->stack_top = (uintptr_t)stack + CPU_STACK_SIZE;
    return p;
}

static bool wait_online(struct percpu *p, unsigned int timeout_ms)
{
    uint64_t deadline = now_ns() + timeout_ms * NSEC_PER_MSEC;

    while (!__atomic_load_n(&p->online, __ATOMIC_ACQUIRE) && now_ns() < deadline)
        cpu_relax();
    return p->online;
}

static bool start_cpu(struct percpu *p, paddr_t tramp)
{
    struct tramp_params *params = phys_to_virt(tramp + (tramp_params - trampoline_start));

    params->base = tramp;
    params->cr3 = mm_boot_cr3();
    params->efer = rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE);
    params->stack = p->stack_top;
    params->percpu = (uint64_t)p;
    params->entry = (uint64_t)ap_entry;
    cpus[p->id] = p;
    lapic_send_ipi(p->apic_id, APIC_DM_INIT | APIC_LEVEL_ASSERT);
    udelay(10000);
    for (unsigned int i = 0; i < 2 && !p->online; i++) {
        lapic_send_ipi(p->apic_id, APIC_DM_SIPI | (uint32_t)(tramp >> PAGE_SHIFT));
        udelay(200);
    }
    if (wait_online(p, AP_START_TIMEOUT_MS))
        return true;
    cpus[p->id] = NULL;
    return false;
}

unsigned int smp_boot_aps(const struct acpi_info *acpi)
{
    paddr_t tramp = trampoline_install();
    unsigned int next_id = 1;

    bsp_percpu.apic_id = lapic_id();
    bsp_percpu.online = true;
    nr_cpus_online = 1;
    for (unsigned int i = 0; i < acpi->nr_cpus && next_id < MAX_CPUS; i++) {
        const struct acpi_cpu *c = &acpi->cpus[i];
        struct percpu *p;

        if (!c->enabled || c->apic_id == bsp_percpu.apic_id)
            continue;
        p = percpu_new(next_id, c->apic_id);
        if (!start_cpu(p, tramp)) {
            pr_err("smp: CPU with APIC ID %u did not start\n", c->apic_id);
            kfree(p);
            continue;
        }
        pr_info("smp: CPU %u up (APIC ID %u)\n", p->id, p->apic_id);
        next_id++;
        nr_cpus_online++;
    }
    return nr_cpus_online;
}
