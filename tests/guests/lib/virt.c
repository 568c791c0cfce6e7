/*
 * The SVM and VMX instructions. A guest sees neither extension (CPUID hides both, EFER.SVME
 * and CR4.VMXE cannot be set), so each of these must raise #UD. RAX points at a zeroed page for
 * the ones that take an address, in case a broken hypervisor lets one through.
 */
#include "guest.h"

static uint8_t scratch[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define VIRT_INSN(fn, text)                                                         \
    static void fn(void *unused)                                                    \
    {                                                                               \
        uint64_t a = (uintptr_t)scratch, c = 0;                                     \
                                                                                    \
        (void)unused;                                                               \
        asm volatile(text : "+a"(a), "+c"(c) :: "memory");                          \
    }

VIRT_INSN(run_vmrun, "vmrun %%rax")
VIRT_INSN(run_vmload, "vmload %%rax")
VIRT_INSN(run_vmsave, "vmsave %%rax")
VIRT_INSN(run_stgi, "stgi")
VIRT_INSN(run_clgi, "clgi")
VIRT_INSN(run_skinit, "skinit %%eax")
VIRT_INSN(run_invlpga, "invlpga %%rax, %%ecx")
VIRT_INSN(run_vmxon, "vmxon (%%rax)")
VIRT_INSN(run_vmxoff, "vmxoff")
VIRT_INSN(run_vmlaunch, "vmlaunch")
VIRT_INSN(run_vmresume, "vmresume")
VIRT_INSN(run_vmptrld, "vmptrld (%%rax)")
VIRT_INSN(run_vmptrst, "vmptrst (%%rax)")
VIRT_INSN(run_vmclear, "vmclear (%%rax)")
VIRT_INSN(run_vmread, "vmread %%rax, %%rcx")
VIRT_INSN(run_vmwrite, "vmwrite %%rax, %%rcx")
VIRT_INSN(run_invept, "invept (%%rax), %%rcx")
VIRT_INSN(run_invvpid, "invvpid (%%rax), %%rcx")
VIRT_INSN(run_vmfunc, "vmfunc")
VIRT_INSN(run_vmcall, "vmcall")
VIRT_INSN(run_vmmcall, "vmmcall")

/* The hypercall instruction of the other vendor (VMCALL on AMD, VMMCALL on Intel). */
static void run_other_hypercall(void *unused)
{
    if (guest_uses_vmmcall())
        run_vmcall(unused);
    else
        run_vmmcall(unused);
}

const struct guest_virt_insn guest_virt_insns[] = {
    { "vmrun", run_vmrun },
    { "vmload", run_vmload },
    { "vmsave", run_vmsave },
    { "stgi", run_stgi },
    { "clgi", run_clgi },
    { "skinit", run_skinit },
    { "invlpga", run_invlpga },
    { "vmxon", run_vmxon },
    { "vmxoff", run_vmxoff },
    { "vmlaunch", run_vmlaunch },
    { "vmresume", run_vmresume },
    { "vmptrld", run_vmptrld },
    { "vmptrst", run_vmptrst },
    { "vmclear", run_vmclear },
    { "vmread", run_vmread },
    { "vmwrite", run_vmwrite },
    { "invept", run_invept },
    { "invvpid", run_invvpid },
    { "vmfunc", run_vmfunc },
    { "other-vendor-hypercall", run_other_hypercall },
};
const unsigned int guest_nr_virt_insns = ARRAY_SIZE(guest_virt_insns);
