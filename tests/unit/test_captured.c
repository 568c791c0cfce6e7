/*
 * The multiboot2 parser (hv/boot/mb2.c) and the ACPI reader (hv/boot/acpi.c) on boot information
 * captured from real machines with the `bootdump` option: QEMU with SeaBIOS and with OVMF, and
 * Bochs with its BIOS. The expected values are the facts of those configurations, not whatever the
 * parsers happened to print.
 *
 * A capture is text, one line per (at most) 16 bytes: `bootdump <kind> <hex address> <hex bytes>`,
 * where kind is mbi (the multiboot2 structure), rsdp, or acpi (the root table, then each table it
 * lists). Lines that continue one another are joined into chunks of a sparse physical memory.
 * The data directory is tests/unit/data, or $KEEL_TEST_DATA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/boot/mb2.c"
#include "../../hv/boot/acpi.c"

#define MAX_CHUNKS 32
#define MAX_TABLES 32

struct chunk {
    char kind[16];
    uint64_t pa;
    uint8_t *data;
    size_t len, cap;
};

struct capture {
    const char *file;
    struct chunk chunks[MAX_CHUNKS];
    unsigned int nr_chunks;
    void *last_map;                 /* acpi_parse may only use the latest mapping */
    struct boot_info bi;
};

static struct capture seabios = { .file = "qemu-seabios-4cpu.dump" };
static struct capture ovmf = { .file = "qemu-ovmf-4cpu.dump" };
static struct capture bochs = { .file = "bochs-2cpu.dump" };

/* --- loading a capture ------------------------------------------------------------------------ */

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes up to max bytes of hex; returns the count, or -1 if hex is malformed. */
static int hex_decode(const char *hex, uint8_t *out, size_t max)
{
    size_t n = strlen(hex), i;

    if (n % 2 || n / 2 > max)
        return -1;
    for (i = 0; i < n / 2; i++) {
        int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(n / 2);
}

static void chunk_append(struct chunk *c, const uint8_t *bytes, size_t n)
{
    if (c->len + n > c->cap) {
        c->cap = (c->len + n) * 2;
        c->data = realloc(c->data, c->cap);
        assert_non_null(c->data);
    }
    memcpy(c->data + c->len, bytes, n);
    c->len += n;
}

static void capture_add(struct capture *cap, const char kind[16], uint64_t pa,
                        const uint8_t *bytes, size_t n)
{
    struct chunk *last = cap->nr_chunks ? &cap->chunks[cap->nr_chunks - 1] : NULL;

    if (!last || strcmp(last->kind, kind) || last->pa + last->len != pa) {
        assert_true(cap->nr_chunks < MAX_CHUNKS);
        last = &cap->chunks[cap->nr_chunks++];
        memcpy(last->kind, kind, sizeof(last->kind));
        last->pa = pa;
    }
    chunk_append(last, bytes, n);
}

static void capture_load(struct capture *cap)
{
    const char *dir = getenv("KEEL_TEST_DATA");
    char path[512], line[256], kind[16], hex[128];
    unsigned long long pa;
    uint8_t bytes[16];
    unsigned int lineno = 0, i;
    FILE *f;
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "tests/unit/data", cap->file);
    f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s (run from the repository root or set KEEL_TEST_DATA)", path);
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        memset(kind, 0, sizeof(kind));
        if (sscanf(line, "bootdump %15s %llx %127s", kind, &pa, hex) != 3 ||
            (strcmp(kind, "mbi") && strcmp(kind, "rsdp") && strcmp(kind, "acpi")) ||
            (n = hex_decode(hex, bytes, sizeof(bytes))) <= 0) {
            fclose(f);
            fail_msg("%s:%u: malformed line", path, lineno);
        }
        capture_add(cap, kind, pa, bytes, (size_t)n);
    }
    fclose(f);
    assert_true(cap->nr_chunks > 0);
    /* Exactly-sized buffers, so a read past the end of a chunk is caught. */
    for (i = 0; i < cap->nr_chunks; i++) {
        cap->chunks[i].data = realloc(cap->chunks[i].data, cap->chunks[i].len);
        cap->chunks[i].cap = cap->chunks[i].len;
        assert_non_null(cap->chunks[i].data);
    }
}

static const struct chunk *capture_first(const struct capture *cap, const char *kind)
{
    for (unsigned int i = 0; i < cap->nr_chunks; i++)
        if (!strcmp(cap->chunks[i].kind, kind))
            return &cap->chunks[i];
    fail_msg("%s has no %s", cap->file, kind);
    return NULL;
}

/* The chunk holding all of [pa, pa + len), or NULL. */
static const struct chunk *capture_find(const struct capture *cap, uint64_t pa, size_t len)
{
    for (unsigned int i = 0; i < cap->nr_chunks; i++) {
        const struct chunk *c = &cap->chunks[i];

        if (pa >= c->pa && pa - c->pa <= c->len && len <= c->len - (pa - c->pa))
            return c;
    }
    return NULL;
}

/* Hands out a fresh copy of exactly the bytes asked for and frees the previous one. */
static const void *capture_map(uint64_t pa, size_t len, void *ctx)
{
    struct capture *cap = ctx;
    const struct chunk *c = capture_find(cap, pa, len);

    free(cap->last_map);
    cap->last_map = NULL;
    if (!c)
        return NULL;
    cap->last_map = malloc(len ? len : 1);
    assert_non_null(cap->last_map);
    memcpy(cap->last_map, c->data + (pa - c->pa), len);
    return cap->last_map;
}

static int capture_setup(void **state)
{
    struct capture *cap = *state;
    const struct chunk *mbi;

    capture_load(cap);
    mbi = capture_first(cap, "mbi");
    assert_true(mbi->len >= 8);
    /* The structure was captured whole: its length is its total_size. */
    assert_int_equal(mb2_u32(mbi->data), mbi->len);
    assert_int_equal(mb2_parse(mbi->data, mbi->pa, &cap->bi), 0);
    return 0;
}

static int capture_teardown(void **state)
{
    struct capture *cap = *state;

    for (unsigned int i = 0; i < cap->nr_chunks; i++)
        free(cap->chunks[i].data);
    free(cap->last_map);
    *cap = (struct capture){ .file = cap->file };
    return 0;
}

static void parse_acpi(struct capture *cap, struct acpi_info *info)
{
    assert_int_not_equal(cap->bi.rsdp, 0);
    assert_int_equal(acpi_parse(cap->bi.rsdp, capture_map, cap, info), 0);
}

/* --- checks shared by the machines ------------------------------------------------------------ */

static uint64_t ram_total(const struct boot_info *bi)
{
    uint64_t sum = 0;

    for (unsigned int i = 0; i < bi->nr_mem; i++)
        if (bi->mem[i].type == MEM_RAM)
            sum += bi->mem[i].len;
    return sum;
}

static void assert_near(uint64_t v, uint64_t want, uint64_t percent)
{
    uint64_t d = v > want ? v - want : want - v;

    if (d * 100 > want * percent)
        fail_msg("%llu is not within %llu%% of %llu", (unsigned long long)v,
                 (unsigned long long)percent, (unsigned long long)want);
}

/* The region [base, last] exists, exactly, with this type. */
static void assert_region(const struct boot_info *bi, uint64_t base, uint64_t last, uint32_t type)
{
    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        const struct mem_region *r = &bi->mem[i];

        if (r->base != base)
            continue;
        assert_int_equal(r->base + r->len - 1, last);
        assert_int_equal(r->type, type);
        return;
    }
    fail_msg("no region at %#llx", (unsigned long long)base);
}

static void assert_map_equal(const struct boot_info *bi, const struct mem_region *want,
                             unsigned int n)
{
    assert_int_equal(bi->nr_mem, n);
    for (unsigned int i = 0; i < n; i++) {
        assert_int_equal(bi->mem[i].base, want[i].base);
        assert_int_equal(bi->mem[i].len, want[i].len);
        assert_int_equal(bi->mem[i].type, want[i].type);
    }
}

static void assert_cpus(const struct acpi_info *info, unsigned int n)
{
    assert_int_equal(info->nr_cpus, n);
    for (unsigned int i = 0; i < n; i++) {
        assert_int_equal(info->cpus[i].apic_id, i);
        assert_true(info->cpus[i].enabled);
    }
}

static void assert_iso(const struct acpi_info *info, uint8_t irq, uint32_t gsi)
{
    for (unsigned int i = 0; i < info->nr_isos; i++)
        if (info->isos[i].bus == 0 && info->isos[i].source == irq) {
            assert_int_equal(info->isos[i].gsi, gsi);
            return;
        }
    fail_msg("no interrupt source override for IRQ %u", irq);
}

/* The RSDP the loader copied into the structure is the one that was dumped. */
static void assert_rsdp_dumped(const struct capture *cap)
{
    const struct chunk *r = capture_first(cap, "rsdp");

    assert_int_equal(cap->bi.rsdp, r->pa);
    assert_int_equal(r->len, cap->bi.rsdp_revision >= 2 ? mb2_u32(r->data + 20) : 20);
}

/* --- QEMU, SeaBIOS ---------------------------------------------------------------------------- */

static void test_seabios_mbi(void **state)
{
    struct capture *cap = *state;
    const struct boot_info *bi = &cap->bi;

    assert_string_equal(bi->cmdline, "console=com1,115200 test_exit=qemu bootdump");
    assert_memory_equal(bi->loader_name, "GRUB 2.06", 9);
    assert_int_equal(bi->efi_system_table, 0);
    assert_false(bi->efi_mmap_present);
    assert_int_equal(bi->rsdp_revision, 0);
    assert_rsdp_dumped(cap);
    assert_int_equal(bi->info_start, capture_first(cap, "mbi")->pa);
}

static void test_seabios_memmap(void **state)
{
    static const struct mem_region want[] = {
        { 0x0, 0x9fc00, MEM_RAM },
        { 0x9fc00, 0x400, MEM_RESERVED },
        { 0xf0000, 0x10000, MEM_RESERVED },
        { 0x100000, 0x3fee0000, MEM_RAM },
        { 0x3ffe0000, 0x20000, MEM_RESERVED },
        { 0xfffc0000, 0x40000, MEM_RESERVED },
        { 0xfd00000000, 0x300000000, MEM_RESERVED },
    };
    struct capture *cap = *state;

    memmap_normalise(&cap->bi);
    assert_map_equal(&cap->bi, want, ARRAY_SIZE(want));
    assert_near(ram_total(&cap->bi), GiB(1), 1);
}

static void test_seabios_acpi(void **state)
{
    struct capture *cap = *state;
    struct acpi_info info;

    parse_acpi(cap, &info);
    assert_int_equal(info.revision, 0);
    assert_string_equal(info.oem_id, "BOCHS ");
    assert_true(info.have_madt);
    assert_true(info.have_fadt);
    assert_cpus(&info, 4);
    assert_int_equal(info.nr_ioapics, 1);
    assert_int_equal(info.ioapics[0].id, 0);
    assert_int_equal(info.ioapics[0].addr, 0xfec00000);
    assert_int_equal(info.ioapics[0].gsi_base, 0);
    assert_iso(&info, 0, 2);
    assert_int_equal(info.lapic_addr, 0xfee00000);
    assert_true(info.pic_present);
    assert_int_equal(info.pm_timer_port, 0x608);
    assert_int_equal(info.hpet_addr, 0xfed00000);
}

/* --- QEMU, OVMF ------------------------------------------------------------------------------- */

static void test_ovmf_mbi(void **state)
{
    struct capture *cap = *state;
    const struct boot_info *bi = &cap->bi;

    assert_string_equal(bi->cmdline, "console=com1,115200 test_exit=qemu bootdump");
    assert_memory_equal(bi->loader_name, "GRUB 2.06", 9);
    assert_int_equal(bi->efi_system_table, 0x3f9ec018);
    assert_true(bi->efi_mmap_present);
    assert_false(bi->efi_boot_services_left);
    /* GRUB passes both RSDP copies; the ACPI 2.0 one is kept. */
    assert_int_equal(bi->rsdp_revision, 2);
    assert_rsdp_dumped(cap);
}

static void test_ovmf_memmap(void **state)
{
    struct capture *cap = *state;

    memmap_normalise(&cap->bi);
    assert_region(&cap->bi, 0x0, 0x9ffff, MEM_RAM);
    assert_region(&cap->bi, 0x100000, 0x7fffff, MEM_RAM);
    assert_region(&cap->bi, 0x800000, 0x807fff, MEM_NVS);
    assert_near(ram_total(&cap->bi), GiB(1), 1);
    assert_int_equal(ram_total(&cap->bi), KiB(1042512));
}

static void test_ovmf_acpi(void **state)
{
    struct capture *cap = *state;
    struct acpi_info info;

    parse_acpi(cap, &info);
    assert_int_equal(info.revision, 2);
    assert_string_equal(info.oem_id, "BOCHS ");
    assert_cpus(&info, 4);
    assert_int_equal(info.nr_ioapics, 1);
    assert_int_equal(info.ioapics[0].addr, 0xfec00000);
    assert_int_equal(info.ioapics[0].gsi_base, 0);
    assert_iso(&info, 0, 2);
    assert_int_equal(info.pm_timer_port, 0xb008);
    assert_int_equal(info.hpet_addr, 0xfed00000);
}

/* --- Bochs ------------------------------------------------------------------------------------ */

static void test_bochs_mbi(void **state)
{
    struct capture *cap = *state;
    const struct boot_info *bi = &cap->bi;

    assert_string_equal(bi->cmdline, "console=com1,115200 test_exit=bochs bootdump");
    assert_memory_equal(bi->loader_name, "GRUB 2.06", 9);
    assert_int_equal(bi->efi_system_table, 0);
    assert_int_equal(bi->rsdp_revision, 0);
    assert_rsdp_dumped(cap);
}

static void test_bochs_memmap(void **state)
{
    struct capture *cap = *state;

    memmap_normalise(&cap->bi);
    assert_region(&cap->bi, 0x1fff0000, 0x1fffffff, MEM_ACPI);
    assert_near(ram_total(&cap->bi), MiB(512), 1);
    assert_int_equal(ram_total(&cap->bi), KiB(523836));
}

static void test_bochs_acpi(void **state)
{
    struct capture *cap = *state;
    struct acpi_info info;

    parse_acpi(cap, &info);
    assert_int_equal(info.revision, 0);
    assert_cpus(&info, 2);
    assert_int_equal(info.nr_ioapics, 1);
    assert_int_equal(info.ioapics[0].id, 2);
    assert_int_equal(info.ioapics[0].addr, 0xfec00000);
    assert_int_equal(info.ioapics[0].gsi_base, 0);
    assert_int_equal(info.pm_timer_port, 0xb008);
    assert_int_equal(info.hpet_addr, 0xfed00000);
}

/* --- every machine ---------------------------------------------------------------------------- */

static void test_memmap_well_formed(void **state)
{
    struct capture *cap = *state;
    const struct boot_info *bi = &cap->bi;

    memmap_normalise(&cap->bi);
    assert_false(bi->mem_truncated);
    assert_true(bi->nr_mem > 0);
    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        assert_true(bi->mem[i].len > 0);
        if (!i)
            continue;
        /* Sorted, disjoint, and no two touching regions of one type. */
        assert_true(bi->mem[i - 1].base + bi->mem[i - 1].len <= bi->mem[i].base);
        if (bi->mem[i - 1].base + bi->mem[i - 1].len == bi->mem[i].base)
            assert_int_not_equal(bi->mem[i - 1].type, bi->mem[i].type);
    }
}

/*
 * Every prefix of the structure, with total_size rewritten to the prefix's length, in a buffer of
 * exactly that size: consistent but cut, it must be refused without a read past the end.
 */
static void test_mbi_truncated(void **state)
{
    struct capture *cap = *state;
    const struct chunk *mbi = capture_first(cap, "mbi");
    struct boot_info *bi = malloc(sizeof(*bi));
    size_t len;

    assert_non_null(bi);
    /* Below 4 bytes there is no total_size to read; the caller always maps at least that. */
    for (len = 4; len <= mbi->len; len++) {
        uint8_t *buf = malloc(len);
        uint32_t total = (uint32_t)len;

        assert_non_null(buf);
        memcpy(buf, mbi->data, len);
        memcpy(buf, &total, sizeof(total));
        if (len < mbi->len)
            assert_int_equal(mb2_parse(buf, mbi->pa, bi), -EINVAL);
        else
            assert_int_equal(mb2_parse(buf, mbi->pa, bi), 0);
        free(buf);
    }
    free(bi);
}

struct table_ref {
    struct chunk *chunk;
    size_t off;
    uint32_t len;
    char sig[5];
};

/* Walks the acpi chunks table by table. */
static unsigned int captured_tables(struct capture *cap, struct table_ref *t)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < cap->nr_chunks; i++) {
        struct chunk *c = &cap->chunks[i];
        size_t off = 0;

        if (strcmp(c->kind, "acpi"))
            continue;
        while (off < c->len) {
            assert_true(n < MAX_TABLES);
            assert_true(c->len - off >= ACPI_HDR_LEN);
            t[n] = (struct table_ref){ .chunk = c, .off = off, .len = acpi_u32(c->data + off + 4) };
            memcpy(t[n].sig, c->data + off, 4);
            assert_true(t[n].len >= ACPI_HDR_LEN && t[n].len <= c->len - off);
            off += t[n].len;
            n++;
        }
    }
    return n;
}

/* What parsing gives when the table with signature sig is skipped. */
static struct acpi_info without_table(const struct acpi_info *full, const char *sig)
{
    struct acpi_info w = *full;

    if (!strcmp(sig, "APIC")) {
        w.have_madt = false;
        w.lapic_addr = 0;
        w.pic_present = false;
        w.nr_cpus = w.nr_ioapics = w.nr_isos = 0;
    } else if (!strcmp(sig, "FACP")) {
        w.have_fadt = false;
        w.pm_timer_port = 0;
        w.pm_timer_32bit = false;
        w.reset_reg_valid = false;
        w.reset_port = 0;
        w.reset_value = 0;
    } else if (!strcmp(sig, "HPET")) {
        w.hpet_addr = 0;
    } else if (!strcmp(sig, "MCFG")) {
        w.mcfg_base = 0;
        w.mcfg_bus_start = w.mcfg_bus_end = 0;
    }
    return w;
}

static void assert_info_equal(const struct acpi_info *a, const struct acpi_info *b)
{
    unsigned int i;

    assert_int_equal(a->rsdp_addr, b->rsdp_addr);
    assert_int_equal(a->revision, b->revision);
    assert_string_equal(a->oem_id, b->oem_id);
    assert_int_equal(a->lapic_addr, b->lapic_addr);
    assert_int_equal(a->pic_present, b->pic_present);
    assert_int_equal(a->nr_cpus, b->nr_cpus);
    for (i = 0; i < a->nr_cpus; i++) {
        assert_int_equal(a->cpus[i].apic_id, b->cpus[i].apic_id);
        assert_int_equal(a->cpus[i].acpi_uid, b->cpus[i].acpi_uid);
        assert_int_equal(a->cpus[i].enabled, b->cpus[i].enabled);
    }
    assert_int_equal(a->nr_ioapics, b->nr_ioapics);
    for (i = 0; i < a->nr_ioapics; i++) {
        assert_int_equal(a->ioapics[i].id, b->ioapics[i].id);
        assert_int_equal(a->ioapics[i].addr, b->ioapics[i].addr);
        assert_int_equal(a->ioapics[i].gsi_base, b->ioapics[i].gsi_base);
    }
    assert_int_equal(a->nr_isos, b->nr_isos);
    for (i = 0; i < a->nr_isos; i++) {
        assert_int_equal(a->isos[i].bus, b->isos[i].bus);
        assert_int_equal(a->isos[i].source, b->isos[i].source);
        assert_int_equal(a->isos[i].gsi, b->isos[i].gsi);
        assert_int_equal(a->isos[i].flags, b->isos[i].flags);
    }
    assert_int_equal(a->have_madt, b->have_madt);
    assert_int_equal(a->have_fadt, b->have_fadt);
    assert_int_equal(a->pm_timer_port, b->pm_timer_port);
    assert_int_equal(a->pm_timer_32bit, b->pm_timer_32bit);
    assert_int_equal(a->hpet_addr, b->hpet_addr);
    assert_int_equal(a->mcfg_base, b->mcfg_base);
    assert_int_equal(a->mcfg_bus_start, b->mcfg_bus_start);
    assert_int_equal(a->mcfg_bus_end, b->mcfg_bus_end);
    assert_int_equal(a->reset_reg_valid, b->reset_reg_valid);
    assert_int_equal(a->reset_port, b->reset_port);
    assert_int_equal(a->reset_value, b->reset_value);
}

/*
 * Each byte of each table in turn is changed in a copy of the capture. The checksum no longer
 * holds, so exactly that table must be skipped; without the root table nothing can be read. The
 * length field is left alone: a length one shorter that drops a trailing zero byte keeps the
 * checksum right, which describes a different table rather than a corrupt one.
 */
static void test_acpi_corrupt_each_table(void **state)
{
    struct capture *cap = *state;
    struct table_ref tables[MAX_TABLES];
    struct acpi_info *full = malloc(sizeof(*full)), *got = malloc(sizeof(*got)), want;
    unsigned int n = captured_tables(cap, tables), i;
    size_t b;

    assert_non_null(full);
    assert_non_null(got);
    assert_true(n >= 2);
    assert_true(!strcmp(tables[0].sig, "RSDT") || !strcmp(tables[0].sig, "XSDT"));
    parse_acpi(cap, full);
    for (i = 0; i < n; i++) {
        struct chunk *c = tables[i].chunk;
        uint8_t *orig = c->data;

        want = without_table(full, tables[i].sig);
        c->data = malloc(c->len);
        assert_non_null(c->data);
        memcpy(c->data, orig, c->len);
        for (b = 0; b < tables[i].len; b++) {
            uint8_t *p = c->data + tables[i].off + b;

            if (b >= 4 && b < 8)
                continue;
            *p ^= 0x5a;
            if (i == 0) {
                assert_int_equal(acpi_parse(cap->bi.rsdp, capture_map, cap, got), -EINVAL);
            } else {
                assert_int_equal(acpi_parse(cap->bi.rsdp, capture_map, cap, got), 0);
                assert_info_equal(got, &want);
            }
            *p ^= 0x5a;
        }
        free(c->data);
        c->data = orig;
    }
    free(full);
    free(got);
}

#define CAPTURE_TEST(fn, cap) \
    { #fn, fn, capture_setup, capture_teardown, &cap }
/* For a test run on each machine, named after both. */
#define CAPTURE_TEST_ON(fn, cap) \
    { #fn "(" #cap ")", fn, capture_setup, capture_teardown, &cap }

int main(void)
{
    const struct CMUnitTest tests[] = {
        CAPTURE_TEST(test_seabios_mbi, seabios),
        CAPTURE_TEST(test_seabios_memmap, seabios),
        CAPTURE_TEST(test_seabios_acpi, seabios),
        CAPTURE_TEST(test_ovmf_mbi, ovmf),
        CAPTURE_TEST(test_ovmf_memmap, ovmf),
        CAPTURE_TEST(test_ovmf_acpi, ovmf),
        CAPTURE_TEST(test_bochs_mbi, bochs),
        CAPTURE_TEST(test_bochs_memmap, bochs),
        CAPTURE_TEST(test_bochs_acpi, bochs),
        CAPTURE_TEST_ON(test_memmap_well_formed, seabios),
        CAPTURE_TEST_ON(test_memmap_well_formed, ovmf),
        CAPTURE_TEST_ON(test_memmap_well_formed, bochs),
        CAPTURE_TEST_ON(test_mbi_truncated, seabios),
        CAPTURE_TEST_ON(test_mbi_truncated, ovmf),
        CAPTURE_TEST_ON(test_mbi_truncated, bochs),
        CAPTURE_TEST_ON(test_acpi_corrupt_each_table, seabios),
        CAPTURE_TEST_ON(test_acpi_corrupt_each_table, ovmf),
        CAPTURE_TEST_ON(test_acpi_corrupt_each_table, bochs),
    };

    return cmocka_run_group_tests_name("captured", tests, NULL, NULL);
}
