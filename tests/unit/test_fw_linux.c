/*
 * Unit tests for firmware/linux.c: the bzImage setup header (synthetic images: valid, truncated
 * at every length, wrong magic, old protocols, hostile fields), the kernel and initrd placement,
 * and the zero page, compared byte for byte with one built here from the documented offsets.
 * tests/system/test_fw_linux.py checks Debian's real kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../firmware/linux.c"

#define SECTS 8                         /* setup sectors of the synthetic image */
#define PM_OFF ((SECTS + 1) * 512)
#define PM_SIZE 0x3000
#define IMG_LEN (PM_OFF + PM_SIZE)
#define HDR_END 0x26c                   /* jump offset 0x6a, as protocol 2.15 kernels have */
#define PREF 0x1000000ull
#define INIT_SIZE 0x3f98000u
#define ALIGN 0x200000u
#define KEND (PREF + INIT_SIZE)         /* 0x4f98000 */
#define VERSION_STR "6.1.0-test (keel@example) #1"

static uint8_t tmpl[IMG_LEN + 512];     /* the image; tests change fields before parsing */

static void put16(size_t off, uint16_t v)
{
    tmpl[off] = (uint8_t)v;
    tmpl[off + 1] = (uint8_t)(v >> 8);
}

static void put32(size_t off, uint32_t v)
{
    put16(off, (uint16_t)v);
    put16(off + 2, (uint16_t)(v >> 16));
}

static void put64(size_t off, uint64_t v)
{
    put32(off, (uint32_t)v);
    put32(off + 4, (uint32_t)(v >> 32));
}

static void make_image(void)
{
    memset(tmpl, 0, sizeof(tmpl));
    tmpl[0x1f1] = SECTS;
    put32(0x1f4, PM_SIZE / 16);
    put16(0x1fa, 0xffff);
    put16(0x1fe, 0xaa55);
    tmpl[0x200] = 0xeb;
    tmpl[0x201] = HDR_END - 0x202;
    memcpy(tmpl + 0x202, "HdrS", 4);
    put16(0x206, 0x020f);
    put16(0x20e, 0x400 - 0x200);        /* the version string at file offset 0x400 */
    tmpl[0x211] = 0x01;
    put32(0x214, 0x100000);
    put32(0x22c, 0x7fffffff);
    put32(0x230, ALIGN);
    tmpl[0x234] = 1;
    tmpl[0x235] = 21;
    put16(0x236, 0x0001);
    put32(0x238, 2047);
    put32(0x23c, 5);                    /* a subarch the loader must reset to PC */
    put64(0x258, PREF);
    put32(0x260, INIT_SIZE);
    put32(0x268, 0x1234);
    strcpy((char *)tmpl + 0x400, VERSION_STR);
    for (size_t i = PM_OFF; i < sizeof(tmpl); i++)
        tmpl[i] = (uint8_t)(i * 7);
}

/* Parses the first len bytes of the template from a buffer of exactly len bytes, so that
 * AddressSanitizer sees any read past the end. */
static int parse_len(size_t len, struct fw_bzimage *bz)
{
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    memcpy(copy, tmpl, len);
    rc = fw_bzimage_parse(copy, len, bz);
    free(copy);
    return rc;
}

static int parse(struct fw_bzimage *bz)
{
    return parse_len(IMG_LEN, bz);
}

static int setup(void **state)
{
    make_image();
    return 0;
}

static void test_parse_valid(void **state)
{
    struct fw_bzimage bz;

    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.version, 0x020f);
    assert_int_equal(bz.setup_sects, SECTS);
    assert_int_equal(bz.hdr_end, HDR_END);
    assert_int_equal(bz.pm_offset, PM_OFF);
    assert_int_equal(bz.pm_size, PM_SIZE);
    assert_int_equal(bz.pref_address, PREF);
    assert_int_equal(bz.init_size, INIT_SIZE);
    assert_int_equal(bz.kernel_alignment, ALIGN);
    assert_true(bz.relocatable);
    assert_int_equal(bz.cmdline_size, 2047);
    assert_int_equal(bz.initrd_addr_max, 0x7fffffff);
    assert_int_equal(bz.xloadflags, 1);
    assert_int_equal(bz.version_string, 0x400);
    assert_string_equal((char *)tmpl + bz.version_string, VERSION_STR);
}

/* Bytes after the kernel (Debian's signed kernels carry a signature there) are part of pm_size. */
static void test_parse_trailing_bytes(void **state)
{
    struct fw_bzimage bz;

    assert_int_equal(parse_len(IMG_LEN + 512, &bz), 0);
    assert_int_equal(bz.pm_size, PM_SIZE + 512);
}

static void test_parse_truncated(void **state)
{
    struct fw_bzimage bz, untouched;

    memset(&untouched, 0x5a, sizeof(untouched));
    for (size_t len = 0; len < IMG_LEN; len++) {
        bz = untouched;
        assert_int_equal(parse_len(len, &bz), -EINVAL);
        assert_memory_equal(&bz, &untouched, sizeof(bz));
    }
}

static void expect_einval(void)
{
    struct fw_bzimage bz;

    assert_int_equal(parse(&bz), -EINVAL);
    make_image();
}

static void test_parse_wrong_magic(void **state)
{
    tmpl[0x205] = 'T';                  /* "HdrT" */
    expect_einval();
    put16(0x1fe, 0x55aa);               /* boot flag byte-swapped */
    expect_einval();
    tmpl[0x200] = 0xe9;                 /* a near jump: no header length */
    expect_einval();
    tmpl[0x211] = 0x00;                 /* not LOADED_HIGH: a zImage */
    expect_einval();
}

static void test_parse_versions(void **state)
{
    struct fw_bzimage bz;

    put16(0x206, 0x020b);
    assert_int_equal(parse(&bz), -EINVAL);
    put16(0x206, 0x0200);
    assert_int_equal(parse(&bz), -EINVAL);
    put16(0x206, 0x020c);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.version, 0x020c);
    put16(0x206, 0x0300);
    assert_int_equal(parse(&bz), 0);
}

/* setup_sects 0 means 4: the kernel starts at (4 + 1) * 512. */
static void test_setup_sects_zero(void **state)
{
    struct fw_bzimage bz;

    tmpl[0x1f1] = 0;
    put32(0x1f4, (IMG_LEN - 5 * 512) / 16);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.setup_sects, 4);
    assert_int_equal(bz.pm_offset, 5 * 512);
    assert_int_equal(bz.pm_size, IMG_LEN - 5 * 512);
}

static void test_parse_header_length(void **state)
{
    struct fw_bzimage bz;

    for (unsigned int off = 0x80; off <= 0xff; off++) {     /* a backward jump */
        tmpl[0x201] = (uint8_t)off;
        assert_int_equal(parse(&bz), -EINVAL);
    }
    tmpl[0x201] = 0x61;                 /* ends at 0x263: init_size cut */
    assert_int_equal(parse(&bz), -EINVAL);
    tmpl[0x201] = 0x62;                 /* ends at 0x264, after init_size */
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.hdr_end, 0x264);
    assert_int_equal(bz.init_size, INIT_SIZE);
    tmpl[0x201] = 0x7f;                 /* the longest header the jump can describe */
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.hdr_end, 0x281);
}

static void test_parse_hostile_sizes(void **state)
{
    struct fw_bzimage bz;

    put32(0x1f4, 0);                    /* no kernel size */
    expect_einval();
    put32(0x1f4, PM_SIZE / 16 + 1);     /* one paragraph more than the file has */
    expect_einval();
    put32(0x1f4, 0xffffffff);
    expect_einval();
    tmpl[0x1f1] = 0xff;                 /* setup past the end of the file */
    expect_einval();
    tmpl[0x1f1] = (IMG_LEN / 512) - 1;  /* setup ends exactly where the file does */
    expect_einval();
    put32(0x260, 0);                    /* no init_size */
    expect_einval();
    put64(0x258, 0xfffffffffffff000ull);
    expect_einval();
    put64(0x258, 0xfff00000ull);        /* start below 4 GiB, init_size past it */
    expect_einval();
    put32(0x230, 0);                    /* relocatable, alignment 0 */
    expect_einval();
    put32(0x230, 0x300000);             /* not a power of two */
    expect_einval();
    put32(0x230, 0x80000000);
    expect_einval();
    tmpl[0x234] = 0;                    /* fixed, loaded low, but would run past 4 GiB */
    put64(0x258, 0xfff00000ull);
    expect_einval();
    tmpl[0x234] = 0;                    /* fixed: the alignment does not matter */
    put32(0x230, 0);
    assert_int_equal(parse(&bz), 0);
    assert_false(bz.relocatable);
}

static void test_parse_version_string(void **state)
{
    struct fw_bzimage bz;

    put16(0x20e, 0);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.version_string, 0);
    put16(0x20e, PM_OFF - 0x200);       /* would be in the kernel, not the setup */
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.version_string, 0);
    put16(0x20e, 0xfff0);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.version_string, 0);
    put16(0x20e, PM_OFF - 0x200 - 4);   /* four bytes before the kernel, with no NUL */
    memset(tmpl + PM_OFF - 4, 'x', 4);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.version_string, 0);
    tmpl[PM_OFF - 1] = 0;
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(bz.version_string, PM_OFF - 4);
}

static void test_kernel_gpa(void **state)
{
    struct fw_bzimage bz;

    assert_int_equal(parse(&bz), 0);
    assert_int_equal(fw_linux_kernel_gpa(&bz), 0x1000000);
    put64(0x258, 0);                    /* no preference: 1 MiB rounded up to 2 MiB */
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(fw_linux_kernel_gpa(&bz), 0x200000);
    put64(0x258, 0x1100000);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(fw_linux_kernel_gpa(&bz), 0x1200000);
    tmpl[0x234] = 0;                    /* fixed: loaded at 1 MiB, moves itself to 0x1100000 */
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(fw_linux_kernel_gpa(&bz), 0x100000);
}

#define RAM 1
#define RSV 2

/* The map firmware/e820.c builds for 256 MiB. */
static const struct fw_e820_entry map256[] = {
    { 0, 0x9fc00, RAM }, { 0x9fc00, 0x400, RSV }, { 0xe0000, 0x20000, RSV },
    { 0x100000, 0xff00000, RAM },
    { 0xfec00000, 0x1000, RSV }, { 0xfed00000, 0x1000, RSV }, { 0xfee00000, 0x1000, RSV },
};

static uint64_t place(uint64_t size, const struct fw_e820_entry *map, unsigned int n)
{
    struct fw_bzimage bz;
    uint64_t gpa = 0xdead;

    assert_int_equal(parse(&bz), 0);
    assert_int_equal(fw_linux_initrd_gpa(&bz, size, map, n, &gpa), 0);
    return gpa;
}

static int place_rc(uint64_t size, const struct fw_e820_entry *map, unsigned int n)
{
    struct fw_bzimage bz;
    uint64_t gpa = 0xdead;
    int rc;

    assert_int_equal(parse(&bz), 0);
    rc = fw_linux_initrd_gpa(&bz, size, map, n, &gpa);
    if (rc)
        assert_int_equal(gpa, 0xdead);
    return rc;
}

static void test_initrd_top_of_ram(void **state)
{
    assert_int_equal(place(0x100000, map256, 7), 0xff00000);
    assert_int_equal(place(0xfb4c5, map256, 7), 0xff04000);     /* rounded down to a page */
    assert_int_equal(place(0x1000, map256, 7), 0xffff000);
}

static void test_initrd_addr_max(void **state)
{
    static const struct fw_e820_entry big[] = {
        { 0, 0x9fc00, RAM }, { 0x100000, 0xdff00000, RAM }, { 0x100000000ull, 0x100000000ull, RAM },
    };

    /* initrd_addr_max 0x7fffffff: the last byte may be there, RAM goes on to 3.5 GiB. */
    assert_int_equal(place(0x100000, big, 3), 0x7ff00000);
    put32(0x22c, 0x37ffffff);
    assert_int_equal(place(0x20000, big, 3), 0x37fe0000);
    put32(0x22c, 0xffffffff);           /* RAM from 4 GiB is never used */
    assert_int_equal(place(0x100000, big, 3), 0xdff00000);
    put32(0x22c, 0x7fffffff);           /* a kernel loadable above 4 GiB takes it anywhere */
    put16(0x236, 0x0003);
    assert_int_equal(place(0x100000, big, 3), 0xdff00000);
}

static void test_initrd_above_kernel(void **state)
{
    static const struct fw_e820_entry small[] = {
        { 0, 0x9fc00, RAM }, { 0x100000, 0x4f00000, RAM },     /* RAM up to 0x5000000 */
    };

    assert_int_equal(place(0x68000, small, 2), 0x4f98000);     /* right at the kernel's end */
    assert_int_equal(place_rc(0x68001, small, 2), -ENOSPC);
    assert_int_equal(place_rc(0x100000, small, 2), -ENOSPC);
    tmpl[0x234] = 0;                    /* a fixed kernel runs at pref_address, loaded at 1 MiB */
    assert_int_equal(place_rc(0x68001, small, 2), -ENOSPC);
    assert_int_equal(place(0x68000, small, 2), KEND);
}

static void test_initrd_map_order_and_types(void **state)
{
    static const struct fw_e820_entry mixed[] = {
        { 0x9000000, 0x1000000, RAM }, { 0x20000000, 0x1000000, RSV },
        { 0x6000000, 0x1000000, RAM }, { 0x0, 0x9fc00, RAM }, { 0xa000000, 0x10000, 4 },
    };

    assert_int_equal(place(0x200000, mixed, 5), 0x9e00000);
    /* An entry larger than the RAM under it could hold, or one that wraps. */
    static const struct fw_e820_entry wrap[] = { { 0xfffffffffffff000ull, 0x2000, RAM } };
    assert_int_equal(place_rc(0x1000, wrap, 1), -ENOSPC);
    static const struct fw_e820_entry huge[] = { { 0x6000000, UINT64_MAX, RAM } };
    assert_int_equal(place(0x1000, huge, 1), 0x7ffff000);
}

static void test_initrd_errors(void **state)
{
    assert_int_equal(place_rc(0, map256, 7), -EINVAL);
    assert_int_equal(place_rc(0x100000000ull, map256, 7), -ENOSPC);
    assert_int_equal(place_rc(UINT64_MAX, map256, 7), -ENOSPC);
    assert_int_equal(place_rc(0x1000, map256, 0), -ENOSPC);
}

/* --- the zero page ------------------------------------------------------------------------ */

#define CMDLINE 0x20000ull
#define INITRD 0xff00000ull
#define INITRD_SIZE 0xfb4c5ull
#define RSDP 0xe0000ull

static uint8_t page[4096], want[4096];

static void wput(size_t off, uint64_t v, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++)
        want[off + i] = (uint8_t)(v >> (8 * i));
}

/* The zero page the protocol asks for, built from the documented offsets alone. */
static void expect_page(uint64_t cmdline, uint64_t initrd, uint64_t initrd_size, uint64_t rsdp,
                        const struct fw_e820_entry *map, unsigned int n)
{
    memset(want, 0, sizeof(want));
    memcpy(want + 0x1f1, tmpl + 0x1f1, HDR_END - 0x1f1);
    want[0x210] = 0xff;                 /* type_of_loader: undefined */
    want[0x211] = 0x81;                 /* LOADED_HIGH | CAN_USE_HEAP */
    wput(0x214, 0x1000000, 4);          /* code32_start: the load address */
    wput(0x218, initrd, 4);
    wput(0x21c, initrd_size, 4);
    wput(0x224, 0xde00, 2);             /* heap_end_ptr */
    wput(0x228, cmdline, 4);
    wput(0x23c, 0, 4);                  /* hardware_subarch: PC */
    wput(0x070, rsdp, 8);
    wput(0x0c0, initrd >> 32, 4);
    wput(0x0c4, initrd_size >> 32, 4);
    wput(0x0c8, cmdline >> 32, 4);
    want[0x1e8] = (uint8_t)n;
    for (unsigned int i = 0; i < n; i++) {
        wput(0x2d0 + 20 * i, map[i].addr, 8);
        wput(0x2d0 + 20 * i + 8, map[i].size, 8);
        wput(0x2d0 + 20 * i + 16, map[i].type, 4);
    }
}

static int build(const struct fw_bzimage *bz, uint64_t cmdline, uint32_t cmdline_len,
                 uint64_t initrd, uint64_t initrd_size, uint64_t rsdp,
                 const struct fw_e820_entry *map, unsigned int n)
{
    memset(page, 0xaa, sizeof(page));
    return fw_linux_boot_params(page, tmpl, IMG_LEN, bz, cmdline, cmdline_len, initrd,
                                initrd_size, rsdp, map, n);
}

static void assert_zeroed(void)
{
    static const uint8_t zero[4096];
    assert_memory_equal(page, zero, sizeof(page));
}

static void test_boot_params(void **state)
{
    struct fw_bzimage bz;

    assert_int_equal(parse(&bz), 0);
    assert_int_equal(build(&bz, CMDLINE, 30, INITRD, INITRD_SIZE, RSDP, map256, 7), 0);
    expect_page(CMDLINE, INITRD, INITRD_SIZE, RSDP, map256, 7);
    assert_memory_equal(page, want, sizeof(page));
}

static void test_boot_params_no_initrd_no_rsdp(void **state)
{
    struct fw_bzimage bz;

    assert_int_equal(parse(&bz), 0);
    assert_int_equal(build(&bz, CMDLINE, 0, INITRD, 0, 0, map256, 7), 0);
    expect_page(CMDLINE, 0, 0, 0, map256, 7);
    assert_memory_equal(page, want, sizeof(page));
}

/* acpi_rsdp_addr is given to kernels that read it, protocol 2.14 and later. */
static void test_boot_params_rsdp_version(void **state)
{
    struct fw_bzimage bz;

    put16(0x206, 0x020d);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(build(&bz, CMDLINE, 30, INITRD, INITRD_SIZE, RSDP, map256, 7), 0);
    expect_page(CMDLINE, INITRD, INITRD_SIZE, 0, map256, 7);
    assert_memory_equal(page, want, sizeof(page));
    put16(0x206, 0x020e);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(build(&bz, CMDLINE, 30, INITRD, INITRD_SIZE, RSDP, map256, 7), 0);
    expect_page(CMDLINE, INITRD, INITRD_SIZE, RSDP, map256, 7);
    assert_memory_equal(page, want, sizeof(page));
}

static void test_boot_params_above_4g(void **state)
{
    const uint64_t cmdline = 0x123456000ull, initrd = 0x200000000ull, size = 0x100000001ull;
    struct fw_bzimage bz;

    assert_int_equal(parse(&bz), 0);    /* XLF_CAN_BE_LOADED_ABOVE_4G clear */
    assert_int_equal(build(&bz, cmdline, 30, INITRD, 0x1000, 0, map256, 7), -EINVAL);
    assert_zeroed();
    assert_int_equal(build(&bz, 0xfffffff0, 15, INITRD, 0x1000, 0, map256, 7), 0);
    assert_int_equal(build(&bz, 0xfffffff0, 16, INITRD, 0x1000, 0, map256, 7), -EINVAL);
    assert_int_equal(build(&bz, CMDLINE, 30, initrd, size, 0, map256, 7), -EINVAL);
    put16(0x236, 0x0003);
    assert_int_equal(parse(&bz), 0);
    assert_int_equal(build(&bz, cmdline, 30, initrd, size, 0, map256, 7), 0);
    expect_page(cmdline, initrd, size, 0, map256, 7);
    assert_memory_equal(page, want, sizeof(page));
}

static void test_boot_params_initrd_limit(void **state)
{
    struct fw_bzimage bz;

    assert_int_equal(parse(&bz), 0);    /* initrd_addr_max 0x7fffffff */
    assert_int_equal(build(&bz, CMDLINE, 30, 0x7ff00000, 0x100000, 0, map256, 7), 0);
    assert_int_equal(build(&bz, CMDLINE, 30, 0x7ff00000, 0x100001, 0, map256, 7), -EINVAL);
    assert_zeroed();
    assert_int_equal(build(&bz, CMDLINE, 30, UINT64_MAX, 2, 0, map256, 7), -EINVAL);
}

static void test_boot_params_errors(void **state)
{
    struct fw_bzimage bz, other;
    struct fw_e820_entry many[FW_LINUX_E820_MAX + 1];

    assert_int_equal(parse(&bz), 0);
    assert_int_equal(build(&bz, CMDLINE, 2047, INITRD, 0x1000, 0, map256, 7), 0);
    assert_int_equal(build(&bz, CMDLINE, 2048, INITRD, 0x1000, 0, map256, 7), -E2BIG);
    assert_zeroed();
    assert_int_equal(build(&bz, 0, 30, INITRD, 0x1000, 0, map256, 7), -EINVAL);
    assert_int_equal(build(&bz, CMDLINE, 30, INITRD, 0x1000, 0, map256, 0), -EINVAL);
    for (unsigned int i = 0; i <= FW_LINUX_E820_MAX; i++)
        many[i] = (struct fw_e820_entry){ (uint64_t)i << 20, 1 << 20, RAM };
    assert_int_equal(build(&bz, CMDLINE, 30, INITRD, 0x1000, 0, many, FW_LINUX_E820_MAX + 1),
                     -E2BIG);
    assert_zeroed();
    assert_int_equal(build(&bz, CMDLINE, 30, INITRD, 0x1000, 0, many, FW_LINUX_E820_MAX), 0);
    expect_page(CMDLINE, INITRD, 0x1000, 0, many, FW_LINUX_E820_MAX);
    assert_memory_equal(page, want, sizeof(page));
    /* A description that does not fit the image it is used with. */
    other = bz;
    other.hdr_end = IMG_LEN + 1;
    assert_int_equal(fw_linux_boot_params(page, tmpl, IMG_LEN, &other, CMDLINE, 30, 0, 0, 0,
                                          map256, 7), -EINVAL);
    other.hdr_end = 0x2d1;
    assert_int_equal(fw_linux_boot_params(page, tmpl, IMG_LEN, &other, CMDLINE, 30, 0, 0, 0,
                                          map256, 7), -EINVAL);
    assert_zeroed();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse_valid, setup),
        cmocka_unit_test_setup(test_parse_trailing_bytes, setup),
        cmocka_unit_test_setup(test_parse_truncated, setup),
        cmocka_unit_test_setup(test_parse_wrong_magic, setup),
        cmocka_unit_test_setup(test_parse_versions, setup),
        cmocka_unit_test_setup(test_setup_sects_zero, setup),
        cmocka_unit_test_setup(test_parse_header_length, setup),
        cmocka_unit_test_setup(test_parse_hostile_sizes, setup),
        cmocka_unit_test_setup(test_parse_version_string, setup),
        cmocka_unit_test_setup(test_kernel_gpa, setup),
        cmocka_unit_test_setup(test_initrd_top_of_ram, setup),
        cmocka_unit_test_setup(test_initrd_addr_max, setup),
        cmocka_unit_test_setup(test_initrd_above_kernel, setup),
        cmocka_unit_test_setup(test_initrd_map_order_and_types, setup),
        cmocka_unit_test_setup(test_initrd_errors, setup),
        cmocka_unit_test_setup(test_boot_params, setup),
        cmocka_unit_test_setup(test_boot_params_no_initrd_no_rsdp, setup),
        cmocka_unit_test_setup(test_boot_params_rsdp_version, setup),
        cmocka_unit_test_setup(test_boot_params_above_4g, setup),
        cmocka_unit_test_setup(test_boot_params_initrd_limit, setup),
        cmocka_unit_test_setup(test_boot_params_errors, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
