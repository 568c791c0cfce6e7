/*
 * keel's verbs on running domains: list, dominfo, pause, resume, shutdown, destroy, console.
 * Domains are named by ID or by name. The hypervisor allows changes only to domains the toolstack
 * created; it refuses the others (dom0, test domains) with EPERM.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../lib/libkeel.h"
#include "defs.h"
#include "domains.h"
#include "info.h"

#define MAX_DOMS 256
#define DETACH_KEY 0x1d                 /* Ctrl-] */

int keel_find_domain(struct keel *k, const char *what, struct keel_domain_info *info)
{
    static uint32_t ids[MAX_DOMS];
    char *end;
    unsigned long id = strtoul(what, &end, 10);
    int n;

    if (*what && !*end)
        return keel_domain_info(k, (uint32_t)id, info);
    if ((n = keel_domain_list(k, ids, MAX_DOMS)) < 0)
        return n;
    for (int i = 0; i < n && i < MAX_DOMS; i++)
        if (keel_domain_info(k, ids[i], info) == 0 && !strcmp(info->name, what))
            return 0;
    return -ESRCH;
}

static int simple(struct keel *k, const char *what, unsigned int cmd, const char *done)
{
    struct keel_domain_info info;
    struct keel_domctl_shutdown sd = { 0 };     /* the largest of the structures used here */
    int r = keel_find_domain(k, what, &info);

    if (r) {
        fprintf(stderr, "keel: no domain %s\n", what);
        return 1;
    }
    sd.domid = info.domid;
    r = keel_domctl(k, cmd, &sd, cmd == KEEL_DOMCTL_SHUTDOWN ? sizeof(sd) : sizeof(struct keel_domctl_id));
    if (r) {
        fprintf(stderr, "keel: %s (domain %u): %s\n", what, info.domid,
                r == -EPERM ? "not a domain the toolstack created" :
                r == -EBUSY ? "not in a state that allows it" : strerror(-r));
        return 1;
    }
    printf("Domain %s %s\n", info.name, done);
    return 0;
}

int keel_cmd_simple(struct keel *k, const char *verb, const char *what)
{
    if (!strcmp(verb, "pause") || !strcmp(verb, "suspend"))
        return simple(k, what, KEEL_DOMCTL_PAUSE, "paused");
    if (!strcmp(verb, "resume") || !strcmp(verb, "unpause"))
        return simple(k, what, KEEL_DOMCTL_UNPAUSE, "resumed");
    if (!strcmp(verb, "shutdown"))
        return simple(k, what, KEEL_DOMCTL_SHUTDOWN, "is being shut down (ACPI power button)");
    return simple(k, what, KEEL_DOMCTL_DESTROY, "destroyed");
}

static void list_row(bool json, int shown, const char *id, const char *name, const char *state,
                     unsigned int vcpus, unsigned long long mib)
{
    if (json) {
        printf("%s{\"id\": %s, \"name\": ", shown ? ", " : "", id);
        keel_json_string(stdout, name);
        printf(", \"state\": \"%s\", \"vcpus\": %u, \"memory_mib\": %llu}", state, vcpus, mib);
    } else {
        printf("%5s  %-20s %-9s %5u %11llu\n", id, name, state, vcpus, mib);
    }
}

static bool listed(const struct keel_domain_info *doms, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(doms[i].name, name))
            return true;
    return false;
}

int keel_cmd_list(struct keel *k, bool json, bool all)
{
    static uint32_t ids[MAX_DOMS];
    static struct keel_domain_info doms[MAX_DOMS];
    static struct keeld_vm vms[MAX_DOMS];
    int n = keel_domain_list(k, ids, MAX_DOMS), shown = 0, nr_vms = 0;

    if (n < 0) {
        fprintf(stderr, "keel: listing domains: %s\n", strerror(-n));
        return 1;
    }
    for (int i = 0; i < n && i < MAX_DOMS; i++)
        if (!keel_domain_info(k, ids[i], &doms[shown]))
            shown++;
    /* After the hypervisor's list: a domain keeld stops meanwhile is then shown as off. */
    if (all && (nr_vms = keeld_list(vms, MAX_DOMS, true)) < 0) {
        fprintf(stderr, "keel: keeld is not running: domains that are defined but not running "
                        "are not shown\n");
        nr_vms = 0;
    }
    printf(json ? "[" : "%5s  %-20s %-9s %5s %11s\n", "ID", "NAME", "STATE", "VCPUS", "MEMORY(MiB)");
    for (int i = 0; i < shown; i++) {
        char id[16];

        snprintf(id, sizeof(id), "%u", doms[i].domid);
        list_row(json, i, id, doms[i].name, keel_state_name(doms[i].state), doms[i].nr_vcpus,
                 (unsigned long long)(doms[i].mem_bytes >> 20));
    }
    for (int i = 0; i < nr_vms; i++)
        if (vms[i].persistent && !listed(doms, shown, vms[i].name))
            list_row(json, shown++, json ? "null" : "-", vms[i].name, "shut-off", vms[i].vcpus,
                     vms[i].memory_mib);
    if (json)
        printf("]\n");
    return 0;
}

/* A defined domain that is not running, as keeld knows it. */
static int dominfo_defined(const char *what, bool json)
{
    static struct keeld_vm vms[MAX_DOMS];
    int n = keeld_list(vms, MAX_DOMS, true);

    for (int i = 0; i < n; i++) {
        const struct keeld_vm *v = &vms[i];

        if (strcmp(v->name, what) || v->domid >= 0)
            continue;
        if (json) {
            printf("{\"id\": null, \"name\": ");
            keel_json_string(stdout, v->name);
            printf(", \"uuid\": \"%s\", \"state\": \"shut-off\", \"vcpus\": %u, "
                   "\"memory_mib\": %llu, \"persistent\": true}\n", v->uuid, v->vcpus, v->memory_mib);
        } else {
            printf("Id:             -\nName:           %s\nUUID:           %s\n"
                   "State:          shut off\nCPU(s):         %u\nMemory:         %llu MiB\n"
                   "Persistent:     yes\n", v->name, v->uuid, v->vcpus, v->memory_mib);
        }
        return 0;
    }
    fprintf(stderr, "keel: no domain %s\n", what);
    return 1;
}

int keel_cmd_dominfo(struct keel *k, const char *what, bool json)
{
    struct keel_domain_info d;
    char cpus[200];

    if (keel_find_domain(k, what, &d))
        return dominfo_defined(what, json);
    keel_format_cpus(d.cpus, cpus, sizeof(cpus));
    if (json) {
        printf("{\"id\": %u, \"name\": ", d.domid);
        keel_json_string(stdout, d.name);
        printf(", \"state\": \"%s\", \"vcpus\": %u, \"memory_mib\": %llu, \"cpu_seconds\": %.3f, "
               "\"cpus\": \"%s\", \"reason\": ", keel_state_name(d.state), d.nr_vcpus,
               (unsigned long long)(d.mem_bytes >> 20), d.cpu_ns / 1e9, cpus);
        keel_json_string(stdout, d.reason);
        printf("}\n");
        return 0;
    }
    printf("Id:             %u\nName:           %s\nState:          %s\nCPU(s):         %u\n"
           "CPU time:       %.1fs\nCPU affinity:   %s\nMemory:         %llu MiB\n", d.domid,
           d.name, keel_state_name(d.state), d.nr_vcpus, d.cpu_ns / 1e9, cpus,
           (unsigned long long)(d.mem_bytes >> 20));
    if (d.reason[0])
        printf("Stopped:        %s (code %d)\n", d.reason, d.shutdown_code);
    return 0;
}

/* Presses the power button, then waits up to timeout_s (0: not at all) for the power-off. */
int keel_cmd_shutdown(struct keel *k, const char *what, int timeout_s)
{
    struct keel_domain_info d, now;
    int r;

    if (keel_find_domain(k, what, &d)) {
        fprintf(stderr, "keel: no domain %s\n", what);
        return 1;
    }
    if ((r = simple(k, what, KEEL_DOMCTL_SHUTDOWN, "is being shut down (ACPI power button)")))
        return r;
    fflush(stdout);
    for (int i = 0; i < timeout_s * 10; i++) {
        if (keel_domain_info(k, d.domid, &now) || strcmp(now.name, d.name) ||
            now.state == KEEL_DOMSTATE_SHUTDOWN) {
            printf("Domain %s has powered off\n", d.name);
            return 0;
        }
        if (now.state == KEEL_DOMSTATE_CRASHED) {
            fprintf(stderr, "keel: %s crashed while shutting down: %s\n", d.name, now.reason);
            return 1;
        }
        usleep(100000);
    }
    if (timeout_s)
        fprintf(stderr, "keel: %s did not power off within %d s; it is still running (the guest "
                        "may ignore its power button; keel destroy %s stops it at once)\n",
                d.name, timeout_s, d.name);
    return timeout_s ? 1 : 0;
}

/* Copies what the domain's console has from *pos on to stdout; -errno on failure. */
static int drain(struct keel *k, uint32_t domid, uint64_t *pos)
{
    struct keel_domctl_console c;
    int r;

    do {
        memset(&c, 0, sizeof(c));
        c.domid = domid;
        c.pos = *pos;
        if ((r = keel_domctl(k, KEEL_DOMCTL_CONSOLE_READ, &c, sizeof(c))))
            return r;
        if (c.lost)
            fprintf(stdout, "\n[keel: %llu bytes of console output were lost]\n",
                    (unsigned long long)c.lost);
        fwrite(c.data, 1, c.len, stdout);
        *pos = c.pos;
    } while (c.len);
    fflush(stdout);
    return 0;
}

static int send_input(struct keel *k, uint32_t domid, const char *buf, size_t n)
{
    while (n) {
        struct keel_domctl_console c = { .domid = domid };
        int r;

        c.len = (uint32_t)(n < sizeof(c.data) ? n : sizeof(c.data));
        memcpy(c.data, buf, c.len);
        if ((r = keel_domctl(k, KEEL_DOMCTL_CONSOLE_WRITE, &c, sizeof(c))))
            return r;
        if (!c.len)
            usleep(10000);              /* its UART's FIFO is full: let the guest read */
        buf += c.len, n -= c.len;
    }
    return 0;
}

/* With --dump: what the console holds, then exit. Otherwise attached until Ctrl-]. */
int keel_cmd_console(struct keel *k, const char *what, bool dump)
{
    struct keel_domain_info d;
    struct termios saved, raw;
    bool tty = isatty(STDIN_FILENO);
    uint64_t pos = 0;
    int r;

    if (keel_find_domain(k, what, &d)) {
        fprintf(stderr, "keel: no domain %s\n", what);
        return 1;
    }
    if ((r = drain(k, d.domid, &pos)) || dump)
        return r ? (fprintf(stderr, "keel: console of %s: %s\n", what, strerror(-r)), 1) : 0;
    fprintf(stderr, "[keel: attached to %s's console; Ctrl-] detaches]\n", d.name);
    if (tty) {
        tcgetattr(STDIN_FILENO, &saved);
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    for (;;) {
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        char buf[256];
        ssize_t n;

        if (poll(&p, 1, 50) > 0) {
            n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0 || memchr(buf, DETACH_KEY, (size_t)n))
                break;
            if ((r = send_input(k, d.domid, buf, (size_t)n)))
                break;
        }
        if ((r = drain(k, d.domid, &pos)))
            break;
    }
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    fprintf(stderr, "\n[keel: detached from %s]\n", d.name);
    return r && r != -ESRCH ? 1 : 0;
}
