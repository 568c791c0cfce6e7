/*
 * Unit tests for hv/lib/vsnprintf.c. Most cases are compared with the host C library's snprintf,
 * which has the same C99 semantics for the supported subset. The hypervisor's functions are
 * renamed keel_* while included, so libc (and cmocka, which uses it) keep their own; shim.h's
 * panic() then formats with keel_vsnprintf.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define vsnprintf keel_vsnprintf
#define snprintf keel_snprintf
#include "shim.h"
#include "../../hv/lib/vsnprintf.c"
#undef vsnprintf
#undef snprintf

#define GUARD 0xa5

static unsigned long cases_compared;

static void check_va(const char *fmt, va_list ap)
{
    char want[512], got[512];
    va_list ap2;
    int wn, gn;

    va_copy(ap2, ap);
    wn = vsnprintf(want, sizeof(want), fmt, ap);
    memset(got, GUARD, sizeof(got));
    gn = keel_vsnprintf(got, sizeof(got), fmt, ap2);
    va_end(ap2);
    assert_in_range(wn, 0, sizeof(want) - 1);
    /* memcmp, not strcmp: %c may put a NUL inside the output. */
    if (gn != wn || memcmp(want, got, (size_t)wn + 1) != 0)
        fail_msg("format \"%s\": libc gives %d \"%s\", keel gives %d \"%s\"", fmt, wn, want, gn,
                 got);
    cases_compared++;
}

static void check(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    check_va(fmt, ap);
    va_end(ap);
}

/* keel_snprintf without a format attribute, for formats the compiler would rightly reject. */
static int keel_unchecked(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = keel_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Calls check() with the value as type T, after the * arguments the format asks for. */
#define CHECK_AS(T)                                                                              \
    do {                                                                                         \
        if (star_w && star_p)                                                                    \
            check(fmt, sw, sp, (T)v);                                                            \
        else if (star_w)                                                                         \
            check(fmt, sw, (T)v);                                                                \
        else if (star_p)                                                                         \
            check(fmt, sp, (T)v);                                                                \
        else                                                                                     \
            check(fmt, (T)v);                                                                    \
    } while (0)

#define CHECK_AS_SIGNED_OR(S, U)                                                                 \
    do {                                                                                         \
        if (is_signed)                                                                           \
            CHECK_AS(S);                                                                         \
        else                                                                                     \
            CHECK_AS(U);                                                                         \
    } while (0)

/* hh and h arguments are passed as int: the callee converts them, which is also under test. */
static void check_integer(const char *fmt, const char *len, bool is_signed, bool star_w, int sw,
                          bool star_p, int sp, int64_t v)
{
    if (!strcmp(len, "l"))
        CHECK_AS_SIGNED_OR(long, unsigned long);
    else if (!strcmp(len, "ll"))
        CHECK_AS_SIGNED_OR(long long, unsigned long long);
    else if (!strcmp(len, "z") || !strcmp(len, "t"))
        CHECK_AS_SIGNED_OR(ptrdiff_t, size_t);
    else if (!strcmp(len, "j"))
        CHECK_AS_SIGNED_OR(intmax_t, uintmax_t);
    else
        CHECK_AS_SIGNED_OR(int, unsigned int);
}

static const int64_t int_values[] = {
    0, 1, -1, 7, 8, 42, -42, 127, -128, 255, 256, 300, 32767, -32768, 65535, 70000,
    INT32_MAX, INT32_MIN, UINT32_MAX, 0x123456789abcdefll, INT64_MAX, INT64_MIN,
};

struct star { const char *text; bool star; int values[3]; size_t count; };

static const struct star widths[] = {
    { "", false, { 0 }, 1 }, { "1", false, { 0 }, 1 }, { "5", false, { 0 }, 1 },
    { "25", false, { 0 }, 1 }, { "*", true, { 7, -7, 0 }, 3 },
};

static const struct star precisions[] = {
    { "", false, { 0 }, 1 }, { ".", false, { 0 }, 1 }, { ".0", false, { 0 }, 1 },
    { ".1", false, { 0 }, 1 }, { ".5", false, { 0 }, 1 }, { ".25", false, { 0 }, 1 },
    { ".*", true, { 3, -1, 0 }, 3 },
};

static void check_all_values(const char *fmt, const char *len, char conv, const struct star *w,
                             const struct star *p)
{
    bool is_signed = conv == 'd' || conv == 'i';

    for (size_t wi = 0; wi < w->count; wi++)
        for (size_t pi = 0; pi < p->count; pi++)
            for (size_t v = 0; v < ARRAY_SIZE(int_values); v++)
                check_integer(fmt, len, is_signed, w->star, w->values[wi], p->star,
                              p->values[pi], int_values[v]);
}

/* Every combination of flags, width, precision, length modifier and integer conversion. */
static void test_integers_match_libc(void **state)
{
    static const char flag_chars[] = "-0+ #";
    static const char *const lengths[] = { "", "hh", "h", "l", "ll", "z", "t", "j" };
    static const char convs[] = "diuxXo";
    char flags[8], fmt[32];

    for (unsigned int mask = 0; mask < 32; mask++) {
        size_t nf = 0;
        for (size_t i = 0; i < 5; i++)
            if (mask & (1u << i))
                flags[nf++] = flag_chars[i];
        flags[nf] = '\0';
        for (const char *c = convs; *c; c++) {
            /* # is undefined for d, i and u. */
            if ((mask & 0x10) && (*c == 'd' || *c == 'i' || *c == 'u'))
                continue;
            for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
                for (size_t p = 0; p < ARRAY_SIZE(precisions); p++)
                    for (size_t l = 0; l < ARRAY_SIZE(lengths); l++) {
                        sprintf(fmt, "<%%%s%s%s%s%c>", flags, widths[w].text, precisions[p].text,
                                lengths[l], *c);
                        check_all_values(fmt, lengths[l], *c, &widths[w], &precisions[p]);
                    }
        }
    }
    print_message("%lu integer cases compared with libc\n", cases_compared);
}

static void test_strings_and_chars_match_libc(void **state)
{
    static const char *const strs[] = { "", "a", "hello", "a longer string of text" };
    static const char *const specs[] = {
        "%s", "%10s", "%-10s", "%.0s", "%.3s", "%10.3s", "%-10.3s", "%.30s", "%1s", "%-1s",
    };
    char fmt[32];

    for (size_t s = 0; s < ARRAY_SIZE(strs); s++) {
        for (size_t f = 0; f < ARRAY_SIZE(specs); f++) {
            sprintf(fmt, "[%s]", specs[f]);
            check(fmt, strs[s]);
        }
        check("[%*s]", 12, strs[s]);
        check("[%*s]", -12, strs[s]);
        check("[%.*s]", 2, strs[s]);
        check("[%.*s]", -2, strs[s]);
        check("[%*.*s]", 9, 4, strs[s]);
    }
    check("%c", 'x');
    check("%5c|%-5c|%1c", 'a', 'b', 'c');
    check("%c%c%c", 'a', 0, 'b');
    check("%c", 0x1e9);
    check("%*c", -4, 'q');
    check("%%");
    check("100%% of %d%%", 42);
    check("");
    check("plain text, no conversions");
    check("%d %s %x %c %o %u %%", -5, "mixed", 0xbeefu, 'z', 8u, 3000000000u);
    check("%hhd %hhu %hd %hu", 200, 200, 40000, 40000);
    check("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
    check("%zu %zx %td %jd %ju", (size_t)SIZE_MAX, (size_t)0x1234, (ptrdiff_t)-77,
          (intmax_t)INTMAX_MIN, (uintmax_t)UINTMAX_MAX);
}

static void expect_format(const char *want, const char *fmt, ...)
{
    char got[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = keel_vsnprintf(got, sizeof(got), fmt, ap);
    va_end(ap);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want));
}

/* The corner cases of C99 that are easy to get wrong, spelled out (libc agrees with all). */
static void test_corner_cases(void **state)
{
    expect_format("-9223372036854775808", "%lld", (long long)INT64_MIN);
    expect_format("-9223372036854775808", "%jd", INTMAX_MIN);
    expect_format("-9223372036854775808", "%ld", (long)INT64_MIN);
    expect_format("-2147483648", "%d", INT32_MIN);
    expect_format("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
    expect_format("1777777777777777777777", "%llo", (unsigned long long)UINT64_MAX);
    expect_format("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
    expect_format("", "%.0d", 0);
    expect_format("", "%.0x", 0);
    expect_format("     ", "%5.0d", 0);
    expect_format("+", "%+.0d", 0);
    expect_format(" ", "% .0d", 0);
    expect_format("0", "%#.0o", 0);
    expect_format("0", "%#o", 0);
    expect_format("010", "%#o", 8);
    expect_format("00010", "%#.5o", 8);
    expect_format("0", "%#x", 0);
    expect_format("0x1f", "%#x", 31);
    expect_format("0X1F", "%#X", 31);
    expect_format("0x0001f", "%#.5x", 31);
    expect_format("0x0000001f", "%#010x", 31);
    expect_format("-0000042", "%08d", -42);
    expect_format("  -00042", "%08.5d", -42);
    expect_format("-42     ", "%-08d", -42);
    expect_format("+42", "%+d", 42);
    expect_format("+42", "%+ d", 42);
    expect_format(" 42", "% d", 42);
    expect_format("42", "%+u", 42u);
    expect_format("-1", "%hhd", 255);
    expect_format("44", "%hhu", 300);
    expect_format("-25536", "%hd", 40000);
}

/* Every buffer size from 0 to past the full length: the same prefix, always terminated, and not
 * one byte written past size (checked by the guard bytes and by the sanitizer on an exact
 * allocation). */
static void check_truncation(const char *fmt, ...)
{
    char full[256], guarded[300];
    va_list ap, ap2;
    int n;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(full, sizeof(full), fmt, ap2);
    va_end(ap2);
    assert_in_range(n, 0, sizeof(full) - 1);
    for (size_t size = 0; size <= (size_t)n + 2; size++) {
        char *exact = malloc(size ? size : 1);

        memset(guarded, GUARD, sizeof(guarded));
        va_copy(ap2, ap);
        assert_int_equal(keel_vsnprintf(guarded, size, fmt, ap2), n);
        va_end(ap2);
        for (size_t i = size; i < sizeof(guarded); i++)
            assert_int_equal((unsigned char)guarded[i], GUARD);
        if (size) {
            size_t kept = MIN((size_t)n, size - 1);
            assert_memory_equal(guarded, full, kept);
            assert_int_equal(guarded[kept], '\0');
        }
        va_copy(ap2, ap);
        assert_int_equal(keel_vsnprintf(size ? exact : NULL, size, fmt, ap2), n);
        va_end(ap2);
        if (size)
            assert_string_equal(exact, guarded);
        free(exact);
    }
    va_end(ap);
}

static void test_truncation(void **state)
{
    check_truncation("");
    check_truncation("x");
    check_truncation("hello, world");
    check_truncation("%d", -123456);
    check_truncation("%-12s|", "left");
    check_truncation("%12s|", "right");
    check_truncation("[%#018llx]", 0xdeadbeefull);
    check_truncation("%s=%d (%x) %c%%", "answer", 42, 42u, '!');
    check_truncation("%.3s%08.3d%+5d", "truncated", 7, 9);
}

static void test_size_zero(void **state)
{
    char c = 'q';

    assert_int_equal(keel_snprintf(NULL, 0, "%d", 12345), 5);
    assert_int_equal(keel_snprintf(&c, 0, "%s", "abc"), 3);
    assert_int_equal(c, 'q');
    assert_int_equal(keel_snprintf(&c, 1, "%s", "abc"), 3);
    assert_int_equal(c, '\0');
}

static void test_pointer(void **state)
{
    expect_format("0x0000000000000000", "%p", NULL);
    expect_format("0x0000000000001234", "%p", (void *)0x1234);
    expect_format("0xffffffff8000abcd", "%p", (void *)0xffffffff8000abcdull);
    expect_format("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
    expect_format("  0x00000000000000ff|", "%20p|", (void *)0xff);
    expect_format("0x00000000000000ff  |", "%-20p|", (void *)0xff);
    expect_format("0x00000000000000ff|", "%5p|", (void *)0xff);
    expect_format("[0x0000000000000010 0x0000000000000020]", "[%p %p]", (void *)16, (void *)32);
}

static void test_null_string(void **state)
{
    const char *volatile null = NULL;

    expect_format("(null)", "%s", null);
    expect_format("  (null)", "%8s", null);
    expect_format("(null)  |", "%-8s|", null);
    expect_format("(nu", "%.3s", null);
}

static void expect_unchecked(const char *want, int want_n, const char *got, int n)
{
    assert_string_equal(got, want);
    assert_int_equal(n, want_n);
}

/* Conversions outside the supported set appear as written and consume no argument. */
static void test_unsupported_conversions(void **state)
{
    char buf[64];
    int n;

    n = keel_unchecked(buf, sizeof(buf), "%f", 1.5);
    expect_unchecked("%f", 2, buf, n);
    n = keel_unchecked(buf, sizeof(buf), "a%5.2fb %d", 1.5, 7);
    expect_unchecked("a%5.2fb 7", 9, buf, n);
    n = keel_unchecked(buf, sizeof(buf), "%lf %e %g %a %d", 1.0, 2.0, 3.0, 4.0, 3);
    expect_unchecked("%lf %e %g %a 3", 14, buf, n);
    n = keel_unchecked(buf, sizeof(buf), "%n%d", 5);
    expect_unchecked("%n5", 3, buf, n);
    n = keel_unchecked(buf, sizeof(buf), "%Lf|%q|%w", 1.0);
    expect_unchecked("%Lf|%q|%w", 9, buf, n);
    n = keel_unchecked(buf, sizeof(buf), "%s %ls %lc %hp", "wide");
    expect_unchecked("wide %ls %lc %hp", 16, buf, n);
    /* Flags and width on %% are meaningless; the % alone is printed. */
    n = keel_unchecked(buf, sizeof(buf), "%5%|%-%");
    expect_unchecked("%|%", 3, buf, n);
    /* A '%' that ends the format, alone or after flags and width. */
    n = keel_unchecked(buf, sizeof(buf), "100%");
    expect_unchecked("100%", 4, buf, n);
    n = keel_unchecked(buf, sizeof(buf), "x%-08.3l");
    expect_unchecked("x%-08.3l", 8, buf, n);
    /* Truncation applies to the literal text too. */
    n = keel_unchecked(buf, 3, "%5.2f");
    expect_unchecked("%5", 5, buf, n);
}

static void test_huge_widths(void **state)
{
    char buf[8];
    int n;

    /* -INT_MIN does not fit an int; the width saturates and the field is left-justified. */
    n = keel_unchecked(buf, sizeof(buf), "%*d", INT32_MIN, 5);
    assert_int_equal(n, INT32_MAX);
    assert_string_equal(buf, "5      ");
    n = keel_unchecked(buf, sizeof(buf), "%99999999999d", 5);
    assert_int_equal(n, INT32_MAX);
    assert_string_equal(buf, "       ");
    n = keel_unchecked(buf, sizeof(buf), "%.99999999999d", 5);
    assert_int_equal(n, INT32_MAX);
    assert_string_equal(buf, "0000000");
    /* C99: a length that does not fit in an int is an error, reported as a negative result. */
    n = keel_unchecked(buf, sizeof(buf), "%*d%d", INT32_MAX, 5, 6);
    assert_true(n < 0);
    assert_string_equal(buf, "       ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_match_libc),
        cmocka_unit_test(test_strings_and_chars_match_libc),
        cmocka_unit_test(test_corner_cases),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_size_zero),
        cmocka_unit_test(test_pointer),
        cmocka_unit_test(test_null_string),
        cmocka_unit_test(test_unsupported_conversions),
        cmocka_unit_test(test_huge_widths),
    };

    return cmocka_run_group_tests_name("vsnprintf", tests, NULL, NULL);
}
