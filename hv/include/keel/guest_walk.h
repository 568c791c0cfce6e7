/*
 * Walking a guest's own page tables (guest-virtual -> guest-physical) in every paging mode, as the
 * CPU would: for the hypervisor's accesses on a guest's behalf. Pure logic over a callback that
 * reads and writes guest-physical memory, so it is unit-tested on the host.
 */
#ifndef KEEL_GUEST_WALK_H
#define KEEL_GUEST_WALK_H

#include <keel/types.h>

/* The control registers that decide the paging mode. */
struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
    unsigned int cpl;               /* 3 = user access checks */
    bool smap_ac;                   /* RFLAGS.AC: when set, SMAP spares explicit accesses */
};

enum guest_access { GW_READ = 0, GW_WRITE = 1, GW_FETCH = 2 };
/* An access the CPU makes itself (GDT, IDT, TSS): a supervisor access whatever the CPL, so no
 * PFEC_USER; SMAP applies to it even with RFLAGS.AC set. */
#define GW_IMPLICIT 0x10

/* Guest-physical accesses the walker needs; each returns 0 or -EFAULT (gpa not RAM). */
struct guest_mem_ops {
    int (*read)(void *ctx, uint64_t gpa, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t gpa, const void *buf, size_t len);   /* A/D bits */
};

/* x86 page-fault error code bits, as delivered to the guest. */
#define PFEC_PRESENT (1u << 0)
#define PFEC_WRITE   (1u << 1)
#define PFEC_USER    (1u << 2)
#define PFEC_RSVD    (1u << 3)
#define PFEC_FETCH   (1u << 4)

/*
 * In long mode a non-canonical gva raises #GP, not #PF: callers check before walking. If they do
 * not, guest_walk returns GW_PAGE_FAULT with this *pfec, a value no CPU produces.
 */
#define GW_PFEC_NONCANONICAL 0xffffffffu

enum guest_walk_result {
    GW_OK = 0,
    GW_PAGE_FAULT = 1,              /* deliver #PF with *pfec at the address */
    GW_BAD_GPA = 2,                 /* a page-table entry points outside guest RAM */
};

/*
 * Translates gva for an access of the given kind (GW_READ/WRITE/FETCH, optionally | GW_IMPLICIT)
 * in the mode described by pg: no paging, 32-bit (with PSE), PAE, 4-level or 5-level (CR4.LA57).
 * Honours WP, NXE, SMEP, SMAP, PSE, reserved bits (MAXPHYADDR taken as 52); sets Accessed bits on
 * every level walked, even when a later level faults, and on the leaf Accessed, plus Dirty for
 * writes, only when the access is allowed. PFEC_USER is set for cpl 3 accesses that are not
 * GW_IMPLICIT. On GW_OK sets *gpa; on GW_PAGE_FAULT sets *pfec.
 */
enum guest_walk_result guest_walk(const struct guest_paging *pg, uint64_t gva, unsigned int access,
                                  const struct guest_mem_ops *mem, void *ctx, uint64_t *gpa,
                                  uint32_t *pfec);

#endif
