/*
 * Guest writes to CR0 and CR4 that exit because they touch bits VMX operation owns (CR0.NE,
 * CR4.VMXE, unsupported bits). The guest sees its own value through the read shadow; the real
 * register keeps the fixed bits. Entering or leaving long mode and loading PAE PDPTEs, which the
 * CPU does itself for writes that do not exit, are done here for the ones that do.
 */
#include <keel/exits.h>
#include <keel/guest_mem.h>
#include "vmcs.h"

#define CR4_PAE (1ULL << 5)
#define CR0_CD (1ULL << 30)
#define CR0_NW (1ULL << 29)

static bool load_pdptes(struct vcpu *v, uint64_t cr3)
{
    uint64_t pdpte[4];

    if (gpa_read(v->domain, cr3 & ~0x1fULL, pdpte, sizeof(pdpte)))
        return false;
    for (unsigned int i = 0; i < 4; i++)
        vmwrite(GUEST_PDPTE0 + 2 * i, pdpte[i]);
    return true;
}

static void set_long_mode(bool on)
{
    uint64_t efer = vmread(GUEST_IA32_EFER);
    uint64_t entry = vmread(ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE;

    vmwrite(GUEST_IA32_EFER, on ? efer | EFER_LMA : efer & ~EFER_LMA);
    vmwrite(ENTRY_CONTROLS, on ? entry | ENTRY_IA32E_MODE : entry);
}

static bool cr0_write(struct vcpu *v, struct vmx_vcpu *x, uint64_t val)
{
    uint64_t old = x->cr0_shadow, efer = vmread(GUEST_IA32_EFER), cr4 = vmread(GUEST_CR4);
    bool paging = val & X86_CR0_PG;

    if ((val >> 32) || (paging && !(val & X86_CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
        return false;
    if (paging && !(old & X86_CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
        return false;                           /* long mode needs PAE first */
    x->cr0_shadow = val;
    vmwrite(CR0_READ_SHADOW, val);
    vmwrite(GUEST_CR0, (val | (vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG))) & vmx_caps.cr0_fixed1);
    if (paging != !!(old & X86_CR0_PG) && (efer & EFER_LME))
        set_long_mode(paging);
    if (paging && (cr4 & CR4_PAE) && !(efer & EFER_LME))
        return load_pdptes(v, vmread(GUEST_CR3));
    return true;
}

static bool cr4_write(struct vcpu *v, struct vmx_vcpu *x, uint64_t val)
{
    bool long_mode = vmread(GUEST_IA32_EFER) & EFER_LMA;

    /* VMXE is Keel's (VMX is not offered to guests); other unsupported bits are reserved. */
    if ((val & X86_CR4_VMXE) || (val & ~(vmx_caps.cr4_fixed1 & 0xffffffffULL)))
        return false;
    if (long_mode && !(val & CR4_PAE))
        return false;
    x->cr4_shadow = val;
    vmwrite(CR4_READ_SHADOW, val);
    vmwrite(GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
    if ((x->cr0_shadow & X86_CR0_PG) && (val & CR4_PAE) && !long_mode)
        return load_pdptes(v, vmread(GUEST_CR3));
    return true;
}

bool vmx_cr_write(struct vcpu *v, unsigned int cr, uint64_t val)
{
    struct vmx_vcpu *x = v->arch;

    return cr == 0 ? cr0_write(v, x, val) : cr4_write(v, x, val);
}
