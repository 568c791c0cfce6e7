/*
 * The backend interface: what the common code asks of VT-x or AMD-V. One instance, chosen at boot
 * from CPUID. Kept short on purpose: anything both backends would write the same way belongs in
 * common code instead.
 */
#ifndef KEEL_HVM_H
#define KEEL_HVM_H

#include <keel/domain.h>
#include <keel/vmexit.h>

struct seg_reg {
    uint16_t sel;
    uint16_t attr;                      /* type(4) S DPL(2) P AVL L DB G, as in AMD's VMCB */
    uint32_t limit;
    uint64_t base;
};

enum seg_index { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_GDTR, SEG_IDTR, SEG_NR };

/* The guest state common code reads and changes (registers not in struct guest_gprs). */
struct vcpu_state {
    uint64_t rip, rsp, rflags;
    uint64_t cr0, cr2, cr3, cr4, efer;
    struct seg_reg seg[SEG_NR];
    unsigned int cpl;
};

/* STATE_END_SHADOW: the instruction completed, so an STI or MOV SS interrupt shadow ends. */
enum vcpu_state_part { STATE_RIP = 1, STATE_RSP = 2, STATE_RFLAGS = 4, STATE_CR2 = 8, STATE_END_SHADOW = 16 };

/* MSRs held in the backend's guest state area. */
enum hvm_msr {
    HVM_MSR_EFER, HVM_MSR_PAT, HVM_MSR_TSC_OFFSET, HVM_MSR_FS_BASE, HVM_MSR_GS_BASE,
    HVM_MSR_KERNEL_GS_BASE, HVM_MSR_STAR, HVM_MSR_LSTAR, HVM_MSR_CSTAR, HVM_MSR_SFMASK,
    HVM_MSR_SYSENTER_CS, HVM_MSR_SYSENTER_ESP, HVM_MSR_SYSENTER_EIP, HVM_MSR_NR
};

struct hvm_ops {
    const char *name;
    enum p2m_format_id p2m_format;
    /* Turns on virtualisation on this CPU; called on every CPU. */
    int (*cpu_enable)(void);
    int (*vcpu_init)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    /* Real mode at cs:ip (cs base = cs << 4), everything else as after INIT. */
    void (*vcpu_reset)(struct vcpu *v, uint16_t cs, uint16_t ip);
    /* Enters the guest and returns at the next exit that common code must see. */
    void (*vcpu_run)(struct vcpu *v, struct vm_exit *exit);
    void (*get_state)(struct vcpu *v, struct vcpu_state *st);
    void (*set_state)(struct vcpu *v, const struct vcpu_state *st, unsigned int parts);
    void (*set_msr)(struct vcpu *v, enum hvm_msr which, uint64_t val);
    uint64_t (*get_msr)(struct vcpu *v, enum hvm_msr which);
    /* Delivers an external interrupt on the next entry if the guest can take it now (true);
     * otherwise arranges an exit when it can (interrupt window) and returns false. */
    bool (*inject_irq)(struct vcpu *v, uint8_t vector);
    /* The same for an NMI: held while the guest is still handling the previous one. */
    bool (*inject_nmi)(struct vcpu *v);
    /* Injects an exception on the next entry (cr2 for #PF). */
    void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
    /* The p2m changed in a way that needs the guest's TLB entries gone. */
    void (*p2m_flush)(struct domain *d);
    /* Backend-specific lines for a guest-state dump. */
    void (*dump)(struct vcpu *v);
};

extern const struct hvm_ops *hvm;
/* Guests may have RDTSCP, RDPID and IA32_TSC_AUX (the CPU has them and the backend allows them). */
extern bool hvm_guest_rdtscp;

/* Picks the backend from CPUID and enables it on this (the boot) CPU; false if none. */
bool hvm_init(void);
extern const struct hvm_ops svm_ops, vmx_ops;
bool svm_supported(void);
bool vmx_supported(void);
bool vmx_guest_rdtscp(void);

/* Guest state helpers built on the ops. */
void vcpu_advance_rip(struct vcpu *v, unsigned int len);
enum x86_cpu_mode vcpu_cpu_mode(const struct vcpu_state *st);
void vcpu_dump(struct vcpu *v, const char *why);

#endif
