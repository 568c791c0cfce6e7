/*
 * The p2m: one per domain, guest frame (gfn) -> machine frame (mfn), plus a software type in every
 * entry (npt/). The same walker serves AMD's nested page tables and Intel's EPT; only the way an
 * entry is encoded differs (struct p2m_format). The type decides what the hardware may do with
 * the page: present entries for RAM, non-present for anything that must exit to the hypervisor.
 */
#ifndef KEEL_P2M_H
#define KEEL_P2M_H

#include <keel/spinlock.h>
#include <keel/types.h>

/* Typed frame numbers: mixing guest and machine frames does not compile. */
typedef struct { uint64_t g; } gfn_t;
typedef struct { uint64_t m; } mfn_t;
static inline gfn_t _gfn(uint64_t g) { return (gfn_t){ g }; }
static inline mfn_t _mfn(uint64_t m) { return (mfn_t){ m }; }
static inline uint64_t gfn_x(gfn_t g) { return g.g; }
static inline uint64_t mfn_x(mfn_t m) { return m.m; }
#define INVALID_MFN _mfn(~0ULL)

enum p2m_type {
    p2m_invalid = 0,        /* nothing mapped: not present */
    p2m_ram_rw,             /* guest RAM */
    p2m_ram_ro,             /* RAM the guest may read and execute; writes exit */
    p2m_ram_logdirty,       /* RAM being tracked: the first write exits, then becomes ram_rw */
    p2m_mmio_dm,            /* forwarded to the device model: not present */
    p2m_mmio_hv,            /* emulated by the hypervisor: not present */
    p2m_mmio_direct,        /* a real device's registers: present, uncached */
    P2M_NR_TYPES
};

enum p2m_format_id { P2M_FORMAT_NPT, P2M_FORMAT_EPT };

#define P2M_ORDER_4K 0
#define P2M_ORDER_2M 9
#define P2M_MAX_GFN ((1ULL << 36) - 1)      /* 48-bit guest-physical addresses: 4 levels */

/* Where the p2m gets its table pages (the frame allocator; malloc in unit tests). */
struct p2m_mem_ops {
    void *(*alloc_page)(paddr_t *pa);       /* a zeroed page and its machine address, or NULL */
    void (*free_page)(void *va);
    void *(*table_va)(paddr_t pa);          /* where a table page is reachable */
};
extern const struct p2m_mem_ops *p2m_mem;

struct p2m_format;

struct p2m {
    const struct p2m_format *fmt;
    paddr_t root_pa;                        /* for the VMCB's nCR3 or the EPTP */
    uint64_t *root;
    spinlock_t lock;
    uint64_t nr_tables;                     /* table pages held, root included */
    uint64_t nr_pages[P2M_NR_TYPES];        /* 4 KiB pages mapped, per type */
    /* Called after a change that removes or reduces access, to invalidate guest TLBs. */
    void (*flush)(struct p2m *p2m);
    void *owner;                            /* the domain */
};

void p2m_set_mem_ops(const struct p2m_mem_ops *ops);

int p2m_init(struct p2m *p2m, enum p2m_format_id format);
/* Frees every table page (not the frames mapped). */
void p2m_destroy(struct p2m *p2m);

/*
 * Maps 2^order frames (order 0 or 9; both gfn and mfn aligned to it) with type t, replacing what
 * was there; a 2 MiB entry is split when a 4 KiB part of it changes. mfn is ignored (and may be
 * INVALID_MFN) for types that are not present. -EINVAL for bad arguments, -ENOMEM.
 */
int p2m_set_entry(struct p2m *p2m, gfn_t gfn, mfn_t mfn, unsigned int order, enum p2m_type t);
/* Makes [gfn, gfn + 2^order) p2m_invalid. */
int p2m_remove(struct p2m *p2m, gfn_t gfn, unsigned int order);
/* Returns the type at gfn, with the mfn of that 4 KiB frame and the order of the entry. */
enum p2m_type p2m_lookup(struct p2m *p2m, gfn_t gfn, mfn_t *mfn, unsigned int *order);
/*
 * Changes every entry of type from to type to in [start, start + count) (log-dirty, later).
 * Returns the number of 4 KiB pages changed.
 */
uint64_t p2m_change_type_range(struct p2m *p2m, gfn_t start, uint64_t count, enum p2m_type from,
                               enum p2m_type to);
/*
 * Calls fn for each entry whose type is not p2m_invalid, in ascending gfn order, with the entry's
 * order (mfn is INVALID_MFN for types that are not present); to free a domain's RAM. fn runs
 * under the p2m's lock and must not call back into the p2m.
 */
void p2m_for_each_mapped(struct p2m *p2m, void (*fn)(gfn_t gfn, mfn_t mfn, unsigned int order,
                                                     enum p2m_type t, void *arg), void *arg);

const char *p2m_type_name(enum p2m_type t);

#endif
