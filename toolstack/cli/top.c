/*
 * keel top: every few seconds, each domain's CPU use (the share of one CPU its vCPUs had since
 * the last screen), state, vCPUs, memory and VM exits per second (for the domains the toolstack
 * created, whose statistics the hypervisor gives). The first screen compares with a sample taken
 * a moment before it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/libkeel.h"
#include "info.h"
#include "top.h"

#define MAX_DOMS 256

struct sample {
    uint32_t domid;
    uint64_t cpu_ns, exits;
};

struct frame {
    struct sample s[MAX_DOMS];
    struct keel_domain_info info[MAX_DOMS];
    int n;
    uint64_t t_ns;
};

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* All exits of a domain, or 0 when the hypervisor keeps none for it. */
static uint64_t exits_of(struct keel *k, uint32_t domid)
{
    struct keel_domctl_stats st = { .domid = domid };
    uint64_t sum = 0;

    if (keel_domctl(k, KEEL_DOMCTL_STATS, &st, sizeof(st)))
        return 0;
    for (int i = 0; i < KEEL_STATS_EXIT_KINDS; i++)
        sum += st.exits[i];
    return sum;
}

static int take(struct keel *k, struct frame *f)
{
    static uint32_t ids[MAX_DOMS];
    int n = keel_domain_list(k, ids, MAX_DOMS);

    f->n = 0;
    f->t_ns = now_ns();
    for (int i = 0; i < n && i < MAX_DOMS; i++) {
        struct keel_domain_info *d = &f->info[f->n];

        if (keel_domain_info(k, ids[i], d))
            continue;
        f->s[f->n].domid = d->domid;
        f->s[f->n].cpu_ns = d->cpu_ns;
        f->s[f->n].exits = exits_of(k, d->domid);
        f->n++;
    }
    return n < 0 ? n : 0;
}

static const struct sample *before(const struct frame *f, uint32_t domid)
{
    for (int i = 0; i < f->n; i++)
        if (f->s[i].domid == domid)
            return &f->s[i];
    return NULL;
}

static void show(const struct frame *prev, const struct frame *cur, bool tty)
{
    double dt = (double)(cur->t_ns - prev->t_ns) / 1e9;

    if (tty)
        printf("\033[H\033[2J");
    printf("%5s  %-20s %-9s %5s %7s %11s %12s\n", "ID", "NAME", "STATE", "VCPUS", "CPU(%)",
           "MEMORY(MiB)", "EXITS/s");
    for (int i = 0; i < cur->n; i++) {
        const struct keel_domain_info *d = &cur->info[i];
        const struct sample *p = before(prev, d->domid), *c = &cur->s[i];
        double cpu = p && dt > 0 ? (double)(c->cpu_ns - p->cpu_ns) / 1e9 / dt * 100 : 0;
        double ex = p && dt > 0 ? (double)(c->exits - p->exits) / dt : 0;

        printf("%5u  %-20s %-9s %5u %7.1f %11llu %12.0f\n", d->domid, d->name,
               keel_state_name(d->state), d->nr_vcpus, cpu, (unsigned long long)(d->mem_bytes >> 20),
               ex);
    }
    fflush(stdout);
}

int keel_cmd_top(int iterations, double delay_s)
{
    static struct frame a, b;
    struct frame *prev = &a, *cur = &b, *t;
    bool tty = isatty(STDOUT_FILENO);
    struct keel *k = keel_open();

    if (!k) {
        perror("keel: cannot open /dev/keel");
        return 1;
    }
    if (take(k, prev))
        goto fail;
    usleep(200000);
    for (int i = 0; !iterations || i < iterations; i++) {
        if (i)
            usleep((useconds_t)(delay_s * 1e6));
        if (take(k, cur))
            goto fail;
        show(prev, cur, tty);
        t = prev, prev = cur, cur = t;
        if (!tty && (!iterations || i + 1 < iterations))
            printf("\n");
    }
    keel_close(k);
    return 0;
fail:
    fprintf(stderr, "keel: listing domains failed\n");
    keel_close(k);
    return 1;
}
