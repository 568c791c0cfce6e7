/*
 * What dom0 cannot do directly, and what the hypervisor does for it instead:
 * - its local APIC's page exits (the physical APIC, in xAPIC or x2APIC mode, behind it): every
 *   register passes through except the interrupt command register, so that dom0 can send
 *   interrupts to its own CPUs only, never INIT, SIPI, NMI or anything else to a CPU the
 *   hypervisor keeps;
 * - the ports of COM1 (absent for dom0), PCI configuration (hv/dom0_pci.c), and every machine
 *   reset path (0xCF9, the keyboard controller's pulse, port A, the ACPI reset register): the
 *   hypervisor restarts the machine itself;
 * - the APIC base MSR (it cannot move or switch its APIC) and the x2APIC MSRs (not offered).
 */
#include <keel/acpi.h>
#include <keel/apic.h>
#include <keel/cpu.h>
#include <keel/dom0.h>
#include <keel/hvm.h>
#include <keel/percpu.h>
#include <keel/platform.h>
#include <keel/printk.h>
#include <keel/shutdown.h>
#include <keel/string.h>

#define MSR_IA32_APIC_BASE 0x1b
#define ICR_DEST_PHYS_SHIFT 24
#define ICR_SHORTHAND(lo) (((lo) >> 18) & 3)
#define ICR_LOGICAL (1u << 11)
#define ICR_DM(lo) ((lo) & 0x700)
#define KBC_CMD_PORT 0x64
#define KBC_RESET_PULSE 0xfe
#define PORT_A 0x92
#define RESET_CONTROL 0xcf9

#define APIC_LDR 0x0d0
#define APIC_DFR 0x0e0

static uint32_t icr_high[64];           /* dom0's ICR destination, per physical CPU */
static uint32_t ldr[64], dfr[64];       /* what dom0 set as logical destination, per CPU */

static uint32_t port_read(uint16_t port, unsigned int size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void port_write(uint16_t port, unsigned int size, uint32_t val)
{
    if (size == 1)
        outb(port, (uint8_t)val);
    else if (size == 2)
        outw(port, (uint16_t)val);
    else
        outl(port, val);
}           /* dom0's ICR destination, per physical CPU */

static void log_once(bool *done, const char *what, uint32_t a, uint32_t b)
{
    if (*done)
        return;
    *done = true;
    pr_warn("dom0: %s (%#x %#x): ignored (logged once)\n", what, a, b);
}

/* Whether dom0's CPU cpu is in the logical destination dest (flat or cluster model). */
static bool logical_match(unsigned int cpu, uint32_t dest)
{
    uint32_t id = ldr[cpu] >> 24;

    if (!dfr[cpu] || (dfr[cpu] >> 28) == 0xf)    /* flat (the reset value): a bit per CPU */
        return (dest & id) != 0;
    return (dest >> 4) == (id >> 4) && (dest & id & 0xf);       /* cluster */
}

int dom0_msi_cpu(uint32_t dest, bool logical)
{
    for (unsigned int i = 0; i < 64; i++)
        if (cpu_is_dom0(i) && cpus[i] &&
            (logical ? logical_match(i, dest) : dest == cpus[i]->apic_id))
            return (int)i;
    return -1;
}

/* dom0's CPUs that the ICR's destination names. */
static uint64_t icr_targets(uint32_t lo, uint32_t hi)
{
    struct percpu *me = this_cpu();
    uint64_t mask = 0;

    switch (ICR_SHORTHAND(lo)) {
    case 1:                             /* self */
        return 1ULL << me->id;
    case 2:                             /* all including self */
        return dom0_cpu_mask;
    case 3:                             /* all excluding self */
        return dom0_cpu_mask & ~(1ULL << me->id);
    }
    for (unsigned int i = 0; i < 64; i++) {
        if (!cpu_is_dom0(i) || !cpus[i])
            continue;
        if ((lo & ICR_LOGICAL) ? logical_match(i, hi >> ICR_DEST_PHYS_SHIFT) :
                                 (hi >> ICR_DEST_PHYS_SHIFT) == cpus[i]->apic_id)
            mask |= 1ULL << i;
    }
    return mask;
}

/* INIT and SIPI to dom0's other CPUs start its vCPUs there (its CPUs never really reset). */
static void start_ipi(uint32_t lo, uint64_t targets)
{
    bool init = ICR_DM(lo) == APIC_DM_INIT;

    if (init && !(lo & APIC_LEVEL_ASSERT))
        return;                         /* INIT level de-assert: nothing to do */
    for (unsigned int i = 0; i < 64; i++)
        if ((targets & (1ULL << i)) && i != this_cpu()->id && i < dom0->nr_vcpus)
            dom0_start_vcpu(dom0->vcpus[i], init, (uint8_t)lo);
}

/* dom0 wrote ICR low: fixed and NMI interrupts go to its own CPUs, INIT and SIPI start its
 * vCPUs; nothing goes to any other CPU. */
static void icr_write(uint32_t lo)
{
    static bool warned_mode, warned_dest;
    uint32_t hi = icr_high[this_cpu()->id];
    uint32_t dm = ICR_DM(lo), send = lo & (0xff | 0x700 | APIC_LEVEL_ASSERT | (1u << 15));
    uint64_t targets;

    if (dm == APIC_DM_INIT || dm == APIC_DM_SIPI) {
        start_ipi(lo, icr_targets(lo, hi));
        return;
    }
    if (dm != APIC_DM_FIXED && dm != 0x100 && dm != APIC_DM_NMI) {
        log_once(&warned_mode, "an IPI with a delivery mode dom0 may not use", lo, hi);
        return;
    }
    targets = icr_targets(lo, hi);
    if (!targets && ICR_SHORTHAND(lo) != 3)
        log_once(&warned_dest, "an IPI to a CPU that is not dom0's", lo, hi);
    if (dm == 0x100)
        send = (send & ~0x700u) | APIC_DM_FIXED;   /* lowest priority among its own: fixed */
    for (unsigned int i = 0; i < 64; i++)
        if (targets & (1ULL << i))
            lapic_send_ipi(cpus[i]->apic_id, send);
}

static uint32_t apic_read(uint32_t reg)
{
    if (reg == APIC_ICR2)
        return icr_high[this_cpu()->id];
    if (reg == APIC_ID && lapic_is_x2apic())
        return this_cpu()->apic_id << 24;
    return lapic_reg_read(reg);
}

static void apic_write(uint32_t reg, uint32_t val)
{
    if (reg == APIC_LDR)
        ldr[this_cpu()->id] = val;
    else if (reg == APIC_DFR)
        dfr[this_cpu()->id] = val;
    if (reg == APIC_ICR2)
        icr_high[this_cpu()->id] = val;
    else if (reg == APIC_ICR)
        icr_write(val);
    else if (reg != APIC_ID && !(lapic_is_x2apic() && (reg == APIC_LDR || reg == APIC_DFR)))
        lapic_reg_write(reg, val);      /* x2APIC has no writable ID, LDR or DFR */
}

/* An access to dom0's APIC page, from the instruction emulator: 0, or -ENOENT if not ours. */
int dom0_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write)
{
    uint32_t reg = (uint32_t)(gpa & 0xfff), val;

    if ((gpa & ~0xfffULL) != 0xfee00000ULL)
        return dom0_ecam_access(gpa, buf, size, write);
    if (size != 4 || (reg & 0xf)) {     /* the APIC answers only aligned dwords */
        if (!write)
            memset(buf, 0, size);
        return 0;
    }
    if (write) {
        memcpy(&val, buf, 4);
        apic_write(reg, val);
    } else {
        val = apic_read(reg);
        memcpy(buf, &val, 4);
    }
    return 0;
}

static __noreturn void reset_request(const char *how)
{
    pr_info("dom0: reset through %s\n", how);
    machine_restart("dom0 reset the machine");
}

/* Ports dom0 reaches only through here; true if port is one of them. */
bool dom0_io(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t *val)
{
    if (port >= 0x3f8 && port <= 0x3ff) {
        if (!write)
            *val = 0xffffffffu;         /* no UART here: dom0's console is COM2 */
        return true;
    }
    if (write && size == 1 && port == RESET_CONTROL && (*val & 4))
        reset_request("the reset control register");
    if (write && acpi.reset_reg_valid && port == acpi.reset_port && size == 1 &&
        (uint8_t)*val == acpi.reset_value)
        reset_request("the ACPI reset register");
    if (port >= 0xcf8 && port <= 0xcff && !(size == 1 && port == RESET_CONTROL)) {
        dom0_pci_io(v, port, size, write, val);
        return true;
    }
    if (write && port == KBC_CMD_PORT && (uint8_t)*val == KBC_RESET_PULSE)
        reset_request("the keyboard controller");
    if (write && port == PORT_A && (*val & 1))
        reset_request("system control port A");
    if (port == 0xf4 || port == 0x8900) {
        if (!write)
            *val = 0xffffffffu;         /* the test-exit ports are the hypervisor's */
        return true;
    }
    if (write)
        port_write(port, size, *val);   /* everything else here reaches the machine */
    else
        *val = port_read(port, size);
    return true;
}

int dom0_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    if (msr == MSR_IA32_APIC_BASE) {
        *val = rdmsr(MSR_IA32_APIC_BASE) & ~(1ULL << 10);   /* xAPIC, where it is */
        return 0;
    }
    if (msr >= 0x800 && msr <= 0x8ff)
        return -EPERM;                  /* x2APIC is not offered */
    return -ENOENT;
}

int dom0_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    static bool warned;
    uint64_t cur;

    if (msr == MSR_IA32_APIC_BASE) {
        cur = rdmsr(MSR_IA32_APIC_BASE) & ~(1ULL << 10);
        if (val != cur)
            log_once(&warned, "a change of the APIC base MSR", (uint32_t)val, (uint32_t)cur);
        return 0;
    }
    if (msr >= 0x800 && msr <= 0x8ff)
        return -EPERM;
    return -ENOENT;
}

/* Before each entry: an NMI that reached this CPU and was not the hypervisor's own kick is
 * dom0's (it owns the machine's NMI sources). */
void dom0_prepare_entry(struct vcpu *v)
{
    struct percpu *p = this_cpu();

    if (p->dom0_nmi) {
        p->dom0_nmi = false;
        v->pending_nmi = true;
    }
    if (v->pending_nmi && hvm->inject_nmi(v))
        v->pending_nmi = false;
}
