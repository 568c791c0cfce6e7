/*
 * keel-validate: checks domain definitions without a hypervisor.
 *   keel-validate FILE...     "FILE: valid" and its notes, or every error; exit 1 if any failed
 *   keel-validate --dump FILE the canonical XML of a valid definition
 * Exit codes: 0 all valid, 1 a definition has errors, 2 usage. Host limits are this machine's
 * CPU count; memory is not checked against a host.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domconfig.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: keel-validate FILE...\n"
               "       keel-validate --dump FILE   print the canonical XML\n");
}

static void host_limits(struct keel_host_limits *h)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    memset(h, 0, sizeof(*h));
    h->nr_cpus = n > 0 ? (unsigned int)n : 0;
}

static int validate(const char *path, const struct keel_host_limits *host, bool dump)
{
    struct keel_domconfig cfg;
    struct keel_diag diag;
    int r;

    keel_diag_init(&diag);
    r = keel_domconfig_load(path, host, &cfg, &diag);
    if (!r && dump) {
        r = keel_domconfig_write(&cfg, stdout);
        if (r)
            fprintf(stderr, "keel-validate: writing %s: %s\n", path, strerror(-r));
    } else if (!r) {
        printf("%s: valid\n", path);
    }
    keel_diag_print(&diag, dump ? stderr : r ? stderr : stdout);
    keel_domconfig_free(&cfg);
    keel_diag_free(&diag);
    return r ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct keel_host_limits host;
    bool dump = argc > 1 && !strcmp(argv[1], "--dump");
    int status = 0;

    if (argc < 2 || (dump && argc != 3) || (argc > 1 && !strcmp(argv[1], "--help"))) {
        usage(argc < 2 || dump ? stderr : stdout);
        return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] && !(dump && i == 1)) {
            usage(stderr);
            return 2;
        }
    host_limits(&host);
    for (int i = dump ? 2 : 1; i < argc; i++)
        status |= validate(argv[i], &host, dump);
    keel_domconfig_cleanup();
    return status;
}
