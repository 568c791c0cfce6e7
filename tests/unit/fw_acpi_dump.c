/*
 * Writes the ACPI tables fw_acpi_build makes, one file per table, for the iasl test
 * (tests/system/test_fw_acpi.py). Usage: fw_acpi_dump <dir> <nr_cpus> <hpet: 0|1>
 * (1 also adds the panic notifier's device, as Keel's guests have both)
 * It reaches every table through the pointers in the tables (RSDP, XSDT, FADT), as an OS would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../firmware/acpi.c"
#include "../../firmware/aml.c"

#define GPA 0xe0000ull

static uint8_t tables[64 * 1024];
static long used;

static const uint8_t *at(uint64_t addr)
{
    if (addr < GPA || addr - GPA >= (uint64_t)used) {
        fprintf(stderr, "fw_acpi_dump: address %#llx outside the tables\n", (unsigned long long)addr);
        exit(1);
    }
    return tables + (addr - GPA);
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void save(const char *dir, const char *name, const uint8_t *p, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
        perror(path);
        exit(1);
    }
}

static void save_table(const char *dir, uint64_t addr)
{
    const uint8_t *t = at(addr);
    char name[5] = { 0 };

    memcpy(name, t, 4);
    save(dir, name, t, rd32(t + 4));
}

int main(int argc, char **argv)
{
    struct fw_acpi_cfg cfg = { .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
                               .pm_base = 0xb000, .sci_irq = 9, .gpa = GPA };
    const uint8_t *xsdt, *fadt;

    if (argc != 4) {
        fprintf(stderr, "usage: %s <dir> <nr_cpus> <hpet: 0|1>\n", argv[0]);
        return 2;
    }
    cfg.nr_cpus = (unsigned int)atoi(argv[2]);
    cfg.ioapic_id = (uint8_t)cfg.nr_cpus;
    cfg.hpet = cfg.pvpanic = atoi(argv[3]) != 0;
    used = fw_acpi_build(&cfg, tables, sizeof(tables));
    if (used < 0) {
        fprintf(stderr, "fw_acpi_build: %ld\n", used);
        return 1;
    }
    save(argv[1], "RSDP", tables, 36);
    xsdt = at(rd64(tables + 24));
    save_table(argv[1], rd64(tables + 24));
    for (uint32_t off = 36; off < rd32(xsdt + 4); off += 8)
        save_table(argv[1], rd64(xsdt + off));
    fadt = at(rd64(xsdt + 36));
    save_table(argv[1], rd64(fadt + 140));          /* X_DSDT */
    save(argv[1], "FACS", at(rd64(fadt + 132)), 64); /* X_FIRMWARE_CTRL */
    return 0;
}
