/* Unit tests for hv/lib/logring.c: fixed scenarios, then a random run against a simple model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/lib/logring.c"

#define HDR sizeof(struct logring_hdr)

/* The ring's buffer is allocated at its exact size, so the sanitizer sees any overrun. */
static struct logring *ring_new(size_t size)
{
    struct logring *r = malloc(sizeof(*r));

    logring_init(r, malloc(size), size);
    return r;
}

static void ring_free(struct logring *r)
{
    free(r->buf);
    free(r);
}

static void append_str(struct logring *r, uint8_t level, uint64_t ts, const char *s)
{
    logring_append(r, level, ts, s, strlen(s));
}

/* Reads *seq and checks everything about the record against what is expected. */
static void expect_record(const struct logring *r, uint64_t seq, uint64_t want_seq,
                          uint8_t want_level, uint64_t want_ts, const char *want_text)
{
    char out[256];
    uint8_t level = 0xee;
    uint64_t ts = 0;

    assert_int_equal(logring_read(r, &seq, &level, &ts, out, sizeof(out)), strlen(want_text));
    assert_int_equal(seq, want_seq);
    assert_int_equal(level, want_level);
    assert_int_equal(ts, want_ts);
    assert_string_equal(out, want_text);
}

static void test_empty_ring(void **state)
{
    struct logring *r = ring_new(256);
    uint64_t seq = 0;
    char out[8] = "x";

    assert_int_equal(logring_read(r, &seq, NULL, NULL, out, sizeof(out)), -ENOENT);
    assert_int_equal(seq, 0);
    assert_string_equal(out, "x");
    seq = 12345;
    assert_int_equal(logring_read(r, &seq, NULL, NULL, out, sizeof(out)), -ENOENT);
    ring_free(r);
}

static void test_level_timestamp_round_trip(void **state)
{
    struct logring *r = ring_new(1024);
    uint64_t seq = 1;
    char out[16];

    append_str(r, LOG_ERR, 0, "first");
    append_str(r, LOG_DEBUG, UINT64_MAX, "second");
    append_str(r, 0xff, 0x123456789abcdef0ull, "third");
    expect_record(r, 0, 0, LOG_ERR, 0, "first");
    expect_record(r, 1, 1, LOG_DEBUG, UINT64_MAX, "second");
    expect_record(r, 2, 2, 0xff, 0x123456789abcdef0ull, "third");
    /* level and timestamp are optional outputs. */
    assert_int_equal(logring_read(r, &seq, NULL, NULL, out, sizeof(out)), 6);
    assert_string_equal(out, "second");
    ring_free(r);
}

static void test_read_in_order_then_enoent(void **state)
{
    struct logring *r = ring_new(1024);
    char text[24], out[24];
    uint64_t seq;

    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof(text), "line %d", i);
        append_str(r, LOG_INFO, (uint64_t)i * 1000, text);
    }
    for (seq = 0;; seq++) {
        long n = logring_read(r, &seq, NULL, NULL, out, sizeof(out));
        if (n < 0) {
            assert_int_equal(n, -ENOENT);
            break;
        }
        snprintf(text, sizeof(text), "line %d", (int)seq);
        assert_string_equal(out, text);
    }
    assert_int_equal(seq, 10);
    ring_free(r);
}

static void make_text(char *text, uint64_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        text[i] = (char)('a' + (seq * 7 + i) % 26);
    text[len] = '\0';
}

/*
 * Records of every length from 0 to the maximum, appended until the ring has gone round many
 * times: each is read back right away, and the test checks that records really did straddle the
 * end of buf, both inside the header and inside the text.
 */
static void test_wrap_around(void **state)
{
    const size_t size = 128;
    struct logring *r = ring_new(size);
    unsigned int header_split = 0, text_split = 0;
    char text[64];

    for (uint64_t seq = 0; seq < 400; seq++) {
        size_t len = seq % (size / 4 + 1);
        size_t off = r->head & (size - 1);

        header_split += off + HDR > size;
        text_split += off + HDR < size && off + HDR + len > size;
        make_text(text, seq, len);
        logring_append(r, (uint8_t)(seq & 3), seq * 3, text, len);
        expect_record(r, seq, seq, (uint8_t)(seq & 3), seq * 3, text);
        assert_true(r->head - r->tail <= size);
    }
    assert_true(header_split > 10);
    assert_true(text_split > 10);
    ring_free(r);
}

static void test_overwrite_oldest(void **state)
{
    const size_t size = 256;
    struct logring *r = ring_new(size);
    char text[32];

    /* 20 + HDR bytes a record: five fit in 256 bytes, so 20 appends keep 15..19. */
    for (uint64_t seq = 0; seq < 20; seq++) {
        snprintf(text, sizeof(text), "record number %06d", (int)seq);
        assert_int_equal(strlen(text), 20);
        append_str(r, LOG_WARN, seq, text);
    }
    assert_int_equal(r->first_seq, 15);
    assert_int_equal(r->next_seq, 20);
    assert_int_equal(r->head - r->tail, 5 * (20 + HDR));
    expect_record(r, 0, 15, LOG_WARN, 15, "record number 000015");
    expect_record(r, 14, 15, LOG_WARN, 15, "record number 000015");
    expect_record(r, 19, 19, LOG_WARN, 19, "record number 000019");
    ring_free(r);
}

/* A reader that stops, falls behind, and resumes learns how many lines it missed. */
static void test_reader_resumes_and_detects_loss(void **state)
{
    struct logring *r = ring_new(256);
    uint64_t seq = 0, wanted;
    char text[32], out[32];

    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof(text), "early %d", i);
        append_str(r, LOG_INFO, 0, text);
    }
    for (; logring_read(r, &seq, NULL, NULL, out, sizeof(out)) >= 0; seq++)
        ;
    assert_int_equal(seq, 3);
    for (int i = 0; i < 50; i++) {
        snprintf(text, sizeof(text), "late %d", i);
        append_str(r, LOG_INFO, 0, text);
    }
    wanted = seq;
    assert_true(logring_read(r, &seq, NULL, NULL, out, sizeof(out)) > 0);
    assert_true(seq > wanted);
    assert_int_equal(seq, r->first_seq);
    snprintf(text, sizeof(text), "late %d", (int)(seq - 3));
    assert_string_equal(out, text);
    /* Nothing is lost between reads that keep up. */
    append_str(r, LOG_INFO, 0, "newest");
    seq = r->next_seq - 1;
    expect_record(r, seq, seq, LOG_INFO, 0, "newest");
    ring_free(r);
}

static void test_long_lines_are_cut(void **state)
{
    const size_t size = 256;
    struct logring *r = ring_new(size);
    char text[200], out[256];
    uint64_t seq = 0;

    make_text(text, 1, sizeof(text) - 1);
    logring_append(r, LOG_ERR, 7, text, sizeof(text) - 1);
    logring_append(r, LOG_ERR, 8, text, size / 4);
    logring_append(r, LOG_ERR, 9, text, size / 4 + 1);
    for (seq = 0; seq < 3; seq++) {
        assert_int_equal(logring_read(r, &seq, NULL, NULL, out, sizeof(out)), size / 4);
        assert_int_equal(strlen(out), size / 4);
        assert_memory_equal(out, text, size / 4);
    }
    ring_free(r);
}

static void test_out_buffer_cut(void **state)
{
    struct logring *r = ring_new(256);
    uint64_t seq = 0;
    char out[8];

    append_str(r, LOG_INFO, 1, "abcdefghijkl");
    memset(out, 'Z', sizeof(out));
    assert_int_equal(logring_read(r, &seq, NULL, NULL, out, 5), 12);
    assert_string_equal(out, "abcd");
    assert_int_equal(out[5], 'Z');
    assert_int_equal(logring_read(r, &seq, NULL, NULL, out, 1), 12);
    assert_string_equal(out, "");
    memset(out, 'Z', sizeof(out));
    assert_int_equal(logring_read(r, &seq, NULL, NULL, out, 0), 12);
    assert_int_equal(out[0], 'Z');
    ring_free(r);
}

static void test_empty_line(void **state)
{
    struct logring *r = ring_new(64);

    logring_append(r, LOG_INFO, 5, "", 0);
    expect_record(r, 0, 0, LOG_INFO, 5, "");
    assert_int_equal(r->head, HDR);
    ring_free(r);
}

/* In the smallest ring a maximal line fills the whole buffer, so each append evicts the last. */
static void test_smallest_ring(void **state)
{
    struct logring *r = ring_new(32);

    append_str(r, LOG_INFO, 1, "12345678");
    append_str(r, LOG_INFO, 2, "abcdefghXX");
    expect_record(r, 0, 1, LOG_INFO, 2, "abcdefgh");
    assert_int_equal(r->first_seq, 1);
    assert_int_equal(r->head - r->tail, 32);
    ring_free(r);
}

static void test_init_rejects_bad_sizes(void **state)
{
    struct logring r;
    char buf[64];

    expect_assert_failure(logring_init(&r, buf, 0));
    expect_assert_failure(logring_init(&r, buf, 48));
    expect_assert_failure(logring_init(&r, buf, 63));
    /* Too small for a header plus a line of size/4. */
    expect_assert_failure(logring_init(&r, buf, 16));
    logring_init(&r, buf, 32);
    logring_init(&r, buf, 64);
}

/* --- random operations against a model ------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Everything ever appended; a record's text is a function of its seq and length. */
struct model_rec {
    uint64_t timestamp_ns;
    uint32_t len;
    uint8_t level;
};

struct model {
    struct model_rec *recs;
    uint64_t first, next;
    size_t used, size;
};

/* Text bytes cover all 256 values, NUL included: the ring stores bytes, not strings. */
static void model_text(char *text, uint64_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        text[i] = (char)(seq * 131 + i * 29);
}

static void random_append(struct logring *r, struct model *m)
{
    /* Lengths up to twice the limit, so some are cut. */
    size_t len = rng_next() % (m->size / 2 + 2);
    uint8_t level = (uint8_t)rng_next();
    uint64_t ts = rng_next();
    char *text = malloc(len + 1);
    struct model_rec *rec = &m->recs[m->next];

    model_text(text, m->next, len);
    logring_append(r, level, ts, text, len);
    free(text);
    *rec = (struct model_rec){ .timestamp_ns = ts, .len = (uint32_t)MIN(len, m->size / 4),
                               .level = level };
    m->used += HDR + rec->len;
    m->next++;
    while (m->used > m->size)
        m->used -= HDR + m->recs[m->first++].len;
}

static void random_read(const struct logring *r, const struct model *m)
{
    uint64_t seq = rng_next() % (m->next + 3), want = MAX(seq, m->first);
    size_t out_size = rng_next() % (m->size / 4 + 3);
    char *out = malloc(out_size + 1), *text;
    uint8_t level;
    uint64_t ts;
    long n = logring_read(r, &seq, &level, &ts, out_size ? out : NULL, out_size);

    if (want >= m->next) {
        assert_int_equal(n, -ENOENT);
    } else {
        const struct model_rec *rec = &m->recs[want];
        size_t kept = out_size ? MIN(rec->len, out_size - 1) : 0;

        assert_int_equal(n, rec->len);
        assert_int_equal(seq, want);
        assert_int_equal(level, rec->level);
        assert_int_equal(ts, rec->timestamp_ns);
        text = malloc(rec->len + 1);
        model_text(text, want, rec->len);
        assert_memory_equal(out, text, kept);
        if (out_size)
            assert_int_equal(out[kept], '\0');
        free(text);
    }
    free(out);
}

static void random_run(size_t size, unsigned int steps)
{
    struct logring *r = ring_new(size);
    struct model m = { .recs = calloc(steps, sizeof(struct model_rec)), .size = size };

    for (unsigned int i = 0; i < steps; i++) {
        if (rng_next() % 3)
            random_append(r, &m);
        else
            random_read(r, &m);
        assert_int_equal(r->first_seq, m.first);
        assert_int_equal(r->next_seq, m.next);
        assert_int_equal(r->head - r->tail, m.used);
    }
    free(m.recs);
    ring_free(r);
}

static void test_random_against_model(void **state)
{
    static const size_t sizes[] = { 32, 64, 128, 256, 1024, 4096 };

    rng_state = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
        random_run(sizes[i], 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_ring),
        cmocka_unit_test(test_level_timestamp_round_trip),
        cmocka_unit_test(test_read_in_order_then_enoent),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_overwrite_oldest),
        cmocka_unit_test(test_reader_resumes_and_detects_loss),
        cmocka_unit_test(test_long_lines_are_cut),
        cmocka_unit_test(test_out_buffer_cut),
        cmocka_unit_test(test_empty_line),
        cmocka_unit_test(test_smallest_ring),
        cmocka_unit_test(test_init_rejects_bad_sizes),
        cmocka_unit_test(test_random_against_model),
    };

    return cmocka_run_group_tests_name("logring", tests, NULL, NULL);
}
