/*
 * Unit tests for the ACPI table reader (hv/boot/acpi.c). Tables are built in a synthetic
 * physical memory. Its map function hands out a fresh heap copy of exactly the bytes asked for and
 * frees the previous one, so AddressSanitizer catches both a read past what was mapped and a use
 * of a mapping after the next map() call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/boot/acpi.c"

#define PHYS_BASE 0x3ffe0000ull
#define PHYS_SIZE 0x10000u

/* Where the tables go. */
#define RSDP_PA (PHYS_BASE + 0x0)
#define RSDT_PA (PHYS_BASE + 0x100)
#define XSDT_PA (PHYS_BASE + 0x180)
#define FACP_PA (PHYS_BASE + 0x200)
#define HPET_PA (PHYS_BASE + 0x300)
#define MCFG_PA (PHYS_BASE + 0x380)
#define APIC_PA (PHYS_BASE + 0x400)
#define APIC2_PA (PHYS_BASE + 0x600)
#define BIG_PA (PHYS_BASE + 0x4000)

struct phys {
    uint8_t *mem;
    void *last;                     /* the current mapping */
    unsigned int maps;
};

static const void *phys_map(uint64_t pa, size_t len, void *ctx)
{
    struct phys *ph = ctx;

    free(ph->last);
    ph->last = NULL;
    ph->maps++;
    if (pa < PHYS_BASE || pa - PHYS_BASE > PHYS_SIZE || len > PHYS_SIZE - (pa - PHYS_BASE))
        return NULL;
    ph->last = malloc(len ? len : 1);
    assert_non_null(ph->last);
    memcpy(ph->last, ph->mem + (pa - PHYS_BASE), len);
    return ph->last;
}

static uint8_t *at(struct phys *ph, uint64_t pa)
{
    assert_true(pa >= PHYS_BASE && pa < PHYS_BASE + PHYS_SIZE);
    return ph->mem + (pa - PHYS_BASE);
}

static int setup(void **state)
{
    struct phys *ph = calloc(1, sizeof(*ph));

    if (!ph)
        return -1;
    ph->mem = calloc(1, PHYS_SIZE);
    *state = ph;
    return ph->mem ? 0 : -1;
}

static int teardown(void **state)
{
    struct phys *ph = *state;

    free(ph->last);
    free(ph->mem);
    free(ph);
    return 0;
}

static struct acpi_info *parse(struct phys *ph, uint64_t rsdp, int expect)
{
    static struct acpi_info info;

    memset(&info, 0x5a, sizeof(info));  /* acpi_parse must not rely on a zeroed struct */
    assert_int_equal(acpi_parse(rsdp, phys_map, ph, &info), expect);
    return &info;
}

/* --- building tables ----------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint8_t csum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s += *p++;
    return s;
}

static void rsdp_bytes(uint8_t *p, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    memset(p, 0, rev >= 2 ? 36 : 20);
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, "BOCHS ", 6);
    p[15] = rev;
    put32(p + 16, rsdt);
    p[8] = (uint8_t)-csum(p, 20);
    if (rev < 2)
        return;
    put32(p + 20, 36);
    put64(p + 24, xsdt);
    p[32] = (uint8_t)-csum(p, 36);
}

/* The first n bytes of an RSDP, for one cut short by the end of memory or of a buffer. */
static void rsdp_part(uint8_t *p, size_t n, uint8_t rev)
{
    uint8_t tmp[36];

    rsdp_bytes(tmp, rev, 0x3ffe1000, 0x3ffe1100);
    memcpy(p, tmp, n);
}

static void put_rsdp(struct phys *ph, uint64_t pa, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    rsdp_bytes(at(ph, pa), rev, rsdt, xsdt);
}

struct tb {
    uint8_t *p;
    uint32_t len;
};

static struct tb tb_begin(struct phys *ph, uint64_t pa, const char *sig, uint8_t rev)
{
    struct tb t = { at(ph, pa), 36 };

    memset(t.p, 0, 36);
    memcpy(t.p, sig, 4);
    t.p[8] = rev;
    memcpy(t.p + 10, "BOCHS ", 6);
    memcpy(t.p + 16, "BXPC    ", 8);
    put32(t.p + 24, 1);
    memcpy(t.p + 28, "BXPC", 4);
    put32(t.p + 32, 1);
    return t;
}

static void tb_u8(struct tb *t, uint8_t v) { t->p[t->len++] = v; }
static void tb_u16(struct tb *t, uint16_t v) { put16(t->p + t->len, v); t->len += 2; }
static void tb_u32(struct tb *t, uint32_t v) { put32(t->p + t->len, v); t->len += 4; }
static void tb_u64(struct tb *t, uint64_t v) { put64(t->p + t->len, v); t->len += 8; }

/* Sets the length to len and makes the checksum over it right. */
static void tb_end_len(struct tb *t, uint32_t len)
{
    put32(t->p + 4, len);
    t->p[9] = 0;
    t->p[9] = (uint8_t)-csum(t->p, len);
}

/* Recomputes a table's checksum over whatever length it now claims, if that fits in memory. */
static void table_fix_checksum(struct phys *ph, uint64_t pa)
{
    uint8_t *p = at(ph, pa);
    uint32_t len;

    memcpy(&len, p + 4, 4);
    if (len < 10 || len > PHYS_SIZE - (pa - PHYS_BASE))
        return;
    p[9] = 0;
    p[9] = (uint8_t)-csum(p, len);
}

static void tb_end(struct tb *t)
{
    tb_end_len(t, t->len);
}

static void root_table(struct phys *ph, uint64_t pa, bool xsdt, const uint64_t *e, size_t n)
{
    struct tb t = tb_begin(ph, pa, xsdt ? "XSDT" : "RSDT", 1);
    size_t i;

    for (i = 0; i < n; i++) {
        if (xsdt)
            tb_u64(&t, e[i]);
        else
            tb_u32(&t, (uint32_t)e[i]);
    }
    tb_end(&t);
}

static void madt_lapic(struct tb *t, uint8_t uid, uint8_t id, uint32_t flags)
{
    tb_u8(t, 0); tb_u8(t, 8); tb_u8(t, uid); tb_u8(t, id); tb_u32(t, flags);
}

static void madt_ioapic(struct tb *t, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    tb_u8(t, 1); tb_u8(t, 12); tb_u8(t, id); tb_u8(t, 0); tb_u32(t, addr); tb_u32(t, gsi_base);
}

static void madt_iso(struct tb *t, uint8_t src, uint32_t gsi, uint16_t flags)
{
    tb_u8(t, 2); tb_u8(t, 10); tb_u8(t, 0); tb_u8(t, src); tb_u32(t, gsi); tb_u16(t, flags);
}

static void madt_lapic_nmi(struct tb *t)
{
    tb_u8(t, 4); tb_u8(t, 6); tb_u8(t, 0xff); tb_u16(t, 0); tb_u8(t, 1);
}

static void madt_override(struct tb *t, uint64_t addr)
{
    tb_u8(t, 5); tb_u8(t, 12); tb_u16(t, 0); tb_u64(t, addr);
}

static void madt_x2apic(struct tb *t, uint32_t id, uint32_t flags, uint32_t uid)
{
    tb_u8(t, 9); tb_u8(t, 16); tb_u16(t, 0); tb_u32(t, id); tb_u32(t, flags); tb_u32(t, uid);
}

static struct tb madt_begin(struct phys *ph, uint64_t pa, uint32_t lapic, uint32_t flags)
{
    struct tb t = tb_begin(ph, pa, "APIC", 1);

    tb_u32(&t, lapic);
    tb_u32(&t, flags);
    return t;
}

#define LEVEL_HIGH 0x000d           /* polarity active high, trigger level */

/* QEMU's MADT for -smp 3,maxcpus=4: the fourth CPU is present but not enabled. */
static void qemu_madt(struct phys *ph, uint64_t pa)
{
    struct tb t = madt_begin(ph, pa, 0xfee00000, 1);

    madt_lapic(&t, 0, 0, 1);
    madt_lapic(&t, 1, 1, 1);
    madt_lapic(&t, 2, 2, 1);
    madt_lapic(&t, 3, 3, 0);
    madt_ioapic(&t, 0, 0xfec00000, 0);
    madt_iso(&t, 0, 2, 0);
    madt_iso(&t, 5, 5, LEVEL_HIGH);
    madt_iso(&t, 9, 9, LEVEL_HIGH);
    madt_iso(&t, 10, 10, LEVEL_HIGH);
    madt_iso(&t, 11, 11, LEVEL_HIGH);
    madt_lapic_nmi(&t);
    tb_end(&t);
}

struct fadt_cfg {
    uint32_t len;
    uint32_t pm_tmr;
    uint8_t x_pm_space;
    uint64_t x_pm_addr;
    uint32_t flags;
    uint8_t reset_space;
    uint64_t reset_addr;
    uint8_t reset_value;
};

static void put_gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
    p[0] = space;
    p[1] = width;
    p[2] = 0;
    p[3] = 1;
    put64(p + 4, addr);
}

static void fadt(struct phys *ph, uint64_t pa, const struct fadt_cfg *c)
{
    struct tb t = tb_begin(ph, pa, "FACP", c->len >= 244 ? 3 : 1);

    memset(t.p + 36, 0, c->len - 36);
    put32(t.p + 76, c->pm_tmr);
    t.p[91] = 4;                    /* PM_TMR_LEN */
    put32(t.p + 112, c->flags);
    if (c->len >= 128)
        put_gas(t.p + 116, c->reset_space, 8, c->reset_addr);
    if (c->len > 128)
        t.p[128] = c->reset_value;
    if (c->len >= 220)
        put_gas(t.p + 208, c->x_pm_space, 32, c->x_pm_addr);
    tb_end_len(&t, c->len);
}

#define FADT_F_DEFAULT 0x000080a5u  /* WBINVD, PROC_C1, SLP_BUTTON, RTC_S4, USE_PLATFORM_CLOCK */

static const struct fadt_cfg qemu_fadt = {
    .len = 244, .pm_tmr = 0x608, .x_pm_space = 1, .x_pm_addr = 0x608,
    .flags = FADT_F_DEFAULT | FADT_RESET_REG_SUP,
    .reset_space = 1, .reset_addr = 0xcf9, .reset_value = 6,
};

static void hpet_space(struct phys *ph, uint64_t pa, uint8_t space, uint64_t addr)
{
    struct tb t = tb_begin(ph, pa, "HPET", 1);

    tb_u32(&t, 0x8086a201);
    tb_u8(&t, space); tb_u8(&t, 64); tb_u8(&t, 0); tb_u8(&t, 0);
    tb_u64(&t, addr);
    tb_u8(&t, 0);
    tb_u16(&t, 0x80);
    tb_u8(&t, 0);
    tb_end(&t);
}

static void hpet(struct phys *ph, uint64_t pa, uint64_t addr)
{
    hpet_space(ph, pa, 0, addr);
}

struct mcfg_entry {
    uint64_t base;
    uint16_t seg;
    uint8_t start, end;
};

static void mcfg(struct phys *ph, uint64_t pa, const struct mcfg_entry *e, size_t n)
{
    struct tb t = tb_begin(ph, pa, "MCFG", 1);
    size_t i;

    tb_u64(&t, 0);
    for (i = 0; i < n; i++) {
        tb_u64(&t, e[i].base);
        tb_u16(&t, e[i].seg);
        tb_u8(&t, e[i].start);
        tb_u8(&t, e[i].end);
        tb_u32(&t, 0);
    }
    tb_end(&t);
}

/* ACPI 1.0 as QEMU's SeaBIOS presents it: RSDP revision 0 -> RSDT -> FACP, APIC, HPET. */
static void qemu_tables(struct phys *ph)
{
    const uint64_t e[] = { FACP_PA, APIC_PA, HPET_PA };

    put_rsdp(ph, RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
    root_table(ph, RSDT_PA, false, e, ARRAY_SIZE(e));
    fadt(ph, FACP_PA, &qemu_fadt);
    qemu_madt(ph, APIC_PA);
    hpet(ph, HPET_PA, 0xfed00000);
}

/*
 * ACPI 2.0: the XSDT has all the tables, the RSDT only the FADT, so a result with a MADT proves
 * the XSDT was used. The MADT mixes local APIC and x2APIC entries and moves the local APIC.
 */
static void acpi2_tables(struct phys *ph)
{
    const uint64_t x[] = { FACP_PA, APIC2_PA, HPET_PA, MCFG_PA };
    const uint64_t r[] = { FACP_PA };
    const struct mcfg_entry m[] = {
        { 0xc0000000, 1, 0, 63 }, { 0xb0000000, 0, 0, 255 }, { 0xa0000000, 0, 0, 127 },
    };
    struct fadt_cfg f = qemu_fadt;
    struct tb t;

    put_rsdp(ph, RSDP_PA, 2, (uint32_t)RSDT_PA, XSDT_PA);
    root_table(ph, RSDT_PA, false, r, ARRAY_SIZE(r));
    root_table(ph, XSDT_PA, true, x, ARRAY_SIZE(x));
    f.x_pm_addr = 0xb008;
    f.flags |= FADT_TMR_VAL_EXT;
    fadt(ph, FACP_PA, &f);
    hpet(ph, HPET_PA, 0xfed00000);
    mcfg(ph, MCFG_PA, m, ARRAY_SIZE(m));
    t = madt_begin(ph, APIC2_PA, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, 1);
    madt_lapic(&t, 1, 1, 1);
    madt_override(&t, 0x1fee00000ull);
    madt_x2apic(&t, 0x100, 1, 2);
    madt_x2apic(&t, 0x101, 2, 3);   /* online-capable only */
    madt_x2apic(&t, 1, 1, 1);       /* the same CPU as the second local APIC entry */
    madt_x2apic(&t, 0x102, 0, 4);
    madt_ioapic(&t, 0, 0xfec00000, 0);
    madt_ioapic(&t, 1, 0xfec01000, 24);
    madt_iso(&t, 0, 2, 0);
    tb_end(&t);
}

static void expect_cpu(const struct acpi_info *a, unsigned int i, uint32_t id, uint32_t uid,
                       bool enabled)
{
    assert_int_equal(a->cpus[i].apic_id, id);
    assert_int_equal(a->cpus[i].acpi_uid, uid);
    assert_int_equal(a->cpus[i].enabled, enabled);
}

static void expect_iso(const struct acpi_info *a, unsigned int i, uint8_t src, uint32_t gsi,
                       uint16_t flags)
{
    assert_int_equal(a->isos[i].bus, 0);
    assert_int_equal(a->isos[i].source, src);
    assert_int_equal(a->isos[i].gsi, gsi);
    assert_int_equal(a->isos[i].flags, flags);
}

static void expect_qemu_madt(const struct acpi_info *a)
{
    assert_true(a->have_madt);
    assert_int_equal(a->lapic_addr, 0xfee00000);
    assert_true(a->pic_present);
    assert_int_equal(a->nr_cpus, 4);
    expect_cpu(a, 0, 0, 0, true);
    expect_cpu(a, 1, 1, 1, true);
    expect_cpu(a, 2, 2, 2, true);
    expect_cpu(a, 3, 3, 3, false);
    assert_int_equal(a->nr_ioapics, 1);
    assert_int_equal(a->ioapics[0].id, 0);
    assert_int_equal(a->ioapics[0].addr, 0xfec00000);
    assert_int_equal(a->ioapics[0].gsi_base, 0);
    assert_int_equal(a->nr_isos, 5);
    expect_iso(a, 0, 0, 2, 0);
    expect_iso(a, 1, 5, 5, LEVEL_HIGH);
    expect_iso(a, 2, 9, 9, LEVEL_HIGH);
    expect_iso(a, 3, 10, 10, LEVEL_HIGH);
    expect_iso(a, 4, 11, 11, LEVEL_HIGH);
}

static void expect_qemu_fadt(const struct acpi_info *a)
{
    assert_true(a->have_fadt);
    assert_int_equal(a->pm_timer_port, 0x608);
    assert_false(a->pm_timer_32bit);
    assert_true(a->reset_reg_valid);
    assert_int_equal(a->reset_port, 0xcf9);
    assert_int_equal(a->reset_value, 6);
}

/* --- good table sets ----------------------------------------------------------------------- */

static void test_qemu_rsdt(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;

    qemu_tables(ph);
    a = parse(ph, RSDP_PA, 0);
    assert_int_equal(a->rsdp_addr, RSDP_PA);
    assert_int_equal(a->revision, 0);
    assert_string_equal(a->oem_id, "BOCHS ");
    expect_qemu_madt(a);
    expect_qemu_fadt(a);
    assert_int_equal(a->hpet_addr, 0xfed00000);
    assert_int_equal(a->mcfg_base, 0);
}

static void test_acpi2_xsdt(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;

    acpi2_tables(ph);
    a = parse(ph, RSDP_PA, 0);
    assert_int_equal(a->revision, 2);
    assert_string_equal(a->oem_id, "BOCHS ");
    assert_true(a->have_madt);
    assert_false(a->pic_present);
    assert_int_equal(a->lapic_addr, 0x1fee00000ull);
    assert_int_equal(a->nr_cpus, 5);
    expect_cpu(a, 0, 0, 0, true);
    expect_cpu(a, 1, 1, 1, true);
    expect_cpu(a, 2, 0x100, 2, true);
    expect_cpu(a, 3, 0x101, 3, true);
    expect_cpu(a, 4, 0x102, 4, false);
    assert_int_equal(a->nr_ioapics, 2);
    assert_int_equal(a->ioapics[1].id, 1);
    assert_int_equal(a->ioapics[1].addr, 0xfec01000);
    assert_int_equal(a->ioapics[1].gsi_base, 24);
    assert_int_equal(a->nr_isos, 1);
    assert_true(a->have_fadt);
    assert_int_equal(a->pm_timer_port, 0xb008);
    assert_true(a->pm_timer_32bit);
    assert_true(a->reset_reg_valid);
    assert_int_equal(a->hpet_addr, 0xfed00000);
    assert_int_equal(a->mcfg_base, 0xb0000000);
    assert_int_equal(a->mcfg_bus_start, 0);
    assert_int_equal(a->mcfg_bus_end, 255);
}

static void test_acpi2_without_xsdt_uses_rsdt(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;

    qemu_tables(ph);
    put_rsdp(ph, RSDP_PA, 2, (uint32_t)RSDT_PA, 0);
    a = parse(ph, RSDP_PA, 0);
    assert_int_equal(a->revision, 2);
    expect_qemu_madt(a);
    expect_qemu_fadt(a);
}

static void test_rev0_ignores_xsdt_field(void **state)
{
    struct phys *ph = *state;
    uint8_t *p = at(ph, RSDP_PA);

    acpi2_tables(ph);
    /* A 1.0 RSDP is 20 bytes: whatever follows it is not an XSDT address. */
    put_rsdp(ph, RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
    put64(p + 24, XSDT_PA);
    assert_false(parse(ph, RSDP_PA, 0)->have_madt);
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;

    acpi2_tables(ph);
    at(ph, XSDT_PA)[40] ^= 1;
    a = parse(ph, RSDP_PA, 0);
    assert_false(a->have_madt);     /* only in the XSDT */
    assert_true(a->have_fadt);
}

static void test_xsdt_wrong_signature_falls_back(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;

    acpi2_tables(ph);
    put_rsdp(ph, RSDP_PA, 2, (uint32_t)RSDT_PA, HPET_PA);
    a = parse(ph, RSDP_PA, 0);
    assert_true(a->have_fadt);
    assert_int_equal(a->hpet_addr, 0);
}

static void test_root_table_odd_length(void **state)
{
    struct phys *ph = *state;
    struct tb t;

    qemu_tables(ph);
    /* Three entries and two stray bytes: the partial fourth entry is not read. */
    t = tb_begin(ph, RSDT_PA, "RSDT", 1);
    tb_u32(&t, (uint32_t)FACP_PA);
    tb_u32(&t, (uint32_t)APIC_PA);
    tb_u32(&t, (uint32_t)HPET_PA);
    tb_u16(&t, 0xffff);
    tb_end(&t);
    expect_qemu_madt(parse(ph, RSDP_PA, 0));
}

static void test_null_and_unmapped_entries_skipped(void **state)
{
    struct phys *ph = *state;
    const uint64_t e[] = { 0, 0x1000, FACP_PA, PHYS_BASE + PHYS_SIZE - 8, APIC_PA, HPET_PA };
    struct acpi_info *a;

    qemu_tables(ph);
    root_table(ph, RSDT_PA, false, e, ARRAY_SIZE(e));
    a = parse(ph, RSDP_PA, 0);
    expect_qemu_madt(a);
    expect_qemu_fadt(a);
    assert_int_equal(a->hpet_addr, 0xfed00000);
}

static void test_second_madt_ignored(void **state)
{
    struct phys *ph = *state;
    const uint64_t e[] = { APIC_PA, APIC2_PA, FACP_PA };
    struct tb t;

    qemu_tables(ph);
    t = madt_begin(ph, APIC2_PA, 0xfee00000, 0);
    madt_lapic(&t, 7, 7, 1);
    tb_end(&t);
    root_table(ph, RSDT_PA, false, e, ARRAY_SIZE(e));
    expect_qemu_madt(parse(ph, RSDP_PA, 0));
}

/* --- a bad RSDP or root table -------------------------------------------------------------- */

static void test_rsdp_bad_checksum(void **state)
{
    struct phys *ph = *state;

    qemu_tables(ph);
    at(ph, RSDP_PA)[8] ^= 0x10;
    parse(ph, RSDP_PA, -EINVAL);
}

static void test_rsdp_bad_signature(void **state)
{
    struct phys *ph = *state;
    uint8_t *p = at(ph, RSDP_PA);

    qemu_tables(ph);
    p[0] = 'r';
    p[8] -= 'r' - 'R';              /* the checksum still adds up */
    parse(ph, RSDP_PA, -EINVAL);
}

static void test_rsdp_bad_extended_checksum(void **state)
{
    struct phys *ph = *state;

    acpi2_tables(ph);
    at(ph, RSDP_PA)[32] ^= 1;
    parse(ph, RSDP_PA, -EINVAL);
}

static void test_rsdp_bad_length(void **state)
{
    struct phys *ph = *state;
    uint8_t *p = at(ph, RSDP_PA);
    const uint32_t lens[] = { 0, 20, 35, PHYS_SIZE + 1, 0xffffffffu };
    size_t i;

    acpi2_tables(ph);
    for (i = 0; i < ARRAY_SIZE(lens); i++) {
        put32(p + 20, lens[i]);
        p[32] = 0;
        p[32] = (uint8_t)-csum(p, 36);
        parse(ph, RSDP_PA, -EINVAL);
    }
}

static void test_rsdp_unmapped(void **state)
{
    struct phys *ph = *state;
    uint64_t end = PHYS_BASE + PHYS_SIZE;

    parse(ph, 0xf5a00, -EINVAL);
    parse(ph, end - 10, -EINVAL);
    /* A 2.0 RSDP whose first 20 bytes are mapped but the rest is not. */
    rsdp_part(at(ph, end - 24), 24, 2);
    parse(ph, end - 24, -EINVAL);
}

static void test_no_usable_root(void **state)
{
    struct phys *ph = *state;

    qemu_tables(ph);
    put_rsdp(ph, RSDP_PA, 0, 0, 0);
    parse(ph, RSDP_PA, -EINVAL);
    put_rsdp(ph, RSDP_PA, 2, 0, 0);
    parse(ph, RSDP_PA, -EINVAL);
    put_rsdp(ph, RSDP_PA, 0, 0x1000, 0);
    parse(ph, RSDP_PA, -EINVAL);
    put_rsdp(ph, RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
    at(ph, RSDT_PA)[36] ^= 1;
    parse(ph, RSDP_PA, -EINVAL);
}

/* --- bad tables ---------------------------------------------------------------------------- */

static void test_bad_table_checksum_skipped(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;

    qemu_tables(ph);
    at(ph, FACP_PA)[76] ^= 0x80;
    a = parse(ph, RSDP_PA, 0);
    assert_false(a->have_fadt);
    assert_int_equal(a->pm_timer_port, 0);
    assert_false(a->reset_reg_valid);
    expect_qemu_madt(a);
    assert_int_equal(a->hpet_addr, 0xfed00000);
}

static void test_table_longer_than_mapped(void **state)
{
    struct phys *ph = *state;
    const uint64_t e[] = { FACP_PA, PHYS_BASE + PHYS_SIZE - 0x40, HPET_PA };
    uint64_t pa = PHYS_BASE + PHYS_SIZE - 0x40;
    struct tb t;
    struct acpi_info *a;

    qemu_tables(ph);
    t = madt_begin(ph, pa, 0xfee00000, 1);
    madt_lapic(&t, 0, 0, 1);
    madt_lapic(&t, 1, 1, 1);
    put32(t.p + 4, 0x48);           /* 8 bytes past the end of memory */
    root_table(ph, RSDT_PA, false, e, ARRAY_SIZE(e));
    a = parse(ph, RSDP_PA, 0);
    assert_false(a->have_madt);
    assert_int_equal(a->nr_cpus, 0);
    expect_qemu_fadt(a);
    assert_int_equal(a->hpet_addr, 0xfed00000);
}

static void test_table_length_below_header(void **state)
{
    struct phys *ph = *state;
    const uint32_t lens[] = { 0, 8, 35 };
    size_t i;

    qemu_tables(ph);
    for (i = 0; i < ARRAY_SIZE(lens); i++) {
        put32(at(ph, APIC_PA) + 4, lens[i]);
        assert_false(parse(ph, RSDP_PA, 0)->have_madt);
    }
}

static void test_madt_too_short(void **state)
{
    struct phys *ph = *state;
    struct tb t;

    qemu_tables(ph);
    t = tb_begin(ph, APIC_PA, "APIC", 1);
    tb_u32(&t, 0xfee00000);         /* flags missing */
    tb_end(&t);
    assert_false(parse(ph, RSDP_PA, 0)->have_madt);
}

static void test_madt_entry_runs_past_table(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;
    struct tb t;

    qemu_tables(ph);
    t = madt_begin(ph, APIC_PA, 0xfee00000, 1);
    madt_lapic(&t, 0, 0, 1);
    madt_lapic(&t, 1, 1, 1);
    madt_ioapic(&t, 0, 0xfec00000, 0);
    tb_end_len(&t, t.len - 6);
    a = parse(ph, RSDP_PA, 0);
    assert_true(a->have_madt);
    assert_int_equal(a->nr_cpus, 2);
    assert_int_equal(a->nr_ioapics, 0);
    expect_qemu_fadt(a);
}

static void test_madt_entry_length_zero(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;
    struct tb t;

    qemu_tables(ph);
    t = madt_begin(ph, APIC_PA, 0xfee00000, 1);
    madt_lapic(&t, 0, 0, 1);
    tb_u8(&t, 1);
    tb_u8(&t, 0);                   /* would loop forever if taken as a length */
    tb_u16(&t, 0);
    madt_lapic(&t, 1, 1, 1);
    tb_end(&t);
    a = parse(ph, RSDP_PA, 0);
    assert_true(a->have_madt);
    assert_int_equal(a->nr_cpus, 1);
    assert_int_equal(a->nr_ioapics, 0);
}

static void test_madt_entry_length_one(void **state)
{
    struct phys *ph = *state;
    struct tb t;

    qemu_tables(ph);
    t = madt_begin(ph, APIC_PA, 0xfee00000, 1);
    madt_lapic(&t, 0, 0, 1);
    tb_u8(&t, 0);
    tb_u8(&t, 1);
    madt_lapic(&t, 1, 1, 1);
    tb_end(&t);
    assert_int_equal(parse(ph, RSDP_PA, 0)->nr_cpus, 1);
}

static void test_madt_trailing_byte(void **state)
{
    struct phys *ph = *state;
    struct tb t;

    qemu_tables(ph);
    t = madt_begin(ph, APIC_PA, 0xfee00000, 1);
    madt_lapic(&t, 0, 0, 1);
    tb_u8(&t, 0);                   /* a type with no room for a length */
    tb_end(&t);
    assert_int_equal(parse(ph, RSDP_PA, 0)->nr_cpus, 1);
}

static void test_madt_entry_too_short_for_type(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;
    struct tb t;

    qemu_tables(ph);
    t = madt_begin(ph, APIC_PA, 0xfee00000, 1);
    tb_u8(&t, 0); tb_u8(&t, 4); tb_u8(&t, 9); tb_u8(&t, 9);          /* local APIC, 4 bytes */
    tb_u8(&t, 9); tb_u8(&t, 12); tb_u16(&t, 0); tb_u32(&t, 0x200); tb_u32(&t, 1); /* x2APIC */
    tb_u8(&t, 1); tb_u8(&t, 8); tb_u16(&t, 0); tb_u32(&t, 0xfec00000);  /* IOAPIC */
    tb_u8(&t, 2); tb_u8(&t, 8); tb_u16(&t, 0); tb_u32(&t, 2);           /* ISO */
    tb_u8(&t, 5); tb_u8(&t, 8); tb_u16(&t, 0); tb_u32(&t, 0);           /* override */
    madt_lapic(&t, 1, 1, 1);
    tb_end(&t);
    a = parse(ph, RSDP_PA, 0);
    assert_int_equal(a->nr_cpus, 1);
    expect_cpu(a, 0, 1, 1, true);
    assert_int_equal(a->nr_ioapics, 0);
    assert_int_equal(a->nr_isos, 0);
    assert_int_equal(a->lapic_addr, 0xfee00000);
}

static void test_madt_longer_entries_accepted(void **state)
{
    struct phys *ph = *state;
    struct acpi_info *a;
    struct tb t;

    qemu_tables(ph);
    /* A future revision may lengthen an entry; the known fields stay where they were. */
    t = madt_begin(ph, APIC_PA, 0xfee00000, 1);
    tb_u8(&t, 0); tb_u8(&t, 10); tb_u8(&t, 0); tb_u8(&t, 4); tb_u32(&t, 1); tb_u16(&t, 0xffff);
    madt_lapic(&t, 1, 5, 1);
    tb_end(&t);
    a = parse(ph, RSDP_PA, 0);
    assert_int_equal(a->nr_cpus, 2);
    expect_cpu(a, 0, 4, 0, true);
    expect_cpu(a, 1, 5, 1, true);
}

static void test_too_many_cpus(void **state)
{
    struct phys *ph = *state;
    const uint64_t e[] = { BIG_PA };
    struct acpi_info *a;
    struct tb t;
    unsigned int i;

    put_rsdp(ph, RSDP_PA, 0, (uint32_t)RSDT_PA, 0);
    root_table(ph, RSDT_PA, false, e, 1);
    t = madt_begin(ph, BIG_PA, 0xfee00000, 1);
    for (i = 0; i < 300; i++)
        madt_x2apic(&t, i, 1, i);
    for (i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
        madt_ioapic(&t, (uint8_t)i, 0xfec00000 + i * 0x1000, i * 24);
    for (i = 0; i < ACPI_MAX_ISOS + 4; i++)
        madt_iso(&t, (uint8_t)i, i, 0);
    tb_end(&t);
    a = parse(ph, RSDP_PA, 0);
    assert_int_equal(a->nr_cpus, ACPI_MAX_CPUS);
    expect_cpu(a, ACPI_MAX_CPUS - 1, ACPI_MAX_CPUS - 1, ACPI_MAX_CPUS - 1, true);
    assert_int_equal(a->nr_ioapics, ACPI_MAX_IOAPICS);
    assert_int_equal(a->ioapics[ACPI_MAX_IOAPICS - 1].gsi_base, (ACPI_MAX_IOAPICS - 1) * 24);
    assert_int_equal(a->nr_isos, ACPI_MAX_ISOS);
    expect_iso(a, ACPI_MAX_ISOS - 1, ACPI_MAX_ISOS - 1, ACPI_MAX_ISOS - 1, 0);
}

/* --- FADT, HPET, MCFG variants ------------------------------------------------------------- */

static struct acpi_info *parse_fadt(struct phys *ph, const struct fadt_cfg *c)
{
    qemu_tables(ph);
    fadt(ph, FACP_PA, c);
    return parse(ph, RSDP_PA, 0);
}

static void test_fadt_v1(void **state)
{
    struct fadt_cfg c = { .len = 116, .pm_tmr = 0xb008, .flags = FADT_TMR_VAL_EXT |
                          FADT_RESET_REG_SUP };
    struct acpi_info *a = parse_fadt(*state, &c);

    assert_true(a->have_fadt);
    assert_int_equal(a->pm_timer_port, 0xb008);
    assert_true(a->pm_timer_32bit);
    assert_false(a->reset_reg_valid);
}

static void test_fadt_too_short(void **state)
{
    struct fadt_cfg c = { .len = 112, .pm_tmr = 0xb008 };
    struct acpi_info *a = parse_fadt(*state, &c);

    assert_false(a->have_fadt);
    assert_int_equal(a->pm_timer_port, 0);
    expect_qemu_madt(a);
}

static void test_fadt_x_pm_tmr_not_io(void **state)
{
    struct fadt_cfg c = qemu_fadt;

    c.x_pm_space = 0;               /* system memory: not a port */
    c.x_pm_addr = 0xfed00f00;
    assert_int_equal(parse_fadt(*state, &c)->pm_timer_port, 0x608);
    c.x_pm_space = 1;
    c.x_pm_addr = 0;
    assert_int_equal(parse_fadt(*state, &c)->pm_timer_port, 0x608);
    c.x_pm_addr = 0x608;
    c.pm_tmr = 0;
    assert_int_equal(parse_fadt(*state, &c)->pm_timer_port, 0x608);
}

static void test_fadt_x_pm_tmr_not_covered(void **state)
{
    struct phys *ph = *state;
    struct fadt_cfg c = qemu_fadt;

    /* One byte short of covering X_PM_TMR_BLK: the field is not used although memory holds it. */
    qemu_tables(ph);
    c.len = 219;
    fadt(ph, FACP_PA, &c);
    put_gas(at(ph, FACP_PA) + 208, 1, 32, 0xb008);
    table_fix_checksum(ph, FACP_PA);
    assert_int_equal(parse(ph, RSDP_PA, 0)->pm_timer_port, 0x608);
}

static void test_fadt_reset_reg(void **state)
{
    struct fadt_cfg c = qemu_fadt;
    struct acpi_info *a;

    c.len = 129;
    a = parse_fadt(*state, &c);
    assert_true(a->reset_reg_valid);
    assert_int_equal(a->reset_port, 0xcf9);
    assert_int_equal(a->reset_value, 6);

    c.len = 128;                    /* RESET_REG is there, RESET_VALUE is not */
    assert_false(parse_fadt(*state, &c)->reset_reg_valid);
    c = qemu_fadt;
    c.flags &= ~FADT_RESET_REG_SUP;
    assert_false(parse_fadt(*state, &c)->reset_reg_valid);
    c = qemu_fadt;
    c.reset_space = 0;
    assert_false(parse_fadt(*state, &c)->reset_reg_valid);
    c.reset_space = 1;
    c.reset_addr = 0x10cf9;        /* not a port */
    assert_false(parse_fadt(*state, &c)->reset_reg_valid);
}

static void test_hpet_variants(void **state)
{
    struct phys *ph = *state;
    struct tb t;

    qemu_tables(ph);
    hpet_space(ph, HPET_PA, 1, 0xfed00000);
    assert_int_equal(parse(ph, RSDP_PA, 0)->hpet_addr, 0);
    hpet(ph, HPET_PA, 0);
    assert_int_equal(parse(ph, RSDP_PA, 0)->hpet_addr, 0);
    t = tb_begin(ph, HPET_PA, "HPET", 1);
    tb_u32(&t, 0x8086a201);
    tb_u32(&t, 0);
    tb_end(&t);
    assert_int_equal(parse(ph, RSDP_PA, 0)->hpet_addr, 0);
}

static void test_mcfg_without_segment0(void **state)
{
    struct phys *ph = *state;
    const struct mcfg_entry m[] = { { 0xc0000000, 1, 0, 63 } };

    acpi2_tables(ph);
    mcfg(ph, MCFG_PA, m, 1);
    assert_int_equal(parse(ph, RSDP_PA, 0)->mcfg_base, 0);
    mcfg(ph, MCFG_PA, m, 0);
    assert_int_equal(parse(ph, RSDP_PA, 0)->mcfg_base, 0);
}

/* --- acpi_scan_rsdp ------------------------------------------------------------------------ */

static uint8_t *buf_new(size_t len)
{
    uint8_t *p = malloc(len ? len : 1);

    assert_non_null(p);
    memset(p, 0, len);
    return p;
}

static void test_scan_skips_bogus(void **state)
{
    uint8_t *b = buf_new(0x100);

    rsdp_bytes(b + 0x10, 0, 0x3ffe1000, 0);
    b[0x18] ^= 1;                   /* bad checksum */
    rsdp_bytes(b + 0x40, 0, 0x3ffe1000, 0);
    memcpy(b + 0x28, "RSD PTR ", 8); /* not on a 16-byte boundary */
    assert_int_equal(acpi_scan_rsdp(b, 0x100), 0x40);
    free(b);

    /* A valid RSDP, but not on a 16-byte boundary. */
    b = buf_new(0x40);
    rsdp_bytes(b + 8, 0, 0x3ffe1000, 0);
    assert_int_equal(acpi_scan_rsdp(b, 0x40), -ENOENT);
    assert_int_equal(acpi_scan_rsdp(b + 8, 0x38), 0);
    free(b);
}

static void test_scan_v2(void **state)
{
    uint8_t *b = buf_new(0x60);

    rsdp_bytes(b + 0x20, 2, 0x3ffe1000, 0x3ffe1100);
    assert_int_equal(acpi_scan_rsdp(b, 0x60), 0x20);
    b[0x20 + 33] = 0x55;            /* outside the first 20 bytes: only the extended sum sees it */
    assert_int_equal(acpi_scan_rsdp(b, 0x60), -ENOENT);
    free(b);
}

static void test_scan_at_end_of_buffer(void **state)
{
    uint8_t *b;

    /* Exactly 20 bytes of a 1.0 RSDP fit. */
    b = buf_new(0x34);
    rsdp_bytes(b + 0x20, 0, 0x3ffe1000, 0);
    assert_int_equal(acpi_scan_rsdp(b, 0x34), 0x20);
    free(b);

    /* A 2.0 RSDP cut short: its first 20 bytes check out but the rest is missing. */
    b = buf_new(0x40);
    rsdp_part(b + 0x20, 0x20, 2);
    assert_int_equal(acpi_scan_rsdp(b, 0x40), -ENOENT);
    free(b);

    /* A 2.0 RSDP claiming more bytes than the buffer has. */
    b = buf_new(0x50);
    rsdp_bytes(b + 0x20, 2, 0x3ffe1000, 0x3ffe1100);
    put32(b + 0x34, 0x40);
    b[0x20 + 32] = 0;
    b[0x20 + 32] = (uint8_t)-csum(b + 0x20, 36);
    assert_int_equal(acpi_scan_rsdp(b, 0x50), -ENOENT);
    free(b);
}

static void test_scan_nothing(void **state)
{
    size_t lens[] = { 0, 8, 19, 20, 0x400 };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(lens); i++) {
        uint8_t *b = buf_new(lens[i]);

        if (lens[i] >= 8)
            memcpy(b, "RSD PTR ", 8);
        assert_int_equal(acpi_scan_rsdp(b, lens[i]), -ENOENT);
        free(b);
    }
}

/* --- random corruption --------------------------------------------------------------------- */

static uint32_t rng_state = 0x9e3779b9;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_random_corruption(void **state)
{
    const uint64_t tables[] = { RSDT_PA, XSDT_PA, FACP_PA, HPET_PA, MCFG_PA, APIC_PA, APIC2_PA };
    struct phys *ph = *state;
    struct acpi_info *a;
    unsigned int iter, k, flips;
    size_t i;
    int ret;

    for (iter = 0; iter < 20000; iter++) {
        memset(ph->mem, 0, 0x800);
        if (iter % 2)
            acpi2_tables(ph);
        else
            qemu_tables(ph);
        qemu_madt(ph, APIC_PA);
        flips = 1 + rng() % 6;
        for (k = 0; k < flips; k++) {
            uint32_t off = 0x100 + rng() % 0x700;
            uint8_t bit = (uint8_t)(1u << (rng() % 8));

            ph->mem[off] = rng() % 2 ? (uint8_t)rng() : (uint8_t)(ph->mem[off] ^ bit);
        }
        /* Most of the time make the checksums right again, so the parsers see the damage. */
        if (rng() % 4)
            for (i = 0; i < ARRAY_SIZE(tables); i++)
                table_fix_checksum(ph, tables[i]);
        a = calloc(1, sizeof(*a));
        ret = acpi_parse(RSDP_PA, phys_map, ph, a);
        assert_true(ret == 0 || ret == -EINVAL);
        assert_true(a->nr_cpus <= ACPI_MAX_CPUS);
        assert_true(a->nr_ioapics <= ACPI_MAX_IOAPICS);
        assert_true(a->nr_isos <= ACPI_MAX_ISOS);
        free(a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_qemu_rsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acpi2_xsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acpi2_without_xsdt_uses_rsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rev0_ignores_xsdt_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_xsdt_falls_back_to_rsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsdt_wrong_signature_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_table_odd_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_and_unmapped_entries_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_madt_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_bad_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_bad_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_bad_extended_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_bad_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_unmapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_usable_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_table_checksum_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_longer_than_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_length_below_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_too_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entry_runs_past_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entry_length_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entry_length_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_trailing_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entry_too_short_for_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_longer_entries_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_cpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_too_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_x_pm_tmr_not_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_x_pm_tmr_not_covered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_reset_reg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hpet_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mcfg_without_segment0, setup, teardown),
        cmocka_unit_test(test_scan_skips_bogus),
        cmocka_unit_test(test_scan_v2),
        cmocka_unit_test(test_scan_at_end_of_buffer),
        cmocka_unit_test(test_scan_nothing),
        cmocka_unit_test_setup_teardown(test_random_corruption, setup, teardown),
    };

    return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
