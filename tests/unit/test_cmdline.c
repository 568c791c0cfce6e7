/*
 * Unit tests for the command-line parser and the hypervisor's options (hv/cmdline.c). Every
 * options_parse test starts from the options as they are before boot parses anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/cmdline.c"

static struct keel_options opts_initial;

static int reset_opts(void **state)
{
    opts = opts_initial;
    return 0;
}

/* --- cmdline_find ----------------------------------------------------------------------------- */

static void check_value(const char *cmdline, const char *key, const char *want)
{
    const char *v = NULL;
    size_t len = 12345;

    assert_true(cmdline_find(cmdline, key, &v, &len));
    assert_non_null(v);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
}

static void check_absent(const char *cmdline, const char *key)
{
    const char *v = (const char *)&v;
    size_t len = 12345;

    assert_false(cmdline_find(cmdline, key, &v, &len));
    /* A miss leaves the outputs alone. */
    assert_ptr_equal(v, (const char *)&v);
    assert_int_equal(len, 12345);
}

static void test_find_bare_key(void **state)
{
    check_value("bootdump", "bootdump", "");
    check_value("a bootdump b", "bootdump", "");
    check_value("console=com1 bootdump", "bootdump", "");
    check_absent("console=com1 bootdump", "boot");
}

static void test_find_key_value(void **state)
{
    const char *cl = "console=com1,115200 loglvl=debug test_exit=qemu";

    check_value(cl, "console", "com1,115200");
    check_value(cl, "loglvl", "debug");
    check_value(cl, "test_exit", "qemu");
    check_absent(cl, "crash");
}

static void test_find_value_points_into_cmdline(void **state)
{
    const char *cl = "a=1 key=value b";
    const char *v;
    size_t len;

    assert_true(cmdline_find(cl, "key", &v, &len));
    assert_ptr_equal(v, cl + 8);
    assert_int_equal(len, 5);
}

static void test_find_value_containing_equals(void **state)
{
    check_value("a=b=c", "a", "b=c");
    check_absent("a=b=c", "b");
}

static void test_find_quoted(void **state)
{
    const char *cl = "name=\"a b  c\" x=1";

    check_value(cl, "name", "a b  c");
    check_value(cl, "x", "1");
    check_value("q=\"x=y\"", "q", "x=y");
    check_value("q=\"\" r=2", "q", "");
    check_value("q=\"\" r=2", "r", "2");
}

/* GRUB passes an argument with spaces as one quoted word: "key=value with spaces". */
static void test_find_whole_word_quoted(void **state)
{
    const char *cl = "guest mb mem=16M \"cmdline=mb-test one=1 two=2\" vcpus=1";

    check_value(cl, "cmdline", "mb-test one=1 two=2");
    check_value(cl, "mem", "16M");
    check_value(cl, "vcpus", "1");
    check_absent(cl, "one");
    check_absent(cl, "two");
    check_value("\"flag\" x=1", "flag", "");
    check_value("x=1 \"y=unterminated", "y", "unterminated");
    check_value("\"a=\" b=2", "a", "");
    check_value("\"a=\" b=2", "b", "2");
}

static void test_find_quoted_hides_words(void **state)
{
    /* Words inside a quoted value, or a value that looks like a key, are not keys. */
    check_absent("x=\"y console=none\"", "console");
    check_absent("x=console", "console");
    check_value("x=\"y console=none\" console=com2", "console", "com2");
}

static void test_find_last_wins(void **state)
{
    check_value("loglvl=err loglvl=debug", "loglvl", "debug");
    check_value("loglvl=err x=1 loglvl=warn y", "loglvl", "warn");
    check_value("crash=pf crash", "crash", "");
    check_value("crash crash=ud", "crash", "ud");
    check_value("n=\"one two\" n=\"three\"", "n", "three");
}

static void test_find_prefix_keys(void **state)
{
    check_absent("console=com2", "con");
    check_absent("con=1", "console");
    check_absent("consoles=1", "console");
    check_absent("console=com2", "consolex");
    check_value("con=x console=y", "con", "x");
    check_value("con=x console=y", "console", "y");
    check_value("console=y con=x", "console", "y");
    check_value("console=y con=x", "con", "x");
}

static void test_find_whitespace(void **state)
{
    const char *cl = "\t a=1\tb=2\nc=3\r\nd \n";

    check_value(cl, "a", "1");
    check_value(cl, "b", "2");
    check_value(cl, "c", "3");
    check_value(cl, "d", "");
    check_absent(cl, "e");
    check_value("x=1\ty=2", "x", "1");
}

static void test_find_empty(void **state)
{
    check_absent("", "console");
    check_absent(" ", "console");
    check_absent("\t\n\r ", "console");
}

static void test_find_trailing_equals(void **state)
{
    check_value("a=", "a", "");
    check_value("a= b", "a", "");
    check_value("a= b", "b", "");
    check_value("x=1 a=", "a", "");
}

static void test_find_unterminated_quote(void **state)
{
    check_value("a=\"x y", "a", "x y");
    /* The quote runs to the end, swallowing what would have been further words. */
    check_value("a=\"x y b=1", "a", "x y b=1");
    check_absent("a=\"x y b=1", "b");
    check_value("a=\"", "a", "");
}

/* --- cmdline_get ------------------------------------------------------------------------------ */

static void test_get_copies(void **state)
{
    char buf[32];

    memset(buf, 'X', sizeof(buf));
    assert_true(cmdline_get("crash=pf bootdump", "crash", buf, sizeof(buf)));
    assert_string_equal(buf, "pf");
    assert_true(cmdline_get("name=\"a b\"", "name", buf, sizeof(buf)));
    assert_string_equal(buf, "a b");
    assert_true(cmdline_get("crash=pf bootdump", "bootdump", buf, sizeof(buf)));
    assert_string_equal(buf, "");
}

static void test_get_truncates(void **state)
{
    char buf[16];

    memset(buf, 'X', sizeof(buf));
    assert_true(cmdline_get("crash=abcdefghij", "crash", buf, 8));
    assert_string_equal(buf, "abcdefg");
    assert_int_equal(buf[8], 'X');

    memset(buf, 'X', sizeof(buf));
    assert_true(cmdline_get("crash=abcdefg", "crash", buf, 8));
    assert_string_equal(buf, "abcdefg");
    assert_int_equal(buf[8], 'X');
}

static void test_get_size_one(void **state)
{
    char buf[4] = { 'X', 'X', 'X', 'X' };

    assert_true(cmdline_get("crash=pf", "crash", buf, 1));
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'X');
}

static void test_get_size_zero(void **state)
{
    char buf[4] = { 'X', 'X', 'X', 'X' };

    assert_true(cmdline_get("crash=pf", "crash", buf, 0));
    assert_int_equal(buf[0], 'X');
}

static void test_get_absent(void **state)
{
    char buf[8] = { 'X', 'X', 'X', 'X', 'X', 'X', 'X', 'X' };

    assert_false(cmdline_get("crashx=pf cras=ud", "crash", buf, sizeof(buf)));
    assert_int_equal(buf[0], 'X');
    assert_false(cmdline_get("", "crash", buf, sizeof(buf)));
    assert_int_equal(buf[0], 'X');
}

/* --- cmdline_parse_u64 ------------------------------------------------------------------------ */

static int parse(const char *s, uint64_t *out)
{
    return cmdline_parse_u64(s, strlen(s), out);
}

static void check_u64(const char *s, uint64_t want)
{
    uint64_t v = 0xdeadbeef;

    assert_int_equal(parse(s, &v), 0);
    assert_int_equal(v, want);
}

static void check_u64_err(const char *s, int err)
{
    uint64_t v = 0xdeadbeef;

    assert_int_equal(parse(s, &v), err);
    assert_int_equal(v, 0xdeadbeef);
}

static void test_u64_decimal(void **state)
{
    check_u64("0", 0);
    check_u64("7", 7);
    check_u64("115200", 115200);
    check_u64("0010", 10);          /* a leading zero is not octal */
    check_u64("18446744073709551615", UINT64_MAX);
}

static void test_u64_hex(void **state)
{
    check_u64("0x0", 0);
    check_u64("0x3f8", 0x3f8);
    check_u64("0X3F8", 0x3f8);
    check_u64("0xDeadBeef", 0xdeadbeef);
    check_u64("0xffffffffffffffff", UINT64_MAX);
    check_u64("0x00000000000000000001", 1);
}

static void test_u64_suffixes(void **state)
{
    check_u64("4K", KiB(4));
    check_u64("4k", KiB(4));
    check_u64("16M", MiB(16));
    check_u64("16m", MiB(16));
    check_u64("1G", GiB(1));
    check_u64("3g", GiB(3));
    check_u64("0K", 0);
    check_u64("0x10M", MiB(16));
    check_u64("0x1g", GiB(1));
    check_u64("17179869183G", ((1ull << 34) - 1) << 30);
}

static void test_u64_overflow(void **state)
{
    check_u64_err("18446744073709551616", -ERANGE);
    check_u64_err("99999999999999999999", -ERANGE);
    check_u64_err("0x10000000000000000", -ERANGE);
    check_u64_err("17179869184G", -ERANGE);
    check_u64_err("18014398509481984K", -ERANGE);
    check_u64_err("0x100000000000M", -ERANGE);
}

static void test_u64_garbage(void **state)
{
    check_u64_err("abc", -EINVAL);
    check_u64_err("12x", -EINVAL);
    check_u64_err("1KB", -EINVAL);
    check_u64_err("1T", -EINVAL);
    check_u64_err("K", -EINVAL);
    check_u64_err("-1", -EINVAL);
    check_u64_err("+1", -EINVAL);
    check_u64_err(" 1", -EINVAL);
    check_u64_err("1 ", -EINVAL);
    check_u64_err("1.5G", -EINVAL);
    check_u64_err("0x12g3", -EINVAL);
    check_u64_err("0b101", -EINVAL);
}

static void test_u64_empty_and_bare_prefix(void **state)
{
    check_u64_err("0xK", -EINVAL);                  /* a suffix needs digits before it */
    check_u64_err("0xg", -EINVAL);
    check_u64_err("M", -EINVAL);
    uint64_t v = 0xdeadbeef;

    check_u64_err("", -EINVAL);
    check_u64_err("0x", -EINVAL);
    check_u64_err("0X", -EINVAL);
    assert_int_equal(cmdline_parse_u64("0x1", 2, &v), -EINVAL);
    assert_int_equal(cmdline_parse_u64("5", 0, &v), -EINVAL);
    assert_int_equal(v, 0xdeadbeef);
}

static void test_u64_respects_len(void **state)
{
    uint64_t v;

    assert_int_equal(cmdline_parse_u64("123abc", 3, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(cmdline_parse_u64("4K,9600", 2, &v), 0);
    assert_int_equal(v, KiB(4));
    assert_int_equal(cmdline_parse_u64("0x1fz", 4, &v), 0);
    assert_int_equal(v, 0x1f);
}

/* --- options_parse ---------------------------------------------------------------------------- */

static void test_opts_initial(void **state)
{
    assert_int_equal(opts.console_port, 0x3f8);
    assert_int_equal(opts.console_baud, 115200);
    assert_int_equal(opts.loglvl, LOG_INFO);
    assert_int_equal(opts.test_exit, TEST_EXIT_NONE);
    assert_string_equal(opts.crash, "");
    assert_false(opts.bootdump);
}

static void test_opts_empty_keeps_defaults(void **state)
{
    options_parse("");
    assert_memory_equal(&opts, &opts_initial, sizeof(opts));
    options_parse("unknown=1 other");
    assert_memory_equal(&opts, &opts_initial, sizeof(opts));
}

static void test_opts_dom0(void **state)
{
    assert_int_equal(opts.dom0_mem, GiB(1));
    assert_int_equal(opts.dom0_vcpus, 1);
    options_parse("dom0_mem=512M dom0_vcpus=2");
    assert_int_equal(opts.dom0_mem, MiB(512));
    assert_int_equal(opts.dom0_vcpus, 2);
    options_parse("dom0_mem=65M");               /* rounded up to 2 MiB */
    assert_int_equal(opts.dom0_mem, MiB(66));
    options_parse("dom0_mem=1M dom0_vcpus=0");   /* out of range: kept, with a warning */
    assert_int_equal(opts.dom0_mem, MiB(66));
    assert_int_equal(opts.dom0_vcpus, 2);
    options_parse("dom0_mem=lots dom0_vcpus=65");
    assert_int_equal(opts.dom0_mem, MiB(66));
    assert_int_equal(opts.dom0_vcpus, 2);
}

static void test_opts_console_ports(void **state)
{
    options_parse("console=com2");
    assert_int_equal(opts.console_port, 0x2f8);
    assert_int_equal(opts.console_baud, 115200);
    options_parse("console=com1");
    assert_int_equal(opts.console_port, 0x3f8);
    options_parse("console=none");
    assert_int_equal(opts.console_port, 0);
    assert_int_equal(opts.console_baud, 115200);
}

static void test_opts_console_baud(void **state)
{
    options_parse("console=com2,9600");
    assert_int_equal(opts.console_port, 0x2f8);
    assert_int_equal(opts.console_baud, 9600);
    options_parse("console=com1,115200");
    assert_int_equal(opts.console_port, 0x3f8);
    assert_int_equal(opts.console_baud, 115200);
    options_parse("console=com1,57600");
    assert_int_equal(opts.console_baud, 57600);
    options_parse("console=com1,2");           /* the slowest whose divisor fits in 16 bits */
    assert_int_equal(opts.console_baud, 2);
}

static void check_bad_baud(const char *cmdline, uint16_t port)
{
    opts = opts_initial;
    options_parse(cmdline);
    assert_int_equal(opts.console_port, port);
    assert_int_equal(opts.console_baud, opts_initial.console_baud);
}

static void test_opts_console_bad_baud(void **state)
{
    check_bad_baud("console=com2,0", 0x2f8);
    check_bad_baud("console=com2,12345", 0x2f8);   /* not a divisor of 115200 */
    check_bad_baud("console=com2,230400", 0x2f8);  /* faster than the UART can go */
    check_bad_baud("console=com2,fast", 0x2f8);
    check_bad_baud("console=com2,", 0x2f8);
    check_bad_baud("console=com2,9600x", 0x2f8);
    check_bad_baud("console=com1,18446744073709551616", 0x3f8);
    check_bad_baud("console=com1,1", 0x3f8);       /* divisor 115200 does not fit 16 bits */
}

static void test_opts_console_bad_port(void **state)
{
    options_parse("console=com3");
    assert_int_equal(opts.console_port, 0x3f8);
    options_parse("console=com");
    assert_int_equal(opts.console_port, 0x3f8);
    options_parse("console=com12");
    assert_int_equal(opts.console_port, 0x3f8);
    options_parse("console=");
    assert_int_equal(opts.console_port, 0x3f8);
    options_parse("console");
    assert_int_equal(opts.console_port, 0x3f8);
    assert_int_equal(opts.console_baud, 115200);
    options_parse("console=com3,9600");              /* a bad port discards the whole option */
    assert_int_equal(opts.console_baud, 115200);
}

static void test_opts_loglvl(void **state)
{
    static const char *const names[] = { "err", "warn", "info", "debug" };
    static const char *const digits[] = { "0", "1", "2", "3" };
    char cl[32];

    for (int i = 0; i < 4; i++) {
        opts.loglvl = -1;
        snprintf(cl, sizeof(cl), "loglvl=%s", names[i]);
        options_parse(cl);
        assert_int_equal(opts.loglvl, i);
        opts.loglvl = -1;
        snprintf(cl, sizeof(cl), "loglvl=%s", digits[i]);
        options_parse(cl);
        assert_int_equal(opts.loglvl, i);
    }
    assert_int_equal(LOG_ERR, 0);
    assert_int_equal(LOG_DEBUG, 3);
}

static void test_opts_loglvl_bad(void **state)
{
    static const char *const bad[] = {
        "loglvl=4", "loglvl=10", "loglvl=verbose", "loglvl=DEBUG", "loglvl=", "loglvl",
        "loglvl=de", "loglvl=debugx", "loglvl=-1",
    };

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        opts = opts_initial;
        options_parse(bad[i]);
        assert_int_equal(opts.loglvl, LOG_INFO);
    }
}

static void test_opts_test_exit(void **state)
{
    options_parse("test_exit=qemu");
    assert_int_equal(opts.test_exit, TEST_EXIT_QEMU);
    options_parse("test_exit=bochs");
    assert_int_equal(opts.test_exit, TEST_EXIT_BOCHS);
    opts = opts_initial;
    options_parse("test_exit=xen");
    assert_int_equal(opts.test_exit, TEST_EXIT_NONE);
    options_parse("test_exit=qemux");
    assert_int_equal(opts.test_exit, TEST_EXIT_NONE);
    options_parse("test_exit");
    assert_int_equal(opts.test_exit, TEST_EXIT_NONE);
}

static void test_opts_crash(void **state)
{
    options_parse("crash=pf");
    assert_string_equal(opts.crash, "pf");
    options_parse("crash=ud");
    assert_string_equal(opts.crash, "ud");
}

static void test_opts_crash_truncated(void **state)
{
    options_parse("crash=abcdefghijklmnop");
    assert_int_equal(sizeof(opts.crash), 8);
    assert_string_equal(opts.crash, "abcdefg");
    /* The field that follows crash is untouched. */
    assert_false(opts.bootdump);
}

static void test_opts_bootdump(void **state)
{
    options_parse("console=com1 bootdump");
    assert_true(opts.bootdump);
    options_parse("console=com1");
    assert_false(opts.bootdump);
    options_parse("bootdumps");
    assert_false(opts.bootdump);
}

static void test_opts_boot_cmdlines(void **state)
{
    /* What the test ISOs boot with. */
    options_parse("console=com1,115200 loglvl=debug test_exit=qemu bootdump");
    assert_int_equal(opts.console_port, 0x3f8);
    assert_int_equal(opts.console_baud, 115200);
    assert_int_equal(opts.loglvl, LOG_DEBUG);
    assert_int_equal(opts.test_exit, TEST_EXIT_QEMU);
    assert_string_equal(opts.crash, "");
    assert_true(opts.bootdump);

    opts = opts_initial;
    options_parse("console=com1,115200 loglvl=info test_exit=qemu crash=pf");
    assert_int_equal(opts.loglvl, LOG_INFO);
    assert_int_equal(opts.test_exit, TEST_EXIT_QEMU);
    assert_string_equal(opts.crash, "pf");
    assert_false(opts.bootdump);

    opts = opts_initial;
    options_parse("console=com2,38400 loglvl=warn test_exit=bochs");
    assert_int_equal(opts.console_port, 0x2f8);
    assert_int_equal(opts.console_baud, 38400);
    assert_int_equal(opts.loglvl, LOG_WARN);
    assert_int_equal(opts.test_exit, TEST_EXIT_BOCHS);
}

/* --- cmdline_parse_cpus ----------------------------------------------------------------------- */

static int cpus(const char *s, uint64_t *m)
{
    return cmdline_parse_cpus(s, strlen(s), m);
}

static void test_cpus_lists(void **state)
{
    uint64_t m = 0;

    (void)state;
    assert_int_equal(cpus("0", &m), 0);
    assert_int_equal(m, 0x1);
    assert_int_equal(cpus("1,3", &m), 0);
    assert_int_equal(m, 0xa);
    assert_int_equal(cpus("0-2,5", &m), 0);
    assert_int_equal(m, 0x27);
    assert_int_equal(cpus("63", &m), 0);
    assert_true(m == 1ULL << 63);
    assert_int_equal(cpus("0-63", &m), 0);
    assert_true(m == ~0ULL);
    assert_int_equal(cpus("2-2,2", &m), 0);
    assert_int_equal(m, 0x4);
}

static void test_cpus_malformed(void **state)
{
    static const char *const bad[] = { "", ",", "1,", ",1", "1-", "-1", "3-1", "a", "1;2", "1 2",
                                       "1--2", "0x1" };
    uint64_t m = 0x55;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cpus(bad[i], &m), -EINVAL);
    assert_int_equal(cpus("64", &m), -ERANGE);
    assert_int_equal(cpus("0-64", &m), -ERANGE);
    assert_int_equal(cpus("1000", &m), -ERANGE);
    assert_int_equal(cpus("00000001", &m), -ERANGE);
    assert_int_equal(m, 0x55);              /* untouched on error */
    assert_int_equal(cmdline_parse_cpus("1,2", 1, &m), 0);     /* len is respected */
    assert_int_equal(m, 0x2);
}

#define T(fn) cmocka_unit_test_setup(fn, reset_opts)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_find_bare_key),
        T(test_find_key_value),
        T(test_find_value_points_into_cmdline),
        T(test_find_value_containing_equals),
        T(test_find_quoted),
        T(test_find_quoted_hides_words),
        T(test_find_whole_word_quoted),
        T(test_find_last_wins),
        T(test_find_prefix_keys),
        T(test_find_whitespace),
        T(test_find_empty),
        T(test_find_trailing_equals),
        T(test_find_unterminated_quote),
        T(test_get_copies),
        T(test_get_truncates),
        T(test_get_size_one),
        T(test_get_size_zero),
        T(test_get_absent),
        T(test_u64_decimal),
        T(test_u64_hex),
        T(test_u64_suffixes),
        T(test_u64_overflow),
        T(test_u64_garbage),
        T(test_u64_empty_and_bare_prefix),
        T(test_u64_respects_len),
        T(test_cpus_lists),
        T(test_cpus_malformed),
        T(test_opts_initial),
        T(test_opts_empty_keeps_defaults),
        T(test_opts_dom0),
        T(test_opts_console_ports),
        T(test_opts_console_baud),
        T(test_opts_console_bad_baud),
        T(test_opts_console_bad_port),
        T(test_opts_loglvl),
        T(test_opts_loglvl_bad),
        T(test_opts_test_exit),
        T(test_opts_crash),
        T(test_opts_crash_truncated),
        T(test_opts_bootdump),
        T(test_opts_boot_cmdlines),
    };

    opts_initial = opts;
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
