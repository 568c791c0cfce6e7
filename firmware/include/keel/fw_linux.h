/*
 * Booting a Linux bzImage through the 32-bit boot protocol (firmware/linux.c).
 *
 * The loader parses the image (fw_bzimage_parse), copies its protected-mode part, the file's bytes
 * [pm_offset, pm_offset + pm_size), to fw_linux_kernel_gpa(), puts the command line, the initrd
 * (fw_linux_initrd_gpa) and a 4 KiB zero page in guest RAM, fills the zero page
 * (fw_linux_boot_params), and starts the vCPU at fw_linux_kernel_gpa() in 32-bit protected mode
 * with paging off: CS selector 0x10 and DS, ES, SS 0x18, both flat 4 GiB segments in a loaded GDT,
 * interrupts off, ESI the zero page's address, EBP, EDI and EBX zero.
 *
 * The image is input from outside the hypervisor: every offset and length in it is checked
 * against the image's size before use.
 */
#ifndef KEEL_FW_LINUX_H
#define KEEL_FW_LINUX_H

#include <keel/fw_e820.h>
#include <keel/types.h>

#define FW_LINUX_BOOT_CS 0x10
#define FW_LINUX_BOOT_DS 0x18
#define FW_LINUX_ZERO_PAGE_SIZE 4096
#define FW_LINUX_E820_MAX 128               /* entries the zero page holds */
#define FW_LINUX_MIN_VERSION 0x020c          /* 2.12: xloadflags and the ext_ fields */

#define FW_LINUX_XLF_KERNEL_64 (1u << 0)    /* has the 64-bit entry point at 0x200 */
#define FW_LINUX_XLF_ABOVE_4G (1u << 1)     /* kernel, command line, initrd may be above 4 GiB */

struct fw_bzimage {             /* what the loader needs from the setup header, checked */
    uint16_t version;           /* boot protocol, (major << 8) | minor */
    unsigned int setup_sects;   /* 512-byte setup sectors after the boot sector (0 read as 4) */
    uint32_t hdr_end;           /* the setup header is the file's bytes [0x1f1, hdr_end) */
    uint32_t pm_offset;         /* where the protected-mode kernel starts in the file */
    uint32_t pm_size;           /* its length: the rest of the file, signatures included */
    uint64_t pref_address;      /* where the kernel prefers to run (a fixed kernel must run there) */
    uint32_t init_size;         /* memory it needs from its start address while it unpacks */
    uint32_t kernel_alignment;  /* a power of two when relocatable */
    bool relocatable;
    uint32_t cmdline_size;      /* longest command line, without its NUL */
    uint32_t initrd_addr_max;   /* highest byte the initrd may occupy (below 4 GiB) */
    uint16_t xloadflags;        /* FW_LINUX_XLF_* */
    uint32_t version_string;    /* file offset of the NUL-terminated kernel version, or 0 */
    uint64_t load_gpa;          /* set by the loader (0 after parsing): where to load a
                                   relocatable kernel instead of pref_address, suitably aligned */
};

/* Returns 0 and fills out, or -EINVAL: no "HdrS" bzImage of protocol >= FW_LINUX_MIN_VERSION,
 * or a size, offset or alignment in the header that the file or the protocol does not allow. */
int fw_bzimage_parse(const void *img, size_t len, struct fw_bzimage *out);

/* Where the protected-mode part goes: pref_address for a relocatable kernel (so it need not
 * move), 1 MiB for one that moves itself to pref_address. Below 4 GiB. */
uint64_t fw_linux_kernel_gpa(const struct fw_bzimage *bz);

/*
 * Where an initrd of size bytes goes: the highest page-aligned gpa with gpa + size at most
 * min(initrd_addr_max + 1, 4 GiB) inside one RAM entry of e820, and above the memory the kernel
 * uses while it unpacks (its run-time start plus init_size). Returns 0, -EINVAL for size 0, or
 * -ENOSPC when no RAM entry has room.
 */
int fw_linux_initrd_gpa(const struct fw_bzimage *bz, uint64_t size,
                        const struct fw_e820_entry *e820, unsigned int nr_e820, uint64_t *gpa);

/*
 * Fills the zero page (FW_LINUX_ZERO_PAGE_SIZE bytes) for the image that bz describes: the setup
 * header copied from the image, the loader's fields (type_of_loader 0xff, LOADED_HIGH and
 * CAN_USE_HEAP with heap_end_ptr, code32_start, hardware_subarch 0), the command line at
 * cmdline_gpa (cmdline_len bytes and a NUL), the initrd (none if initrd_size is 0), the RSDP
 * (when rsdp_gpa is not 0 and protocol >= 2.14) and the memory map. Returns 0; -EINVAL if bz does
 * not fit img, the command line pointer is 0, or the command line or initrd lie where the kernel
 * cannot reach them; -E2BIG if the command line is longer than cmdline_size or e820 has more than
 * FW_LINUX_E820_MAX entries (-EINVAL for none). On error the zero page is left zeroed.
 */
int fw_linux_boot_params(void *zero_page, const void *img, size_t len, const struct fw_bzimage *bz,
                         uint64_t cmdline_gpa, uint32_t cmdline_len, uint64_t initrd_gpa,
                         uint64_t initrd_size, uint64_t rsdp_gpa,
                         const struct fw_e820_entry *e820, unsigned int nr_e820);

#endif
