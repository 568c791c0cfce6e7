/*
 * The hypervisor heap: small objects from size-class slabs, larger ones straight from whole pages.
 * Pages come from a provider (the frame allocator in the hypervisor, malloc in unit tests).
 */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include <keel/types.h>

struct heap_page_ops {
    void *(*alloc_pages)(unsigned int order);   /* 2^order pages, page-aligned, or NULL */
    void (*free_pages)(void *p, unsigned int order);
};

struct heap_stats {
    uint64_t bytes_in_use;          /* bytes handed out (rounded to the size class) */
    uint64_t pages_held;            /* pages currently taken from the provider */
    uint64_t allocs, frees;
};

void heap_init(const struct heap_page_ops *ops);
void *kmalloc(size_t size);         /* 16-byte aligned; NULL on failure or size 0 */
void *kzalloc(size_t size);
void kfree(void *p);                /* NULL is fine; a pointer the heap did not return panics */
void heap_get_stats(struct heap_stats *st);

#endif
