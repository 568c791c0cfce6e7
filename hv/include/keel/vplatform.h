/*
 * The virtual platform wired into domains: device models (hv/vdev/) connected to vCPUs, the
 * hypervisor's timers and the exit path. For now the local APIC of each vCPU; the other models
 * (IOAPIC, PIC, PIT, RTC, PM timer) are tested on their own and join here next.
 */
#ifndef KEEL_VPLATFORM_H
#define KEEL_VPLATFORM_H

#include <keel/domain.h>

#define VLAPIC_MMIO_BASE 0xfee00000ULL

/* Sets up each vCPU's local APIC and maps its registers (the domain's vCPUs exist). */
int vplatform_init(struct domain *d);
/* Stops the platform's timers; before the domain's vCPUs are freed. */
void vplatform_destroy(struct domain *d);
/* An MMIO access at gpa that the p2m types mmio_hv: 0 if a device took it, -ENOENT if none. */
int vplatform_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int size, bool write);
/* x2APIC MSRs and APIC_BASE: 0, -EPERM (#GP), or -ENOENT (not the platform's MSR). */
int vplatform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vplatform_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
/* The vector the vCPU should take next, or -1; vplatform_ack once it is injected. */
int vplatform_pending_irq(struct vcpu *v);
void vplatform_ack(struct vcpu *v, uint8_t vector);

#endif
