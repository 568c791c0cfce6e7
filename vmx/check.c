/*
 * Why a VM entry failed. The CPU only says "invalid guest state" or gives an error number, so the
 * number is turned into its meaning and the guest state is checked against the VM-entry rules
 * here, to name the field at fault.
 */
#include <keel/printk.h>
#include "vmcs.h"

static const char *const instruction_errors[] = {
    [1] = "VMCALL executed in VMX root operation",
    [2] = "VMCLEAR with an invalid physical address",
    [4] = "VMLAUNCH with a VMCS that is not clear",
    [5] = "VMRESUME with a VMCS that was not launched",
    [7] = "VM entry with invalid control fields",
    [8] = "VM entry with invalid host-state fields",
    [9] = "VMPTRLD with an invalid physical address",
    [11] = "VMPTRLD with a VMCS of the wrong revision",
    [12] = "VMREAD or VMWRITE of an unsupported VMCS field",
    [13] = "VMWRITE to a read-only VMCS field",
    [15] = "VMXON executed in VMX root operation",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "invalid operand to INVEPT or INVVPID",
};

static char why[192];

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) {                                    \
            snprintf(why, sizeof(why), __VA_ARGS__);      \
            return why;                                   \
        }                                                 \
    } while (0)

static const char *const seg_names[] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };

static const char *check_limit_granularity(unsigned int i, uint32_t limit, uint32_t ar)
{
    bool g = ar & (1u << 15);

    CHECK((limit & 0xfff) == 0xfff || !g, "guest %s: limit %#x has low bits clear but G is set",
          seg_names[i], limit);
    CHECK(!(limit & 0xfff00000) || g, "guest %s: limit %#x above 1 MiB needs G set", seg_names[i], limit);
    CHECK(!(ar & 0xfffe0f00), "guest %s: reserved access-rights bits set (%#x)", seg_names[i], ar);
    return NULL;
}

static const char *check_segments(bool unrestricted_real, bool ia32e)
{
    uint32_t ar[8], limit[8];

    for (unsigned int i = 0; i < 8; i++) {
        const char *bad;

        ar[i] = (uint32_t)vmread(GUEST_SEG_AR(i));
        limit[i] = (uint32_t)vmread(GUEST_SEG_LIMIT(i));
        if (ar[i] & (1u << 16))                 /* unusable */
            continue;
        if ((bad = check_limit_granularity(i, limit[i], ar[i])))
            return bad;
    }
    CHECK(!(ar[SEG_TR] & (1u << 16)), "guest TR: must be usable");
    CHECK((ar[SEG_TR] & 0xf) == 11 || (!ia32e && (ar[SEG_TR] & 0xf) == 3),
          "guest TR: type must be 11 (busy 32/64-bit TSS)%s, found %u", ia32e ? "" : " or 3 (busy 16-bit TSS)",
          ar[SEG_TR] & 0xf);
    CHECK(!(ar[SEG_TR] & (1u << 4)) && (ar[SEG_TR] & (1u << 7)), "guest TR: must be a present system descriptor");
    CHECK((ar[SEG_LDTR] & (1u << 16)) || ((ar[SEG_LDTR] & 0xf) == 2 && (ar[SEG_LDTR] & 0x90) == 0x80),
          "guest LDTR: a usable LDTR must be a present type-2 system descriptor (access rights %#x)", ar[SEG_LDTR]);
    CHECK((ar[SEG_CS] & 0x90) == 0x90, "guest CS: must be a present code or data descriptor (access rights %#x)",
          ar[SEG_CS]);
    CHECK(!(ar[SEG_CS] & (1u << 13)) || ia32e, "guest CS: L set outside IA-32e mode");
    CHECK(!unrestricted_real || (ar[SEG_CS] & 0xf) == 3 || (ar[SEG_CS] & 0x9) == 0x9,
          "guest CS: type %u is not allowed", ar[SEG_CS] & 0xf);
    return NULL;
}

static const char *check_control_registers(bool ia32e)
{
    uint64_t cr0 = vmread(GUEST_CR0), cr4 = vmread(GUEST_CR4), efer = vmread(GUEST_IA32_EFER);
    uint64_t fixed0 = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);

    CHECK((cr0 & fixed0) == fixed0, "guest CR0 %#llx lacks bits VMX requires (%#llx)",
          (unsigned long long)cr0, (unsigned long long)fixed0);
    CHECK(!(cr0 & ~vmx_caps.cr0_fixed1), "guest CR0 %#llx has bits VMX forbids", (unsigned long long)cr0);
    CHECK(!(cr0 & X86_CR0_PG) || (cr0 & X86_CR0_PE), "guest CR0: PG without PE");
    CHECK((cr4 & vmx_caps.cr4_fixed0) == vmx_caps.cr4_fixed0, "guest CR4 %#llx lacks bits VMX requires (%#llx)",
          (unsigned long long)cr4, (unsigned long long)vmx_caps.cr4_fixed0);
    CHECK(!(cr4 & ~vmx_caps.cr4_fixed1), "guest CR4 %#llx has bits VMX forbids", (unsigned long long)cr4);
    CHECK(!!(efer & EFER_LMA) == ia32e, "guest EFER.LMA (%d) disagrees with the IA-32e mode entry control (%d)",
          !!(efer & EFER_LMA), ia32e);
    CHECK(!(cr0 & X86_CR0_PG) || !!(efer & EFER_LMA) == !!(efer & EFER_LME),
          "guest EFER: LMA and LME differ while paging is on");
    CHECK(!ia32e || ((cr0 & X86_CR0_PG) && (cr4 & (1ULL << 5))), "IA-32e mode guest without CR0.PG and CR4.PAE");
    return NULL;
}

const char *vmx_check_guest_state(void)
{
    bool ia32e = vmread(ENTRY_CONTROLS) & ENTRY_IA32E_MODE;
    uint64_t rflags = vmread(GUEST_RFLAGS), cr0 = vmread(GUEST_CR0);
    const char *bad;

    if ((bad = check_control_registers(ia32e)) || (bad = check_segments(!(cr0 & X86_CR0_PE), ia32e)))
        return bad;
    CHECK((rflags & 2) && !(rflags & 0xffffffffffc08028ULL), "guest RFLAGS %#llx: bit 1 clear or reserved bits set",
          (unsigned long long)rflags);
    CHECK(vmread(GUEST_ACTIVITY_STATE) <= 3, "guest activity state out of range");
    CHECK(vmread(VMCS_LINK_POINTER) == ~0ULL, "VMCS link pointer is not all ones");
    CHECK(vmread(GUEST_GDTR_LIMIT) <= 0xffff && vmread(GUEST_IDTR_LIMIT) <= 0xffff, "guest GDTR/IDTR limit above 0xffff");
    return NULL;
}

const char *vmx_explain_failure(struct vcpu *v, bool instruction_error)
{
    const char *found = vmx_check_guest_state();
    uint64_t n;

    if (instruction_error) {
        n = vmread(VM_INSTRUCTION_ERROR);
        snprintf(why, sizeof(why), "VM entry refused: error %llu (%s)%s", (unsigned long long)n,
                 n < ARRAY_SIZE(instruction_errors) && instruction_errors[n] ? instruction_errors[n] : "unknown",
                 found ? "" : "");
        return why;
    }
    n = vmread(EXIT_REASON) & 0xffff;
    if (n == EXIT_REASON_MSR_LOADING)
        return "VM entry failed loading MSR entries";
    if (n == EXIT_REASON_MACHINE_CHECK)
        return "machine check during VM entry";
    if (found) {
        static char full[224];

        snprintf(full, sizeof(full), "VM entry refused: invalid guest state: %s", found);
        return full;
    }
    return "VM entry refused: invalid guest state (no rule Keel checks explains it)";
}
