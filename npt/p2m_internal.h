/*
 * Shared by the p2m walker (p2m.c) and the entry encodings (p2m_format.c): what a hardware format
 * has to tell the walker about its entries. Not part of the p2m's interface.
 */
#ifndef KEEL_NPT_P2M_INTERNAL_H
#define KEEL_NPT_P2M_INTERNAL_H

#include <keel/p2m.h>
#include <keel/types.h>

#define P2M_LEVELS 4                        /* PML4, PDPT, PD, PT */
#define P2M_LEVEL_BITS 9
#define P2M_ENTRIES (1u << P2M_LEVEL_BITS)
#define P2M_MAX_MFN ((1ULL << 40) - 1)      /* entries hold machine addresses up to bit 51 */

/*
 * One way of encoding an entry. Both formats keep the address in bits 51:12, bit 7 for a large
 * page and the software type in bits 52-55; they differ in the permission and cache bits.
 */
struct p2m_format {
    const char *name;
    /* An entry pointing to the next-level table at machine address pa. */
    uint64_t (*make_table)(paddr_t pa);
    /* A leaf for 2^order frames from mfn (ignored for a type that is not present); 0: invalid. */
    uint64_t (*make_leaf)(mfn_t mfn, enum p2m_type t, unsigned int order);
    bool (*present)(uint64_t e);
    /* A present entry above the last level that maps a large page instead of a table. */
    bool (*is_leaf)(uint64_t e);
    paddr_t (*addr)(uint64_t e);
    enum p2m_type (*type)(uint64_t e);
};

/* NULL for an unknown format. */
const struct p2m_format *p2m_format_get(enum p2m_format_id id);

#endif
