/*
 * Boot-time memory set-up: reserve what is in use (the image, the loader's data, page 0), map all
 * RAM in the direct map with page tables from an early pool, then hand the rest of RAM to the frame
 * allocator and start the heap.
 */
#include <keel/buddy.h>
#include <keel/cmdline.h>
#include <keel/cpu.h>
#include <keel/dom0.h>
#include <keel/heap.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/string.h>

#define MAX_RESERVED 48

struct range {
    uint64_t start, end;
};

static struct range reserved[MAX_RESERVED];
static unsigned int nr_reserved;
static struct range early_pool;     /* allocated downwards from end */
static uint64_t early_pool_top;
static bool early_pool_closed;
static bool early_directmap;        /* early pages are reached through the direct map */

static void reserve(uint64_t start, uint64_t end)
{
    if (nr_reserved == MAX_RESERVED)
        panic("mm: more than %d reserved ranges", MAX_RESERVED);
    reserved[nr_reserved++] = (struct range){ ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE) };
}

/* Calls fn for each piece of RAM in [start, end) that no reservation covers. */
static void for_each_free_piece(uint64_t start, uint64_t end, void (*fn)(struct range, void *), void *arg)
{
    while (start < end) {
        uint64_t piece_end = end;
        bool cut = false;

        for (unsigned int i = 0; i < nr_reserved; i++) {
            if (reserved[i].start <= start && reserved[i].end > start) {
                start = reserved[i].end;        /* inside a reservation: skip past it */
                cut = true;
                break;
            }
            if (reserved[i].start > start && reserved[i].start < piece_end)
                piece_end = reserved[i].start;
        }
        if (cut)
            continue;
        fn((struct range){ start, piece_end }, arg);
        start = piece_end;
    }
}

static void for_each_free_range(const struct boot_info *bi, void (*fn)(struct range, void *), void *arg)
{
    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        const struct mem_region *m = &bi->mem[i];

        if (m->type == MEM_RAM)
            for_each_free_piece(ALIGN_UP(m->base, PAGE_SIZE), ALIGN_DOWN(m->base + m->len, PAGE_SIZE),
                                fn, arg);
    }
}

static void pick_largest_low(struct range r, void *arg)
{
    struct range *best = arg;

    r.end = MIN(r.end, GiB(4));
    if (r.end > r.start && r.end - r.start > best->end - best->start)
        *best = r;
}

/* Returns a physical address below 4 GiB. */
static paddr_t early_alloc(uint64_t bytes)
{
    uint64_t size = ALIGN_UP(bytes, PAGE_SIZE);

    BUG_ON(early_pool_closed);
    if (early_pool.end - early_pool.start < size)
        panic("mm: boot needs %llu KiB more memory below 4 GiB than it has",
              (unsigned long long)(size >> 10));
    early_pool.end -= size;
    return early_pool.end;
}

static void *early_pt_page(void)
{
    paddr_t pa = early_alloc(PAGE_SIZE);

    return early_directmap ? phys_to_virt(pa) : (void *)(uintptr_t)pa;
}

static void directmap_region(uint64_t base, uint64_t len)
{
    uint64_t start = ALIGN_DOWN(base, MiB(2)), end = ALIGN_UP(base + len, MiB(2));

    if (map_range(DIRECTMAP_BASE + start, start, end - start, PAGE_KERNEL | pte_nx))
        panic("mm: out of memory for the direct map");
}

static void build_direct_map(const struct boot_info *bi)
{
    directmap_region(0, MiB(1));                /* BIOS data, EBDA, ROM area: firmware tables */
    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        const struct mem_region *m = &bi->mem[i];

        if (m->type == MEM_RAM || m->type == MEM_ACPI || m->type == MEM_NVS)
            directmap_region(m->base, m->len);
    }
}

static void reserve_boot_data(const struct boot_info *bi)
{
    reserve(0, PAGE_SIZE);                      /* real-mode IVT and BIOS data area */
    reserve(virt_to_phys(__image_start), virt_to_phys(__image_end));
    reserve(bi->info_start, bi->info_end);
    for (unsigned int i = 0; i < bi->nr_mods; i++)
        reserve(bi->mods[i].start, bi->mods[i].end);
}

static uint64_t ram_top(const struct boot_info *bi, uint64_t *ram_bytes)
{
    uint64_t top = 0;

    *ram_bytes = 0;
    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        if (bi->mem[i].type != MEM_RAM)
            continue;
        *ram_bytes += bi->mem[i].len;
        top = MAX(top, bi->mem[i].base + bi->mem[i].len);
    }
    return ALIGN_DOWN(top, PAGE_SIZE);
}

static void add_free_range(struct range r, void *arg)
{
    frame_add_range(r.start >> PAGE_SHIFT, (r.end - r.start) >> PAGE_SHIFT);
}

/* dom0's low memory: below the hypervisor's start-up page for other CPUs, which stays free. */
#define DOM0_LOW_START 0x1000
#define DOM0_LOW_END 0x80000
#define HV_KEEP_MIN MiB(64)             /* never given to dom0: page tables, the heap, domains */

static void dom0_add_range(uint64_t start, uint64_t end)
{
    struct dom0_layout *l = &dom0_layout;

    if (end <= start || l->nr_ranges == DOM0_MAX_RANGES)
        return;
    l->ram[l->nr_ranges].start = start;
    l->ram[l->nr_ranges++].end = end;
    l->bytes += end - start;
    reserve(start, end);
}

static void take_low_piece(struct range r, void *arg)
{
    dom0_add_range(MAX(r.start, DOM0_LOW_START), MIN(r.end, DOM0_LOW_END));
}

/* The free piece below 4 GiB with the highest end that holds want bytes in 2 MiB blocks, or
 * failing that the largest one. */
static void pick_high_piece(struct range r, void *arg)
{
    struct range *best = arg;
    uint64_t want = best[1].start;
    uint64_t start = ALIGN_UP(r.start, MiB(2)), end = ALIGN_DOWN(MIN(r.end, GiB(4)), MiB(2));
    bool fits = end > start && end - start >= want;
    bool best_fits = best->end - best->start >= want;

    if (end <= start || (best_fits && !fits))
        return;
    if ((fits && (!best_fits || end > best->end)) || (!best_fits && end - start > best->end - best->start))
        *best = (struct range){ start, end };
}

/*
 * dom0's RAM, machine addresses that are also its guest-physical ones: what is free below
 * DOM0_LOW_END (for its real-mode start-up code) and one block just below the early pool, in
 * the highest RAM under 4 GiB (the 32-bit kernel entry must reach it). Both are taken out of the
 * frame allocator's reach before it starts.
 */
static void carve_dom0(const struct boot_info *bi)
{
    struct range pick[2] = { { 0, 0 }, { 0, 0 } };
    uint64_t want;

    uint64_t ram_bytes, keep;

    ram_top(bi, &ram_bytes);
    keep = MAX(HV_KEEP_MIN, ram_bytes / 8);     /* the hypervisor's own memory, at least */
    for_each_free_range(bi, take_low_piece, NULL);
    want = opts.dom0_mem > dom0_layout.bytes ? ALIGN_UP(opts.dom0_mem - dom0_layout.bytes, MiB(2)) : 0;
    if (want + keep > ram_bytes) {
        want = ram_bytes > keep + MiB(64) ? ALIGN_DOWN(ram_bytes - keep, MiB(2)) : MiB(64);
        pr_warn("dom0: dom0_mem=%llu MiB leaves the hypervisor too little of %llu MiB: dom0 gets "
                "%llu MiB\n", (unsigned long long)(opts.dom0_mem >> 20),
                (unsigned long long)(ram_bytes >> 20), (unsigned long long)(want >> 20));
    }
    pick[1].start = want;
    for_each_free_range(bi, pick_high_piece, pick);
    if (pick[0].end - pick[0].start > want)
        pick[0].start = pick[0].end - want;
    if (pick[0].end - pick[0].start < want)
        pr_warn("dom0: only %llu MiB of contiguous RAM for dom0_mem=%llu MiB\n",
                (unsigned long long)((pick[0].end - pick[0].start) >> 20),
                (unsigned long long)(opts.dom0_mem >> 20));
    dom0_add_range(pick[0].start, pick[0].end);
}

static void *heap_alloc_pages(unsigned int order)
{
    return alloc_pages(order);
}

static void *pt_page_from_frames(void)
{
    return alloc_pages(0);
}

static const struct heap_page_ops heap_ops = {
    .alloc_pages = heap_alloc_pages,
    .free_pages = free_pages,
};

void mm_init(struct boot_info *bi)
{
    uint64_t ram_bytes, top = ram_top(bi, &ram_bytes);
    uint64_t nr_frames = top >> PAGE_SHIFT;
    struct buddy_frame *meta;

    if (!top)
        panic("mm: the memory map has no RAM");
    reserve_boot_data(bi);
    for_each_free_range(bi, pick_largest_low, &early_pool);
    early_pool_top = early_pool.end;
    paging_set_allocator(early_pt_page, false);
    build_direct_map(bi);
    early_directmap = true;
    paging_set_allocator(early_pt_page, true);
    meta = phys_to_virt(early_alloc(nr_frames * sizeof(*meta)));

    early_pool_closed = true;
    reserve(early_pool.end, early_pool_top);
    if (dom0_present(bi))
        carve_dom0(bi);
    frame_init(meta, nr_frames);
    frame_set_ram_bytes(ram_bytes);
    for_each_free_range(bi, add_free_range, NULL);
    paging_set_allocator(pt_page_from_frames, true);
    heap_init(&heap_ops);
}
