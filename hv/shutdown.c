/* Ending test runs, and stopping after a fatal error. */
#include <keel/cmdline.h>
#include <keel/cpu.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/shutdown.h>
#include <keel/smp.h>
#include <keel/traps.h>

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900

void test_exit(bool success)
{
    static const char bochs_shutdown[] = "Shutdown";

    switch (opts.test_exit) {
    case TEST_EXIT_QEMU:
        outl(QEMU_DEBUG_EXIT_PORT, success ? 0 : 1);
        break;
    case TEST_EXIT_BOCHS:
        for (const char *c = bochs_shutdown; *c; c++)
            outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*c);
        break;
    case TEST_EXIT_NONE:
        break;
    }
}

__noreturn void cpu_stop(void)
{
    for (;;) {
        irq_disable();
        halt();
    }
}

__noreturn void fatal_stop(void)
{
    if (rdmsr(MSR_GS_BASE))
        smp_stop_others();
    test_exit(false);
    cpu_stop();
}

__noreturn void panic(const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    irq_disable();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk_emergency_unlock();
    pr_err("*** Keel PANIC on CPU %u: %s\n", rdmsr(MSR_GS_BASE) ? this_cpu()->id : 0, msg);
    backtrace_from((uint64_t)read_rbp(), (uint64_t)__builtin_return_address(0));
    fatal_stop();
}
