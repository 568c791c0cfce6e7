/*
 * dom0's PCI configuration space (ports 0xCF8-0xCFF): passed through to the machine, except the
 * Keel interface device, which the hypervisor shows at a slot of bus 0 that no device uses
 * (hv/dom0_iface.c is its configuration space). When dom0 places its BAR, a read-only page with
 * struct keel_iface_regs appears there in dom0's p2m; when dom0 enables its MSI, the hypervisor
 * notifies dom0 of event-channel ports by sending that vector to that CPU.
 */
#include <keel/apic.h>
#include <keel/dom0.h>
#include <keel/dom0_iface.h>
#include <keel/types.h>
#include <public/keel/abi.h>
#include <keel/hvm.h>
#include <keel/mm.h>
#include <keel/pci.h>
#include <keel/percpu.h>
#include <keel/platform.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/spinlock.h>

static spinlock_t lock;                 /* dom0's latch and the device, all below */
static uint32_t latch;                  /* dom0's 0xCF8 */
static unsigned int slot;               /* the interface device's device number on bus 0 */
static uint64_t ecam_base;              /* its function 0 in MMCONFIG, if trapped there */
static struct iface_cfg cfg;
static struct keel_iface_regs *regs;
static uint64_t mapped_gfn;             /* where its page is in dom0's p2m (0: nowhere) */
static mfn_t saved_mfn;                 /* what was there before (p2m_mmio_direct) */
static uint32_t msi_dest;               /* the MSI dom0 programmed, once valid */
static bool msi_logical;
static uint8_t msi_vector;
static uint64_t dropped;

/* The device takes the lowest device number from 1 up on bus 0 where the machine has none. */
void iface_init(void)
{
    for (slot = 1; slot < 32; slot++)
        if (pci_conf_read16(0, slot, 0, 0) == 0xffff)
            break;
    iface_cfg_init(&cfg);
    regs = alloc_pages(0);
    if (slot == 32 || !regs) {
        pr_err("dom0: no free PCI slot on bus 0 (or no memory): no Keel interface device\n");
        slot = 32;
        return;
    }
    *regs = (struct keel_iface_regs){ .magic = KEEL_IFACE_MAGIC, .abi_version = KEEL_ABI_VERSION,
                                      .features = KEEL_FEAT_EVTCHN | KEEL_FEAT_FOREIGN_MAP |
                                                  KEEL_FEAT_LOG_READ,
                                      .hypercall_insn = hvm->p2m_format == P2M_FORMAT_NPT ? 1 : 2 };
    pr_info("dom0: Keel interface device at PCI 00:%02x.0\n", slot);
}

/*
 * Moves the register page to where BAR0 now decodes (or away), restoring what it covered. Only a
 * page of the machine's address space that dom0 reaches directly (p2m_mmio_direct) can take it:
 * over dom0's RAM, a foreign mapping or the hypervisor's memory, putting the entry back later
 * could give dom0 a frame that is no longer its own.
 */
static void follow_bar(void)
{
    uint64_t gfn = iface_bar(&cfg) >> PAGE_SHIFT;
    enum p2m_type t;

    if (gfn == mapped_gfn)
        return;
    if (mapped_gfn)
        p2m_set_entry(&dom0->p2m, _gfn(mapped_gfn), saved_mfn, P2M_ORDER_4K, p2m_mmio_direct);
    mapped_gfn = 0;
    if (gfn) {
        t = p2m_lookup(&dom0->p2m, _gfn(gfn), &saved_mfn, NULL);
        if (t != p2m_mmio_direct) {
            pr_warn("dom0: the interface device's BAR at %#llx is over %s, not device space: "
                    "not mapped\n", (unsigned long long)(gfn << PAGE_SHIFT), p2m_type_name(t));
        } else if (!p2m_set_entry(&dom0->p2m, _gfn(gfn), _mfn(virt_to_phys(regs) >> PAGE_SHIFT),
                                  P2M_ORDER_4K, p2m_ram_ro)) {
            mapped_gfn = gfn;
        }
    }
    hvm->p2m_flush(dom0);
}

static void iface_access(unsigned int fn, unsigned int reg, unsigned int size, bool write,
                         uint32_t *val)
{
    uint8_t before;

    if (fn) {                           /* a single-function device */
        if (!write)
            *val = 0xffffffffu;
        return;
    }
    if (!write) {
        *val = iface_cfg_read(&cfg, reg, size);
        return;
    }
    before = msi_vector;

    iface_cfg_write(&cfg, reg, size, *val);
    follow_bar();
    if (!iface_msi(&cfg, &msi_dest, &msi_logical, &msi_vector))
        msi_vector = 0;
    if (msi_vector != before)
        pr_info("dom0: interface device MSI %s (address %#x, data %#x)\n",
                msi_vector ? "enabled" : "off", iface_cfg_read(&cfg, 0x44, 4),
                iface_cfg_read(&cfg, 0x48, 2));
}

void dom0_pci_io(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t *val)
{
    unsigned long flags = spin_lock_irqsave(&lock);
    unsigned int reg = (latch & 0xfc) + (port & 3);

    if (port < 0xcfc) {                 /* the address register: dword accesses only */
        if (port == 0xcf8 && size == 4)
            write ? (void)(latch = *val) : (void)(*val = latch);
        else if (!write)
            *val = 0xffffffffu;
    } else if (!(latch & PCI_CF8_ENABLE)) {
        if (!write)
            *val = 0xffffffffu;
    } else if (slot < 32 && ((latch >> 16) & 0xff) == 0 && ((latch >> 11) & 0x1f) == slot) {
        iface_access((latch >> 8) & 7, reg, size, write, val);
    } else if (write) {
        pci_cf8_write(latch, port & 3, size, *val);
    } else {
        *val = pci_cf8_read(latch, port & 3, size);
    }
    spin_unlock_irqrestore(&lock, flags);
}

/*
 * With MMCONFIG (an ACPI MCFG table), dom0 reads configuration space through memory too: the
 * interface device's eight function pages there are trapped and answered like its ports.
 */
void iface_trap_ecam(void)
{
    uint64_t base;

    if (!acpi.mcfg_base || acpi.mcfg_bus_start != 0 || slot >= 32)
        return;
    base = acpi.mcfg_base + ((uint64_t)slot << 15);
    for (unsigned int fn = 0; fn < 8; fn++)
        if (p2m_set_entry(&dom0->p2m, _gfn((base >> PAGE_SHIFT) + fn), INVALID_MFN, P2M_ORDER_4K,
                          p2m_mmio_hv))
            return;
    ecam_base = base;
    pr_info("dom0: the interface device's MMCONFIG pages at %#llx are the hypervisor's\n",
            (unsigned long long)base);
}

int dom0_ecam_access(uint64_t gpa, void *buf, unsigned int size, bool write)
{
    unsigned int fn, reg = (unsigned int)(gpa & 0xfff);
    unsigned long flags;
    uint32_t val = 0;

    if (!ecam_base || gpa < ecam_base || gpa >= ecam_base + 8 * PAGE_SIZE)
        return -ENOENT;
    fn = (unsigned int)((gpa - ecam_base) >> PAGE_SHIFT);
    if (write)
        memcpy(&val, buf, size);
    flags = spin_lock_irqsave(&lock);
    if (reg + size <= IFACE_CFG_SIZE && size <= 4)
        iface_access(fn, reg, size, write, &val);
    else if (!write)
        val = fn ? 0xffffffffu : 0;     /* extended space: empty */
    spin_unlock_irqrestore(&lock, flags);
    if (!write)
        memcpy(buf, &val, size > 4 ? 4 : size);
    return 0;
}

void iface_notify(void)
{
    uint8_t vector = __atomic_load_n(&msi_vector, __ATOMIC_ACQUIRE);
    int cpu = vector ? dom0_msi_cpu(msi_dest, msi_logical) : -1;

    if (cpu < 0) {                      /* no MSI yet, or not at one of dom0's CPUs */
        __atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    lapic_send_ipi(cpus[cpu]->apic_id, APIC_DM_FIXED | vector);
}
