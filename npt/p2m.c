/*
 * The p2m walker: one 4-level, 512-entry radix tree for both hardware formats. Everything about
 * how an entry is encoded is behind struct p2m_format (p2m_format.c).
 *
 * Every operation holds p2m->lock. A change that could leave a CPU with a cached translation
 * granting more than the new entry calls p2m->flush before the operation returns. Table pages
 * that were unlinked are freed only after that flush: the hardware may have cached the entry
 * that pointed to them and still walk them until then.
 */
#include <keel/p2m.h>
#include <keel/printk.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/types.h>

#include "p2m_internal.h"

const struct p2m_mem_ops *p2m_mem;

/* One change in progress: the tables it reserved, unlinked, and whether the TLBs must go. */
struct p2m_op {
    struct p2m *p2m;
    const struct p2m_format *fmt;
    uint64_t *spare[P2M_LEVELS - 1];    /* allocated before anything changes, so ENOMEM is clean */
    paddr_t spare_pa[P2M_LEVELS - 1];
    unsigned int nr_spare;
    uint64_t *freed[P2M_LEVELS - 1];    /* a removal empties at most the tables below the root */
    unsigned int nr_freed;
    uint64_t *path[P2M_LEVELS + 1];     /* the table at each level on the way to the entry */
    bool flush;
};

/* A walk over the entries that map part of [start, end), in ascending gfn order. */
struct p2m_walk {
    struct p2m_op *op;
    uint64_t start, end;
    /* Called for every non-zero leaf; it may turn the entry into a table, which is walked next. */
    void (*leaf)(struct p2m_walk *w, uint64_t *e, unsigned int level, uint64_t gfn);
    enum p2m_type from, to;
    uint64_t changed;
    void (*fn)(gfn_t gfn, mfn_t mfn, unsigned int order, enum p2m_type t, void *arg);
    void *arg;
};

void p2m_set_mem_ops(const struct p2m_mem_ops *ops)
{
    p2m_mem = ops;
}

/* --- levels and entries ----------------------------------------------------------------------- */

static unsigned int p2m_level_order(unsigned int level)
{
    return (level - 1) * P2M_LEVEL_BITS;
}

static unsigned int p2m_order_level(unsigned int order)
{
    return order / P2M_LEVEL_BITS + 1;
}

static uint64_t p2m_span(unsigned int level)
{
    return 1ULL << p2m_level_order(level);
}

static unsigned int p2m_index(uint64_t gfn, unsigned int level)
{
    return (gfn >> p2m_level_order(level)) & (P2M_ENTRIES - 1);
}

static bool p2m_is_table(const struct p2m_format *fmt, uint64_t e, unsigned int level)
{
    return level > 1 && fmt->present(e) && !fmt->is_leaf(e);
}

static uint64_t *p2m_table_va(const struct p2m_format *fmt, uint64_t e)
{
    return p2m_mem->table_va(fmt->addr(e));
}

static bool p2m_type_present(const struct p2m_format *fmt, enum p2m_type t)
{
    return fmt->present(fmt->make_leaf(_mfn(0), t, P2M_ORDER_4K));
}

/* The frame that leaf e (at level) gives gfn, or INVALID_MFN if e is not present. */
static mfn_t p2m_leaf_mfn(const struct p2m_format *fmt, uint64_t e, unsigned int level,
                          uint64_t gfn)
{
    if (!fmt->present(e))
        return INVALID_MFN;
    return _mfn((fmt->addr(e) >> PAGE_SHIFT) + (gfn & (p2m_span(level) - 1)));
}

static void p2m_write_entry(uint64_t *e, uint64_t v)
{
    /* The hardware walks concurrently: one 8-byte store, after a new table's contents. */
    __atomic_store_n(e, v, __ATOMIC_RELEASE);
}

static void p2m_account(struct p2m *p2m, uint64_t e, unsigned int level, bool add)
{
    enum p2m_type t = p2m->fmt->type(e);    /* tables carry no type */

    if (t == p2m_invalid)
        return;
    if (add)
        p2m->nr_pages[t] += p2m_span(level);
    else
        p2m->nr_pages[t] -= p2m_span(level);
}

/* ram_ro and ram_logdirty give the hardware the same rights, and ram_rw a superset of them. */
static bool p2m_type_widens(enum p2m_type from, enum p2m_type to)
{
    if (from == to)
        return true;
    if (from != p2m_ram_ro && from != p2m_ram_logdirty)
        return false;
    return to == p2m_ram_rw || to == p2m_ram_ro || to == p2m_ram_logdirty;
}

static bool p2m_reduces_access(const struct p2m_format *fmt, uint64_t old, uint64_t new)
{
    if (!fmt->present(old))
        return false;
    if (!fmt->present(new) || fmt->addr(old) != fmt->addr(new))
        return true;
    return !p2m_type_widens(fmt->type(old), fmt->type(new));
}

/* The entry that decides gfn's translation, not below level stop; *level is where it was found. */
static uint64_t p2m_find(const struct p2m *p2m, uint64_t gfn, unsigned int stop,
                         unsigned int *level)
{
    const struct p2m_format *fmt = p2m->fmt;
    unsigned int l = P2M_LEVELS;
    uint64_t e = p2m->root[p2m_index(gfn, l)];

    while (l > stop && p2m_is_table(fmt, e, l)) {
        uint64_t *table = p2m_table_va(fmt, e);

        l--;
        e = table[p2m_index(gfn, l)];
    }
    *level = l;
    return e;
}

/* --- table pages ------------------------------------------------------------------------------ */

static void p2m_release_spares(struct p2m_op *op)
{
    while (op->nr_spare)
        p2m_mem->free_page(op->spare[--op->nr_spare]);
}

static int p2m_reserve(struct p2m_op *op, unsigned int n)
{
    while (op->nr_spare < n) {
        uint64_t *va = p2m_mem->alloc_page(&op->spare_pa[op->nr_spare]);

        if (!va) {
            p2m_release_spares(op);
            return -ENOMEM;
        }
        op->spare[op->nr_spare++] = va;
    }
    return 0;
}

/* Fills a new table below level with what leaf e mapped: same type, consecutive frames. */
static void p2m_fill_split(const struct p2m_format *fmt, uint64_t *table, uint64_t e,
                           unsigned int level)
{
    enum p2m_type t = fmt->type(e);
    uint64_t step = p2m_span(level - 1);

    for (unsigned int i = 0; i < P2M_ENTRIES; i++)
        table[i] = fmt->make_leaf(p2m_leaf_mfn(fmt, e, level, i * step), t,
                                  p2m_level_order(level - 1));
}

/* Puts a reserved table under e; a leaf there is split into it, so no translation changes. */
static uint64_t *p2m_install_table(struct p2m_op *op, uint64_t *e, unsigned int level)
{
    uint64_t *table;

    BUG_ON(!op->nr_spare);
    table = op->spare[--op->nr_spare];
    if (*e)
        p2m_fill_split(op->fmt, table, *e, level);
    p2m_write_entry(e, op->fmt->make_table(op->spare_pa[op->nr_spare]));
    op->p2m->nr_tables++;
    return table;
}

/* A table just unlinked from level + 1: its pages stop counting, and it goes after the flush. */
static void p2m_forget_table(struct p2m_op *op, uint64_t *table, unsigned int level)
{
    for (unsigned int i = 0; i < P2M_ENTRIES; i++)
        p2m_account(op->p2m, table[i], level, false);
    BUG_ON(op->nr_freed == ARRAY_SIZE(op->freed));
    op->freed[op->nr_freed++] = table;
    op->p2m->nr_tables--;
    op->flush = true;
}

static void p2m_op_finish(struct p2m_op *op)
{
    if (op->flush && op->p2m->flush)
        op->p2m->flush(op->p2m);
    while (op->nr_freed)
        p2m_mem->free_page(op->freed[--op->nr_freed]);
    p2m_release_spares(op);
}

/* --- changing one entry ----------------------------------------------------------------------- */

/* The entry for gfn at level target, making or splitting the tables above it (reserved). */
static uint64_t *p2m_descend(struct p2m_op *op, uint64_t gfn, unsigned int target)
{
    uint64_t *table = op->p2m->root;

    for (unsigned int level = P2M_LEVELS; level > target; level--) {
        uint64_t *e = &table[p2m_index(gfn, level)];

        op->path[level] = table;
        if (p2m_is_table(op->fmt, *e, level))
            table = p2m_table_va(op->fmt, *e);
        else
            table = p2m_install_table(op, e, level);
    }
    op->path[target] = table;
    return &table[p2m_index(gfn, target)];
}

static void p2m_replace(struct p2m_op *op, uint64_t *e, unsigned int level, uint64_t new)
{
    uint64_t old = *e;

    if (p2m_is_table(op->fmt, old, level)) {
        p2m_write_entry(e, new);
        p2m_forget_table(op, p2m_table_va(op->fmt, old), level - 1);
    } else {
        if (p2m_reduces_access(op->fmt, old, new))
            op->flush = true;
        p2m_account(op->p2m, old, level, false);
        p2m_write_entry(e, new);
    }
    p2m_account(op->p2m, new, level, true);
}

static bool p2m_table_empty(const uint64_t *table)
{
    for (unsigned int i = 0; i < P2M_ENTRIES; i++)
        if (table[i])
            return false;
    return true;
}

/* Unlinks the tables on gfn's path that a removal left empty, from level up (never the root). */
static void p2m_prune(struct p2m_op *op, uint64_t gfn, unsigned int level)
{
    for (; level < P2M_LEVELS && p2m_table_empty(op->path[level]); level++) {
        p2m_write_entry(&op->path[level + 1][p2m_index(gfn, level + 1)], 0);
        p2m_forget_table(op, op->path[level], level);
    }
}

/* Sets the entry for gfn at level to new; all tables needed are allocated before any change. */
static int p2m_write(struct p2m *p2m, uint64_t gfn, unsigned int level, uint64_t new)
{
    struct p2m_op op = { .p2m = p2m, .fmt = p2m->fmt };
    unsigned int found;
    uint64_t cur = p2m_find(p2m, gfn, level, &found);
    int rc;

    if (!cur && !new)
        return 0;
    rc = p2m_reserve(&op, found - level);
    if (rc)
        return rc;
    p2m_replace(&op, p2m_descend(&op, gfn, level), level, new);
    if (!new)
        p2m_prune(&op, gfn, level);
    p2m_op_finish(&op);
    return 0;
}

/* --- walking a range -------------------------------------------------------------------------- */

static void p2m_walk_table(struct p2m_walk *w, uint64_t *table, unsigned int level, uint64_t base)
{
    const struct p2m_format *fmt = w->op->fmt;
    uint64_t span = p2m_span(level);
    uint64_t first = (MAX(w->start, base) - base) / span;
    uint64_t last = (MIN(w->end, base + P2M_ENTRIES * span) - 1 - base) / span;

    for (uint64_t i = first; i <= last; i++) {
        uint64_t gfn = base + i * span;

        if (table[i] && !p2m_is_table(fmt, table[i], level))
            w->leaf(w, &table[i], level, gfn);
        if (p2m_is_table(fmt, table[i], level))
            p2m_walk_table(w, p2m_table_va(fmt, table[i]), level - 1, gfn);
    }
}

static void p2m_visit_leaf(struct p2m_walk *w, uint64_t *e, unsigned int level, uint64_t gfn)
{
    const struct p2m_format *fmt = w->op->fmt;

    w->fn(_gfn(gfn), p2m_leaf_mfn(fmt, *e, level, gfn), p2m_level_order(level), fmt->type(*e),
          w->arg);
}

static bool p2m_range_splits_leaf(const struct p2m_walk *w, uint64_t gfn, unsigned int level)
{
    return gfn < w->start || gfn + p2m_span(level) > w->end;
}

static void p2m_change_leaf(struct p2m_walk *w, uint64_t *e, unsigned int level, uint64_t gfn)
{
    const struct p2m_format *fmt = w->op->fmt;
    uint64_t new;

    if (fmt->type(*e) != w->from)
        return;
    if (p2m_range_splits_leaf(w, gfn, level)) {
        p2m_install_table(w->op, e, level);
        return;
    }
    new = fmt->make_leaf(p2m_leaf_mfn(fmt, *e, level, gfn), w->to, p2m_level_order(level));
    p2m_replace(w->op, e, level, new);
    w->changed += p2m_span(level);
}

/* 1 if gfn lies in a large entry of type from that the range only partly covers. */
static unsigned int p2m_split_needed(const struct p2m_walk *w, uint64_t gfn)
{
    const struct p2m_format *fmt = w->op->fmt;
    unsigned int level;
    uint64_t e = p2m_find(w->op->p2m, gfn, 2, &level);
    uint64_t base = ALIGN_DOWN(gfn, p2m_span(2));

    if (level != 2 || !e || p2m_is_table(fmt, e, level) || fmt->type(e) != w->from)
        return 0;
    return p2m_range_splits_leaf(w, base, level);
}

/* Only the large entries at the two ends of the range can be partly covered. */
static unsigned int p2m_change_splits(const struct p2m_walk *w)
{
    uint64_t first = ALIGN_DOWN(w->start, p2m_span(2)), last = ALIGN_DOWN(w->end - 1, p2m_span(2));
    unsigned int n = p2m_split_needed(w, w->start);

    return last == first ? n : n + p2m_split_needed(w, w->end - 1);
}

static bool p2m_change_valid(const struct p2m_format *fmt, uint64_t start, uint64_t count,
                             enum p2m_type from, enum p2m_type to)
{
    if ((unsigned int)from >= P2M_NR_TYPES || (unsigned int)to >= P2M_NR_TYPES)
        return false;
    if (from == p2m_invalid || from == to || !count || start > P2M_MAX_GFN)
        return false;
    /* An entry without a frame cannot become one that needs a frame. */
    return p2m_type_present(fmt, from) || !p2m_type_present(fmt, to);
}

/* --- the interface ---------------------------------------------------------------------------- */

static int p2m_check_gfn(uint64_t gfn, unsigned int order)
{
    uint64_t n;

    if (order != P2M_ORDER_4K && order != P2M_ORDER_2M)
        return -EINVAL;
    n = 1ULL << order;
    if ((gfn & (n - 1)) || gfn > P2M_MAX_GFN - (n - 1))
        return -EINVAL;
    return 0;
}

static int p2m_check_map(const struct p2m_format *fmt, uint64_t gfn, mfn_t mfn,
                         unsigned int order, enum p2m_type t)
{
    uint64_t m = mfn_x(mfn), n;
    int rc = p2m_check_gfn(gfn, order);

    if (rc)
        return rc;
    if ((unsigned int)t >= P2M_NR_TYPES)
        return -EINVAL;
    if (!p2m_type_present(fmt, t))
        return 0;
    n = 1ULL << order;
    if ((m & (n - 1)) || m > P2M_MAX_MFN - (n - 1))
        return -EINVAL;
    return 0;
}

/* Leaves flush and owner alone: the caller may set them before or after. */
int p2m_init(struct p2m *p2m, enum p2m_format_id format)
{
    const struct p2m_format *fmt = p2m_format_get(format);
    paddr_t pa;
    uint64_t *root;

    if (!fmt || !p2m_mem)
        return -EINVAL;
    root = p2m_mem->alloc_page(&pa);
    if (!root)
        return -ENOMEM;
    p2m->fmt = fmt;
    p2m->root = root;
    p2m->root_pa = pa;
    p2m->lock = (spinlock_t)SPINLOCK_INIT;
    p2m->nr_tables = 1;
    memset(p2m->nr_pages, 0, sizeof(p2m->nr_pages));
    return 0;
}

static void p2m_free_tables(const struct p2m_format *fmt, uint64_t *table, unsigned int level)
{
    for (unsigned int i = 0; i < P2M_ENTRIES; i++)
        if (p2m_is_table(fmt, table[i], level))
            p2m_free_tables(fmt, p2m_table_va(fmt, table[i]), level - 1);
    p2m_mem->free_page(table);
}

/*
 * No flush: by now the domain's vCPUs are gone, and whoever gives its root or its TLB tag to a
 * new guest flushes then.
 */
void p2m_destroy(struct p2m *p2m)
{
    if (!p2m->root)
        return;
    spin_lock(&p2m->lock);
    p2m_free_tables(p2m->fmt, p2m->root, P2M_LEVELS);
    p2m->root = NULL;
    p2m->root_pa = 0;
    p2m->nr_tables = 0;
    memset(p2m->nr_pages, 0, sizeof(p2m->nr_pages));
    spin_unlock(&p2m->lock);
}

int p2m_set_entry(struct p2m *p2m, gfn_t gfn, mfn_t mfn, unsigned int order, enum p2m_type t)
{
    const struct p2m_format *fmt = p2m->fmt;
    int rc = p2m_check_map(fmt, gfn_x(gfn), mfn, order, t);

    if (rc)
        return rc;
    if (!p2m_type_present(fmt, t))
        mfn = INVALID_MFN;
    spin_lock(&p2m->lock);
    rc = p2m_write(p2m, gfn_x(gfn), p2m_order_level(order), fmt->make_leaf(mfn, t, order));
    spin_unlock(&p2m->lock);
    return rc;
}

int p2m_remove(struct p2m *p2m, gfn_t gfn, unsigned int order)
{
    int rc = p2m_check_gfn(gfn_x(gfn), order);

    if (rc)
        return rc;
    spin_lock(&p2m->lock);
    rc = p2m_write(p2m, gfn_x(gfn), p2m_order_level(order), 0);
    spin_unlock(&p2m->lock);
    return rc;
}

enum p2m_type p2m_lookup(struct p2m *p2m, gfn_t gfn, mfn_t *mfn, unsigned int *order)
{
    const struct p2m_format *fmt = p2m->fmt;
    uint64_t g = gfn_x(gfn), e = 0;
    unsigned int level = 1;

    spin_lock(&p2m->lock);
    if (g <= P2M_MAX_GFN)
        e = p2m_find(p2m, g, 1, &level);
    spin_unlock(&p2m->lock);
    if (mfn)
        *mfn = p2m_leaf_mfn(fmt, e, level, g);
    if (order)
        *order = e ? p2m_level_order(level) : P2M_ORDER_4K;
    return fmt->type(e);
}

/*
 * Splitting needs memory and this has no error to return: without it nothing changes, and the
 * failure is logged.
 */
uint64_t p2m_change_type_range(struct p2m *p2m, gfn_t start, uint64_t count, enum p2m_type from,
                               enum p2m_type to)
{
    struct p2m_op op = { .p2m = p2m, .fmt = p2m->fmt };
    struct p2m_walk w = { .op = &op, .leaf = p2m_change_leaf, .from = from, .to = to };

    if (!p2m_change_valid(p2m->fmt, gfn_x(start), count, from, to))
        return 0;
    w.start = gfn_x(start);
    w.end = w.start + MIN(count, P2M_MAX_GFN + 1 - w.start);
    spin_lock(&p2m->lock);
    if (p2m_reserve(&op, p2m_change_splits(&w)) == 0) {
        p2m_walk_table(&w, p2m->root, P2M_LEVELS, 0);
        p2m_op_finish(&op);
    } else {
        pr_err("p2m %p: no memory to split a 2 MiB entry: %s -> %s not done in gfns %#llx+%#llx\n",
               p2m->owner, p2m_type_name(from), p2m_type_name(to),
               (unsigned long long)w.start, (unsigned long long)(w.end - w.start));
    }
    spin_unlock(&p2m->lock);
    return w.changed;
}

/* fn runs with the p2m lock held, so it must not call back into the p2m. */
void p2m_for_each_mapped(struct p2m *p2m, void (*fn)(gfn_t gfn, mfn_t mfn, unsigned int order,
                                                     enum p2m_type t, void *arg), void *arg)
{
    struct p2m_op op = { .p2m = p2m, .fmt = p2m->fmt };
    struct p2m_walk w = { .op = &op, .leaf = p2m_visit_leaf, .start = 0, .end = P2M_MAX_GFN + 1,
                          .fn = fn, .arg = arg };

    spin_lock(&p2m->lock);
    p2m_walk_table(&w, p2m->root, P2M_LEVELS, 0);
    spin_unlock(&p2m->lock);
}

const char *p2m_type_name(enum p2m_type t)
{
    static const char *const names[P2M_NR_TYPES] = {
        [p2m_invalid] = "invalid", [p2m_ram_rw] = "ram_rw", [p2m_ram_ro] = "ram_ro",
        [p2m_ram_logdirty] = "ram_logdirty", [p2m_mmio_dm] = "mmio_dm",
        [p2m_mmio_hv] = "mmio_hv", [p2m_mmio_direct] = "mmio_direct",
    };

    return (unsigned int)t < P2M_NR_TYPES ? names[t] : "?";
}
