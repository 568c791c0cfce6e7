/*
 * Direct kernel boot (hv/kernel_boot.c): a kernel image, and optionally an initial ramdisk and
 * a command line, loaded into a new domain's memory with the boot data firmware/ builds, and
 * vCPU 0 set to start it, as QEMU's -kernel does.
 */
#ifndef KEEL_KERNEL_BOOT_H
#define KEEL_KERNEL_BOOT_H

#include <keel/domain.h>
#include <keel/fw_e820.h>

enum kernel_kind { KERNEL_MULTIBOOT, KERNEL_LINUX };

struct kernel_image {
    enum kernel_kind kind;
    const void *image;
    size_t image_len;
    const void *initrd;             /* NULL: none */
    size_t initrd_len;
    const char *cmdline;
    /* Linux only, all optional: the memory map to give it instead of one built from the
     * domain's RAM (with the machine's ACPI tables at rsdp_gpa, instead of tables built for the
     * domain), and where to load a relocatable kernel. */
    const struct fw_e820_entry *e820;
    unsigned int nr_e820;
    uint64_t rsdp_gpa;
    uint64_t load_gpa;
};

/* Where the boot data goes in guest memory (the entry blob is at FW_ENTRY32_GPA, 0x7000). */
#define KBOOT_MB_INFO_GPA 0x8000        /* multiboot information, up to 4 KiB */
#define KBOOT_SCRATCH_ORDER 5           /* firmware/kboot.c's scratch: FW_KBOOT_SCRATCH bytes */

/* 0, or -ENOENT/-EINVAL (not a kernel of that kind, or a broken one), -E2BIG (it does not fit
 * the domain's memory) or -EFAULT. The reason is logged. */
int kernel_boot_load(struct domain *d, const struct kernel_image *k);

#endif
