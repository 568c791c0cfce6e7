/*
 * What the boot loader told us, parsed from the multiboot2 information structure (hv/boot/mb2.c).
 * Addresses are machine-physical. Strings point into the loader's structure.
 */
#ifndef KEEL_BOOTINFO_H
#define KEEL_BOOTINFO_H

#include <keel/types.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define BOOT_MAX_MEMMAP 128
#define BOOT_MAX_MODULES 64

enum mem_type {                     /* the e820 types */
    MEM_RAM = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_BAD = 5,
};

struct mem_region {
    uint64_t base, len;
    uint32_t type;
};

struct boot_module {
    uint64_t start, end;            /* [start, end) */
    const char *string;
};

struct boot_info {
    const char *cmdline;            /* "" if none */
    const char *loader_name;        /* "" if none */
    struct mem_region mem[BOOT_MAX_MEMMAP];
    unsigned int nr_mem;
    bool mem_truncated;             /* more regions than fit */
    struct boot_module mods[BOOT_MAX_MODULES];
    unsigned int nr_mods;
    uint64_t rsdp;                  /* address of the copy in the tag (0 if none) */
    unsigned int rsdp_revision;     /* 0: ACPI 1.0 RSDP (tag 14), 2: ACPI 2.0+ (tag 15) */
    uint64_t efi_system_table;      /* 0 if not booted from EFI */
    bool efi_mmap_present;          /* the loader also passed the EFI memory map */
    bool efi_boot_services_left;    /* boot services not terminated */
    uint64_t load_base_addr;        /* image load base, if the loader said */
    uint64_t info_start, info_end;  /* the multiboot2 structure itself, to reserve it */
};

/*
 * Parses the structure at info (whose first field is total_size). Every length is checked against
 * total_size and tag sizes; a malformed structure returns -EINVAL and leaves bi partly filled.
 * info_addr is its physical address, recorded in info_start/end.
 */
int mb2_parse(const void *info, uint64_t info_addr, struct boot_info *bi);

/* Sorts the memory map by base and merges adjacent regions of the same type. */
void memmap_normalise(struct boot_info *bi);

#endif
