/* Function names for backtraces, from the table the build appends to the image (.ksyms). */
#include <keel/traps.h>

extern const uint64_t ksym_count;
extern const uint64_t ksym_addrs[];
extern const uint32_t ksym_name_offs[];
extern const char ksym_names[];
extern char __text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    uint64_t lo = 0, hi = ksym_count;

    if (!ksym_count || addr < ksym_addrs[0] || addr >= (uint64_t)__text_end)
        return NULL;
    while (hi - lo > 1) {                   /* last symbol whose address is <= addr */
        uint64_t mid = lo + (hi - lo) / 2;

        if (ksym_addrs[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - ksym_addrs[lo];
    return ksym_names + ksym_name_offs[lo];
}
