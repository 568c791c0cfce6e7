/* What the boot CPU offers, for the hypervisor's own choices and for the virtualisation backends. */
#ifndef KEEL_CPUFEAT_H
#define KEEL_CPUFEAT_H

#include <keel/types.h>

enum cpu_vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

struct svm_caps {
    bool present, disabled_by_bios;
    uint32_t revision, nr_asids, features;   /* CPUID 0x8000000a EDX */
};

struct vmx_caps {
    bool present, locked_off;               /* IA32_FEATURE_CONTROL locked without VMX */
    uint64_t basic, pin, proc, proc2, exit, entry, ept_vpid;
    bool true_ctls, ept, vpid, unrestricted;
};

struct cpu_features {
    enum cpu_vendor vendor;
    char vendor_id[13];
    char brand[49];
    uint32_t family, model, stepping;
    uint32_t max_leaf, max_ext_leaf;
    bool nx, pdpe1gb, x2apic, tsc_deadline, invariant_tsc;
    struct svm_caps svm;
    struct vmx_caps vmx;
};

extern struct cpu_features boot_cpu;

void cpu_features_detect(void);
void cpu_features_print(void);

#endif
