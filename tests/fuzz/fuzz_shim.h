/*
 * Host build of hypervisor sources for fuzz targets: the printk/panic of tests/unit/shim.h
 * without cmocka. Logging is dropped (it would slow the fuzzer down); panic() aborts, which the
 * fuzzer reports as a crash.
 */
#ifndef KEEL_FUZZ_SHIM_H
#define KEEL_FUZZ_SHIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <keel/printk.h>

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
}

void printk(enum log_level level, const char *fmt, ...)
{
}

void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    abort();
}

#endif
