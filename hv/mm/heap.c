/*
 * The hypervisor heap. Small objects come from one-page slabs, one size class per slab; the page
 * starts with a header, so kfree finds it by rounding the pointer down to the page. Larger
 * objects get 2^order pages of their own with a smaller header in front of them.
 */
#include <keel/buddy.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/spinlock.h>
#include <keel/string.h>

#define HEAP_SLAB_MAGIC 0x6b736c62u     /* "blsk" */
#define HEAP_LARGE_MAGIC 0x6b6c7267u    /* "grlk" */
#define HEAP_ALIGN 16
#define HEAP_MIN_SHIFT 4                /* smallest class: 16 bytes */
#define HEAP_NR_CLASSES 8               /* 16 .. 2048 */
#define HEAP_MAX_SMALL (1u << (HEAP_MIN_SHIFT + HEAP_NR_CLASSES - 1))
#define HEAP_MAX_ORDER BUDDY_MAX_ORDER  /* the frame allocator's largest block */

struct heap_slab {
    uint32_t magic;
    uint16_t size;                      /* object size of this page's class */
    uint16_t in_use;
    void *free;                         /* free objects, linked through their first word */
    struct heap_slab *next, *prev;      /* the class's list of pages with free objects */
};

struct heap_large {
    uint32_t magic;
    uint32_t order;
    uint64_t pad;
};

#define HEAP_SLAB_HDR ALIGN_UP(sizeof(struct heap_slab), HEAP_ALIGN)
#define HEAP_LARGE_HDR ALIGN_UP(sizeof(struct heap_large), HEAP_ALIGN)
BUILD_BUG_ON(HEAP_SLAB_HDR + HEAP_MAX_SMALL > PAGE_SIZE);
BUILD_BUG_ON(HEAP_LARGE_HDR != sizeof(struct heap_large));

struct heap_class {
    struct heap_slab *partial;          /* pages with at least one object in use and one free */
    struct heap_slab *spare;            /* at most one empty page kept for the next allocation */
};

static spinlock_t heap_lock = SPINLOCK_INIT;
static const struct heap_page_ops *heap_ops;
static struct heap_class heap_classes[HEAP_NR_CLASSES];
static struct heap_stats heap_stats;

void heap_init(const struct heap_page_ops *ops)
{
    unsigned long flags = spin_lock_irqsave(&heap_lock);

    heap_ops = ops;
    memset(heap_classes, 0, sizeof(heap_classes));
    memset(&heap_stats, 0, sizeof(heap_stats));
    spin_unlock_irqrestore(&heap_lock, flags);
}

static unsigned int heap_class_index(size_t size)
{
    unsigned int i = 0;

    while ((1u << (HEAP_MIN_SHIFT + i)) < size)
        i++;
    return i;
}

static unsigned int heap_slab_capacity(const struct heap_slab *s)
{
    return (unsigned int)((PAGE_SIZE - HEAP_SLAB_HDR) / s->size);
}

static void heap_partial_add(struct heap_class *c, struct heap_slab *s)
{
    s->prev = NULL;
    s->next = c->partial;
    if (c->partial)
        c->partial->prev = s;
    c->partial = s;
}

static void heap_partial_del(struct heap_class *c, struct heap_slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->partial = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

static struct heap_slab *heap_slab_new(unsigned int size)
{
    struct heap_slab *s = heap_ops->alloc_pages(0);

    if (!s)
        return NULL;
    heap_stats.pages_held++;
    *s = (struct heap_slab){ .magic = HEAP_SLAB_MAGIC, .size = (uint16_t)size };
    /* Thread the free list in address order so a fresh page hands out ascending objects. */
    char *obj = (char *)s + HEAP_SLAB_HDR;
    void **link = &s->free;
    for (unsigned int i = 0; i < heap_slab_capacity(s); i++, obj += size) {
        *link = obj;
        link = (void **)obj;
    }
    *link = NULL;
    return s;
}

/* A page with a free object for class i: a partial page first, then the spare, then a new one. */
static struct heap_slab *heap_slab_get(unsigned int i)
{
    struct heap_class *c = &heap_classes[i];
    struct heap_slab *s = c->partial;

    if (s)
        return s;
    s = c->spare;
    if (s)
        c->spare = NULL;
    else
        s = heap_slab_new(1u << (HEAP_MIN_SHIFT + i));
    if (s)
        heap_partial_add(c, s);
    return s;
}

static void *heap_alloc_small(size_t size)
{
    unsigned int i = heap_class_index(size);
    struct heap_slab *s = heap_slab_get(i);

    if (!s)
        return NULL;
    void *obj = s->free;
    s->free = *(void **)obj;
    s->in_use++;
    if (!s->free)
        heap_partial_del(&heap_classes[i], s);
    heap_stats.bytes_in_use += s->size;
    return obj;
}

static unsigned int heap_large_order(size_t size)
{
    unsigned int order = 0;

    while (order <= HEAP_MAX_ORDER && (PAGE_SIZE << order) - HEAP_LARGE_HDR < size)
        order++;
    return order;
}

static void *heap_alloc_large(size_t size)
{
    unsigned int order = heap_large_order(size);
    struct heap_large *h;

    if (order > HEAP_MAX_ORDER)
        return NULL;
    h = heap_ops->alloc_pages(order);
    if (!h)
        return NULL;
    *h = (struct heap_large){ .magic = HEAP_LARGE_MAGIC, .order = order };
    heap_stats.pages_held += 1ULL << order;
    /* Large objects count what the caller may use, the pages minus the header. */
    heap_stats.bytes_in_use += (PAGE_SIZE << order) - HEAP_LARGE_HDR;
    return (char *)h + HEAP_LARGE_HDR;
}

void *kmalloc(size_t size)
{
    unsigned long flags;
    void *p;

    if (size == 0)
        return NULL;
    flags = spin_lock_irqsave(&heap_lock);
    BUG_ON(!heap_ops);
    p = size <= HEAP_MAX_SMALL ? heap_alloc_small(size) : heap_alloc_large(size);
    if (p)
        heap_stats.allocs++;
    spin_unlock_irqrestore(&heap_lock, flags);
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);

    if (p)
        memset(p, 0, size);
    return p;
}

/* Panics unless p is an object of slab s that is currently handed out. */
static void heap_slab_check(const struct heap_slab *s, const void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)s;

    if (s->size < (1u << HEAP_MIN_SHIFT) || s->size > HEAP_MAX_SMALL || (s->size & (s->size - 1)))
        panic("kfree(%p): slab page %p has bad size class %u", p, (const void *)s, s->size);
    if (off < HEAP_SLAB_HDR || (off - HEAP_SLAB_HDR) % s->size ||
        (off - HEAP_SLAB_HDR) / s->size >= heap_slab_capacity(s))
        panic("kfree(%p): not an object boundary in %u-byte slab %p", p, s->size,
              (const void *)s);
    /* A page holds at most a few hundred objects, so finding a double free is cheap. */
    for (const void *f = s->free; f; f = *(void *const *)f)
        if (f == p)
            panic("kfree(%p): double free in %u-byte slab %p", p, s->size, (const void *)s);
}

static void heap_free_small(struct heap_slab *s, void *p)
{
    struct heap_class *c = &heap_classes[heap_class_index(s->size)];

    heap_slab_check(s, p);
    if (!s->free)
        heap_partial_add(c, s);
    *(void **)p = s->free;
    s->free = p;
    s->in_use--;
    heap_stats.bytes_in_use -= s->size;
    if (s->in_use)
        return;
    heap_partial_del(c, s);
    if (!c->spare) {
        c->spare = s;
        return;
    }
    /* Clear the magic so a stale pointer into the returned page is caught. */
    s->magic = 0;
    heap_ops->free_pages(s, 0);
    heap_stats.pages_held--;
}

static void heap_free_large(struct heap_large *h, void *p)
{
    unsigned int order = h->order;

    if (p != (char *)h + HEAP_LARGE_HDR || order > HEAP_MAX_ORDER)
        panic("kfree(%p): not the start of the large object at %p", p, (void *)h);
    h->magic = 0;
    heap_ops->free_pages(h, order);
    heap_stats.pages_held -= 1ULL << order;
    heap_stats.bytes_in_use -= (PAGE_SIZE << order) - HEAP_LARGE_HDR;
}

void kfree(void *p)
{
    void *page = (void *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);
    unsigned long flags;
    uint32_t magic;

    if (!p)
        return;
    flags = spin_lock_irqsave(&heap_lock);
    magic = *(uint32_t *)page;
    if (magic == HEAP_SLAB_MAGIC)
        heap_free_small(page, p);
    else if (magic == HEAP_LARGE_MAGIC)
        heap_free_large(page, p);
    else
        panic("kfree(%p): page %p has bad magic %#x", p, page, magic);
    heap_stats.frees++;
    spin_unlock_irqrestore(&heap_lock, flags);
}

void heap_get_stats(struct heap_stats *st)
{
    unsigned long flags = spin_lock_irqsave(&heap_lock);

    *st = heap_stats;
    spin_unlock_irqrestore(&heap_lock, flags);
}
