/*
 * dom0, the control domain: Debian's Linux kernel and an initramfs, loaded by GRUB as the modules
 * "dom0-kernel <its command line>" and "dom0-initrd". It owns the first physical CPUs (one vCPU
 * pinned to each, never descheduled), the machine's devices and interrupt controllers, and RAM
 * that is identity-mapped (guest-physical = machine), so its devices' DMA needs no IOMMU. The
 * hypervisor's own memory and the pool for other domains are absent from its p2m and reserved in
 * its memory map. Its exits are handled in hv/dom0_exits.c.
 */
#include <keel/acpi.h>
#include <keel/apic.h>
#include <keel/cmdline.h>
#include <keel/cpu.h>
#include <keel/dom0.h>
#include <keel/exits.h>
#include <keel/fw_e820.h>
#include <keel/fw_linux.h>
#include <keel/hvm.h>
#include <keel/kernel_boot.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/platform.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/shutdown.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/timer.h>
#include <keel/traps.h>
#include <public/keel/abi.h>

#define DOM0_KERNEL_MODULE "dom0-kernel"
#define DOM0_INITRD_MODULE "dom0-initrd"
#define DOM0_P2M_TOP GiB(64)            /* MMIO is identity-mapped up to here */
#define DOM0_RSDP_GPA 0x7f000ULL        /* a reserved page in its low memory: the RSDP copy */
#define DOM0_CMDLINE_MAX 1024
#define XAPIC_BASE 0xfee00000ULL

struct domain *dom0;
uint64_t dom0_cpu_mask;
struct dom0_layout dom0_layout;

static const struct boot_module *find_module(const struct boot_info *bi, const char *name)
{
    size_t n = strlen(name);

    for (unsigned int i = 0; i < bi->nr_mods; i++) {
        const char *s = bi->mods[i].string;

        if (!strncmp(s, name, n) && (s[n] == '\0' || s[n] == ' '))
            return &bi->mods[i];
    }
    return NULL;
}

bool dom0_present(const struct boot_info *bi)
{
    return find_module(bi, DOM0_KERNEL_MODULE) != NULL;
}

bool cpu_is_dom0(unsigned int cpu)
{
    return cpu < 64 && (dom0_cpu_mask & (1ULL << cpu));
}

static bool in_dom0_ram(uint64_t start, uint64_t end)
{
    for (unsigned int i = 0; i < dom0_layout.nr_ranges; i++)
        if (start >= dom0_layout.ram[i].start && end <= dom0_layout.ram[i].end)
            return true;
    return false;
}

/* Maps [start, end) (page-aligned) to the same machine addresses with type t. */
static int map_identity(struct p2m *p2m, uint64_t start, uint64_t end, enum p2m_type t)
{
    uint64_t gfn = start >> PAGE_SHIFT, last = end >> PAGE_SHIFT;

    while (gfn < last) {
        bool big = !(gfn & 511) && last - gfn >= 512;
        int r = p2m_set_entry(p2m, _gfn(gfn), _mfn(gfn), big ? P2M_ORDER_2M : P2M_ORDER_4K, t);

        if (r)
            return r;
        gfn += big ? 512 : 1;
    }
    return 0;
}

/* The p2m type of machine memory of e820 type `type` that is not dom0's RAM. */
static enum p2m_type other_type(uint32_t type)
{
    switch (type) {
    case MEM_RAM: case MEM_BAD:
        return p2m_invalid;             /* the hypervisor's, and the pool's */
    case MEM_ACPI: case MEM_NVS:
        return p2m_ram_rw;              /* firmware tables and firmware's memory: write-back */
    default:
        return p2m_mmio_direct;
    }
}

/*
 * Fills dom0's p2m from the machine's memory map: its RAM and the firmware's regions as they
 * are, every hole and reserved region as direct MMIO up to DOM0_P2M_TOP, nothing of the RAM it
 * was not given, and its local APIC's page trapped (hv/dom0_exits.c).
 */
static int build_p2m(struct domain *d, const struct boot_info *bi)
{
    uint64_t at = 0;
    int r = 0;

    for (unsigned int i = 0; i < bi->nr_mem && !r; i++) {
        const struct mem_region *m = &bi->mem[i];
        uint64_t start = ALIGN_UP(m->base, PAGE_SIZE), end = ALIGN_DOWN(m->base + m->len, PAGE_SIZE);
        enum p2m_type t = other_type(m->type);

        if (start > at)
            r = map_identity(&d->p2m, at, start, p2m_mmio_direct);
        if (!r && end > start && t != p2m_invalid)
            r = map_identity(&d->p2m, start, end, t);
        at = MAX(at, end);
    }
    if (!r && at < DOM0_P2M_TOP)
        r = map_identity(&d->p2m, at, DOM0_P2M_TOP, p2m_mmio_direct);
    for (unsigned int i = 0; i < dom0_layout.nr_ranges && !r; i++)
        r = map_identity(&d->p2m, dom0_layout.ram[i].start, dom0_layout.ram[i].end, p2m_ram_rw);
    if (!r)
        r = p2m_set_entry(&d->p2m, _gfn(XAPIC_BASE >> PAGE_SHIFT), INVALID_MFN, P2M_ORDER_4K,
                          p2m_mmio_hv);
    if (!r)     /* the BIOS data area: readable (Linux looks for the EBDA there), not writable */
        r = p2m_set_entry(&d->p2m, _gfn(0), _mfn(0), P2M_ORDER_4K, p2m_ram_ro);
    return r;
}

/* A copy of the machine's RSDP in dom0's reserved low page: found the same way under BIOS and
 * UEFI, and nothing the hypervisor keeps needs to be visible. */
static int copy_rsdp(struct domain *d)
{
    size_t len = acpi.revision >= 2 ? 36 : 20;

    if (!acpi.rsdp_addr)
        return -ENOENT;
    return domain_copy_to_guest(d, DOM0_RSDP_GPA, phys_to_virt(acpi.rsdp_addr), len);
}

/* The I/O ports dom0 does not reach directly: see hv/dom0_exits.c. */
static uint8_t *build_io_bitmap(void)
{
    static const uint16_t ports[][2] = {
        { 0x3f8, 0x3ff },               /* COM1: the hypervisor's console */
        { 0xcf8, 0xcff },               /* PCI configuration, and the reset control at 0xCF9 */
        { 0x64, 0x64 },                 /* the keyboard controller's commands (reset pulse) */
        { 0x92, 0x92 },                 /* system control port A (fast reset) */
        { 0xf4, 0xf4 },                 /* QEMU's isa-debug-exit: ends a test run */
        { 0x8900, 0x8900 },             /* Bochs's shutdown port */
    };
    uint8_t *map = alloc_pages(2);      /* 12 KiB for AMD-V, the first 8 KiB for VT-x */

    if (!map)
        return NULL;
    memset(map + 2 * PAGE_SIZE, 0xff, 2 * PAGE_SIZE);
    for (unsigned int i = 0; i < ARRAY_SIZE(ports); i++)
        for (unsigned int p = ports[i][0]; p <= ports[i][1]; p++)
            map[p / 8] |= (uint8_t)(1u << (p % 8));
    if (acpi.reset_reg_valid)
        map[acpi.reset_port / 8] |= (uint8_t)(1u << (acpi.reset_port % 8));
    return map;
}

/* The module's string after its name, then what keeps dom0 to its own CPUs. */
static char *dom0_cmdline(const struct boot_module *m, unsigned int nr_vcpus)
{
    static char buf[DOM0_CMDLINE_MAX];
    const char *s = m->string + strlen(DOM0_KERNEL_MODULE);

    while (*s == ' ')
        s++;
    snprintf(buf, sizeof(buf), "%s nr_cpus=%u", s, nr_vcpus);
    return buf;
}

/* One physical CPU per vCPU, from CPU 0 up, and at least one left for everything else. */
static unsigned int dom0_nr_vcpus(void)
{
    unsigned int n = opts.dom0_vcpus;

    if (nr_cpus_online < 2)
        panic("dom0: needs a CPU of its own and one for the hypervisor and guests; this machine "
              "has %u online", nr_cpus_online);
    for (unsigned int i = 0; i < n; i++) {
        if (i + 1 >= nr_cpus_online || !cpus[i] || !cpus[i]->online) {
            pr_warn("dom0: dom0_vcpus=%u, but only CPUs 0-%u can be dom0's: it gets %u\n", n,
                    i ? i - 1 : 0, i);
            return i;
        }
    }
    return n;
}

static int load_kernel(struct domain *d, const struct boot_info *bi, const struct boot_module *km)
{
    static struct fw_e820_entry e820[FW_LINUX_E820_MAX];
    const struct boot_module *im = find_module(bi, DOM0_INITRD_MODULE);
    struct kernel_image k = {
        .kind = KERNEL_LINUX, .image = phys_to_virt(km->start), .image_len = km->end - km->start,
        .initrd = im ? phys_to_virt(im->start) : NULL, .initrd_len = im ? im->end - im->start : 0,
        .cmdline = dom0_cmdline(km, d->nr_vcpus), .e820 = e820, .rsdp_gpa = DOM0_RSDP_GPA,
        .load_gpa = dom0_layout.ram[dom0_layout.nr_ranges - 1].start,
    };
    int r;

    k.nr_e820 = dom0_e820(bi->mem, bi->nr_mem, &dom0_layout, DOM0_RSDP_GPA, e820);
    if ((r = copy_rsdp(d)))
        pr_warn("dom0: no ACPI RSDP to give it (%d)\n", r);
    else
        k.rsdp_gpa = DOM0_RSDP_GPA;
    if (!im)
        pr_warn("dom0: no \"%s\" module: booting without an initramfs\n", DOM0_INITRD_MODULE);
    pr_info("dom0: command line: %s\n", k.cmdline);
    return kernel_boot_load(d, &k);
}

/* dom0's kernel and initramfs are copied into dom0 now: their memory joins the pool (test
 * guests' modules stay; the test runner loads them later). */
static void free_modules(const struct boot_info *bi)
{
    const struct boot_module *mods[2] = { find_module(bi, DOM0_KERNEL_MODULE),
                                          find_module(bi, DOM0_INITRD_MODULE) };

    for (unsigned int i = 0; i < 2; i++) {
        uint64_t s, e;

        if (!mods[i])
            continue;
        s = ALIGN_UP(mods[i]->start, PAGE_SIZE), e = ALIGN_DOWN(mods[i]->end, PAGE_SIZE);
        if (e > s && !in_dom0_ram(s, e))
            frame_add_range(s >> PAGE_SHIFT, (e - s) >> PAGE_SHIFT);
    }
}

static struct domain *build(const struct boot_info *bi)
{
    const struct boot_module *km = find_module(bi, DOM0_KERNEL_MODULE);
    struct domain_config cfg = { .name = "dom0", .nr_vcpus = dom0_nr_vcpus(),
                                 .flags = DOMF_PRIVILEGED, .ram_bytes = dom0_layout.bytes };
    struct domain *d;
    int err;

    if (!dom0_layout.nr_ranges)
        panic("dom0: no memory was set aside for it");
    cfg.affinity = (1ULL << cfg.nr_vcpus) - 1;
    dom0_cpu_mask = cfg.affinity;
    d = domain_create(&cfg, &err);
    if (!d)
        panic("dom0: cannot create it (%d)", err);
    d->ram_bytes = dom0_layout.ram[dom0_layout.nr_ranges - 1].end;
    d->pages = 0;
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        d->vcpus[i]->affinity = 1ULL << i;          /* pinned 1:1 */
        d->vcpus[i]->pcpu = i;
        d->vcpus[i]->start_vector = -1;
    }
    if ((err = build_p2m(d, bi)))
        panic("dom0: cannot build its p2m (%d)", err);
    if (!(d->io_intercept = build_io_bitmap()))
        panic("dom0: out of memory");
    if ((err = load_kernel(d, bi, km)))
        panic("dom0: cannot load its kernel (%d)", err);
    return d;
}

void dom0_kick(void)
{
    for (unsigned int i = 0; i < 64; i++)
        if ((dom0_cpu_mask & (1ULL << i)) && cpus[i] && cpus[i] != this_cpu()) {
            __atomic_store_n(&cpus[i]->dom0_kicked, true, __ATOMIC_RELEASE);
            lapic_send_ipi(cpus[i]->apic_id, APIC_DM_NMI);
        }
}

/* dom0's CPU stops being the hypervisor's: its timers move away, its APIC timer is dom0's. */
static void hand_over_cpu(void)
{
    timer_move_away();
    lapic_reg_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    lapic_reg_write(APIC_TMICT, 0);
}

/* The machine goes with dom0: a reboot restarts it, a poweroff stops it, and a crash restarts
 * it too (as Xen does), except in a test run, which then ends as failed. */
static __noreturn void dom0_stopped(struct domain *d)
{
    pr_info("dom0: %s (%s, code %d)\n", domain_state_name(d->state), d->reason, d->shutdown_code);
    if (d->state == DOMAIN_SHUTDOWN && !strcmp(d->reason, "poweroff"))
        machine_halt("dom0 powered off");
    if (d->state != DOMAIN_SHUTDOWN && opts.test_exit != TEST_EXIT_NONE) {
        pr_err("dom0: crashed: %s\n", d->reason);
        fatal_stop();
    }
    machine_restart(d->state == DOMAIN_SHUTDOWN ? "dom0 rebooted" : "dom0 crashed");
}

/* A vCPU other than 0 waits, in the hypervisor, for the INIT and SIPI dom0 sends it (through
 * its APIC page, hv/dom0_exits.c); then it starts in real mode at the SIPI's page. */
static void wait_for_sipi(struct vcpu *v)
{
    int vector;

    v->halted = true;
    while ((vector = __atomic_load_n(&v->start_vector, __ATOMIC_ACQUIRE)) < 0) {
        if (domain_is_stopped(v->domain))
            dom0_stopped(v->domain);
        cpu_relax();
    }
    v->reinit = false;
    v->halted = false;
    hvm->vcpu_reset(v, (uint16_t)(vector << 8), 0);
    pr_info("dom0: v%u started at %#x\n", v->id, vector << 12);
}

/* Runs dom0's vCPU on this CPU for good; interrupts stay off here (they are dom0's). */
static __noreturn void run_vcpu(struct vcpu *v)
{
    struct percpu *p = this_cpu();
    struct vm_exit exit;

    irq_disable();
    v->runnable = true;
    p->slice_start = now_ns();
    __atomic_store_n(&p->current, v, __ATOMIC_RELEASE);
    for (;;) {
        if (v->id && (v->start_vector < 0 || v->reinit))
            wait_for_sipi(v);
        if (domain_is_stopped(v->domain))
            dom0_stopped(v->domain);
        dom0_prepare_entry(v);
        hvm->vcpu_run(v, &exit);
        v->exits[exit.reason]++;
        vcpu_handle_exit(v, &exit);
    }
}

/* On each of dom0's other CPUs, from its idle loop. */
static void run_other_vcpu(void)
{
    struct vcpu *v = dom0->vcpus[this_cpu()->id];

    irq_disable();
    hand_over_cpu();
    run_vcpu(v);
}

void dom0_start_vcpu(struct vcpu *v, bool init, uint8_t vector)
{
    if (init) {
        __atomic_store_n(&v->start_vector, -1, __ATOMIC_RELEASE);
        v->reinit = true;
        dom0_kick();                    /* out of the guest, if it is in there */
    } else if (v->start_vector < 0 && v->halted) {
        __atomic_store_n(&v->start_vector, vector, __ATOMIC_RELEASE);
    }
}

static unsigned int first_other_cpu(void)
{
    for (unsigned int i = 0; i < MAX_CPUS; i++)
        if (cpus[i] && cpus[i]->online && !cpu_is_dom0(i))
            return i;
    return 0;
}

__noreturn void dom0_build_and_run(const struct boot_info *bi, void (*beside)(void))
{
    dom0 = build(bi);
    free_modules(bi);
    iface_init();
    iface_trap_ecam();
    for (unsigned int i = 1; i < dom0->nr_vcpus; i++)
        sched_defer_to(i, run_other_vcpu);
    if (beside)
        sched_defer_to(first_other_cpu(), beside);
    pr_info("dom0: %llu MiB in %u ranges, CPUs 0-%u, starting\n",
            (unsigned long long)(dom0_layout.bytes >> 20), dom0_layout.nr_ranges, dom0->nr_vcpus - 1);
    hand_over_cpu();
    dom0->state = DOMAIN_RUNNING;
    run_vcpu(dom0->vcpus[0]);
}
