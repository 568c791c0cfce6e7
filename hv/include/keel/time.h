/* Time: the TSC, calibrated at boot, as nanoseconds since the hypervisor started. */
#ifndef KEEL_TIME_H
#define KEEL_TIME_H

#include <keel/types.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL

extern uint64_t tsc_khz;            /* 0 until calibrated */

/* Nanoseconds since boot; 0 before the TSC is calibrated. */
uint64_t now_ns(void);
uint64_t ns_to_tsc(uint64_t ns);
uint64_t tsc_to_ns(uint64_t tsc);
/* The TSC value at now_ns() time ns. */
uint64_t tsc_at(uint64_t ns);
void udelay(uint64_t us);

void time_record_boot_tsc(void);
/* Reads the machine's CMOS clock (taken as UTC) once at boot; then seconds since 1970 now. */
void wallclock_init(void);
uint64_t wallclock_now(void);
/* Measures the TSC frequency (CPUID leaf 0x15, checked against the PIT). */
void tsc_calibrate(void);
/* Busy-waits for about ms milliseconds on the PIT; works before the TSC is calibrated. */
uint64_t pit_measure_tsc(unsigned int ms);

#endif
