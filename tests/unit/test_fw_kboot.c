/*
 * Unit tests for firmware/kboot.c: a synthetic bzImage booted into fake guest memory. Where each
 * piece lands and what the zero page and the entry blob's parameters say; a copy that fails at
 * every step in turn; too little RAM; a broken image; a memory map given by the caller.
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
#include "../../firmware/e820.c"
#include "../../firmware/aml.c"
#include "../../firmware/acpi.c"
#include "../../firmware/kboot.c"

#include "fake_bzimage.h"

#define RAM (64ull << 20)
#define PREF FAKE_PREF
#define INIT_SIZE FAKE_INIT_SIZE
#define PM_OFF FAKE_PM_OFF
#define PM_SIZE FAKE_PM_SIZE
#define img fake_img

static uint8_t *mem;                    /* the fake guest's RAM */
static int copies, fail_at;
static uint8_t scratch[FW_KBOOT_SCRATCH] __attribute__((aligned(8)));
static const char initrd[] = "an initrd";

static int copy(void *ctx, uint64_t gpa, const void *src, size_t len)
{
    assert_ptr_equal(ctx, &mem);
    assert_true(gpa + len <= RAM);
    if (++copies == fail_at)
        return -EIO;
    memcpy(mem + gpa, src, len);
    return 0;
}

static const struct fw_acpi_cfg acpi = {
    .nr_cpus = 2, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000, .ioapic_id = 2,
    .pm_base = 0xb000, .sci_irq = 9, .hpet = true,
};

static struct fw_kboot_linux in(void)
{
    return (struct fw_kboot_linux){ .image = img, .image_len = sizeof(img), .initrd = initrd,
                                    .initrd_len = sizeof(initrd), .cmdline = "console=ttyS0 quiet",
                                    .ram_bytes = RAM, .acpi = &acpi, .scratch = scratch };
}

static int setup(void **state)
{
    fake_make_bzimage();
    mem = calloc(1, RAM);
    copies = fail_at = 0;
    return mem ? 0 : -1;
}

static int teardown(void **state)
{
    free(mem);
    return 0;
}

static uint32_t get32(uint64_t gpa)
{
    uint32_t v;

    memcpy(&v, mem + gpa, 4);
    return v;
}

static void test_pieces_land_where_they_say(void **state)
{
    struct fw_kboot_linux k = in();
    struct fw_kboot_result res;

    assert_int_equal(fw_kboot_linux(&k, copy, &mem, &res), 0);
    assert_int_equal(res.kernel_gpa, PREF);
    assert_int_equal(res.version, 0x020f);
    assert_memory_equal(mem + PREF, img + PM_OFF, PM_SIZE);
    assert_true(res.initrd_gpa >= PREF + INIT_SIZE && res.initrd_gpa + sizeof(initrd) <= RAM);
    assert_memory_equal(mem + res.initrd_gpa, initrd, sizeof(initrd));
    assert_string_equal((char *)mem + FW_KBOOT_CMDLINE_GPA, "console=ttyS0 quiet");
    assert_memory_equal(mem + FW_KBOOT_ACPI_GPA, "RSD PTR ", 8);
    /* The zero page: the header's magic, the command line, the initrd, the RSDP. */
    assert_memory_equal(mem + FW_KBOOT_ZERO_PAGE_GPA + 0x202, "HdrS", 4);
    assert_int_equal(get32(FW_KBOOT_ZERO_PAGE_GPA + 0x228), FW_KBOOT_CMDLINE_GPA);
    assert_int_equal(get32(FW_KBOOT_ZERO_PAGE_GPA + 0x218), res.initrd_gpa);
    assert_int_equal(get32(FW_KBOOT_ZERO_PAGE_GPA + 0x21c), sizeof(initrd));
    assert_int_equal(get32(FW_KBOOT_ZERO_PAGE_GPA + 0x70), FW_KBOOT_ACPI_GPA);
    /* The entry blob and its parameters: EIP the kernel, ESI the zero page. */
    assert_int_equal(mem[FW_ENTRY32_GPA], 0x90);
    assert_int_equal(get32(FW_ENTRY32_GPA + 40 + FW_ENTRY32_EIP), PREF);
    assert_int_equal(get32(FW_ENTRY32_GPA + 40 + FW_ENTRY32_ESI), FW_KBOOT_ZERO_PAGE_GPA);
    assert_int_equal(get32(FW_ENTRY32_GPA + 40 + FW_ENTRY32_ESP), FW_ENTRY32_GPA);
}

/* A failing write at any step ends the boot with that error and a reason. */
static void test_every_copy_failure_is_reported(void **state)
{
    struct fw_kboot_linux k = in();
    struct fw_kboot_result res;
    int total;

    assert_int_equal(fw_kboot_linux(&k, copy, &mem, &res), 0);
    total = copies;
    assert_true(total >= 6);
    for (fail_at = 1; fail_at <= total; fail_at++) {
        copies = 0;
        assert_int_equal(fw_kboot_linux(&k, copy, &mem, &res), -EIO);
        assert_non_null(res.why);
        assert_int_equal(copies, fail_at);          /* nothing written after the failure */
    }
}

static void test_too_little_ram(void **state)
{
    struct fw_kboot_linux k = in();
    struct fw_kboot_result res;

    k.ram_bytes = PREF + INIT_SIZE - 0x1000;
    assert_int_equal(fw_kboot_linux(&k, copy, &mem, &res), -E2BIG);
    assert_non_null(strstr(res.why, "more memory"));
    assert_int_equal(copies, 0);
}

static void test_not_a_kernel(void **state)
{
    struct fw_kboot_linux k = in();
    struct fw_kboot_result res;

    memcpy(img + 0x202, "HdrX", 4);
    assert_true(fw_kboot_linux(&k, copy, &mem, &res) < 0);
    assert_non_null(strstr(res.why, "bzImage"));
    k.image_len = 100;
    assert_true(fw_kboot_linux(&k, copy, &mem, &res) < 0);
    assert_int_equal(copies, 0);
}

static void test_command_line_too_long(void **state)
{
    static char longline[3000];
    struct fw_kboot_linux k = in();
    struct fw_kboot_result res;

    memset(longline, 'x', sizeof(longline) - 1);
    k.cmdline = longline;                           /* the kernel takes 2047 bytes */
    assert_int_equal(fw_kboot_linux(&k, copy, &mem, &res), -E2BIG);
    assert_int_equal(copies, 0);
}

/* With the caller's memory map and RSDP, no tables are written and the zero page points there. */
static void test_given_memory_map(void **state)
{
    static const struct fw_e820_entry e820[] = {
        { 0, 0x9f000, 1 }, { 0x100000, RAM - 0x100000, 1 },
    };
    struct fw_kboot_linux k = in();
    struct fw_kboot_result res;

    k.e820 = e820, k.nr_e820 = 2, k.rsdp_gpa = 0x7f000, k.load_gpa = 0x2000000;
    assert_int_equal(fw_kboot_linux(&k, copy, &mem, &res), 0);
    assert_int_equal(res.kernel_gpa, 0x2000000);
    assert_int_equal(mem[FW_KBOOT_ACPI_GPA], 0);
    assert_int_equal(get32(FW_KBOOT_ZERO_PAGE_GPA + 0x70), 0x7f000);
    assert_int_equal(mem[FW_KBOOT_ZERO_PAGE_GPA + 0x1e8], 2);      /* e820_entries */
    k.load_gpa = 0x2001000;                         /* not aligned: its preferred address */
    assert_int_equal(fw_kboot_linux(&k, copy, &mem, &res), 0);
    assert_int_equal(res.kernel_gpa, PREF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pieces_land_where_they_say, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_copy_failure_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_little_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_kernel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_line_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_given_memory_map, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
