/*
 * Guest page-table walker. Every paging mode is one loop over that mode's list of levels (32-bit,
 * PAE, 4-level, 5-level); a level says which address bits index it, whether PS=1 maps a page
 * there and which bits are reserved. MAXPHYADDR is taken as 52, so only the architecturally
 * reserved bits fault. Access rights combine over all levels and are checked at the leaf, as on
 * the CPU. Protection keys are not implemented.
 */
#include <keel/guest_walk.h>

#define GW_CR0_WP    (1ull << 16)
#define GW_CR0_PG    (1ull << 31)
#define GW_CR4_PSE   (1ull << 4)
#define GW_CR4_PAE   (1ull << 5)
#define GW_CR4_LA57  (1ull << 12)
#define GW_CR4_SMEP  (1ull << 20)
#define GW_CR4_SMAP  (1ull << 21)
#define GW_EFER_LMA  (1ull << 10)
#define GW_EFER_NXE  (1ull << 11)

#define GW_P         (1ull << 0)
#define GW_RW        (1ull << 1)
#define GW_US        (1ull << 2)
#define GW_A         (1ull << 5)
#define GW_D         (1ull << 6)
#define GW_PS        (1ull << 7)
#define GW_XD        (1ull << 63)

#define GW_ADDR_MASK 0x000ffffffffff000ull     /* bits 51:12 */
#define GW_BITS(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

#define GW_L_LARGE   0x1    /* PS=1 maps a page at this level */
#define GW_L_PSE     0x2    /* ...only with CR4.PSE, and bits 20:13 are address bits 39:32 */
#define GW_L_PDPTE   0x4    /* PAE PDPTE: no access rights and no accessed flag */

struct gw_level {
    uint8_t shift;          /* the lowest linear-address bit this level translates */
    uint8_t bits;           /* how many linear-address bits index its table */
    uint8_t flags;
    uint64_t rsvd;          /* reserved bits in any entry of this level */
    uint64_t rsvd_large;    /* further reserved bits when the entry maps a page */
};

struct gw_format {
    const struct gw_level *levels;
    uint8_t nlevels;
    uint8_t entry_size;     /* 4 or 8 */
    uint64_t cr3_mask;      /* the address of the top table in CR3 */
    uint64_t next_mask;     /* the address of the next table in an entry */
};

static const struct gw_level gw_levels_32[] = {
    { .shift = 22, .bits = 10, .flags = GW_L_LARGE | GW_L_PSE, .rsvd_large = 1ull << 21 },
    { .shift = 12, .bits = 10 },
};

/* In PAE paging, bits 62:52 are reserved and the PDPTEs reserve more, XD included. */
static const struct gw_level gw_levels_pae[] = {
    { .shift = 30, .bits = 2, .flags = GW_L_PDPTE,
      .rsvd = GW_BITS(63, 52) | GW_BITS(8, 5) | GW_BITS(2, 1) },
    { .shift = 21, .bits = 9, .flags = GW_L_LARGE, .rsvd = GW_BITS(62, 52),
      .rsvd_large = GW_BITS(20, 13) },
    { .shift = 12, .bits = 9, .rsvd = GW_BITS(62, 52) },
};

/* PML5, PML4, PDPT, PD, PT. In long mode bits 62:52 are ignored, not reserved. */
static const struct gw_level gw_levels_long[] = {
    { .shift = 48, .bits = 9, .rsvd = GW_PS },
    { .shift = 39, .bits = 9, .rsvd = GW_PS },
    { .shift = 30, .bits = 9, .flags = GW_L_LARGE, .rsvd_large = GW_BITS(29, 13) },
    { .shift = 21, .bits = 9, .flags = GW_L_LARGE, .rsvd_large = GW_BITS(20, 13) },
    { .shift = 12, .bits = 9 },
};

static const struct gw_format gw_format_32 = {
    gw_levels_32, 2, 4, GW_BITS(31, 12), GW_BITS(31, 12),
};
static const struct gw_format gw_format_pae = {
    gw_levels_pae, 3, 8, GW_BITS(31, 5), GW_ADDR_MASK,
};
static const struct gw_format gw_format_4level = {
    gw_levels_long + 1, 4, 8, GW_ADDR_MASK, GW_ADDR_MASK,
};
static const struct gw_format gw_format_5level = {
    gw_levels_long, 5, 8, GW_ADDR_MASK, GW_ADDR_MASK,
};

struct gw_walk {
    const struct guest_paging *pg;
    const struct guest_mem_ops *mem;
    void *ctx;
    const struct gw_format *fmt;
    uint64_t gva;
    unsigned int kind;          /* GW_READ, GW_WRITE or GW_FETCH */
    bool implicit;
    bool user_ok, write_ok, exec_ok;    /* rights of all levels so far */
};

static int gw_read_entry(const struct gw_walk *w, uint64_t gpa, uint64_t *e)
{
    uint32_t e32;

    if (w->fmt->entry_size == 8)
        return w->mem->read(w->ctx, gpa, e, 8);
    if (w->mem->read(w->ctx, gpa, &e32, 4))
        return -EFAULT;
    *e = e32;
    return 0;
}

/* Sets A (and D) in an entry, writing it back only if that changes it. */
static int gw_set_bits(const struct gw_walk *w, uint64_t gpa, uint64_t e, uint64_t bits)
{
    uint32_t e32;

    if ((e & bits) == bits)
        return 0;
    e |= bits;
    if (w->fmt->entry_size == 8)
        return w->mem->write(w->ctx, gpa, &e, 8);
    e32 = (uint32_t)e;
    return w->mem->write(w->ctx, gpa, &e32, 4);
}

/* Implicit accesses (descriptor tables, TSS) are supervisor accesses whatever the CPL. */
static bool gw_user_access(const struct gw_walk *w)
{
    return w->pg->cpl == 3 && !w->implicit;
}

/* The error-code bits that describe the access. The CPU reports I/D only when SMEP or NX (PAE
 * or long mode with EFER.NXE) could have made the fetch fault. */
static uint32_t gw_access_pfec(const struct gw_walk *w)
{
    const struct guest_paging *pg = w->pg;
    bool nx = (pg->cr4 & GW_CR4_PAE) && (pg->efer & GW_EFER_NXE);
    uint32_t pfec = 0;

    if (w->kind == GW_WRITE)
        pfec |= PFEC_WRITE;
    if (gw_user_access(w))
        pfec |= PFEC_USER;
    if (w->kind == GW_FETCH && (nx || (pg->cr4 & GW_CR4_SMEP)))
        pfec |= PFEC_FETCH;
    return pfec;
}

static enum guest_walk_result gw_fault(const struct gw_walk *w, uint32_t bits, uint32_t *pfec)
{
    *pfec = bits | gw_access_pfec(w);
    return GW_PAGE_FAULT;
}

static bool gw_allowed(const struct gw_walk *w)
{
    const struct guest_paging *pg = w->pg;

    if (gw_user_access(w)) {
        if (!w->user_ok)
            return false;
        return w->kind == GW_WRITE ? w->write_ok : w->kind == GW_FETCH ? w->exec_ok : true;
    }
    if (w->kind == GW_FETCH)
        return w->exec_ok && !(w->user_ok && (pg->cr4 & GW_CR4_SMEP));
    /* SMAP: explicit accesses may use RFLAGS.AC to reach user pages, implicit ones never */
    if (w->user_ok && (pg->cr4 & GW_CR4_SMAP) && (w->implicit || !pg->smap_ac))
        return false;
    return w->kind != GW_WRITE || w->write_ok || !(pg->cr0 & GW_CR0_WP);
}

static bool gw_is_large(const struct gw_walk *w, const struct gw_level *l, uint64_t e)
{
    if (!(l->flags & GW_L_LARGE) || !(e & GW_PS))
        return false;
    return !(l->flags & GW_L_PSE) || (w->pg->cr4 & GW_CR4_PSE);
}

static uint64_t gw_reserved(const struct gw_walk *w, const struct gw_level *l, bool large)
{
    uint64_t rsvd = l->rsvd | (large ? l->rsvd_large : 0);

    if (w->fmt->entry_size == 8 && !(w->pg->efer & GW_EFER_NXE))
        rsvd |= GW_XD;
    return rsvd;
}

static void gw_rights(struct gw_walk *w, const struct gw_level *l, uint64_t e)
{
    if (l->flags & GW_L_PDPTE)
        return;
    w->user_ok = w->user_ok && (e & GW_US);
    w->write_ok = w->write_ok && (e & GW_RW);
    if (w->pg->efer & GW_EFER_NXE)
        w->exec_ok = w->exec_ok && !(e & GW_XD);
}

static uint64_t gw_page_addr(const struct gw_level *l, uint64_t e)
{
    uint64_t page = ~0ull << l->shift;

    if (l->flags & GW_L_PSE)    /* PSE-36: PDE bits 20:13 are address bits 39:32 */
        return (e & page & GW_BITS(31, 22)) | ((e >> 13) & 0xff) << 32;
    return e & page & GW_ADDR_MASK;
}

/* A permission fault leaves the leaf alone; a successful access sets its A, and D for writes. */
static enum guest_walk_result gw_leaf(struct gw_walk *w, const struct gw_level *l, uint64_t ea,
                                      uint64_t e, uint64_t *gpa, uint32_t *pfec)
{
    uint64_t bits = GW_A | (w->kind == GW_WRITE ? GW_D : 0);

    if (!gw_allowed(w))
        return gw_fault(w, PFEC_PRESENT, pfec);
    if (gw_set_bits(w, ea, e, bits))
        return GW_BAD_GPA;
    *gpa = gw_page_addr(l, e) | (w->gva & ((1ull << l->shift) - 1));
    return GW_OK;
}

/* Entries the walk passes through get A as it goes, even if a later level faults. */
static enum guest_walk_result gw_walk_levels(struct gw_walk *w, uint64_t table, uint64_t *gpa,
                                             uint32_t *pfec)
{
    const struct gw_format *f = w->fmt;

    for (unsigned int i = 0;; i++) {
        const struct gw_level *l = &f->levels[i];
        uint64_t ea = table + ((w->gva >> l->shift) & ((1ull << l->bits) - 1)) * f->entry_size;
        bool large, leaf;
        uint64_t e;

        if (gw_read_entry(w, ea, &e))
            return GW_BAD_GPA;
        if (!(e & GW_P))
            return gw_fault(w, 0, pfec);
        large = gw_is_large(w, l, e);
        leaf = large || i + 1 == f->nlevels;
        if (e & gw_reserved(w, l, large))
            return gw_fault(w, PFEC_RSVD | PFEC_PRESENT, pfec);
        gw_rights(w, l, e);
        if (leaf)
            return gw_leaf(w, l, ea, e, gpa, pfec);
        if (!(l->flags & GW_L_PDPTE) && gw_set_bits(w, ea, e, GW_A))
            return GW_BAD_GPA;
        table = e & f->next_mask;
    }
}

static const struct gw_format *gw_format(const struct guest_paging *pg)
{
    if (!(pg->cr4 & GW_CR4_PAE))
        return &gw_format_32;
    if (!(pg->efer & GW_EFER_LMA))
        return &gw_format_pae;
    return (pg->cr4 & GW_CR4_LA57) ? &gw_format_5level : &gw_format_4level;
}

static bool gw_canonical(uint64_t gva, unsigned int bits)
{
    return (uint64_t)((int64_t)(gva << (64 - bits)) >> (64 - bits)) == gva;
}

enum guest_walk_result guest_walk(const struct guest_paging *pg, uint64_t gva, unsigned int access,
                                  const struct guest_mem_ops *mem, void *ctx, uint64_t *gpa,
                                  uint32_t *pfec)
{
    struct gw_walk w = {
        .pg = pg, .mem = mem, .ctx = ctx, .fmt = gw_format(pg), .gva = gva,
        .kind = access & ~GW_IMPLICIT, .implicit = access & GW_IMPLICIT,
        .user_ok = true, .write_ok = true, .exec_ok = true,
    };
    bool long_mode = pg->efer & GW_EFER_LMA;

    if (!(pg->cr0 & GW_CR0_PG)) {
        *gpa = long_mode ? gva : (uint32_t)gva;
        return GW_OK;
    }
    if (!long_mode)
        w.gva = (uint32_t)gva;
    else if (!gw_canonical(gva, (pg->cr4 & GW_CR4_LA57) ? 57 : 48)) {
        *pfec = GW_PFEC_NONCANONICAL;
        return GW_PAGE_FAULT;
    }
    return gw_walk_levels(&w, pg->cr3 & w.fmt->cr3_mask, gpa, pfec);
}
