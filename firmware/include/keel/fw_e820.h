/*
 * The guest's memory map as the BIOS E820 call and Linux's boot_params report it
 * (firmware/e820.c). RAM starts at guest-physical 0; what does not fit below the MMIO hole at
 * FW_E820_LOW_RAM_END continues at 4 GiB.
 */
#ifndef KEEL_FW_E820_H
#define KEEL_FW_E820_H

#include <keel/types.h>

#define FW_E820_RAM 1
#define FW_E820_RESERVED 2
#define FW_E820_ACPI 3
#define FW_E820_NVS 4

#define FW_E820_LOW_RAM_END 0xe0000000ull      /* the MMIO hole: up to 4 GiB */
#define FW_E820_BIOS_BASE 0xe0000ull           /* BIOS area up to 1 MiB, ACPI tables included */
#define FW_E820_MAX_ENTRIES 8

struct fw_e820_entry {          /* the layout of boot_params.e820_table and of INT 15h E820 */
    uint64_t addr, size;
    uint32_t type;
} __packed;

/*
 * Fills out with the map for ram_bytes of guest RAM, sorted and without overlaps. Returns the
 * number of entries, -ENOSPC if more than max are needed (out is then untouched), or -EINVAL if
 * ram_bytes is below 1 MiB or too large to place.
 */
int fw_e820_build(uint64_t ram_bytes, struct fw_e820_entry *out, unsigned int max);

#endif
