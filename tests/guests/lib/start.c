/* From entry.S to guest_main(), hypercalls, and the end of a test. */
#include "guest.h"

_Static_assert(GUEST_LOAD_ADDR == KEEL_GUEST_LOAD_GPA, "layout.h disagrees with the ABI");

void guest_start(uint32_t start_info_gpa);
void guest_traps_init(void);
extern const char guest_rm_thunk32[];

struct keel_start_info guest_start_info;
static bool use_vmmcall;

bool guest_uses_vmmcall(void)
{
    return use_vmmcall;
}

/* The vendor decides the instruction; the other one raises #UD. */
static void hypercall_init(void)
{
    struct cpuid_regs r = cpuid(0);

    use_vmmcall = (r.ebx == 0x68747541 && r.ecx == 0x444d4163 && r.edx == 0x69746e65) || /* AuthenticAMD */
                  (r.ebx == 0x6f677948 && r.ecx == 0x656e6975 && r.edx == 0x6e65476e);   /* HygonGenuine */
}

long guest_hypercall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
                     unsigned long a3, unsigned long a4)
{
    register unsigned long r10 asm("r10") = a3;
    register unsigned long r8 asm("r8") = a4;
    long ret = (long)nr;

    /* The ABI does not promise that argument registers survive: treat them all as clobbered. */
    if (use_vmmcall)
        asm volatile("vmmcall" : "+a"(ret), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8)
                     :: "memory");
    else
        asm volatile("vmcall" : "+a"(ret), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8)
                     :: "memory");
    return ret;
}

_Noreturn void guest_exit(unsigned int failed)
{
    guest_hypercall(KEEL_HC_SHUTDOWN, KEEL_SHUTDOWN_POWEROFF, failed ? 1 : 0, 0, 0, 0);
    /* Only reached without a hypervisor that implements the call. */
    for (;;)
        asm volatile("cli; hlt");
}

uint32_t guest_call_real(const void *fn16)
{
    return guest_call_pm32(guest_rm_thunk32, (uint32_t)((uintptr_t)fn16 - GUEST_LOAD_ADDR));
}

void guest_start(uint32_t start_info_gpa)
{
    const struct keel_start_info *si = (const struct keel_start_info *)(uintptr_t)start_info_gpa;

    guest_start_info = *si;
    guest_start_info.cmdline[sizeof(guest_start_info.cmdline) - 1] = '\0';
    hypercall_init();
    guest_traps_init();
    printf("test guest: domain %u, %lu MiB, %u vCPU(s), arg \"%s\"\n", guest_start_info.domain_id,
           (unsigned long)(guest_start_info.mem_bytes >> 20), guest_start_info.nr_vcpus,
           guest_start_info.cmdline);
    report(start_info_gpa == KEEL_GUEST_START_INFO_GPA && si->magic == KEEL_START_INFO_MAGIC &&
           si->version == KEEL_ABI_VERSION && si->mem_bytes >= 2 * MiB && si->nr_vcpus >= 1,
           "start-info", "EBX 0x%x, magic 0x%x, version %u, mem_bytes 0x%lx, nr_vcpus %u",
           start_info_gpa, si->magic, si->version, (unsigned long)si->mem_bytes, si->nr_vcpus);
    guest_main(&guest_start_info);
    report_summary_and_exit();
}
