/* The Intel VT-x backend: VMXON on every CPU, one VMCS per vCPU, running it, guest state. */
#include <keel/cmdline.h>
#include <keel/cpufeat.h>
#include <keel/exits.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/time.h>
#include "vmcs.h"

struct vmx_caps_used vmx_caps;
static void *io_bitmaps, *msr_bitmap;
static uint16_t next_vpid = 1;
extern char vmx_exit_point[];

static const uint32_t vmx_msr_numbers[VMX_NR_MSRS] = { 0xc0000102, 0xc0000081, 0xc0000082,
                                                       0xc0000083, 0xc0000084 };

uint64_t vmread(enum vmcs_field f)
{
    uint64_t v;
    bool ok;

    __asm__ volatile("vmread %2, %0; seta %1" : "=r"(v), "=q"(ok) : "r"((uint64_t)f) : "cc");
    if (!ok)
        panic("vmx: VMREAD of field %#x failed", f);
    return v;
}

void vmwrite(enum vmcs_field f, uint64_t v)
{
    bool ok;

    __asm__ volatile("vmwrite %1, %2; seta %0" : "=q"(ok) : "r"(v), "r"((uint64_t)f) : "cc", "memory");
    if (!ok)
        panic("vmx: VMWRITE of %#llx to field %#x failed (error %llu)", (unsigned long long)v, f,
              (unsigned long long)vmread(VM_INSTRUCTION_ERROR));
}

#define VMX_PA_INSN(name)                                                                    \
    static bool name(paddr_t pa)                                                             \
    {                                                                                        \
        bool ok;                                                                             \
        __asm__ volatile(#name " %1; seta %0" : "=q"(ok) : "m"(pa) : "cc", "memory");        \
        return ok;                                                                           \
    }
VMX_PA_INSN(vmxon)
VMX_PA_INSN(vmclear)
VMX_PA_INSN(vmptrld)

/* Sets the bits a control must have and refuses the ones it cannot; required bits must survive. */
static bool adjust(uint64_t cap, uint32_t want, uint32_t required, uint32_t *out, const char *name)
{
    uint32_t v = (want | (uint32_t)cap) & (uint32_t)(cap >> 32);

    if ((v & required) != required) {
        pr_warn("vmx: this CPU lacks %s control bits %#x that Keel requires\n", name, required & ~v);
        return false;
    }
    *out = v;
    return true;
}

static bool compute_controls(const struct vmx_caps *c)
{
    struct vmx_caps_used *u = &vmx_caps;
    bool ok = adjust(c->pin, PIN_EXT_INTR_EXIT | PIN_NMI_EXIT | PIN_VIRTUAL_NMIS | PIN_PREEMPT_TIMER,
                     PIN_EXT_INTR_EXIT | PIN_NMI_EXIT | PIN_VIRTUAL_NMIS, &u->pin, "pin-based") &&
        adjust(c->proc, PROC_INTR_WINDOW | PROC_NMI_WINDOW | PROC_TSC_OFFSET | PROC_HLT_EXIT | PROC_MWAIT_EXIT | PROC_IO_BITMAPS |
               PROC_MSR_BITMAPS | PROC_MONITOR_EXIT | PROC_SECONDARY,
               PROC_HLT_EXIT | PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_SECONDARY | PROC_TSC_OFFSET |
               PROC_INTR_WINDOW | PROC_NMI_WINDOW,
               &u->proc, "processor-based") &&
        adjust(c->proc2, PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED | PROC2_RDTSCP,
               PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED, &u->proc2, "secondary") &&
        adjust(c->exit, EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
               EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT,
               &u->exit, "VM-exit") &&
        adjust(c->entry, ENTRY_LOAD_PAT | ENTRY_LOAD_EFER, ENTRY_LOAD_PAT | ENTRY_LOAD_EFER,
               &u->entry, "VM-entry");

    u->revision = (uint32_t)c->basic & 0x7fffffff;
    u->preempt_timer = u->pin & PIN_PREEMPT_TIMER;
    u->preempt_shift = (unsigned int)(rdmsr(0x485) & 0x1f);   /* IA32_VMX_MISC[4:0] */
    u->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
    u->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
    u->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
    u->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
    return ok;
}

/* Without "enable RDTSCP", RDTSCP and RDPID raise #UD in the guest. */
bool vmx_guest_rdtscp(void)
{
    return vmx_caps.proc2 & PROC2_RDTSCP;
}

bool vmx_supported(void)
{
    const struct vmx_caps *c = &boot_cpu.vmx;

    if (!c->present)
        return false;
    if (c->locked_off) {
        pr_warn("vmx: VT-x is disabled by the firmware (IA32_FEATURE_CONTROL is locked without it)\n");
        return false;
    }
    if (!c->ept || !c->vpid || !c->unrestricted) {
        pr_warn("vmx: Keel needs EPT, VPID and unrestricted guest; this CPU lacks%s%s%s\n",
                c->ept ? "" : " EPT", c->vpid ? "" : " VPID", c->unrestricted ? "" : " unrestricted-guest");
        return false;
    }
    if (!(c->ept_vpid & (1ULL << 6)) || !(c->ept_vpid & (1ULL << 14))) {
        pr_warn("vmx: Keel needs 4-level EPT with write-back tables\n");
        return false;
    }
    return compute_controls(c);
}

static int vmx_maps_init(void)
{
    io_bitmaps = alloc_pages(1);
    msr_bitmap = alloc_pages(0);
    if (!io_bitmaps || !msr_bitmap)
        return -ENOMEM;
    memset(io_bitmaps, 0xff, 2 * PAGE_SIZE);        /* every port exits */
    memset(msr_bitmap, 0xff, PAGE_SIZE);            /* every MSR exits ... */
    for (unsigned int i = 0; i < VMX_NR_MSRS; i++) {  /* ... but reads of the ones we switch */
        uint32_t n = vmx_msr_numbers[i] - 0xc0000000;

        ((uint8_t *)msr_bitmap)[1024 + n / 8] &= (uint8_t)~(1u << (n % 8));
    }
    return 0;
}

static int vmx_cpu_enable(void)
{
    uint32_t *region = alloc_pages(0);
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

    if (!region || (!io_bitmaps && vmx_maps_init()))
        return -ENOMEM;
    if (!(fc & 1))                                  /* unlocked: enable VMXON and lock */
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 1 | 4);
    *region = vmx_caps.revision;
    write_cr0((read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
    write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | X86_CR4_VMXE) & vmx_caps.cr4_fixed1);
    if (!vmxon(virt_to_phys(region))) {
        pr_err("vmx: VMXON failed on CPU %u\n", this_cpu()->id);
        return -EIO;
    }
    return 0;
}

static void vmcs_host_state(void)
{
    struct { uint16_t limit; uint64_t base; } __packed gdtr, idtr;
    struct percpu *p = this_cpu();

    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    vmwrite(HOST_CR0, read_cr0());
    vmwrite(HOST_CR3, read_cr3());
    vmwrite(HOST_CR4, read_cr4());
    vmwrite(HOST_CS_SEL, GDT_CS64);
    vmwrite(HOST_SS_SEL, GDT_DS);
    vmwrite(HOST_DS_SEL, GDT_DS);
    vmwrite(HOST_ES_SEL, GDT_DS);
    vmwrite(HOST_FS_SEL, 0);
    vmwrite(HOST_GS_SEL, 0);
    vmwrite(HOST_TR_SEL, GDT_TSS);
    vmwrite(HOST_FS_BASE, 0);
    vmwrite(HOST_GS_BASE, (uint64_t)p);
    vmwrite(HOST_TR_BASE, (uint64_t)&p->tss);
    vmwrite(HOST_GDTR_BASE, gdtr.base);
    vmwrite(HOST_IDTR_BASE, idtr.base);
    vmwrite(HOST_SYSENTER_CS, 0);
    vmwrite(HOST_SYSENTER_ESP, 0);
    vmwrite(HOST_SYSENTER_EIP, 0);
    vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));
    vmwrite(HOST_IA32_PAT, rdmsr(0x277));
    vmwrite(HOST_RIP, (uint64_t)vmx_exit_point);
}

static void vmcs_controls(struct vcpu *v)
{
    struct vmx_vcpu *x = v->arch;

    uint8_t *io = v->domain->io_intercept ? v->domain->io_intercept : io_bitmaps;
    bool dom0 = v->domain->flags & DOMF_PRIVILEGED;

    /* dom0 owns its CPU: interrupts go through its IDT, and it halts in the guest. */
    vmwrite(PIN_BASED_CONTROLS, vmx_caps.pin & ~(dom0 ? PIN_EXT_INTR_EXIT | PIN_PREEMPT_TIMER : 0));
    vmwrite(PROC_BASED_CONTROLS, vmx_caps.proc & ~(PROC_INTR_WINDOW | PROC_NMI_WINDOW |  /* when wanted */
                                                   (dom0 ? PROC_HLT_EXIT : 0)));
    vmwrite(PROC_BASED_CONTROLS2, vmx_caps.proc2);
    vmwrite(EXIT_CONTROLS, vmx_caps.exit);
    vmwrite(ENTRY_CONTROLS, vmx_caps.entry);
    vmwrite(EXCEPTION_BITMAP, 0);
    vmwrite(CR3_TARGET_COUNT, 0);
    vmwrite(EXIT_MSR_STORE_COUNT, 0);
    vmwrite(EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(IO_BITMAP_A, virt_to_phys(io));
    vmwrite(IO_BITMAP_B, virt_to_phys(io) + PAGE_SIZE);
    vmwrite(MSR_BITMAP, virt_to_phys(msr_bitmap));
    vmwrite(EPT_POINTER, v->domain->p2m.root_pa | 6 | (3 << 3));   /* WB, 4 levels */
    vmwrite(VPID, x->vpid);
    vmwrite(VMCS_LINK_POINTER, ~0ULL);
    /* The guest owns CR0 and CR4 but for the bits VMX operation fixes. */
    vmwrite(CR0_GUEST_HOST_MASK, (vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG)) | ~vmx_caps.cr0_fixed1);
    vmwrite(CR4_GUEST_HOST_MASK, vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1);
}

static void seg_write(unsigned int i, uint16_t sel, uint32_t ar, uint32_t limit, uint64_t base)
{
    vmwrite(GUEST_SEG_SEL(i), sel);
    vmwrite(GUEST_SEG_AR(i), ar);
    vmwrite(GUEST_SEG_LIMIT(i), limit);
    vmwrite(GUEST_SEG_BASE(i), base);
}

/* Makes v's VMCS the current one on this CPU, clearing it on the CPU it last ran on. */
static void vmcs_load(struct vcpu *v);

static void vmx_vcpu_reset(struct vcpu *v, uint16_t cs, uint16_t ip)
{
    struct vmx_vcpu *x = v->arch;

    vmcs_load(v);
    vmcs_controls(v);
    vmcs_host_state();
    seg_write(SEG_CS, cs, 0x9b, 0xffff, (uint64_t)cs << 4);
    for (unsigned int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            seg_write(i, 0, 0x93, 0xffff, 0);
    seg_write(SEG_LDTR, 0, 0x82, 0xffff, 0);
    seg_write(SEG_TR, 0, 0x8b, 0xffff, 0);
    vmwrite(GUEST_GDTR_BASE, 0);
    vmwrite(GUEST_GDTR_LIMIT, 0xffff);
    vmwrite(GUEST_IDTR_BASE, 0);
    vmwrite(GUEST_IDTR_LIMIT, 0xffff);
    x->cr0_shadow = X86_CR0_ET;
    x->cr4_shadow = 0;
    vmwrite(CR0_READ_SHADOW, x->cr0_shadow);
    vmwrite(CR4_READ_SHADOW, x->cr4_shadow);
    vmwrite(GUEST_CR0, (x->cr0_shadow | vmx_caps.cr0_fixed0) & ~(X86_CR0_PE | X86_CR0_PG) & vmx_caps.cr0_fixed1);
    vmwrite(GUEST_CR3, 0);
    vmwrite(GUEST_CR4, (x->cr4_shadow | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_RSP, 0);
    vmwrite(GUEST_RIP, ip);
    vmwrite(GUEST_RFLAGS, 2);
    vmwrite(GUEST_PENDING_DBG, 0);
    vmwrite(GUEST_INTERRUPTIBILITY, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(GUEST_SYSENTER_CS, 0);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_SYSENTER_EIP, 0);
    vmwrite(GUEST_IA32_EFER, 0);
    vmwrite(GUEST_IA32_PAT, v->domain->pat);
    vmwrite(TSC_OFFSET, 0);
    vmwrite(ENTRY_INTR_INFO, 0);
    memset(&v->gprs, 0, sizeof(v->gprs));
    memset(x->msrs, 0, sizeof(x->msrs));
    if (!strcmp(opts.break_vmcs, "tr"))             /* test-only: a TR VM entry must refuse */
        vmwrite(GUEST_SEG_AR(SEG_TR), 0x82);
}

static int vmx_vcpu_init(struct vcpu *v)
{
    struct vmx_vcpu *x = alloc_pages(0);

    if (!x || !(x->vmcs = alloc_pages(0))) {
        free_pages(x, 0);
        return -ENOMEM;
    }
    *(uint32_t *)x->vmcs = vmx_caps.revision;
    x->vmcs_pa = virt_to_phys(x->vmcs);
    x->cpu = -1;
    x->vpid = __atomic_fetch_add(&next_vpid, 1, __ATOMIC_RELAXED);
    if (!x->vpid)                                   /* 0 is the host's; skip it on wrap */
        x->vpid = __atomic_fetch_add(&next_vpid, 1, __ATOMIC_RELAXED);
    v->arch = x;
    return 0;
}

static void vmclear_here(void *arg)
{
    struct vmx_vcpu *x = arg;

    vmclear(x->vmcs_pa);
    x->cpu = -1;
    x->launched = false;
    if (this_cpu()->hvm == x)                       /* no longer current here */
        this_cpu()->hvm = NULL;
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
    struct vmx_vcpu *x = v->arch;

    if (x->cpu >= 0 && (unsigned int)x->cpu != this_cpu()->id)
        smp_call_on((unsigned int)x->cpu, vmclear_here, x);
    else if (x->cpu >= 0)
        vmclear_here(x);
    free_pages(x->vmcs, 0);
    free_pages(x, 0);
    v->arch = NULL;
}

struct invept_desc {
    uint64_t eptp, reserved;
};

struct invvpid_desc {
    uint64_t vpid, addr;
};

static void flush_guest_tlb(struct vcpu *v)
{
    struct vmx_vcpu *x = v->arch;
    struct invept_desc ept = { v->domain->p2m.root_pa | 6 | (3 << 3), 0 };
    struct invvpid_desc vp = { x->vpid, 0 };

    __asm__ volatile("invept %0, %1" :: "m"(ept), "r"(1ULL) : "cc", "memory");
    __asm__ volatile("invvpid %0, %1" :: "m"(vp), "r"(1ULL) : "cc", "memory");
    x->need_invept = false;
}

static void vmcs_load(struct vcpu *v)
{
    struct vmx_vcpu *x = v->arch;
    struct percpu *p = this_cpu();

    if (x->cpu >= 0 && (unsigned int)x->cpu != p->id)
        smp_call_on((unsigned int)x->cpu, vmclear_here, x);
    if (p->hvm != x) {
        if (!vmptrld(x->vmcs_pa))
            panic("vmx: VMPTRLD failed for d%u v%u", v->domain->id, v->id);
        p->hvm = x;
        for (unsigned int i = 0; i < VMX_NR_MSRS; i++)
            wrmsr(vmx_msr_numbers[i], x->msrs[i]);
    }
    if (x->cpu != (int)p->id) {
        x->cpu = (int)p->id;
        x->launched = false;
        vmcs_host_state();                          /* per-CPU: GS base, TSS, GDT */
        flush_guest_tlb(v);                         /* what this CPU cached for the VPID may be stale */
    }
}

/* vmx_check: find what the CPU would refuse before it refuses it (hardware only says "invalid"). */
static bool vmx_precheck_fails(struct vm_exit *e)
{
    static char why[256];
    const char *bad = vmx_check_guest_state();

    if (!bad)
        return false;
    snprintf(why, sizeof(why), "guest state check before VM entry: %s", bad);
    *e = (struct vm_exit){ .reason = VMEXIT_FAILED_ENTRY, .why = why };
    return true;
}

static void vmx_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
    struct vmx_vcpu *x = v->arch;
    int failed;

    vmcs_load(v);
    if (x->need_invept)
        flush_guest_tlb(v);
    if (vmx_caps.preempt_timer)                     /* a slice end even if the guest never exits */
        vmwrite(PREEMPTION_TIMER_VALUE, ns_to_tsc(SCHED_SLICE_NS) >> vmx_caps.preempt_shift);
    vmwrite(GUEST_RSP, v->gprs.rsp);
    if (!x->launched && opts.vmx_check && vmx_precheck_fails(e))
        return;
    /* VM entry and exit leave CR2 alone: it is the guest's while it runs. */
    irq_disable();
    write_cr2(x->cr2);
    failed = vmx_world_switch(&v->gprs, x->launched);
    x->cr2 = read_cr2();
    irq_enable();                                   /* a VM exit clears IF: take what is pending */
    if (failed) {
        *e = (struct vm_exit){ .reason = VMEXIT_FAILED_ENTRY, .why = vmx_explain_failure(v, true) };
        return;
    }
    x->launched = true;
    v->gprs.rsp = vmread(GUEST_RSP);
    vmx_decode_exit(v, e);
}

static void seg_read(unsigned int i, struct seg_reg *r)
{
    uint32_t ar = (uint32_t)vmread(GUEST_SEG_AR(i));

    /* VMX access rights keep the descriptor's bits 8-15 and 20-23 in place: fold to 12 bits. */
    r->attr = (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00));
    r->sel = (uint16_t)vmread(GUEST_SEG_SEL(i));
    r->limit = (uint32_t)vmread(GUEST_SEG_LIMIT(i));
    r->base = vmread(GUEST_SEG_BASE(i));
}

static void vmx_get_state(struct vcpu *v, struct vcpu_state *st)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t cr0_mask, cr4_mask;

    vmcs_load(v);
    cr0_mask = vmread(CR0_GUEST_HOST_MASK);
    cr4_mask = vmread(CR4_GUEST_HOST_MASK);
    st->rip = vmread(GUEST_RIP);
    st->rsp = v->gprs.rsp;
    st->rflags = vmread(GUEST_RFLAGS);
    st->cr0 = (vmread(GUEST_CR0) & ~cr0_mask) | (x->cr0_shadow & cr0_mask);
    st->cr3 = vmread(GUEST_CR3);
    st->cr4 = (vmread(GUEST_CR4) & ~cr4_mask) | (x->cr4_shadow & cr4_mask);
    st->cr2 = x->cr2;
    st->efer = vmread(GUEST_IA32_EFER);
    for (unsigned int i = SEG_ES; i <= SEG_TR; i++)
        seg_read(i, &st->seg[i]);
    st->seg[SEG_GDTR] = (struct seg_reg){ .base = vmread(GUEST_GDTR_BASE), .limit = (uint32_t)vmread(GUEST_GDTR_LIMIT) };
    st->seg[SEG_IDTR] = (struct seg_reg){ .base = vmread(GUEST_IDTR_BASE), .limit = (uint32_t)vmread(GUEST_IDTR_LIMIT) };
    st->cpl = (st->seg[SEG_SS].attr >> 5) & 3;
}

static void vmx_set_state(struct vcpu *v, const struct vcpu_state *st, unsigned int parts)
{
    vmcs_load(v);
    if (parts & STATE_RIP)
        vmwrite(GUEST_RIP, st->rip);
    if (parts & STATE_RSP)
        v->gprs.rsp = st->rsp;
    if (parts & STATE_RFLAGS)
        vmwrite(GUEST_RFLAGS, st->rflags);
    if (parts & STATE_CR2)
        ((struct vmx_vcpu *)v->arch)->cr2 = st->cr2;
    if (parts & STATE_END_SHADOW)                   /* blocking by STI and by MOV SS */
        vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~3ULL);
}

static int switched_msr(enum hvm_msr which)
{
    switch (which) {
    case HVM_MSR_KERNEL_GS_BASE: return VMX_MSR_KERNEL_GS;
    case HVM_MSR_STAR: return VMX_MSR_STAR;
    case HVM_MSR_LSTAR: return VMX_MSR_LSTAR;
    case HVM_MSR_CSTAR: return VMX_MSR_CSTAR;
    case HVM_MSR_SFMASK: return VMX_MSR_SFMASK;
    default: return -1;
    }
}

static const enum vmcs_field msr_fields[HVM_MSR_NR] = {
    [HVM_MSR_EFER] = GUEST_IA32_EFER, [HVM_MSR_PAT] = GUEST_IA32_PAT,
    [HVM_MSR_TSC_OFFSET] = TSC_OFFSET, [HVM_MSR_FS_BASE] = GUEST_ES_BASE + 2 * SEG_FS,
    [HVM_MSR_GS_BASE] = GUEST_ES_BASE + 2 * SEG_GS, [HVM_MSR_SYSENTER_CS] = GUEST_SYSENTER_CS,
    [HVM_MSR_SYSENTER_ESP] = GUEST_SYSENTER_ESP, [HVM_MSR_SYSENTER_EIP] = GUEST_SYSENTER_EIP,
};

static void vmx_set_msr(struct vcpu *v, enum hvm_msr which, uint64_t val)
{
    struct vmx_vcpu *x = v->arch;
    int i = switched_msr(which);

    vmcs_load(v);
    if (i >= 0) {
        x->msrs[i] = val;
        wrmsr(vmx_msr_numbers[i], val);             /* the vCPU is loaded on this CPU */
        return;
    }
    vmwrite(msr_fields[which], val);
    if (which == HVM_MSR_EFER)                      /* entry must agree with EFER.LMA */
        vmwrite(ENTRY_CONTROLS, (vmread(ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE) |
                                ((val & EFER_LMA) ? ENTRY_IA32E_MODE : 0));
}

static uint64_t vmx_get_msr(struct vcpu *v, enum hvm_msr which)
{
    int i = switched_msr(which);

    vmcs_load(v);
    return i >= 0 ? ((struct vmx_vcpu *)v->arch)->msrs[i] : vmread(msr_fields[which]);
}

static void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    vmcs_load(v);
    vmwrite(ENTRY_INTR_INFO, vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID |
                             (has_error ? INTR_INFO_ERROR_VALID : 0));
    if (has_error)
        vmwrite(ENTRY_EXCEPTION_ERROR_CODE, error);
}

/* Open when IF is set, no STI/MOV SS blocking holds and nothing else is being injected;
 * otherwise interrupt-window exiting brings the guest back the moment it opens. */
static bool vmx_inject_irq(struct vcpu *v, uint8_t vector)
{
    bool open;

    vmcs_load(v);
    open = (vmread(GUEST_RFLAGS) & X86_RFLAGS_IF) && !(vmread(GUEST_INTERRUPTIBILITY) & 3) &&
           !(vmread(ENTRY_INTR_INFO) & INTR_INFO_VALID);
    if (open)
        vmwrite(ENTRY_INTR_INFO, vector | INTR_INFO_VALID);   /* type 0: external interrupt */
    vmwrite(PROC_BASED_CONTROLS, open ? vmread(PROC_BASED_CONTROLS) & ~PROC_INTR_WINDOW
                                      : vmread(PROC_BASED_CONTROLS) | PROC_INTR_WINDOW);
    return open;
}

/* With virtual NMIs the CPU tracks NMI blocking (interruptibility bit 3) until the handler's
 * IRET; NMI-window exiting brings the guest back when it ends. */
static bool vmx_inject_nmi(struct vcpu *v)
{
    bool open;

    vmcs_load(v);
    open = !(vmread(GUEST_INTERRUPTIBILITY) & 0xb) && !(vmread(ENTRY_INTR_INFO) & INTR_INFO_VALID);
    if (open)
        vmwrite(ENTRY_INTR_INFO, 2 | INTR_TYPE_NMI | INTR_INFO_VALID);
    vmwrite(PROC_BASED_CONTROLS, open ? vmread(PROC_BASED_CONTROLS) & ~PROC_NMI_WINDOW
                                      : vmread(PROC_BASED_CONTROLS) | PROC_NMI_WINDOW);
    return open;
}

static void vmx_p2m_flush(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vmx_vcpu *x = d->vcpus[i]->arch;

        if (!x)
            continue;
        x->need_invept = true;
        sched_kick(d->vcpus[i]);
    }
}

static void vmx_dump(struct vcpu *v)
{
    vmcs_load(v);
    pr_err("  vmx: exit reason %llu qualification %llx intr info %llx idt-vectoring %llx gpa %llx\n",
           (unsigned long long)vmread(EXIT_REASON), (unsigned long long)vmread(EXIT_QUALIFICATION),
           (unsigned long long)vmread(EXIT_INTR_INFO), (unsigned long long)vmread(IDT_VECTORING_INFO),
           (unsigned long long)vmread(GUEST_PHYSICAL_ADDRESS));
    pr_err("  vmx: pin %llx proc %llx proc2 %llx entry %llx exit %llx vpid %u\n",
           (unsigned long long)vmread(PIN_BASED_CONTROLS), (unsigned long long)vmread(PROC_BASED_CONTROLS),
           (unsigned long long)vmread(PROC_BASED_CONTROLS2), (unsigned long long)vmread(ENTRY_CONTROLS),
           (unsigned long long)vmread(EXIT_CONTROLS), ((struct vmx_vcpu *)v->arch)->vpid);
}

const struct hvm_ops vmx_ops = {
    .name = "Intel VT-x with EPT",
    .p2m_format = P2M_FORMAT_EPT,
    .cpu_enable = vmx_cpu_enable,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_destroy = vmx_vcpu_destroy,
    .vcpu_reset = vmx_vcpu_reset,
    .vcpu_run = vmx_vcpu_run,
    .get_state = vmx_get_state,
    .set_state = vmx_set_state,
    .set_msr = vmx_set_msr,
    .get_msr = vmx_get_msr,
    .inject_irq = vmx_inject_irq,
    .inject_nmi = vmx_inject_nmi,
    .inject_exception = vmx_inject_exception,
    .p2m_flush = vmx_p2m_flush,
    .dump = vmx_dump,
};
