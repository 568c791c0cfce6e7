/*
 * CPUID as guests see it: the host's identity with only the features Keel supports (a list of
 * what is allowed, never of what is hidden, so new CPU features stay off until someone decides),
 * the hypervisor bit, Keel's own leaves, and a topology that matches the domain's vCPUs.
 */
#include <keel/cpufeat.h>
#include <keel/exits.h>
#include <keel/hvm.h>
#include <keel/percpu.h>
#include <public/keel/abi.h>

#define BIT(n) (1u << (n))

/* Leaf 1: SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 x2APIC MOVBE POPCNT AES RDRAND, PCID.
 * x2APIC is the virtual local APIC's, whatever the host has. */
static const uint32_t leaf1_ecx_ok = BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(17) | BIT(19) |
                                     BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(30);
#define LEAF1_ECX_X2APIC BIT(21)
#define LEAF1_ECX_TSC_DEADLINE BIT(24)
/* FPU VME DE PSE TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2. */
static const uint32_t leaf1_edx_ok = BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) |
                                     BIT(8) | BIT(9) | BIT(11) | BIT(12) | BIT(13) | BIT(15) |
                                     BIT(16) | BIT(17) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26);
/* Leaf 7.0 EBX: FSGSBASE BMI1 SMEP BMI2 ERMS INVPCID RDSEED ADX SMAP CLFLUSHOPT CLWB SHA. */
static const uint32_t leaf7_ebx_ok = BIT(0) | BIT(3) | BIT(7) | BIT(8) | BIT(9) | BIT(10) |
                                     BIT(18) | BIT(19) | BIT(20) | BIT(23) | BIT(24) | BIT(29);
/* Leaf 7.0 ECX: UMIP GFNI RDPID. EDX: FSRM MD_CLEAR SERIALIZE. */
static const uint32_t leaf7_ecx_ok = BIT(2) | BIT(8) | BIT(22);
static const uint32_t leaf7_edx_ok = BIT(4) | BIT(10) | BIT(14);
/* 0x80000001 ECX: LAHF ABM SSE4A MISALIGNSSE 3DNOWPREFETCH. EDX: leaf-1 bits AMD mirrors,
 * SYSCALL NX MMXEXT FXSR_OPT PDPE1GB RDTSCP LM 3DNOWEXT 3DNOW. */
static const uint32_t ext1_ecx_ok = BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8);
static const uint32_t ext1_edx_ok = (leaf1_edx_ok & 0x0183f3ff) | BIT(11) | BIT(20) | BIT(22) |
                                    BIT(25) | BIT(26) | BIT(27) | BIT(29) | BIT(30) | BIT(31);

#define MAX_EXT_LEAF 0x80000008u

static unsigned int bits_for(unsigned int n)
{
    unsigned int b = 0;

    while ((1u << b) < n)
        b++;
    return b;
}

static void leaf1(const struct vcpu *v, struct cpuid_regs *r)
{
    unsigned int n = v->domain->nr_vcpus;

    r->ecx = (r->ecx & leaf1_ecx_ok) | LEAF1_ECX_X2APIC | LEAF1_ECX_TSC_DEADLINE |
             BIT(31);                               /* and a hypervisor is present */
    r->edx &= leaf1_edx_ok;
    r->ebx = (r->ebx & 0xffff) | (v->id << 24);
    if (v->domain->flags & DOMF_PRIVILEGED) {      /* dom0 sees its CPU's own APIC, in xAPIC mode */
        r->ecx &= ~(LEAF1_ECX_X2APIC | (boot_cpu.tsc_deadline ? 0 : LEAF1_ECX_TSC_DEADLINE));
        r->ebx = (r->ebx & 0xffffff) | (cpus[v->pcpu]->apic_id << 24);
    }
    if (n > 1) {
        r->edx |= BIT(28);                          /* HTT: EBX[23:16] is valid */
        r->ebx |= (n & 0xff) << 16;
    }
}

static void leaf_topology(const struct vcpu *v, uint32_t sub, struct cpuid_regs *r)
{
    unsigned int n = v->domain->nr_vcpus;

    *r = (struct cpuid_regs){ .ecx = sub & 0xff,
                              .edx = (v->domain->flags & DOMF_PRIVILEGED) ? cpus[v->pcpu]->apic_id : v->id };
    if (sub == 0) {                                 /* one thread per core */
        r->ebx = 1;
        r->ecx |= 1 << 8;
    } else if (sub == 1) {                          /* every vCPU a core of one package */
        r->eax = bits_for(n);
        r->ebx = n;
        r->ecx |= 2 << 8;
    }
}

static void basic_leaf(const struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
    switch (leaf) {
    case 0: case 2: case 0x15: case 0x16:
        return;                                     /* identity, caches, TSC frequency: as is */
    case 1:
        leaf1(v, r);
        return;
    case 4:
        if (r->eax & 0x1f)
            r->eax = (r->eax & 0x3ffu) | ((v->domain->nr_vcpus - 1) << 26);
        return;
    case 7:
        if (sub == 0)
            *r = (struct cpuid_regs){ 0, r->ebx & leaf7_ebx_ok,
                                      r->ecx & leaf7_ecx_ok & (hvm_guest_rdtscp ? ~0u : ~BIT(22)),
                                      r->edx & leaf7_edx_ok };
        else
            *r = (struct cpuid_regs){ 0 };
        return;
    case 0xb:
        leaf_topology(v, sub, r);
        return;
    default:
        *r = (struct cpuid_regs){ 0 };              /* power, perfmon, XSAVE, SGX, PT...: absent */
    }
}

static void ext_leaf(const struct vcpu *v, uint32_t leaf, struct cpuid_regs *r)
{
    switch (leaf) {
    case 0x80000000:
        r->eax = MIN(r->eax, MAX_EXT_LEAF);
        return;
    case 0x80000001:
        r->ecx &= ext1_ecx_ok;
        r->edx &= ext1_edx_ok & (hvm_guest_rdtscp ? ~0u : ~BIT(27));
        return;
    case 0x80000002: case 0x80000003: case 0x80000004: case 0x80000005: case 0x80000006:
        return;                                     /* brand string and caches */
    case 0x80000007:
        *r = (struct cpuid_regs){ .edx = r->edx & BIT(8) };    /* invariant TSC */
        return;
    case 0x80000008:
        r->ebx = 0;
        r->ecx = v->domain->nr_vcpus - 1;
        r->edx = 0;
        return;
    default:
        *r = (struct cpuid_regs){ 0 };
    }
}

void cpuid_policy(const struct vcpu *v, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
    if ((leaf & 0xffff0000u) == KEEL_CPUID_BASE) {
        *r = (struct cpuid_regs){ 0 };
        if (leaf == KEEL_CPUID_BASE)
            *r = (struct cpuid_regs){ KEEL_CPUID_BASE + 1, KEEL_CPUID_SIGNATURE_EBX,
                                      KEEL_CPUID_SIGNATURE_EBX, KEEL_CPUID_SIGNATURE_EBX };
        else if (leaf == KEEL_CPUID_BASE + 1)
            r->eax = KEEL_ABI_VERSION;
        return;
    }
    if (leaf >= 0x80000000u && leaf > MIN(boot_cpu.max_ext_leaf, MAX_EXT_LEAF)) {
        *r = (struct cpuid_regs){ 0 };
        return;
    }
    if (leaf < 0x80000000u && leaf > boot_cpu.max_leaf) {
        *r = (struct cpuid_regs){ 0 };
        return;
    }
    cpuid_count(leaf, subleaf, r);
    if (leaf >= 0x80000000u)
        ext_leaf(v, leaf, r);
    else
        basic_leaf(v, leaf, subleaf, r);
}
