/*
 * keeld [--foreground] [--state DIR] [--run DIR] [--log-dir DIR] [--socket PATH] [--test-faults]
 *
 * The toolstack's daemon (keeld.h). It serves one request at a time on its Unix socket (keel
 * sends them; keeld_proto.h) and looks at the running domains five times a second. Its own log
 * is its standard error (keeld.log in the log directory when it runs in the background).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../lib/keeld_proto.h"
#include "keeld.h"

#define POLL_MS 200

static volatile sig_atomic_t stopping;

void keeld_log(const char *fmt, ...)
{
    struct timespec t;
    va_list ap;

    clock_gettime(CLOCK_MONOTONIC, &t);
    fprintf(stderr, "[%6lld.%03ld] keeld: ", (long long)t.tv_sec, t.tv_nsec / 1000000);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int dispatch(struct keeld *d, const struct keeld_request *r, FILE *out)
{
    if (!strcmp(r->verb, "DEFINE"))
        return vm_define(d, r->arg, r->body, r->len, out);
    if (!strcmp(r->verb, "CREATE"))
        return vm_create(d, r->arg, r->body, r->len, r->fail_at, out);
    if (!strcmp(r->verb, "START"))
        return vm_start(d, r->arg, r->fail_at, out);
    if (!strcmp(r->verb, "UNDEFINE"))
        return vm_undefine(d, r->arg, out);
    if (!strcmp(r->verb, "REBOOT"))
        return vm_reboot(d, r->arg, out);
    if (!strcmp(r->verb, "DUMPXML"))
        return vm_dumpxml(d, r->arg, out);
    if (!strcmp(r->verb, "LIST"))
        return vm_list(d, out);
    fprintf(out, "keeld does not know the request %s\n", r->verb);
    return 1;
}

/* One connection: a request, its reply. A client that says nothing within 5 s is dropped. */
static void serve(struct keeld *d, int fd)
{
    struct timeval tv = { .tv_sec = 5 };
    struct keeld_request r;
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    int status, e;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if ((e = keeld_read_request(fd, &r))) {
        keeld_log("a malformed request: %s", strerror(-e));
        return;
    }
    if (!(out = open_memstream(&text, &len))) {
        free(r.body);
        return;
    }
    vm_poll(d);                         /* what changed since the last look counts now */
    status = dispatch(d, &r, out);
    fclose(out);
    keeld_send_reply(fd, status, text, len);
    free(text);
    free(r.body);
}

static int listen_on(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || strlen(path) >= sizeof(a.sun_path))
        return -1;
    strcpy(a.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || chmod(path, 0600) || listen(fd, 16)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void on_signal(int sig)
{
    stopping = sig;
}

static int run(struct keeld *d, int lfd)
{
    struct sigaction sa = { .sa_handler = on_signal };

    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    while (!stopping) {
        struct pollfd p = { .fd = lfd, .events = POLLIN };

        if (poll(&p, 1, POLL_MS) > 0) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

            if (fd >= 0) {
                serve(d, fd);
                close(fd);
            }
        }
        vm_poll(d);
    }
    keeld_log("stopping (signal %d); the domains keep running", (int)stopping);
    return 0;
}

/* path and its parents, like mkdir -p. */
static int mkdir_p(const char *path, mode_t mode)
{
    char buf[512];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, mode) && errno != EEXIST ? -1 : 0;
}

static int make_dirs(const struct keeld *d, const char *sock)
{
    char sdir[512];
    const char *dirs[] = { d->state_dir, d->run_dir, d->log_dir, sdir };

    snprintf(sdir, sizeof(sdir), "%s", sock);
    *(strrchr(sdir, '/') ?: sdir) = 0;
    for (size_t i = 0; i < 4; i++)
        if (*dirs[i] && mkdir_p(dirs[i], 0700)) {
            fprintf(stderr, "keeld: cannot make %s: %s\n", dirs[i], strerror(errno));
            return -1;
        }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: keeld [--foreground] [--state DIR] [--run DIR] [--log-dir DIR] "
                    "[--socket PATH] [--test-faults]\n");
    return 2;
}

/* Into the background, with its log in the log directory. */
static int daemonize(const struct keeld *d)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/keeld.log", d->log_dir);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0 || daemon(0, 1))
        return -1;
    dup2(fd, STDERR_FILENO);
    close(fd);
    fd = open("/dev/null", O_RDWR);
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    return 0;
}

int keeld_main(int argc, char **argv)
{
    struct keeld d = { .state_dir = "/var/lib/keel", .run_dir = "/run/keel/domains",
                       .log_dir = "/var/log/keel" };
    const char *sock = KEELD_SOCKET;
    bool fg = false;
    int lfd;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = !strcmp(a, "--state") ? &d.state_dir : !strcmp(a, "--run") ? &d.run_dir
                         : !strcmp(a, "--log-dir") ? &d.log_dir : !strcmp(a, "--socket") ? &sock
                         : NULL;

        if (!strcmp(a, "--foreground") || !strcmp(a, "-f"))
            fg = true;
        else if (!strcmp(a, "--test-faults"))
            d.test_faults = true;
        else if (dst && i + 1 < argc)
            *dst = argv[++i];
        else
            return usage();
    }
    if (make_dirs(&d, sock))
        return 1;
    if (!(d.k = keel_open())) {
        fprintf(stderr, "keeld: cannot open /dev/keel: %s (is keel.ko loaded, and is this dom0 "
                        "on Keel?)\n", strerror(errno));
        return 1;
    }
    if ((lfd = listen_on(sock)) < 0) {
        fprintf(stderr, "keeld: cannot listen on %s: %s\n", sock, strerror(errno));
        return 1;
    }
    if (!fg && daemonize(&d)) {
        fprintf(stderr, "keeld: cannot go into the background: %s\n", strerror(errno));
        return 1;
    }
    vm_load_all(&d);
    keeld_log("ready on %s (definitions in %s)", sock, d.state_dir);
    return run(&d, lfd);
}
