/* Machine frames for the hypervisor: one buddy allocator over all RAM, behind a lock. */
#include <keel/buddy.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/spinlock.h>
#include <keel/string.h>

static struct buddy frames;
static spinlock_t frame_lock = SPINLOCK_INIT;
static uint64_t ram_bytes;

void frame_init(struct buddy_frame *meta, uint64_t nr_frames)
{
    buddy_init(&frames, 0, nr_frames, meta);
}

void frame_add_range(uint64_t pfn, uint64_t count)
{
    unsigned long flags = spin_lock_irqsave(&frame_lock);

    buddy_add_range(&frames, pfn, count);
    spin_unlock_irqrestore(&frame_lock, flags);
}

void frame_set_ram_bytes(uint64_t bytes)
{
    ram_bytes = bytes;
}

static void *take(unsigned int order, uint64_t limit_pfn)
{
    unsigned long flags = spin_lock_irqsave(&frame_lock);
    int64_t pfn = limit_pfn ? buddy_alloc_below(&frames, order, limit_pfn) : buddy_alloc(&frames, order);
    void *va;

    spin_unlock_irqrestore(&frame_lock, flags);
    if (pfn < 0)
        return NULL;
    va = phys_to_virt((paddr_t)pfn << PAGE_SHIFT);
    memset(va, 0, PAGE_SIZE << order);
    return va;
}

void *alloc_pages(unsigned int order)
{
    return take(order, 0);
}

void *alloc_pages_below(unsigned int order, paddr_t limit)
{
    return take(order, limit >> PAGE_SHIFT);
}

void free_pages(void *va, unsigned int order)
{
    unsigned long flags;

    if (!va)
        return;
    flags = spin_lock_irqsave(&frame_lock);
    buddy_free(&frames, virt_to_phys(va) >> PAGE_SHIFT, order);
    spin_unlock_irqrestore(&frame_lock, flags);
}

void mm_get_stats(struct mem_stats *st)
{
    unsigned long flags = spin_lock_irqsave(&frame_lock);

    st->ram_bytes = ram_bytes;
    st->free_bytes = frames.free_frames << PAGE_SHIFT;
    st->total_frames_bytes = frames.total_frames << PAGE_SHIFT;
    spin_unlock_irqrestore(&frame_lock, flags);
}
