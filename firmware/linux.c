/*
 * Linux bzImage loading through the 32-bit boot protocol: the setup header, the zero page
 * (struct boot_params) and where the initrd goes. Offsets are those of the Linux/x86 boot
 * protocol and zero-page documents; every one used is checked below at build time.
 */
#include <keel/fw_linux.h>
#include <keel/string.h>

#define HDR_START 0x1f1                 /* the setup header, in the file and in the zero page */
#define HDR_MAGIC 0x53726448u           /* "HdrS" */
#define BOOT_FLAG 0xaa55
#define JUMP_OPCODE 0xeb                /* short jump; its offset gives the header's end */
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define LOADER_UNDEFINED 0xff           /* type_of_loader for a loader with no assigned id */
#define HEAP_END_PTR (0xe000 - 0x200)   /* the sample layout's heap end, less 0x200 */
#define RSDP_VERSION 0x020e             /* acpi_rsdp_addr is read by kernels of 2.14 and later */
#define LOW_KERNEL_GPA 0x100000ull
#define GPA_4G 0x100000000ull
#define SECTOR 512

struct linux_setup_header {
    uint8_t setup_sects;
    uint16_t root_flags;
    uint32_t syssize;
    uint16_t ram_size, vid_mode, root_dev, boot_flag, jump;
    uint32_t header;
    uint16_t version;
    uint32_t realmode_swtch;
    uint16_t start_sys_seg, kernel_version;
    uint8_t type_of_loader, loadflags;
    uint16_t setup_move_size;
    uint32_t code32_start, ramdisk_image, ramdisk_size, bootsect_kludge;
    uint16_t heap_end_ptr;
    uint8_t ext_loader_ver, ext_loader_type;
    uint32_t cmd_line_ptr, initrd_addr_max, kernel_alignment;
    uint8_t relocatable_kernel, min_alignment;
    uint16_t xloadflags;
    uint32_t cmdline_size, hardware_subarch;
    uint64_t hardware_subarch_data;
    uint32_t payload_offset, payload_length;
    uint64_t setup_data, pref_address;
    uint32_t init_size, handover_offset, kernel_info_offset;
} __packed;

struct linux_boot_params {
    uint8_t screen_info[0x40];
    uint8_t apm_bios_info[0x14];
    uint8_t pad0[4];
    uint64_t tboot_addr;
    uint8_t ist_info[0x10];
    uint64_t acpi_rsdp_addr;
    uint8_t pad1[0x48];
    uint32_t ext_ramdisk_image, ext_ramdisk_size, ext_cmd_line_ptr;
    uint8_t pad2[0x11c];
    uint8_t e820_entries;
    uint8_t pad3[6];
    uint8_t sentinel;
    uint8_t pad4;
    struct linux_setup_header hdr;
    uint8_t pad5[0x64];
    struct fw_e820_entry e820_table[FW_LINUX_E820_MAX];
    uint8_t pad6[0x330];
} __packed;

#define HDR_AT(field, off) \
    _Static_assert(HDR_START + offsetof(struct linux_setup_header, field) == (off), #field)
HDR_AT(setup_sects, 0x1f1);
HDR_AT(syssize, 0x1f4);
HDR_AT(boot_flag, 0x1fe);
HDR_AT(jump, 0x200);
HDR_AT(header, 0x202);
HDR_AT(version, 0x206);
HDR_AT(kernel_version, 0x20e);
HDR_AT(type_of_loader, 0x210);
HDR_AT(loadflags, 0x211);
HDR_AT(code32_start, 0x214);
HDR_AT(ramdisk_image, 0x218);
HDR_AT(ramdisk_size, 0x21c);
HDR_AT(heap_end_ptr, 0x224);
HDR_AT(cmd_line_ptr, 0x228);
HDR_AT(initrd_addr_max, 0x22c);
HDR_AT(kernel_alignment, 0x230);
HDR_AT(relocatable_kernel, 0x234);
HDR_AT(xloadflags, 0x236);
HDR_AT(cmdline_size, 0x238);
HDR_AT(hardware_subarch, 0x23c);
HDR_AT(pref_address, 0x258);
HDR_AT(init_size, 0x260);
HDR_AT(kernel_info_offset, 0x268);

#define BP_AT(field, off) _Static_assert(offsetof(struct linux_boot_params, field) == (off), #field)
BP_AT(acpi_rsdp_addr, 0x070);
BP_AT(ext_ramdisk_image, 0x0c0);
BP_AT(ext_ramdisk_size, 0x0c4);
BP_AT(ext_cmd_line_ptr, 0x0c8);
BP_AT(e820_entries, 0x1e8);
BP_AT(sentinel, 0x1ef);
BP_AT(hdr, HDR_START);
BP_AT(e820_table, 0x2d0);
_Static_assert(sizeof(struct fw_e820_entry) == 20, "e820 entry");
_Static_assert(sizeof(struct linux_boot_params) == FW_LINUX_ZERO_PAGE_SIZE, "zero page");

/* The header ends at the jump's target: byte 0x202 plus the jump's signed 8-bit offset. The last
 * field read here is init_size; the zero page has room up to its e820 table. */
#define HDR_MIN_END (HDR_START + offsetof(struct linux_setup_header, init_size) + 4)
#define HDR_MAX_END (offsetof(struct linux_boot_params, pad5) + sizeof(((struct linux_boot_params *)0)->pad5))

static bool is_pow2(uint32_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static bool has_nul(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0)
            return true;
    return false;
}

/* Finds the header's end and copies the header out of the image; -EINVAL unless it is a
 * bzImage header ("HdrS", boot flag, LOADED_HIGH) that the file holds entirely. */
static int read_header(const uint8_t *img, size_t len, struct linux_setup_header *h,
                       uint32_t *hdr_end)
{
    if (len < HDR_MIN_END || img[0x200] != JUMP_OPCODE || img[0x201] >= 0x80)
        return -EINVAL;
    *hdr_end = 0x202 + img[0x201];
    if (*hdr_end < HDR_MIN_END || *hdr_end > len)
        return -EINVAL;
    memset(h, 0, sizeof(*h));
    memcpy(h, img + HDR_START, MIN(*hdr_end - HDR_START, sizeof(*h)));
    if (h->header != HDR_MAGIC || h->boot_flag != BOOT_FLAG || !(h->loadflags & LOADED_HIGH))
        return -EINVAL;
    return h->version < FW_LINUX_MIN_VERSION ? -EINVAL : 0;
}

uint64_t fw_linux_kernel_gpa(const struct fw_bzimage *bz)
{
    if (!bz->relocatable)
        return LOW_KERNEL_GPA;
    if (bz->load_gpa)
        return bz->load_gpa;
    return ALIGN_UP(MAX(bz->pref_address, LOW_KERNEL_GPA), (uint64_t)bz->kernel_alignment);
}

/* The end of what the kernel uses while it unpacks: init_size from where it will run, which is
 * its load address for a relocatable kernel and pref_address for one that moves itself there. */
static uint64_t kernel_end(const struct fw_bzimage *bz)
{
    uint64_t start = fw_linux_kernel_gpa(bz);

    if (!bz->relocatable && bz->pref_address)
        start = bz->pref_address;
    return start + bz->init_size;
}

/* The kernel's placement facts: an alignment the loader can honour, a start and size that
 * keep the kernel below 4 GiB where the 32-bit entry can reach it. */
static int check_placement(const struct fw_bzimage *bz)
{
    if (bz->init_size == 0 || bz->pref_address >= GPA_4G)
        return -EINVAL;
    if (bz->relocatable && (!is_pow2(bz->kernel_alignment) || bz->kernel_alignment >= GPA_4G / 2))
        return -EINVAL;
    if (kernel_end(bz) > GPA_4G)
        return -EINVAL;
    return 0;
}

/* The kernel version string: inside the setup code, NUL-terminated there; 0 if it is not. */
static uint32_t version_string(const uint8_t *img, const struct linux_setup_header *h,
                               uint32_t pm_offset)
{
    uint32_t off = (uint32_t)h->kernel_version + 0x200;

    if (h->kernel_version == 0 || off >= pm_offset)
        return 0;
    return has_nul(img + off, pm_offset - off) ? off : 0;
}

int fw_bzimage_parse(const void *img, size_t len, struct fw_bzimage *out)
{
    struct linux_setup_header h;
    struct fw_bzimage bz = { 0 };
    int rc = read_header(img, len, &h, &bz.hdr_end);

    if (rc)
        return rc;
    bz.version = h.version;
    bz.setup_sects = h.setup_sects ? h.setup_sects : 4;
    bz.pm_offset = (bz.setup_sects + 1) * SECTOR;
    if (len <= bz.pm_offset || len - bz.pm_offset > UINT32_MAX)
        return -EINVAL;
    bz.pm_size = (uint32_t)(len - bz.pm_offset);
    if (h.syssize == 0 || (uint64_t)h.syssize * 16 > bz.pm_size)
        return -EINVAL;
    bz.pref_address = h.pref_address;
    bz.init_size = h.init_size;
    bz.kernel_alignment = h.kernel_alignment;
    bz.relocatable = h.relocatable_kernel != 0;
    bz.cmdline_size = h.cmdline_size;
    bz.initrd_addr_max = h.initrd_addr_max;
    bz.xloadflags = h.xloadflags;
    bz.version_string = version_string(img, &h, bz.pm_offset);
    rc = check_placement(&bz);
    if (rc == 0)
        *out = bz;
    return rc;
}

/* The highest page-aligned place for size bytes in one RAM entry, at or above floor and ending
 * at or below limit; 0 if there is none (0 is never above the kernel). */
static uint64_t initrd_in_entry(const struct fw_e820_entry *e, uint64_t size, uint64_t floor,
                                uint64_t limit)
{
    uint64_t end = e->size > UINT64_MAX - e->addr ? UINT64_MAX : e->addr + e->size;
    uint64_t top = MIN(end, limit), gpa;

    if (e->type != FW_E820_RAM || top < size)
        return 0;
    gpa = ALIGN_DOWN(top - size, PAGE_SIZE);
    return gpa >= e->addr && gpa >= floor ? gpa : 0;
}

int fw_linux_initrd_gpa(const struct fw_bzimage *bz, uint64_t size,
                        const struct fw_e820_entry *e820, unsigned int nr_e820, uint64_t *gpa)
{
    /* A kernel that may be loaded above 4 GiB takes its initrd anywhere (below 4 GiB here). */
    uint64_t limit = (bz->xloadflags & FW_LINUX_XLF_ABOVE_4G) ? GPA_4G :
                     MIN((uint64_t)bz->initrd_addr_max + 1, GPA_4G), best = 0;

    if (size == 0)
        return -EINVAL;
    for (unsigned int i = 0; i < nr_e820; i++)
        best = MAX(best, initrd_in_entry(&e820[i], size, kernel_end(bz), limit));
    if (best == 0)
        return -ENOSPC;
    *gpa = best;
    return 0;
}

/* Whether [gpa, gpa + size) is where the kernel can reach it: below limit + 1, or anywhere if
 * it says it can be loaded above 4 GiB. */
static bool reachable(const struct fw_bzimage *bz, uint64_t gpa, uint64_t size, uint64_t limit)
{
    if (size > UINT64_MAX - gpa)
        return false;
    return (bz->xloadflags & FW_LINUX_XLF_ABOVE_4G) || gpa + size - 1 <= limit;
}

static int check_boot_args(size_t len, const struct fw_bzimage *bz, uint64_t cmdline_gpa,
                           uint32_t cmdline_len, uint64_t initrd_gpa, uint64_t initrd_size,
                           unsigned int nr_e820)
{
    if (bz->hdr_end > len || bz->hdr_end < HDR_MIN_END || bz->hdr_end > HDR_MAX_END)
        return -EINVAL;
    if (cmdline_len > bz->cmdline_size || nr_e820 > FW_LINUX_E820_MAX)
        return -E2BIG;
    if (cmdline_gpa == 0 || !reachable(bz, cmdline_gpa, (uint64_t)cmdline_len + 1, GPA_4G - 1))
        return -EINVAL;
    if (initrd_size && !reachable(bz, initrd_gpa, initrd_size, bz->initrd_addr_max))
        return -EINVAL;
    return nr_e820 == 0 ? -EINVAL : 0;
}

int fw_linux_boot_params(void *zero_page, const void *img, size_t len, const struct fw_bzimage *bz,
                         uint64_t cmdline_gpa, uint32_t cmdline_len, uint64_t initrd_gpa,
                         uint64_t initrd_size, uint64_t rsdp_gpa,
                         const struct fw_e820_entry *e820, unsigned int nr_e820)
{
    struct linux_boot_params *bp = zero_page;
    int rc = check_boot_args(len, bz, cmdline_gpa, cmdline_len, initrd_gpa, initrd_size, nr_e820);

    memset(bp, 0, sizeof(*bp));
    if (rc)
        return rc;
    memcpy((uint8_t *)bp + HDR_START, (const uint8_t *)img + HDR_START, bz->hdr_end - HDR_START);
    bp->hdr.type_of_loader = LOADER_UNDEFINED;
    bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
    bp->hdr.heap_end_ptr = HEAP_END_PTR;
    bp->hdr.code32_start = (uint32_t)fw_linux_kernel_gpa(bz);
    bp->hdr.hardware_subarch = 0;
    bp->hdr.cmd_line_ptr = (uint32_t)cmdline_gpa;
    bp->ext_cmd_line_ptr = (uint32_t)(cmdline_gpa >> 32);
    if (initrd_size) {
        bp->hdr.ramdisk_image = (uint32_t)initrd_gpa;
        bp->ext_ramdisk_image = (uint32_t)(initrd_gpa >> 32);
        bp->hdr.ramdisk_size = (uint32_t)initrd_size;
        bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
    }
    if (rsdp_gpa && bz->version >= RSDP_VERSION)
        bp->acpi_rsdp_addr = rsdp_gpa;
    memcpy(bp->e820_table, e820, nr_e820 * sizeof(*e820));
    bp->e820_entries = (uint8_t)nr_e820;
    return 0;
}
