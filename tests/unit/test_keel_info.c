/* Unit tests for toolstack/cli/info.c: what `keel info` prints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../toolstack/cli/info.c"

static char out[4096];

static const char *render(const struct keel_physinfo *p, const struct keel_domain_info *d,
                          unsigned int n, bool json)
{
    FILE *f = fmemopen(out, sizeof(out), "w");

    keel_print_info(f, p, d, n, json);
    fclose(f);
    return out;
}

static void test_cpu_lists(void **state)
{
    char buf[64];

    keel_format_cpus(0, buf, sizeof(buf));
    assert_string_equal(buf, "none");
    keel_format_cpus(1, buf, sizeof(buf));
    assert_string_equal(buf, "0");
    keel_format_cpus(0xf, buf, sizeof(buf));
    assert_string_equal(buf, "0-3");
    keel_format_cpus(0x2d, buf, sizeof(buf));
    assert_string_equal(buf, "0,2-3,5");
    keel_format_cpus(1ull << 63 | 1ull << 62, buf, sizeof(buf));
    assert_string_equal(buf, "62-63");
    keel_format_cpus(0x5555555555555555ull, buf, 8);                   /* cut, still a string */
    assert_true(strlen(buf) < 8);
}

static const struct keel_physinfo phys = {
    .abi_version = 3, .nr_cpus = 2, .dom0_cpus = 1, .total_bytes = 3071ull << 20,
    .dom0_bytes = 1024ull << 20, .hv_bytes = 13ull << 20, .free_bytes = 2017ull << 20,
    .tsc_khz = 2595954, .version = "0.1", .backend = "svm",
};

static void test_human(void **state)
{
    struct keel_domain_info d[2] = {
        { .domid = 0, .state = 1, .nr_vcpus = 1, .mem_bytes = 1024ull << 20, .cpu_ns = 10300000000,
          .name = "dom0" },
        { .domid = 7, .state = 2, .nr_vcpus = 2, .mem_bytes = 256ull << 20, .name = "web" },
    };
    const char *s = render(&phys, d, 2, false);

    assert_non_null(strstr(s, "hypervisor: Keel 0.1 (ABI 3, AMD-V)\n"));
    assert_non_null(strstr(s, "cpus:       2 online"));
    assert_non_null(strstr(s, "dom0 cpus:  0\n"));
    assert_non_null(strstr(s, "3071 MiB total, dom0 1024 MiB, hypervisor 13 MiB, free 2017 MiB"));
    assert_non_null(strstr(s, "    0  dom0                 running       1        1024      10.3\n"));
    assert_non_null(strstr(s, "    7  web                  paused        2         256       0.0\n"));
}

static void test_json_escapes_names(void **state)
{
    struct keel_domain_info d = { .domid = 3, .state = 9, .name = "a\"b\\c\x01" };
    const char *s = render(&phys, &d, 1, true);

    assert_non_null(strstr(s, "\"name\": \"a\\\"b\\\\c\\u0001\""));
    assert_non_null(strstr(s, "\"state\": \"?\""));
    assert_non_null(strstr(s, "\"dom0\": [0]"));
    assert_non_null(strstr(s, "\"backend\": \"svm\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_lists),
        cmocka_unit_test(test_human),
        cmocka_unit_test(test_json_escapes_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
