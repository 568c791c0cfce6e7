/*
 * Foreign mappings: a frame of another domain shown at one of dom0's own RAM pages (the device
 * model and the toolstack read and write guest memory this way). dom0's own frame stays dom0's
 * and comes back when the mapping ends, by KEEL_HC_FOREIGN_UNMAP or because the other domain is
 * destroyed: a destroyed domain's frames are never reachable from dom0 once they are freed.
 */
#include <keel/dom0.h>
#include <keel/foreign.h>
#include <keel/heap.h>
#include <keel/hvm.h>
#include <keel/printk.h>
#include <keel/spinlock.h>

#define FOREIGN_MAX 65536               /* mappings at once: 256 MiB of another domain's RAM */
#define FOREIGN_SLOTS (2 * FOREIGN_MAX)  /* an open-addressing table by dom0 gfn, half full at most */

struct mapping {
    uint64_t dom0_gfn;
    uint64_t own_mfn;                   /* dom0's frame, hidden while the mapping lasts */
    uint32_t domid;
    bool used;
};

static struct mapping *maps;
static unsigned int nr_used;
static spinlock_t lock;

static unsigned int home(uint64_t dom0_gfn)
{
    return (unsigned int)((dom0_gfn * 0x9e3779b97f4a7c15ull) >> 47) & (FOREIGN_SLOTS - 1);
}

static struct mapping *find(uint64_t dom0_gfn)
{
    for (unsigned int i = home(dom0_gfn); maps[i].used; i = (i + 1) & (FOREIGN_SLOTS - 1))
        if (maps[i].dom0_gfn == dom0_gfn)
            return &maps[i];
    return NULL;
}

static struct mapping *free_slot(uint64_t dom0_gfn)
{
    unsigned int i = home(dom0_gfn);

    if (nr_used >= FOREIGN_MAX)
        return NULL;
    while (maps[i].used)
        i = (i + 1) & (FOREIGN_SLOTS - 1);
    return &maps[i];
}

/* Empties slot mp, moving later entries of its run back so every lookup still finds them. */
static void remove_slot(struct mapping *mp)
{
    unsigned int hole = (unsigned int)(mp - maps), i = hole;

    maps[hole].used = false;
    for (;;) {
        unsigned int h;

        i = (i + 1) & (FOREIGN_SLOTS - 1);
        if (!maps[i].used)
            return;
        h = home(maps[i].dom0_gfn);
        /* maps[i] may fill the hole if its home is not in (hole, i], cyclically. */
        if ((hole <= i) ? (h <= hole || h > i) : (h <= hole && h > i)) {
            maps[hole] = maps[i];
            maps[i].used = false;
            hole = i;
        }
    }
}

/* The frame of d at gfn, if it is RAM the mapping may use; *ro if d itself may not write it. */
static int target_mfn(struct domain *d, uint64_t gfn, mfn_t *mfn, bool *ro)
{
    enum p2m_type t;

    if (gfn > P2M_MAX_GFN)
        return -EINVAL;
    t = p2m_lookup(&d->p2m, _gfn(gfn), mfn, NULL);
    *ro = t == p2m_ram_ro;
    return t == p2m_ram_rw || t == p2m_ram_logdirty || t == p2m_ram_ro ? 0 : -EINVAL;
}

static int map_locked(struct domain *d, const struct keel_foreign_map *m)
{
    struct mapping *slot;
    mfn_t own, mfn;
    bool ro;
    int r;

    if (m->dom0_gfn > P2M_MAX_GFN || find(m->dom0_gfn))
        return -EBUSY;
    if (p2m_lookup(&dom0->p2m, _gfn(m->dom0_gfn), &own, NULL) != p2m_ram_rw)
        return -EINVAL;                 /* only dom0's own RAM pages can show another frame */
    if ((r = target_mfn(d, m->gfn, &mfn, &ro)))
        return r;
    if (!(slot = free_slot(m->dom0_gfn)))
        return -ENOSPC;
    r = p2m_set_entry(&dom0->p2m, _gfn(m->dom0_gfn), mfn, P2M_ORDER_4K,
                      (ro || (m->flags & KEEL_FOREIGN_RO)) ? p2m_ram_ro : p2m_ram_rw);
    if (r)
        return r;
    *slot = (struct mapping){ .dom0_gfn = m->dom0_gfn, .own_mfn = mfn_x(own), .domid = d->id,
                              .used = true };
    nr_used++;
    return 0;
}

int foreign_map(const struct keel_foreign_map *m)
{
    struct domain *d;
    unsigned long flags;
    int r;

    if (m->flags & ~KEEL_FOREIGN_RO)
        return -EINVAL;
    if (m->domid == KEEL_DOM0 || !(d = domain_get(m->domid)))
        return m->domid == KEEL_DOM0 ? -EINVAL : -ESRCH;
    if (!maps && !(maps = kzalloc(FOREIGN_SLOTS * sizeof(*maps)))) {
        domain_put(d);
        return -ENOMEM;
    }
    flags = spin_lock_irqsave(&lock);
    r = domain_is_stopped(d) && d->state == DOMAIN_DYING ? -ESRCH : map_locked(d, m);
    spin_unlock_irqrestore(&lock, flags);
    domain_put(d);
    return r;
}

/* Puts dom0's own frame back; the caller flushes dom0's TLBs. */
static void undo(struct mapping *mp)
{
    p2m_set_entry(&dom0->p2m, _gfn(mp->dom0_gfn), _mfn(mp->own_mfn), P2M_ORDER_4K, p2m_ram_rw);
    remove_slot(mp);
    nr_used--;
}

int foreign_unmap(uint64_t dom0_gfn)
{
    unsigned long flags;
    struct mapping *mp;

    if (!maps)
        return -EINVAL;
    flags = spin_lock_irqsave(&lock);
    mp = find(dom0_gfn);
    if (mp)
        undo(mp);
    spin_unlock_irqrestore(&lock, flags);
    if (mp)
        hvm->p2m_flush(dom0);
    return mp ? 0 : -EINVAL;
}

void foreign_domain_gone(struct domain *d)
{
    unsigned long flags;
    unsigned int undone = 0;

    if (!maps || !dom0)
        return;
    flags = spin_lock_irqsave(&lock);
    for (unsigned int i = 0; i < FOREIGN_SLOTS && nr_used; i++)
        while (maps[i].used && maps[i].domid == d->id)     /* a later entry may move here */
            undo(&maps[i]), undone++;
    spin_unlock_irqrestore(&lock, flags);
    if (undone) {
        hvm->p2m_flush(dom0);           /* an NMI makes dom0's CPUs take the new entries */
        pr_info("d%u: %u of its frames were still mapped by dom0: unmapped\n", d->id, undone);
    }
}
