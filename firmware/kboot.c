/* Direct Linux boot into a domain's memory through a copy function (see keel/fw_kboot.h). */
#include <keel/fw_kboot.h>
#include <keel/fw_linux.h>
#include <keel/string.h>

struct kboot {
    const struct fw_kboot_linux *in;
    fw_kboot_copy_fn copy;
    void *ctx;
    struct fw_kboot_result *out;
    struct fw_bzimage bz;
    struct fw_e820_entry e820[FW_LINUX_E820_MAX];
    unsigned int nr_e820;
    uint64_t rsdp_gpa;
};

static int refuse(struct kboot *k, int err, const char *why)
{
    k->out->why = why;
    return err;
}

/* Copies [offset, offset + len) of the image to gpa, which must be inside RAM. */
static int put(struct kboot *k, uint64_t gpa, const void *src, size_t len)
{
    int r;

    if (gpa + len < gpa || gpa + len > k->in->ram_bytes)
        return refuse(k, -E2BIG, "it does not fit the domain's memory");
    r = k->copy(k->ctx, gpa, src, len);
    return r ? refuse(k, r, "writing the domain's memory failed") : 0;
}

static int memory_map(struct kboot *k)
{
    int n;

    if (k->in->e820) {
        if (!k->in->nr_e820 || k->in->nr_e820 > FW_LINUX_E820_MAX)
            return refuse(k, -EINVAL, "the memory map given is empty or too long");
        memcpy(k->e820, k->in->e820, k->in->nr_e820 * sizeof(k->e820[0]));
        k->nr_e820 = k->in->nr_e820;
        k->rsdp_gpa = k->in->rsdp_gpa;
        return 0;
    }
    n = fw_e820_build(k->in->ram_bytes, k->e820, FW_E820_MAX_ENTRIES);
    if (n < 0)
        return refuse(k, n, "no memory map for this much RAM");
    k->nr_e820 = (unsigned int)n;
    k->rsdp_gpa = k->in->acpi ? FW_KBOOT_ACPI_GPA : 0;
    return 0;
}

static int acpi_tables(struct kboot *k)
{
    struct fw_acpi_cfg cfg;
    long n;

    if (k->in->e820 || !k->in->acpi)
        return 0;
    cfg = *k->in->acpi;
    cfg.gpa = FW_KBOOT_ACPI_GPA;
    n = fw_acpi_build(&cfg, k->in->scratch, FW_KBOOT_ACPI_MAX);
    if (n < 0)
        return refuse(k, (int)n, "the ACPI tables do not fit");
    return put(k, FW_KBOOT_ACPI_GPA, k->in->scratch, (size_t)n);
}

static int entry_blob(struct kboot *k)
{
    struct fw_entry32_params p = { .eip = (uint32_t)k->out->kernel_gpa, .esp = FW_ENTRY32_GPA,
                                   .esi = FW_KBOOT_ZERO_PAGE_GPA };
    size_t len = (size_t)(fw_entry32_end - fw_entry32_start);
    size_t params_off = (size_t)(fw_entry32_params - fw_entry32_start);
    int r = put(k, FW_ENTRY32_GPA, fw_entry32_start, len);

    return r ? r : put(k, FW_ENTRY32_GPA + params_off, &p, sizeof(p));
}

static int place(struct kboot *k)
{
    const struct fw_kboot_linux *in = k->in;
    uint64_t need = k->bz.init_size > k->bz.pm_size ? k->bz.init_size : k->bz.pm_size;
    int r;

    if (in->load_gpa && k->bz.relocatable && !(in->load_gpa & (k->bz.kernel_alignment - 1)))
        k->bz.load_gpa = in->load_gpa;
    k->out->kernel_gpa = fw_linux_kernel_gpa(&k->bz);
    if (k->out->kernel_gpa + need > in->ram_bytes)
        return refuse(k, -E2BIG, "the kernel needs more memory than the domain has");
    if (in->initrd && (r = fw_linux_initrd_gpa(&k->bz, in->initrd_len, k->e820, k->nr_e820,
                                               &k->out->initrd_gpa)))
        return refuse(k, r, "no room for the initrd");
    return 0;
}

static int zero_page(struct kboot *k, size_t cmdline_len)
{
    const struct fw_kboot_linux *in = k->in;
    void *zp = (uint8_t *)in->scratch + FW_KBOOT_ACPI_MAX;
    int r;

    memset(zp, 0, 0x1000);
    r = fw_linux_boot_params(zp, in->image, in->image_len, &k->bz, FW_KBOOT_CMDLINE_GPA,
                             (uint32_t)cmdline_len, k->out->initrd_gpa,
                             in->initrd ? in->initrd_len : 0, k->rsdp_gpa, k->e820, k->nr_e820);
    if (r)
        return refuse(k, r, "cannot build the boot parameters");
    return put(k, FW_KBOOT_ZERO_PAGE_GPA, zp, 0x1000);
}

int fw_kboot_linux(const struct fw_kboot_linux *in, fw_kboot_copy_fn copy, void *ctx,
                   struct fw_kboot_result *out)
{
    static struct kboot k;              /* one domain is built at a time by each user */
    size_t cmdline_len = in->cmdline ? strlen(in->cmdline) : 0;
    int r;

    memset(&k, 0, sizeof(k));
    memset(out, 0, sizeof(*out));
    k.in = in, k.copy = copy, k.ctx = ctx, k.out = out;
    if ((r = fw_bzimage_parse(in->image, in->image_len, &k.bz)))
        return refuse(&k, r, "not a Linux bzImage this loader can boot");
    out->version = k.bz.version;
    if (cmdline_len >= 0x1000 || cmdline_len > k.bz.cmdline_size)
        return refuse(&k, -E2BIG, "the command line is too long for this kernel");
    if ((r = memory_map(&k)) || (r = place(&k)) ||
        (r = put(&k, out->kernel_gpa, (const uint8_t *)in->image + k.bz.pm_offset, k.bz.pm_size)) ||
        (r = acpi_tables(&k)) ||
        (in->initrd && (r = put(&k, out->initrd_gpa, in->initrd, in->initrd_len))) ||
        (r = put(&k, FW_KBOOT_CMDLINE_GPA, in->cmdline ? in->cmdline : "", cmdline_len + 1)) ||
        (r = zero_page(&k, cmdline_len)) || (r = entry_blob(&k)))
        return r;
    return 0;
}
