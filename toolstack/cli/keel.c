/*
 * keel: the command-line toolstack in dom0 (virsh's verb names, xl's where they differ as
 * aliases). Read-only verbs ask the hypervisor directly; verbs on definitions go through keeld.
 * Exit codes: 0 success, 1 the operation failed, 2 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/libkeel.h"
#include "defs.h"
#include "domains.h"
#include "info.h"
#include "top.h"

#define MAX_DOMS 256

struct verb {
    const char *name, *alias, *args, *summary, *details;
    int (*fn)(const struct verb *vb, int argc, char **argv);
};

static const struct verb verbs[];

static struct keel *open_keel(void)
{
    struct keel *k = keel_open();

    if (!k)
        fprintf(stderr, "keel: cannot open /dev/keel: %s (is keel.ko loaded, and is this dom0 "
                        "on Keel?)\n", strerror(errno));
    return k;
}

static int usage_of(const struct verb *vb)
{
    fprintf(stderr, "usage: keel %s %s\n", vb->name, vb->args);
    return 2;
}

/* The flags argv[1..] may hold (each of allowed at most once); -1 for anything else. */
static int flags(int argc, char **argv, int first, const char *const allowed[], bool set[])
{
    for (int i = first; i < argc; i++) {
        int j = 0;

        while (allowed[j] && strcmp(argv[i], allowed[j]))
            j++;
        if (!allowed[j] || set[j])
            return -1;
        set[j] = true;
    }
    return 0;
}

static int cmd_info(const struct verb *vb, int argc, char **argv)
{
    static uint32_t ids[MAX_DOMS];
    static struct keel_domain_info doms[MAX_DOMS];
    static const char *const fl[] = { "--json", NULL };
    bool set[1] = { false };
    struct keel_physinfo p;
    struct keel *k;
    int n, r, shown = 0;

    if (flags(argc, argv, 1, fl, set))
        return usage_of(vb);
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
    keel_print_info(stdout, &p, doms, (unsigned int)shown, set[0]);
    return 0;
}

static int cmd_dmesg(const struct verb *vb, int argc, char **argv)
{
    struct keel_log_read l = { 0 };
    struct keel *k;
    int r;

    if (argc > 1)
        return usage_of(vb);
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

static int cmd_list(const struct verb *vb, int argc, char **argv)
{
    static const char *const fl[] = { "--json", "--all", NULL };
    bool set[2] = { false, false };
    struct keel *k;
    int r;

    if (flags(argc, argv, 1, fl, set))
        return usage_of(vb);
    if (!(k = open_keel()))
        return 1;
    r = keel_cmd_list(k, set[0], set[1]);
    keel_close(k);
    return r;
}

/* `keel VERB DOMAIN [flags]` on a domain in the hypervisor. */
static int cmd_domain(const struct verb *vb, int argc, char **argv)
{
    static const char *const fl[] = { "--json", "--dump", "--no-wait", NULL };
    bool set[3] = { false, false, false };
    long timeout = 60;
    struct keel *k;
    int r;

    if (argc >= 4 && !strcmp(vb->name, "shutdown") && !strcmp(argv[argc - 2], "--timeout")) {
        timeout = strtol(argv[argc - 1], NULL, 10);
        argc -= 2;
    }
    if (argc < 2 || flags(argc, argv, 2, fl, set) || timeout <= 0 ||
        (set[0] && strcmp(vb->name, "dominfo")) || (set[1] && strcmp(vb->name, "console")) ||
        (set[2] && strcmp(vb->name, "shutdown")))
        return usage_of(vb);
    if (!(k = open_keel()))
        return 1;
    if (!strcmp(vb->name, "dominfo"))
        r = keel_cmd_dominfo(k, argv[1], set[0]);
    else if (!strcmp(vb->name, "console"))
        r = keel_cmd_console(k, argv[1], set[1]);
    else if (!strcmp(vb->name, "shutdown"))
        r = keel_cmd_shutdown(k, argv[1], set[2] ? 0 : (int)timeout);
    else
        r = keel_cmd_simple(k, vb->name, argv[1]);
    keel_close(k);
    return r;
}

static int cmd_validate(const struct verb *vb, int argc, char **argv)
{
    return argc < 2 ? usage_of(vb) : keel_cmd_validate(argc, argv);
}

/* Verbs keeld carries out: one argument, a file or a name. */
static int cmd_keeld(const struct verb *vb, int argc, char **argv)
{
    char upper[16];
    size_t i;

    if (argc != 2)
        return usage_of(vb);
    for (i = 0; vb->name[i] && i < sizeof(upper) - 1; i++)
        upper[i] = (char)(vb->name[i] - 'a' + 'A');
    upper[i] = 0;
    return keel_cmd_keeld(upper, argv[1]);
}

static int cmd_top(const struct verb *vb, int argc, char **argv)
{
    int iterations = 0;
    double delay = 1.0;

    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "-n"))
            iterations = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-d"))
            delay = atof(argv[++i]);
        else
            return usage_of(vb);
    }
    if (iterations < 0 || delay < 0.1)
        return usage_of(vb);
    return keel_cmd_top(iterations, delay);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: keel VERB [arguments]   (keel help VERB tells more)\n");
    for (const struct verb *v = verbs; v->name; v++)
        fprintf(f, "  %-9s %-28s %s\n", v->name, v->args, v->summary);
}

static const struct verb *find_verb(const char *name)
{
    for (const struct verb *v = verbs; v->name; v++)
        if (!strcmp(v->name, name) || (v->alias && !strcmp(v->alias, name)))
            return v;
    return NULL;
}

static int cmd_help(const struct verb *vb, int argc, char **argv)
{
    const struct verb *v;

    if (argc == 1) {
        usage(stdout);
        return 0;
    }
    if (argc != 2)
        return usage_of(vb);
    if (!(v = find_verb(argv[1]))) {
        fprintf(stderr, "keel: no verb '%s'\n", argv[1]);
        return 2;
    }
    printf("keel %s %s\n  %s\n\n%s\n", v->name, v->args, v->summary, v->details);
    if (v->alias)
        printf("  Also: keel %s (xl's name).\n", v->alias);
    return 0;
}

#include "verbs.inc"

#ifdef KEEL_WITH_KEELD
int keeld_main(int argc, char **argv);     /* toolstack/daemon/keeld.c: the same binary */
#endif

int main(int argc, char **argv)
{
    const struct verb *v;

#ifdef KEEL_WITH_KEELD
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

    if (!strcmp(base, "keeld"))
        return keeld_main(argc, argv);
#endif
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help"))
        return cmd_help(find_verb("help"), 1, argv);
    if (!(v = find_verb(argv[1]))) {
        fprintf(stderr, "keel: unknown verb '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    return v->fn(v, argc - 1, argv + 1);
}
