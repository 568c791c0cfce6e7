/*
 * The two p2m entry encodings. AMD's nested page tables are ordinary x86-64 long-mode page tables;
 * EPT has the same shape (512 entries a level, address in bits 51:12, bit 7 for a large page) and
 * differs only in the permission and memory-type bits, so it is the NPT format with the three
 * callbacks that touch those bits replaced.
 */
#include <keel/p2m.h>
#include <keel/types.h>

#include "p2m_internal.h"

#define P2M_E_ADDR 0x000ffffffffff000ULL
#define P2M_E_LARGE (1ULL << 7)
/* Bits 52-55 are ignored by both MMUs, so the software type lives there, present or not. */
#define P2M_E_TYPE_SHIFT 52
#define P2M_E_TYPE_MASK 0xfULL

BUILD_BUG_ON(P2M_NR_TYPES > P2M_E_TYPE_MASK + 1);

#define NPT_P (1ULL << 0)
#define NPT_RW (1ULL << 1)
#define NPT_US (1ULL << 2)
#define NPT_PWT (1ULL << 3)
#define NPT_PCD (1ULL << 4)

#define EPT_R (1ULL << 0)
#define EPT_W (1ULL << 1)
#define EPT_X (1ULL << 2)
#define EPT_MT_UC (0ULL << 3)
#define EPT_MT_WB (6ULL << 3)
#define EPT_IPAT (1ULL << 6)

/*
 * The nested walk treats every guest access as a user access, so US must be set at every level.
 * PCD|PWT selects PAT entry 3, uncached in the power-on PAT. No NX: what the guest may execute
 * is left to its own page tables.
 */
static const uint64_t npt_leaf_bits[P2M_NR_TYPES] = {
    [p2m_ram_rw] = NPT_P | NPT_RW | NPT_US,
    [p2m_ram_ro] = NPT_P | NPT_US,
    [p2m_ram_logdirty] = NPT_P | NPT_US,
    [p2m_mmio_direct] = NPT_P | NPT_RW | NPT_US | NPT_PWT | NPT_PCD,
};

/* IPAT on device registers: the guest's PAT must not make them cacheable. */
static const uint64_t ept_leaf_bits[P2M_NR_TYPES] = {
    [p2m_ram_rw] = EPT_R | EPT_W | EPT_X | EPT_MT_WB,
    [p2m_ram_ro] = EPT_R | EPT_X | EPT_MT_WB,
    [p2m_ram_logdirty] = EPT_R | EPT_X | EPT_MT_WB,
    [p2m_mmio_direct] = EPT_R | EPT_W | EPT_MT_UC | EPT_IPAT,
};

/* A type without bits is not present: the entry keeps only the type, to sort out its faults. */
static uint64_t p2m_encode_leaf(const uint64_t *bits, mfn_t mfn, enum p2m_type t,
                                unsigned int order)
{
    uint64_t e = (uint64_t)t << P2M_E_TYPE_SHIFT;

    if (!bits[t])
        return e;
    e |= bits[t] | ((mfn_x(mfn) << PAGE_SHIFT) & P2M_E_ADDR);
    return order ? e | P2M_E_LARGE : e;
}

static uint64_t npt_make_table(paddr_t pa)
{
    return (pa & P2M_E_ADDR) | NPT_P | NPT_RW | NPT_US;
}

static uint64_t npt_make_leaf(mfn_t mfn, enum p2m_type t, unsigned int order)
{
    return p2m_encode_leaf(npt_leaf_bits, mfn, t, order);
}

static bool npt_present(uint64_t e)
{
    return e & NPT_P;
}

static bool p2m_entry_is_leaf(uint64_t e)
{
    return e & P2M_E_LARGE;
}

static paddr_t p2m_entry_addr(uint64_t e)
{
    return e & P2M_E_ADDR;
}

static enum p2m_type p2m_entry_type(uint64_t e)
{
    return (enum p2m_type)((e >> P2M_E_TYPE_SHIFT) & P2M_E_TYPE_MASK);
}

/* Bits 5:3 of a non-leaf EPT entry are reserved: tables carry permissions only. */
static uint64_t ept_make_table(paddr_t pa)
{
    return (pa & P2M_E_ADDR) | EPT_R | EPT_W | EPT_X;
}

static uint64_t ept_make_leaf(mfn_t mfn, enum p2m_type t, unsigned int order)
{
    return p2m_encode_leaf(ept_leaf_bits, mfn, t, order);
}

static bool ept_present(uint64_t e)
{
    return e & (EPT_R | EPT_W | EPT_X);
}

static const struct p2m_format p2m_format_npt = {
    .name = "npt",
    .make_table = npt_make_table,
    .make_leaf = npt_make_leaf,
    .present = npt_present,
    .is_leaf = p2m_entry_is_leaf,
    .addr = p2m_entry_addr,
    .type = p2m_entry_type,
};

static const struct p2m_format p2m_format_ept = {
    .name = "ept",
    .make_table = ept_make_table,
    .make_leaf = ept_make_leaf,
    .present = ept_present,
    .is_leaf = p2m_entry_is_leaf,
    .addr = p2m_entry_addr,
    .type = p2m_entry_type,
};

const struct p2m_format *p2m_format_get(enum p2m_format_id id)
{
    switch (id) {
    case P2M_FORMAT_NPT:
        return &p2m_format_npt;
    case P2M_FORMAT_EPT:
        return &p2m_format_ept;
    }
    return NULL;
}
