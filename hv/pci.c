/* The machine's PCI configuration space (mechanism #1): see keel/pci.h. */
#include <keel/cpu.h>
#include <keel/pci.h>
#include <keel/spinlock.h>

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

static spinlock_t lock;

uint32_t pci_cf8_read(uint32_t cf8, unsigned int offset, unsigned int size)
{
    uint16_t port = (uint16_t)(PCI_DATA + (offset & 3));
    unsigned long flags = spin_lock_irqsave(&lock);
    uint32_t v;

    outl(PCI_ADDR, cf8);
    v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
    spin_unlock_irqrestore(&lock, flags);
    return v;
}

void pci_cf8_write(uint32_t cf8, unsigned int offset, unsigned int size, uint32_t val)
{
    uint16_t port = (uint16_t)(PCI_DATA + (offset & 3));
    unsigned long flags = spin_lock_irqsave(&lock);

    outl(PCI_ADDR, cf8);
    if (size == 1)
        outb(port, (uint8_t)val);
    else if (size == 2)
        outw(port, (uint16_t)val);
    else
        outl(port, val);
    spin_unlock_irqrestore(&lock, flags);
}

uint32_t pci_conf_read32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg)
{
    return pci_cf8_read(PCI_CF8(bus, dev, fn, reg), 0, 4);
}

uint16_t pci_conf_read16(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg)
{
    return (uint16_t)pci_cf8_read(PCI_CF8(bus, dev, fn, reg), reg & 2, 2);
}

uint8_t pci_conf_read8(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg)
{
    return (uint8_t)pci_cf8_read(PCI_CF8(bus, dev, fn, reg), reg & 3, 1);
}

void pci_conf_write32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int reg,
                      uint32_t val)
{
    pci_cf8_write(PCI_CF8(bus, dev, fn, reg), 0, 4, val);
}
