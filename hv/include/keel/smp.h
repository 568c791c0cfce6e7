/* Starting the other CPUs, and running a function on another CPU. */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include <keel/acpi.h>
#include <keel/percpu.h>

/* Sets up the boot CPU's per-CPU data and tables (after mm_init). */
void smp_init_bsp(void);
/* Starts every enabled CPU in the MADT; returns how many are online in all. */
unsigned int smp_boot_aps(const struct acpi_info *acpi);
/* Runs fn(arg) on CPU cpu with interrupts off and waits for it; -ETIMEDOUT, -ENODEV. */
/* Set once the CPUs are being stopped for good. */
extern volatile bool smp_stopping;
int smp_call_on(unsigned int cpu, void (*fn)(void *arg), void *arg);
/* Sends the stop IPI to every other online CPU (fatal errors). */
void smp_stop_others(void);

#endif
