/*
 * Unit tests for firmware/acpi.c. Every field is read back at the offset the ACPI specification
 * gives it, not through firmware/'s own structures, and the whole set is also fed to the
 * hypervisor's own ACPI reader (hv/boot/acpi.c), which must find the same platform.
 * tests/system/test_fw_acpi.py adds the independent check: iasl disassembles and recompiles them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../firmware/acpi.c"
#include "../../firmware/aml.c"
#include "../../hv/boot/acpi.c"
#include <keel/vplatform.h>

#define GPA 0xe0000ull
#define BUF_SIZE 0x10000

static uint8_t buf[BUF_SIZE];

static const struct fw_acpi_cfg base_cfg = {
    .nr_cpus = 4, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000, .ioapic_id = 4,
    .pm_base = 0xb000, .sci_irq = 9, .hpet = true, .gpa = GPA,
};

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s += *p++;
    return s;
}

static long build(const struct fw_acpi_cfg *cfg)
{
    long n;

    memset(buf, 0xa5, sizeof(buf));
    n = fw_acpi_build(cfg, buf, sizeof(buf));
    assert_true(n > 0);
    return n;
}

/* The table at guest-physical addr, which must lie wholly inside the built tables. */
static const uint8_t *table_at(uint64_t gpa, long used, uint64_t addr, const char *sig)
{
    const uint8_t *t;

    assert_true(addr >= gpa && addr - gpa + 36 <= (uint64_t)used);
    t = buf + (addr - gpa);
    assert_memory_equal(t, sig, 4);
    assert_true(addr - gpa + rd32(t + 4) <= (uint64_t)used);
    if (strcmp(sig, "FACS"))
        assert_int_equal(sum(t, rd32(t + 4)), 0);
    return t;
}

static const uint8_t *xsdt_of(uint64_t gpa, long used)
{
    return table_at(gpa, used, rd64(buf + 24), "XSDT");
}

static const uint8_t *find_table(const struct fw_acpi_cfg *cfg, long used, const char *sig)
{
    const uint8_t *x = xsdt_of(cfg->gpa, used);

    for (uint32_t off = 36; off < rd32(x + 4); off += 8) {
        uint64_t addr = rd64(x + off);

        assert_true(addr >= cfg->gpa && addr - cfg->gpa + 4 <= (uint64_t)used);
        if (!memcmp(buf + (addr - cfg->gpa), sig, 4))
            return table_at(cfg->gpa, used, addr, sig);
    }
    fail_msg("no %s in the XSDT", sig);
    return NULL;
}

static void test_rsdp(void **state)
{
    long used = build(&base_cfg);

    assert_memory_equal(buf, "RSD PTR ", 8);
    assert_int_equal(sum(buf, 20), 0);
    assert_int_equal(buf[15], 2);
    assert_int_equal(rd32(buf + 20), 36);
    assert_int_equal(sum(buf, 36), 0);
    assert_memory_equal(buf + 9, "KEEL  ", 6);
    assert_int_equal(rd32(buf + 16), 0);            /* no RSDT: only the XSDT */
    xsdt_of(GPA, used);
    /* The hypervisor's own scan, on 16-byte boundaries, finds it at offset 0. */
    assert_int_equal(acpi_scan_rsdp(buf, (size_t)used), 0);
}

static void check_xsdt_sigs(const struct fw_acpi_cfg *cfg, const char *const *sigs, unsigned int n)
{
    long used = build(cfg);
    const uint8_t *x = xsdt_of(cfg->gpa, used);

    assert_int_equal(rd32(x + 4), 36 + 8 * n);
    assert_int_equal(x[8], 1);
    for (unsigned int i = 0; i < n; i++)
        table_at(cfg->gpa, used, rd64(x + 36 + 8 * i), sigs[i]);
}

static void test_xsdt_entries(void **state)
{
    static const char *const with_hpet[] = { "FACP", "APIC", "HPET" };
    struct fw_acpi_cfg cfg = base_cfg;

    check_xsdt_sigs(&cfg, with_hpet, 3);
    cfg.hpet = false;
    check_xsdt_sigs(&cfg, with_hpet, 2);
}

static void test_fadt_pointers(void **state)
{
    long used = build(&base_cfg);
    const uint8_t *f = find_table(&base_cfg, used, "FACP"), *facs, *dsdt;

    assert_int_equal(rd32(f + 4), 276);
    assert_int_equal(f[8], 6);
    assert_int_equal(rd32(f + 36), rd64(f + 132));  /* FIRMWARE_CTRL and X_FIRMWARE_CTRL */
    assert_int_equal(rd32(f + 40), rd64(f + 140));  /* DSDT and X_DSDT */
    facs = table_at(GPA, used, rd64(f + 132), "FACS");
    assert_int_equal(rd64(f + 132) % 64, 0);
    assert_int_equal(rd32(facs + 4), 64);
    assert_int_equal(facs[32], 2);
    dsdt = table_at(GPA, used, rd64(f + 140), "DSDT");
    assert_int_equal(dsdt[8], 2);
}

static void check_gas(const uint8_t *g, uint8_t space, uint8_t bits, uint64_t addr)
{
    assert_int_equal(g[0], space);
    assert_int_equal(g[1], bits);
    assert_int_equal(g[2], 0);
    assert_int_equal(rd64(g + 4), addr);
}

static void test_fadt_pm(void **state)
{
    long used = build(&base_cfg);
    const uint8_t *f = find_table(&base_cfg, used, "FACP");

    assert_int_equal(rd16(f + 46), 9);              /* SCI_INT */
    assert_int_equal(rd32(f + 48), 0);              /* SMI_CMD: always in ACPI mode */
    assert_int_equal(rd32(f + 56), 0xb000);         /* PM1a_EVT_BLK */
    assert_int_equal(rd32(f + 64), 0xb004);         /* PM1a_CNT_BLK */
    assert_int_equal(rd32(f + 76), 0xb008);         /* PM_TMR_BLK */
    assert_int_equal(rd32(f + 60) | rd32(f + 68) | rd32(f + 72) | rd32(f + 80), 0);
    assert_int_equal(f[88], 4);
    assert_int_equal(f[89], 2);
    assert_int_equal(f[91], 4);
    assert_int_equal(f[92], 0);                     /* no GPE0 block */
    check_gas(f + 148, 1, 32, 0xb000);
    check_gas(f + 172, 1, 16, 0xb004);
    check_gas(f + 208, 1, 32, 0xb008);
    /* The PM block the FADT describes is the one the hypervisor emulates. */
    assert_int_equal(8 + f[91], PMTIMER_BLOCK_LEN);
    assert_int_equal(base_cfg.pm_base, VPLATFORM_PM_BASE);
}

static void test_fadt_flags(void **state)
{
    struct fw_acpi_cfg cfg = base_cfg;
    long used = build(&cfg);
    const uint8_t *f = find_table(&cfg, used, "FACP");
    uint32_t flags = rd32(f + 112);

    assert_int_equal(f[108], 0x32);                 /* CENTURY */
    assert_int_equal(rd16(f + 109), 0x5);           /* legacy devices, no 8042, no VGA */
    assert_true(flags & (1u << 0));                 /* WBINVD */
    assert_true(flags & (1u << 2));                 /* PROC_C1 */
    assert_false(flags & (1u << 4));                /* a fixed power button */
    assert_false(flags & (1u << 8));                /* a 24-bit PM timer */
    assert_false(flags & (1u << 10));               /* no reset register */
    assert_false(flags & (1u << 20));               /* not hardware-reduced */
    assert_int_equal(rd16(f + 96), 101);            /* no C2 */
    assert_int_equal(rd16(f + 98), 1001);           /* no C3 */
    cfg.i8042 = cfg.vga = true;
    used = build(&cfg);
    f = find_table(&cfg, used, "FACP");
    assert_int_equal(rd16(f + 109), 0x3);           /* legacy devices, 8042 */
}

/* Walks the MADT and checks it describes nr_cpus CPUs and Keel's interrupt controllers. */
static void check_madt(const struct fw_acpi_cfg *cfg)
{
    long used = build(cfg);
    const uint8_t *m = find_table(cfg, used, "APIC");
    unsigned int cpus = 0, ioapics = 0, isos = 0, nmis = 0;

    assert_int_equal(rd32(m + 36), 0xfee00000);
    assert_int_equal(rd32(m + 40), 1);              /* PCAT_COMPAT */
    for (uint32_t off = 44; off < rd32(m + 4); off += m[off + 1]) {
        const uint8_t *e = m + off;

        switch (e[0]) {
        case 0:
            assert_int_equal(e[1], 8);
            assert_int_equal(e[2], cpus);           /* processor UID */
            assert_int_equal(e[3], cpus);           /* APIC ID */
            assert_int_equal(rd32(e + 4), 1);       /* enabled */
            cpus++;
            break;
        case 1:
            assert_int_equal(e[1], 12);
            assert_int_equal(e[2], cfg->ioapic_id);
            assert_int_equal(rd32(e + 4), 0xfec00000);
            assert_int_equal(rd32(e + 8), 0);       /* GSI base */
            ioapics++;
            break;
        case 2:
            assert_int_equal(e[1], 10);
            assert_int_equal(e[2], 0);              /* ISA */
            if (e[3] == 0) {
                assert_int_equal(rd32(e + 4), 2);
                assert_int_equal(rd16(e + 8), 0x5); /* edge, active high */
            } else {
                assert_int_equal(e[3], 9);
                assert_int_equal(rd32(e + 4), 9);
                assert_int_equal(rd16(e + 8), 0xd); /* level, active high */
            }
            isos++;
            break;
        case 4:
            assert_int_equal(e[1], 6);
            assert_int_equal(e[2], 0xff);           /* every processor */
            assert_int_equal(e[5], 1);              /* LINT1 */
            nmis++;
            break;
        default:
            fail_msg("unexpected MADT entry type %u", e[0]);
        }
        assert_true(e[1] >= 2 && off + e[1] <= rd32(m + 4));
    }
    assert_int_equal(cpus, cfg->nr_cpus);
    assert_int_equal(ioapics, 1);
    assert_int_equal(isos, 2);
    assert_int_equal(nmis, 1);
}

static void test_madt_sizes(void **state)
{
    struct fw_acpi_cfg cfg = base_cfg;
    static const unsigned int counts[] = { 1, 2, 4, DOMAIN_MAX_VCPUS, FW_ACPI_MAX_CPUS };

    BUILD_BUG_ON(DOMAIN_MAX_VCPUS > FW_ACPI_MAX_CPUS);
    for (unsigned int i = 0; i < ARRAY_SIZE(counts); i++) {
        cfg.nr_cpus = counts[i];
        cfg.ioapic_id = (uint8_t)counts[i];
        check_madt(&cfg);
    }
}

static void test_hpet(void **state)
{
    long used = build(&base_cfg);
    const uint8_t *h = find_table(&base_cfg, used, "HPET");

    assert_int_equal(rd32(h + 4), 56);
    /* rev 1, 3 timers (2 in bits 12-8), 64-bit counter, legacy routes, vendor 8086 */
    assert_int_equal(rd32(h + 36), 0x8086a201);
    check_gas(h + 40, 0, 64, 0xfed00000);
    assert_int_equal(h[52], 0);                     /* HPET number */
}

/* The DSDT of one CPU, encoded by hand from the AML grammar. */
static const uint8_t dsdt_one_cpu[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x22, '\\', '_', 'S', 'B', '_',
    0x5b, 0x82, 0x1a, 'C', '0', '0', '0',
    0x08, '_', 'H', 'I', 'D', 0x0d, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0x00,
    0x08, '_', 'U', 'I', 'D', 0x00,
};

static void test_dsdt_one_cpu(void **state)
{
    struct fw_acpi_cfg cfg = base_cfg;
    long used;
    const uint8_t *f, *d;

    cfg.nr_cpus = 1;
    used = build(&cfg);
    f = find_table(&cfg, used, "FACP");
    d = table_at(GPA, used, rd64(f + 140), "DSDT");
    assert_int_equal(rd32(d + 4), 36 + sizeof(dsdt_one_cpu));
    assert_memory_equal(d + 36, dsdt_one_cpu, sizeof(dsdt_one_cpu));
}

/* With the panic notifier: after the CPU, Device (PEVT) with its _HID and an I/O port _CRS. The
 * scope's body grows from 33 to 74 bytes: its PkgLength takes two bytes, 76 = 0x4c: 0x4c, 0x04. */
static const uint8_t pvpanic_device[] = {
    0x5b, 0x82, 0x27, 'P', 'E', 'V', 'T',
    0x08, '_', 'H', 'I', 'D', 0x0d, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00,
    0x08, '_', 'C', 'R', 'S', 0x11, 0x0d, 0x0a, 0x0a,
    0x47, 0x01, 0x05, 0x05, 0x05, 0x05, 0x01, 0x01, 0x79, 0x00,
};

static void test_dsdt_pvpanic(void **state)
{
    struct fw_acpi_cfg cfg = base_cfg;
    const uint8_t *d;
    long used;

    cfg.nr_cpus = 1;
    cfg.pvpanic = true;
    used = build(&cfg);
    d = table_at(GPA, used, rd64(find_table(&cfg, used, "FACP") + 140), "DSDT");
    assert_int_equal(rd32(d + 4), 36 + sizeof(dsdt_one_cpu) + 1 + sizeof(pvpanic_device));
    assert_memory_equal(d + 36, dsdt_one_cpu, 13);
    assert_int_equal(d[36 + 13], 0x4c);
    assert_int_equal(d[36 + 14], 0x04);
    assert_memory_equal(d + 36 + 15, dsdt_one_cpu + 14, sizeof(dsdt_one_cpu) - 14);
    assert_memory_equal(d + 36 + 1 + sizeof(dsdt_one_cpu), pvpanic_device, sizeof(pvpanic_device));
}

/*
 * 64 CPUs: Device bodies of 25 bytes for UIDs 0 and 1 (ZeroOp, OneOp) and 26 for the others
 * (BytePrefix), each Device 3 bytes more; the scope's body is 5 + 2 * 28 + 62 * 29 = 1859
 * bytes, so its PkgLength takes two bytes and encodes 1861 = 0x745: 0x45, 0x74.
 */
static void test_dsdt_many_cpus(void **state)
{
    struct fw_acpi_cfg cfg = base_cfg;
    const uint8_t *d, *p;
    long used;
    char name[5];

    cfg.nr_cpus = 64;
    cfg.ioapic_id = 64;
    used = build(&cfg);
    d = table_at(GPA, used, rd64(find_table(&cfg, used, "FACP") + 140), "DSDT");
    assert_int_equal(rd32(d + 4), 36 + 12 + 3 + 1859);
    assert_memory_equal(d + 48, "\x10\x45\x74\\_SB_", 8);
    p = d + 56;
    for (unsigned int i = 0; i < 64; i++) {
        unsigned int body = i < 2 ? 25 : 26;

        snprintf(name, sizeof(name), "C%03X", i);
        assert_int_equal(p[0], 0x5b);
        assert_int_equal(p[1], 0x82);
        assert_int_equal(p[2], body + 1);
        assert_memory_equal(p + 3, name, 4);
        assert_memory_equal(p + 22, "\x08_UID", 5);
        if (i >= 2)
            assert_memory_equal(p + 27, ((uint8_t[]){ 0x0a, (uint8_t)i }), 2);
        p += 3 + body;
    }
    assert_ptr_equal(p, d + rd32(d + 4));
}

static const void *buf_map(uint64_t pa, size_t len, void *ctx)
{
    long used = *(long *)ctx;

    if (pa < GPA || pa - GPA > (uint64_t)used || len > (uint64_t)used - (pa - GPA))
        return NULL;
    return buf + (pa - GPA);
}

/* The hypervisor's own ACPI reader sees the platform the tables describe. */
static void test_hypervisor_reader_agrees(void **state)
{
    static struct acpi_info info;
    long used = build(&base_cfg);

    assert_int_equal(acpi_parse(GPA, buf_map, &used, &info), 0);
    assert_int_equal(info.revision, 2);
    assert_int_equal(info.nr_cpus, 4);
    for (unsigned int i = 0; i < 4; i++) {
        assert_int_equal(info.cpus[i].apic_id, i);
        assert_int_equal(info.cpus[i].acpi_uid, i);
        assert_true(info.cpus[i].enabled);
    }
    assert_int_equal(info.lapic_addr, 0xfee00000);
    assert_true(info.pic_present);
    assert_int_equal(info.nr_ioapics, 1);
    assert_int_equal(info.ioapics[0].addr, 0xfec00000);
    assert_int_equal(info.ioapics[0].id, 4);
    assert_int_equal(info.nr_isos, 2);
    assert_int_equal(info.isos[0].gsi, 2);
    assert_int_equal(info.pm_timer_port, 0xb008);
    assert_false(info.pm_timer_32bit);
    assert_int_equal(info.hpet_addr, 0xfed00000);
    assert_false(info.reset_reg_valid);
}

/* Every length short of the total fails and writes nothing; the exact length works. */
static void test_enospc(void **state)
{
    long need = build(&base_cfg);

    for (long len = 0; len <= need; len++) {
        uint8_t *b = malloc((size_t)len + 1), *copy = malloc((size_t)len + 1);

        memset(b, 0x3c, (size_t)len + 1);
        memcpy(copy, b, (size_t)len + 1);
        if (len < need) {
            assert_int_equal(fw_acpi_build(&base_cfg, b, (size_t)len), -ENOSPC);
            assert_memory_equal(b, copy, (size_t)len);
        } else {
            assert_int_equal(fw_acpi_build(&base_cfg, b, (size_t)len), need);
            assert_memory_equal(b, buf, (size_t)need);
        }
        assert_int_equal(b[len], 0x3c);             /* nothing written past len */
        free(b);
        free(copy);
    }
}

static void expect_einval(void (*change)(struct fw_acpi_cfg *))
{
    struct fw_acpi_cfg cfg = base_cfg;

    change(&cfg);
    assert_int_equal(fw_acpi_build(&cfg, buf, sizeof(buf)), -EINVAL);
}

static void no_cpus(struct fw_acpi_cfg *c) { c->nr_cpus = 0; }
static void too_many_cpus(struct fw_acpi_cfg *c) { c->nr_cpus = FW_ACPI_MAX_CPUS + 1; }
static void misaligned(struct fw_acpi_cfg *c) { c->gpa = GPA + 8; }
static void ioapic_id_clash(struct fw_acpi_cfg *c) { c->ioapic_id = 3; }
static void sci_timer(struct fw_acpi_cfg *c) { c->sci_irq = 0; }
static void sci_cascade(struct fw_acpi_cfg *c) { c->sci_irq = 2; }
static void sci_not_isa(struct fw_acpi_cfg *c) { c->sci_irq = 16; }
static void lapic_high(struct fw_acpi_cfg *c) { c->lapic_addr = 0x100000000ull; }
static void pm_at_top(struct fw_acpi_cfg *c) { c->pm_base = 0xfff8; }

static void test_einval(void **state)
{
    expect_einval(no_cpus);
    expect_einval(too_many_cpus);
    expect_einval(misaligned);
    expect_einval(ioapic_id_clash);
    expect_einval(sci_timer);
    expect_einval(sci_cascade);
    expect_einval(sci_not_isa);
    expect_einval(lapic_high);
    expect_einval(pm_at_top);
}

/* Above 4 GiB the 32-bit FACS and DSDT pointers are 0 and only the X_ ones are used. */
static void test_tables_above_4g(void **state)
{
    struct fw_acpi_cfg cfg = base_cfg;
    const uint8_t *f;
    long used;

    cfg.gpa = 0x123450000ull;
    used = build(&cfg);
    f = find_table(&cfg, used, "FACP");
    assert_int_equal(rd32(f + 36), 0);
    assert_int_equal(rd32(f + 40), 0);
    table_at(cfg.gpa, used, rd64(f + 132), "FACS");
    table_at(cfg.gpa, used, rd64(f + 140), "DSDT");
}

/* The FACS must be 64-byte aligned in the guest whatever 16-byte aligned gpa is chosen. */
static void test_facs_alignment(void **state)
{
    struct fw_acpi_cfg cfg = base_cfg;

    for (uint64_t off = 0; off < 64; off += 16) {
        long used;
        const uint8_t *f;

        cfg.gpa = GPA + off;
        used = build(&cfg);
        f = find_table(&cfg, used, "FACP");
        assert_int_equal(rd64(f + 132) % 64, 0);
        table_at(cfg.gpa, used, rd64(f + 132), "FACS");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsdp),
        cmocka_unit_test(test_xsdt_entries),
        cmocka_unit_test(test_fadt_pointers),
        cmocka_unit_test(test_fadt_pm),
        cmocka_unit_test(test_fadt_flags),
        cmocka_unit_test(test_madt_sizes),
        cmocka_unit_test(test_hpet),
        cmocka_unit_test(test_dsdt_one_cpu),
        cmocka_unit_test(test_dsdt_many_cpus),
        cmocka_unit_test(test_dsdt_pvpanic),
        cmocka_unit_test(test_hypervisor_reader_agrees),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_tables_above_4g),
        cmocka_unit_test(test_facs_alignment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
