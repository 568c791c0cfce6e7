/* Guest memory access through the p2m and the guest's page tables (see guest_mem.h). */
#include <keel/guest_mem.h>
#include <keel/hvm.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/string.h>

/* Maps one guest page for the hypervisor; NULL if the gfn is not RAM (or, for writes, not writable). */
static void *gfn_to_va(struct domain *d, uint64_t gfn, bool write, int *err)
{
    mfn_t mfn;
    enum p2m_type t = p2m_lookup(&d->p2m, _gfn(gfn), &mfn, NULL);

    if (t != p2m_ram_rw && t != p2m_ram_ro && t != p2m_ram_logdirty) {
        *err = -EFAULT;
        return NULL;
    }
    if (write && t == p2m_ram_ro) {
        *err = -EACCES;
        return NULL;
    }
    return phys_to_virt(mfn_x(mfn) << PAGE_SHIFT);
}

static int gpa_copy(struct domain *d, uint64_t gpa, void *buf, size_t len, bool write)
{
    int err = 0;

    if (!len)
        return 0;
    /* Past the guest-physical space, or wrapping past 2^64 (the loop below would check nothing). */
    if (gpa + len < gpa || (gpa + len - 1) >> PAGE_SHIFT > P2M_MAX_GFN)
        return -EFAULT;
    /* Check every page first so that a failing write changes nothing. */
    for (uint64_t a = ALIGN_DOWN(gpa, PAGE_SIZE); a < gpa + len; a += PAGE_SIZE)
        if (!gfn_to_va(d, a >> PAGE_SHIFT, write, &err))
            return err;
    while (len) {
        size_t n = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        char *va = gfn_to_va(d, gpa >> PAGE_SHIFT, write, &err);

        if (!va)                        /* the p2m changed since the check */
            return err;
        va += gpa & (PAGE_SIZE - 1);
        if (write)
            memcpy(va, buf, n);
        else
            memcpy(buf, va, n);
        buf = (char *)buf + n;
        gpa += n;
        len -= n;
    }
    return 0;
}

int gpa_read(struct domain *d, uint64_t gpa, void *buf, size_t len)
{
    return gpa_copy(d, gpa, buf, len, false);
}

int gpa_write(struct domain *d, uint64_t gpa, const void *buf, size_t len)
{
    return gpa_copy(d, gpa, (void *)buf, len, true);
}

static int walk_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    return gpa_read(ctx, gpa, buf, len);
}

static int walk_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    return gpa_write(ctx, gpa, buf, len);
}

static const struct guest_mem_ops walk_ops = { .read = walk_read, .write = walk_write };

static void paging_of(const struct vcpu_state *st, struct guest_paging *pg)
{
    *pg = (struct guest_paging){
        .cr0 = st->cr0, .cr3 = st->cr3, .cr4 = st->cr4, .efer = st->efer, .cpl = st->cpl,
        .smap_ac = st->rflags & (1u << 18),
    };
}

/* Translates [gva, gva+len) page by page and copies; see the fault contract in guest_mem.h. */
static int gva_copy(struct vcpu *v, const struct vcpu_state *st, uint64_t gva, void *buf,
                    size_t len, unsigned int access, uint32_t *pfec, uint64_t *fault_gva)
{
    struct guest_paging pg;
    uint64_t gpas[2], a = gva;
    /* Counted, not compared: a range that wraps past 2^64 still has its second page walked. */
    unsigned int pages = 0, nr = len ? 1 + ((gva & (PAGE_SIZE - 1)) + len - 1) / PAGE_SIZE : 0;

    paging_of(st, &pg);
    BUG_ON(len > PAGE_SIZE);
    for (; pages < nr; a = ALIGN_DOWN(a, PAGE_SIZE) + PAGE_SIZE) {
        enum guest_walk_result r = guest_walk(&pg, a, access, &walk_ops, v->domain, &gpas[pages], pfec);

        if (r == GW_PAGE_FAULT) {
            *fault_gva = a;
            return GUEST_FAULT;
        }
        if (r != GW_OK)
            return -EFAULT;
        pages++;
    }
    for (unsigned int i = 0; i < pages; i++) {
        size_t off = i ? PAGE_SIZE - (gva & (PAGE_SIZE - 1)) : 0;
        size_t n = i ? len - off : MIN(len, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
        int r = (access & 3) == GW_WRITE ? gpa_write(v->domain, gpas[i], (char *)buf + off, n)
                                         : gpa_read(v->domain, gpas[i], (char *)buf + off, n);
        if (r)
            return r;
    }
    return 0;
}

int gva_to_gpa(struct vcpu *v, const struct vcpu_state *st, uint64_t gva, unsigned int access,
               uint64_t *gpa, uint32_t *pfec)
{
    struct guest_paging pg;
    enum guest_walk_result r;

    paging_of(st, &pg);
    r = guest_walk(&pg, gva, access, &walk_ops, v->domain, gpa, pfec);
    return r == GW_OK ? 0 : r == GW_PAGE_FAULT ? GUEST_FAULT : -EFAULT;
}

int gva_read(struct vcpu *v, const struct vcpu_state *st, uint64_t gva, void *buf, size_t len,
             unsigned int access, uint32_t *pfec, uint64_t *fault_gva)
{
    return gva_copy(v, st, gva, buf, len, access, pfec, fault_gva);
}

int gva_write(struct vcpu *v, const struct vcpu_state *st, uint64_t gva, const void *buf,
              size_t len, uint32_t *pfec, uint64_t *fault_gva)
{
    return gva_copy(v, st, gva, (void *)buf, len, GW_WRITE, pfec, fault_gva);
}

size_t vcpu_fetch_insn(struct vcpu *v, const struct vcpu_state *st, uint8_t *buf)
{
    uint64_t rip = st->seg[SEG_CS].base + st->rip;
    size_t first;
    uint32_t pfec;
    uint64_t fault;

    if (!(st->efer & (1u << 10)))       /* outside long mode linear addresses wrap at 4 GiB */
        rip = (uint32_t)rip;
    first = MIN(X86_MAX_INSN_LEN, PAGE_SIZE - (rip & (PAGE_SIZE - 1)));
    if (gva_read(v, st, rip, buf, first, GW_FETCH, &pfec, &fault))
        return 0;
    if (first < X86_MAX_INSN_LEN &&
        !gva_read(v, st, rip + first, buf + first, X86_MAX_INSN_LEN - first, GW_FETCH, &pfec, &fault))
        return X86_MAX_INSN_LEN;
    return first;
}
