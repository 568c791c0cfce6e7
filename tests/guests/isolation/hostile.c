/*
 * The hostile domain: reads across the guest-physical space below 4 GiB, writes garbage to
 * everything that is not its own RAM, reads every MSR in the architectural and AMD ranges,
 * reads and writes every I/O port, and runs every SVM/VMX instruction. The hypervisor must
 * contain all of it: this domain keeps running, sees all ones outside its RAM, and the victim
 * domain sees nothing change. Each unmapped access is an exit, so the scan stays at a few
 * thousand addresses.
 * Unverified: not run under Keel yet; on bare QEMU the port sweep resets the machine.
 */
#include "isolation.h"

#define GARBAGE         0xdeadbeefbadc0ffeull
#define PORT_GARBAGE    0xfe    /* the keyboard controller's reset command; reset bits at 0xcf9 */
#define PORT_KBD_CMD    0x64    /* this domain's own reset lines: writing 0xfe there ends it, */
#define PORT_RESET_CTL  0xcf9   /* reason reboot (test_toolstack.py checks that); not written */
#define APIC_PAGE       0xfee00000ull
#define IOAPIC_PAGE     0xfec00000ull
#define NEAR_END        (64 * 1024ull)  /* scanned in 4 KiB steps either side of the end of RAM */

struct scan {
    unsigned int addresses, bad;
    uint64_t first_bad, first_bad_value;
};

static bool is_own_ram(uint64_t a, uint64_t mem)
{
    return a < mem;
}

/*
 * The value a read must give outside RAM. The pages of the emulated platform devices (local
 * APIC, IOAPIC, HPET) answer with their registers, whatever the values.
 */
static bool outside_value_ok(uint64_t a, uint64_t v)
{
    if (a >> 12 == KEEL_TEST_RO_GPA >> 12)
        return v == KEEL_TEST_RO_PATTERN;
    if (a >> 12 == KEEL_TEST_MMIO_HV_GPA >> 12)
        return true;                    /* the memory-like test device */
    if (a >> 12 == APIC_PAGE >> 12 || a >> 12 == IOAPIC_PAGE >> 12 || a >> 12 == 0xfed00)
        return true;
    return v == ~0ull;
}

/* Ports with an emulated device behind them: PIC, ELCR, PIT, port 0x61, RTC, ACPI PM, fw_cfg,
 * COM1, the panic notifier (reads 1). */
static bool is_platform_port(unsigned int port)
{
    return port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 || port == 0x4d0 ||
           port == 0x4d1 || (port >= 0x40 && port <= 0x43) || port == 0x61 || port == 0x70 ||
           port == 0x71 || (port >= 0xb000 && port < 0xb00c) || port == 0x510 || port == 0x511 ||
           (port >= 0x514 && port < 0x51c) || (port >= 0x3f8 && port <= 0x3ff) || port == 0x505;
}

/* Calls fn(a) for each address of the scan; never for the MMIO page, which would kill us. */
static void for_each_scan_address(uint64_t mem, void (*fn)(uint64_t a, uint64_t mem, struct scan *s),
                                  struct scan *s)
{
    for (uint64_t a = 0; a < MiB; a += PAGE_SIZE)
        fn(a, mem, s);
    for (uint64_t a = 0; a < 4 * GiB; a += 2 * MiB)
        fn(a, mem, s);
    for (uint64_t a = mem - NEAR_END; a < mem + NEAR_END; a += PAGE_SIZE)
        if (a >> 12 != KEEL_TEST_MMIO_GPA >> 12)
            fn(a, mem, s);
}

static void scan_read(uint64_t a, uint64_t mem, struct scan *s)
{
    uint64_t v = mov_read64(a);

    s->addresses++;
    if (!is_own_ram(a, mem) && !outside_value_ok(a, v) && !s->bad++) {
        s->first_bad = a;
        s->first_bad_value = v;
    }
}

static void scan_write(uint64_t a, uint64_t mem, struct scan *s)
{
    if (!is_own_ram(a, mem)) {
        mov_write64(a, GARBAGE);
        s->addresses++;
    }
}

static void check_memory(uint64_t mem)
{
    struct scan rd = { 0 }, wr = { 0 }, again = { 0 };

    for_each_scan_address(mem, scan_read, &rd);
    report(!rd.bad, "hostile-scan-reads", "%u of %u reads outside RAM wrong, first 0x%lx = 0x%lx",
           rd.bad, rd.addresses, (unsigned long)rd.first_bad, (unsigned long)rd.first_bad_value);
    for_each_scan_address(mem, scan_write, &wr);
    mov_write64(KEEL_TEST_RO_GPA, GARBAGE);
    for_each_scan_address(mem, scan_read, &again);
    report(!again.bad, "hostile-writes-dropped",
           "%u writes; then %u reads outside RAM wrong, first 0x%lx = 0x%lx", wr.addresses,
           again.bad, (unsigned long)again.first_bad, (unsigned long)again.first_bad_value);
}

static void check_msrs(void)
{
    static const uint32_t ranges[][2] = {
        { 0x00000000, 0x00002000 }, { 0xc0000000, 0xc0002000 }, { 0xc0010000, 0xc0012000 },
    };
    unsigned int readable = 0, probed = 0;
    uint64_t v;
    int hsave, vmcr;

    for (unsigned int r = 0; r < ARRAY_SIZE(ranges); r++) {
        for (uint32_t msr = ranges[r][0]; msr < ranges[r][1]; msr++, probed++)
            if (rdmsr_safe(msr, &v) == GUEST_NO_EXCEPTION)
                readable++;
    }
    printf("hostile: %u of %u MSRs readable\n", readable, probed);
    hsave = rdmsr_safe(0xc0010117, &v);
    report(hsave == GP_VECTOR, "hostile-vm-hsave-pa-gp", "RDMSR VM_HSAVE_PA: %s, 0x%lx",
           guest_exception_name(hsave), (unsigned long)v);
    vmcr = rdmsr_safe(0xc0010114, &v);
    report(vmcr == GP_VECTOR, "hostile-vm-cr-gp", "RDMSR VM_CR: %s, 0x%lx",
           guest_exception_name(vmcr), (unsigned long)v);
}

static void check_ports(void)
{
    unsigned int not_ones = 0, first = 0, first_value = 0;

    /* Every port reads as nothing here but the debug port and the platform's devices; the
     * FIFO is empty. */
    for (unsigned int port = 0; port <= 0xffff; port++) {
        uint8_t v = inb((uint16_t)port);
        bool debug = port == KEEL_DEBUG_PORT || is_platform_port(port);

        if (!debug && v != 0xff && !not_ones++) {
            first = port;
            first_value = v;
        }
    }
    report(!not_ones, "hostile-port-reads", "%u ports read other than 0xff, first 0x%x = 0x%x",
           not_ones, first, first_value);
    for (unsigned int port = 0; port <= 0xffff; port++)
        if (port != KEEL_DEBUG_PORT && port != PORT_KBD_CMD && port != PORT_RESET_CTL)
            outb((uint16_t)port, PORT_GARBAGE);
    printf("hostile: wrote 0x%x to every port but 0x%x and its reset lines\n", PORT_GARBAGE,
           KEEL_DEBUG_PORT);
}

static void check_virt_insns(void)
{
    unsigned int wrong = 0;
    const char *first = "";
    int first_vector = 0;

    for (unsigned int i = 0; i < guest_nr_virt_insns; i++) {
        int v = guest_catch(guest_virt_insns[i].run, NULL);

        if (v != UD_VECTOR && !wrong++) {
            first = guest_virt_insns[i].name;
            first_vector = v;
        }
    }
    report(!wrong, "hostile-virt-insns-ud", "%u of %u did not raise #UD, first %s: %s", wrong,
           guest_nr_virt_insns, first, guest_exception_name(first_vector));
}

static uint64_t image_checksum(void)
{
    uint64_t c = 0;

    for (const uint64_t *p = (const uint64_t *)__image_start; p < (const uint64_t *)__image_end; p++)
        c = ((c << 1) | (c >> 63)) ^ *p;
    return c;
}

void isolation_hostile(const struct keel_start_info *si)
{
    uint64_t before = image_checksum(), after;
    long version;

    check_memory(si->mem_bytes);
    check_msrs();
    check_ports();
    check_virt_insns();
    after = image_checksum();
    version = guest_hypercall(KEEL_HC_VERSION, 0, 0, 0, 0, 0);
    report(after == before && version == KEEL_ABI_VERSION, "hostile-survived",
           "image checksum 0x%lx -> 0x%lx, KEEL_HC_VERSION %ld", (unsigned long)before,
           (unsigned long)after, version);
}
