/* Ending test runs, and stopping after a fatal error. */
#include <keel/platform.h>
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

/* The ways a PC resets, in the order that works on most: the reset control register, the
 * keyboard controller's pulse, then a triple fault. */
__noreturn void machine_restart(const char *why)
{
    static const struct { uint64_t limit, base; } __attribute__((packed)) no_idt = { 0, 0 };

    pr_info("Keel: restarting the machine: %s\n", why);
    irq_disable();
    if (rdmsr(MSR_GS_BASE))
        smp_stop_others();
    if (acpi.reset_reg_valid)
        outb(acpi.reset_port, acpi.reset_value);
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06);
    for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
        ;
    outb(0x64, 0xfe);
    __asm__ volatile("lidt %0; int3" :: "m"(no_idt));
    cpu_stop();
}

__noreturn void machine_halt(const char *why)
{
    pr_info("Keel: stopping the machine: %s\n", why);
    if (rdmsr(MSR_GS_BASE))
        smp_stop_others();
    test_exit(true);
    cpu_stop();
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
