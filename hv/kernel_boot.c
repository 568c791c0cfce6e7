/*
 * Direct kernel boot: load the kernel where its headers say, build its boot data with
 * firmware/, put the entry blob (firmware/entry32.S) in low memory and start vCPU 0 on it.
 */
#include <keel/domain.h>
#include <keel/fw_acpi.h>
#include <keel/fw_e820.h>
#include <keel/fw_entry32.h>
#include <keel/fw_kboot.h>
#include <keel/fw_linux.h>
#include <keel/fw_multiboot.h>
#include <keel/hvm.h>
#include <keel/kernel_boot.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vioapic.h>
#include <keel/vdev_pmtimer.h>
#include <keel/vplatform.h>
#include <public/keel/domctl.h>

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

/* The toolstack describes the same platform from the public constants (toolstack/builder). */
BUILD_BUG_ON(KEEL_PLATFORM_LAPIC != VLAPIC_MMIO_BASE || KEEL_PLATFORM_IOAPIC != VIOAPIC_BASE ||
             KEEL_PLATFORM_PM_BASE != VPLATFORM_PM_BASE || KEEL_PLATFORM_SCI_IRQ != PMTIMER_SCI_IRQ);

static int copy_to_domain(void *ctx, uint64_t gpa, const void *src, size_t len)
{
    return domain_copy_to_guest(ctx, gpa, src, len) ? -EFAULT : 0;
}

_Static_assert(FW_PVPANIC_PORT == VPLATFORM_PVPANIC_PORT, "the DSDT names the notifier's port");

/* A Linux bzImage through the 32-bit boot protocol (firmware/kboot.c does the work). */
static int boot_linux(struct domain *d, const struct kernel_image *k)
{
    struct fw_acpi_cfg acpi = {
        .nr_cpus = d->nr_vcpus, .lapic_addr = VLAPIC_MMIO_BASE, .ioapic_addr = VIOAPIC_BASE,
        .ioapic_id = (uint8_t)d->nr_vcpus, .pm_base = VPLATFORM_PM_BASE, .sci_irq = 9,
        .hpet = true, .pvpanic = true,
    };
    struct fw_kboot_linux in = {
        .image = k->image, .image_len = k->image_len, .initrd = k->initrd,
        .initrd_len = k->initrd_len, .cmdline = k->cmdline, .ram_bytes = d->ram_bytes,
        .acpi = &acpi, .e820 = k->e820, .nr_e820 = k->nr_e820, .rsdp_gpa = k->rsdp_gpa,
        .load_gpa = k->load_gpa,
    };
    struct fw_kboot_result res;
    int r;

    if (!(in.scratch = alloc_pages(KBOOT_SCRATCH_ORDER)))
        return -ENOMEM;
    r = fw_kboot_linux(&in, copy_to_domain, d, &res);
    free_pages(in.scratch, KBOOT_SCRATCH_ORDER);
    if (r) {
        pr_err("d%u: cannot boot its Linux kernel: %s (%d)\n", d->id, res.why, r);
        return r;
    }
    pr_info("d%u: Linux boot protocol %u.%02u, kernel %zu KiB at %#llx, initrd %zu KiB at %#llx\n",
            d->id, res.version >> 8, res.version & 0xff, k->image_len >> 10,
            (unsigned long long)res.kernel_gpa, k->initrd ? k->initrd_len >> 10 : 0,
            (unsigned long long)res.initrd_gpa);
    hvm->vcpu_reset(d->vcpus[0], FW_ENTRY32_GPA >> 4, 0);
    return 0;
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
