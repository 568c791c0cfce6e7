/* CPU identification and the virtualisation capabilities, read once on the boot CPU. */
#include <keel/cpu.h>
#include <keel/cpufeat.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/traps.h>

#define VM_CR_SVMDIS (1ULL << 4)
#define FEATURE_CONTROL_LOCK (1ULL << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1ULL << 2)
#define MSR_VMX_PINBASED 0x481
#define MSR_VMX_PROCBASED 0x482
#define MSR_VMX_EXIT 0x483
#define MSR_VMX_ENTRY 0x484
#define MSR_VMX_PROCBASED2 0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define MSR_VMX_TRUE_PINBASED 0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT 0x48f
#define MSR_VMX_TRUE_ENTRY 0x490
#define PROC_ACTIVATE_SECONDARY (1ULL << 63)    /* allowed-1 half of the procbased MSR */
#define PROC2_EPT (1ULL << 33)
#define PROC2_VPID (1ULL << 37)
#define PROC2_UNRESTRICTED (1ULL << 39)

struct cpu_features boot_cpu;

static uint64_t msr_or_zero(uint32_t msr)
{
    uint64_t v;

    return rdmsr_safe(msr, &v) ? 0 : v;
}

static void detect_ids(struct cpu_features *f)
{
    struct cpuid_regs r = cpuid(0);
    uint32_t sig;

    f->max_leaf = r.eax;
    memcpy(f->vendor_id, &r.ebx, 4);
    memcpy(f->vendor_id + 4, &r.edx, 4);
    memcpy(f->vendor_id + 8, &r.ecx, 4);
    f->vendor = !strcmp(f->vendor_id, "GenuineIntel") ? VENDOR_INTEL :
                !strcmp(f->vendor_id, "AuthenticAMD") ? VENDOR_AMD : VENDOR_OTHER;
    sig = cpuid(1).eax;
    f->family = (sig >> 8) & 0xf;
    f->model = (sig >> 4) & 0xf;
    if (f->family == 0xf)
        f->family += (sig >> 20) & 0xff;
    if (f->family >= 6)
        f->model |= ((sig >> 16) & 0xf) << 4;
    f->stepping = sig & 0xf;
    f->max_ext_leaf = cpuid(0x80000000).eax;
    for (uint32_t i = 0; i < 3 && f->max_ext_leaf >= 0x80000004; i++) {
        r = cpuid(0x80000002 + i);
        memcpy(f->brand + 16 * i, &r, 16);
    }
}

static void detect_svm(struct svm_caps *s, const struct cpu_features *f)
{
    struct cpuid_regs r;

    if (f->max_ext_leaf < 0x8000000a || !(cpuid(0x80000001).ecx & (1u << 2)))
        return;
    s->present = true;
    s->disabled_by_bios = msr_or_zero(MSR_VM_CR) & VM_CR_SVMDIS;
    r = cpuid(0x8000000a);
    s->revision = r.eax & 0xff;
    s->nr_asids = r.ebx;
    s->features = r.edx;
}

static void detect_vmx(struct vmx_caps *v)
{
    uint64_t fc;

    if (!(cpuid(1).ecx & (1u << 5)))
        return;
    v->present = true;
    fc = msr_or_zero(MSR_IA32_FEATURE_CONTROL);
    v->locked_off = (fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
    v->basic = msr_or_zero(MSR_IA32_VMX_BASIC);
    v->true_ctls = v->basic & (1ULL << 55);
    v->pin = msr_or_zero(v->true_ctls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
    v->proc = msr_or_zero(v->true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
    v->exit = msr_or_zero(v->true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
    v->entry = msr_or_zero(v->true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
    if (v->proc & PROC_ACTIVATE_SECONDARY)
        v->proc2 = msr_or_zero(MSR_VMX_PROCBASED2);
    v->ept = v->proc2 & PROC2_EPT;
    v->vpid = v->proc2 & PROC2_VPID;
    v->unrestricted = v->proc2 & PROC2_UNRESTRICTED;
    if (v->ept || v->vpid)
        v->ept_vpid = msr_or_zero(MSR_VMX_EPT_VPID_CAP);
}

void cpu_features_detect(void)
{
    struct cpu_features *f = &boot_cpu;
    uint32_t ecx1 = cpuid(1).ecx;

    detect_ids(f);
    f->x2apic = ecx1 & (1u << 21);
    f->tsc_deadline = ecx1 & (1u << 24);
    f->nx = cpuid(0x80000001).edx & (1u << 20);
    f->pdpe1gb = cpuid(0x80000001).edx & (1u << 26);
    f->invariant_tsc = f->max_ext_leaf >= 0x80000007 && (cpuid(0x80000007).edx & (1u << 8));
    detect_svm(&f->svm, f);
    detect_vmx(&f->vmx);
}

static const char *yes_no(bool b)
{
    return b ? "yes" : "no";
}

static void print_svm(const struct svm_caps *s)
{
    uint32_t e = s->features;

    pr_info("svm: AMD-V revision %u, %u ASIDs%s\n", s->revision, s->nr_asids,
            s->disabled_by_bios ? ", DISABLED by firmware (VM_CR.SVMDIS)" : "");
    pr_info("svm: NPT %s, NRIP save %s, decode assists %s, VMCB clean bits %s, flush by ASID %s\n",
            yes_no(e & (1u << 0)), yes_no(e & (1u << 3)), yes_no(e & (1u << 7)),
            yes_no(e & (1u << 5)), yes_no(e & (1u << 6)));
    pr_info("svm: TSC scaling %s, pause filter %s, AVIC %s, vVMSAVE/VMLOAD %s, vGIF %s\n",
            yes_no(e & (1u << 4)), yes_no(e & (1u << 10)), yes_no(e & (1u << 13)),
            yes_no(e & (1u << 15)), yes_no(e & (1u << 16)));
}

static void print_vmx(const struct vmx_caps *v)
{
    pr_info("vmx: Intel VT-x, VMCS revision %llu, %s controls%s\n",
            (unsigned long long)(v->basic & 0x7fffffff), v->true_ctls ? "TRUE" : "legacy",
            v->locked_off ? ", DISABLED by firmware (IA32_FEATURE_CONTROL)" : "");
    /* Each capability MSR: low half = bits that must be 1, high half = bits that may be 1. */
    pr_info("vmx: pin %08llx/%08llx proc %08llx/%08llx proc2 %08llx/%08llx\n",
            (unsigned long long)(v->pin & 0xffffffff), (unsigned long long)(v->pin >> 32),
            (unsigned long long)(v->proc & 0xffffffff), (unsigned long long)(v->proc >> 32),
            (unsigned long long)(v->proc2 & 0xffffffff), (unsigned long long)(v->proc2 >> 32));
    pr_info("vmx: exit %08llx/%08llx entry %08llx/%08llx EPT/VPID caps %016llx\n",
            (unsigned long long)(v->exit & 0xffffffff), (unsigned long long)(v->exit >> 32),
            (unsigned long long)(v->entry & 0xffffffff), (unsigned long long)(v->entry >> 32),
            (unsigned long long)v->ept_vpid);
    pr_info("vmx: EPT %s, VPID %s, unrestricted guest %s\n", yes_no(v->ept), yes_no(v->vpid),
            yes_no(v->unrestricted));
}

void cpu_features_print(void)
{
    const struct cpu_features *f = &boot_cpu;

    pr_info("cpu: %s family %u model %u stepping %u: %s\n", f->vendor_id, f->family, f->model,
            f->stepping, f->brand[0] ? f->brand : "(no brand string)");
    pr_info("cpu: NX %s, 1G pages %s, x2APIC %s, TSC-deadline %s, invariant TSC %s\n",
            yes_no(f->nx), yes_no(f->pdpe1gb), yes_no(f->x2apic), yes_no(f->tsc_deadline),
            yes_no(f->invariant_tsc));
    if (f->svm.present)
        print_svm(&f->svm);
    if (f->vmx.present)
        print_vmx(&f->vmx);
    if (!f->svm.present && !f->vmx.present)
        pr_warn("cpu: neither AMD-V nor VT-x is available: Keel cannot run guests here\n");
}
