/*
 * Multiboot (version 1) kernels: the header, the ELF32 or address-field load plan, and the boot
 * information (see keel/fw_multiboot.h). Everything read from the image is bounds-checked: the
 * image comes from whoever configured the domain.
 */
#include <keel/fw_multiboot.h>
#include <keel/string.h>

#define LOAD_MIN 0x100000ull            /* below 1 MiB is the guest's low memory and boot data */
#define LOAD_MAX 0x100000000ull

struct mb1_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct elf32_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#define PT_LOAD 1
#define EM_386 3
#define ET_EXEC 2

_Static_assert(sizeof(struct mb1_header) == 32, "multiboot header");
_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header");
_Static_assert(sizeof(struct fw_mb1_info) == 88, "multiboot info");
_Static_assert(sizeof(struct fw_mb1_mmap_entry) == 24, "multiboot mmap entry");

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The header's offset in img, or -1. */
static long find_header(const uint8_t *img, size_t len)
{
    size_t end = len < FW_MB1_SEARCH ? len : FW_MB1_SEARCH;

    for (size_t off = 0; off + 12 <= end; off += 4) {
        uint32_t magic = rd32(img + off), flags = rd32(img + off + 4);

        if (magic == FW_MB1_MAGIC && magic + flags + rd32(img + off + 8) == 0)
            return (long)off;
    }
    return -1;
}

static bool in_load_range(uint64_t start, uint64_t end)
{
    return start >= LOAD_MIN && end <= LOAD_MAX && start <= end;
}

static int add_seg(struct fw_mb1_kernel *k, uint32_t paddr, uint32_t offset, uint32_t filesz,
                   uint32_t memsz, size_t len)
{
    uint64_t end = (uint64_t)paddr + memsz;

    if (filesz > memsz || (uint64_t)offset + filesz > len || !in_load_range(paddr, end) ||
        k->nr_segs == FW_MB1_MAX_SEGS)
        return -EINVAL;
    for (unsigned int i = 0; i < k->nr_segs; i++) {
        const struct fw_mb1_seg *s = &k->segs[i];

        if (paddr < (uint64_t)s->paddr + s->memsz && s->paddr < end)
            return -EINVAL;                             /* overlapping segments */
    }
    k->segs[k->nr_segs++] = (struct fw_mb1_seg){ paddr, offset, filesz, memsz };
    if (!k->lowest || paddr < k->lowest)
        k->lowest = paddr;
    if (end > k->highest)
        k->highest = (uint32_t)(end > 0xffffffffull ? 0xffffffffull : end);
    return 0;
}

/* The header's own address fields: the file from header_addr - (load_addr) on. */
static int plan_aout(const uint8_t *img, size_t len, long hoff, struct fw_mb1_kernel *k)
{
    struct mb1_header h;
    uint32_t file_off, load_len, mem_len;

    if ((size_t)hoff + sizeof(h) > len)
        return -EINVAL;
    memcpy(&h, img + hoff, sizeof(h));
    if (h.header_addr < h.load_addr || h.header_addr - h.load_addr > (uint32_t)hoff)
        return -EINVAL;
    file_off = (uint32_t)hoff - (h.header_addr - h.load_addr);
    load_len = h.load_end_addr ? h.load_end_addr - h.load_addr : (uint32_t)(len - file_off);
    if (h.load_end_addr && h.load_end_addr < h.load_addr)
        return -EINVAL;
    mem_len = h.bss_end_addr ? h.bss_end_addr - h.load_addr : load_len;
    if (h.bss_end_addr && h.bss_end_addr < h.load_addr + load_len)
        return -EINVAL;
    k->entry = h.entry_addr;
    return add_seg(k, h.load_addr, file_off, load_len, mem_len, len);
}

static int plan_elf(const uint8_t *img, size_t len, struct fw_mb1_kernel *k)
{
    struct elf32_ehdr eh;

    if (len < sizeof(eh))
        return -EINVAL;
    memcpy(&eh, img, sizeof(eh));
    if (memcmp(eh.ident, "\177ELF", 4) || eh.ident[4] != 1 /* 32-bit */ || eh.ident[5] != 1 ||
        eh.machine != EM_386 || eh.type != ET_EXEC || eh.phentsize != sizeof(struct elf32_phdr) ||
        !eh.phnum || (uint64_t)eh.phoff + (uint64_t)eh.phnum * sizeof(struct elf32_phdr) > len)
        return -EINVAL;
    k->entry = eh.entry;
    for (unsigned int i = 0; i < eh.phnum; i++) {
        struct elf32_phdr ph;
        int r;

        memcpy(&ph, img + eh.phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type != PT_LOAD || !ph.memsz)
            continue;
        /* The entry is a virtual address: it belongs to the segment that contains it. */
        if (eh.entry >= ph.vaddr && eh.entry - ph.vaddr < ph.memsz)
            k->entry = ph.paddr + (eh.entry - ph.vaddr);
        if ((r = add_seg(k, ph.paddr, ph.offset, ph.filesz, ph.memsz, len)))
            return r;
    }
    return k->nr_segs ? 0 : -EINVAL;
}

int fw_mb1_parse(const void *img, size_t len, struct fw_mb1_kernel *out)
{
    const uint8_t *p = img;
    long hoff = find_header(p, len);
    struct fw_mb1_kernel k = { 0 };
    int r;

    if (hoff < 0)
        return -ENOENT;
    k.header_flags = rd32(p + hoff + 4);
    /* Bits 0-15 are requirements: refuse those we do not know (the video mode is a wish). */
    if (k.header_flags & 0xfff8u)
        return -EINVAL;
    r = k.header_flags & FW_MB1_AOUT_KLUDGE ? plan_aout(p, len, hoff, &k) : plan_elf(p, len, &k);
    if (r)
        return r;
    if (k.entry < k.lowest || k.entry >= k.highest)
        return -EINVAL;                                 /* the entry must be in what we load */
    *out = k;
    return 0;
}

/* Bump allocation inside the info buffer; each piece 8-byte aligned. */
struct info_buf {
    uint8_t *base;
    size_t len, used;
    uint32_t gpa;
};

static void *info_alloc(struct info_buf *b, size_t n, uint32_t *gpa)
{
    size_t at = (b->used + 7) & ~(size_t)7;

    if (at > b->len || n > b->len - at)
        return NULL;
    b->used = at + n;
    *gpa = b->gpa + (uint32_t)at;
    return b->base + at;
}

static bool info_string(struct info_buf *b, const char *s, uint32_t *gpa)
{
    size_t n = strlen(s) + 1;
    char *p = info_alloc(b, n, gpa);

    if (p)
        memcpy(p, s, n);
    return p != NULL;
}

/* mem_lower: KiB of RAM from 0 (at most 640); mem_upper: KiB of RAM from 1 MiB on, to the first
 * gap. */
static void info_memory(struct fw_mb1_info *mi, const struct fw_e820_entry *e820, unsigned int n)
{
    uint64_t upper_end = 0x100000;

    for (unsigned int i = 0; i < n; i++) {
        const struct fw_e820_entry *e = &e820[i];

        if (e->type != FW_E820_RAM)
            continue;
        if (e->addr == 0)
            mi->mem_lower = (uint32_t)((e->size < 0xa0000 ? e->size : 0xa0000) >> 10);
        if (e->addr <= upper_end && e->addr + e->size > upper_end)
            upper_end = e->addr + e->size;
    }
    if (upper_end > LOAD_MAX)
        upper_end = LOAD_MAX;
    mi->mem_upper = (uint32_t)((upper_end - 0x100000) >> 10);
    mi->flags |= FW_MB1_INFO_MEMORY;
}

long fw_mb1_build_info(void *buf, size_t len, uint32_t gpa, const struct fw_e820_entry *e820,
                       unsigned int nr_e820, const char *cmdline,
                       const struct fw_mb1_mod_desc *mods, unsigned int nr_mods)
{
    struct info_buf b = { buf, len, 0, gpa };
    struct fw_mb1_info *mi, info = { 0 };
    struct fw_mb1_mmap_entry *mm;
    struct fw_mb1_module *mo = NULL;
    uint32_t at, mmap_at, cmdline_at, name_at, mods_at = 0;

    if (!(mi = info_alloc(&b, sizeof(*mi), &at)) ||
        !(mm = info_alloc(&b, nr_e820 * sizeof(*mm), &mmap_at)) ||
        !info_string(&b, cmdline ? cmdline : "", &cmdline_at) ||
        !info_string(&b, "Keel", &name_at) ||
        (nr_mods && !(mo = info_alloc(&b, nr_mods * sizeof(*mo), &mods_at))))
        return -ENOSPC;
    for (unsigned int i = 0; i < nr_e820; i++)
        mm[i] = (struct fw_mb1_mmap_entry){ 20, e820[i].addr, e820[i].size, e820[i].type };
    for (unsigned int i = 0; i < nr_mods; i++) {
        uint32_t str_at;

        if (!info_string(&b, mods[i].string ? mods[i].string : "", &str_at))
            return -ENOSPC;
        mo[i] = (struct fw_mb1_module){ mods[i].start, mods[i].end, str_at, 0 };
    }
    info_memory(&info, e820, nr_e820);
    info.mmap_addr = mmap_at;
    info.mmap_length = nr_e820 * (uint32_t)sizeof(*mm);
    info.cmdline = cmdline_at;
    info.boot_loader_name = name_at;
    info.mods_addr = mods_at;
    info.mods_count = nr_mods;
    info.flags |= FW_MB1_INFO_MMAP | FW_MB1_INFO_CMDLINE | FW_MB1_INFO_LOADER_NAME | FW_MB1_INFO_MODS;
    memcpy(mi, &info, sizeof(info));
    return (long)b.used;
}
