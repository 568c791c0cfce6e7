/*
 * Guest paging in its three formats: 32-bit (4 KiB and 4 MiB pages), PAE (4 KiB, 2 MiB) and
 * 4-level (4 KiB, 2 MiB, 1 GiB). Each case maps a virtual address to a page whose content we
 * know, reads it, checks the accessed bit on every level and no dirty bit, then writes it and
 * checks the dirty bit on the leaf only. The 32-bit and PAE cases run in 32-bit protected mode
 * (access32.S); the 4-level ones switch CR3 in long mode. Last, two 4-level tables that map one
 * address to different pages, and CR3 switches between them.
 */
#include "guest.h"

#define VA_LOW      0x40000000ull       /* 32-bit modes: away from the identity-mapped 4 MiB */
#define VA_LONG     0x8000000000ull     /* PML4 slot 1: slot 0 is the live identity map */

struct paging32_req {
    uint32_t cr3, cr4, va, write, value;    /* offsets known to access32.S */
};

struct paging_case {
    const char *name;
    enum pt_mode mode;
    uint64_t page_size;
};

extern const char paging32_access[];
static uint32_t target[2][PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));

static uint32_t access_va(const struct pt *t, uint64_t va, bool write, uint32_t value)
{
    uint64_t cr3;
    uint32_t got = 0;

    if (t->mode != PT_4LEVEL) {
        struct paging32_req req = {
            .cr3 = (uint32_t)t->root,
            .cr4 = t->mode == PT_PAE ? CR4_PAE : CR4_PSE,
            .va = (uint32_t)va,
            .write = write,
            .value = value,
        };

        return guest_call_pm32(paging32_access, (uint32_t)(uintptr_t)&req);
    }
    cr3 = read_cr3();
    write_cr3(t->root);
    if (write)
        mov_write32(va, value);
    else
        got = mov_read32(va);
    write_cr3(cr3);
    return got;
}

/* A fresh table that can run this guest: identity for the low 4 MiB, or the live PML4 slot 0. */
static void build_table(struct pt *t, enum pt_mode mode)
{
    pt_init(t, mode);
    if (mode == PT_32BIT) {
        pt_map(t, 0, 0, 4 * MiB, PTE_RW);
    } else if (mode == PT_PAE) {
        pt_map(t, 0, 0, 2 * MiB, PTE_RW);
        pt_map(t, 2 * MiB, 2 * MiB, 2 * MiB, PTE_RW);
    } else {
        ((uint64_t *)(uintptr_t)t->root)[0] = ((uint64_t *)(uintptr_t)guest_pt.root)[0];
    }
}

/* A on every level, D on the leaf exactly when written; PAE's PDPTEs have neither. */
static bool check_ad(const struct pt *t, uint64_t va, bool written, char *why, size_t n)
{
    uint64_t e[4];
    int levels = pt_walk(t, va, e);

    if (!levels) {
        snprintf(why, n, "no translation in the table");
        return false;
    }
    for (int l = t->mode == PT_PAE ? 1 : 0; l < levels; l++) {
        bool want_d = written && l == levels - 1;

        if (!(e[l] & PTE_A) || !!(e[l] & PTE_D) != want_d) {
            snprintf(why, n, "level %d of %d, entry 0x%lx: A %d D %d, expected A 1 D %d", l + 1,
                     levels, (unsigned long)e[l], !!(e[l] & PTE_A), !!(e[l] & PTE_D), want_d);
            return false;
        }
    }
    snprintf(why, n, "A/D bits right");
    return true;
}

static void run_case(const struct paging_case *c, unsigned int index)
{
    uint32_t pattern = 0x5a000001u | index << 8, got;
    uint64_t va = VA_LOW, offset = 0;
    char name[48], why[120];
    struct pt t;
    bool ad;

    if (c->mode == PT_4LEVEL)
        va = VA_LONG;
    build_table(&t, c->mode);
    if (c->page_size == PAGE_SIZE) {
        pt_map(&t, va, (uintptr_t)target[0], PAGE_SIZE, PTE_RW);
    } else {
        /* A large page maps physical 0 up: reach target through its offset in that page. */
        pt_map(&t, va, 0, c->page_size, PTE_RW);
        offset = (uintptr_t)target[0];
    }

    target[0][0] = pattern;
    got = access_va(&t, va + offset, false, 0);
    ad = check_ad(&t, va + offset, false, why, sizeof(why));
    snprintf(name, sizeof(name), "%s-read", c->name);
    report(got == pattern && ad, name, "read 0x%x, expected 0x%x; %s", got, pattern, why);

    access_va(&t, va + offset, true, ~pattern);
    ad = check_ad(&t, va + offset, true, why, sizeof(why));
    snprintf(name, sizeof(name), "%s-write", c->name);
    report(target[0][0] == ~pattern && ad, name, "memory has 0x%x, expected 0x%x; %s",
           target[0][0], ~pattern, why);
}

static void check_cr3_switch(void)
{
    struct pt a, b;
    uint32_t r1, r2, r3;

    build_table(&a, PT_4LEVEL);
    build_table(&b, PT_4LEVEL);
    pt_map(&a, VA_LONG, (uintptr_t)target[0], PAGE_SIZE, PTE_RW);
    pt_map(&b, VA_LONG, (uintptr_t)target[1], PAGE_SIZE, PTE_RW);
    target[0][0] = 0xaaaa0001;
    target[1][0] = 0xbbbb0002;
    r1 = access_va(&a, VA_LONG, false, 0);
    r2 = access_va(&b, VA_LONG, false, 0);
    r3 = access_va(&a, VA_LONG, false, 0);
    report(r1 == target[0][0] && r2 == target[1][0] && r3 == target[0][0], "cr3-switch",
           "reads through A, B, A: 0x%x 0x%x 0x%x", r1, r2, r3);
}

void guest_main(const struct keel_start_info *si)
{
    static const struct paging_case cases[] = {
        { "32bit-4k", PT_32BIT, PAGE_SIZE },
        { "32bit-4m", PT_32BIT, 4 * MiB },
        { "pae-4k", PT_PAE, PAGE_SIZE },
        { "pae-2m", PT_PAE, 2 * MiB },
        { "long-4k", PT_4LEVEL, PAGE_SIZE },
        { "long-2m", PT_4LEVEL, 2 * MiB },
        { "long-1g", PT_4LEVEL, GiB },
    };
    bool gbpages = cpuid(0x80000000).eax >= 0x80000001 && (cpuid(0x80000001).edx & (1u << 26));

    (void)si;
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        if (cases[i].page_size == GiB && !gbpages) {
            printf("long-1g: skipped, no 1 GiB pages (CPUID 0x80000001 EDX bit 26)\n");
            continue;
        }
        run_case(&cases[i], i);
    }
    check_cr3_switch();
}
