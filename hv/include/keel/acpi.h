/*
 * ACPI tables: finding the RSDP and reading what the hypervisor needs from the XSDT/RSDT, MADT,
 * FADT, HPET and MCFG. Table memory is reached through a caller-supplied mapping function so that
 * the same code runs in the hypervisor and on captured tables in unit tests. Checksums are checked;
 * a table that fails them, or whose length runs past what was mapped, is skipped with a warning.
 */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include <keel/types.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS 16

/* Returns a pointer through which len bytes at physical address pa can be read, or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t pa, size_t len, void *ctx);

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t acpi_uid;
    bool enabled;                   /* enabled, or online-capable */
};

struct acpi_ioapic {
    uint8_t id;
    uint32_t addr;
    uint32_t gsi_base;
};

struct acpi_iso {                   /* interrupt source override */
    uint8_t bus, source;
    uint32_t gsi;
    uint16_t flags;
};

struct acpi_info {
    uint64_t rsdp_addr;
    unsigned int revision;          /* RSDP revision: 0 for ACPI 1.0, 2 for 2.0+ */
    char oem_id[7];
    uint64_t lapic_addr;            /* MADT address, or its 64-bit override */
    bool pic_present;               /* MADT flags PCAT_COMPAT */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    unsigned int nr_cpus;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    unsigned int nr_ioapics;
    struct acpi_iso isos[ACPI_MAX_ISOS];
    unsigned int nr_isos;
    bool have_madt, have_fadt;
    uint32_t pm_timer_port;         /* FADT PM_TMR_BLK (or X_PM_TMR_BLK in I/O space); 0 if none */
    bool pm_timer_32bit;            /* FADT flags TMR_VAL_EXT */
    uint64_t hpet_addr;             /* 0 if no HPET table */
    uint64_t mcfg_base;             /* segment 0 ECAM base from MCFG, 0 if none */
    uint8_t mcfg_bus_start, mcfg_bus_end;
    bool reset_reg_valid;           /* FADT RESET_REG in I/O space */
    uint16_t reset_port;
    uint8_t reset_value;
};

/* Scans [buf, buf+len) on 16-byte boundaries for a valid RSDP; returns its offset or -ENOENT. */
long acpi_scan_rsdp(const void *buf, size_t len);
/* Reads the tables starting at the RSDP at rsdp_pa. -EINVAL if the RSDP itself is bad. */
int acpi_parse(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_info *out);

#endif
