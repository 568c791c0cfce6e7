/*
 * Direct boot of a Linux bzImage, for whoever can write a domain's memory (firmware/kboot.c):
 * the hypervisor (hv/kernel_boot.c) and the toolstack in dom0 (through foreign mappings). It
 * checks the image, places the kernel, the initrd, the command line, the ACPI tables (unless a
 * memory map and RSDP are given), the zero page and the entry blob, writes them with the
 * caller's copy function, and says how vCPU 0 must start: in real mode at
 * FW_ENTRY32_GPA >> 4 : 0, where the blob enters the kernel in 32-bit protected mode.
 */
#ifndef KEEL_FW_KBOOT_H
#define KEEL_FW_KBOOT_H

#include <keel/fw_acpi.h>
#include <keel/fw_e820.h>
#include <keel/fw_entry32.h>
#include <keel/types.h>

#define FW_KBOOT_ZERO_PAGE_GPA 0x10000  /* Linux's boot_params */
#define FW_KBOOT_CMDLINE_GPA 0x20000    /* the command line, up to 4 KiB */
#define FW_KBOOT_ACPI_GPA 0xe0000       /* ACPI tables, RSDP first, where OSes scan for it */
#define FW_KBOOT_ACPI_MAX 0x10000       /* up to 64 KiB of them */
#define FW_KBOOT_SCRATCH (FW_KBOOT_ACPI_MAX + 0x1000)  /* the caller's buffer: tables, zero page */

struct fw_kboot_linux {
    const void *image;
    size_t image_len;
    const void *initrd;             /* NULL: none */
    size_t initrd_len;
    const char *cmdline;            /* NULL: empty */
    uint64_t ram_bytes;             /* RAM from gpa 0, laid out as fw_e820_build says */
    const struct fw_acpi_cfg *acpi; /* the tables to build (their gpa is FW_KBOOT_ACPI_GPA) */
    /* Instead of the two above: the memory map to give and the RSDP already in guest memory. */
    const struct fw_e820_entry *e820;
    unsigned int nr_e820;
    uint64_t rsdp_gpa;
    uint64_t load_gpa;              /* 0, or where a relocatable kernel goes (aligned) */
    void *scratch;                  /* FW_KBOOT_SCRATCH bytes, 8-byte aligned */
};

/* Writes len bytes at gpa of the domain being built: 0 or a negative errno. */
typedef int (*fw_kboot_copy_fn)(void *ctx, uint64_t gpa, const void *src, size_t len);

struct fw_kboot_result {
    uint64_t kernel_gpa, initrd_gpa;
    uint16_t version;               /* boot protocol, (major << 8) | minor */
    const char *why;                /* on failure: what was wrong, for a log line */
};

/*
 * 0, or -ENOENT/-EINVAL (not a bzImage this loader can boot, or a broken one), -E2BIG (it does not
 * fit the RAM), -ENOSPC (no room for the initrd or the memory map), or the copy function's error;
 * out->why says which.
 */
int fw_kboot_linux(const struct fw_kboot_linux *in, fw_kboot_copy_fn copy, void *ctx,
                   struct fw_kboot_result *out);

#endif
