/* The AMD-V backend: enabling SVM, VMCBs, ASIDs, running a vCPU, guest state access. */
#include <keel/cmdline.h>
#include <keel/cpufeat.h>
#include <keel/exits.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/string.h>
#include "vmcb.h"

static void *iopm, *msrpm;              /* shared by all vCPUs: which ports and MSRs exit */

/* MSRs whose reads go straight to the VMCB's copy (VMLOAD/VMSAVE switch them). Writes to the
 * address-holding ones still exit, so that non-canonical values get #GP on every CPU model. */
static const struct { uint32_t msr; bool write_too; } passthrough_msrs[] = {
    { 0xc0000100, false }, { 0xc0000101, false }, { 0xc0000102, false },  /* FS, GS, kernel GS */
    { 0xc0000081, true }, { 0xc0000082, false }, { 0xc0000083, false },   /* STAR, LSTAR, CSTAR */
    { 0xc0000084, true }, { 0x174, true }, { 0x175, false }, { 0x176, false },
};

bool svm_supported(void)
{
    const struct svm_caps *s = &boot_cpu.svm;

    return s->present && !s->disabled_by_bios && (s->features & SVM_FEATURE_NPT) && s->nr_asids > 1;
}

static void msrpm_allow(uint32_t msr, bool write_too)
{
    uint32_t base = msr >= 0xc0010000 ? 0xc0010000 : msr >= 0xc0000000 ? 0xc0000000 : 0;
    uint32_t bit = (msr - base) * 2 + (base == 0xc0010000 ? 0x1000 * 8 : base ? 0x800 * 8 : 0);
    uint8_t *map = msrpm;

    map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
    if (write_too)
        map[(bit + 1) / 8] &= (uint8_t)~(1u << ((bit + 1) % 8));
}

static int svm_maps_init(void)
{
    iopm = alloc_pages(2);
    msrpm = alloc_pages(1);
    if (!iopm || !msrpm)
        return -ENOMEM;
    memset(iopm, 0xff, 4 * PAGE_SIZE);
    memset(msrpm, 0xff, 2 * PAGE_SIZE);
    for (unsigned int i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
        msrpm_allow(passthrough_msrs[i].msr, passthrough_msrs[i].write_too);
    return 0;
}

static int svm_cpu_enable(void)
{
    struct svm_cpu *c = alloc_pages(0);
    void *hsave = alloc_pages(0), *host = alloc_pages(0);

    if (!c || !hsave || !host || (!iopm && svm_maps_init()))
        return -ENOMEM;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, virt_to_phys(hsave));
    c->hsave_pa = virt_to_phys(hsave);
    c->host_vmcb_pa = virt_to_phys(host);
    c->max_asid = boot_cpu.svm.nr_asids - 1;
    if (opts.max_asids && opts.max_asids < c->max_asid)
        c->max_asid = opts.max_asids;
    c->next_asid = 1;
    c->asid_generation = 1;
    this_cpu()->hvm = c;
    return 0;
}

static void seg_set(struct vmcb_seg *s, uint16_t sel, uint16_t attr, uint32_t limit, uint64_t base)
{
    *s = (struct vmcb_seg){ .sel = sel, .attr = attr, .limit = limit, .base = base };
}

static void vmcb_controls(struct vcpu *v, struct vmcb *vmcb)
{
    vmcb->intercept1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI |
                       SVM_INTERCEPT_INIT | SVM_INTERCEPT_CPUID | SVM_INTERCEPT_INVD |
                       SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO |
                       SVM_INTERCEPT_MSR | SVM_INTERCEPT_SHUTDOWN;
    vmcb->intercept2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
                       SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
                       SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_MONITOR | SVM_INTERCEPT_MWAIT |
                       SVM_INTERCEPT_XSETBV;
    vmcb->iopm_base_pa = virt_to_phys(v->domain->io_intercept ? v->domain->io_intercept : iopm);
    vmcb->msrpm_base_pa = virt_to_phys(msrpm);
    vmcb->vintr = SVM_VINTR_MASKING;    /* physical interrupts exit; guest IF masks only its own */
    vmcb->np_enable = SVM_NP_ENABLE;
    vmcb->n_cr3 = v->domain->p2m.root_pa;
    if (v->domain->flags & DOMF_PRIVILEGED) {
        /* dom0 owns its CPU: interrupts go through its IDT (its IF masks them), and it halts
         * in the guest. */
        vmcb->intercept1 &= ~(SVM_INTERCEPT_INTR | SVM_INTERCEPT_HLT);
        vmcb->vintr = 0;
    }
}

static void svm_vcpu_reset(struct vcpu *v, uint16_t cs, uint16_t ip)
{
    struct svm_vcpu *s = v->arch;
    struct vmcb *vmcb = s->vmcb;

    memset(vmcb, 0, sizeof(*vmcb));
    vmcb_controls(v, vmcb);
    seg_set(&vmcb->cs, cs, 0x9b, 0xffff, (uint64_t)cs << 4);
    seg_set(&vmcb->ds, 0, 0x93, 0xffff, 0);
    seg_set(&vmcb->es, 0, 0x93, 0xffff, 0);
    seg_set(&vmcb->ss, 0, 0x93, 0xffff, 0);
    seg_set(&vmcb->fs, 0, 0x93, 0xffff, 0);
    seg_set(&vmcb->gs, 0, 0x93, 0xffff, 0);
    seg_set(&vmcb->gdtr, 0, 0, 0xffff, 0);
    seg_set(&vmcb->idtr, 0, 0, 0xffff, 0);
    seg_set(&vmcb->ldtr, 0, 0x82, 0xffff, 0);
    seg_set(&vmcb->tr, 0, 0x8b, 0xffff, 0);
    vmcb->cr0 = X86_CR0_ET;
    vmcb->efer = EFER_SVME;             /* VMRUN requires it; the guest never sees it */
    vmcb->rflags = 2;
    vmcb->rip = ip;
    vmcb->dr6 = 0xffff0ff0;
    vmcb->dr7 = 0x400;
    vmcb->g_pat = v->domain->pat;
    memset(&v->gprs, 0, sizeof(v->gprs));
    s->need_new_asid = true;
}

static int svm_vcpu_init(struct vcpu *v)
{
    struct svm_vcpu *s = alloc_pages(0);

    if (!s)
        return -ENOMEM;
    s->vmcb = alloc_pages(0);
    if (!s->vmcb) {
        free_pages(s, 0);
        return -ENOMEM;
    }
    s->vmcb_pa = virt_to_phys(s->vmcb);
    v->arch = s;
    return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch;

    free_pages(s->vmcb, 0);
    free_pages(s, 0);
    v->arch = NULL;
}

/* A fresh ASID whenever the vCPU changes CPU, the CPU's ASIDs ran out, or its TLB must go. */
static void asid_assign(struct svm_cpu *c, struct svm_vcpu *s, struct vmcb *vmcb, unsigned int cpu)
{
    if (s->asid_cpu == cpu && s->asid_generation == c->asid_generation && !s->need_new_asid)
        return;
    if (c->next_asid > c->max_asid) {
        if (c->asid_generation == 1)
            pr_info("svm: CPU %u used all %u ASIDs; reusing them, with a TLB flush\n", cpu, c->max_asid);
        c->asid_generation++;
        c->next_asid = 1;
        c->flush_all = true;
    }
    s->asid = c->next_asid++;
    s->asid_generation = c->asid_generation;
    s->asid_cpu = cpu;
    s->need_new_asid = false;
    vmcb->asid = s->asid;
    if (c->flush_all) {                 /* ASIDs are being reused: nothing cached may survive */
        vmcb->tlb_control = SVM_TLB_FLUSH_ALL;
        c->flush_all = false;
    }
}

static void svm_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
    struct svm_vcpu *s = v->arch;
    struct vmcb *vmcb = s->vmcb;
    struct percpu *p = this_cpu();

    asid_assign(p->hvm, s, vmcb, p->id);
    vmcb->rax = v->gprs.rax;
    vmcb->rsp = v->gprs.rsp;
    svm_world_switch(s->vmcb_pa, &v->gprs, ((struct svm_cpu *)p->hvm)->host_vmcb_pa);
    if (s->nmi_iret_seen) {             /* the guest ran past the NMI handler's IRET */
        s->nmi_iret_seen = false;
        s->nmi_masked = false;
    }
    v->gprs.rax = vmcb->rax;
    v->gprs.rsp = vmcb->rsp;
    vmcb->tlb_control = 0;
    /* An event whose delivery the exit interrupted is delivered again (check V: QEMU leaves
     * stale vectors in EXITINTINFO). */
    vmcb->eventinj = (vmcb->exitintinfo & SVM_EVENT_VALID) ? vmcb->exitintinfo : 0;
    svm_decode_exit(v, vmcb, e);
}

static void seg_get(struct seg_reg *r, const struct vmcb_seg *s)
{
    *r = (struct seg_reg){ .sel = s->sel, .attr = s->attr, .limit = s->limit, .base = s->base };
}

static void svm_get_state(struct vcpu *v, struct vcpu_state *st)
{
    const struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    const struct vmcb_seg *segs[SEG_NR] = { &vmcb->es, &vmcb->cs, &vmcb->ss, &vmcb->ds, &vmcb->fs,
                                            &vmcb->gs, &vmcb->ldtr, &vmcb->tr, &vmcb->gdtr, &vmcb->idtr };

    st->rip = vmcb->rip;
    st->rsp = vmcb->rsp;
    st->rflags = vmcb->rflags;
    st->cr0 = vmcb->cr0;
    st->cr2 = vmcb->cr2;
    st->cr3 = vmcb->cr3;
    st->cr4 = vmcb->cr4;
    st->efer = vmcb->efer & ~EFER_SVME;
    st->cpl = vmcb->cpl;
    for (unsigned int i = 0; i < SEG_NR; i++)
        seg_get(&st->seg[i], segs[i]);
}

static void svm_set_state(struct vcpu *v, const struct vcpu_state *st, unsigned int parts)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;

    if (parts & STATE_RIP)
        vmcb->rip = st->rip;
    if (parts & STATE_RSP)
        v->gprs.rsp = st->rsp;
    if (parts & STATE_RFLAGS)
        vmcb->rflags = st->rflags;
    if (parts & STATE_CR2)
        vmcb->cr2 = st->cr2;
    if (parts & STATE_END_SHADOW)
        vmcb->interrupt_shadow &= ~1ULL;
}

static uint64_t *msr_field(struct vmcb *vmcb, enum hvm_msr which)
{
    switch (which) {
    case HVM_MSR_PAT: return &vmcb->g_pat;
    case HVM_MSR_TSC_OFFSET: return &vmcb->tsc_offset;
    case HVM_MSR_FS_BASE: return &vmcb->fs.base;
    case HVM_MSR_GS_BASE: return &vmcb->gs.base;
    case HVM_MSR_KERNEL_GS_BASE: return &vmcb->kernel_gs_base;
    case HVM_MSR_STAR: return &vmcb->star;
    case HVM_MSR_LSTAR: return &vmcb->lstar;
    case HVM_MSR_CSTAR: return &vmcb->cstar;
    case HVM_MSR_SFMASK: return &vmcb->sfmask;
    case HVM_MSR_SYSENTER_CS: return &vmcb->sysenter_cs;
    case HVM_MSR_SYSENTER_ESP: return &vmcb->sysenter_esp;
    case HVM_MSR_SYSENTER_EIP: return &vmcb->sysenter_eip;
    default: return NULL;
    }
}

static void svm_set_msr(struct vcpu *v, enum hvm_msr which, uint64_t val)
{
    struct svm_vcpu *s = v->arch;

    if (which == HVM_MSR_EFER) {
        s->vmcb->efer = val | EFER_SVME;
        return;
    }
    *msr_field(s->vmcb, which) = val;
}

static uint64_t svm_get_msr(struct vcpu *v, enum hvm_msr which)
{
    struct svm_vcpu *s = v->arch;

    if (which == HVM_MSR_EFER)          /* the guest never sees SVME */
        return s->vmcb->efer & ~EFER_SVME;
    return *msr_field(s->vmcb, which);
}

static void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;

    vmcb->eventinj = vector | SVM_EVENT_TYPE_EXCEPTION | SVM_EVENT_VALID |
                     (has_error ? SVM_EVENT_ERROR_VALID | ((uint64_t)error << 32) : 0);
}

/* The guest takes an interrupt when IF is set, no STI/MOV SS shadow holds and no event is
 * already on its way in. Otherwise a virtual interrupt request makes the CPU exit (VINTR) at
 * the moment it could take one. */
static bool svm_inject_irq(struct vcpu *v, uint8_t vector)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    bool open = (vmcb->rflags & X86_RFLAGS_IF) && !(vmcb->interrupt_shadow & 1) &&
                !(vmcb->eventinj & SVM_EVENT_VALID);

    if (open) {
        vmcb->eventinj = vector | SVM_EVENT_VALID;      /* type 0: external interrupt */
        vmcb->vintr &= ~SVM_V_IRQ;
        vmcb->intercept1 &= ~SVM_INTERCEPT_VINTR;
        return true;
    }
    vmcb->vintr |= SVM_V_IRQ | SVM_V_IGN_TPR;
    vmcb->intercept1 |= SVM_INTERCEPT_VINTR;
    return false;
}

/* AMD-V shows no NMI blocking state: Keel tracks it, from injection to the handler's IRET. */
static bool svm_inject_nmi(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch;
    struct vmcb *vmcb = s->vmcb;

    if (s->nmi_masked || (vmcb->eventinj & SVM_EVENT_VALID) || (vmcb->interrupt_shadow & 1))
        return false;
    vmcb->eventinj = 2 | SVM_EVENT_TYPE_NMI | SVM_EVENT_VALID;
    vmcb->intercept1 |= SVM_INTERCEPT_IRET;
    s->nmi_masked = true;
    return true;
}

static void svm_p2m_flush(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct svm_vcpu *s = d->vcpus[i]->arch;

        if (!s)
            continue;
        s->need_new_asid = true;
        sched_kick(d->vcpus[i]);
    }
}

static void svm_dump(struct vcpu *v)
{
    const struct svm_vcpu *s = v->arch;
    const struct vmcb *vmcb = s->vmcb;

    pr_err("  svm: exit %llx info %llx %llx exitintinfo %llx eventinj %llx asid %u nCR3 %llx\n",
           (unsigned long long)vmcb->exitcode, (unsigned long long)vmcb->exitinfo1,
           (unsigned long long)vmcb->exitinfo2, (unsigned long long)vmcb->exitintinfo,
           (unsigned long long)vmcb->eventinj, s->asid, (unsigned long long)vmcb->n_cr3);
}

const struct hvm_ops svm_ops = {
    .name = "AMD-V with nested paging",
    .p2m_format = P2M_FORMAT_NPT,
    .cpu_enable = svm_cpu_enable,
    .vcpu_init = svm_vcpu_init,
    .vcpu_destroy = svm_vcpu_destroy,
    .vcpu_reset = svm_vcpu_reset,
    .vcpu_run = svm_vcpu_run,
    .get_state = svm_get_state,
    .set_state = svm_set_state,
    .set_msr = svm_set_msr,
    .get_msr = svm_get_msr,
    .inject_irq = svm_inject_irq,
    .inject_nmi = svm_inject_nmi,
    .inject_exception = svm_inject_exception,
    .p2m_flush = svm_p2m_flush,
    .dump = svm_dump,
};
