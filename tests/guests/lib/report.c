/* Check results: one PASS/FAIL line each, and the verdict line the hypervisor looks for. */
#include "guest.h"

static unsigned int passed, failed;

bool report(bool ok, const char *name, const char *detail_fmt, ...)
{
    unsigned int check = passed + failed + 1;
    char detail[320];
    va_list ap;

    if (ok) {
        passed++;
        printf("PASS %s\n", name);
        return true;
    }
    failed++;
    va_start(ap, detail_fmt);
    vsnprintf(detail, sizeof(detail), detail_fmt, ap);
    va_end(ap);
    /* Before printing, so the register dump shows the state at the failure. */
    guest_hypercall(KEEL_HC_TEST_FAILED, check, 0, 0, 0, 0);
    printf("FAIL %s: %s\n", name, detail);
    return false;
}

unsigned int report_summary(void)
{
    printf(KEEL_TEST_DONE_PREFIX "%u passed, %u failed\n", passed, failed);
    return failed;
}

_Noreturn void report_summary_and_exit(void)
{
    guest_exit(report_summary());
}

/*
 * The verdict, then S5 as an ACPI OS enters it: SLP_TYP 0 (Keel's _S5) with SLP_EN in PM1a
 * control. The hypervisor must end the domain as the poweroff hypercall does; if the guest is
 * still running afterwards, it says so and powers off by hypercall with code 1 (a failure).
 */
_Noreturn void report_summary_and_acpi_poweroff(void)
{
    report_summary();
    outw(GUEST_PM1A_CNT_PORT, GUEST_PM1_SLP_EN | GUEST_PM1_SLP_TYP_S5 << 10);
    printf("FAIL acpi-poweroff: the domain still runs after SLP_EN with SLP_TYP %u\n",
           GUEST_PM1_SLP_TYP_S5);
    guest_hypercall(KEEL_HC_SHUTDOWN, KEEL_SHUTDOWN_POWEROFF, 1, 0, 0, 0);
    for (;;)
        asm volatile("cli; hlt");
}
