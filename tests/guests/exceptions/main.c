/*
 * Exception delivery: vector, error code and saved RIP for faults and traps, #PF error codes
 * and CR2, single-step, SVM/VMX instructions, how a fault during delivery is merged (#NP after
 * a benign #UD, #DF after a contributory #GP), and finally a triple fault, which is how this
 * domain must end (manifest: expect=triple-fault).
 */
#include "guest.h"

#define TEST_VA         0x8000000000ull     /* PML4 slot 1: free for our own mappings */
#define VA_UNMAPPED     (TEST_VA + 0x0000)
#define VA_READONLY     (TEST_VA + 0x1000)
#define VA_NX           (TEST_VA + 0x2000)
#define VA_RESERVED     (TEST_VA + 512 * GiB)   /* PML4 slot 2, whose entry has a reserved bit */
#define DR6_BS          (1u << 14)

static uint8_t data_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/*
 * Where the test expects the exception frame's RIP. Each fault site stores the address itself,
 * from inside its asm, because code after a faulting instruction never runs.
 */
static uint64_t expected_rip;

static void do_divide_error(void *unused)
{
    (void)unused;
    asm volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, %0\n\t"
                 "xor %%ecx, %%ecx\n\tmov $1, %%eax\n\txor %%edx, %%edx\n"
                 "1:\tdivl %%ecx" : "=m"(expected_rip) :: "rax", "rcx", "rdx");
}

static void do_ud2(void *unused)
{
    (void)unused;
    asm volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, %0\n1:\tud2" : "=m"(expected_rip) :: "rax");
}

static void do_non_canonical(void *unused)
{
    (void)unused;
    asm volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, %0\n\tmovabs $0x8000000000000000, %%rax\n"
                 "1:\tmov (%%rax), %%rax" : "=m"(expected_rip) :: "rax", "memory");
}

/* A trap: the saved RIP is that of the next instruction. */
static void do_int3(void *unused)
{
    (void)unused;
    asm volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, %0\n\tint3\n1:\tnop" : "=m"(expected_rip) :: "rax");
}

/* POPF sets TF; the trap comes after the one instruction that follows it. */
static void do_single_step(void *unused)
{
    (void)unused;
    asm volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, %0\n\t"
                 "pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tnop\n1:\tnop\n\tnop"
                 : "=m"(expected_rip) :: "rax", "memory", "cc");
}

static void do_read(void *va)
{
    mov_read64((uintptr_t)va);
}

static void do_write(void *va)
{
    mov_write64((uintptr_t)va, 0);
}

static void do_fetch(void *va)
{
    ((void (*)(void))va)();
}

static bool check_vector(const char *name, int got, int vector, uint64_t err, uint64_t rip)
{
    const struct guest_exception *e = &guest_last_exception;

    return report(got == vector && e->error_code == err && e->rip == rip, name,
                  "%s (error 0x%lx, RIP 0x%lx), expected %s (error 0x%lx, RIP 0x%lx)",
                  guest_exception_name(got), (unsigned long)e->error_code, (unsigned long)e->rip,
                  guest_exception_name(vector), (unsigned long)err, (unsigned long)rip);
}

static void check_basic(void)
{
    int v;

    v = guest_catch(do_divide_error, NULL);
    check_vector("de-divide-by-zero", v, DE_VECTOR, 0, expected_rip);
    v = guest_catch(do_ud2, NULL);
    check_vector("ud-ud2", v, UD_VECTOR, 0, expected_rip);
    v = guest_catch(do_non_canonical, NULL);
    check_vector("gp-non-canonical", v, GP_VECTOR, 0, expected_rip);
    v = guest_catch(do_int3, NULL);
    check_vector("bp-int3", v, BP_VECTOR, 0, expected_rip);
    v = guest_catch(do_single_step, NULL);
    if (check_vector("db-single-step", v, DB_VECTOR, 0, expected_rip))
        report(guest_last_exception.dr6 & DR6_BS, "db-dr6-bs", "DR6 0x%lx",
               (unsigned long)guest_last_exception.dr6);
}

/* ignore: error-code bits an emulator is known to get wrong (see the callers) */
static void check_pf(const char *name, void (*fn)(void *), uint64_t va, uint64_t err, uint64_t ignore)
{
    int v = guest_catch(fn, (void *)(uintptr_t)va);
    const struct guest_exception *e = &guest_last_exception;

    report(v == PF_VECTOR && e->cr2 == va && (e->error_code & ~ignore) == (err & ~ignore), name,
           "%s, CR2 0x%lx, error 0x%lx; expected #PF, CR2 0x%lx, error 0x%lx",
           guest_exception_name(v), (unsigned long)e->cr2, (unsigned long)e->error_code,
           (unsigned long)va, (unsigned long)err);
}

static void check_page_faults(void)
{
    bool nx = cpuid(0x80000000).eax >= 0x80000001 && (cpuid(0x80000001).edx & (1u << 20));
    uint64_t *pml4 = (uint64_t *)(uintptr_t)guest_pt.root;
    uint64_t cr0 = read_cr0();

    pt_map(&guest_pt, VA_READONLY, (uintptr_t)data_page, PAGE_SIZE, 0);
    pt_map(&guest_pt, VA_NX, (uintptr_t)data_page, PAGE_SIZE, PTE_RW | PTE_NX);
    check_pf("pf-read-not-present", do_read, VA_UNMAPPED, 0, 0);
    check_pf("pf-write-not-present", do_write, VA_UNMAPPED, PF_ERR_W, 0);
    write_cr0(cr0 | CR0_WP);    /* supervisor writes honour read-only pages only with WP */
    check_pf("pf-write-read-only", do_write, VA_READONLY, PF_ERR_P | PF_ERR_W, 0);
    write_cr0(cr0);
    /*
     * PS is reserved in a PML4 entry. The CPU reports P|RSVD; QEMU 7.2's TCG page walker (which
     * also walks a nested guest's tables) reports RSVD alone, so P is not checked.
     */
    pml4[2] = pml4[1] | PTE_PS;
    check_pf("pf-reserved-bit", do_read, VA_RESERVED, PF_ERR_P | PF_ERR_RSVD, PF_ERR_P);
    pml4[2] = 0;
    invlpg(VA_RESERVED);
    if (nx) {
        uint64_t efer = rdmsr(MSR_EFER);

        wrmsr(MSR_EFER, efer | EFER_NXE);
        data_page[0] = 0xc3;                        /* ret, should the fetch succeed */
        check_pf("pf-fetch-nx", do_fetch, VA_NX, PF_ERR_P | PF_ERR_I, 0);
        check_pf("pf-fetch-not-present", do_fetch, VA_UNMAPPED, PF_ERR_I, 0);
        wrmsr(MSR_EFER, efer);
    }
}

static void check_virt_insns(void)
{
    char name[48];

    for (unsigned int i = 0; i < guest_nr_virt_insns; i++) {
        int v = guest_catch(guest_virt_insns[i].run, NULL);

        snprintf(name, sizeof(name), "ud-%s", guest_virt_insns[i].name);
        report(v == UD_VECTOR, name, "%s raised %s", guest_virt_insns[i].name, guest_exception_name(v));
    }
}

/*
 * A fault while delivering an exception: #UD is benign, so a not-present #UD gate just gives
 * #NP, error code = IDT index << 3 | IDT bit | EXT bit. QEMU 7.2's TCG (which also delivers a
 * nested guest's exceptions) puts vector * 16 there and no EXT bit: accepted too. #GP is
 * contributory, so a not-present #GP gate gives #DF with error code 0. Unverified on Bochs.
 */
static void check_double_faults(void)
{
    const uint64_t np_err = UD_VECTOR << 3 | 2 | 1, np_err_qemu = UD_VECTOR * 16 | 2;
    int v;

    guest_idt_set_present(UD_VECTOR, false);
    v = guest_catch(do_ud2, NULL);
    guest_idt_set_present(UD_VECTOR, true);
    report(v == NP_VECTOR && (guest_last_exception.error_code == np_err ||
                              guest_last_exception.error_code == np_err_qemu),
           "np-delivering-ud", "%s, error 0x%lx; expected #NP, error 0x%lx",
           guest_exception_name(v), (unsigned long)guest_last_exception.error_code,
           (unsigned long)np_err);

    guest_idt_set_present(GP_VECTOR, false);
    v = guest_catch(do_non_canonical, NULL);
    guest_idt_set_present(GP_VECTOR, true);
    report(v == DF_VECTOR && guest_last_exception.error_code == 0, "df-delivering-gp",
           "%s, error 0x%lx; expected #DF, error 0", guest_exception_name(v),
           (unsigned long)guest_last_exception.error_code);
}

/* No IDT at all: #UD cannot be delivered, nor the #GP that causes, nor the #DF after it. */
static _Noreturn void triple_fault(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = { 0, 0 };

    asm volatile("lidt %0\n\tud2" :: "m"(empty));
    __builtin_unreachable();
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    check_basic();
    check_page_faults();
    check_virt_insns();
    check_double_faults();
    report_summary();
    triple_fault();
}
