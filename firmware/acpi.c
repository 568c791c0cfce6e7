/*
 * Keel's ACPI tables (see fw_acpi.h and firmware/README.md for the choices they encode). The
 * layout is computed first, so a buffer that is too small is left untouched; then each table is
 * written in place, zero-filled first, and checksummed last.
 */
#include <keel/fw_acpi.h>
#include <keel/string.h>
#include <keel/vdev_hpet.h>
#include <keel/vdev_pmtimer.h>
#include "acpi_tables.h"
#include "aml.h"

#define FW_OEM_ID "KEEL  "
#define FW_CREATOR_ID "KEEL"
#define FW_FOUR_GIB 0x100000000ull

#define FADT_REVISION 6                 /* ACPI 6.0 */
#define FADT_MINOR_VERSION 0
#define FADT_NO_C2 101                  /* latencies above 100 / 1000 us: no C2 / C3 */
#define FADT_NO_C3 1001
#define FADT_CENTURY 0x32               /* the CMOS century register */

#define BOOT_LEGACY_DEVICES (1u << 0)
#define BOOT_8042 (1u << 1)
#define BOOT_VGA_NOT_PRESENT (1u << 2)

#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_SLP_BUTTON (1u << 5)
#define FADT_FIX_RTC (1u << 6)

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

#define MADT_PCAT_COMPAT (1u << 0)
#define MADT_ENABLED (1u << 0)
#define MADT_NR_ISOS 2
#define ISO_ACTIVE_HIGH 0x1
#define ISO_EDGE (0x1 << 2)
#define ISO_LEVEL (0x3 << 2)

#define PM1_EVT_LEN 4
#define PM1_CNT_OFF 4
#define PM1_CNT_LEN 2
#define PM_TMR_OFF 8
#define PM_TMR_LEN 4

#define HPET_MIN_TICK 128               /* clocks, about 9 us */
#define HPET_PAGE_PROTECT_4K 1

/* Offsets of each table in the buffer; a zero size means the table is left out. */
struct fw_layout {
    size_t facs, xsdt, fadt, dsdt, madt, hpet, end;
    size_t xsdt_len, dsdt_len, madt_len, hpet_len;
};

struct fw_ctx {
    const struct fw_acpi_cfg *cfg;
    uint8_t *buf;
    struct fw_layout l;
};

static uint64_t fw_gpa(const struct fw_ctx *c, size_t off)
{
    return c->cfg->gpa + off;
}

/* The 32-bit copy of an address: the address itself, or 0 if it does not fit. */
static uint32_t fw_addr32(uint64_t addr)
{
    return addr < FW_FOUR_GIB ? (uint32_t)addr : 0;
}

static uint8_t fw_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum += *p++;
    return (uint8_t)-sum;
}

/* Places size bytes at the next offset whose guest-physical address is align-aligned. */
static size_t fw_place(size_t *cur, uint64_t gpa, size_t size, size_t align)
{
    size_t off = (size_t)(ALIGN_UP(gpa + *cur, align) - gpa);

    *cur = off + size;
    return off;
}

static size_t fw_dsdt_len(const struct fw_acpi_cfg *cfg)
{
    struct aml a = { NULL, 0 };

    fw_dsdt_aml(&a, cfg->nr_cpus, cfg->pvpanic, FW_PVPANIC_PORT);
    return sizeof(struct fw_sdt_header) + a.len;
}

static void fw_layout(const struct fw_acpi_cfg *cfg, struct fw_layout *l)
{
    size_t cur = sizeof(struct fw_rsdp);

    l->xsdt_len = sizeof(struct fw_sdt_header) + 8 * (cfg->hpet ? 3 : 2);
    l->dsdt_len = fw_dsdt_len(cfg);
    l->madt_len = sizeof(struct fw_madt) + cfg->nr_cpus * sizeof(struct fw_madt_lapic) +
                  sizeof(struct fw_madt_ioapic) + MADT_NR_ISOS * sizeof(struct fw_madt_iso) +
                  sizeof(struct fw_madt_lapic_nmi);
    l->hpet_len = cfg->hpet ? sizeof(struct fw_hpet) : 0;
    l->facs = fw_place(&cur, cfg->gpa, sizeof(struct fw_facs), 64);
    l->xsdt = fw_place(&cur, cfg->gpa, l->xsdt_len, 8);
    l->fadt = fw_place(&cur, cfg->gpa, sizeof(struct fw_fadt), 8);
    l->dsdt = fw_place(&cur, cfg->gpa, l->dsdt_len, 8);
    l->madt = fw_place(&cur, cfg->gpa, l->madt_len, 8);
    l->hpet = cfg->hpet ? fw_place(&cur, cfg->gpa, l->hpet_len, 8) : 0;
    l->end = cur;
}

/* Fills a table header; the checksum is set by fw_sdt_seal once the table is complete. */
static void fw_sdt_header(struct fw_ctx *c, size_t off, const char sig[4], size_t len,
                          uint8_t revision)
{
    struct fw_sdt_header *h = (struct fw_sdt_header *)(c->buf + off);

    memcpy(h->signature, sig, 4);
    h->length = (uint32_t)len;
    h->revision = revision;
    memcpy(h->oem_id, FW_OEM_ID, 6);
    memcpy(h->oem_table_id, "KEEL", 4);
    memcpy(h->oem_table_id + 4, sig, 4);
    h->oem_revision = 1;
    memcpy(h->creator_id, FW_CREATOR_ID, 4);
    h->creator_revision = 1;
}

static void fw_sdt_seal(struct fw_ctx *c, size_t off)
{
    struct fw_sdt_header *h = (struct fw_sdt_header *)(c->buf + off);

    h->checksum = fw_checksum(c->buf + off, h->length);
}

static void fw_build_rsdp(struct fw_ctx *c)
{
    struct fw_rsdp *r = (struct fw_rsdp *)c->buf;

    memcpy(r->signature, "RSD PTR ", 8);
    memcpy(r->oem_id, FW_OEM_ID, 6);
    r->revision = 2;
    r->length = sizeof(*r);
    r->xsdt_addr = fw_gpa(c, c->l.xsdt);
    r->checksum = fw_checksum(c->buf, offsetof(struct fw_rsdp, length));
    r->ext_checksum = fw_checksum(c->buf, sizeof(*r));
}

static void fw_build_xsdt(struct fw_ctx *c)
{
    uint64_t entries[3] = { fw_gpa(c, c->l.fadt), fw_gpa(c, c->l.madt), fw_gpa(c, c->l.hpet) };
    size_t n = c->cfg->hpet ? 3 : 2;

    fw_sdt_header(c, c->l.xsdt, "XSDT", c->l.xsdt_len, 1);
    memcpy(c->buf + c->l.xsdt + sizeof(struct fw_sdt_header), entries, n * sizeof(entries[0]));
    fw_sdt_seal(c, c->l.xsdt);
}

static void fw_build_facs(struct fw_ctx *c)
{
    struct fw_facs *f = (struct fw_facs *)(c->buf + c->l.facs);

    memcpy(f->signature, "FACS", 4);
    f->length = sizeof(*f);
    f->version = 2;
}

static struct fw_gas fw_io_gas(uint16_t port, uint8_t bits, uint8_t access)
{
    return (struct fw_gas){ .space_id = GAS_SYSTEM_IO, .bit_width = bits,
                            .access_size = access, .address = port };
}

static void fw_fadt_pm(struct fw_fadt *f, uint16_t base)
{
    f->pm1a_evt_blk = base;
    f->pm1a_cnt_blk = base + PM1_CNT_OFF;
    f->pm_tmr_blk = base + PM_TMR_OFF;
    f->pm1_evt_len = PM1_EVT_LEN;
    f->pm1_cnt_len = PM1_CNT_LEN;
    f->pm_tmr_len = PM_TMR_LEN;
    f->x_pm1a_evt_blk = fw_io_gas(base, 8 * PM1_EVT_LEN, GAS_ACCESS_WORD);
    f->x_pm1a_cnt_blk = fw_io_gas(base + PM1_CNT_OFF, 8 * PM1_CNT_LEN, GAS_ACCESS_WORD);
    f->x_pm_tmr_blk = fw_io_gas(base + PM_TMR_OFF, 8 * PM_TMR_LEN, GAS_ACCESS_DWORD);
}

static void fw_build_fadt(struct fw_ctx *c)
{
    const struct fw_acpi_cfg *cfg = c->cfg;
    struct fw_fadt *f = (struct fw_fadt *)(c->buf + c->l.fadt);

    fw_sdt_header(c, c->l.fadt, "FACP", sizeof(*f), FADT_REVISION);
    f->firmware_ctrl = fw_addr32(fw_gpa(c, c->l.facs));
    f->x_firmware_ctrl = fw_gpa(c, c->l.facs);
    f->dsdt = fw_addr32(fw_gpa(c, c->l.dsdt));
    f->x_dsdt = fw_gpa(c, c->l.dsdt);
    f->sci_int = cfg->sci_irq;
    fw_fadt_pm(f, cfg->pm_base);
    f->p_lvl2_lat = FADT_NO_C2;
    f->p_lvl3_lat = FADT_NO_C3;
    f->century = FADT_CENTURY;
    f->iapc_boot_arch = BOOT_LEGACY_DEVICES | (cfg->i8042 ? BOOT_8042 : 0) |
                        (cfg->vga ? 0 : BOOT_VGA_NOT_PRESENT);
    f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC;
    f->minor_version = FADT_MINOR_VERSION;
    fw_sdt_seal(c, c->l.fadt);
}

static void fw_build_dsdt(struct fw_ctx *c)
{
    struct aml a = { c->buf + c->l.dsdt + sizeof(struct fw_sdt_header), 0 };

    fw_sdt_header(c, c->l.dsdt, "DSDT", c->l.dsdt_len, 2);
    fw_dsdt_aml(&a, c->cfg->nr_cpus, c->cfg->pvpanic, FW_PVPANIC_PORT);
    fw_sdt_seal(c, c->l.dsdt);
}

static void *fw_madt_entry(uint8_t **p, uint8_t type, size_t len)
{
    uint8_t *e = *p;

    e[0] = type;
    e[1] = (uint8_t)len;
    *p += len;
    return e;
}

static void fw_madt_iso(uint8_t **p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    struct fw_madt_iso *iso = fw_madt_entry(p, 2, sizeof(*iso));

    iso->source = irq;
    iso->gsi = gsi;
    iso->flags = flags;
}

static void fw_build_madt(struct fw_ctx *c)
{
    const struct fw_acpi_cfg *cfg = c->cfg;
    struct fw_madt *m = (struct fw_madt *)(c->buf + c->l.madt);
    uint8_t *p = c->buf + c->l.madt + sizeof(*m);
    struct fw_madt_ioapic *io;
    struct fw_madt_lapic_nmi *nmi;

    fw_sdt_header(c, c->l.madt, "APIC", c->l.madt_len, 4);
    m->lapic_addr = (uint32_t)cfg->lapic_addr;
    m->flags = MADT_PCAT_COMPAT;
    for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
        struct fw_madt_lapic *l = fw_madt_entry(&p, 0, sizeof(*l));

        l->uid = (uint8_t)i;
        l->apic_id = (uint8_t)i;
        l->flags = MADT_ENABLED;
    }
    io = fw_madt_entry(&p, 1, sizeof(*io));
    io->id = cfg->ioapic_id;
    io->address = (uint32_t)cfg->ioapic_addr;
    fw_madt_iso(&p, 0, 2, ISO_ACTIVE_HIGH | ISO_EDGE);      /* the PIT on IOAPIC pin 2 */
    fw_madt_iso(&p, cfg->sci_irq, cfg->sci_irq, ISO_ACTIVE_HIGH | ISO_LEVEL);
    nmi = fw_madt_entry(&p, 4, sizeof(*nmi));
    nmi->uid = 0xff;
    nmi->lint = 1;
    fw_sdt_seal(c, c->l.madt);
}

static void fw_build_hpet(struct fw_ctx *c)
{
    struct fw_hpet *h = (struct fw_hpet *)(c->buf + c->l.hpet);

    fw_sdt_header(c, c->l.hpet, "HPET", sizeof(*h), 1);
    h->event_timer_block_id = (uint32_t)HPET_CAP_ID;
    h->base = (struct fw_gas){ .bit_width = 64, .address = HPET_BASE };
    h->min_tick = HPET_MIN_TICK;
    h->page_protection = HPET_PAGE_PROTECT_4K;
    fw_sdt_seal(c, c->l.hpet);
}

/* The SCI must be an ISA IRQ other than the timer's and the cascade. */
static bool fw_cfg_ok(const struct fw_acpi_cfg *cfg)
{
    return cfg->nr_cpus && cfg->nr_cpus <= FW_ACPI_MAX_CPUS && !(cfg->gpa & 15) &&
           cfg->lapic_addr < FW_FOUR_GIB && cfg->ioapic_addr < FW_FOUR_GIB &&
           cfg->ioapic_id >= cfg->nr_cpus && cfg->pm_base &&
           cfg->pm_base <= 0x10000 - PMTIMER_BLOCK_LEN &&
           cfg->sci_irq < 16 && cfg->sci_irq != 0 && cfg->sci_irq != 2 &&
           cfg->gpa <= UINT64_MAX - FW_FOUR_GIB;
}

long fw_acpi_build(const struct fw_acpi_cfg *cfg, void *buf, size_t len)
{
    struct fw_ctx c = { cfg, buf, { 0 } };

    if (!fw_cfg_ok(cfg))
        return -EINVAL;
    fw_layout(cfg, &c.l);
    if (c.l.end > len)
        return -ENOSPC;
    memset(buf, 0, c.l.end);
    fw_build_facs(&c);
    fw_build_dsdt(&c);
    fw_build_fadt(&c);
    fw_build_madt(&c);
    if (cfg->hpet)
        fw_build_hpet(&c);
    fw_build_xsdt(&c);
    fw_build_rsdp(&c);
    return (long)c.l.end;
}
