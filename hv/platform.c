/* ACPI discovery, the legacy PIC, and the boot-information dump used to capture test inputs. */
#include <keel/cpu.h>
#include <keel/mm.h>
#include <keel/platform.h>
#include <keel/printk.h>
#include <keel/string.h>

struct acpi_info acpi;

static const void *acpi_map(uint64_t pa, size_t len, void *ctx)
{
    return map_firmware(pa, len);
}

/* Without a loader tag: the first KiB of the EBDA, then the BIOS ROM area. */
static uint64_t find_rsdp_bios(void)
{
    uint64_t ebda = (uint64_t)*(const uint16_t *)phys_to_virt(0x40e) << 4;
    long off;

    if (ebda >= 0x80000 && ebda < 0xa0000) {
        off = acpi_scan_rsdp(phys_to_virt(ebda), 1024);
        if (off >= 0)
            return ebda + (uint64_t)off;
    }
    off = acpi_scan_rsdp(phys_to_virt(0xe0000), 0x20000);
    return off >= 0 ? 0xe0000 + (uint64_t)off : 0;
}

void platform_acpi_init(const struct boot_info *bi)
{
    uint64_t rsdp = bi->rsdp ? bi->rsdp : find_rsdp_bios();

    if (!rsdp)
        panic("acpi: no RSDP from the loader or in the BIOS areas; Keel needs ACPI");
    if (acpi_parse(rsdp, acpi_map, NULL, &acpi))
        panic("acpi: the RSDP at %llx is invalid", (unsigned long long)rsdp);
    if (!acpi.have_madt || !acpi.nr_cpus)
        panic("acpi: no MADT listing the CPUs");
    pr_info("acpi: RSDP rev %u at %llx (OEM %s), %u CPUs, %u IOAPICs, PM timer %#x, HPET %llx\n",
            acpi.revision, (unsigned long long)rsdp, acpi.oem_id, acpi.nr_cpus, acpi.nr_ioapics,
            acpi.pm_timer_port, (unsigned long long)acpi.hpet_addr);
    for (unsigned int i = 0; i < acpi.nr_ioapics; i++)
        pr_info("acpi: IOAPIC %u at %x, GSI base %u\n", acpi.ioapics[i].id, acpi.ioapics[i].addr,
                acpi.ioapics[i].gsi_base);
}

void pic_disable(void)
{
    static const uint8_t init[2][4] = {
        { 0x11, 0x20, 0x04, 0x01 },             /* master: vectors 0x20-0x27, slave on IRQ2 */
        { 0x11, 0x28, 0x02, 0x01 },             /* slave: vectors 0x28-0x2f, cascade identity */
    };
    static const uint16_t base[2] = { 0x20, 0xa0 };

    for (unsigned int i = 0; i < 2; i++) {
        outb(base[i], init[i][0]);
        for (unsigned int j = 1; j < 4; j++)
            outb(base[i] + 1, init[i][j]);
    }
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static void hexdump(const char *what, uint64_t pa, const void *p, size_t len)
{
    const uint8_t *b = p;
    char line[16 * 2 + 1];

    for (size_t off = 0; off < len; off += 16) {
        size_t n = MIN(len - off, 16);

        for (size_t i = 0; i < n; i++)
            snprintf(line + 2 * i, 3, "%02x", b[off + i]);
        pr_info("bootdump %s %llx %s\n", what, (unsigned long long)(pa + off), line);
    }
}

static void dump_table(uint64_t pa)
{
    const uint8_t *hdr = map_firmware(pa, 36);
    uint32_t len;

    if (!hdr)
        return;
    memcpy(&len, hdr + 4, 4);
    if (len < 36 || len > 0x10000)
        return;
    hexdump("acpi", pa, map_firmware(pa, len), len);
}

static void dump_tables_in_sdt(uint64_t sdt, unsigned int entry_size)
{
    const uint8_t *hdr = map_firmware(sdt, 36);
    const uint8_t *body;
    uint32_t len;

    if (!hdr)
        return;
    memcpy(&len, hdr + 4, 4);
    if (len < 36 || len > 0x10000 || !(body = map_firmware(sdt, len)))
        return;
    for (uint32_t off = 36; off + entry_size <= len; off += entry_size) {
        uint64_t pa = 0;

        memcpy(&pa, body + off, entry_size);
        dump_table(pa);
    }
}

void platform_bootdump(const struct boot_info *bi)
{
    const uint8_t *rsdp;
    uint32_t rsdt;
    uint64_t xsdt = 0;

    hexdump("mbi", bi->info_start, phys_to_virt(bi->info_start), bi->info_end - bi->info_start);
    if (!acpi.rsdp_addr)
        return;
    rsdp = map_firmware(acpi.rsdp_addr, 36);
    hexdump("rsdp", acpi.rsdp_addr, rsdp, acpi.revision >= 2 ? 36 : 20);
    memcpy(&rsdt, rsdp + 16, 4);
    if (acpi.revision >= 2)
        memcpy(&xsdt, rsdp + 24, 8);
    dump_table(xsdt ? xsdt : rsdt);
    dump_tables_in_sdt(xsdt ? xsdt : rsdt, xsdt ? 8 : 4);
}
