/* Unit tests for toolstack/lib/keeld_proto.c: keel's requests to keeld and its replies, over a
 * socket pair; malformed and oversized messages are refused, never overrun. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../toolstack/lib/keeld_proto.c"

static int sv[2];

static int setup(void **state)
{
    return socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

static int teardown(void **state)
{
    close(sv[0]);
    close(sv[1]);
    return 0;
}

static void raw(const char *s)
{
    assert_int_equal(write(sv[0], s, strlen(s)), (ssize_t)strlen(s));
}

static void test_request_round_trip(void **state)
{
    static const char xml[] = "<domain type='keel'>\n</domain>\n";
    struct keeld_request r;

    assert_int_equal(keeld_send_request(sv[0], "DEFINE", "/tmp/a file.xml", 3, xml, strlen(xml)), 0);
    assert_int_equal(keeld_read_request(sv[1], &r), 0);
    assert_string_equal(r.verb, "DEFINE");
    assert_string_equal(r.arg, "/tmp/a file.xml");
    assert_int_equal(r.fail_at, 3);
    assert_int_equal(r.len, strlen(xml));
    assert_string_equal(r.body, xml);
    free(r.body);
    assert_int_equal(keeld_send_request(sv[0], "LIST", "", 0, NULL, 0), 0);
    assert_int_equal(keeld_read_request(sv[1], &r), 0);
    assert_string_equal(r.verb, "LIST");
    assert_string_equal(r.arg, "");
    assert_int_equal(r.len, 0);
    assert_string_equal(r.body, "");
    free(r.body);
}

static void test_reply_round_trip(void **state)
{
    char *body;
    size_t len;
    int status;

    assert_int_equal(keeld_send_reply(sv[1], 1, "no domain x\n", 12), 0);
    assert_int_equal(keeld_read_reply(sv[0], &status, &body, &len), 0);
    assert_int_equal(status, 1);
    assert_int_equal(len, 12);
    assert_string_equal(body, "no domain x\n");
    free(body);
    assert_int_equal(keeld_send_reply(sv[1], 0, NULL, 0), 0);
    assert_int_equal(keeld_read_reply(sv[0], &status, &body, &len), 0);
    assert_int_equal(status, 0);
    assert_string_equal(body, "");
    free(body);
}

static void test_bad_requests_refused(void **state)
{
    static const char *const bad[] = {
        "DEFINE\n", "DEFINE x 0 a\n", "DEFINE 5\n", "AVERBLONGERTHANSIXTEEN 0 0 a\n",
        "DEFINE 99999999999 0 a\n", "DEFINE -1 0 a\n",
    };
    struct keeld_request r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int e;

        raw(bad[i]);
        e = keeld_read_request(sv[1], &r);
        assert_int_not_equal(e, 0);
        assert_null(r.body);
        teardown(state);
        setup(state);
    }
}

static void test_unterminated_and_short(void **state)
{
    struct keeld_request r;
    char line[KEELD_MAX_ARG + 200];

    memset(line, 'a', sizeof(line));    /* a header with no end */
    assert_int_equal(write(sv[0], line, sizeof(line)), (ssize_t)sizeof(line));
    assert_int_equal(keeld_read_request(sv[1], &r), -EPROTO);
    teardown(state);
    setup(state);
    raw("DEFINE 10 0 f\nshort");        /* the body ends early */
    shutdown(sv[0], SHUT_WR);
    assert_int_equal(keeld_read_request(sv[1], &r), -EPROTO);
    assert_null(r.body);
}

static void test_sender_limits(void **state)
{
    char arg[KEELD_MAX_ARG + 1];

    assert_int_equal(keeld_send_request(sv[0], "START", "a\nb", 0, NULL, 0), -EINVAL);
    memset(arg, 'n', sizeof(arg) - 1);
    arg[sizeof(arg) - 1] = 0;
    assert_int_equal(keeld_send_request(sv[0], "START", arg, 0, NULL, 0), -EINVAL);
    assert_int_equal(keeld_send_request(sv[0], "DEFINE", "f", 0, "", KEELD_MAX_BODY + 1), -EINVAL);
    assert_int_equal(keeld_connect("/nonexistent/keeld.sock"), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_and_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_limits, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
