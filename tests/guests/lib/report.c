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
