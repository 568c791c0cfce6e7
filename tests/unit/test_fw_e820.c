/* Unit tests for firmware/e820.c: the guest memory map for small and large RAM sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../firmware/e820.c"

#define RAM 1
#define RSV 2

struct want {
    uint64_t addr, size;
    uint32_t type;
};

/* What every map starts with, below 1 MiB. */
#define LOW_ENTRIES \
    { 0, 0x9fc00, RAM }, { 0x9fc00, 0x400, RSV }, { 0xe0000, 0x20000, RSV }
/* The reserved pages of the IOAPIC, the HPET and the local APICs. */
#define MMIO_ENTRIES \
    { 0xfec00000, 0x1000, RSV }, { 0xfed00000, 0x1000, RSV }, { 0xfee00000, 0x1000, RSV }

static void check_map(uint64_t ram, const struct want *want, unsigned int n)
{
    struct fw_e820_entry map[16];

    memset(map, 0xee, sizeof(map));
    assert_int_equal(fw_e820_build(ram, map, 16), n);
    for (unsigned int i = 0; i < n; i++) {
        assert_int_equal(map[i].addr, want[i].addr);
        assert_int_equal(map[i].size, want[i].size);
        assert_int_equal(map[i].type, want[i].type);
    }
    assert_int_equal(map[n].type, 0xeeeeeeee);      /* nothing written after the last */
}

static void test_one_mib(void **state)
{
    static const struct want w[] = { LOW_ENTRIES, MMIO_ENTRIES };

    check_map(0x100000, w, ARRAY_SIZE(w));
}

static void test_small(void **state)
{
    static const struct want w[] = { LOW_ENTRIES, { 0x100000, 0x7f00000, RAM }, MMIO_ENTRIES };

    check_map(128ull << 20, w, ARRAY_SIZE(w));
}

static void test_three_gib(void **state)
{
    static const struct want w[] = { LOW_ENTRIES, { 0x100000, 0xbff00000, RAM }, MMIO_ENTRIES };

    check_map(3ull << 30, w, ARRAY_SIZE(w));
}

static void test_exactly_low_limit(void **state)
{
    static const struct want w[] = { LOW_ENTRIES, { 0x100000, 0xdff00000, RAM }, MMIO_ENTRIES };

    check_map(0xe0000000, w, ARRAY_SIZE(w));
}

/* 8 GiB: 3.5 GiB below the hole, the other 4.5 GiB from 4 GiB up to 8.5 GiB. */
static void test_hole_split(void **state)
{
    static const struct want w[] = {
        LOW_ENTRIES, { 0x100000, 0xdff00000, RAM }, MMIO_ENTRIES,
        { 0x100000000, 0x120000000, RAM },
    };

    check_map(8ull << 30, w, ARRAY_SIZE(w));
    assert_int_equal(ARRAY_SIZE(w), FW_E820_MAX_ENTRIES);
}

static void test_just_above_limit(void **state)
{
    static const struct want w[] = {
        LOW_ENTRIES, { 0x100000, 0xdff00000, RAM }, MMIO_ENTRIES, { 0x100000000, 0x1000, RAM },
    };

    check_map(0xe0001000, w, ARRAY_SIZE(w));
}

/* For many sizes: sorted, no overlap, and the RAM entries account for ram_bytes. */
static void test_invariants(void **state)
{
    struct fw_e820_entry map[FW_E820_MAX_ENTRIES];

    for (uint64_t ram = 1ull << 20; ram <= (1ull << 40); ram = ram * 3 / 2 + 4096) {
        int n = fw_e820_build(ram, map, FW_E820_MAX_ENTRIES);
        uint64_t ram_seen = 0;

        assert_true(n > 0);
        for (int i = 0; i < n; i++) {
            assert_true(map[i].size > 0);
            assert_true(map[i].addr + map[i].size > map[i].addr);
            if (i)
                assert_true(map[i - 1].addr + map[i - 1].size <= map[i].addr);
            if (map[i].type == RAM)
                ram_seen += map[i].size;
        }
        /* All of ram_bytes is listed as RAM except the EBDA, VGA and BIOS range below 1 MiB. */
        assert_int_equal(ram_seen + (0x100000 - 0x9fc00), ram);
    }
}

static void test_enospc(void **state)
{
    struct fw_e820_entry map[FW_E820_MAX_ENTRIES + 1];

    for (unsigned int max = 0; max < 7; max++) {
        memset(map, 0x5a, sizeof(map));
        assert_int_equal(fw_e820_build(1ull << 30, map, max), -ENOSPC);
        assert_int_equal(map[0].type, 0x5a5a5a5a);  /* nothing written */
    }
    assert_int_equal(fw_e820_build(1ull << 30, map, 7), 7);
    assert_int_equal(fw_e820_build(8ull << 30, map, 7), -ENOSPC);
    assert_int_equal(fw_e820_build(8ull << 30, map, 8), 8);
}

static void test_einval(void **state)
{
    struct fw_e820_entry map[FW_E820_MAX_ENTRIES];

    assert_int_equal(fw_e820_build(0, map, FW_E820_MAX_ENTRIES), -EINVAL);
    assert_int_equal(fw_e820_build(0xfffff, map, FW_E820_MAX_ENTRIES), -EINVAL);
    assert_int_equal(fw_e820_build(UINT64_MAX, map, FW_E820_MAX_ENTRIES), -EINVAL);
}

static void test_layout_is_boot_params(void **state)
{
    assert_int_equal(sizeof(struct fw_e820_entry), 20);
    assert_int_equal(offsetof(struct fw_e820_entry, size), 8);
    assert_int_equal(offsetof(struct fw_e820_entry, type), 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_mib),
        cmocka_unit_test(test_small),
        cmocka_unit_test(test_three_gib),
        cmocka_unit_test(test_exactly_low_limit),
        cmocka_unit_test(test_hole_split),
        cmocka_unit_test(test_just_above_limit),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_layout_is_boot_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
