/*
 * Exception and interrupt dispatch. An exception in the hypervisor is a hypervisor bug: unless an
 * extable fixup covers the instruction, it prints a crash dump and stops the machine.
 */
#include <keel/cpu.h>
#include <keel/dom0.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/shutdown.h>
#include <keel/smp.h>
#include <keel/traps.h>

extern const struct extable_entry __extable_start[], __extable_end[];
static irq_handler_t irq_handlers[256];

static const char *const exception_names[32] = {
    [0] = "#DE divide error", [1] = "#DB debug", [2] = "NMI", [3] = "#BP breakpoint",
    [4] = "#OF overflow", [5] = "#BR bound range", [6] = "#UD invalid opcode",
    [7] = "#NM device not available", [8] = "#DF double fault", [10] = "#TS invalid TSS",
    [11] = "#NP segment not present", [12] = "#SS stack fault", [13] = "#GP general protection",
    [14] = "#PF page fault", [16] = "#MF x87 error", [17] = "#AC alignment check",
    [18] = "#MC machine check", [19] = "#XM SIMD error", [20] = "#VE virtualization",
    [21] = "#CP control protection", [29] = "#VC VMM communication", [30] = "#SX security",
};

void irq_set_handler(unsigned int vector, irq_handler_t fn)
{
    BUG_ON(vector < 32 || vector > 255);
    irq_handlers[vector] = fn;
}

static bool extable_fixup(struct cpu_regs *regs)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == regs->rip) {
            regs->rip = e->fixup;
            return true;
        }
    }
    return false;
}

static void print_symbol(const char *prefix, uint64_t addr)
{
    uint64_t off;
    const char *name = ksym_lookup(addr, &off);

    if (name)
        pr_err("%s%016llx %s+0x%llx\n", prefix, (unsigned long long)addr, name,
               (unsigned long long)off);
    else
        pr_err("%s%016llx ?\n", prefix, (unsigned long long)addr);
}

static bool frame_pointer_ok(uint64_t rbp, uint64_t prev)
{
    /* Frames live on hypervisor stacks (image or direct map), aligned, and grow upwards. */
    return rbp && !(rbp & 7) && rbp > prev && rbp >= 0xffff800000000000ULL &&
           rbp < 0xfffffffffffff000ULL;
}

void backtrace_from(uint64_t rbp, uint64_t rip)
{
    pr_err("Backtrace:\n");
    print_symbol("  ", rip);
    for (unsigned int depth = 0; depth < 32 && frame_pointer_ok(rbp, 0); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;

        if (!frame[1])
            break;
        print_symbol("  ", frame[1]);
        if (!frame_pointer_ok(frame[0], rbp))
            break;
        rbp = frame[0];
    }
}

void dump_regs(const struct cpu_regs *r)
{
    print_symbol("RIP: ", r->rip);
    pr_err("CS: %04llx RFLAGS: %016llx SS: %04llx RSP: %016llx\n", (unsigned long long)r->cs,
           (unsigned long long)r->rflags, (unsigned long long)r->ss, (unsigned long long)r->rsp);
    pr_err("RAX: %016llx RBX: %016llx RCX: %016llx\n", (unsigned long long)r->rax,
           (unsigned long long)r->rbx, (unsigned long long)r->rcx);
    pr_err("RDX: %016llx RSI: %016llx RDI: %016llx\n", (unsigned long long)r->rdx,
           (unsigned long long)r->rsi, (unsigned long long)r->rdi);
    pr_err("RBP: %016llx R8:  %016llx R9:  %016llx\n", (unsigned long long)r->rbp,
           (unsigned long long)r->r8, (unsigned long long)r->r9);
    pr_err("R10: %016llx R11: %016llx R12: %016llx\n", (unsigned long long)r->r10,
           (unsigned long long)r->r11, (unsigned long long)r->r12);
    pr_err("R13: %016llx R14: %016llx R15: %016llx\n", (unsigned long long)r->r13,
           (unsigned long long)r->r14, (unsigned long long)r->r15);
    pr_err("CR0: %016llx CR2: %016llx CR3: %016llx CR4: %016llx\n",
           (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
           (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}

static unsigned int current_cpu_id(void)
{
    /* GS may not be set up yet if the fault is very early. */
    return rdmsr(MSR_GS_BASE) ? this_cpu()->id : 0;
}

static __noreturn void crash(struct cpu_regs *r)
{
    const char *name = r->vector < 32 ? exception_names[r->vector] : NULL;

    printk_emergency_unlock();
    pr_err("*** Keel crash on CPU %u: %s (vector %llu), error code 0x%llx\n", current_cpu_id(),
           name ? name : "reserved exception", (unsigned long long)r->vector,
           (unsigned long long)r->error_code);
    if (r->vector == 14)
        pr_err("page fault at %016llx: %s, %s, %s\n", (unsigned long long)read_cr2(),
               r->error_code & 1 ? "protection" : "not present",
               r->error_code & 2 ? "write" : "read", r->error_code & 16 ? "fetch" : "data");
    dump_regs(r);
    backtrace_from(r->rbp, r->rip);
    pr_err("*** CPU %u stopped\n", current_cpu_id());
    fatal_stop();
}

/* On dom0's CPUs NMIs are how the hypervisor reaches in: a kick, a stop, or dom0's own. */
static void nmi(unsigned int cpu)
{
    struct percpu *p = rdmsr(MSR_GS_BASE) ? this_cpu() : NULL;

    if (!p || !cpu_is_dom0(cpu)) {
        pr_warn("cpu%u: NMI received and ignored\n", cpu);
        return;
    }
    if (smp_stopping)
        cpu_stop();
    if (p->dom0_kicked)
        p->dom0_kicked = false;
    else
        p->dom0_nmi = true;
}

void trap_dispatch(struct cpu_regs *regs)
{
    if (regs->vector == 2) {
        nmi(current_cpu_id());
        return;
    }
    if (regs->vector < 32) {
        if (extable_fixup(regs))
            return;
        crash(regs);
    }
    if (regs->vector < 256 && irq_handlers[regs->vector]) {
        irq_handlers[regs->vector](regs);
        return;
    }
    pr_warn("cpu%u: unexpected interrupt vector %llu\n", current_cpu_id(),
            (unsigned long long)regs->vector);
}
