/* Ending a test run, and stopping the machine after a fatal error. */
#ifndef KEEL_SHUTDOWN_H
#define KEEL_SHUTDOWN_H

#include <keel/types.h>

/*
 * With test_exit= on the command line, ends the emulator: QEMU's isa-debug-exit gets success ? 0 : 1
 * (QEMU exits with 1 or 3), Bochs its shutdown port. Without it, returns.
 */
void test_exit(bool success);
/* Resets the whole machine (the hypervisor restarts from the firmware). */
__noreturn void machine_restart(const char *why);
/* Stops every CPU for good (ending a test run as passed). */
__noreturn void machine_halt(const char *why);
/* Stops this CPU for good: interrupts off, halted. */
__noreturn void cpu_stop(void);
/* After a fatal error: stops the other CPUs, ends a test run as failed, and stops this CPU. */
__noreturn void fatal_stop(void);

#endif
