/*
 * Host build of hypervisor sources for unit tests. A test program includes the system headers and
 * cmocka first, then this file, then the hypervisor .c files it tests (one program per test file).
 * Logging goes to stderr; panic() becomes a cmocka assertion so tests can expect it.
 */
#ifndef KEEL_UNIT_SHIM_H
#define KEEL_UNIT_SHIM_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <keel/printk.h>

#ifndef SHIM_NO_PRINTK
void vprintk(enum log_level level, const char *fmt, va_list ap)
{
    if (getenv("KEEL_UNIT_VERBOSE"))
        vfprintf(stderr, fmt, ap);
}

void printk(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}
#endif

#ifndef SHIM_NO_PANIC
void panic(const char *fmt, ...)
{
    static char msg[512];   /* cmocka prints it after longjmp-ing off this stack */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mock_assert(0, msg, __FILE__, __LINE__);
    abort();
}
#endif

#endif
