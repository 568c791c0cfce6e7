/*
 * keel: the command-line toolstack in dom0. Verbs so far: info, dmesg, list, dominfo, pause,
 * resume, shutdown, destroy, console, help. Exit codes: 0 success, 1 the operation failed, 2 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/libkeel.h"
#include "domains.h"
#include "info.h"

#define MAX_DOMS 256

static void usage(FILE *f)
{
    fprintf(f, "usage: keel VERB [options]\n"
               "  info [--json]   the hypervisor, its CPUs and memory, and the domains\n"
               "  dmesg           the hypervisor's log\n"
               "  list [--json]   the domains and their states\n"
               "  dominfo DOMAIN [--json]\n"
               "  pause DOMAIN, resume DOMAIN (xl: unpause)\n"
               "  shutdown DOMAIN  ask it to power off (its ACPI power button)\n"
               "  destroy DOMAIN  stop it at once; all its memory returns to the hypervisor\n"
               "  console DOMAIN [--dump]  attach to its console (Ctrl-] detaches), or print it\n"
               "  help [VERB]     this text\n");
}

static struct keel *open_keel(void)
{
    struct keel *k = keel_open();

    if (!k)
        fprintf(stderr, "keel: cannot open /dev/keel: %s (is keel.ko loaded, and is this dom0 "
                        "on Keel?)\n", strerror(errno));
    return k;
}

static int cmd_info(int argc, char **argv)
{
    static uint32_t ids[MAX_DOMS];
    static struct keel_domain_info doms[MAX_DOMS];
    bool json = argc > 1 && !strcmp(argv[1], "--json");
    struct keel_physinfo p;
    struct keel *k;
    int n, r, shown = 0;

    if (argc > 2 || (argc == 2 && !json)) {
        usage(stderr);
        return 2;
    }
    if (!(k = open_keel()))
        return 1;
    if ((r = keel_physinfo(k, &p)) || (n = keel_domain_list(k, ids, MAX_DOMS)) < 0) {
        fprintf(stderr, "keel: the hypervisor refused: %s\n", strerror(r ? -r : -n));
        keel_close(k);
        return 1;
    }
    for (int i = 0; i < n && i < MAX_DOMS; i++)
        if (keel_domain_info(k, ids[i], &doms[shown]) == 0)  /* it may be gone meanwhile */
            shown++;
    keel_close(k);
    keel_print_info(stdout, &p, doms, (unsigned int)shown, json);
    return 0;
}

static int cmd_dmesg(int argc, char **argv)
{
    struct keel_log_read l = { 0 };
    struct keel *k;
    int r;

    if (argc > 1) {
        usage(stderr);
        return 2;
    }
    if (!(k = open_keel()))
        return 1;
    while ((r = keel_log_read(k, &l)) >= 0) {
        printf("[%5llu.%06llu] %s\n", (unsigned long long)(l.timestamp_ns / 1000000000),
               (unsigned long long)(l.timestamp_ns % 1000000000 / 1000), l.text);
        l.seq++;
    }
    keel_close(k);
    if (r != -ENOENT) {
        fprintf(stderr, "keel: reading the log failed: %s\n", strerror(-r));
        return 1;
    }
    return 0;
}

/* Verbs of the form `keel VERB DOMAIN [--json|--dump]`. */
static int domain_verb(int argc, char **argv)
{
    const char *verb = argv[0];
    bool flag = argc == 3 && (!strcmp(argv[2], "--json") || !strcmp(argv[2], "--dump"));
    struct keel *k;
    int r;

    if (argc < 2 || argc > 3 || (argc == 3 && !flag)) {
        usage(stderr);
        return 2;
    }
    if (!(k = open_keel()))
        return 1;
    if (!strcmp(verb, "dominfo"))
        r = keel_cmd_dominfo(k, argv[1], flag);
    else if (!strcmp(verb, "console"))
        r = keel_cmd_console(k, argv[1], flag);
    else
        r = keel_cmd_simple(k, verb, argv[1]);
    keel_close(k);
    return r;
}

static bool is_domain_verb(const char *v)
{
    static const char *const verbs[] = { "dominfo", "console", "pause", "suspend", "resume",
                                         "unpause", "shutdown", "destroy" };

    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (!strcmp(v, verbs[i]))
            return true;
    return false;
}

static int cmd_list(int argc, char **argv)
{
    bool json = argc == 2 && !strcmp(argv[1], "--json");
    struct keel *k;
    int r;

    if (argc > 2 || (argc == 2 && !json)) {
        usage(stderr);
        return 2;
    }
    if (!(k = open_keel()))
        return 1;
    r = keel_cmd_list(k, json);
    keel_close(k);
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "dmesg"))
        return cmd_dmesg(argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return cmd_list(argc - 1, argv + 1);
    if (is_domain_verb(argv[1]))
        return domain_verb(argc - 1, argv + 1);
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "keel: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
