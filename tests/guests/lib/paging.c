/*
 * Page tables in the three x86 formats, written by one walker that a small per-format table
 * describes. Table pages come from a static pool inside the image's .bss, so they are
 * identity-mapped and below 4 GiB, usable in every mode.
 */
#include "guest.h"

#define POOL_PAGES 64

struct pt_format {
    int levels;
    int entry_bytes;
    uint8_t shift[4];           /* of the address bits each level translates, root first */
    uint8_t bits[4];
    uint64_t addr_mask;         /* of the next table or page in an entry */
    uint8_t large_levels;       /* bit n: level n may map a page (PS) */
};

static const struct pt_format formats[] = {
    [PT_32BIT] = { 2, 4, { 22, 12 }, { 10, 10 }, 0xfffff000ull, 1 << 0 },
    [PT_PAE] = { 3, 8, { 30, 21, 12 }, { 2, 9, 9 }, 0x000ffffffffff000ull, 1 << 1 },
    [PT_4LEVEL] = { 4, 8, { 39, 30, 21, 12 }, { 9, 9, 9, 9 }, 0x000ffffffffff000ull,
                    1 << 1 | 1 << 2 },
};

extern char guest_pml4[];
struct pt guest_pt = { PT_4LEVEL, (uintptr_t)guest_pml4 };

static uint8_t pool[POOL_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static unsigned int pool_used;

void *pt_alloc_page(void)
{
    void *page;

    if (pool_used == POOL_PAGES) {
        report(false, "pt-pool", "out of page-table pages");
        report_summary_and_exit();
    }
    page = pool[pool_used++];
    memset(page, 0, PAGE_SIZE);
    return page;
}

void pt_init(struct pt *pt, enum pt_mode mode)
{
    pt->mode = mode;
    pt->root = (uintptr_t)pt_alloc_page();
}

static uint64_t entry_get(const struct pt_format *f, uint64_t table, unsigned int i)
{
    if (f->entry_bytes == 4)
        return ((volatile uint32_t *)(uintptr_t)table)[i];
    return ((volatile uint64_t *)(uintptr_t)table)[i];
}

static void entry_set(const struct pt_format *f, uint64_t table, unsigned int i, uint64_t e)
{
    if (f->entry_bytes == 4)
        ((volatile uint32_t *)(uintptr_t)table)[i] = (uint32_t)e;
    else
        ((volatile uint64_t *)(uintptr_t)table)[i] = e;
}

static unsigned int index_of(const struct pt_format *f, int level, uint64_t va)
{
    return (va >> f->shift[level]) & ((1u << f->bits[level]) - 1);
}

void pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
    const struct pt_format *f = &formats[pt->mode];
    uint64_t table = pt->root;

    for (int level = 0; level < f->levels; level++) {
        unsigned int i = index_of(f, level, va);
        uint64_t e;

        if (size == 1ull << f->shift[level] &&
            (level == f->levels - 1 || (f->large_levels & (1 << level)))) {
            bool large = level != f->levels - 1;

            entry_set(f, table, i, (pa & ~(size - 1)) | flags | PTE_P | (large ? PTE_PS : 0));
            invlpg(va);
            return;
        }
        e = entry_get(f, table, i);
        if ((f->large_levels & (1 << level)) && (e & PTE_P) && (e & PTE_PS)) {
            report(false, "pt-map", "0x%lx lies in a large page", (unsigned long)va);
            return;
        }
        if (!(e & PTE_P)) {
            /* PAE page-directory-pointer entries have no RW (or A) bit: it is reserved there. */
            e = (uintptr_t)pt_alloc_page() | PTE_P | (pt->mode == PT_PAE && level == 0 ? 0 : PTE_RW);
            entry_set(f, table, i, e);
        }
        table = e & f->addr_mask;
    }
    report(false, "pt-map", "no 0x%lx-byte pages in mode %d", (unsigned long)size, pt->mode);
}

int pt_walk(const struct pt *pt, uint64_t va, uint64_t entries[4])
{
    const struct pt_format *f = &formats[pt->mode];
    uint64_t table = pt->root;

    for (int level = 0; level < f->levels; level++) {
        uint64_t e = entry_get(f, table, index_of(f, level, va));

        entries[level] = e;
        if (!(e & PTE_P))
            return 0;
        if (level == f->levels - 1 || ((f->large_levels & (1 << level)) && (e & PTE_PS)))
            return level + 1;
        table = e & f->addr_mask;
    }
    return 0;
}
