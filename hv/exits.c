/*
 * Common exit handlers: one table, indexed by the neutral reason. A handler either completes the
 * exit (the guest resumes), leaves the vCPU halted, or fails the domain with a logged reason.
 */
#include <keel/exits.h>
#include <keel/hypercall.h>
#include <keel/guest_mem.h>
#include <keel/hvm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/sched.h>
#include <keel/vplatform.h>
#include <public/keel/abi.h>

typedef void (*exit_handler_t)(struct vcpu *v, struct vm_exit *e);

static const char *const exit_names[VMEXIT_NR] = {
    [VMEXIT_NONE] = "none", [VMEXIT_INTR] = "interrupt", [VMEXIT_CPUID] = "cpuid",
    [VMEXIT_RDMSR] = "rdmsr", [VMEXIT_WRMSR] = "wrmsr", [VMEXIT_IO] = "io", [VMEXIT_HLT] = "hlt",
    [VMEXIT_HYPERCALL] = "hypercall", [VMEXIT_P2M] = "p2m", [VMEXIT_SHUTDOWN] = "shutdown",
    [VMEXIT_UD] = "ud", [VMEXIT_SKIP] = "skip", [VMEXIT_FAILED_ENTRY] = "failed-entry", [VMEXIT_UNHANDLED] = "unhandled",
};

const char *vm_exit_name(enum vm_exit_reason r)
{
    return r < VMEXIT_NR && exit_names[r] ? exit_names[r] : "?";
}

void vcpu_inject_gp(struct vcpu *v)
{
    hvm->inject_exception(v, 13, true, 0);
}

void vcpu_inject_ud(struct vcpu *v)
{
    hvm->inject_exception(v, 6, false, 0);
}

bool exit_skip_insn(struct vcpu *v, const struct vm_exit *e)
{
    struct vcpu_state st;
    struct x86_insn insn;
    uint8_t bytes[X86_MAX_INSN_LEN];
    size_t n;

    if (e->insn_len) {
        vcpu_advance_rip(v, e->insn_len);
        return true;
    }
    hvm->get_state(v, &st);
    n = vcpu_fetch_insn(v, &st, bytes);
    if (!n || x86_decode(bytes, n, vcpu_cpu_mode(&st), &insn)) {
        domain_crash(v->domain, "v%u: cannot decode the instruction at RIP %llx after a %s exit",
                     v->id, (unsigned long long)st.rip, vm_exit_name(e->reason));
        return false;
    }
    vcpu_advance_rip(v, insn.len);
    return true;
}

static void handle_none(struct vcpu *v, struct vm_exit *e)
{
}

static void handle_cpuid(struct vcpu *v, struct vm_exit *e)
{
    struct cpuid_regs r;

    cpuid_policy(v, (uint32_t)v->gprs.rax, (uint32_t)v->gprs.rcx, &r);
    if (!exit_skip_insn(v, e))
        return;
    v->gprs.rax = r.eax;
    v->gprs.rbx = r.ebx;
    v->gprs.rcx = r.ecx;
    v->gprs.rdx = r.edx;
}

static void handle_rdmsr(struct vcpu *v, struct vm_exit *e)
{
    uint64_t val;

    if (msr_read(v, (uint32_t)v->gprs.rcx, &val)) {
        vcpu_inject_gp(v);
        return;
    }
    if (!exit_skip_insn(v, e))
        return;
    v->gprs.rax = (uint32_t)val;
    v->gprs.rdx = val >> 32;
}

static void handle_wrmsr(struct vcpu *v, struct vm_exit *e)
{
    uint64_t val = (uint32_t)v->gprs.rax | (v->gprs.rdx << 32);

    if (msr_write(v, (uint32_t)v->gprs.rcx, val)) {
        vcpu_inject_gp(v);
        return;
    }
    exit_skip_insn(v, e);
}

/* Whether an external interrupt waits for v: a test injection, its local APIC's or the PIC's. */
static bool irq_waiting(struct vcpu *v)
{
    return v->pending_irq >= 0 || vplatform_pending_irq(v) >= 0 || vplatform_extint_pending(v);
}

/* HLT waits for an interrupt: one already pending ends it at once. */
static bool nothing_pending(struct vcpu *v)
{
    return !irq_waiting(v) && !v->pending_nmi && !vplatform_startup_pending(v);
}

static void handle_hlt(struct vcpu *v, struct vm_exit *e)
{
    struct vcpu_state st;

    hvm->get_state(v, &st);
    if (!exit_skip_insn(v, e))
        return;
    if (!(st.rflags & X86_RFLAGS_IF))
        sched_block(v, vplatform_no_startup);   /* only NMI, INIT or SIPI (or the end) */
    else
        sched_block(v, nothing_pending);        /* until an interrupt for it, or the end */
}

/* Injects the external interrupt v should take next if it can go in now; true if it did. */
static bool inject_next_irq(struct vcpu *v)
{
    int vec;

    if (v->pending_irq >= 0) {
        if (!hvm->inject_irq(v, (uint8_t)v->pending_irq))
            return false;
        v->pending_irq = -1;
        return true;
    }
    if ((vec = vplatform_pending_irq(v)) >= 0) {
        if (!hvm->inject_irq(v, (uint8_t)vec))
            return false;
        vplatform_ack(v, (uint8_t)vec);
        return true;
    }
    return vplatform_deliver_extint(v);
}

bool vcpu_prepare_entry(struct vcpu *v)
{
    if (!vplatform_startup(v))
        return false;
    if (v->pending_nmi && hvm->inject_nmi(v))
        v->pending_nmi = false;
    else if (inject_next_irq(v))
        /* Offering the one behind it too makes the backend, busy with this one, ask for the
         * interrupt window: it then follows the handler's IRET, not some unrelated later exit. */
        inject_next_irq(v);
    return true;
}

static void handle_hypercall(struct vcpu *v, struct vm_exit *e)
{
    struct vcpu_state st;
    uint64_t mask, nr = v->gprs.rax, args[5];

    hvm->get_state(v, &st);
    if (!exit_skip_insn(v, e))
        return;
    if (st.cpl) {
        v->gprs.rax = (uint64_t)-EPERM;
        return;
    }
    mask = vcpu_cpu_mode(&st) == X86_MODE_64 ? ~0ULL : 0xffffffffULL;
    args[0] = v->gprs.rdi & mask, args[1] = v->gprs.rsi & mask, args[2] = v->gprs.rdx & mask;
    args[3] = v->gprs.r10 & mask, args[4] = v->gprs.r8 & mask;
    v->gprs.rax = (uint64_t)hypercall_dispatch(v, nr & mask, args);
}

static void handle_shutdown(struct vcpu *v, struct vm_exit *e)
{
    struct vcpu_state st;

    hvm->get_state(v, &st);
    vcpu_dump(v, "a triple fault");
    domain_crash(v->domain, "triple fault at RIP %llx", (unsigned long long)st.rip);
}

static void handle_ud(struct vcpu *v, struct vm_exit *e)
{
    vcpu_inject_ud(v);
}

static void handle_skip(struct vcpu *v, struct vm_exit *e)
{
    exit_skip_insn(v, e);
}

static void handle_fatal(struct vcpu *v, struct vm_exit *e)
{
    const char *why = e->why ? e->why : "no detail";

    vcpu_dump(v, vm_exit_name(e->reason));
    domain_crash(v->domain, "v%u: %s (%s exit %#llx, info %#llx %#llx)", v->id, why,
                 vm_exit_name(e->reason), (unsigned long long)e->raw, (unsigned long long)e->info1,
                 (unsigned long long)e->info2);
}

static const exit_handler_t exit_handlers[VMEXIT_NR] = {
    [VMEXIT_NONE] = handle_none,
    [VMEXIT_INTR] = handle_none,
    [VMEXIT_CPUID] = handle_cpuid,
    [VMEXIT_RDMSR] = handle_rdmsr,
    [VMEXIT_WRMSR] = handle_wrmsr,
    [VMEXIT_IO] = exit_handle_io,
    [VMEXIT_HLT] = handle_hlt,
    [VMEXIT_HYPERCALL] = handle_hypercall,
    [VMEXIT_P2M] = exit_handle_p2m,
    [VMEXIT_SHUTDOWN] = handle_shutdown,
    [VMEXIT_UD] = handle_ud,
    [VMEXIT_SKIP] = handle_skip,
    [VMEXIT_FAILED_ENTRY] = handle_fatal,
    [VMEXIT_UNHANDLED] = handle_fatal,
};

void vcpu_handle_exit(struct vcpu *v, struct vm_exit *e)
{
    if (e->reason >= VMEXIT_NR || !exit_handlers[e->reason]) {
        e->why = "no handler for this exit";
        handle_fatal(v, e);
        return;
    }
    exit_handlers[e->reason](v, e);
}
