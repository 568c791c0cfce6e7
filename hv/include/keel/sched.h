/*
 * Placing vCPUs on physical CPUs. For now each physical CPU runs the vCPUs assigned to it in
 * turn, switching on its timer tick; fair shares, balancing and blocking come with the scheduler.
 */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <keel/domain.h>

#define SCHED_SLICE_NS (10 * 1000 * 1000ULL)

/* Puts v on physical CPU cpu's run list and wakes that CPU. */
void sched_assign(struct vcpu *v, unsigned int cpu);
/* Takes v off its CPU for good and waits until that CPU no longer runs it (before freeing it). */
void sched_remove(struct vcpu *v);
/* Makes v leave the guest soon (an IPI if it runs on another CPU). */
void sched_kick(struct vcpu *v);
/* Runs the vCPUs on this CPU's list until none is runnable; returns then. */
void sched_run_this_cpu(void);
/* The idle loop of a CPU that starts no work itself. */
__noreturn void sched_idle_loop(void);
/* Per-CPU set-up (the timer that ends slices). */
void sched_cpu_init(void);

#endif
