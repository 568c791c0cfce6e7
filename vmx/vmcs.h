/* Intel VT-x: VMCS field encodings, control bits, and the backend's private state. */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include <keel/hvm.h>
#include <keel/types.h>

enum vmcs_field {
    VPID = 0x0000,
    GUEST_ES_SEL = 0x0800, GUEST_CS_SEL = 0x0802, GUEST_SS_SEL = 0x0804, GUEST_DS_SEL = 0x0806,
    GUEST_FS_SEL = 0x0808, GUEST_GS_SEL = 0x080a, GUEST_LDTR_SEL = 0x080c, GUEST_TR_SEL = 0x080e,
    HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04, HOST_DS_SEL = 0x0c06,
    HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a, HOST_TR_SEL = 0x0c0c,
    IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004, TSC_OFFSET = 0x2010,
    EPT_POINTER = 0x201a,
    GUEST_PHYSICAL_ADDRESS = 0x2400,
    VMCS_LINK_POINTER = 0x2800, GUEST_IA32_PAT = 0x2804, GUEST_IA32_EFER = 0x2806,
    GUEST_PDPTE0 = 0x280a,
    HOST_IA32_PAT = 0x2c00, HOST_IA32_EFER = 0x2c02,
    PIN_BASED_CONTROLS = 0x4000, PROC_BASED_CONTROLS = 0x4002, EXCEPTION_BITMAP = 0x4004,
    CR3_TARGET_COUNT = 0x400a, EXIT_CONTROLS = 0x400c, EXIT_MSR_STORE_COUNT = 0x400e,
    EXIT_MSR_LOAD_COUNT = 0x4010, ENTRY_CONTROLS = 0x4012, ENTRY_MSR_LOAD_COUNT = 0x4014,
    ENTRY_INTR_INFO = 0x4016, ENTRY_EXCEPTION_ERROR_CODE = 0x4018, ENTRY_INSTRUCTION_LEN = 0x401a,
    PROC_BASED_CONTROLS2 = 0x401e,
    VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404,
    EXIT_INTR_ERROR_CODE = 0x4406, IDT_VECTORING_INFO = 0x4408, IDT_VECTORING_ERROR_CODE = 0x440a,
    EXIT_INSTRUCTION_LEN = 0x440c, EXIT_INSTRUCTION_INFO = 0x440e,
    GUEST_ES_LIMIT = 0x4800, GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
    GUEST_ES_AR = 0x4814, GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
    GUEST_SYSENTER_CS = 0x482a, PREEMPTION_TIMER_VALUE = 0x482e,
    HOST_SYSENTER_CS = 0x4c00,
    CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002, CR0_READ_SHADOW = 0x6004,
    CR4_READ_SHADOW = 0x6006,
    EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDRESS = 0x640a,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_ES_BASE = 0x6806,
    GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c,
    GUEST_RIP = 0x681e, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822,
    GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
    HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c, HOST_IDTR_BASE = 0x6c0e,
    HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12, HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

/* Segment fields are laid out ES, CS, SS, DS, FS, GS, LDTR, TR with a stride of 2 (as enum seg_index). */
#define GUEST_SEG_SEL(i)   (GUEST_ES_SEL + 2 * (i))
#define GUEST_SEG_LIMIT(i) (GUEST_ES_LIMIT + 2 * (i))
#define GUEST_SEG_AR(i)    (GUEST_ES_AR + 2 * (i))
#define GUEST_SEG_BASE(i)  (GUEST_ES_BASE + 2 * (i))

#define PIN_EXT_INTR_EXIT   (1u << 0)
#define PIN_NMI_EXIT        (1u << 3)
#define PIN_VIRTUAL_NMIS    (1u << 5)
#define PIN_PREEMPT_TIMER   (1u << 6)
#define PROC_INTR_WINDOW    (1u << 2)
#define PROC_TSC_OFFSET     (1u << 3)
#define PROC_HLT_EXIT       (1u << 7)
#define PROC_MWAIT_EXIT     (1u << 10)
#define PROC_NMI_WINDOW     (1u << 22)
#define PROC_IO_BITMAPS     (1u << 25)
#define PROC_MSR_BITMAPS    (1u << 28)
#define PROC_MONITOR_EXIT   (1u << 29)
#define PROC_SECONDARY      (1u << 31)
#define PROC2_EPT           (1u << 1)
#define PROC2_RDTSCP        (1u << 3)
#define PROC2_VPID          (1u << 5)
#define PROC2_UNRESTRICTED  (1u << 7)
#define EXIT_HOST_64        (1u << 9)
#define EXIT_SAVE_PAT       (1u << 18)
#define EXIT_LOAD_PAT       (1u << 19)
#define EXIT_SAVE_EFER      (1u << 20)
#define EXIT_LOAD_EFER      (1u << 21)
#define ENTRY_IA32E_MODE    (1u << 9)
#define ENTRY_LOAD_PAT      (1u << 14)
#define ENTRY_LOAD_EFER     (1u << 15)

#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489

#define INTR_INFO_VALID       (1u << 31)
#define INTR_INFO_ERROR_VALID (1u << 11)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_TYPE_NMI          (2u << 8)

/* Exit reasons. */
enum {
    EXIT_REASON_EXCEPTION = 0, EXIT_REASON_EXTERNAL_INTR = 1, EXIT_REASON_TRIPLE_FAULT = 2,
    EXIT_REASON_INIT = 3, EXIT_REASON_SIPI = 4, EXIT_REASON_INTR_WINDOW = 7,
    EXIT_REASON_NMI_WINDOW = 8, EXIT_REASON_CPUID = 10, EXIT_REASON_GETSEC = 11,
    EXIT_REASON_HLT = 12, EXIT_REASON_INVD = 13, EXIT_REASON_VMCALL = 18, EXIT_REASON_VMCLEAR = 19,
    EXIT_REASON_VMXON = 27, EXIT_REASON_CR_ACCESS = 28, EXIT_REASON_IO = 30, EXIT_REASON_RDMSR = 31,
    EXIT_REASON_WRMSR = 32, EXIT_REASON_INVALID_GUEST_STATE = 33, EXIT_REASON_MSR_LOADING = 34,
    EXIT_REASON_MWAIT = 36, EXIT_REASON_MONITOR = 39, EXIT_REASON_MACHINE_CHECK = 41,
    EXIT_REASON_EPT_VIOLATION = 48, EXIT_REASON_EPT_MISCONFIG = 49, EXIT_REASON_INVEPT = 50,
    EXIT_REASON_PREEMPT_TIMER = 52, EXIT_REASON_INVVPID = 53, EXIT_REASON_WBINVD = 54,
    EXIT_REASON_XSETBV = 55, EXIT_REASON_VMFUNC = 59, EXIT_REASON_TABLE_SIZE = 66,
};

/* The MSRs that VM entry and exit do not switch, kept per vCPU and loaded when it runs. */
enum { VMX_MSR_KERNEL_GS, VMX_MSR_STAR, VMX_MSR_LSTAR, VMX_MSR_CSTAR, VMX_MSR_SFMASK, VMX_NR_MSRS };

struct vmx_vcpu {
    void *vmcs;
    paddr_t vmcs_pa;
    int cpu;                            /* where the VMCS is active, -1 if cleared */
    bool launched;
    uint16_t vpid;
    volatile bool need_invept;
    uint64_t msrs[VMX_NR_MSRS];
    uint64_t cr0_shadow, cr4_shadow;    /* what the guest believes its CR0/CR4 hold */
    uint64_t cr2;
};

struct vmx_caps_used {
    uint32_t pin, proc, proc2, exit, entry;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint32_t revision;
    bool preempt_timer;
    unsigned int preempt_shift;
};
extern struct vmx_caps_used vmx_caps;

/* VMREAD/VMWRITE; a failure here is a Keel bug, so it panics. */
uint64_t vmread(enum vmcs_field f);
void vmwrite(enum vmcs_field f, uint64_t v);

/* World switch (vmx/entry.S): returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed. */
int vmx_world_switch(struct guest_gprs *gprs, int launched);

void vmx_decode_exit(struct vcpu *v, struct vm_exit *e);
/* Explains a refused VM entry; returns a static message. */
const char *vmx_explain_failure(struct vcpu *v, bool instruction_error);
/* Checks the guest state against the VM-entry rules; NULL if it finds nothing wrong. */
const char *vmx_check_guest_state(void);
/* Completes a guest write to CR0 or CR4; false if the value earns a #GP. */
bool vmx_cr_write(struct vcpu *v, unsigned int cr, uint64_t val);

#endif
