/*
 * dom0, the control domain (hv/dom0.c): Debian Linux on CPUs of its own, with its RAM
 * identity-mapped to machine memory, the machine's devices, and the Keel interface device.
 */
#ifndef KEEL_DOM0_H
#define KEEL_DOM0_H

#include <keel/bootinfo.h>
#include <keel/domain.h>

#define DOM0_MAX_RANGES 32

struct dom0_layout {
    uint64_t bytes;                         /* RAM given to dom0 */
    unsigned int nr_ranges;
    struct { uint64_t start, end; } ram[DOM0_MAX_RANGES];   /* machine = guest-physical */
};

/* The control domain once built, else NULL; its ID is KEEL_DOM0 (0). */
extern struct domain *dom0;
/* Physical CPUs dom0's vCPUs own (bit n: CPU n); 0 without dom0. */
extern uint64_t dom0_cpu_mask;
extern struct dom0_layout dom0_layout;

struct fw_e820_entry;
/* dom0's memory map from the machine's (hv/dom0_e820.c): its RAM usable, the rest of RAM and the
 * page rsdp_page reserved, the firmware's regions as they are; at most FW_LINUX_E820_MAX entries,
 * merged where adjacent. Returns the number of entries. */
unsigned int dom0_e820(const struct mem_region *mem, unsigned int nr_mem, const struct dom0_layout *l,
                       uint64_t rsdp_page, struct fw_e820_entry *e);

/* Early, before the frame allocator: whether the loader passed a dom0 kernel. */
bool dom0_present(const struct boot_info *bi);
/* Builds dom0 from the loader's modules and runs it on CPU 0; does not return. beside (if not
 * NULL) then runs on the first CPU that is not dom0's. */
__noreturn void dom0_build_and_run(const struct boot_info *bi, void (*beside)(void));
/* Makes every dom0 vCPU leave the guest once (an NMI), so it sees changed state (p2m flushes). */
void dom0_kick(void);
/* True on a physical CPU that belongs to dom0: no hypervisor timers or other vCPUs run there. */
bool cpu_is_dom0(unsigned int cpu);

/* dom0's exits (hv/dom0_exits.c). */
bool dom0_io(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t *val);
int dom0_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write);
int dom0_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int dom0_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
void dom0_prepare_entry(struct vcpu *v);
/* The first of dom0's CPUs that an interrupt message for dest (logical: as dom0 set its APICs'
 * logical IDs) reaches, or -1. */
int dom0_msi_cpu(uint32_t dest, bool logical);
/* dom0 sent INIT (init) or a SIPI with vector to one of its other vCPUs. */
void dom0_start_vcpu(struct vcpu *v, bool init, uint8_t vector);

/*
 * The Keel interface device and dom0's PCI configuration space (hv/dom0_pci.c). Port I/O dom0
 * makes at 0xCF8-0xCFF (except the byte at 0xCF9, the reset control) comes here: everything is
 * passed to the machine except the interface device, which is emulated.
 */
void iface_init(void);
void dom0_pci_io(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t *val);
/* Traps the interface device's MMCONFIG pages in dom0's p2m (if there is MMCONFIG); then
 * dom0_ecam_access answers dom0's accesses there (0), or -ENOENT for any other address. */
void iface_trap_ecam(void);
int dom0_ecam_access(uint64_t gpa, void *buf, unsigned int size, bool write);
/* Notifies dom0 that an event-channel port is pending (its MSI vector, sent to its CPU). */
void iface_notify(void);

#endif
