/* What the two halves of the timers guest share (main.c: one interval; periodic.c: ticks). */
#ifndef TIMERS_H
#define TIMERS_H

#include "guest.h"

#define HPET 0xfed00000ul
#define HPET_CAP 0x000
#define HPET_CONFIG 0x010
#define HPET_COUNTER 0x0f0
#define HPET_T0_CONFIG 0x100
#define HPET_T0_CMP 0x108
#define HPET_T0_INT_ENB (1u << 2)
#define HPET_T0_PERIODIC (1u << 3)
#define HPET_T0_VAL_SET (1u << 6)
#define HPET_PIN 20
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define APIC_NS_PER_TICK 16         /* Keel's 1 GHz bus clock (hv/include/keel/vlapic.h) / 16 */
#define PIT_HZ 1193182u
#define PIT_PIN 2
#define VEC_LAPIC 0x23
#define VEC_PIT 0x24
#define VEC_HPET 0x26
#define PM_MASK 0xffffffu
#define PM_MS(ms) ((uint32_t)((uint64_t)(ms) * GUEST_PM_TIMER_HZ / 1000))
#define NS_PER_S 1000000000ull
/* Clocks are compared over the same interval: 2% covers how they are read under emulation. */
#define TOLERANCE_PCT 2

extern uint64_t hpet_fs;                /* the HPET's period, from its capabilities */
uint64_t hpet_read(uint32_t reg);
void hpet_write(uint32_t reg, uint64_t v);
bool within(uint64_t got, uint64_t want);   /* within TOLERANCE_PCT */
void check_periodic(void);

#endif
