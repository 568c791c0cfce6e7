/*
 * Buddy allocator of machine frames: pure bookkeeping over a range of page frame numbers, with one
 * metadata record per frame kept outside the frames themselves (so it never touches the memory it
 * manages). hv/mm/frame.c wraps one instance with a lock for the hypervisor.
 */
#ifndef KEEL_BUDDY_H
#define KEEL_BUDDY_H

#include <keel/types.h>

#define BUDDY_MAX_ORDER 18          /* 2^18 frames = 1 GiB blocks */
#define BUDDY_NONE 0xffffffffu      /* end of a free list */

struct buddy_frame {
    uint32_t next, prev;            /* free-list links (frame indexes), valid for a free block head */
    uint8_t order;                  /* order of the free block this frame heads */
    uint8_t state;                  /* BUDDY_* below */
    uint16_t pad;
};
enum { BUDDY_USED = 0, BUDDY_FREE_HEAD = 1, BUDDY_FREE_TAIL = 2 };

struct buddy {
    uint64_t base_pfn;              /* first frame managed */
    uint64_t nr_frames;             /* frames managed: [base_pfn, base_pfn + nr_frames) */
    struct buddy_frame *meta;       /* nr_frames records */
    uint32_t free_head[BUDDY_MAX_ORDER + 1];
    uint64_t free_frames;           /* frames currently free */
    uint64_t total_frames;          /* frames ever added with buddy_add_range */
};

/* Every frame starts in use; only frames handed to buddy_add_range can ever be allocated. */
void buddy_init(struct buddy *b, uint64_t base_pfn, uint64_t nr_frames, struct buddy_frame *meta);
/* Frees [pfn, pfn+count) into the allocator, merging buddies. Parts outside the range are ignored. */
void buddy_add_range(struct buddy *b, uint64_t pfn, uint64_t count);
/* Allocates 2^order contiguous, naturally aligned frames; returns the first pfn or -ENOMEM. */
int64_t buddy_alloc(struct buddy *b, unsigned int order);
/* The same, but every returned frame lies below limit_pfn (for low memory); -ENOMEM if none. */
int64_t buddy_alloc_below(struct buddy *b, unsigned int order, uint64_t limit_pfn);
/* Frees a block returned by buddy_alloc*. Freeing a frame that is free, or outside, panics. */
void buddy_free(struct buddy *b, uint64_t pfn, unsigned int order);

#endif
