/*
 * The MSR policy: what reads back, what raises #GP, and that unknown MSRs do not exist.
 * Unverified: the #GP cases were not seen natively (QEMU's TCG accepts most of these writes).
 */
#include "guest.h"

#define MSR_TSC             0x10
#define MSR_APIC_BASE       0x1b
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_MTRRCAP         0xfe
#define MSR_MISC_ENABLE     0x1a0
#define MSR_MTRR_PHYSBASE0  0x200
#define MSR_PAT             0x277
#define MSR_MTRR_DEF_TYPE   0x2ff
#define MSR_VMX_BASIC       0x480
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_SFMASK          0xc0000084
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_VM_CR           0xc0010114
#define MSR_VM_HSAVE_PA     0xc0010117

#define NON_CANONICAL       0x8000000000000000ull
#define TSC_SLACK           10000000000ull      /* the policy's bound on time passing */

static const char *exc(int vector)
{
    return guest_exception_name(vector);
}

/* Writes val, expects to read it back, then restores the old value. */
static void check_readback(const char *name, uint32_t msr, uint64_t val)
{
    uint64_t old = 0, got = 0;
    int rv = rdmsr_safe(msr, &old), wv = -1, gv = -1;

    if (rv == GUEST_NO_EXCEPTION) {
        wv = wrmsr_safe(msr, val);
        gv = rdmsr_safe(msr, &got);
        wrmsr_safe(msr, old);
    }
    report(rv == GUEST_NO_EXCEPTION && wv == GUEST_NO_EXCEPTION && gv == GUEST_NO_EXCEPTION &&
           got == val, name, "msr 0x%x: rdmsr %s, wrmsr 0x%lx %s, read back 0x%lx (%s)", msr,
           exc(rv), (unsigned long)val, exc(wv), (unsigned long)got, exc(gv));
}

/* Expects #GP from writing val, and the MSR unchanged. */
static void check_write_gp(const char *name, uint32_t msr, uint64_t val)
{
    uint64_t before = 0, after = 0;
    int v;

    rdmsr_safe(msr, &before);
    v = wrmsr_safe(msr, val);
    rdmsr_safe(msr, &after);
    if (v == GUEST_NO_EXCEPTION)
        wrmsr_safe(msr, before);
    report(v == GP_VECTOR && after == before, name, "msr 0x%x, wrmsr 0x%lx: %s, value 0x%lx -> 0x%lx",
           msr, (unsigned long)val, exc(v), (unsigned long)before, (unsigned long)after);
}

static void check_efer(void)
{
    uint64_t efer = rdmsr(MSR_EFER);
    bool nx = cpuid(0x80000000).eax >= 0x80000001 && (cpuid(0x80000001).edx & (1u << 20));

    report((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA), "efer-long-mode",
           "EFER 0x%lx", (unsigned long)efer);
    /* In long mode only SCE and NXE may change: LME must stay consistent with paging. */
    check_readback("efer-sce-set", MSR_EFER, efer | EFER_SCE);
    check_readback("efer-sce-clear", MSR_EFER, efer & ~(uint64_t)EFER_SCE);
    if (nx) {
        check_readback("efer-nxe-set", MSR_EFER, efer | EFER_NXE);
        check_readback("efer-nxe-clear", MSR_EFER, efer & ~(uint64_t)EFER_NXE);
    } else {
        check_write_gp("efer-nxe-without-nx", MSR_EFER, efer | EFER_NXE);
    }
    check_write_gp("efer-reserved-bit1", MSR_EFER, efer | (1u << 1));
    check_write_gp("efer-reserved-bit9", MSR_EFER, efer | (1u << 9));
    check_write_gp("efer-svme", MSR_EFER, efer | EFER_SVME);
}

static void check_pat(void)
{
    uint64_t pat = rdmsr(MSR_PAT);

    /* Entry 0 (what our page tables use) stays WB; the others take every valid type. */
    check_readback("pat-readback", MSR_PAT, 0x0001040507060006ull);
    check_write_gp("pat-type2", MSR_PAT, (pat & ~0xffull) | 2);
    check_write_gp("pat-type3", MSR_PAT, (pat & ~(0xffull << 56)) | (3ull << 56));
    check_write_gp("pat-type8", MSR_PAT, (pat & ~(0xffull << 24)) | (8ull << 24));
}

static void check_syscall_and_bases(void)
{
    static const struct {
        const char *name, *gp_name;
        uint32_t msr;
        uint64_t val;
    } msrs[] = {
        { "star-readback", NULL, MSR_STAR, 0x0023001012345678ull },
        { "lstar-readback", "lstar-non-canonical", MSR_LSTAR, 0xffffffff81234560ull },
        { "cstar-readback", "cstar-non-canonical", MSR_CSTAR, 0x00007fff12345670ull },
        { "sfmask-readback", NULL, MSR_SFMASK, 0x00047700ull },
        { "fs-base-readback", "fs-base-non-canonical", MSR_FS_BASE, 0xffff800012345000ull },
        { "gs-base-readback", "gs-base-non-canonical", MSR_GS_BASE, 0x00007f0012345000ull },
        { "kernel-gs-base-readback", "kernel-gs-base-non-canonical", MSR_KERNEL_GS_BASE,
          0xffffc90000001000ull },
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(msrs); i++) {
        check_readback(msrs[i].name, msrs[i].msr, msrs[i].val);
        if (msrs[i].gp_name)
            check_write_gp(msrs[i].gp_name, msrs[i].msr, NON_CANONICAL);
    }
}

static void check_tsc_write(const char *name, uint64_t v)
{
    uint64_t tsc, msr;
    int wv = wrmsr_safe(MSR_TSC, v);

    tsc = rdtsc();
    msr = rdmsr(MSR_TSC);
    report(wv == GUEST_NO_EXCEPTION && tsc >= v && tsc - v < TSC_SLACK && msr >= tsc &&
           msr - v < TSC_SLACK, name, "wrote 0x%lx (%s), RDTSC 0x%lx, RDMSR 0x%lx",
           (unsigned long)v, exc(wv), (unsigned long)tsc, (unsigned long)msr);
}

static void check_apic_base(void)
{
    const uint64_t expect = 0xfee00000ull | (1u << 11) | (1u << 8);
    uint64_t base = 0, after = 0;
    int rv = rdmsr_safe(MSR_APIC_BASE, &base), wv;

    report(rv == GUEST_NO_EXCEPTION && base == expect, "apic-base-value", "read 0x%lx (%s)",
           (unsigned long)base, exc(rv));
    wv = wrmsr_safe(MSR_APIC_BASE, expect);
    rdmsr_safe(MSR_APIC_BASE, &after);
    report(wv == GUEST_NO_EXCEPTION && after == expect, "apic-base-same-value",
           "wrmsr %s, read back 0x%lx", exc(wv), (unsigned long)after);
    check_write_gp("apic-base-reserved-bit0", MSR_APIC_BASE, expect | 1);
    check_write_gp("apic-base-reserved-bit52", MSR_APIC_BASE, expect | (1ull << 52));
}

static void check_mtrr_def_type(void)
{
    static const uint8_t valid[] = { 0, 1, 4, 5, 6 };
    uint64_t def = 0;
    int rv = rdmsr_safe(MSR_MTRR_DEF_TYPE, &def);
    char name[32];

    report(rv == GUEST_NO_EXCEPTION && def == 0xc06, "mtrr-def-type-initial", "0x%lx (%s)",
           (unsigned long)def, exc(rv));
    for (unsigned int i = 0; i < ARRAY_SIZE(valid); i++) {
        snprintf(name, sizeof(name), "mtrr-def-type-%u", valid[i]);
        check_readback(name, MSR_MTRR_DEF_TYPE, 0xc00 | valid[i]);
    }
    check_write_gp("mtrr-def-type-2", MSR_MTRR_DEF_TYPE, 0xc02);
    check_write_gp("mtrr-def-type-3", MSR_MTRR_DEF_TYPE, 0xc03);
    check_write_gp("mtrr-def-type-7", MSR_MTRR_DEF_TYPE, 0xc07);
    check_write_gp("mtrr-def-type-reserved-bit9", MSR_MTRR_DEF_TYPE, 0xc06 | (1u << 9));
    check_write_gp("mtrr-def-type-reserved-bit12", MSR_MTRR_DEF_TYPE, 0xc06 | (1u << 12));
}

static void check_mtrr_variable(void)
{
    static const uint8_t types[8] = { 0, 1, 4, 5, 6, 0, 1, 4 };
    uint32_t maxphy = cpuid(0x80000000).eax >= 0x80000008 ? cpuid(0x80000008).eax & 0xff : 36;
    /* 256 MiB at 0xc0000000: a range of the address space that holds nothing of ours. */
    uint64_t mask = (((1ull << maxphy) - 1) & ~(256 * MiB - 1)) | (1u << 11);
    char name[32];

    for (unsigned int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "mtrr-physbase%u", i);
        check_readback(name, MSR_MTRR_PHYSBASE0 + 2 * i, 0xc0000000ull | types[i]);
        snprintf(name, sizeof(name), "mtrr-physmask%u", i);
        check_readback(name, MSR_MTRR_PHYSBASE0 + 2 * i + 1, mask);
    }
    check_write_gp("mtrr-physbase-type2", MSR_MTRR_PHYSBASE0, 0xc0000002ull);
    check_write_gp("mtrr-physbase-type3", MSR_MTRR_PHYSBASE0, 0xc0000003ull);
    check_write_gp("mtrr-physbase-type7", MSR_MTRR_PHYSBASE0, 0xc0000007ull);
}

static void check_mtrr_fixed(void)
{
    static const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
                                      0x26c, 0x26d, 0x26e, 0x26f };
    char name[32];

    for (unsigned int i = 0; i < ARRAY_SIZE(fixed); i++) {
        /* 0x250 covers our image and stacks: only cacheable types there. */
        uint64_t val = fixed[i] == 0x250 ? 0x0604060406040604ull : 0x0001040506000104ull;

        snprintf(name, sizeof(name), "mtrr-fixed-%x", fixed[i]);
        check_readback(name, fixed[i], val);
    }
    check_write_gp("mtrr-fixed-type2", 0x268, 0x0606060602060606ull);
    check_write_gp("mtrr-fixed-type7", 0x26f, 0x0606060606060607ull);
}

static void check_mtrr_and_misc(void)
{
    uint64_t cap = 0, misc = 0;
    int rv = rdmsr_safe(MSR_MTRRCAP, &cap);

    report(rv == GUEST_NO_EXCEPTION && (cap & 0xff) == 8 && (cap & (1u << 8)) && (cap & (1u << 10)),
           "mtrrcap", "0x%lx (%s)", (unsigned long)cap, exc(rv));
    check_mtrr_def_type();
    check_mtrr_variable();
    check_mtrr_fixed();
    rv = rdmsr_safe(MSR_MISC_ENABLE, &misc);
    report(rv == GUEST_NO_EXCEPTION && (misc & 1), "misc-enable-fast-strings", "0x%lx (%s)",
           (unsigned long)misc, exc(rv));
}

static void check_unknown(void)
{
    static const struct {
        const char *name;
        uint32_t msr;
    } unknown[] = {
        { "unknown-12345678", 0x12345678 },
        { "vm-cr", MSR_VM_CR },
        { "vm-hsave-pa", MSR_VM_HSAVE_PA },
        { "vmx-basic", MSR_VMX_BASIC },
        { "feature-control", MSR_FEATURE_CONTROL },
    };
    char name[48];

    for (unsigned int i = 0; i < ARRAY_SIZE(unknown); i++) {
        uint64_t val = 0;
        int rv = rdmsr_safe(unknown[i].msr, &val), wv = wrmsr_safe(unknown[i].msr, 0);

        snprintf(name, sizeof(name), "%s-rdmsr-gp", unknown[i].name);
        report(rv == GP_VECTOR, name, "msr 0x%x: %s, value 0x%lx", unknown[i].msr, exc(rv),
               (unsigned long)val);
        snprintf(name, sizeof(name), "%s-wrmsr-gp", unknown[i].name);
        report(wv == GP_VECTOR, name, "msr 0x%x: %s", unknown[i].msr, exc(wv));
    }
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    check_efer();
    check_pat();
    check_syscall_and_bases();
    check_tsc_write("tsc-write-forward", 1ull << 40);
    check_tsc_write("tsc-write-backward", 1000000);
    check_apic_base();
    check_mtrr_and_misc();
    check_unknown();
}
