/*
 * Unit tests for hv/lib/string.c, checked against the host C library. The hypervisor's functions
 * are renamed keel_* while included, so libc (and cmocka, which uses it) keep their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shim.h"

#define memcpy keel_memcpy
#define memmove keel_memmove
#define memset keel_memset
#define memcmp keel_memcmp
#define strlen keel_strlen
#define strnlen keel_strnlen
#define strcmp keel_strcmp
#define strncmp keel_strncmp
#define strchr keel_strchr
#include "../../hv/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr

#define GUARD 0xa5

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void fill_pattern(unsigned char *p, size_t n, unsigned int seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7 + (i >> 3));
}

static void test_memcpy(void **state)
{
    unsigned char src[80], dst[100], want[100];

    fill_pattern(src, sizeof(src), 1);
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n <= 64; n++) {
            memset(dst, GUARD, sizeof(dst));
            memset(want, GUARD, sizeof(want));
            memcpy(want + off, src + (8 - off), n);
            assert_ptr_equal(keel_memcpy(dst + off, src + (8 - off), n), dst + off);
            assert_memory_equal(dst, want, sizeof(dst));
        }
    }
}

static void test_memcpy_zero_length(void **state)
{
    unsigned char a[4] = { 1, 2, 3, 4 }, b[4] = { 5, 6, 7, 8 };

    assert_ptr_equal(keel_memcpy(a, b, 0), a);
    assert_int_equal(a[0], 1);
    assert_int_equal(a[3], 4);
}

/* Every shift in both directions, every length, against libc's memmove on a copy. */
static void test_memmove_overlap(void **state)
{
    unsigned char buf[96], want[96];

    for (int shift = -12; shift <= 12; shift++) {
        for (size_t n = 0; n <= 48; n++) {
            size_t src = 24, dst = (size_t)(24 + shift);

            fill_pattern(buf, sizeof(buf), (unsigned int)n);
            memcpy(want, buf, sizeof(buf));
            memmove(want + dst, want + src, n);
            assert_ptr_equal(keel_memmove(buf + dst, buf + src, n), buf + dst);
            assert_memory_equal(buf, want, sizeof(buf));
        }
    }
}

static void test_memmove_overlap_explicit(void **state)
{
    char up[] = "abcdefgh", down[] = "abcdefgh";

    keel_memmove(up + 2, up, 5);         /* dst above src: must copy backwards */
    assert_string_equal(up, "ababcdeh");
    keel_memmove(down, down + 2, 5);     /* dst below src: must copy forwards */
    assert_string_equal(down, "cdefgfgh");
    keel_memmove(up, up, 8);             /* same place */
    assert_string_equal(up, "ababcdeh");
    keel_memmove(up, up + 1, 0);
    assert_string_equal(up, "ababcdeh");
}

static void test_memmove_disjoint(void **state)
{
    unsigned char src[40], dst[40];

    fill_pattern(src, sizeof(src), 9);
    memset(dst, 0, sizeof(dst));
    keel_memmove(dst, src, sizeof(src));
    assert_memory_equal(dst, src, sizeof(src));
}

static void test_memset(void **state)
{
    static const int values[] = { 0, 0x5a, 0xff, -1, 0x1ff, 0x180, -128 };
    unsigned char dst[80], want[80];

    for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
        for (size_t off = 0; off < 8; off++) {
            for (size_t n = 0; n <= 64; n++) {
                memset(dst, GUARD, sizeof(dst));
                memset(want, GUARD, sizeof(want));
                memset(want + off, values[v], n);
                assert_ptr_equal(keel_memset(dst + off, values[v], n), dst + off);
                assert_memory_equal(dst, want, sizeof(dst));
            }
        }
    }
}

static void test_memcmp(void **state)
{
    assert_int_equal(keel_memcmp("abc", "abd", 0), 0);
    assert_int_equal(keel_memcmp("abc", "abd", 2), 0);
    assert_true(keel_memcmp("abc", "abd", 3) < 0);
    assert_true(keel_memcmp("abd", "abc", 3) > 0);
    /* Bytes compare as unsigned char: 0x80 and 0xff are above 0x7f and 0x00. */
    assert_true(keel_memcmp("\x80", "\x7f", 1) > 0);
    assert_true(keel_memcmp("\x7f", "\x80", 1) < 0);
    assert_true(keel_memcmp("\xff", "\x00", 1) > 0);
    assert_true(keel_memcmp("a\xff", "a\x01", 2) > 0);
    /* Embedded NUL bytes do not stop memcmp. */
    assert_true(keel_memcmp("a\0b", "a\0c", 3) < 0);
}

static void test_strlen_strnlen(void **state)
{
    char unterminated[5] = { 'a', 'b', 'c', 'd', 'e' };
    char big[300];

    assert_int_equal(keel_strlen(""), 0);
    assert_int_equal(keel_strlen("a"), 1);
    assert_int_equal(keel_strlen("hello\0world"), 5);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(keel_strlen(big), sizeof(big) - 1);
    assert_int_equal(keel_strnlen("hello", 0), 0);
    assert_int_equal(keel_strnlen("hello", 3), 3);
    assert_int_equal(keel_strnlen("hello", 5), 5);
    assert_int_equal(keel_strnlen("hello", 6), 5);
    assert_int_equal(keel_strnlen("hello", SIZE_MAX), 5);
    /* Must not read past max: the sanitizer catches it if it does. */
    assert_int_equal(keel_strnlen(unterminated, sizeof(unterminated)), sizeof(unterminated));
}

static void test_strcmp(void **state)
{
    assert_int_equal(keel_strcmp("", ""), 0);
    assert_int_equal(keel_strcmp("abc", "abc"), 0);
    assert_true(keel_strcmp("abc", "abd") < 0);
    assert_true(keel_strcmp("abd", "abc") > 0);
    assert_true(keel_strcmp("ab", "abc") < 0);
    assert_true(keel_strcmp("abc", "ab") > 0);
    assert_true(keel_strcmp("", "a") < 0);
    assert_true(keel_strcmp("\x80", "\x7f") > 0);
    assert_true(keel_strcmp("\xff", "a") > 0);
    assert_true(keel_strcmp("a", "a\xe9") < 0);
}

static void test_strncmp(void **state)
{
    assert_int_equal(keel_strncmp("abc", "xyz", 0), 0);
    assert_int_equal(keel_strncmp("abc", "abd", 2), 0);
    assert_true(keel_strncmp("abc", "abd", 3) < 0);
    assert_true(keel_strncmp("abd", "abc", 100) > 0);
    /* Stops at the terminator even when n is larger. */
    assert_int_equal(keel_strncmp("ab\0x", "ab\0y", 4), 0);
    assert_true(keel_strncmp("ab", "abc", 3) < 0);
    assert_int_equal(keel_strncmp("ab", "abc", 2), 0);
    assert_true(keel_strncmp("\x80", "\x7f", 1) > 0);
    assert_true(keel_strncmp("x\xff", "x\x01", 5) > 0);
}

static void test_strchr(void **state)
{
    const char *s = "hello, w\xe9rld";

    assert_ptr_equal(keel_strchr(s, 'h'), s);
    assert_ptr_equal(keel_strchr(s, 'l'), s + 2);
    assert_ptr_equal(keel_strchr(s, 'd'), s + 11);
    assert_null(keel_strchr(s, 'z'));
    /* Searching for the terminator finds it. */
    assert_ptr_equal(keel_strchr(s, '\0'), s + strlen(s));
    assert_ptr_equal(keel_strchr("", '\0'), keel_strchr("", '\0'));
    assert_null(keel_strchr("", 'a'));
    /* c is converted to char, so 0xe9, -23 and 0x1e9 all find the byte 0xe9. */
    assert_ptr_equal(keel_strchr(s, 0xe9), s + 8);
    assert_ptr_equal(keel_strchr(s, -23), s + 8);
    assert_ptr_equal(keel_strchr(s, 0x1e9), s + 8);
    assert_ptr_equal(keel_strchr(s, 0x100), s + strlen(s));
}

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random short strings over a tiny alphabet (so they often share prefixes), with high bytes. */
static void random_string(char *s, size_t max)
{
    static const char alphabet[] = "ab\x7f\x80\xff";
    size_t n = rng_next() % max;

    for (size_t i = 0; i < n; i++)
        s[i] = alphabet[rng_next() % (sizeof(alphabet) - 1)];
    s[n] = '\0';
}

static void test_compare_random(void **state)
{
    char a[8], b[8];

    rng_state = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        size_t n = rng_next() % 9;

        random_string(a, sizeof(a));
        random_string(b, sizeof(b));
        assert_int_equal(sign(keel_strcmp(a, b)), sign(strcmp(a, b)));
        assert_int_equal(sign(keel_strncmp(a, b, n)), sign(strncmp(a, b, n)));
        n = MIN(n, sizeof(a));
        assert_int_equal(sign(keel_memcmp(a, b, n)), sign(memcmp(a, b, n)));
        assert_int_equal(keel_strlen(a), strlen(a));
        assert_int_equal(keel_strnlen(a, n), strnlen(a, n));
        assert_ptr_equal(keel_strchr(a, '\x80'), strchr(a, '\x80'));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy),
        cmocka_unit_test(test_memcpy_zero_length),
        cmocka_unit_test(test_memmove_overlap),
        cmocka_unit_test(test_memmove_overlap_explicit),
        cmocka_unit_test(test_memmove_disjoint),
        cmocka_unit_test(test_memset),
        cmocka_unit_test(test_memcmp),
        cmocka_unit_test(test_strlen_strnlen),
        cmocka_unit_test(test_strcmp),
        cmocka_unit_test(test_strncmp),
        cmocka_unit_test(test_strchr),
        cmocka_unit_test(test_compare_random),
    };

    return cmocka_run_group_tests_name("string", tests, NULL, NULL);
}
