/*
 * keel's verbs on definitions: validate (here, no daemon needed), and define, undefine, create,
 * start, reboot and dumpxml, which keeld carries out (it owns the definitions and the domains it
 * started). keeld's answer is printed as it comes: on standard output when it did what was asked,
 * on standard error when not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/domconfig.h"
#include "../lib/file.h"
#include "../lib/keeld_proto.h"
#include "../lib/libkeel.h"
#include "defs.h"

const char *keeld_socket(void)
{
    const char *s = getenv("KEELD_SOCKET");

    return s && *s ? s : KEELD_SOCKET;
}

/* One request to keeld: its status (0 or 1) and reply, or -1 when keeld cannot be reached. */
static int ask(const char *verb, const char *arg, const void *body, size_t len, char **reply,
               bool quiet)
{
    const char *f = getenv("KEEL_BUILD_FAIL_AT");
    int fd = keeld_connect(keeld_socket()), status = 1, r;
    size_t n;

    *reply = NULL;
    if (fd < 0) {
        if (!quiet)
            fprintf(stderr, "keel: keeld is not running (%s: %s); start it with: keeld\n",
                    keeld_socket(), strerror(-fd));
        return -1;
    }
    r = keeld_send_request(fd, verb, arg, f ? atoi(f) : 0, body, len);
    if (!r)
        r = keeld_read_reply(fd, &status, reply, &n);
    close(fd);
    if (r) {
        if (!quiet)
            fprintf(stderr, "keel: talking to keeld: %s\n", strerror(-r));
        return -1;
    }
    return status ? 1 : 0;
}

int keeld_list(struct keeld_vm *vms, int max, bool quiet)
{
    char *reply, *line, *save = NULL;
    int n = 0;

    if (ask("LIST", "", NULL, 0, &reply, quiet))
        return -1;
    for (line = strtok_r(reply, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        struct keeld_vm *v = &vms[n];
        char id[16];
        int pers;

        if (sscanf(line, "%63s %15s %15s %d %39s %u %llu", v->name, v->state, id, &pers, v->uuid,
                   &v->vcpus, &v->memory_mib) != 7)
            continue;
        v->domid = strcmp(id, "-") ? strtol(id, NULL, 10) : -1;
        v->persistent = pers;
        n++;
    }
    free(reply);
    return n;
}

static char *read_file(const char *path, size_t *len)
{
    char *buf = keel_read_file(path, KEELD_MAX_BODY, len);

    if (!buf)
        fprintf(stderr, "keel: cannot read %s: %s\n", path,
                errno == EFBIG ? "larger than keeld takes (1 MiB)" : strerror(errno));
    return buf;
}

/* What this host can give, from the hypervisor when there is one. */
static void host_limits(struct keel_host_limits *h)
{
    struct keel *k = keel_open();
    struct keel_physinfo p;

    memset(h, 0, sizeof(*h));
    h->max_vcpus = KEEL_DOMCONFIG_MAX_VCPUS;
    if (k && !keel_physinfo(k, &p)) {
        h->nr_cpus = p.nr_cpus;
        h->free_bytes = p.total_bytes - p.dom0_bytes - p.hv_bytes;
    }
    if (k)
        keel_close(k);
}

/* --host-cpus N, --host-max-vcpus N, --host-memory MIB: the host to check against, instead of
 * this one. Returns the index of the first file, or -1 for a bad option. */
static int host_options(int argc, char **argv, struct keel_host_limits *h)
{
    int i = 1;

    for (; i + 1 < argc && !strncmp(argv[i], "--host-", 7); i += 2) {
        char *end;
        unsigned long long v = strtoull(argv[i + 1], &end, 10);

        if (*end || !*argv[i + 1])
            return -1;
        if (!strcmp(argv[i], "--host-cpus") && v <= KEEL_DOMCONFIG_MAX_CPUS)
            h->nr_cpus = (unsigned int)v;
        else if (!strcmp(argv[i], "--host-max-vcpus") && v <= KEEL_DOMCONFIG_MAX_VCPUS)
            h->max_vcpus = (unsigned int)v;
        else if (!strcmp(argv[i], "--host-memory") && v < (1ull << 44))
            h->free_bytes = v << 20;
        else
            return -1;
    }
    return i < argc ? i : -1;
}

int keel_cmd_validate(int argc, char **argv)
{
    struct keel_host_limits h;
    int bad = 0, first;

    host_limits(&h);
    if ((first = host_options(argc, argv, &h)) < 0) {
        fprintf(stderr, "usage: keel validate [--host-cpus N] [--host-max-vcpus N] "
                        "[--host-memory MIB] FILE...\n");
        return 2;
    }
    for (int i = first; i < argc; i++) {
        struct keel_domconfig cfg;
        struct keel_diag diag;
        int r;

        keel_diag_init(&diag);
        r = keel_domconfig_load(argv[i], &h, &cfg, &diag);
        keel_diag_print(&diag, r ? stderr : stdout);
        if (r) {
            bad = 1;
        } else {
            printf("%s: valid (domain %s)\n", argv[i], cfg.name);
            keel_domconfig_free(&cfg);
        }
        keel_diag_free(&diag);
    }
    keel_domconfig_cleanup();
    return bad;
}

int keel_cmd_keeld(const char *verb, const char *arg)
{
    bool file = !strcmp(verb, "DEFINE") || !strcmp(verb, "CREATE");
    char *body = NULL, *reply;
    size_t len = 0;
    int r;

    if (file && !(body = read_file(arg, &len)))
        return 1;
    r = ask(verb, arg, body, len, &reply, false);
    free(body);
    if (r < 0)
        return 1;
    fputs(reply, r ? stderr : stdout);
    free(reply);
    return r;
}
