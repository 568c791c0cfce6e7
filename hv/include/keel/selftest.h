/* Boot self-checks (hv/selftest.c). */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include <keel/types.h>

bool boot_selftest(void);

#endif
