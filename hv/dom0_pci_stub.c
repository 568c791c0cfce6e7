/* Until the interface device lands: dom0's PCI configuration space passes straight through. */
#include <keel/cpu.h>
#include <keel/dom0.h>
#include <keel/spinlock.h>

static spinlock_t pci_lock;
static uint32_t latch;

void iface_init(void)
{
}

void iface_notify(void)
{
}

void dom0_pci_io(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t *val)
{
    unsigned long flags = spin_lock_irqsave(&pci_lock);

    if (port == 0xcf8 && size == 4) {
        if (write)
            latch = *val;
        else
            *val = latch;
    } else if (port >= 0xcfc) {
        outl(0xcf8, latch);
        if (write)
            size == 1 ? outb(port, (uint8_t)*val) : size == 2 ? outw(port, (uint16_t)*val) : outl(port, *val);
        else
            *val = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
    } else if (!write) {
        *val = 0xffffffffu;
    }
    spin_unlock_irqrestore(&pci_lock, flags);
}
