/*
 * Unit tests for hv/dom0_pci.c: dom0's port I/O at 0xCF8-0xCFF against a fake machine (a few
 * functions on bus 0 and 1, every other one absent) and a fake dom0 p2m. The interface device
 * takes the first free slot on bus 0; everything else reaches the machine with dom0's address
 * as it latched it; BAR0 places the register page over device space only, and gives back
 * exactly what was there; the MSI dom0 programs is where iface_notify sends its vector.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/dom0_iface.c"
#include "../../hv/dom0_pci.c"

/* --- the fake machine: functions 0:0.0, 0:1.0, 0:1.3, 0:2.0 and 1:0.0; the rest absent --- */
struct fake_fn {
    unsigned int bus, dev, fn;
    uint8_t cfg[256];
};
static struct fake_fn machine[] = {
    { .bus = 0, .dev = 0, .fn = 0 }, { .bus = 0, .dev = 1, .fn = 0 }, { .bus = 0, .dev = 1, .fn = 3 },
    { .bus = 0, .dev = 2, .fn = 0 }, { .bus = 1, .dev = 0, .fn = 0 },
};
#define NR_FNS (sizeof(machine) / sizeof(machine[0]))
static unsigned int machine_accesses;
static uint32_t last_cf8;
static unsigned int last_offset, last_size;

static struct fake_fn *machine_fn(uint32_t cf8)
{
    for (unsigned int i = 0; i < NR_FNS; i++)
        if ((cf8 & PCI_CF8_ENABLE) && machine[i].bus == ((cf8 >> 16) & 0xff) &&
            machine[i].dev == ((cf8 >> 11) & 0x1f) && machine[i].fn == ((cf8 >> 8) & 7))
            return &machine[i];
    return NULL;
}

static void machine_note(uint32_t cf8, unsigned int offset, unsigned int size)
{
    machine_accesses++;
    last_cf8 = cf8, last_offset = offset, last_size = size;
    assert_true(offset < 4 && (size == 1 || size == 2 || size == 4));
}

uint32_t pci_cf8_read(uint32_t cf8, unsigned int offset, unsigned int size)
{
    struct fake_fn *f = machine_fn(cf8);
    uint32_t v = 0;

    machine_note(cf8, offset, size);
    if (!f)
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    for (unsigned int i = 0; i < size; i++)
        v |= (uint32_t)f->cfg[((cf8 & 0xfc) + offset + i) & 0xff] << (8 * i);
    return v;
}

void pci_cf8_write(uint32_t cf8, unsigned int offset, unsigned int size, uint32_t val)
{
    struct fake_fn *f = machine_fn(cf8);

    machine_note(cf8, offset, size);
    for (unsigned int i = 0; f && i < size; i++)
        f->cfg[((cf8 & 0xfc) + offset + i) & 0xff] = (uint8_t)(val >> (8 * i));
}

uint16_t pci_conf_read16(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg)
{
    return (uint16_t)pci_cf8_read(PCI_CF8(bus, dev, fn, reg), reg & 2, 2);
}

/* --- the fake dom0 p2m: RAM below 2 GiB, device space above, except what tests set --- */
#define RAM_TOP_GFN 0x80000ull
#define HOLE_GFN 0xd0000ull             /* the hypervisor's memory: nothing in dom0's p2m */
#define MAX_SET 16
static struct { uint64_t gfn, mfn; enum p2m_type t; } set[MAX_SET];
static unsigned int nr_set, flushes;

static int find_set(uint64_t gfn)
{
    for (unsigned int i = 0; i < nr_set; i++)
        if (set[i].gfn == gfn)
            return (int)i;
    return -1;
}

enum p2m_type p2m_lookup(struct p2m *p2m, gfn_t gfn, mfn_t *mfn, unsigned int *order)
{
    uint64_t g = gfn_x(gfn);
    int i = find_set(g);

    if (i >= 0) {
        *mfn = _mfn(set[i].mfn);
        return set[i].t;
    }
    *mfn = g == HOLE_GFN ? INVALID_MFN : _mfn(g);
    return g < RAM_TOP_GFN ? p2m_ram_rw : g == HOLE_GFN ? p2m_invalid : p2m_mmio_direct;
}

int p2m_set_entry(struct p2m *p2m, gfn_t gfn, mfn_t mfn, unsigned int order, enum p2m_type t)
{
    int i = find_set(gfn_x(gfn));

    assert_int_equal(order, P2M_ORDER_4K);
    if (i < 0) {
        assert_true(nr_set < MAX_SET);
        i = (int)nr_set++;
    }
    set[i].gfn = gfn_x(gfn), set[i].mfn = mfn_x(mfn), set[i].t = t;
    return 0;
}

const char *p2m_type_name(enum p2m_type t) { return "a type"; }

/* --- the rest of the hypervisor --- */
static uint8_t regs_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define REGS_MFN 0x777ull

void *alloc_pages(unsigned int order) { return regs_page; }
paddr_t virt_to_phys(const void *va) { return REGS_MFN << PAGE_SHIFT; }

static void fake_flush(struct domain *d) { flushes++; }
static const struct hvm_ops fake_hvm = { .name = "fake", .p2m_format = P2M_FORMAT_EPT,
                                         .p2m_flush = fake_flush };
const struct hvm_ops *hvm = &fake_hvm;

static struct domain dom0_domain;
struct domain *dom0 = &dom0_domain;
struct acpi_info acpi;                  /* no MCFG: configuration space through the ports only */
static struct percpu cpu0 = { .apic_id = 0 }, cpu2 = { .apic_id = 4 };
struct percpu *cpus[MAX_CPUS] = { [0] = &cpu0, [2] = &cpu2 };
static unsigned int ipis;
static uint32_t ipi_apic, ipi_icr;

int dom0_msi_cpu(uint32_t dest, bool logical)   /* dom0 has CPU 2 (APIC ID 4) only */
{
    return !logical && dest == 4 ? 2 : -1;
}

bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    ipis++;
    ipi_apic = apic_id, ipi_icr = icr_low;
    return true;
}

/* --- dom0's port I/O --- */
static uint32_t io_in(uint16_t port, unsigned int size)
{
    uint32_t v = 0x5a5a5a5a;

    dom0_pci_io(NULL, port, size, false, &v);
    return v;
}

static void io_out(uint16_t port, unsigned int size, uint32_t v)
{
    dom0_pci_io(NULL, port, size, true, &v);
}

static uint32_t cfg_read(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg,
                         unsigned int size)
{
    io_out(0xcf8, 4, PCI_CF8(bus, dev, fn, reg));
    return io_in((uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg,
                      unsigned int size, uint32_t v)
{
    io_out(0xcf8, 4, PCI_CF8(bus, dev, fn, reg));
    io_out((uint16_t)(0xcfc + (reg & 3)), size, v);
}

#define SLOT 2                          /* 0:1 is taken, so is 0:2... */

static int setup(void **state)
{
    for (unsigned int i = 0; i < NR_FNS; i++) {
        memset(machine[i].cfg, 0, sizeof(machine[i].cfg));
        machine[i].cfg[0] = 0x86, machine[i].cfg[1] = 0x80;     /* vendor 0x8086 */
        machine[i].cfg[2] = (uint8_t)i;
    }
    machine[3].dev = 2;                 /* 0:2.0 exists until a test says otherwise */
    nr_set = flushes = ipis = machine_accesses = 0;
    mapped_gfn = 0;
    latch = 0;
    msi_vector = 0;
    dropped = 0;
    return 0;
}

/* The first device number from 1 up that reads vendor 0xffff on bus 0. */
static void test_slot_is_the_first_free_one(void **state)
{
    iface_init();
    assert_int_equal(slot, 3);
    machine[3].dev = 9;                 /* 0:2 free now */
    iface_init();
    assert_int_equal(slot, SLOT);
    assert_int_equal(((struct keel_iface_regs *)regs_page)->magic, KEEL_IFACE_MAGIC);
    assert_int_equal(((struct keel_iface_regs *)regs_page)->abi_version, KEEL_ABI_VERSION);
    assert_int_equal(((struct keel_iface_regs *)regs_page)->hypercall_insn, 2);   /* VMCALL */
}

static void test_the_device_and_its_absent_functions(void **state)
{
    machine[3].dev = 9;
    iface_init();
    machine_accesses = 0;
    assert_int_equal(cfg_read(0, SLOT, 0, 0, 4), KEEL_IFACE_VENDOR | KEEL_IFACE_DEVICE << 16);
    assert_int_equal(cfg_read(0, SLOT, 0, 2, 2), KEEL_IFACE_DEVICE);
    assert_int_equal(cfg_read(0, SLOT, 0, 0x0b, 1), KEEL_IFACE_CLASS >> 16);
    assert_int_equal(cfg_read(0, SLOT, 0, 0x0e, 1), 0);               /* header type 0 */
    for (unsigned int fn = 1; fn < 8; fn++) {
        assert_int_equal(cfg_read(0, SLOT, fn, 0, 4), 0xffffffffu);
        cfg_write(0, SLOT, fn, 0x10, 4, 0x12345000);                    /* goes nowhere */
    }
    assert_int_equal(machine_accesses, 0);                              /* all emulated */
    /* Walk the capability list as a driver does. */
    {
        unsigned int cap = cfg_read(0, SLOT, 0, 0x34, 1), n = 0;

        assert_true(cfg_read(0, SLOT, 0, 0x06, 2) & 0x10);
        for (; cap && n < 48; cap = cfg_read(0, SLOT, 0, cap + 1, 1), n++)
            assert_int_equal(cfg_read(0, SLOT, 0, cap, 1), 0x05);      /* MSI, and only it */
        assert_int_equal(n, 1);
    }
}

/* Other functions get dom0's latched address, offset and size exactly. */
static void test_passthrough_to_the_machine(void **state)
{
    machine[3].dev = 9;
    iface_init();
    assert_int_equal(cfg_read(0, 1, 3, 0, 4), 0x00028086);
    assert_int_equal(last_cf8, PCI_CF8(0, 1, 3, 0));
    assert_int_equal(cfg_read(0, 1, 0, 0x0e, 1), 0);
    assert_int_equal(last_offset, 2);
    assert_int_equal(last_size, 1);
    cfg_write(1, 0, 0, 0x3c, 2, 0xbeef);
    assert_int_equal(machine[4].cfg[0x3c], 0xef);
    assert_int_equal(machine[4].cfg[0x3d], 0xbe);
    assert_int_equal(cfg_read(0, 5, 0, 0, 4), 0xffffffffu);           /* absent on the machine */
    assert_int_equal(cfg_read(1, SLOT, 0, 0, 4), 0xffffffffu);        /* the slot on bus 1: machine */
    assert_int_equal(last_cf8, PCI_CF8(1, SLOT, 0, 0));
    /* With the enable bit clear nothing is reached. */
    machine_accesses = 0;
    io_out(0xcf8, 4, PCI_CF8(0, 1, 0, 0) & ~PCI_CF8_ENABLE);
    assert_int_equal(io_in(0xcfc, 4), 0xffffffffu);
    io_out(0xcfc, 4, 0);
    assert_int_equal(machine_accesses, 0);
}

/* Only a dword access at 0xCF8 is the address register. */
static void test_address_latch(void **state)
{
    io_out(0xcf8, 4, PCI_CF8(0, 1, 0, 0x10));
    assert_int_equal(io_in(0xcf8, 4), PCI_CF8(0, 1, 0, 0x10));
    io_out(0xcf8, 1, 0);
    io_out(0xcfa, 2, 0);
    io_out(0xcf8, 2, 0);
    assert_int_equal(io_in(0xcf8, 4), PCI_CF8(0, 1, 0, 0x10));        /* unchanged */
    assert_int_equal(io_in(0xcf8, 2), 0xffffffffu);
    assert_int_equal(io_in(0xcfb, 1), 0xffffffffu);
}

static void place_bar(uint32_t addr, bool decode)
{
    cfg_write(0, SLOT, 0, 0x04, 2, 0);
    cfg_write(0, SLOT, 0, 0x10, 4, addr);
    if (decode)
        cfg_write(0, SLOT, 0, 0x04, 2, 0x2);
}

static void assert_entry(uint64_t gfn, uint64_t mfn, enum p2m_type t)
{
    mfn_t m;

    assert_int_equal(p2m_lookup(NULL, _gfn(gfn), &m, NULL), t);
    assert_int_equal(mfn_x(m), mfn);
}

static void test_bar_maps_the_register_page(void **state)
{
    machine[3].dev = 9;
    iface_init();
    cfg_write(0, SLOT, 0, 0x10, 4, 0xffffffff);                          /* sizing */
    assert_int_equal(cfg_read(0, SLOT, 0, 0x10, 4), ~(uint32_t)(KEEL_IFACE_BAR_SIZE - 1));
    assert_int_equal(nr_set, 0);                                         /* decoding is off */
    place_bar(0xfebf0000, true);
    assert_int_equal(mapped_gfn, 0xfebf0);
    assert_entry(0xfebf0, REGS_MFN, p2m_ram_ro);
    assert_true(flushes > 0);
    /* Moving it puts back what was there (identity device space) and maps the new place. */
    place_bar(0xfebe0000, true);
    assert_entry(0xfebf0, 0xfebf0, p2m_mmio_direct);
    assert_entry(0xfebe0, REGS_MFN, p2m_ram_ro);
    /* Decoding off: gone. */
    cfg_write(0, SLOT, 0, 0x04, 2, 0);
    assert_entry(0xfebe0, 0xfebe0, p2m_mmio_direct);
    assert_int_equal(mapped_gfn, 0);
}

/* With MMCONFIG, the device's eight function pages there are trapped and answer like the ports;
 * other addresses are not the interface device's business. */
static void test_mmconfig(void **state)
{
    uint64_t fn0 = 0xb0000000ull + ((uint64_t)SLOT << 15);
    uint32_t v = 0;

    machine[3].dev = 9;
    iface_init();
    acpi.mcfg_base = 0xb0000000ull;
    iface_trap_ecam();
    for (unsigned int fn = 0; fn < 8; fn++)
        assert_entry((fn0 >> PAGE_SHIFT) + fn, ~0ull, p2m_mmio_hv);     /* not present */
    assert_int_equal(dom0_ecam_access(fn0, &v, 4, false), 0);
    assert_int_equal(v, KEEL_IFACE_VENDOR | (uint32_t)KEEL_IFACE_DEVICE << 16);
    assert_int_equal(dom0_ecam_access(fn0 + PAGE_SIZE, &v, 4, false), 0);      /* function 1 */
    assert_int_equal(v, 0xffffffffu);
    assert_int_equal(dom0_ecam_access(fn0 + 0x100, &v, 4, false), 0);          /* extended space */
    assert_int_equal(v, 0);
    v = 0xffffffff;
    assert_int_equal(dom0_ecam_access(fn0 + 0x10, &v, 4, true), 0);            /* BAR sizing */
    assert_int_equal(cfg_read(0, SLOT, 0, 0x10, 4), ~(uint32_t)(KEEL_IFACE_BAR_SIZE - 1));
    assert_int_equal(dom0_ecam_access(fn0 - PAGE_SIZE, &v, 4, false), -ENOENT);
    assert_int_equal(dom0_ecam_access(0xfee00000, &v, 4, false), -ENOENT);
    acpi.mcfg_base = 0;
    ecam_base = 0;
}

/* Over RAM, a read-only page (a foreign mapping, say) or a hole: never mapped, nothing changes. */
static void test_bar_never_covers_memory(void **state)
{
    machine[3].dev = 9;
    iface_init();
    set[0].gfn = 0xfeb00, set[0].mfn = 0x1234, set[0].t = p2m_ram_ro;
    nr_set = 1;
    place_bar(0x10000000, true);                                          /* dom0's RAM */
    assert_int_equal(mapped_gfn, 0);
    assert_entry(0x10000, 0x10000, p2m_ram_rw);
    place_bar(0xfeb00000, true);
    assert_int_equal(mapped_gfn, 0);
    assert_entry(0xfeb00, 0x1234, p2m_ram_ro);
    place_bar(HOLE_GFN << PAGE_SHIFT, true);
    assert_int_equal(mapped_gfn, 0);
    assert_int_equal(p2m_lookup(NULL, _gfn(HOLE_GFN), &(mfn_t){ 0 }, NULL), p2m_invalid);
    assert_int_equal(nr_set, 1);
}

static void test_msi_delivery(void **state)
{
    unsigned int cap;

    machine[3].dev = 9;
    iface_init();
    cap = cfg_read(0, SLOT, 0, 0x34, 1);
    iface_notify();
    assert_int_equal(ipis, 0);                                            /* no MSI yet */
    assert_int_equal(dropped, 1);
    cfg_write(0, SLOT, 0, cap + 4, 4, 0xfee04000);                        /* APIC ID 4 */
    cfg_write(0, SLOT, 0, cap + 8, 2, 0x00e1);
    cfg_write(0, SLOT, 0, cap + 2, 2, 1);
    iface_notify();
    assert_int_equal(ipis, 1);
    assert_int_equal(ipi_apic, 4);
    assert_int_equal(ipi_icr, APIC_DM_FIXED | 0xe1);
    cfg_write(0, SLOT, 0, cap + 4, 4, 0xfee00000);                        /* APIC ID 0: not dom0's */
    iface_notify();
    assert_int_equal(ipis, 1);
    assert_int_equal(dropped, 2);
    cfg_write(0, SLOT, 0, cap + 4, 4, 0xfee04000);
    cfg_write(0, SLOT, 0, cap + 8, 2, 0x0011);                            /* vector below 32 */
    iface_notify();
    assert_int_equal(ipis, 1);
    cfg_write(0, SLOT, 0, cap + 8, 2, 0x0041);
    cfg_write(0, SLOT, 0, cap + 2, 2, 0);                                 /* disabled */
    iface_notify();
    assert_int_equal(ipis, 1);
    assert_int_equal(dropped, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_slot_is_the_first_free_one, setup),
        cmocka_unit_test_setup(test_the_device_and_its_absent_functions, setup),
        cmocka_unit_test_setup(test_passthrough_to_the_machine, setup),
        cmocka_unit_test_setup(test_address_latch, setup),
        cmocka_unit_test_setup(test_bar_maps_the_register_page, setup),
        cmocka_unit_test_setup(test_bar_never_covers_memory, setup),
        cmocka_unit_test_setup(test_msi_delivery, setup),
        cmocka_unit_test_setup(test_mmconfig, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
