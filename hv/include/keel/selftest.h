/* Boot self-checks (hv/selftest.c). */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include <keel/types.h>

bool boot_selftest(void);
/* bench=1: the native halves of the benchmarks (hv/bench.c). */
void bench_native(void);

#endif
