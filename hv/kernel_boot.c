/*
 * Direct kernel boot: load the kernel where its headers say, build its boot data with
 * firmware/, put the entry blob (firmware/entry32.S) in low memory and start vCPU 0 on it.
 */
#include <keel/domain.h>
#include <keel/fw_acpi.h>
#include <keel/fw_e820.h>
#include <keel/fw_entry32.h>
#include <keel/fw_linux.h>
#include <keel/fw_multiboot.h>
#include <keel/hvm.h>
#include <keel/kernel_boot.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vioapic.h>
#include <keel/vplatform.h>

/* Copies [offset, offset + filesz) of the image to gpa and zeroes on to memsz. */
static int load_piece(struct domain *d, const void *image, uint64_t gpa, uint64_t offset,
                      uint64_t filesz, uint64_t memsz)
{
    static const uint8_t zeroes[512];

    if (gpa + memsz > d->ram_bytes)
        return -E2BIG;
    if (domain_copy_to_guest(d, gpa, (const uint8_t *)image + offset, filesz))
        return -EFAULT;
    for (uint64_t at = filesz; at < memsz; at += sizeof(zeroes)) {
        uint64_t n = memsz - at < sizeof(zeroes) ? memsz - at : sizeof(zeroes);

        if (domain_copy_to_guest(d, gpa + at, zeroes, n))
            return -EFAULT;
    }
    return 0;
}

/* The entry blob, told where to go and with which registers; vCPU 0 starts on it. */
static int start_entry32(struct domain *d, const struct fw_entry32_params *params)
{
    size_t len = (size_t)(fw_entry32_end - fw_entry32_start);
    size_t params_off = (size_t)(fw_entry32_params - fw_entry32_start);

    if (domain_copy_to_guest(d, FW_ENTRY32_GPA, fw_entry32_start, len) ||
        domain_copy_to_guest(d, FW_ENTRY32_GPA + params_off, params, sizeof(*params)))
        return -EFAULT;
    hvm->vcpu_reset(d->vcpus[0], FW_ENTRY32_GPA >> 4, 0);
    return 0;
}

static int boot_multiboot(struct domain *d, const struct kernel_image *k)
{
    struct fw_e820_entry e820[FW_E820_MAX_ENTRIES];
    struct fw_mb1_kernel mb;
    uint8_t *info;
    long info_len;
    int n, r;

    if ((r = fw_mb1_parse(k->image, k->image_len, &mb))) {
        pr_err("d%u: %s multiboot kernel (%d)\n", d->id, r == -ENOENT ? "not a" : "a broken", r);
        return r;
    }
    for (unsigned int i = 0; i < mb.nr_segs; i++) {
        const struct fw_mb1_seg *s = &mb.segs[i];

        if ((r = load_piece(d, k->image, s->paddr, s->offset, s->filesz, s->memsz))) {
            pr_err("d%u: kernel segment at %#x (%u bytes) does not fit: %d\n", d->id, s->paddr,
                   s->memsz, r);
            return r;
        }
    }
    if ((n = fw_e820_build(d->ram_bytes, e820, FW_E820_MAX_ENTRIES)) < 0)
        return n;
    if (!(info = alloc_pages(0)))
        return -ENOMEM;
    info_len = fw_mb1_build_info(info, PAGE_SIZE, KBOOT_MB_INFO_GPA, e820, (unsigned int)n,
                                 k->cmdline, NULL, 0);
    r = info_len < 0 ? (int)info_len :
        domain_copy_to_guest(d, KBOOT_MB_INFO_GPA, info, (size_t)info_len) ? -EFAULT : 0;
    free_pages(info, 0);
    if (r)
        return r;
    pr_info("d%u: multiboot kernel, entry %#x, %u segment%s in [%#x, %#x)\n", d->id, mb.entry,
            mb.nr_segs, mb.nr_segs > 1 ? "s" : "", mb.lowest, mb.highest);
    return start_entry32(d, &(struct fw_entry32_params){
        .eip = mb.entry, .esp = FW_ENTRY32_GPA, .eax = FW_MB1_BOOT_MAGIC, .ebx = KBOOT_MB_INFO_GPA });
}

/* The ACPI tables for d's platform at KBOOT_ACPI_GPA. */
static int load_acpi(struct domain *d)
{
    struct fw_acpi_cfg cfg = {
        .nr_cpus = d->nr_vcpus, .lapic_addr = VLAPIC_MMIO_BASE, .ioapic_addr = VIOAPIC_BASE,
        .ioapic_id = (uint8_t)d->nr_vcpus, .pm_base = VPLATFORM_PM_BASE, .sci_irq = 9,
        .hpet = true, .gpa = KBOOT_ACPI_GPA,
    };
    void *buf = alloc_pages(KBOOT_ACPI_ORDER);
    long n;
    int r;

    if (!buf)
        return -ENOMEM;
    n = fw_acpi_build(&cfg, buf, PAGE_SIZE << KBOOT_ACPI_ORDER);
    r = n < 0 ? (int)n : domain_copy_to_guest(d, KBOOT_ACPI_GPA, buf, (size_t)n) ? -EFAULT : 0;
    free_pages(buf, KBOOT_ACPI_ORDER);
    return r;
}

/* A Linux bzImage through the 32-bit boot protocol. */
static int boot_linux(struct domain *d, const struct kernel_image *k)
{
    static struct fw_e820_entry e820[FW_LINUX_E820_MAX];       /* one domain built at a time */
    size_t cmdline_len = k->cmdline ? strlen(k->cmdline) : 0;
    uint64_t acpi_gpa = k->e820 ? k->rsdp_gpa : KBOOT_ACPI_GPA;
    uint64_t kernel_gpa, initrd_gpa = 0;
    struct fw_bzimage bz;
    uint8_t *zero_page;
    int n, r;

    if ((r = fw_bzimage_parse(k->image, k->image_len, &bz))) {
        pr_err("d%u: not a Linux bzImage this loader can boot (%d)\n", d->id, r);
        return r;
    }
    if (k->load_gpa && bz.relocatable && !(k->load_gpa & (bz.kernel_alignment - 1)))
        bz.load_gpa = k->load_gpa;
    kernel_gpa = fw_linux_kernel_gpa(&bz);
    if (k->e820 && k->nr_e820 <= FW_LINUX_E820_MAX)
        memcpy(e820, k->e820, k->nr_e820 * sizeof(*e820)), n = (int)k->nr_e820;
    else if ((n = fw_e820_build(d->ram_bytes, e820, FW_E820_MAX_ENTRIES)) < 0)
        return n;
    if (kernel_gpa + (bz.init_size > bz.pm_size ? bz.init_size : bz.pm_size) > d->ram_bytes ||
        cmdline_len >= PAGE_SIZE) {
        pr_err("d%u: the kernel needs more memory than the domain has\n", d->id);
        return -E2BIG;
    }
    if (k->initrd &&
        (r = fw_linux_initrd_gpa(&bz, k->initrd_len, e820, (unsigned int)n, &initrd_gpa))) {
        pr_err("d%u: no room for a %zu KiB initrd (%d)\n", d->id, k->initrd_len >> 10, r);
        return r;
    }
    if ((r = load_piece(d, k->image, kernel_gpa, bz.pm_offset, bz.pm_size, bz.pm_size)) ||
        (!k->e820 && (r = load_acpi(d))))
        return r;
    if ((k->initrd && domain_copy_to_guest(d, initrd_gpa, k->initrd, k->initrd_len)) ||
        domain_copy_to_guest(d, KBOOT_CMDLINE_GPA, k->cmdline ? k->cmdline : "", cmdline_len + 1))
        return -EFAULT;
    if (!(zero_page = alloc_pages(0)))
        return -ENOMEM;
    r = fw_linux_boot_params(zero_page, k->image, k->image_len, &bz, KBOOT_CMDLINE_GPA,
                             (uint32_t)cmdline_len, initrd_gpa, k->initrd ? k->initrd_len : 0,
                             acpi_gpa, e820, (unsigned int)n);
    if (!r && domain_copy_to_guest(d, KBOOT_ZERO_PAGE_GPA, zero_page, PAGE_SIZE))
        r = -EFAULT;
    free_pages(zero_page, 0);
    if (r) {
        pr_err("d%u: cannot build the boot parameters (%d)\n", d->id, r);
        return r;
    }
    pr_info("d%u: Linux boot protocol %u.%02u, kernel %u KiB at %#llx, initrd %zu KiB at %#llx\n",
            d->id, bz.version >> 8, bz.version & 0xff, bz.pm_size >> 10,
            (unsigned long long)kernel_gpa, k->initrd ? k->initrd_len >> 10 : 0,
            (unsigned long long)initrd_gpa);
    return start_entry32(d, &(struct fw_entry32_params){
        .eip = (uint32_t)kernel_gpa, .esp = FW_ENTRY32_GPA, .esi = KBOOT_ZERO_PAGE_GPA });
}

int kernel_boot_load(struct domain *d, const struct kernel_image *k)
{
    switch (k->kind) {
    case KERNEL_MULTIBOOT:
        return boot_multiboot(d, k);
    case KERNEL_LINUX:
        return boot_linux(d, k);
    default:
        return -EINVAL;
    }
}
