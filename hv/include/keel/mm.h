/*
 * The hypervisor's memory: its page tables, the direct map of RAM, uncached device mappings, and
 * machine frames (hv/mm/frame.c over the buddy allocator).
 */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include <keel/bootinfo.h>
#include <keel/layout.h>
#include <keel/types.h>

#define PTE_P   (1ULL << 0)
#define PTE_W   (1ULL << 1)
#define PTE_U   (1ULL << 2)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_A   (1ULL << 5)
#define PTE_D   (1ULL << 6)
#define PTE_PS  (1ULL << 7)
#define PTE_G   (1ULL << 8)
#define PTE_NX  (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

#define PAGE_KERNEL     (PTE_P | PTE_W)
#define PAGE_KERNEL_UC  (PTE_P | PTE_W | PTE_PCD | PTE_PWT)

extern char __image_start[], __image_end[], __bss_start[], __bss_end[], __text_end[];
extern uint64_t boot_pml4[512];

static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(DIRECTMAP_BASE + pa);
}

paddr_t virt_to_phys(const void *va);

/* PTE_NX if the CPU has no-execute (and EFER.NXE is on), else 0. */
extern uint64_t pte_nx;
/* Where page-table pages come from, and whether they are reached through the direct map yet. */
void paging_set_allocator(void *(*alloc)(void), bool directmap);

/* Boot-time memory set-up from the loader's memory map; afterwards alloc_pages works. */
void mm_init(struct boot_info *bi);
/* Drops the boot identity map of low memory, so that NULL and other low pointers fault. */
void mm_drop_identity_map(void);
/* A page table that also identity-maps the first 4 GiB, for CPUs starting from real mode. */
paddr_t mm_boot_cr3(void);

/* Maps [pa, pa+size) at va with flags; page tables come from the frame allocator. */
int map_range(uint64_t va, paddr_t pa, uint64_t size, uint64_t flags);
/* Maps device registers uncached; returns the address or NULL. */
void *ioremap(paddr_t pa, size_t size);
/* Maps firmware tables (write-back); returns the address or NULL. */
const void *map_firmware(paddr_t pa, size_t size);

void *alloc_pages(unsigned int order);          /* zeroed; NULL when out of memory */
void free_pages(void *va, unsigned int order);
/* Pages below limit (physical), for things the CPU reaches before paging (the AP trampoline). */
void *alloc_pages_below(unsigned int order, paddr_t limit);

/* Frame allocator internals used by mm_init (hv/mm/frame.c). */
struct buddy_frame;
void frame_init(struct buddy_frame *meta, uint64_t nr_frames);
void frame_add_range(uint64_t pfn, uint64_t count);
void frame_set_ram_bytes(uint64_t bytes);

struct mem_stats {
    uint64_t ram_bytes;             /* RAM in the loader's map */
    uint64_t free_bytes;            /* free machine frames */
    uint64_t total_frames_bytes;    /* frames managed by the allocator */
};
void mm_get_stats(struct mem_stats *st);

#endif
