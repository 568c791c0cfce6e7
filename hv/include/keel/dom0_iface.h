/* The Keel interface device's configuration space (hv/dom0_iface.c): pure logic. */
#ifndef KEEL_DOM0_IFACE_H
#define KEEL_DOM0_IFACE_H

#include <keel/types.h>
#include <public/keel/hypercall.h>

#define IFACE_CFG_SIZE 256

struct iface_cfg {
    uint8_t bytes[IFACE_CFG_SIZE];
    uint8_t wmask[IFACE_CFG_SIZE];      /* the bits software may change */
};

void iface_cfg_init(struct iface_cfg *c);
/* Any size (1-4) at any offset; bytes past the space read as 0 and ignore writes. */
uint32_t iface_cfg_read(const struct iface_cfg *c, unsigned int reg, unsigned int size);
void iface_cfg_write(struct iface_cfg *c, unsigned int reg, unsigned int size, uint32_t val);
/* Where BAR0 decodes now: its address with memory decoding on, else 0. */
uint64_t iface_bar(const struct iface_cfg *c);
/* The MSI dom0 programmed, if enabled and valid (fixed or lowest-priority delivery, vector >= 32):
 * its destination (an APIC ID, or a logical destination), and vector. */
bool iface_msi(const struct iface_cfg *c, uint32_t *dest, bool *logical, uint8_t *vector);

#endif
