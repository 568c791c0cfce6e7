/*
 * Finding the RSDP and reading the few ACPI tables the hypervisor needs. Firmware tables are
 * often wrong, so every length is checked against what was mapped and a bad table is skipped
 * rather than trusted. Only the pointer from the latest map() call is assumed to be valid: the
 * hypervisor's mapping window may be reused by the next call.
 */
#include <keel/acpi.h>
#include <keel/printk.h>
#include <keel/string.h>

#define ACPI_RSDP_SIG "RSD PTR "
#define ACPI_RSDP_V1_LEN 20u
#define ACPI_RSDP_V2_LEN 36u
#define ACPI_HDR_LEN 36u

#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO 1

/* MADT: header, local APIC address, flags, then variable-length entries. */
#define MADT_ENTRIES 44u
#define MADT_PCAT_COMPAT (1u << 0)
#define MADT_LAPIC_ENABLED (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1u << 1)

enum acpi_madt_type {
    MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_OVERRIDE = 5, MADT_X2APIC = 9,
};

/* FADT field offsets. ACPI 1.0 tables end after flags; later ones may stop anywhere after. */
#define FADT_PM_TMR_BLK 76u
#define FADT_FLAGS 112u
#define FADT_V1_LEN 116u
#define FADT_RESET_REG 116u
#define FADT_RESET_VALUE 128u
#define FADT_X_PM_TMR_BLK 208u
#define FADT_TMR_VAL_EXT (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)

#define HPET_BASE_GAS 40u
#define MCFG_ENTRIES 44u
#define MCFG_ENTRY_LEN 16u

/* Generic Address Structure: space id, bit width, bit offset, access size, u64 address. */
#define GAS_LEN 12u

struct acpi_gas {
    uint8_t space_id;
    uint64_t addr;
};

struct acpi_table {
    const uint8_t *p;
    uint32_t len;
    uint64_t pa;
    char sig[5];                    /* NUL-terminated and printable, for messages */
};

/* Counts what did not fit so one warning per table can say how much was lost. */
struct acpi_madt_walk {
    struct acpi_info *out;
    unsigned int lost_cpus, lost_ioapics, lost_isos;
};

static uint16_t acpi_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t acpi_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t acpi_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static struct acpi_gas acpi_gas(const uint8_t *p)
{
    return (struct acpi_gas){ .space_id = p[0], .addr = acpi_u64(p + 4) };
}

static bool acpi_checksum_ok(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum += *p++;
    return sum == 0;
}

/* Checks an RSDP of which avail bytes are readable. */
static bool acpi_rsdp_ok(const uint8_t *p, size_t avail)
{
    uint32_t len;

    if (avail < ACPI_RSDP_V1_LEN || memcmp(p, ACPI_RSDP_SIG, 8) ||
        !acpi_checksum_ok(p, ACPI_RSDP_V1_LEN))
        return false;
    if (p[15] < 2)
        return true;
    if (avail < ACPI_RSDP_V2_LEN)
        return false;
    len = acpi_u32(p + 20);
    return len >= ACPI_RSDP_V2_LEN && len <= avail && acpi_checksum_ok(p, len);
}

long acpi_scan_rsdp(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t off;

    for (off = 0; len >= ACPI_RSDP_V1_LEN && off <= len - ACPI_RSDP_V1_LEN; off += 16)
        if (acpi_rsdp_ok(p + off, len - off))
            return (long)off;
    return -ENOENT;
}

/* A corrupt signature must not put control characters on the console. */
static void acpi_copy_sig(char sig[5], const uint8_t *hdr)
{
    unsigned int i;

    for (i = 0; i < 4; i++)
        sig[i] = hdr[i] >= 0x20 && hdr[i] < 0x7f ? (char)hdr[i] : '?';
    sig[4] = '\0';
}

/* Maps a whole table and checks it; false (with a warning) if it cannot be trusted. */
static bool acpi_map_table(uint64_t pa, acpi_map_fn map, void *ctx, struct acpi_table *t)
{
    const uint8_t *hdr = map(pa, ACPI_HDR_LEN, ctx);

    t->pa = pa;
    if (!hdr) {
        pr_warn("acpi: table at %#llx: header cannot be mapped\n", (unsigned long long)pa);
        return false;
    }
    acpi_copy_sig(t->sig, hdr);
    t->len = acpi_u32(hdr + 4);
    if (t->len < ACPI_HDR_LEN) {
        pr_warn("acpi: %s at %#llx: length %u is shorter than its header\n", t->sig,
                (unsigned long long)pa, t->len);
        return false;
    }
    t->p = map(pa, t->len, ctx);
    if (!t->p) {
        pr_warn("acpi: %s at %#llx: length %u cannot be mapped\n", t->sig,
                (unsigned long long)pa, t->len);
        return false;
    }
    if (!acpi_checksum_ok(t->p, t->len)) {
        pr_warn("acpi: %s at %#llx: bad checksum, skipped\n", t->sig, (unsigned long long)pa);
        return false;
    }
    return true;
}

/* --- MADT ------------------------------------------------------------------------------------ */

static void acpi_madt_cpu(struct acpi_madt_walk *w, uint32_t apic_id, uint32_t uid, uint32_t flags)
{
    struct acpi_info *out = w->out;
    unsigned int i;

    /* Firmware may describe one CPU by both a local APIC and a local x2APIC entry. */
    for (i = 0; i < out->nr_cpus; i++)
        if (out->cpus[i].apic_id == apic_id)
            return;
    if (out->nr_cpus == ACPI_MAX_CPUS) {
        w->lost_cpus++;
        return;
    }
    out->cpus[out->nr_cpus++] = (struct acpi_cpu){
        .apic_id = apic_id,
        .acpi_uid = uid,
        .enabled = flags & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE),
    };
}

static void acpi_madt_ioapic(struct acpi_madt_walk *w, const uint8_t *e)
{
    struct acpi_info *out = w->out;

    if (out->nr_ioapics == ACPI_MAX_IOAPICS) {
        w->lost_ioapics++;
        return;
    }
    out->ioapics[out->nr_ioapics++] = (struct acpi_ioapic){
        .id = e[2], .addr = acpi_u32(e + 4), .gsi_base = acpi_u32(e + 8),
    };
}

static void acpi_madt_iso(struct acpi_madt_walk *w, const uint8_t *e)
{
    struct acpi_info *out = w->out;

    if (out->nr_isos == ACPI_MAX_ISOS) {
        w->lost_isos++;
        return;
    }
    out->isos[out->nr_isos++] = (struct acpi_iso){
        .bus = e[2], .source = e[3], .gsi = acpi_u32(e + 4), .flags = acpi_u16(e + 8),
    };
}

/* The smallest length each entry type we read can have. */
static const uint8_t acpi_madt_min_len[] = {
    [MADT_LAPIC] = 8, [MADT_IOAPIC] = 12, [MADT_ISO] = 10,
    [MADT_LAPIC_OVERRIDE] = 12, [MADT_X2APIC] = 16,
};

static void acpi_madt_entry(struct acpi_madt_walk *w, const uint8_t *e, uint8_t len, uint32_t off)
{
    uint8_t type = e[0];

    if (type >= ARRAY_SIZE(acpi_madt_min_len) || !acpi_madt_min_len[type])
        return;
    if (len < acpi_madt_min_len[type]) {
        pr_warn("acpi: MADT entry type %u at offset %u is too short (%u), skipped\n",
                type, off, len);
        return;
    }
    switch (type) {
    case MADT_LAPIC:
        acpi_madt_cpu(w, e[3], e[2], acpi_u32(e + 4));
        break;
    case MADT_IOAPIC:
        acpi_madt_ioapic(w, e);
        break;
    case MADT_ISO:
        acpi_madt_iso(w, e);
        break;
    case MADT_LAPIC_OVERRIDE:
        w->out->lapic_addr = acpi_u64(e + 4);
        break;
    case MADT_X2APIC:
        acpi_madt_cpu(w, acpi_u32(e + 4), acpi_u32(e + 12), acpi_u32(e + 8));
        break;
    }
}

static void acpi_madt_report_lost(const struct acpi_madt_walk *w)
{
    if (w->lost_cpus)
        pr_warn("acpi: MADT: %u CPUs beyond the first %d ignored\n",
                w->lost_cpus, ACPI_MAX_CPUS);
    if (w->lost_ioapics)
        pr_warn("acpi: MADT: %u IOAPICs beyond the first %d ignored\n",
                w->lost_ioapics, ACPI_MAX_IOAPICS);
    if (w->lost_isos)
        pr_warn("acpi: MADT: %u interrupt source overrides beyond the first %d ignored\n",
                w->lost_isos, ACPI_MAX_ISOS);
}

static void acpi_parse_madt(const struct acpi_table *t, struct acpi_info *out)
{
    struct acpi_madt_walk w = { .out = out };
    uint32_t off, len;

    if (t->len < MADT_ENTRIES) {
        pr_warn("acpi: MADT at %#llx is too short (%u), skipped\n",
                (unsigned long long)t->pa, t->len);
        return;
    }
    out->have_madt = true;
    out->lapic_addr = acpi_u32(t->p + 36);
    out->pic_present = acpi_u32(t->p + 40) & MADT_PCAT_COMPAT;
    for (off = MADT_ENTRIES; off < t->len; off += len) {
        len = t->len - off >= 2 ? t->p[off + 1] : 0;
        if (len < 2 || len > t->len - off) {
            pr_warn("acpi: MADT at %#llx: entry at offset %u has bad length %u, rest ignored\n",
                    (unsigned long long)t->pa, off, len);
            break;
        }
        acpi_madt_entry(&w, t->p + off, (uint8_t)len, off);
    }
    acpi_madt_report_lost(&w);
}

/* --- FADT, HPET, MCFG ------------------------------------------------------------------------ */

/* An I/O port from a GAS, or 0 if the register is not in I/O space. */
static uint16_t acpi_gas_port(struct acpi_gas g)
{
    if (g.space_id != ACPI_GAS_SYSTEM_IO || g.addr == 0 || g.addr > 0xffff)
        return 0;
    return (uint16_t)g.addr;
}

static void acpi_parse_fadt(const struct acpi_table *t, struct acpi_info *out)
{
    uint32_t flags;
    uint16_t port = 0;

    if (t->len < FADT_V1_LEN) {
        pr_warn("acpi: FADT at %#llx is too short (%u), skipped\n",
                (unsigned long long)t->pa, t->len);
        return;
    }
    out->have_fadt = true;
    flags = acpi_u32(t->p + FADT_FLAGS);
    if (t->len >= FADT_X_PM_TMR_BLK + GAS_LEN)
        port = acpi_gas_port(acpi_gas(t->p + FADT_X_PM_TMR_BLK));
    out->pm_timer_port = port ? port : acpi_u32(t->p + FADT_PM_TMR_BLK);
    out->pm_timer_32bit = flags & FADT_TMR_VAL_EXT;
    if (t->len <= FADT_RESET_VALUE || !(flags & FADT_RESET_REG_SUP))
        return;
    port = acpi_gas_port(acpi_gas(t->p + FADT_RESET_REG));
    if (port) {
        out->reset_reg_valid = true;
        out->reset_port = port;
        out->reset_value = t->p[FADT_RESET_VALUE];
    }
}

static void acpi_parse_hpet(const struct acpi_table *t, struct acpi_info *out)
{
    struct acpi_gas g;

    if (t->len < HPET_BASE_GAS + GAS_LEN) {
        pr_warn("acpi: HPET at %#llx is too short (%u), skipped\n",
                (unsigned long long)t->pa, t->len);
        return;
    }
    g = acpi_gas(t->p + HPET_BASE_GAS);
    if (g.space_id != ACPI_GAS_SYSTEM_MEMORY || g.addr == 0) {
        pr_warn("acpi: HPET at %#llx: base is not a memory address, skipped\n",
                (unsigned long long)t->pa);
        return;
    }
    if (!out->hpet_addr)
        out->hpet_addr = g.addr;
}

static void acpi_parse_mcfg(const struct acpi_table *t, struct acpi_info *out)
{
    uint32_t off;
    const uint8_t *e;

    for (off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= t->len && !out->mcfg_base;
         off += MCFG_ENTRY_LEN) {
        e = t->p + off;
        if (acpi_u16(e + 8) != 0)
            continue;
        out->mcfg_base = acpi_u64(e);
        out->mcfg_bus_start = e[10];
        out->mcfg_bus_end = e[11];
    }
}

/* --- the root table -------------------------------------------------------------------------- */

struct acpi_handler {
    char sig[4];
    void (*parse)(const struct acpi_table *t, struct acpi_info *out);
};

static const struct acpi_handler acpi_handlers[] = {
    { { 'A', 'P', 'I', 'C' }, acpi_parse_madt },
    { { 'F', 'A', 'C', 'P' }, acpi_parse_fadt },
    { { 'H', 'P', 'E', 'T' }, acpi_parse_hpet },
    { { 'M', 'C', 'F', 'G' }, acpi_parse_mcfg },
};

static bool acpi_seen(const char *sig, const struct acpi_info *out)
{
    if (!memcmp(sig, "APIC", 4))
        return out->have_madt;
    if (!memcmp(sig, "FACP", 4))
        return out->have_fadt;
    return false;
}

static void acpi_parse_table(uint64_t pa, acpi_map_fn map, void *ctx, struct acpi_info *out)
{
    struct acpi_table t;
    unsigned int i;

    if (!pa || !acpi_map_table(pa, map, ctx, &t))
        return;
    for (i = 0; i < ARRAY_SIZE(acpi_handlers); i++) {
        if (memcmp(t.sig, acpi_handlers[i].sig, 4))
            continue;
        /* A second MADT or FADT would mix its CPUs or ports with the first's. */
        if (acpi_seen(t.sig, out)) {
            pr_warn("acpi: second %s at %#llx ignored\n", t.sig, (unsigned long long)pa);
            return;
        }
        acpi_handlers[i].parse(&t, out);
        return;
    }
}

/* Reads entry i of the root table, mapping it again since parsing a table reuses the window. */
static uint64_t acpi_root_entry(const struct acpi_table *root, unsigned int entry_len,
                                unsigned int i, acpi_map_fn map, void *ctx)
{
    const uint8_t *p = map(root->pa, root->len, ctx);

    if (!p)
        return 0;
    p += ACPI_HDR_LEN + i * entry_len;
    return entry_len == 8 ? acpi_u64(p) : acpi_u32(p);
}

static void acpi_walk_root(const struct acpi_table *root, unsigned int entry_len,
                           acpi_map_fn map, void *ctx, struct acpi_info *out)
{
    unsigned int i, n = (root->len - ACPI_HDR_LEN) / entry_len;

    for (i = 0; i < n; i++)
        acpi_parse_table(acpi_root_entry(root, entry_len, i, map, ctx), map, ctx, out);
}

/* The fields of the RSDP we need, copied out before other tables are mapped. */
struct acpi_rsdp {
    unsigned int revision;
    uint32_t rsdt;
    uint64_t xsdt;
};

static int acpi_read_rsdp(uint64_t pa, acpi_map_fn map, void *ctx, struct acpi_rsdp *r,
                          struct acpi_info *out)
{
    const uint8_t *p = map(pa, ACPI_RSDP_V1_LEN, ctx);
    uint32_t len = ACPI_RSDP_V1_LEN;

    if (p && p[15] >= 2) {
        p = map(pa, ACPI_RSDP_V2_LEN, ctx);
        len = p ? acpi_u32(p + 20) : 0;
        p = len >= ACPI_RSDP_V2_LEN ? map(pa, len, ctx) : NULL;
    }
    if (!p || !acpi_rsdp_ok(p, len)) {
        pr_warn("acpi: no valid RSDP at %#llx\n", (unsigned long long)pa);
        return -EINVAL;
    }
    r->revision = p[15] >= 2 ? 2 : 0;
    r->rsdt = acpi_u32(p + 16);
    r->xsdt = r->revision >= 2 ? acpi_u64(p + 24) : 0;
    memcpy(out->oem_id, p + 9, 6);
    out->oem_id[6] = '\0';
    return 0;
}

int acpi_parse(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_info *out)
{
    struct acpi_rsdp r;
    struct acpi_table root;
    bool ok = false;

    memset(out, 0, sizeof(*out));
    if (acpi_read_rsdp(rsdp_pa, map, ctx, &r, out))
        return -EINVAL;
    out->rsdp_addr = rsdp_pa;
    out->revision = r.revision;
    if (r.xsdt) {
        ok = acpi_map_table(r.xsdt, map, ctx, &root) && !memcmp(root.sig, "XSDT", 4);
        if (ok)
            acpi_walk_root(&root, 8, map, ctx, out);
        else if (r.rsdt)
            pr_warn("acpi: XSDT unusable, falling back to the RSDT\n");
    }
    if (!ok && r.rsdt) {
        ok = acpi_map_table(r.rsdt, map, ctx, &root) && !memcmp(root.sig, "RSDT", 4);
        if (ok)
            acpi_walk_root(&root, 4, map, ctx, out);
    }
    if (!ok) {
        pr_warn("acpi: RSDP at %#llx leads to no usable RSDT or XSDT\n",
                (unsigned long long)rsdp_pa);
        return -EINVAL;
    }
    return 0;
}
