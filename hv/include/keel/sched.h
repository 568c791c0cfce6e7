/*
 * Running vCPUs on physical CPUs (hv/sched.c).
 *
 * Every vCPU lives on one physical CPU's run list. A CPU runs, one time slice at a time, the
 * runnable vCPU with the smallest weighted run time ("vruntime": run time scaled by
 * SCHED_WEIGHT_DEFAULT / the domain's weight), so that vCPUs sharing a CPU get time in
 * proportion to their domains' weights. A vCPU blocked in HLT or waiting for a SIPI is skipped;
 * when it wakes, its vruntime is raised to at most one slice behind the CPU's, so sleeping
 * earns no credit to hoard. vCPUs move between CPUs only while not running: an idle CPU pulls
 * a waiting vCPU, a busy CPU pushes one to an idle CPU when a slice ends, and a waking vCPU
 * goes to an idle CPU if its own is busy; always within the vCPU's hard affinity, preferring
 * its soft affinity.
 */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <keel/domain.h>

#define SCHED_SLICE_NS (10 * 1000 * 1000ULL)
#define SCHED_WEIGHT_DEFAULT 256
#define SCHED_WEIGHT_MAX 65535

/* The physical CPUs that are up, as an affinity mask. */
uint64_t sched_online_mask(void);
/* Places every vCPU of d on a CPU: vCPU 0 runs, the others wait for INIT/SIPI. */
void sched_domain_start(struct domain *d);
/* Takes v off its CPU for good and waits until that CPU no longer runs it (before freeing it). */
void sched_remove(struct vcpu *v);
/* Makes v leave the guest soon to see new events (an IPI if it runs on another CPU). */
void sched_kick(struct vcpu *v);
/* Takes v off its CPU until sched_unpause (returns once it is not running); and back. */
void sched_pause(struct vcpu *v);
void sched_unpause(struct vcpu *v);
/* An event arrived for v: unblocks it if it was halted, and makes it see the event. */
void sched_wake(struct vcpu *v);
/* v blocks (HLT, wait-for-SIPI) unless still_idle(v) turns false right after: no lost wake-up. */
void sched_block(struct vcpu *v, bool (*still_idle)(struct vcpu *v));
/* Runs the vCPUs on this CPU's list until none is runnable; returns then. */
void sched_run_this_cpu(void);
/* With interrupts disabled: looks for work (pulling from busy CPUs), halts until an interrupt
 * if there is none, and returns with interrupts enabled. */
void sched_idle(void);
/* The idle loop of a CPU that starts no work itself. */
__noreturn void sched_idle_loop(void);
/* Per-CPU set-up (the timer that ends slices). */
void sched_cpu_init(void);
/* Has CPU cpu run fn once, from its idle loop (long work, such as the test runner). */
void sched_defer_to(unsigned int cpu, void (*fn)(void));
/* Run time of v so far, in ns, the current slice included if v runs on this CPU. */
uint64_t sched_vcpu_runtime(const struct vcpu *v);
/* Run time of all of d's vCPUs, in ns (slices in progress on other CPUs not yet counted). */
uint64_t sched_domain_runtime(const struct domain *d);

#endif
