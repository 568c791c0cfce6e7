/*
 * #VMEXIT decoding: one table, indexed by exit code, turns each exit into the neutral record that
 * hv/exits.c handles. Instruction lengths come from NRIP when the CPU saves it; otherwise common
 * code decodes the instruction (QEMU's emulated AMD-V has no NRIP save).
 */
#include <keel/cpufeat.h>
#include <keel/hvm.h>
#include "vmcb.h"

typedef void (*svm_exit_fn)(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e);

static void set_len_from_nrip(struct vmcb *vmcb, struct vm_exit *e)
{
    if ((boot_cpu.svm.features & SVM_FEATURE_NRIPS) && vmcb->nrip > vmcb->rip &&
        vmcb->nrip - vmcb->rip <= X86_MAX_INSN_LEN)
        e->insn_len = (uint8_t)(vmcb->nrip - vmcb->rip);
}

static void exit_interrupt(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = VMEXIT_INTR;            /* taken by the host as soon as GIF is set again */
}

/* The interrupt window opened: drop the request; the pending interrupt goes in on entry. */
static void exit_vintr(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    vmcb->vintr &= ~(SVM_V_IRQ | SVM_V_IGN_TPR);
    vmcb->intercept1 &= ~SVM_INTERCEPT_VINTR;
    e->reason = VMEXIT_NONE;
}

/* IRET intercepts the instruction before it runs: NMIs stay blocked until the next exit. */
static void exit_iret(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    struct svm_vcpu *s = v->arch;

    vmcb->intercept1 &= ~SVM_INTERCEPT_IRET;
    s->nmi_iret_seen = s->nmi_masked;
    e->reason = VMEXIT_NONE;
}

static void exit_cpuid(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = VMEXIT_CPUID;
    set_len_from_nrip(vmcb, e);
}

static void exit_hlt(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = VMEXIT_HLT;
    set_len_from_nrip(vmcb, e);
}

static void exit_vmmcall(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = VMEXIT_HYPERCALL;
    set_len_from_nrip(vmcb, e);
}

static void exit_msr(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = vmcb->exitinfo1 ? VMEXIT_WRMSR : VMEXIT_RDMSR;
    set_len_from_nrip(vmcb, e);
}

static void exit_invd(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = VMEXIT_SKIP;            /* dropping caches is not the guest's to do: a no-op */
    set_len_from_nrip(vmcb, e);
}

static void exit_ud(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = VMEXIT_UD;              /* SVM instructions, MONITOR/MWAIT, XSETBV: not offered */
}

static void exit_shutdown(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    e->reason = VMEXIT_SHUTDOWN;
}

/* EXITINFO1: bit 0 IN, 2 string, 3 REP, 4-6 operand size, 7-9 address size, 16-31 port;
 * EXITINFO2: the next RIP. */
static void exit_ioio(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    uint64_t info = vmcb->exitinfo1;

    e->reason = VMEXIT_IO;
    e->io.port = (uint16_t)(info >> 16);
    e->io.in = info & 1;
    e->io.string = info & (1 << 2);
    e->io.rep = info & (1 << 3);
    e->io.size = (info & (1 << 4)) ? 1 : (info & (1 << 5)) ? 2 : 4;
    e->io.addr_size = (info & (1 << 7)) ? 2 : (info & (1 << 8)) ? 4 : (info & (1 << 9)) ? 8 : 0;
    e->io.seg = X86_SEG_NONE;
    if (vmcb->exitinfo2 > vmcb->rip && vmcb->exitinfo2 - vmcb->rip <= X86_MAX_INSN_LEN)
        e->insn_len = (uint8_t)(vmcb->exitinfo2 - vmcb->rip);
}

/* EXITINFO1: the page-fault style error code, bit 32 final address, bit 33 guest table walk. */
static void exit_npf(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    uint64_t info = vmcb->exitinfo1;

    e->reason = VMEXIT_P2M;
    e->p2m.gpa = vmcb->exitinfo2;
    e->p2m.present = info & 1;
    e->p2m.write = info & 2;
    e->p2m.fetch = info & 16;
    e->p2m.read = !e->p2m.write && !e->p2m.fetch;
    e->p2m.in_guest_walk = info & (1ULL << 33);
}

static const svm_exit_fn svm_exit_table[SVM_EXIT_TABLE_SIZE] = {
    [SVM_EXIT_INTR] = exit_interrupt,
    [SVM_EXIT_NMI] = exit_interrupt,
    [SVM_EXIT_SMI] = exit_interrupt,
    [SVM_EXIT_INIT] = exit_interrupt,
    [SVM_EXIT_VINTR] = exit_vintr,
    [SVM_EXIT_CPUID] = exit_cpuid,
    [SVM_EXIT_IRET] = exit_iret,
    [SVM_EXIT_INVD] = exit_invd,
    [SVM_EXIT_HLT] = exit_hlt,
    [SVM_EXIT_INVLPGA] = exit_ud,
    [SVM_EXIT_IOIO] = exit_ioio,
    [SVM_EXIT_MSR] = exit_msr,
    [SVM_EXIT_SHUTDOWN] = exit_shutdown,
    [SVM_EXIT_VMRUN] = exit_ud,
    [SVM_EXIT_VMMCALL] = exit_vmmcall,
    [SVM_EXIT_VMLOAD] = exit_ud,
    [SVM_EXIT_VMSAVE] = exit_ud,
    [SVM_EXIT_STGI] = exit_ud,
    [SVM_EXIT_CLGI] = exit_ud,
    [SVM_EXIT_SKINIT] = exit_ud,
    [SVM_EXIT_MONITOR] = exit_ud,
    [SVM_EXIT_MWAIT] = exit_ud,
    [SVM_EXIT_XSETBV] = exit_ud,
};

void svm_decode_exit(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e)
{
    uint64_t code = vmcb->exitcode;

    *e = (struct vm_exit){ .raw = code, .info1 = vmcb->exitinfo1, .info2 = vmcb->exitinfo2 };
    if (code < SVM_EXIT_TABLE_SIZE && svm_exit_table[code]) {
        svm_exit_table[code](v, vmcb, e);
    } else if (code == SVM_EXIT_NPF) {
        exit_npf(v, vmcb, e);
    } else if ((uint32_t)code == SVM_EXIT_INVALID) {
        e->reason = VMEXIT_FAILED_ENTRY;
        e->why = "VMRUN refused the VMCB's guest state (VMEXIT_INVALID)";
    } else {
        e->reason = VMEXIT_UNHANDLED;
        e->why = "no AMD-V handler for this exit code";
    }
}
