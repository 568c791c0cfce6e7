/*
 * The victim: fills 12 MiB of its RAM with a pattern derived from its domain id, then checks
 * 100 times over a few seconds, while the hostile domain runs, that the memory has not changed.
 */
#include "isolation.h"

#define AREA_START      (2 * MiB)           /* above the image, its .bss and stack */
#define AREA_BYTES      (12 * MiB)
#define PASSES          100
#define PASS_GAP_TSC    20000000ull         /* ~10 ms at host TSC rates: spreads the passes */

static uint64_t *const area = (uint64_t *)(uintptr_t)AREA_START;
static const uint64_t area_qwords = AREA_BYTES / 8;

/* A different, well-mixed value for every qword and every domain. */
static uint64_t pattern(uint64_t seed, uint64_t i)
{
    uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ull);

    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    return x;
}

static uint64_t checksum(void)
{
    uint64_t c = 0;

    for (uint64_t i = 0; i < area_qwords; i++)
        c = ((c << 1) | (c >> 63)) ^ area[i];
    return c;
}

/* Index of the first qword that differs from the pattern, or area_qwords. */
static uint64_t first_mismatch(uint64_t seed)
{
    for (uint64_t i = 0; i < area_qwords; i++)
        if (area[i] != pattern(seed, i))
            return i;
    return area_qwords;
}

void isolation_victim(const struct keel_start_info *si)
{
    uint64_t seed = 0x6b65656c00000000ull | si->domain_id, sum, bad, start, last;
    unsigned int changed = 0, first_changed = 0;

    if (!report((uintptr_t)__end <= AREA_START && si->mem_bytes >= AREA_START + AREA_BYTES,
                "victim-layout", "image ends at %p, RAM 0x%lx: need [2 MiB, 14 MiB) free", __end,
                (unsigned long)si->mem_bytes))
        return;
    for (uint64_t i = 0; i < area_qwords; i++)
        area[i] = pattern(seed, i);
    bad = first_mismatch(seed);
    report(bad == area_qwords, "victim-fill", "qword at 0x%lx reads 0x%lx after the fill",
           (unsigned long)(AREA_START + 8 * bad), bad < area_qwords ? (unsigned long)area[bad] : 0ul);

    sum = checksum();
    start = last = rdtsc();
    for (unsigned int pass = 1; pass <= PASSES; pass++) {
        while (rdtsc() - last < PASS_GAP_TSC)
            ;
        last = rdtsc();
        if (checksum() != sum && !changed++)
            first_changed = pass;
    }
    report(!changed, "victim-checksum-stable", "checksum changed in %u of %u passes, first in pass %u",
           changed, PASSES, first_changed);
    printf("victim: %u passes over %lu TSC cycles\n", PASSES, (unsigned long)(rdtsc() - start));
    bad = first_mismatch(seed);
    report(bad == area_qwords, "victim-final-content", "qword at 0x%lx reads 0x%lx, expected 0x%lx",
           (unsigned long)(AREA_START + 8 * bad), bad < area_qwords ? (unsigned long)area[bad] : 0ul,
           (unsigned long)pattern(seed, bad));
}
