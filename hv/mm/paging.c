/*
 * The hypervisor's own page tables (one set, shared by all CPUs). The boot code left an identity
 * map of the first 4 GiB and the image at KERNEL_VBASE; mm_init adds the direct map of RAM, and
 * device and firmware mappings go to the IOREMAP window.
 */
#include <keel/cpu.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/spinlock.h>
#include <keel/string.h>

uint64_t pte_nx;
static spinlock_t pt_lock = SPINLOCK_INIT;
static uint64_t ioremap_next = IOREMAP_BASE;
/* Before the direct map exists, page-table pages are reached through the identity map. */
static bool directmap_ready;
/* Page-table pages come from here until the frame allocator is up. */
static void *(*pt_page_alloc)(void);

paddr_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;

    if (v >= KERNEL_VBASE)
        return v - KERNEL_VBASE;
    if (v >= DIRECTMAP_BASE && v < DIRECTMAP_BASE + DIRECTMAP_SIZE)
        return v - DIRECTMAP_BASE;
    panic("virt_to_phys: %p is neither in the image nor in the direct map", va);
}

static uint64_t *table_virt(paddr_t pa)
{
    return directmap_ready ? phys_to_virt(pa) : (uint64_t *)(uintptr_t)pa;
}

void paging_set_allocator(void *(*alloc)(void), bool directmap)
{
    pt_page_alloc = alloc;
    directmap_ready = directmap;
}

/* Returns the next-level table under *entry, creating it if absent. */
static uint64_t *next_table(uint64_t *entry)
{
    void *page;

    if (*entry & PTE_P) {
        BUG_ON(*entry & PTE_PS);
        return table_virt(*entry & PTE_ADDR_MASK);
    }
    page = pt_page_alloc();
    if (!page)
        return NULL;
    memset(page, 0, PAGE_SIZE);
    *entry = (directmap_ready ? virt_to_phys(page) : (paddr_t)(uintptr_t)page) | PTE_P | PTE_W;
    return page;
}

static unsigned int pt_index(uint64_t va, unsigned int level)
{
    return (unsigned int)(va >> (12 + 9 * level)) & 511;
}

/* Maps one page of 4 KiB (level 0) or 2 MiB (level 1). */
static int map_one(uint64_t va, paddr_t pa, unsigned int level, uint64_t flags)
{
    uint64_t *table = table_virt(virt_to_phys(boot_pml4));

    for (unsigned int l = 3; l > level; l--) {
        table = next_table(&table[pt_index(va, l)]);
        if (!table)
            return -ENOMEM;
    }
    table[pt_index(va, level)] = pa | flags | (level ? PTE_PS : 0);
    return 0;
}

int map_range(uint64_t va, paddr_t pa, uint64_t size, uint64_t flags)
{
    unsigned long irq = spin_lock_irqsave(&pt_lock);
    uint64_t end = va + ALIGN_UP(size, PAGE_SIZE);
    int r = 0;

    while (va < end && !r) {
        bool big = !(va & (MiB(2) - 1)) && !(pa & (MiB(2) - 1)) && end - va >= MiB(2);
        uint64_t step = big ? MiB(2) : PAGE_SIZE;

        r = map_one(va, pa, big ? 1 : 0, flags);
        invlpg((void *)va);
        va += step;
        pa += step;
    }
    spin_unlock_irqrestore(&pt_lock, irq);
    return r;
}

static void *remap(paddr_t pa, size_t size, uint64_t flags)
{
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t len = ALIGN_UP(pa + size, PAGE_SIZE) - base;
    uint64_t va = __atomic_fetch_add(&ioremap_next, len + PAGE_SIZE, __ATOMIC_RELAXED);

    if (va + len > IOREMAP_BASE + IOREMAP_SIZE || map_range(va, base, len, flags))
        return NULL;
    return (void *)(va + (pa - base));
}

void *ioremap(paddr_t pa, size_t size)
{
    return remap(pa, size, PAGE_KERNEL_UC | pte_nx);
}

const void *map_firmware(paddr_t pa, size_t size)
{
    return remap(pa, size, PTE_P | pte_nx);
}

static uint64_t identity_pml4e;

void mm_drop_identity_map(void)
{
    identity_pml4e = boot_pml4[0];
    boot_pml4[0] = 0;
    write_cr3(read_cr3());
}

paddr_t mm_boot_cr3(void)
{
    static uint64_t *pml4;

    if (!pml4) {
        pml4 = alloc_pages_below(0, GiB(4));
        BUG_ON(!pml4);
    }
    memcpy(pml4, boot_pml4, PAGE_SIZE);
    pml4[0] = identity_pml4e ? identity_pml4e : boot_pml4[0];
    return virt_to_phys(pml4);
}
