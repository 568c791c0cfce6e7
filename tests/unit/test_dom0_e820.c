/* Unit tests for hv/dom0_e820.c: dom0's memory map from a machine's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/dom0_e820.c"

#define RAM MEM_RAM
#define RSV MEM_RESERVED
#define ACPI MEM_ACPI
#define RSDP_PAGE 0x7f000ULL

struct want {
    uint64_t addr, size;
    uint32_t type;
};

/* QEMU's pc machine with 3 GiB, as SeaBIOS reports it. */
static const struct mem_region qemu3g[] = {
    { 0, 0x9fc00, RAM }, { 0x9fc00, 0x400, RSV }, { 0xf0000, 0x10000, RSV },
    { 0x100000, 0xbfee0000, RAM }, { 0xbffe0000, 0x20000, RSV }, { 0xfffc0000, 0x40000, RSV },
};

static void check(const struct mem_region *mem, unsigned int nr, const struct dom0_layout *l,
                  const struct want *want, unsigned int n)
{
    struct fw_e820_entry map[FW_LINUX_E820_MAX + 1];

    memset(map, 0xee, sizeof(map));
    assert_int_equal(dom0_e820(mem, nr, l, RSDP_PAGE, map), n);
    for (unsigned int i = 0; i < n; i++) {
        assert_int_equal(map[i].addr, want[i].addr);
        assert_int_equal(map[i].size, want[i].size);
        assert_int_equal(map[i].type, want[i].type);
    }
    assert_int_equal(map[n].type, 0xeeeeeeee);
}

/* Low memory and one block: everything else that was RAM is reserved, the RSDP page too, and
 * the firmware's regions stay. Adjacent reserved pieces merge. */
static void test_low_and_block(void **state)
{
    struct dom0_layout l = { .bytes = 0, .nr_ranges = 2,
                             .ram = { { 0x1000, 0x80000 }, { 0x9f600000, 0xbf600000 } } };
    static const struct want want[] = {
        { 0, 0x1000, RSV }, { 0x1000, RSDP_PAGE - 0x1000, RAM }, { RSDP_PAGE, 0xa0000 - RSDP_PAGE, RSV },
        { 0xf0000, 0x9f600000 - 0xf0000, RSV }, { 0x9f600000, 0x20000000, RAM },
        { 0xbf600000, 0xc0000000 - 0xbf600000, RSV }, { 0xfffc0000, 0x40000, RSV },
    };

    check(qemu3g, 6, &l, want, 7);
}

/* Firmware regions keep their type; RAM above 4 GiB that dom0 was not given is reserved. */
static void test_acpi_and_high_ram(void **state)
{
    static const struct mem_region mem[] = {
        { 0, 0x9f000, RAM }, { 0x100000, 0x7ef00000, RAM }, { 0x7f000000, 0x100000, ACPI },
        { 0x100000000ULL, 0x40000000, RAM },
    };
    struct dom0_layout l = { .nr_ranges = 1, .ram = { { 0x200000, 0x400000 } } };
    static const struct want want[] = {
        { 0, 0x9f000, RSV }, { 0x100000, 0x100000, RSV }, { 0x200000, 0x200000, RAM },
        { 0x400000, 0x7f000000 - 0x400000, RSV }, { 0x7f000000, 0x100000, ACPI },
        { 0x100000000ULL, 0x40000000, RSV },
    };

    check(mem, 4, &l, want, 6);
}

/* A range not inside any RAM region gives nothing (the p2m would not map it either). */
static void test_range_outside_ram(void **state)
{
    static const struct mem_region mem[] = { { 0x100000, 0x100000, RAM } };
    struct dom0_layout l = { .nr_ranges = 1, .ram = { { 0x400000, 0x500000 } } };
    static const struct want want[] = { { 0x100000, 0x100000, RSV } };

    check(mem, 1, &l, want, 1);
}

/* A map of alternating pieces never writes past FW_LINUX_E820_MAX entries. */
static void test_cut_at_the_zero_page_limit(void **state)
{
    static struct mem_region mem[1] = { { 0x100000, 0x100000000ULL, RAM } };
    struct dom0_layout l = { .nr_ranges = DOM0_MAX_RANGES };
    struct fw_e820_entry map[FW_LINUX_E820_MAX + 1];

    for (unsigned int i = 0; i < DOM0_MAX_RANGES; i++)
        l.ram[i].start = 0x200000 + i * 0x400000ULL, l.ram[i].end = l.ram[i].start + 0x200000;
    memset(map, 0xee, sizeof(map));
    assert_true(dom0_e820(mem, 1, &l, RSDP_PAGE, map) <= FW_LINUX_E820_MAX);
    assert_int_equal(map[FW_LINUX_E820_MAX].type, 0xeeeeeeee);
    assert_int_equal(map[0].type, RSV);
    assert_int_equal(map[1].type, RAM);
    assert_int_equal(map[1].addr, 0x200000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_low_and_block),
        cmocka_unit_test(test_acpi_and_high_ram),
        cmocka_unit_test(test_range_outside_ram),
        cmocka_unit_test(test_cut_at_the_zero_page_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
