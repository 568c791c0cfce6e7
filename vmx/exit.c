/*
 * VM-exit decoding: one table, indexed by basic exit reason, turns each exit into the neutral
 * record hv/exits.c handles. CR0/CR4 writes that touch the bits VMX operation owns are completed
 * here, since only this backend has them.
 */
#include <keel/exits.h>
#include <keel/guest_mem.h>
#include <keel/printk.h>
#include "vmcs.h"

typedef void (*vmx_exit_fn)(struct vcpu *v, uint64_t qual, struct vm_exit *e);

static void with_len(struct vm_exit *e, enum vm_exit_reason r)
{
    e->reason = r;
    e->insn_len = (uint8_t)vmread(EXIT_INSTRUCTION_LEN);
}

static void exit_intr(struct vcpu *v, uint64_t q, struct vm_exit *e) { e->reason = VMEXIT_INTR; }
static void exit_triple(struct vcpu *v, uint64_t q, struct vm_exit *e) { e->reason = VMEXIT_SHUTDOWN; }
static void exit_ud(struct vcpu *v, uint64_t q, struct vm_exit *e) { e->reason = VMEXIT_UD; }
static void exit_cpuid(struct vcpu *v, uint64_t q, struct vm_exit *e) { with_len(e, VMEXIT_CPUID); }
static void exit_hlt(struct vcpu *v, uint64_t q, struct vm_exit *e) { with_len(e, VMEXIT_HLT); }
static void exit_invd(struct vcpu *v, uint64_t q, struct vm_exit *e) { with_len(e, VMEXIT_SKIP); }
static void exit_vmcall(struct vcpu *v, uint64_t q, struct vm_exit *e) { with_len(e, VMEXIT_HYPERCALL); }
static void exit_rdmsr(struct vcpu *v, uint64_t q, struct vm_exit *e) { with_len(e, VMEXIT_RDMSR); }
static void exit_wrmsr(struct vcpu *v, uint64_t q, struct vm_exit *e) { with_len(e, VMEXIT_WRMSR); }

/* Qualification: size - 1 in bits 2:0, IN bit 3, string bit 4, REP bit 5, port in 31:16. */
static void exit_io(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
    with_len(e, VMEXIT_IO);
    e->io.size = (uint8_t)((q & 7) + 1);
    e->io.in = q & 8;
    e->io.string = q & 16;
    e->io.rep = q & 32;
    e->io.port = (uint16_t)(q >> 16);
    e->io.seg = X86_SEG_NONE;
}

/* Qualification: read/write/fetch in bits 0-2, the entry's permissions in 3-5, bit 8 (when bit 7
 * is set) tells the final access from the guest's page walk. */
static void exit_ept_violation(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
    e->reason = VMEXIT_P2M;
    e->p2m.gpa = vmread(GUEST_PHYSICAL_ADDRESS);
    e->p2m.write = q & 2;
    e->p2m.fetch = q & 4;
    e->p2m.read = !e->p2m.write && !e->p2m.fetch;
    e->p2m.present = q & 0x38;
    e->p2m.in_guest_walk = (q & (1 << 7)) && !(q & (1 << 8));
}

static void exit_ept_misconfig(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
    e->reason = VMEXIT_UNHANDLED;
    e->why = "EPT misconfiguration: the p2m holds an entry the CPU rejects (a Keel bug)";
}

static void exit_failed(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
    e->reason = VMEXIT_FAILED_ENTRY;
    e->why = vmx_explain_failure(v, false);
}

/* Qualification: CR in bits 3:0, access type in 5:4 (MOV to, MOV from, CLTS, LMSW), GPR in 11:8,
 * the LMSW source in 31:16. */
static void exit_cr(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
    struct vmx_vcpu *x = v->arch;
    unsigned int cr = q & 15, type = (q >> 4) & 3;
    uint64_t val;

    e->reason = VMEXIT_NONE;
    if (type == 0 && (cr == 0 || cr == 4))
        val = ((uint64_t *)&v->gprs)[(q >> 8) & 15];
    else if (type == 2)
        val = x->cr0_shadow & ~(1ULL << 3);                     /* CLTS */
    else if (type == 3)                                         /* LMSW cannot clear PE */
        val = (x->cr0_shadow & ~0xeULL) | ((q >> 16) & 0xf) | (x->cr0_shadow & 1);
    else {
        e->reason = VMEXIT_UNHANDLED;
        e->why = "unexpected control-register access exit";
        return;
    }
    if (vmx_cr_write(v, type >= 2 ? 0 : cr, val))
        with_len(e, VMEXIT_SKIP);               /* done: step over it */
    else
        vcpu_inject_gp(v);
}

/* The interrupt window opened: the pending interrupt goes in on the next entry. */
static void exit_intr_window(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
    vmwrite(PROC_BASED_CONTROLS, vmread(PROC_BASED_CONTROLS) & ~PROC_INTR_WINDOW);
    e->reason = VMEXIT_NONE;
}

/* NMIs are unblocked again: the pending one goes in on the next entry. */
static void exit_nmi_window(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
    vmwrite(PROC_BASED_CONTROLS, vmread(PROC_BASED_CONTROLS) & ~PROC_NMI_WINDOW);
    e->reason = VMEXIT_NONE;
}

static const vmx_exit_fn vmx_exit_table[EXIT_REASON_TABLE_SIZE] = {
    [EXIT_REASON_EXCEPTION] = exit_intr,        /* only NMIs exit this way: the host takes them */
    [EXIT_REASON_EXTERNAL_INTR] = exit_intr,
    [EXIT_REASON_TRIPLE_FAULT] = exit_triple,
    [EXIT_REASON_INIT] = exit_intr,
    [EXIT_REASON_SIPI] = exit_intr,
    [EXIT_REASON_INTR_WINDOW] = exit_intr_window,
    [EXIT_REASON_NMI_WINDOW] = exit_nmi_window,
    [EXIT_REASON_CPUID] = exit_cpuid,
    [EXIT_REASON_GETSEC] = exit_ud,
    [EXIT_REASON_HLT] = exit_hlt,
    [EXIT_REASON_INVD] = exit_invd,
    [EXIT_REASON_VMCALL] = exit_vmcall,
    [EXIT_REASON_VMCLEAR ... EXIT_REASON_VMXON] = exit_ud,
    [EXIT_REASON_CR_ACCESS] = exit_cr,
    [EXIT_REASON_IO] = exit_io,
    [EXIT_REASON_RDMSR] = exit_rdmsr,
    [EXIT_REASON_WRMSR] = exit_wrmsr,
    [EXIT_REASON_INVALID_GUEST_STATE] = exit_failed,
    [EXIT_REASON_MSR_LOADING] = exit_failed,
    [EXIT_REASON_MACHINE_CHECK] = exit_failed,
    [EXIT_REASON_MWAIT] = exit_ud,
    [EXIT_REASON_MONITOR] = exit_ud,
    [EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,
    [EXIT_REASON_EPT_MISCONFIG] = exit_ept_misconfig,
    [EXIT_REASON_INVEPT] = exit_ud,
    [EXIT_REASON_PREEMPT_TIMER] = exit_intr,
    [EXIT_REASON_INVVPID] = exit_ud,
    [EXIT_REASON_XSETBV] = exit_ud,
    [EXIT_REASON_VMFUNC] = exit_ud,
};

/* An event the exit interrupted is delivered again on the next entry. */
static void reinject_vectoring(void)
{
    uint32_t info = (uint32_t)vmread(IDT_VECTORING_INFO);
    unsigned int type = (info >> 8) & 7;

    if (!(info & INTR_INFO_VALID)) {
        vmwrite(ENTRY_INTR_INFO, 0);
        return;
    }
    vmwrite(ENTRY_INTR_INFO, info & ~(1u << 12));
    if (info & INTR_INFO_ERROR_VALID)
        vmwrite(ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
    if (type == 4 || type == 5 || type == 6)    /* software interrupts and exceptions: length */
        vmwrite(ENTRY_INSTRUCTION_LEN, vmread(EXIT_INSTRUCTION_LEN));
}

void vmx_decode_exit(struct vcpu *v, struct vm_exit *e)
{
    uint32_t reason = (uint32_t)vmread(EXIT_REASON), basic = reason & 0xffff;
    uint64_t qual = vmread(EXIT_QUALIFICATION);

    *e = (struct vm_exit){ .raw = reason, .info1 = qual };
    if (reason & (1u << 31)) {                  /* the entry itself failed */
        exit_failed(v, qual, e);
        return;
    }
    reinject_vectoring();
    if (basic < EXIT_REASON_TABLE_SIZE && vmx_exit_table[basic]) {
        vmx_exit_table[basic](v, qual, e);
        return;
    }
    e->reason = VMEXIT_UNHANDLED;
    e->why = "no VT-x handler for this exit reason";
}
