/*
 * The conversation between keel (the CLI) and keeld (the daemon) over keeld's Unix socket: one
 * request and one reply per connection, both a header line and a body of the length the header
 * gives.
 *   request:  "VERB LEN FAIL_AT ARG\n" then LEN bytes (ARG: the rest of the line, may be empty)
 *   reply:    "STATUS LEN\n" then LEN bytes (STATUS 0: done; 1: failed, the body says why)
 * FAIL_AT is 0 except in tests (keeld honours it only when started with --test-faults).
 */
#ifndef KEELD_PROTO_H
#define KEELD_PROTO_H

#include <stddef.h>

#define KEELD_SOCKET "/run/keel/keeld.sock"
#define KEELD_MAX_BODY (1u << 20)
#define KEELD_MAX_ARG 512

struct keeld_request {
    char verb[16];
    char arg[KEELD_MAX_ARG];
    int fail_at;
    char *body;                 /* NUL-terminated; the caller frees it */
    size_t len;
};

/* A connected socket, or -errno (-ENOENT / -ECONNREFUSED: keeld is not running). */
int keeld_connect(const char *path);
int keeld_send_request(int fd, const char *verb, const char *arg, int fail_at, const void *body,
                       size_t len);
/* 0, or -EPROTO for a malformed request, or -errno. */
int keeld_read_request(int fd, struct keeld_request *r);
int keeld_send_reply(int fd, int status, const void *body, size_t len);
/* *body is NUL-terminated; the caller frees it. */
int keeld_read_reply(int fd, int *status, char **body, size_t *len);

#endif
