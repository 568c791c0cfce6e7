/*
 * The Keel interface device's PCI configuration space (pure logic, unit-tested): a type 0
 * header with one 4 KiB memory BAR and an MSI capability (32-bit address, one vector). Accesses
 * of any size at any offset are split into bytes, each with its writable bits, as a real
 * function decodes them. hv/dom0_pci.c routes dom0's accesses here and acts on the result.
 */
#include <keel/dom0_iface.h>
#include <keel/string.h>

#define CMD_MEMORY (1u << 1)
#define CMD_MASTER (1u << 2)
#define CMD_INTX_OFF (1u << 10)
#define STATUS_CAPS (1u << 4)
#define MSI_CAP 0x40
#define MSI_CAP_ID 0x05

static void put(struct iface_cfg *c, unsigned int off, uint32_t val, unsigned int size,
                uint32_t writable)
{
    for (unsigned int i = 0; i < size; i++) {
        c->bytes[off + i] = (uint8_t)(val >> (8 * i));
        c->wmask[off + i] = (uint8_t)(writable >> (8 * i));
    }
}

void iface_cfg_init(struct iface_cfg *c)
{
    memset(c, 0, sizeof(*c));
    put(c, 0x00, KEEL_IFACE_VENDOR | (uint32_t)KEEL_IFACE_DEVICE << 16, 4, 0);
    put(c, 0x04, 0, 2, CMD_MEMORY | CMD_MASTER | CMD_INTX_OFF);
    put(c, 0x06, STATUS_CAPS, 2, 0);
    put(c, 0x08, 1 | KEEL_IFACE_CLASS << 8, 4, 0);          /* revision 1 */
    put(c, 0x10, 0, 4, ~(uint32_t)(KEEL_IFACE_BAR_SIZE - 1));  /* 32-bit memory, not prefetchable */
    put(c, 0x2c, KEEL_IFACE_VENDOR | (uint32_t)KEEL_IFACE_DEVICE << 16, 4, 0);
    put(c, 0x34, MSI_CAP, 1, 0);
    put(c, 0x3c, 0, 1, 0xff);                                /* interrupt line: any; pin: none */
    put(c, MSI_CAP, MSI_CAP_ID, 1, 0);                      /* last capability */
    put(c, MSI_CAP + 2, 0, 2, 1);                           /* control: enable only, 1 vector */
    put(c, MSI_CAP + 4, 0, 4, 0xfffffffc);                  /* address */
    put(c, MSI_CAP + 8, 0, 2, 0xffff);                      /* data */
}

uint32_t iface_cfg_read(const struct iface_cfg *c, unsigned int reg, unsigned int size)
{
    uint32_t v = 0;

    for (unsigned int i = 0; i < size; i++)
        v |= (uint32_t)(reg + i < IFACE_CFG_SIZE ? c->bytes[reg + i] : 0) << (8 * i);
    return v;
}

void iface_cfg_write(struct iface_cfg *c, unsigned int reg, unsigned int size, uint32_t val)
{
    for (unsigned int i = 0; i < size && reg + i < IFACE_CFG_SIZE; i++) {
        uint8_t m = c->wmask[reg + i];

        c->bytes[reg + i] = (uint8_t)((c->bytes[reg + i] & ~m) | ((val >> (8 * i)) & m));
    }
}

uint64_t iface_bar(const struct iface_cfg *c)
{
    uint32_t bar = iface_cfg_read(c, 0x10, 4) & ~(uint32_t)(KEEL_IFACE_BAR_SIZE - 1);

    return (iface_cfg_read(c, 0x04, 2) & CMD_MEMORY) && bar ? bar : 0;
}

bool iface_msi(const struct iface_cfg *c, uint32_t *dest, bool *logical, uint8_t *vector)
{
    uint32_t addr = iface_cfg_read(c, MSI_CAP + 4, 4), data = iface_cfg_read(c, MSI_CAP + 8, 2);
    uint32_t mode = data & 0x700;

    if (!(iface_cfg_read(c, MSI_CAP + 2, 2) & 1) || (addr >> 20) != 0xfee ||
        (mode != 0 && mode != 0x100) || (data & 0xff) < 32)
        return false;       /* off, not an APIC address, not fixed or lowest, or a bad vector */
    *dest = (addr >> 12) & 0xff;
    *logical = addr & 4;
    *vector = (uint8_t)data;
    return true;
}
