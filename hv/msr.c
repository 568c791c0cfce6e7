/*
 * Guest MSRs that exit to the hypervisor. Each known MSR checks its reserved bits the way the CPU
 * does (#GP on a bad value); an MSR Keel does not know raises #GP, with a log line the first few
 * times per domain so that a guest's needs show up in the log without flooding it.
 */
#include <keel/cpufeat.h>
#include <keel/exits.h>
#include <keel/hvm.h>
#include <keel/printk.h>
#include <keel/dom0.h>
#include <keel/vplatform.h>

#define MSR_IA32_TSC 0x10
#define MSR_MTRRCAP 0xfe
#define MSR_MISC_ENABLE 0x1a0
#define MSR_TSC_AUX 0xc0000103
#define MSR_AMD_SYSCFG 0xc0010010
#define MSR_UCODE_REV 0x8b              /* IA32_BIOS_SIGN_ID; AMD's PATCH_LEVEL */
#define MSR_MTRR_PHYS_FIRST 0x200
#define MSR_MTRR_PHYS_LAST 0x20f
#define MSR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_VCNT 8
#define MISC_ENABLE_VALUE 0x1801        /* fast strings; BTS and PEBS unavailable */
#define UNKNOWN_MSR_LOG_LIMIT 10

static const uint32_t fixed_mtrrs[11] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
                                          0x26c, 0x26d, 0x26e, 0x26f };

static uint64_t phys_addr_mask(void)
{
    unsigned int bits = boot_cpu.max_ext_leaf >= 0x80000008 ? cpuid(0x80000008).eax & 0xff : 36;

    return ((1ULL << bits) - 1) & PAGE_MASK;
}

static bool mem_type_ok(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool pat_ok(uint64_t pat)
{
    for (unsigned int i = 0; i < 8; i++) {
        uint64_t t = (pat >> (8 * i)) & 0xff;

        if (!mem_type_ok(t) && t != 7)  /* PAT also has UC- (7) */
            return false;
    }
    return true;
}

static bool fixed_mtrr_ok(uint64_t v)
{
    for (unsigned int i = 0; i < 8; i++)
        if (!mem_type_ok((v >> (8 * i)) & 0xff))
            return false;
    return true;
}

static int fixed_index(uint32_t msr)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(fixed_mtrrs); i++)
        if (fixed_mtrrs[i] == msr)
            return (int)i;
    return -1;
}

static bool var_mtrr_ok(uint32_t msr, uint64_t v)
{
    if (msr & 1)                        /* PHYSMASK: bit 11 valid, bits 0-10 reserved */
        return !(v & ~(phys_addr_mask() | (1ULL << 11)));
    return mem_type_ok(v & 0xff) && !(v & ~(phys_addr_mask() | 0xff));
}

static uint64_t efer_writable(void)
{
    uint64_t bits = EFER_SCE | EFER_LME;

    if (boot_cpu.nx)
        bits |= EFER_NXE;
    return bits;
}

static int efer_write(struct vcpu *v, uint64_t val)
{
    struct vcpu_state st;
    uint64_t old = hvm->get_msr(v, HVM_MSR_EFER);

    if (val & ~(efer_writable() | EFER_LMA))
        return -EPERM;
    hvm->get_state(v, &st);
    if ((st.cr0 & X86_CR0_PG) && ((val ^ old) & EFER_LME))
        return -EPERM;                  /* LME cannot change while paging is on */
    hvm->set_msr(v, HVM_MSR_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
    return 0;
}

static int unknown_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t val)
{
    struct domain *d = v->domain;

    if (d->unknown_msr_logged < UNKNOWN_MSR_LOG_LIMIT) {
        d->unknown_msr_logged++;
        pr_info("d%u v%u: %s of unknown MSR %#x%s: #GP\n", d->id, v->id, write ? "write" : "read",
                msr, d->unknown_msr_logged == UNKNOWN_MSR_LOG_LIMIT ? " (no more of these logged)" : "");
    }
    (void)val;
    return -EPERM;
}

static int mtrr_read(struct domain *d, uint32_t msr, uint64_t *val)
{
    int fixed = fixed_index(msr);

    if (msr == MSR_MTRRCAP)
        *val = MTRR_VCNT | (1 << 8) | (1 << 10);
    else if (msr == MSR_MTRR_DEF_TYPE)
        *val = d->mtrr.def_type;
    else if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST)
        *val = d->mtrr.var[msr - MSR_MTRR_PHYS_FIRST];
    else if (fixed >= 0)
        *val = d->mtrr.fixed[fixed];
    else
        return -ENOENT;
    return 0;
}

static int mtrr_write(struct domain *d, uint32_t msr, uint64_t val)
{
    int fixed = fixed_index(msr);

    if (msr == MSR_MTRR_DEF_TYPE) {
        if ((val & ~0xcffULL) || !mem_type_ok(val & 0xff))
            return -EPERM;
        d->mtrr.def_type = val;
    } else if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST) {
        if (!var_mtrr_ok(msr, val))
            return -EPERM;
        d->mtrr.var[msr - MSR_MTRR_PHYS_FIRST] = val;
    } else if (fixed >= 0) {
        if (!fixed_mtrr_ok(val))
            return -EPERM;
        d->mtrr.fixed[fixed] = val;
    } else {
        return msr == MSR_MTRRCAP ? -EPERM : -ENOENT;
    }
    return 0;
}

/* MSRs the backend keeps in its guest state area, by number. */
static const struct { uint32_t msr; enum hvm_msr which; bool canonical; } state_msrs[] = {
    { MSR_FS_BASE, HVM_MSR_FS_BASE, true }, { MSR_GS_BASE, HVM_MSR_GS_BASE, true },
    { MSR_KERNEL_GS_BASE, HVM_MSR_KERNEL_GS_BASE, true }, { 0xc0000081, HVM_MSR_STAR, false },
    { 0xc0000082, HVM_MSR_LSTAR, true }, { 0xc0000083, HVM_MSR_CSTAR, true },
    { 0xc0000084, HVM_MSR_SFMASK, false }, { 0x174, HVM_MSR_SYSENTER_CS, false },
    { 0x175, HVM_MSR_SYSENTER_ESP, true }, { 0x176, HVM_MSR_SYSENTER_EIP, true },
};

static int state_msr_index(uint32_t msr)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(state_msrs); i++)
        if (state_msrs[i].msr == msr)
            return (int)i;
    return -1;
}

static bool is_canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

int msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    int s = state_msr_index(msr), r = (v->domain->flags & DOMF_PRIVILEGED) ?
                                          dom0_msr_read(v, msr, val) : vplatform_msr_read(v, msr, val);

    if (r != -ENOENT)
        return r;
    if (s >= 0) {
        *val = hvm->get_msr(v, state_msrs[s].which);
        return 0;
    }
    switch (msr) {
    case MSR_EFER:
        *val = hvm->get_msr(v, HVM_MSR_EFER);
        return 0;
    case MSR_PAT:
        *val = hvm->get_msr(v, HVM_MSR_PAT);
        return 0;
    case MSR_IA32_TSC:
        *val = rdtsc() + hvm->get_msr(v, HVM_MSR_TSC_OFFSET);
        return 0;
    case MSR_MISC_ENABLE:
        *val = MISC_ENABLE_VALUE;
        return 0;
    case MSR_TSC_AUX:
        if (!hvm_guest_rdtscp)
            break;
        *val = v->tsc_aux;
        return 0;
    case MSR_UCODE_REV:
        *val = 0;                       /* no microcode revision to show: the host's is its own */
        return 0;
    case MSR_AMD_SYSCFG:
        /* Linux reads it without a fault handler on AMD: no memory encryption, no SMM TSEG,
         * nothing of the host's configuration. */
        if (boot_cpu.vendor != VENDOR_AMD)
            break;
        *val = 0;
        return 0;
    }
    if (mtrr_read(v->domain, msr, val) == 0)
        return 0;
    return unknown_msr(v, msr, false, 0);
}

int msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    int r = (v->domain->flags & DOMF_PRIVILEGED) ? dom0_msr_write(v, msr, val) :
                                                   vplatform_msr_write(v, msr, val);
    int s = state_msr_index(msr);

    if (r != -ENOENT)
        return r;
    if (s >= 0) {
        if (state_msrs[s].canonical && !is_canonical(val))
            return -EPERM;
        hvm->set_msr(v, state_msrs[s].which, val);
        return 0;
    }
    switch (msr) {
    case MSR_EFER:
        return efer_write(v, val);
    case MSR_PAT:
        if (!pat_ok(val))
            return -EPERM;
        hvm->set_msr(v, HVM_MSR_PAT, val);
        return 0;
    case MSR_IA32_TSC:
        hvm->set_msr(v, HVM_MSR_TSC_OFFSET, val - rdtsc());
        return 0;
    case MSR_MISC_ENABLE:
        return 0;                       /* nothing in it is Keel's to change: ignored */
    case MSR_UCODE_REV:
        return 0;                       /* Intel's "clear, CPUID, read" sequence: nothing to do */
    case MSR_TSC_AUX:
        if (!hvm_guest_rdtscp)
            break;
        if (val >> 32)
            return -EPERM;
        v->tsc_aux = (uint32_t)val;
        wrmsr(MSR_TSC_AUX, val);        /* v runs on this CPU: RDTSCP reads the live register */
        return 0;
    }
    r = mtrr_write(v->domain, msr, val);
    return r == -ENOENT ? unknown_msr(v, msr, true, val) : r;
}
