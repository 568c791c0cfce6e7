/*
 * Unit tests for the multiboot2 parser and memory-map normalisation (hv/boot/mb2.c). Every
 * structure handed to mb2_parse sits in a heap buffer of exactly total_size bytes, so a read past
 * the end of a malformed structure is caught by AddressSanitizer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/boot/mb2.c"

#define INFO_PA 0x10000ull

/* --- building structures ------------------------------------------------------------------- */

struct mb2b {
    uint8_t buf[16384];
    size_t len;
};

struct e820 {
    uint64_t base, len;
    uint32_t type;
};

/* The map QEMU's BIOS reports for a 1 GiB guest. */
static const struct e820 qemu_map[] = {
    { 0x0, 0x9fc00, MEM_RAM },
    { 0x9fc00, 0x400, MEM_RESERVED },
    { 0xf0000, 0x10000, MEM_RESERVED },
    { 0x100000, 0x3fee0000, MEM_RAM },
    { 0x3ffe0000, 0x20000, MEM_RESERVED },
    { 0xfffc0000, 0x40000, MEM_RESERVED },
};

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static struct mb2b *b_new(void)
{
    struct mb2b *b = calloc(1, sizeof(*b));

    assert_non_null(b);
    b->len = 8;
    return b;
}

/* Appends a tag with the given payload; returns its offset. */
static size_t b_tag(struct mb2b *b, uint32_t type, const void *payload, size_t n)
{
    size_t off = b->len;

    assert_true(off + 8 + n + 8 <= sizeof(b->buf));
    put32(b->buf + off, type);
    put32(b->buf + off + 4, (uint32_t)(8 + n));
    if (n)
        memcpy(b->buf + off + 8, payload, n);
    b->len = off + ((8 + n + 7) & ~(size_t)7);
    return off;
}

static size_t b_str(struct mb2b *b, uint32_t type, const char *s)
{
    return b_tag(b, type, s, strlen(s) + 1);
}

static size_t b_module(struct mb2b *b, uint32_t start, uint32_t end, const char *s)
{
    uint8_t p[256];
    size_t n = strlen(s) + 1;

    put32(p, start);
    put32(p + 4, end);
    memcpy(p + 8, s, n);
    return b_tag(b, MB2_TAG_MODULE, p, 8 + n);
}

static size_t b_mmap(struct mb2b *b, uint32_t entry_size, const struct e820 *r, size_t n)
{
    static uint8_t p[8 + 64 * 300];
    size_t i;

    assert_true(8 + n * entry_size <= sizeof(p));
    memset(p, 0xa5, sizeof(p));    /* fields past the known ones hold junk */
    put32(p, entry_size);
    put32(p + 4, 0);
    for (i = 0; i < n; i++) {
        uint8_t *e = p + 8 + i * entry_size;
        put64(e, r[i].base);
        put64(e + 8, r[i].len);
        put32(e + 16, r[i].type);
        put32(e + 20, 0);
    }
    return b_tag(b, MB2_TAG_MMAP, p, 8 + n * entry_size);
}

/* An RSDP as a loader copies it into tag 14 or 15; the contents are not checked by mb2_parse. */
static size_t b_rsdp(struct mb2b *b, uint32_t type)
{
    uint8_t p[36] = "RSD PTR ";

    memcpy(p + 9, "BOCHS ", 6);
    p[15] = type == MB2_TAG_ACPI_NEW ? 2 : 0;
    return b_tag(b, type, p, type == MB2_TAG_ACPI_NEW ? 36 : 20);
}

static size_t b_u32_tag(struct mb2b *b, uint32_t type, uint32_t v)
{
    return b_tag(b, type, &v, 4);
}

static size_t b_u64_tag(struct mb2b *b, uint32_t type, uint64_t v)
{
    return b_tag(b, type, &v, 8);
}

static void b_end(struct mb2b *b)
{
    b_tag(b, MB2_TAG_END, NULL, 0);
}

/* The structure in a heap buffer of exactly total bytes, with total_size set to total. */
static uint8_t *b_finish_total(const struct mb2b *b, uint32_t total)
{
    uint8_t *p = malloc(total ? total : 1);

    assert_non_null(p);
    assert_true(total <= sizeof(b->buf));
    memcpy(p, b->buf, total);
    if (total >= 4)
        put32(p, total);
    return p;
}

static uint8_t *b_finish(const struct mb2b *b)
{
    return b_finish_total(b, (uint32_t)b->len);
}

static struct boot_info *bi_new(void)
{
    struct boot_info *bi = malloc(sizeof(*bi));

    assert_non_null(bi);
    memset(bi, 0x5a, sizeof(*bi));  /* mb2_parse must not rely on a zeroed struct */
    return bi;
}

static int parse_and_free(struct mb2b *b, uint32_t total)
{
    struct boot_info *bi = bi_new();
    uint8_t *p = b_finish_total(b, total);
    int ret = mb2_parse(p, INFO_PA, bi);

    free(p);
    free(bi);
    free(b);
    return ret;
}

static struct mb2b *bios_style(size_t *mod_off, size_t *rsdp_off)
{
    struct mb2b *b = b_new();
    size_t m, r;

    b_str(b, MB2_TAG_CMDLINE, "console=com1,115200 loglvl=info");
    b_str(b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u1");
    m = b_module(b, 0x200000, 0x9a3000, "/boot/vmlinuz console=hvc0");
    b_u32_tag(b, 10, 0);            /* APM, ignored */
    b_mmap(b, 24, qemu_map, ARRAY_SIZE(qemu_map));
    r = b_rsdp(b, MB2_TAG_ACPI_OLD);
    b_end(b);
    if (mod_off)
        *mod_off = m;
    if (rsdp_off)
        *rsdp_off = r;
    return b;
}

static void expect_region(const struct mem_region *r, uint64_t base, uint64_t len, uint32_t type)
{
    assert_int_equal(r->base, base);
    assert_int_equal(r->len, len);
    assert_int_equal(r->type, type);
}

/* --- well-formed structures ---------------------------------------------------------------- */

static void test_bios_style(void **state)
{
    size_t mod_off, rsdp_off, i;
    struct mb2b *b = bios_style(&mod_off, &rsdp_off);
    uint8_t *p = b_finish(b);
    struct boot_info *bi = bi_new();

    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_string_equal(bi->cmdline, "console=com1,115200 loglvl=info");
    assert_string_equal(bi->loader_name, "GRUB 2.06-13+deb12u1");
    assert_int_equal(bi->nr_mem, ARRAY_SIZE(qemu_map));
    assert_false(bi->mem_truncated);
    for (i = 0; i < ARRAY_SIZE(qemu_map); i++)
        expect_region(&bi->mem[i], qemu_map[i].base, qemu_map[i].len, qemu_map[i].type);
    assert_int_equal(bi->nr_mods, 1);
    assert_int_equal(bi->mods[0].start, 0x200000);
    assert_int_equal(bi->mods[0].end, 0x9a3000);
    assert_string_equal(bi->mods[0].string, "/boot/vmlinuz console=hvc0");
    assert_ptr_equal(bi->mods[0].string, (const char *)p + mod_off + 16);
    assert_int_equal(bi->rsdp, INFO_PA + rsdp_off + 8);
    assert_int_equal(bi->rsdp_revision, 0);
    assert_int_equal(bi->efi_system_table, 0);
    assert_false(bi->efi_mmap_present);
    assert_false(bi->efi_boot_services_left);
    assert_int_equal(bi->load_base_addr, 0);
    assert_int_equal(bi->info_start, INFO_PA);
    assert_int_equal(bi->info_end, INFO_PA + b->len);
    free(p);
    free(bi);
    free(b);
}

static void test_efi_style(void **state)
{
    struct mb2b *b = b_new();
    uint8_t efi_mmap[16 + 48] = { 48, 0, 0, 0, 1 };
    uint8_t fb[24] = { 0 };
    size_t rsdp_off;
    uint8_t *p;
    struct boot_info *bi = bi_new();

    b_str(b, MB2_TAG_CMDLINE, "");
    b_u64_tag(b, MB2_TAG_EFI64, 0x3f5e9018ull);
    b_tag(b, 8, fb, sizeof(fb));    /* framebuffer, ignored */
    b_tag(b, MB2_TAG_EFI_MMAP, efi_mmap, sizeof(efi_mmap) - 8);
    rsdp_off = b_rsdp(b, MB2_TAG_ACPI_NEW);
    b_rsdp(b, MB2_TAG_ACPI_OLD);    /* after the new one: must not replace it */
    b_tag(b, MB2_TAG_EFI_BS, NULL, 0);
    b_u32_tag(b, MB2_TAG_LOAD_BASE, 0x3e000000);
    b_mmap(b, 24, qemu_map, 2);
    b_end(b);
    p = b_finish(b);

    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_string_equal(bi->cmdline, "");
    assert_string_equal(bi->loader_name, "");
    assert_int_equal(bi->efi_system_table, 0x3f5e9018ull);
    assert_true(bi->efi_mmap_present);
    assert_true(bi->efi_boot_services_left);
    assert_int_equal(bi->rsdp, INFO_PA + rsdp_off + 8);
    assert_int_equal(bi->rsdp_revision, 2);
    assert_int_equal(bi->load_base_addr, 0x3e000000);
    assert_int_equal(bi->nr_mem, 2);
    assert_int_equal(bi->nr_mods, 0);
    free(p);
    free(bi);
    free(b);
}

static void test_old_rsdp_replaced_by_new(void **state)
{
    struct mb2b *b = b_new();
    size_t new_off;
    uint8_t *p;
    struct boot_info *bi = bi_new();

    b_rsdp(b, MB2_TAG_ACPI_OLD);
    new_off = b_rsdp(b, MB2_TAG_ACPI_NEW);
    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_int_equal(bi->rsdp, INFO_PA + new_off + 8);
    assert_int_equal(bi->rsdp_revision, 2);
    free(p);
    free(bi);
    free(b);
}

static void test_minimal(void **state)
{
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();

    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_string_equal(bi->cmdline, "");
    assert_string_equal(bi->loader_name, "");
    assert_int_equal(bi->nr_mem, 0);
    assert_int_equal(bi->nr_mods, 0);
    assert_int_equal(bi->rsdp, 0);
    assert_int_equal(bi->info_end, INFO_PA + 16);
    free(p);
    free(bi);
    free(b);
}

static void test_trailing_bytes_after_end(void **state)
{
    struct mb2b *b = b_new();

    b_end(b);
    b->len += 16;                   /* junk after the end tag is never looked at */
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), 0);
}

static void test_unknown_tags_ignored(void **state)
{
    struct mb2b *b = b_new();
    uint8_t junk[40];

    memset(junk, 0xff, sizeof(junk));
    b_tag(b, 0xffffffffu, junk, sizeof(junk));
    b_tag(b, 9, junk, 3);           /* ELF sections, odd size so the next tag needs padding */
    b_tag(b, 22, NULL, 0);
    b_str(b, MB2_TAG_CMDLINE, "x");
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), 0);
}

static void test_mmap_large_entries(void **state)
{
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();
    size_t i;

    b_mmap(b, 40, qemu_map, ARRAY_SIZE(qemu_map));
    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_int_equal(bi->nr_mem, ARRAY_SIZE(qemu_map));
    for (i = 0; i < ARRAY_SIZE(qemu_map); i++)
        expect_region(&bi->mem[i], qemu_map[i].base, qemu_map[i].len, qemu_map[i].type);
    free(p);
    free(bi);
    free(b);
}

static void test_mmap_empty(void **state)
{
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();

    b_mmap(b, 24, NULL, 0);
    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_int_equal(bi->nr_mem, 0);
    free(p);
    free(bi);
    free(b);
}

static void test_mmap_truncated(void **state)
{
    static struct e820 r[BOOT_MAX_MEMMAP + 5];
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();
    size_t i;

    for (i = 0; i < ARRAY_SIZE(r); i++)
        r[i] = (struct e820){ i * 0x2000, 0x1000, MEM_RAM };
    b_mmap(b, 24, r, ARRAY_SIZE(r));
    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_int_equal(bi->nr_mem, BOOT_MAX_MEMMAP);
    assert_true(bi->mem_truncated);
    expect_region(&bi->mem[BOOT_MAX_MEMMAP - 1], (BOOT_MAX_MEMMAP - 1) * 0x2000ull, 0x1000,
                  MEM_RAM);
    free(p);
    free(bi);
    free(b);
}

static void test_mmap_wrapping_region_clamped(void **state)
{
    const struct e820 r[] = { { 0xffffffff00000000ull, 0x200000000ull, MEM_RESERVED } };
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();

    b_mmap(b, 24, r, 1);
    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_int_equal(bi->nr_mem, 1);
    assert_int_equal(bi->mem[0].base + bi->mem[0].len, UINT64_MAX);
    free(p);
    free(bi);
    free(b);
}

static void test_modules_over_limit(void **state)
{
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();
    char name[32];
    unsigned int i;

    for (i = 0; i < BOOT_MAX_MODULES + 3; i++) {
        snprintf(name, sizeof(name), "mod%u", i);
        b_module(b, 0x1000000 + i * 0x10000, 0x1000000 + i * 0x10000 + 0x100, name);
    }
    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_int_equal(bi->nr_mods, BOOT_MAX_MODULES);
    snprintf(name, sizeof(name), "mod%u", BOOT_MAX_MODULES - 1);
    assert_string_equal(bi->mods[BOOT_MAX_MODULES - 1].string, name);
    assert_int_equal(bi->mods[3].start, 0x1030000);
    assert_int_equal(bi->mods[3].end, 0x1030100);
    free(p);
    free(bi);
    free(b);
}

static void test_module_empty_string(void **state)
{
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();

    b_module(b, 0x100000, 0x100000, "");
    b_end(b);
    p = b_finish(b);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), 0);
    assert_int_equal(bi->nr_mods, 1);
    assert_string_equal(bi->mods[0].string, "");
    free(p);
    free(bi);
    free(b);
}

/* --- malformed structures ------------------------------------------------------------------ */

static void test_bad_total_size_tiny(void **state)
{
    uint32_t sizes[] = { 0, 4, 7 };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        struct boot_info *bi = bi_new();
        uint32_t n = sizes[i] < 4 ? 4 : sizes[i];
        uint8_t *p = calloc(1, n);

        put32(p, sizes[i]);
        assert_int_equal(mb2_parse(p, INFO_PA, bi), -EINVAL);
        free(p);
        free(bi);
    }
}

static void test_header_only(void **state)
{
    assert_int_equal(parse_and_free(b_new(), 8), -EINVAL);
}

static void test_total_cuts_end_tag(void **state)
{
    struct mb2b *b = bios_style(NULL, NULL);
    uint32_t full = (uint32_t)b->len;

    assert_int_equal(parse_and_free(b, full - 4), -EINVAL);
}

static void test_total_smaller_than_tag(void **state)
{
    struct mb2b *b = bios_style(NULL, NULL);
    uint32_t cut, full = (uint32_t)b->len;

    free(b);
    /* Cut the structure at every length: no prefix of it is complete. */
    for (cut = 4; cut < full; cut++)
        assert_int_equal(parse_and_free(bios_style(NULL, NULL), cut), -EINVAL);
}

static void test_tag_size_too_small(void **state)
{
    uint32_t size;

    for (size = 0; size < 8; size++) {
        struct mb2b *b = b_new();
        size_t off = b_str(b, MB2_TAG_CMDLINE, "abc");

        b_end(b);
        put32(b->buf + off + 4, size);
        assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
    }
}

static void test_end_tag_size_too_small(void **state)
{
    struct mb2b *b = b_new();

    b_end(b);
    put32(b->buf + 12, 4);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_tag_runs_past_end(void **state)
{
    struct mb2b *b = b_new();
    size_t off = b_str(b, MB2_TAG_CMDLINE, "abc");

    b_end(b);
    put32(b->buf + off + 4, (uint32_t)(b->len - off + 1));
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_tag_size_huge(void **state)
{
    struct mb2b *b = b_new();
    size_t off = b_str(b, MB2_TAG_CMDLINE, "abc");

    b_end(b);
    put32(b->buf + off + 4, 0xfffffff9u);   /* rounds up past 2^32 */
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_missing_end_tag(void **state)
{
    struct mb2b *b = b_new();

    b_str(b, MB2_TAG_CMDLINE, "abc");
    b_str(b, MB2_TAG_LOADER_NAME, "GRUB");
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_padding_runs_past_end(void **state)
{
    struct mb2b *b = b_new();

    /* The last tag fits but its padding does not, so there is no room for an end tag. */
    b_tag(b, 9, "abcd", 4);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len - 4), -EINVAL);
}

static void test_unterminated_cmdline(void **state)
{
    struct mb2b *b = b_new();

    b_tag(b, MB2_TAG_CMDLINE, "console=com1", 12);
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_unterminated_cmdline_at_end(void **state)
{
    struct mb2b *b = b_new();
    uint8_t *p;
    struct boot_info *bi = bi_new();

    /* The NUL would be the first byte after the structure: it must not be read. */
    b_tag(b, MB2_TAG_CMDLINE, "abcdefgh", 8);
    b_end(b);
    p = b_finish_total(b, 24);
    assert_int_equal(mb2_parse(p, INFO_PA, bi), -EINVAL);
    free(p);
    free(bi);
    free(b);
}

static void test_empty_cmdline_tag(void **state)
{
    struct mb2b *b = b_new();

    b_tag(b, MB2_TAG_CMDLINE, NULL, 0);    /* no room even for the NUL */
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_unterminated_loader_name(void **state)
{
    struct mb2b *b = b_new();

    b_tag(b, MB2_TAG_LOADER_NAME, "GRUB", 4);
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_unterminated_module_string(void **state)
{
    struct mb2b *b = b_new();
    uint8_t m[12] = { 0, 0, 0x10, 0, 0, 0, 0x20, 0, 'a', 'b', 'c', 'd' };

    b_tag(b, MB2_TAG_MODULE, m, sizeof(m));
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_module_too_short(void **state)
{
    struct mb2b *b = b_new();
    uint8_t m[8] = { 0, 0, 0x10, 0, 0, 0, 0x20, 0 };

    b_tag(b, MB2_TAG_MODULE, m, sizeof(m));   /* no string at all */
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_module_end_before_start(void **state)
{
    struct mb2b *b = b_new();

    b_module(b, 0x200000, 0x100000, "x");
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_mmap_entry_size_small(void **state)
{
    uint32_t sizes[] = { 0, 1, 8, 16, 20, 23 };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        struct mb2b *b = b_new();
        size_t off = b_mmap(b, 24, qemu_map, 2);

        b_end(b);
        put32(b->buf + off + 8, sizes[i]);
        assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
    }
}

static void test_mmap_partial_entry(void **state)
{
    struct mb2b *b = b_new();
    size_t off = b_mmap(b, 24, qemu_map, 3);

    b_end(b);
    put32(b->buf + off + 4, 16 + 24 * 2 + 12);  /* half of the third entry */
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_mmap_entry_size_mismatch(void **state)
{
    uint32_t sizes[] = { 32, 40, 0x80000000u, 0xffffffffu };
    size_t i;

    /* 48 bytes of entries are not a whole number of entries of any of these sizes. */
    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        struct mb2b *b = b_new();
        size_t off = b_mmap(b, 24, qemu_map, 2);

        b_end(b);
        put32(b->buf + off + 8, sizes[i]);
        assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
    }
}

static void test_mmap_tag_too_short(void **state)
{
    struct mb2b *b = b_new();
    uint32_t es = 24;

    b_tag(b, MB2_TAG_MMAP, &es, 4); /* entry_version missing */
    b_end(b);
    assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
}

static void test_short_fixed_tags(void **state)
{
    const struct { uint32_t type; size_t min; } tags[] = {
        { MB2_TAG_ACPI_OLD, 20 }, { MB2_TAG_ACPI_NEW, 36 }, { MB2_TAG_EFI64, 8 },
        { MB2_TAG_LOAD_BASE, 4 }, { MB2_TAG_EFI_MMAP, 8 },
    };
    uint8_t payload[64] = "RSD PTR ";
    size_t i;

    for (i = 0; i < ARRAY_SIZE(tags); i++) {
        struct mb2b *b = b_new();

        b_tag(b, tags[i].type, payload, tags[i].min - 1);
        b_end(b);
        assert_int_equal(parse_and_free(b, (uint32_t)b->len), -EINVAL);
        b = b_new();
        b_tag(b, tags[i].type, payload, tags[i].min);
        b_end(b);
        assert_int_equal(parse_and_free(b, (uint32_t)b->len), 0);
    }
}

static uint32_t rng_state = 0x12345678;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Random corruption of a good structure: any result is fine as long as nothing is misread. */
static void test_random_corruption(void **state)
{
    struct mb2b *good = bios_style(NULL, NULL);
    struct boot_info *bi = bi_new();
    unsigned int iter, k;

    for (iter = 0; iter < 20000; iter++) {
        uint32_t total = iter % 4 ? (uint32_t)good->len : 4 + rng() % (uint32_t)good->len;
        uint8_t *p = b_finish_total(good, total);
        unsigned int flips = 1 + rng() % 4;

        for (k = 0; k < flips; k++) {
            uint32_t at = 4 + rng() % (total - 4 + 1);
            if (at < total)
                p[at] = rng() % 3 ? (uint8_t)rng() : (uint8_t)(p[at] ^ (1u << (rng() % 8)));
        }
        if (mb2_parse(p, INFO_PA, bi) == 0) {
            assert_true(bi->nr_mem <= BOOT_MAX_MEMMAP);
            assert_true(bi->nr_mods <= BOOT_MAX_MODULES);
            assert_true(strlen(bi->cmdline) < total);
            memmap_normalise(bi);
        } else {
            assert_int_equal(mb2_parse(p, INFO_PA, bi), -EINVAL);
        }
        free(p);
    }
    free(bi);
    free(good);
}

/* --- memmap_normalise ---------------------------------------------------------------------- */

static struct boot_info *bi_with(const struct e820 *r, size_t n)
{
    struct boot_info *bi = calloc(1, sizeof(*bi));
    size_t i;

    assert_non_null(bi);
    assert_true(n <= BOOT_MAX_MEMMAP);
    for (i = 0; i < n; i++)
        bi->mem[i] = (struct mem_region){ r[i].base, r[i].len, r[i].type };
    bi->nr_mem = (unsigned int)n;
    return bi;
}

static void expect_map(struct boot_info *bi, const struct e820 *r, size_t n)
{
    size_t i;

    memmap_normalise(bi);
    assert_int_equal(bi->nr_mem, n);
    for (i = 0; i < n; i++)
        expect_region(&bi->mem[i], r[i].base, r[i].len, r[i].type);
    free(bi);
}

static void test_norm_qemu_unchanged(void **state)
{
    expect_map(bi_with(qemu_map, ARRAY_SIZE(qemu_map)), qemu_map, ARRAY_SIZE(qemu_map));
}

static void test_norm_sorts(void **state)
{
    const struct e820 in[] = {
        qemu_map[5], qemu_map[3], qemu_map[0], qemu_map[4], qemu_map[2], qemu_map[1],
    };

    expect_map(bi_with(in, ARRAY_SIZE(in)), qemu_map, ARRAY_SIZE(qemu_map));
}

static void test_norm_merges_adjacent(void **state)
{
    const struct e820 in[] = {
        { 0x200000, 0x100000, MEM_RAM }, { 0x0, 0x100000, MEM_RAM },
        { 0x100000, 0x100000, MEM_RAM }, { 0x400000, 0x1000, MEM_RAM },
    };
    const struct e820 out[] = { { 0x0, 0x300000, MEM_RAM }, { 0x400000, 0x1000, MEM_RAM } };

    expect_map(bi_with(in, ARRAY_SIZE(in)), out, ARRAY_SIZE(out));
}

static void test_norm_merges_overlapping_same_type(void **state)
{
    const struct e820 in[] = {
        { 0x1000, 0x5000, MEM_RESERVED }, { 0x3000, 0x1000, MEM_RESERVED },
        { 0x4000, 0x4000, MEM_RESERVED }, { 0x1000, 0x5000, MEM_RESERVED },
    };
    const struct e820 out[] = { { 0x1000, 0x7000, MEM_RESERVED } };

    expect_map(bi_with(in, ARRAY_SIZE(in)), out, ARRAY_SIZE(out));
}

static void test_norm_reserved_inside_ram(void **state)
{
    const struct e820 in[] = {
        { 0x0, 0x100000, MEM_RAM }, { 0x9f000, 0x2000, MEM_RESERVED },
    };
    const struct e820 out[] = {
        { 0x0, 0x9f000, MEM_RAM }, { 0x9f000, 0x2000, MEM_RESERVED },
        { 0xa1000, 0x5f000, MEM_RAM },
    };

    expect_map(bi_with(in, ARRAY_SIZE(in)), out, ARRAY_SIZE(out));
}

static void test_norm_overlap_restrictive_wins(void **state)
{
    const struct e820 in[] = {
        { 0x1000, 0x3000, MEM_ACPI },   /* [0x1000, 0x4000) */
        { 0x0, 0x2000, MEM_RAM },       /* loses its overlap with ACPI */
        { 0x3000, 0x3000, MEM_RESERVED }, /* beats ACPI over [0x3000, 0x4000) */
        { 0x5000, 0x3000, MEM_RAM },    /* loses [0x5000, 0x6000) */
        { 0x7000, 0x1000, MEM_BAD },    /* beats RAM */
        { 0x8000, 0x1000, MEM_NVS },
        { 0x8800, 0x1000, MEM_ACPI },   /* loses to NVS where they overlap */
    };
    const struct e820 out[] = {
        { 0x0, 0x1000, MEM_RAM }, { 0x1000, 0x2000, MEM_ACPI },
        { 0x3000, 0x3000, MEM_RESERVED }, { 0x6000, 0x1000, MEM_RAM },
        { 0x7000, 0x1000, MEM_BAD }, { 0x8000, 0x1000, MEM_NVS },
        { 0x9000, 0x800, MEM_ACPI },
    };

    expect_map(bi_with(in, ARRAY_SIZE(in)), out, ARRAY_SIZE(out));
}

static void test_norm_unknown_type_beats_ram(void **state)
{
    const struct e820 in[] = { { 0x0, 0x10000, MEM_RAM }, { 0x8000, 0x10000, 7 } };
    const struct e820 out[] = { { 0x0, 0x8000, MEM_RAM }, { 0x8000, 0x10000, 7 } };

    expect_map(bi_with(in, ARRAY_SIZE(in)), out, ARRAY_SIZE(out));
}

static void test_norm_drops_zero_length(void **state)
{
    const struct e820 in[] = {
        { 0x5000, 0, MEM_RESERVED }, { 0x0, 0x10000, MEM_RAM }, { 0x20000, 0, MEM_RAM },
        { 0x0, 0, MEM_BAD },
    };
    const struct e820 out[] = { { 0x0, 0x10000, MEM_RAM } };

    expect_map(bi_with(in, ARRAY_SIZE(in)), out, ARRAY_SIZE(out));
}

static void test_norm_empty(void **state)
{
    const struct e820 in[] = { { 0x1000, 0, MEM_RAM } };

    expect_map(bi_with(NULL, 0), NULL, 0);
    expect_map(bi_with(in, 1), NULL, 0);
}

static void test_norm_top_of_address_space(void **state)
{
    const struct e820 in[] = {
        { 0xfffffffffff00000ull, 0x100000 - 1, MEM_RESERVED },
        { 0xfffffffffff00000ull, 0xfffff, MEM_RESERVED },
        { 0xffffffff00000000ull, 0xffffffffffffffffull, MEM_RAM },  /* would wrap */
    };
    const struct e820 out[] = {
        { 0xffffffff00000000ull, 0xfff00000ull, MEM_RAM },
        { 0xfffffffffff00000ull, 0xfffff, MEM_RESERVED },
    };

    expect_map(bi_with(in, ARRAY_SIZE(in)), out, ARRAY_SIZE(out));
}

static void test_norm_split_overflow(void **state)
{
    static struct e820 in[BOOT_MAX_MEMMAP];
    struct boot_info *bi;
    size_t i;

    /* One RAM region with 127 holes punched in it splits into 255 pieces. */
    in[0] = (struct e820){ 0x0, 0x10000000, MEM_RAM };
    for (i = 1; i < ARRAY_SIZE(in); i++)
        in[i] = (struct e820){ i * 0x100000, 0x1000, MEM_RESERVED };
    bi = bi_with(in, ARRAY_SIZE(in));
    memmap_normalise(bi);
    assert_int_equal(bi->nr_mem, BOOT_MAX_MEMMAP);
    assert_true(bi->mem_truncated);
    expect_region(&bi->mem[0], 0x0, 0x100000, MEM_RAM);
    expect_region(&bi->mem[1], 0x100000, 0x1000, MEM_RESERVED);
    expect_region(&bi->mem[2], 0x101000, 0xff000, MEM_RAM);
    for (i = 1; i < bi->nr_mem; i++)
        assert_true(bi->mem[i - 1].base + bi->mem[i - 1].len <= bi->mem[i].base);
    free(bi);
}

static void test_norm_idempotent(void **state)
{
    const struct e820 in[] = {
        { 0x100000, 0x3fee0000, MEM_RAM }, { 0x0, 0xa0000, MEM_RAM },
        { 0x9fc00, 0x400, MEM_RESERVED }, { 0xe0000, 0x20000, MEM_RESERVED },
        { 0x3ffe0000, 0x20000, MEM_ACPI }, { 0x3ff00000, 0x100000, MEM_RAM },
    };
    struct boot_info *bi = bi_with(in, ARRAY_SIZE(in));
    struct boot_info *again;

    memmap_normalise(bi);
    again = calloc(1, sizeof(*again));
    memcpy(again->mem, bi->mem, sizeof(bi->mem));
    again->nr_mem = bi->nr_mem;
    memmap_normalise(again);
    assert_int_equal(again->nr_mem, bi->nr_mem);
    assert_memory_equal(again->mem, bi->mem, bi->nr_mem * sizeof(bi->mem[0]));
    assert_int_equal(bi->nr_mem, 5);
    expect_region(&bi->mem[3], 0x100000, 0x3fee0000, MEM_RAM);
    free(again);
    free(bi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bios_style),
        cmocka_unit_test(test_efi_style),
        cmocka_unit_test(test_old_rsdp_replaced_by_new),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_trailing_bytes_after_end),
        cmocka_unit_test(test_unknown_tags_ignored),
        cmocka_unit_test(test_mmap_large_entries),
        cmocka_unit_test(test_mmap_empty),
        cmocka_unit_test(test_mmap_truncated),
        cmocka_unit_test(test_mmap_wrapping_region_clamped),
        cmocka_unit_test(test_modules_over_limit),
        cmocka_unit_test(test_module_empty_string),
        cmocka_unit_test(test_bad_total_size_tiny),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_total_cuts_end_tag),
        cmocka_unit_test(test_total_smaller_than_tag),
        cmocka_unit_test(test_tag_size_too_small),
        cmocka_unit_test(test_end_tag_size_too_small),
        cmocka_unit_test(test_tag_runs_past_end),
        cmocka_unit_test(test_tag_size_huge),
        cmocka_unit_test(test_missing_end_tag),
        cmocka_unit_test(test_padding_runs_past_end),
        cmocka_unit_test(test_unterminated_cmdline),
        cmocka_unit_test(test_unterminated_cmdline_at_end),
        cmocka_unit_test(test_empty_cmdline_tag),
        cmocka_unit_test(test_unterminated_loader_name),
        cmocka_unit_test(test_unterminated_module_string),
        cmocka_unit_test(test_module_too_short),
        cmocka_unit_test(test_module_end_before_start),
        cmocka_unit_test(test_mmap_entry_size_small),
        cmocka_unit_test(test_mmap_partial_entry),
        cmocka_unit_test(test_mmap_entry_size_mismatch),
        cmocka_unit_test(test_mmap_tag_too_short),
        cmocka_unit_test(test_short_fixed_tags),
        cmocka_unit_test(test_random_corruption),
        cmocka_unit_test(test_norm_qemu_unchanged),
        cmocka_unit_test(test_norm_sorts),
        cmocka_unit_test(test_norm_merges_adjacent),
        cmocka_unit_test(test_norm_merges_overlapping_same_type),
        cmocka_unit_test(test_norm_reserved_inside_ram),
        cmocka_unit_test(test_norm_overlap_restrictive_wins),
        cmocka_unit_test(test_norm_unknown_type_beats_ram),
        cmocka_unit_test(test_norm_drops_zero_length),
        cmocka_unit_test(test_norm_empty),
        cmocka_unit_test(test_norm_top_of_address_space),
        cmocka_unit_test(test_norm_split_overflow),
        cmocka_unit_test(test_norm_idempotent),
    };

    return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}
