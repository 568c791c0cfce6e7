/*
 * Multiboot (version 1) kernels booted directly, as QEMU's -kernel does (firmware/multiboot.c):
 * finding and checking the header, the plan for loading an ELF32 image or one with the header's
 * address fields, and the boot information the kernel receives in EBX.
 */
#ifndef KEEL_FW_MULTIBOOT_H
#define KEEL_FW_MULTIBOOT_H

#include <keel/fw_e820.h>
#include <keel/types.h>

#define FW_MB1_MAGIC 0x1badb002u        /* in the header */
#define FW_MB1_BOOT_MAGIC 0x2badb002u   /* in EAX at entry */
#define FW_MB1_SEARCH 8192              /* the header lies in the first 8 KiB, 4-byte aligned */
#define FW_MB1_MAX_SEGS 8

/* Header flags. */
#define FW_MB1_PAGE_ALIGN (1u << 0)     /* modules on 4 KiB boundaries */
#define FW_MB1_MEMORY_INFO (1u << 1)    /* mem_lower/mem_upper (and the map) wanted */
#define FW_MB1_VIDEO_MODE (1u << 2)     /* a graphics mode wanted: Keel gives text only */
#define FW_MB1_AOUT_KLUDGE (1u << 16)   /* the header's address fields say where to load */

/* Boot information flags. */
#define FW_MB1_INFO_MEMORY (1u << 0)
#define FW_MB1_INFO_CMDLINE (1u << 2)
#define FW_MB1_INFO_MODS (1u << 3)
#define FW_MB1_INFO_MMAP (1u << 6)
#define FW_MB1_INFO_LOADER_NAME (1u << 9)

/* One piece of the image to copy: file bytes [offset, offset + filesz) to paddr, then zeroes
 * up to memsz. */
struct fw_mb1_seg {
    uint32_t paddr, offset, filesz, memsz;
};

struct fw_mb1_kernel {
    uint32_t header_flags;
    uint32_t entry;                     /* physical */
    uint32_t lowest, highest;           /* the physical range the segments cover [lowest, highest) */
    unsigned int nr_segs;
    struct fw_mb1_seg segs[FW_MB1_MAX_SEGS];
};

/* The boot information structure, as the kernel reads it (88 bytes: up to the VBE fields). */
struct fw_mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
    uint32_t boot_loader_name, apm_table;
    uint32_t vbe_control_info, vbe_mode_info;
    uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
} __packed;

struct fw_mb1_mmap_entry {
    uint32_t size;                      /* of the rest: 20 */
    uint64_t addr, len;
    uint32_t type;
} __packed;

struct fw_mb1_module {
    uint32_t mod_start, mod_end, string, reserved;
} __packed;

/*
 * Checks a multiboot kernel image of len bytes and says how to load it. -ENOENT: no valid
 * header (not a multiboot kernel); -EINVAL: a header or ELF file that is inconsistent, asks for
 * something unsupported (unknown required flags, ELF64 or non-x86 ELF), or loads outside
 * [1 MiB, 4 GiB).
 */
int fw_mb1_parse(const void *img, size_t len, struct fw_mb1_kernel *out);

/*
 * Builds the boot information in buf (which the kernel will find at guest-physical gpa):
 * memory sizes and the memory map from e820, the command line, the loader name, and nr_mods
 * modules (mods[i] with its string). Returns the bytes used, or -ENOSPC.
 */
struct fw_mb1_mod_desc {
    uint32_t start, end;
    const char *string;
};
long fw_mb1_build_info(void *buf, size_t len, uint32_t gpa, const struct fw_e820_entry *e820,
                       unsigned int nr_e820, const char *cmdline,
                       const struct fw_mb1_mod_desc *mods, unsigned int nr_mods);

#endif
