/*
 * The multiboot2 information structure: u32 total_size, u32 reserved, then tags on 8-byte
 * boundaries, each u32 type and u32 size (padding not included), ending with a type 0 tag.
 * The structure comes from the boot loader and may be corrupt, so every offset is checked
 * against total_size and the tag's own size before anything is read.
 */
#include <keel/bootinfo.h>
#include <keel/printk.h>
#include <keel/string.h>

enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_MMAP = 6,
    MB2_TAG_EFI64 = 12,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_EFI_MMAP = 17,
    MB2_TAG_EFI_BS = 18,
    MB2_TAG_LOAD_BASE = 21,
};

#define MB2_HDR_SIZE 8u             /* total_size, reserved */
#define MB2_TAG_HDR 8u              /* type, size */
#define MB2_MMAP_HDR 16u            /* tag header, entry_size, entry_version */
#define MB2_MMAP_ENTRY_MIN 24u      /* u64 base, u64 len, u32 type, u32 reserved */
#define ACPI_RSDP_V1_LEN 20u
#define ACPI_RSDP_V2_LEN 36u

/* A tag, already checked to lie within the structure. */
struct mb2_tag {
    const uint8_t *p;               /* the tag header */
    uint32_t size;                  /* header included, padding not */
    uint64_t pa;
};

typedef int (*mb2_tag_fn)(const struct mb2_tag *tag, struct boot_info *bi);

static uint32_t mb2_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t mb2_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* A string at off within the tag; it must end with a NUL before the tag does. */
static int mb2_string(const struct mb2_tag *tag, uint32_t off, const char **out)
{
    const char *s = (const char *)tag->p + off;

    if (off >= tag->size || strnlen(s, tag->size - off) == tag->size - off)
        return -EINVAL;
    *out = s;
    return 0;
}

static int mb2_tag_cmdline(const struct mb2_tag *tag, struct boot_info *bi)
{
    return mb2_string(tag, MB2_TAG_HDR, &bi->cmdline);
}

static int mb2_tag_loader_name(const struct mb2_tag *tag, struct boot_info *bi)
{
    return mb2_string(tag, MB2_TAG_HDR, &bi->loader_name);
}

static int mb2_tag_module(const struct mb2_tag *tag, struct boot_info *bi)
{
    struct boot_module mod;

    /* A terminated string at offset 16 also proves the two addresses before it are there. */
    if (mb2_string(tag, 16, &mod.string))
        return -EINVAL;
    mod.start = mb2_u32(tag->p + 8);
    mod.end = mb2_u32(tag->p + 12);
    if (mod.end < mod.start)
        return -EINVAL;
    if (bi->nr_mods >= BOOT_MAX_MODULES) {
        pr_warn("mb2: module '%s' at %#llx ignored, only %d modules are kept\n",
                mod.string, (unsigned long long)mod.start, BOOT_MAX_MODULES);
        return 0;
    }
    bi->mods[bi->nr_mods++] = mod;
    return 0;
}

static void mb2_add_region(struct boot_info *bi, const uint8_t *e)
{
    struct mem_region r = { mb2_u64(e), mb2_u64(e + 8), mb2_u32(e + 16) };

    /* A region running past 2^64 would make every later end computation wrap. */
    if (r.len > UINT64_MAX - r.base)
        r.len = UINT64_MAX - r.base;
    if (bi->nr_mem < BOOT_MAX_MEMMAP) {
        bi->mem[bi->nr_mem++] = r;
    } else if (!bi->mem_truncated) {
        bi->mem_truncated = true;
        pr_warn("mb2: memory map has more than %d regions, the rest are ignored\n",
                BOOT_MAX_MEMMAP);
    }
}

static int mb2_tag_mmap(const struct mb2_tag *tag, struct boot_info *bi)
{
    uint32_t entry_size, off;

    if (tag->size < MB2_MMAP_HDR)
        return -EINVAL;
    entry_size = mb2_u32(tag->p + 8);
    /* Later versions may append fields to an entry; entry_size says where the next one starts. */
    if (entry_size < MB2_MMAP_ENTRY_MIN || (tag->size - MB2_MMAP_HDR) % entry_size)
        return -EINVAL;
    for (off = MB2_MMAP_HDR; off < tag->size; off += entry_size)
        mb2_add_region(bi, tag->p + off);
    return 0;
}

static int mb2_tag_acpi_old(const struct mb2_tag *tag, struct boot_info *bi)
{
    if (tag->size < MB2_TAG_HDR + ACPI_RSDP_V1_LEN)
        return -EINVAL;
    /* A loader may pass both copies; the ACPI 2.0 one has the XSDT and wins. */
    if (bi->rsdp && bi->rsdp_revision >= 2)
        return 0;
    bi->rsdp = tag->pa + MB2_TAG_HDR;
    bi->rsdp_revision = 0;
    return 0;
}

static int mb2_tag_acpi_new(const struct mb2_tag *tag, struct boot_info *bi)
{
    if (tag->size < MB2_TAG_HDR + ACPI_RSDP_V2_LEN)
        return -EINVAL;
    bi->rsdp = tag->pa + MB2_TAG_HDR;
    bi->rsdp_revision = 2;
    return 0;
}

static int mb2_tag_efi64(const struct mb2_tag *tag, struct boot_info *bi)
{
    if (tag->size < 16)
        return -EINVAL;
    bi->efi_system_table = mb2_u64(tag->p + 8);
    return 0;
}

static int mb2_tag_efi_mmap(const struct mb2_tag *tag, struct boot_info *bi)
{
    if (tag->size < 16)             /* descriptor_size, descriptor_version */
        return -EINVAL;
    bi->efi_mmap_present = true;
    return 0;
}

static int mb2_tag_efi_bs(const struct mb2_tag *tag, struct boot_info *bi)
{
    bi->efi_boot_services_left = true;
    return 0;
}

static int mb2_tag_load_base(const struct mb2_tag *tag, struct boot_info *bi)
{
    if (tag->size < 12)
        return -EINVAL;
    bi->load_base_addr = mb2_u32(tag->p + 8);
    return 0;
}

/* Tags not listed (framebuffer, ELF sections, APM, network, ...) are of no use to us. */
static const mb2_tag_fn mb2_tag_handlers[] = {
    [MB2_TAG_CMDLINE] = mb2_tag_cmdline,
    [MB2_TAG_LOADER_NAME] = mb2_tag_loader_name,
    [MB2_TAG_MODULE] = mb2_tag_module,
    [MB2_TAG_MMAP] = mb2_tag_mmap,
    [MB2_TAG_EFI64] = mb2_tag_efi64,
    [MB2_TAG_ACPI_OLD] = mb2_tag_acpi_old,
    [MB2_TAG_ACPI_NEW] = mb2_tag_acpi_new,
    [MB2_TAG_EFI_MMAP] = mb2_tag_efi_mmap,
    [MB2_TAG_EFI_BS] = mb2_tag_efi_bs,
    [MB2_TAG_LOAD_BASE] = mb2_tag_load_base,
};

static int mb2_handle_tag(uint32_t type, const struct mb2_tag *tag, struct boot_info *bi)
{
    int ret;

    if (type >= ARRAY_SIZE(mb2_tag_handlers) || !mb2_tag_handlers[type])
        return 0;
    ret = mb2_tag_handlers[type](tag, bi);
    if (ret)
        pr_warn("mb2: malformed tag type %u (size %u) at %#llx\n",
                type, tag->size, (unsigned long long)tag->pa);
    return ret;
}

int mb2_parse(const void *info, uint64_t info_addr, struct boot_info *bi)
{
    const uint8_t *base = info;
    uint32_t total = mb2_u32(base), type;
    uint64_t off;
    struct mb2_tag tag;

    memset(bi, 0, sizeof(*bi));
    bi->cmdline = "";
    bi->loader_name = "";
    bi->info_start = info_addr;
    bi->info_end = info_addr + total;
    if (total < MB2_HDR_SIZE) {
        pr_warn("mb2: total_size %u is too small\n", total);
        return -EINVAL;
    }
    /* off stays within total + 7, so neither side of the comparisons below can wrap. */
    for (off = MB2_HDR_SIZE; off + MB2_TAG_HDR <= total; off += ALIGN_UP(tag.size, 8u)) {
        tag.p = base + off;
        tag.pa = info_addr + off;
        type = mb2_u32(tag.p);
        tag.size = mb2_u32(tag.p + 4);
        if (tag.size < MB2_TAG_HDR || tag.size > total - off) {
            pr_warn("mb2: tag type %u at offset %llu has bad size %u (total_size %u)\n",
                    type, (unsigned long long)off, tag.size, total);
            return -EINVAL;
        }
        if (type == MB2_TAG_END)
            return 0;
        if (mb2_handle_tag(type, &tag, bi))
            return -EINVAL;
    }
    pr_warn("mb2: no end tag within total_size %u\n", total);
    return -EINVAL;
}

/* --- memory map normalisation ---------------------------------------------------------------- */

/* Where types overlap, the higher rank wins: any use restriction beats plain RAM. */
static unsigned int memmap_rank(uint32_t type)
{
    switch (type) {
    case MEM_RAM:
        return 0;
    case MEM_ACPI:
        return 1;                   /* reclaimable once the tables are read */
    case MEM_NVS:
        return 2;
    case MEM_BAD:
        return 4;
    default:
        return 3;                   /* reserved, and types we do not know */
    }
}

static bool memmap_beats(uint32_t a, uint32_t b)
{
    unsigned int ra = memmap_rank(a), rb = memmap_rank(b);

    return ra > rb || (ra == rb && a > b);
}

static uint64_t memmap_end(const struct mem_region *r)
{
    return r->len > UINT64_MAX - r->base ? UINT64_MAX : r->base + r->len;
}

/* The lowest region edge (start or end) above after; false if there is none. */
static bool memmap_next_edge(const struct boot_info *bi, uint64_t after, uint64_t *edge)
{
    bool found = false;
    unsigned int i;

    for (i = 0; i < bi->nr_mem; i++) {
        const struct mem_region *r = &bi->mem[i];
        uint64_t start = r->base, end = memmap_end(r);

        if (start == end)
            continue;
        if (start > after && (!found || start < *edge)) {
            *edge = start;
            found = true;
        }
        if (end > after && (!found || end < *edge)) {
            *edge = end;
            found = true;
        }
    }
    return found;
}

/* The winning type at addr, or 0 if no region covers it. */
static uint32_t memmap_type_at(const struct boot_info *bi, uint64_t addr)
{
    uint32_t type = 0;
    unsigned int i;

    for (i = 0; i < bi->nr_mem; i++) {
        const struct mem_region *r = &bi->mem[i];

        if (r->base <= addr && addr < memmap_end(r) && (!type || memmap_beats(r->type, type)))
            type = r->type;
    }
    return type;
}

/* Appends [start, end) to out, extending the last region when it continues it. */
static bool memmap_emit(struct mem_region *out, unsigned int *n, uint64_t start, uint64_t end,
                        uint32_t type)
{
    struct mem_region *last = *n ? &out[*n - 1] : NULL;

    if (last && last->type == type && last->base + last->len == start) {
        last->len += end - start;
        return true;
    }
    if (*n == BOOT_MAX_MEMMAP)
        return false;
    out[(*n)++] = (struct mem_region){ start, end - start, type };
    return true;
}

/*
 * Every region edge splits the address space into pieces over which the set of covering regions
 * is constant; each piece gets the winning type, and neighbours of one type are joined. Splitting
 * can yield more regions than came in, so the result is built aside and may be cut short. Boot
 * runs on one CPU, and the scratch array is too big for the boot stack.
 */
void memmap_normalise(struct boot_info *bi)
{
    static struct mem_region out[BOOT_MAX_MEMMAP];
    unsigned int n = 0;
    uint64_t start = 0, end;
    uint32_t type;

    if (memmap_type_at(bi, 0) == 0 && !memmap_next_edge(bi, 0, &start))
        start = UINT64_MAX;
    while (start != UINT64_MAX && memmap_next_edge(bi, start, &end)) {
        type = memmap_type_at(bi, start);
        if (type && !memmap_emit(out, &n, start, end, type)) {
            bi->mem_truncated = true;
            pr_warn("mem: normalised map has more than %d regions, the rest are ignored\n",
                    BOOT_MAX_MEMMAP);
            break;
        }
        start = end;
    }
    memcpy(bi->mem, out, n * sizeof(out[0]));
    bi->nr_mem = n;
}
