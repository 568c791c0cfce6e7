/*
 * CPUID as the hypervisor promises it to a guest (KEEL_CPUID_BASE and the policy behind it).
 * Unverified: not run under Keel yet; bare QEMU has none of the Keel leaves.
 */
#include "guest.h"

#define LEAF1_ECX_MONITOR   (1u << 3)
#define LEAF1_ECX_VMX       (1u << 5)
#define LEAF1_ECX_X2APIC    (1u << 21)
#define LEAF1_ECX_TSC_DL    (1u << 24)
#define LEAF1_ECX_XSAVE     (1u << 26)
#define LEAF1_ECX_HV        (1u << 31)
#define LEAF1_EDX_HTT       (1u << 28)
#define EXT1_ECX_SVM        (1u << 2)

static bool vendor_is(const struct cpuid_regs *r, const char *name)
{
    char v[13];

    memcpy(v, &r->ebx, 4);
    memcpy(v + 4, &r->edx, 4);
    memcpy(v + 8, &r->ecx, 4);
    v[12] = '\0';
    return !strcmp(v, name);
}

static void check_vendor(void)
{
    struct cpuid_regs r = cpuid(0);
    long version = guest_hypercall(KEEL_HC_VERSION, 0, 0, 0, 0, 0);

    report(vendor_is(&r, "GenuineIntel") || vendor_is(&r, "AuthenticAMD") ||
           vendor_is(&r, "HygonGenuine"), "leaf0-vendor", "vendor %.4s%.4s%.4s not a host vendor",
           (const char *)&r.ebx, (const char *)&r.edx, (const char *)&r.ecx);
    report(r.eax >= 1, "leaf0-max-leaf", "max basic leaf 0x%x", r.eax);
    /* The vendor picks VMCALL or VMMCALL: a working call proves the choice matches. */
    report(version == KEEL_ABI_VERSION, "hypercall-version", "KEEL_HC_VERSION returned %ld", version);
}

static void check_features(void)
{
    struct cpuid_regs r = cpuid(1);
    uint32_t max_ext = cpuid(0x80000000).eax;

    report(r.ecx & LEAF1_ECX_HV, "leaf1-hypervisor-bit", "ecx 0x%x", r.ecx);
    report(!(r.ecx & LEAF1_ECX_VMX), "leaf1-no-vmx", "ecx 0x%x", r.ecx);
    report(r.ecx & LEAF1_ECX_X2APIC, "leaf1-x2apic", "ecx 0x%x (the virtual APIC has x2APIC mode)", r.ecx);
    report(r.ecx & LEAF1_ECX_TSC_DL, "leaf1-tsc-deadline", "ecx 0x%x (the virtual APIC timer has the mode)", r.ecx);
    report(!(r.ecx & LEAF1_ECX_MONITOR), "leaf1-no-monitor", "ecx 0x%x", r.ecx);
    report(!(r.ecx & LEAF1_ECX_XSAVE), "leaf1-no-xsave", "ecx 0x%x", r.ecx);
    if (report(max_ext >= 0x80000001, "ext-max-leaf", "max extended leaf 0x%x", max_ext)) {
        uint32_t ecx = cpuid(0x80000001).ecx;

        report(!(ecx & EXT1_ECX_SVM), "ext1-no-svm", "ecx 0x%x", ecx);
    }
}

static void check_keel_leaves(void)
{
    struct cpuid_regs r = cpuid(KEEL_CPUID_BASE);

    report(r.eax >= KEEL_CPUID_BASE + 1, "keel-max-leaf", "eax 0x%x", r.eax);
    report(r.ebx == KEEL_CPUID_SIGNATURE_EBX && r.ecx == KEEL_CPUID_SIGNATURE_EBX &&
           r.edx == KEEL_CPUID_SIGNATURE_EBX, "keel-signature", "ebx 0x%x ecx 0x%x edx 0x%x",
           r.ebx, r.ecx, r.edx);
    r = cpuid(KEEL_CPUID_BASE + 1);
    report(r.eax == KEEL_ABI_VERSION, "keel-abi-version", "eax %u, ABI %u", r.eax, KEEL_ABI_VERSION);
}

static void check_topology(const struct keel_start_info *si)
{
    struct cpuid_regs r = cpuid(1);
    bool htt = r.edx & LEAF1_EDX_HTT;
    uint32_t max = cpuid(0).eax;

    report((r.ebx >> 24) == 0, "leaf1-apic-id", "initial APIC ID %u on the boot vCPU", r.ebx >> 24);
    report(htt == (si->nr_vcpus > 1), "leaf1-htt", "HTT %d with %u vCPUs", htt, si->nr_vcpus);
    if (htt)
        report(((r.ebx >> 16) & 0xff) == si->nr_vcpus, "leaf1-logical-count",
               "ebx[23:16] %u, nr_vcpus %u", (r.ebx >> 16) & 0xff, si->nr_vcpus);
    if (max >= 0xb) {
        struct cpuid_regs s0 = cpuid_count(0xb, 0), s1 = cpuid_count(0xb, 1);

        report(s0.edx == 0, "leafb-x2apic-id", "subleaf 0 edx %u on the boot vCPU", s0.edx);
        report((s1.ebx & 0xffff) == si->nr_vcpus, "leafb-count", "subleaf 1 ebx[15:0] %u, nr_vcpus %u",
               s1.ebx & 0xffff, si->nr_vcpus);
    }
}

void guest_main(const struct keel_start_info *si)
{
    check_vendor();
    check_features();
    check_keel_leaves();
    check_topology(si);
}
