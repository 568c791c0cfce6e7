/*
 * The virtual platform wired into domains: device models (hv/vdev/) connected to vCPUs, the
 * hypervisor's timers and the exit path: the local APIC of each vCPU, and the domain's IOAPIC,
 * PIC, PIT, RTC, ACPI PM timer, HPET, fw_cfg and COM1 (a 16550A on IRQ 4 whose output joins the
 * domain's console lines).
 */
#ifndef KEEL_VPLATFORM_H
#define KEEL_VPLATFORM_H

#include <keel/domain.h>

#define VLAPIC_MMIO_BASE 0xfee00000ULL
#define VPLATFORM_PM_BASE 0xb000        /* the ACPI PM block, where QEMU's and SeaBIOS's is */
#define VPLATFORM_PVPANIC_PORT 0x505    /* the panic notifier, where QEMU's pvpanic is */
#define VPLATFORM_APIC_PAGES 4          /* distinct local APIC bases a domain's vCPUs may use */
#define VPLATFORM_SLP_TYP_S5 0          /* PM1a SLP_TYP of S5 (the DSDT's _S5), as on PIIX4 */

/* Sets up each vCPU's local APIC and maps its registers (the domain's vCPUs exist). */
int vplatform_init(struct domain *d);
/* Stops the platform's timers; before the domain's vCPUs are freed. */
void vplatform_destroy(struct domain *d);
/* An MMIO access at gpa that the p2m types mmio_hv: 0 if a device took it, -ENOENT if none. */
int vplatform_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write);
/* x2APIC MSRs, APIC_BASE and TSC_DEADLINE: 0, -EPERM (#GP), or -ENOENT (not the platform's MSR). */
int vplatform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vplatform_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
/* The vector the vCPU should take next, or -1; vplatform_ack once it is injected. */
int vplatform_pending_irq(struct vcpu *v);
/* Whether the PIC's INTR is up and reaches v: vCPU 0, with LINT0 an unmasked ExtINT or the
 * local APIC off. */
bool vplatform_extint_pending(struct vcpu *v);
/* The PIC's interrupt for vCPU 0 (ExtINT): injected and acknowledged if it can go in now (true);
 * otherwise the backend has been asked for the interrupt window. */
bool vplatform_deliver_extint(struct vcpu *v);
/* Ports of the PIC (0x20, 0xa0, ELCR), the PIT (0x40-0x43, 0x61), the RTC (0x70/0x71), the
 * ACPI PM block (VPLATFORM_PM_BASE), fw_cfg (0x510-0x51b) and COM1 (0x3f8-0x3ff), the panic
 * notifier (VPLATFORM_PVPANIC_PORT) and the reset ports: 0, or -ENOENT.
 * A write of SLP_EN with SLP_TYP S5 to PM1a control powers the domain off (other sleep types
 * are ignored). */
int vplatform_io(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t *val);
void vplatform_ack(struct vcpu *v, uint8_t vector);
/* Bytes typed for the domain's COM1: returns how many its receiver took (the caller keeps the
 * rest for later). */
size_t vplatform_uart_input(struct domain *d, const uint8_t *buf, size_t len);
/* An edge interrupt with vector (32-255) at v's local APIC, as if an MSI sent it; false if v has
 * no virtual platform. */
bool vplatform_raise(struct vcpu *v, uint8_t vector);
/* Presses the domain's ACPI power button; false if it has no virtual platform. */
bool vplatform_power_button(struct domain *d);
/* Takes NMI, INIT and SIPI from v's local APIC; false while v waits for a SIPI (it blocks). */
bool vplatform_startup(struct vcpu *v);
/* NMI, INIT or SIPI waiting to be taken; and its negation, for sched_block. */
bool vplatform_startup_pending(struct vcpu *v);
bool vplatform_no_startup(struct vcpu *v);

#endif
