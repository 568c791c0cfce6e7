/* The IOAPIC at 0xFEC00000 (24 pins): routing a pin to the boot vCPU's local APIC. */
#include "guest.h"

#define IOAPIC_BASE 0xfec00000ul
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin))
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

static void ioapic_write(uint32_t index, uint32_t val)
{
    *(volatile uint32_t *)IOAPIC_BASE = index;
    *(volatile uint32_t *)(IOAPIC_BASE + 0x10) = val;
}

void guest_ioapic_route(unsigned int pin, uint8_t vector, bool level)
{
    ioapic_write(IOAPIC_REDIR(pin) + 1, 0);                 /* destination: APIC ID 0 */
    ioapic_write(IOAPIC_REDIR(pin), vector | (level ? RTE_LEVEL : 0));
}

void guest_ioapic_mask(unsigned int pin)
{
    ioapic_write(IOAPIC_REDIR(pin), RTE_MASKED);
}
