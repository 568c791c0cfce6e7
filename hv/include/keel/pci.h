/*
 * The machine's PCI configuration space, through configuration mechanism #1: an address written
 * at 0xCF8, then a data access at 0xCFC-0xCFF (hv/pci.c). Every user in the hypervisor, and
 * dom0's accesses passed through to the machine, go through here under one lock, so that an
 * address and the data access after it never interleave with another CPU's.
 */
#ifndef KEEL_PCI_H
#define KEEL_PCI_H

#include <keel/types.h>

#define PCI_CF8_ENABLE (1u << 31)
/* The 0xCF8 value that names the dword at reg (bits 1:0 ignored) of bus:dev.fn. */
#define PCI_CF8(bus, dev, fn, reg) \
    (PCI_CF8_ENABLE | (uint32_t)(bus) << 16 | (uint32_t)(dev) << 11 | (uint32_t)(fn) << 8 | \
     ((uint32_t)(reg) & 0xfc))

/* cf8 at 0xCF8, then a data access of size 1, 2 or 4 at 0xCFC + offset (0-3), as it is. */
uint32_t pci_cf8_read(uint32_t cf8, unsigned int offset, unsigned int size);
void pci_cf8_write(uint32_t cf8, unsigned int offset, unsigned int size, uint32_t val);

/* Aligned accesses for the hypervisor's own use; an absent function reads all ones. */
uint32_t pci_conf_read32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg);
uint16_t pci_conf_read16(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg);
uint8_t pci_conf_read8(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg);
void pci_conf_write32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg,
                      uint32_t val);

#endif
