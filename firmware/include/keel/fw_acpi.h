/*
 * The ACPI tables a guest boots with (firmware/acpi.c): RSDP, XSDT, FADT, FACS, DSDT, MADT and
 * optionally HPET, describing Keel's virtual platform (hv/vplatform.c). The caller chooses where
 * in guest-physical memory the tables will sit; every pointer inside them is that address plus
 * the table's offset, so the buffer is copied to the guest unchanged.
 */
#ifndef KEEL_FW_ACPI_H
#define KEEL_FW_ACPI_H

#include <keel/types.h>

/* xAPIC MADT entries carry 8-bit APIC IDs and processor UIDs, and 0xff means "all". */
#define FW_ACPI_MAX_CPUS 255

#define FW_PVPANIC_PORT 0x505

struct fw_acpi_cfg {
    unsigned int nr_cpus;       /* vCPU i has local APIC ID i and ACPI processor UID i */
    uint64_t lapic_addr;        /* 0xFEE00000; below 4 GiB */
    uint64_t ioapic_addr;       /* 0xFEC00000; below 4 GiB */
    uint8_t ioapic_id;          /* must differ from every local APIC ID, e.g. nr_cpus */
    uint16_t pm_base;           /* the PM block: PM1a_EVT at +0 (4 bytes), PM1a_CNT at +4
                                   (2 bytes), PM_TMR at +8 (4 bytes, 24-bit count) */
    uint8_t sci_irq;            /* ISA IRQ of the SCI (9): level, active high */
    bool hpet;                  /* add an HPET table for Keel's HPET at 0xFED00000 */
    bool i8042;                 /* a device model provides the PS/2 controller (0x60/0x64) */
    bool vga;                   /* a device model provides VGA */
    bool pvpanic;               /* the panic notifier (QEMU's pvpanic interface, ACPI ID
                                   QEMU0001) on I/O port FW_PVPANIC_PORT */
    uint64_t gpa;               /* where buf will be placed in the guest: 16-byte aligned */
};

/*
 * Builds the tables into buf, the RSDP at offset 0. Returns the number of bytes used, -ENOSPC if
 * len is too small (buf is then untouched), or -EINVAL for a configuration it cannot describe.
 */
long fw_acpi_build(const struct fw_acpi_cfg *cfg, void *buf, size_t len);

#endif
