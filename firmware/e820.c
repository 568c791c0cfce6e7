/*
 * The guest's E820 map. Low memory follows the PC: RAM up to the EBDA below 640 KiB, the VGA
 * and option-ROM window left out, and the BIOS area at 0xE0000 reserved because the ACPI tables
 * live there (the FACS must sit in memory the OS never reuses, which rules out type 3). The
 * interrupt controllers' and HPET's pages are reserved so that nothing is mapped over them.
 */
#include <keel/fw_e820.h>

#define EBDA_BASE 0x9fc00ull
#define EBDA_END 0xa0000ull
#define FOUR_GIB 0x100000000ull

static const struct fw_e820_entry fw_e820_fixed[] = {
    { EBDA_BASE, EBDA_END - EBDA_BASE, FW_E820_RESERVED },
    { FW_E820_BIOS_BASE, MiB(1) - FW_E820_BIOS_BASE, FW_E820_RESERVED },
    { 0xfec00000ull, PAGE_SIZE, FW_E820_RESERVED },         /* IOAPIC */
    { 0xfed00000ull, PAGE_SIZE, FW_E820_RESERVED },         /* HPET */
    { 0xfee00000ull, PAGE_SIZE, FW_E820_RESERVED },         /* local APICs */
};

/* Appends an entry when out is not NULL; always counts it. */
static void fw_e820_add(struct fw_e820_entry *out, unsigned int *n, uint64_t addr, uint64_t size,
                        uint32_t type)
{
    if (out)
        out[*n] = (struct fw_e820_entry){ addr, size, type };
    (*n)++;
}

/* Fixed entries that start below limit and are not yet listed, in address order. */
static void fw_e820_fixed_below(struct fw_e820_entry *out, unsigned int *n, unsigned int *next,
                                uint64_t limit)
{
    for (; *next < ARRAY_SIZE(fw_e820_fixed) && fw_e820_fixed[*next].addr < limit; (*next)++)
        fw_e820_add(out, n, fw_e820_fixed[*next].addr, fw_e820_fixed[*next].size,
                    fw_e820_fixed[*next].type);
}

static unsigned int fw_e820_fill(uint64_t ram_bytes, struct fw_e820_entry *out)
{
    uint64_t low_end = MIN(ram_bytes, FW_E820_LOW_RAM_END);
    unsigned int n = 0, next = 0;

    fw_e820_add(out, &n, 0, EBDA_BASE, FW_E820_RAM);
    fw_e820_fixed_below(out, &n, &next, MiB(1));
    if (low_end > MiB(1))
        fw_e820_add(out, &n, MiB(1), low_end - MiB(1), FW_E820_RAM);
    fw_e820_fixed_below(out, &n, &next, FOUR_GIB);
    if (ram_bytes > FW_E820_LOW_RAM_END)
        fw_e820_add(out, &n, FOUR_GIB, ram_bytes - FW_E820_LOW_RAM_END, FW_E820_RAM);
    return n;
}

int fw_e820_build(uint64_t ram_bytes, struct fw_e820_entry *out, unsigned int max)
{
    unsigned int n;

    /* High RAM ends at ram_bytes + 512 MiB: that sum must not wrap. */
    if (ram_bytes < MiB(1) || ram_bytes > UINT64_MAX - (FOUR_GIB - FW_E820_LOW_RAM_END))
        return -EINVAL;
    n = fw_e820_fill(ram_bytes, NULL);
    if (n > max)
        return -ENOSPC;
    fw_e820_fill(ram_bytes, out);
    return (int)n;
}
