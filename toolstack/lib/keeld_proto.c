/* keel <-> keeld messages (keeld_proto.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keeld_proto.h"

int keeld_connect(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    strcpy(a.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        int e = errno;

        close(fd);
        return -e;
    }
    return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EPIPE;
        p += n, len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EPROTO;
        p += n, len -= (size_t)n;
    }
    return 0;
}

/* One header line (without its newline) into buf. */
static int read_line(int fd, char *buf, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        int r = read_all(fd, buf + i, 1);

        if (r)
            return r;
        if (buf[i] == '\n') {
            buf[i] = 0;
            return 0;
        }
    }
    return -EPROTO;
}

static int read_body(int fd, size_t len, char **body)
{
    int r;

    if (len > KEELD_MAX_BODY)
        return -EPROTO;
    if (!(*body = malloc(len + 1)))
        return -ENOMEM;
    (*body)[len] = 0;
    if ((r = read_all(fd, *body, len))) {
        free(*body);
        *body = NULL;
    }
    return r;
}

int keeld_send_request(int fd, const char *verb, const char *arg, int fail_at, const void *body,
                       size_t len)
{
    char head[64 + KEELD_MAX_ARG];
    int n;

    if (strchr(arg, '\n') || strlen(arg) >= KEELD_MAX_ARG || len > KEELD_MAX_BODY)
        return -EINVAL;
    n = snprintf(head, sizeof(head), "%s %zu %d %s\n", verb, len, fail_at, arg);
    if (n < 0 || (size_t)n >= sizeof(head))
        return -EINVAL;
    return write_all(fd, head, (size_t)n) ?: (len ? write_all(fd, body, len) : 0);
}

int keeld_read_request(int fd, struct keeld_request *r)
{
    char head[64 + KEELD_MAX_ARG];
    int consumed = 0, e;

    memset(r, 0, sizeof(*r));
    if ((e = read_line(fd, head, sizeof(head))))
        return e;
    if (sscanf(head, "%15s %zu %d %n", r->verb, &r->len, &r->fail_at, &consumed) != 3 ||
        !consumed || strlen(head + consumed) >= sizeof(r->arg))
        return -EPROTO;
    strcpy(r->arg, head + consumed);
    return read_body(fd, r->len, &r->body);
}

int keeld_send_reply(int fd, int status, const void *body, size_t len)
{
    char head[64];
    int n = snprintf(head, sizeof(head), "%d %zu\n", status, len);

    return write_all(fd, head, (size_t)n) ?: (len ? write_all(fd, body, len) : 0);
}

int keeld_read_reply(int fd, int *status, char **body, size_t *len)
{
    char head[64];
    int e;

    if ((e = read_line(fd, head, sizeof(head))))
        return e;
    if (sscanf(head, "%d %zu", status, len) != 2)
        return -EPROTO;
    return read_body(fd, *len, body);
}
