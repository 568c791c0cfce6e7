/* The AMD-V virtual machine control block and the constants of its fields. */
#ifndef KEEL_SVM_VMCB_H
#define KEEL_SVM_VMCB_H

#include <keel/hvm.h>
#include <keel/types.h>

struct vmcb_seg {
    uint16_t sel, attr;
    uint32_t limit;
    uint64_t base;
};

struct vmcb {
    /* control area */
    uint32_t intercept_cr, intercept_dr, intercept_exceptions;
    uint32_t intercept1, intercept2, intercept3;
    uint8_t reserved_018[0x3c - 0x18];
    uint16_t pause_filter_threshold, pause_filter_count;
    uint64_t iopm_base_pa, msrpm_base_pa, tsc_offset;
    uint32_t asid;
    uint8_t tlb_control, reserved_05d[3];
    uint64_t vintr, interrupt_shadow;
    uint64_t exitcode, exitinfo1, exitinfo2, exitintinfo;
    uint64_t np_enable, avic_apic_bar, ghcb_pa, eventinj, n_cr3, virt_ext;
    uint32_t clean, reserved_0c4;
    uint64_t nrip;
    uint8_t insn_len, insn_bytes[15];
    uint8_t reserved_0e0[0x400 - 0xe0];
    /* state save area */
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint8_t reserved_4a0[0x4cb - 0x4a0];
    uint8_t cpl;
    uint32_t reserved_4cc;
    uint64_t efer;
    uint8_t reserved_4d8[0x548 - 0x4d8];
    uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
    uint8_t reserved_580[0x5d8 - 0x580];
    uint64_t rsp, s_cet, ssp, isst_addr, rax;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip, cr2;
    uint8_t reserved_648[0x668 - 0x648];
    uint64_t g_pat, dbgctl;
    uint8_t reserved_678[0x1000 - 0x678];
};

BUILD_BUG_ON(offsetof(struct vmcb, iopm_base_pa) != 0x40);
BUILD_BUG_ON(offsetof(struct vmcb, asid) != 0x58);
BUILD_BUG_ON(offsetof(struct vmcb, exitcode) != 0x70);
BUILD_BUG_ON(offsetof(struct vmcb, eventinj) != 0xa8);
BUILD_BUG_ON(offsetof(struct vmcb, nrip) != 0xc8);
BUILD_BUG_ON(offsetof(struct vmcb, es) != 0x400);
BUILD_BUG_ON(offsetof(struct vmcb, tr) != 0x490);
BUILD_BUG_ON(offsetof(struct vmcb, cpl) != 0x4cb);
BUILD_BUG_ON(offsetof(struct vmcb, efer) != 0x4d0);
BUILD_BUG_ON(offsetof(struct vmcb, cr4) != 0x548);
BUILD_BUG_ON(offsetof(struct vmcb, rip) != 0x578);
BUILD_BUG_ON(offsetof(struct vmcb, rsp) != 0x5d8);
BUILD_BUG_ON(offsetof(struct vmcb, rax) != 0x5f8);
BUILD_BUG_ON(offsetof(struct vmcb, star) != 0x600);
BUILD_BUG_ON(offsetof(struct vmcb, cr2) != 0x640);
BUILD_BUG_ON(offsetof(struct vmcb, g_pat) != 0x668);
BUILD_BUG_ON(sizeof(struct vmcb) != 0x1000);

/* intercept1 */
#define SVM_INTERCEPT_INTR      (1u << 0)
#define SVM_INTERCEPT_NMI       (1u << 1)
#define SVM_INTERCEPT_SMI       (1u << 2)
#define SVM_INTERCEPT_INIT      (1u << 3)
#define SVM_INTERCEPT_VINTR     (1u << 4)
#define SVM_INTERCEPT_CPUID     (1u << 18)
#define SVM_INTERCEPT_IRET      (1u << 20)
#define SVM_INTERCEPT_INVD      (1u << 22)
#define SVM_INTERCEPT_HLT       (1u << 24)
#define SVM_INTERCEPT_INVLPGA   (1u << 26)
#define SVM_INTERCEPT_IOIO      (1u << 27)
#define SVM_INTERCEPT_MSR       (1u << 28)
#define SVM_INTERCEPT_SHUTDOWN  (1u << 31)
/* intercept2 */
#define SVM_INTERCEPT_VMRUN     (1u << 0)
#define SVM_INTERCEPT_VMMCALL   (1u << 1)
#define SVM_INTERCEPT_VMLOAD    (1u << 2)
#define SVM_INTERCEPT_VMSAVE    (1u << 3)
#define SVM_INTERCEPT_STGI      (1u << 4)
#define SVM_INTERCEPT_CLGI      (1u << 5)
#define SVM_INTERCEPT_SKINIT    (1u << 6)
#define SVM_INTERCEPT_MONITOR   (1u << 10)
#define SVM_INTERCEPT_MWAIT     (1u << 11)
#define SVM_INTERCEPT_XSETBV    (1u << 13)

#define SVM_VINTR_MASKING       (1ULL << 24)
#define SVM_V_IRQ               (1ULL << 8)
#define SVM_V_IGN_TPR           (1ULL << 20)
#define SVM_NP_ENABLE           1ULL
#define SVM_TLB_FLUSH_ALL       1

#define SVM_EVENT_VALID         (1ULL << 31)
#define SVM_EVENT_ERROR_VALID   (1ULL << 11)
#define SVM_EVENT_TYPE_EXCEPTION (3ULL << 8)
#define SVM_EVENT_TYPE_NMI      (2ULL << 8)

/* Exit codes. */
#define SVM_EXIT_INTR     0x60
#define SVM_EXIT_NMI      0x61
#define SVM_EXIT_SMI      0x62
#define SVM_EXIT_INIT     0x63
#define SVM_EXIT_VINTR    0x64
#define SVM_EXIT_CPUID    0x72
#define SVM_EXIT_IRET     0x74
#define SVM_EXIT_INVD     0x76
#define SVM_EXIT_HLT      0x78
#define SVM_EXIT_INVLPGA  0x7a
#define SVM_EXIT_IOIO     0x7b
#define SVM_EXIT_MSR      0x7c
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMRUN    0x80
#define SVM_EXIT_VMMCALL  0x81
#define SVM_EXIT_VMLOAD   0x82
#define SVM_EXIT_VMSAVE   0x83
#define SVM_EXIT_STGI     0x84
#define SVM_EXIT_CLGI     0x85
#define SVM_EXIT_SKINIT   0x86
#define SVM_EXIT_MONITOR  0x8a
#define SVM_EXIT_MWAIT    0x8b
#define SVM_EXIT_XSETBV   0x8d
#define SVM_EXIT_TABLE_SIZE 0x90
#define SVM_EXIT_NPF      0x400
#define SVM_EXIT_INVALID  0xffffffffu

/* CPUID 0x8000000a EDX */
#define SVM_FEATURE_NPT   (1u << 0)
#define SVM_FEATURE_NRIPS (1u << 3)

struct svm_vcpu {
    struct vmcb *vmcb;
    paddr_t vmcb_pa;
    uint32_t asid;
    uint64_t asid_generation;
    unsigned int asid_cpu;
    volatile bool need_new_asid;
    bool nmi_masked;                    /* an NMI was injected and its handler has not returned */
    bool nmi_iret_seen;                 /* its IRET exited: the next exit means it completed */
};

struct svm_cpu {
    paddr_t hsave_pa;                   /* VM_HSAVE_PA: where VMRUN keeps host state */
    paddr_t host_vmcb_pa;               /* VMSAVE/VMLOAD of the host's FS, GS, TR... */
    uint32_t next_asid, max_asid;
    uint64_t asid_generation;
    bool flush_all;
};

void svm_world_switch(paddr_t vmcb_pa, struct guest_gprs *gprs, paddr_t host_vmcb_pa);
void svm_decode_exit(struct vcpu *v, struct vmcb *vmcb, struct vm_exit *e);

#endif
