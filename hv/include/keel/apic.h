/* The physical local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode, and its timer. */
#ifndef KEEL_APIC_H
#define KEEL_APIC_H

#include <keel/types.h>

#define APIC_ID        0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_EOI       0x0b0
#define APIC_SVR       0x0f0
#define APIC_ESR       0x280
#define APIC_ICR       0x300
#define APIC_ICR2      0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TMICT     0x380
#define APIC_TMCCT     0x390
#define APIC_TDCR      0x3e0

#define APIC_DM_FIXED  0x000
#define APIC_DM_NMI    0x400
#define APIC_DM_INIT   0x500
#define APIC_DM_SIPI   0x600
#define APIC_LEVEL_ASSERT (1u << 14)
#define APIC_LVT_MASKED (1u << 16)

/* Decides xAPIC or x2APIC (x2APIC whenever the CPU has it) and maps the registers. */
void lapic_init_bsp(paddr_t acpi_lapic_addr);
/* Enables this CPU's APIC in the chosen mode, masks LINT0 (the PIC is unused) and the timer. */
void lapic_init_cpu(void);
bool lapic_is_x2apic(void);
/* This CPU's APIC register at an xAPIC offset, in either mode (for dom0's view of its APIC). */
uint32_t lapic_reg_read(uint32_t reg);
void lapic_reg_write(uint32_t reg, uint32_t v);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Sends an IPI (icr_low: vector | delivery mode | level) to one APIC ID; false on timeout. */
bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);

/* Timer: TSC-deadline mode when the CPU has it, else one-shot with a calibrated rate. */
void lapic_timer_calibrate(void);
bool lapic_timer_uses_tsc_deadline(void);
/* Interrupt at VEC_TIMER when the TSC reaches tsc (0: disarm). */
void lapic_timer_arm(uint64_t tsc);

#endif
