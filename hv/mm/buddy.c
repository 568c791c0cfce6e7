/*
 * Buddy allocator over a range of page frames. Blocks are aligned in absolute pfn terms, so a
 * block of order k always starts at a multiple of 2^k whatever base_pfn is; frames near an
 * unaligned base simply form smaller blocks.
 *
 * Every frame of a free block is marked (HEAD for its first frame, TAIL for the rest) and every
 * allocated frame is USED. That costs a pass over the block on alloc and free, but it makes a
 * double or overlapping free detectable exactly, which is worth more than the cycles.
 */
#include <keel/buddy.h>
#include <keel/printk.h>

static inline uint64_t buddy_idx(const struct buddy *b, uint64_t pfn)
{
    return pfn - b->base_pfn;
}

static void buddy_list_push(struct buddy *b, uint64_t idx, unsigned int order)
{
    struct buddy_frame *f = &b->meta[idx];
    uint32_t head = b->free_head[order];

    f->state = BUDDY_FREE_HEAD;
    f->order = (uint8_t)order;
    f->prev = BUDDY_NONE;
    f->next = head;
    if (head != BUDDY_NONE)
        b->meta[head].prev = (uint32_t)idx;
    b->free_head[order] = (uint32_t)idx;
}

/* Takes a free block off its list; the caller decides what its head frame becomes. */
static void buddy_list_del(struct buddy *b, uint64_t idx)
{
    struct buddy_frame *f = &b->meta[idx];

    if (f->prev != BUDDY_NONE)
        b->meta[f->prev].next = f->next;
    else
        b->free_head[f->order] = f->next;
    if (f->next != BUDDY_NONE)
        b->meta[f->next].prev = f->prev;
    f->next = f->prev = BUDDY_NONE;
}

static void buddy_mark(struct buddy *b, uint64_t idx, unsigned int order, uint8_t state)
{
    for (uint64_t i = 0; i < (1ULL << order); i++)
        b->meta[idx + i].state = state;
}

void buddy_init(struct buddy *b, uint64_t base_pfn, uint64_t nr_frames, struct buddy_frame *meta)
{
    /* Free-list links are 32-bit frame indexes with BUDDY_NONE reserved. */
    BUG_ON(nr_frames >= BUDDY_NONE);
    b->base_pfn = base_pfn;
    b->nr_frames = nr_frames;
    b->meta = meta;
    b->free_frames = 0;
    b->total_frames = 0;
    for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++)
        b->free_head[k] = BUDDY_NONE;
    for (uint64_t i = 0; i < nr_frames; i++)
        meta[i] = (struct buddy_frame){ .next = BUDDY_NONE, .prev = BUDDY_NONE,
                                        .state = BUDDY_USED };
}

/* True if the free block of the given order whose head is at pfn is within the range. */
static bool buddy_is_free_head(const struct buddy *b, uint64_t pfn, unsigned int order)
{
    if (pfn < b->base_pfn || buddy_idx(b, pfn) >= b->nr_frames)
        return false;
    const struct buddy_frame *f = &b->meta[buddy_idx(b, pfn)];
    return f->state == BUDDY_FREE_HEAD && f->order == order;
}

static void buddy_check_free(const struct buddy *b, uint64_t pfn, unsigned int order)
{
    if (order > BUDDY_MAX_ORDER)
        panic("buddy: free of pfn %#llx with order %u > %u", (unsigned long long)pfn, order,
              BUDDY_MAX_ORDER);
    if (pfn & ((1ULL << order) - 1))
        panic("buddy: free of pfn %#llx misaligned for order %u", (unsigned long long)pfn, order);
    if (pfn < b->base_pfn || buddy_idx(b, pfn) >= b->nr_frames ||
        b->nr_frames - buddy_idx(b, pfn) < (1ULL << order))
        panic("buddy: free of pfn %#llx order %u outside [%#llx, %#llx)",
              (unsigned long long)pfn, order, (unsigned long long)b->base_pfn,
              (unsigned long long)(b->base_pfn + b->nr_frames));
    for (uint64_t i = 0; i < (1ULL << order); i++)
        if (b->meta[buddy_idx(b, pfn) + i].state != BUDDY_USED)
            panic("buddy: double free of pfn %#llx (order %u block at %#llx)",
                  (unsigned long long)(pfn + i), order, (unsigned long long)pfn);
}

/* Frees a checked block, merging it with free buddies of equal order as far as possible. */
static void buddy_free_block(struct buddy *b, uint64_t pfn, unsigned int order)
{
    buddy_mark(b, buddy_idx(b, pfn), order, BUDDY_FREE_TAIL);
    b->free_frames += 1ULL << order;
    while (order < BUDDY_MAX_ORDER) {
        uint64_t buddy = pfn ^ (1ULL << order);

        if (!buddy_is_free_head(b, buddy, order))
            break;
        buddy_list_del(b, buddy_idx(b, buddy));
        b->meta[buddy_idx(b, buddy)].state = BUDDY_FREE_TAIL;
        pfn &= ~(1ULL << order);
        order++;
    }
    buddy_list_push(b, buddy_idx(b, pfn), order);
}

void buddy_free(struct buddy *b, uint64_t pfn, unsigned int order)
{
    buddy_check_free(b, pfn, order);
    buddy_free_block(b, pfn, order);
}

/* The largest order of a naturally aligned block that starts at pfn and ends by end. */
static unsigned int buddy_fit_order(uint64_t pfn, uint64_t end)
{
    unsigned int order = pfn ? (unsigned int)__builtin_ctzll(pfn) : BUDDY_MAX_ORDER;

    order = MIN(order, BUDDY_MAX_ORDER);
    while (pfn + (1ULL << order) > end)
        order--;
    return order;
}

void buddy_add_range(struct buddy *b, uint64_t pfn, uint64_t count)
{
    uint64_t end = b->base_pfn + b->nr_frames;

    /* Clip without overflowing: a range may come straight from a firmware memory map. */
    if (count > UINT64_MAX - pfn)
        count = UINT64_MAX - pfn;
    end = MIN(end, pfn + count);
    pfn = MAX(pfn, b->base_pfn);
    if (pfn >= end)
        return;
    b->total_frames += end - pfn;
    while (pfn < end) {
        unsigned int order = buddy_fit_order(pfn, end);

        buddy_check_free(b, pfn, order);
        buddy_free_block(b, pfn, order);
        pfn += 1ULL << order;
    }
}

/* Turns the free block at pfn of order `have` into an allocated block of order `want` at pfn. */
static int64_t buddy_take(struct buddy *b, uint64_t pfn, unsigned int have, unsigned int want)
{
    buddy_list_del(b, buddy_idx(b, pfn));
    /* Keep the lower half each time, so the result starts at pfn. */
    while (have > want) {
        have--;
        buddy_list_push(b, buddy_idx(b, pfn + (1ULL << have)), have);
    }
    buddy_mark(b, buddy_idx(b, pfn), want, BUDDY_USED);
    b->free_frames -= 1ULL << want;
    return (int64_t)pfn;
}

int64_t buddy_alloc(struct buddy *b, unsigned int order)
{
    for (unsigned int k = order; k <= BUDDY_MAX_ORDER; k++) {
        uint32_t head = b->free_head[k];

        if (head != BUDDY_NONE)
            return buddy_take(b, b->base_pfn + head, k, order);
    }
    return -ENOMEM;
}

/* The lowest free block on list k whose first 2^order frames end by limit_pfn, or BUDDY_NONE. */
static uint32_t buddy_lowest_below(const struct buddy *b, unsigned int k, unsigned int order,
                                   uint64_t limit_pfn)
{
    uint32_t best = BUDDY_NONE;

    for (uint32_t i = b->free_head[k]; i != BUDDY_NONE; i = b->meta[i].next) {
        uint64_t pfn = b->base_pfn + i;

        if (pfn + (1ULL << order) <= limit_pfn && (best == BUDDY_NONE || i < best))
            best = i;
    }
    return best;
}

/*
 * Best fit by order, so a large low block is split only when nothing smaller will do; among
 * blocks of that order the lowest one wins. Free lists are unordered, so this walks them.
 */
int64_t buddy_alloc_below(struct buddy *b, unsigned int order, uint64_t limit_pfn)
{
    for (unsigned int k = order; k <= BUDDY_MAX_ORDER; k++) {
        uint32_t idx = buddy_lowest_below(b, k, order, limit_pfn);

        if (idx != BUDDY_NONE)
            return buddy_take(b, b->base_pfn + idx, k, order);
    }
    return -ENOMEM;
}
