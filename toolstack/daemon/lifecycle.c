/*
 * What keeld does while domains run: copies their consoles into their logs, notices a domain
 * that stopped (it powered off, reset itself or crashed) and applies the definition's
 * on_poweroff, on_reboot or on_crash; and, when it starts, finds again the definitions and the
 * domains that are still running.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/file.h"
#include "keeld.h"

#define MAX_DOMS 256

static void copy_console(struct keeld *d, struct vm *v)
{
    struct keel_domctl_console c;

    do {
        memset(&c, 0, sizeof(c));
        c.domid = v->domid;
        c.pos = v->con_pos;
        if (keel_domctl(d->k, KEEL_DOMCTL_CONSOLE_READ, &c, sizeof(c)))
            return;
        if (v->con_log && c.lost)
            fprintf(v->con_log, "\n--- keeld: %llu bytes of console output were lost ---\n",
                    (unsigned long long)c.lost);
        if (v->con_log)
            fwrite(c.data, 1, c.len, v->con_log);
        v->con_pos = c.pos;
    } while (c.len);
    if (v->con_log)
        fflush(v->con_log);
}

/* Destroys v's domain and waits until its name is free again. */
static void destroy(struct keeld *d, struct vm *v)
{
    struct keel_domctl_id id = { .domid = v->domid };
    struct keel_domain_info info;

    keel_domctl(d->k, KEEL_DOMCTL_DESTROY, &id, sizeof(id));
    for (int i = 0; i < 100 && !keel_domain_info(d->k, v->domid, &info); i++)
        usleep(50000);
}

static void restart(struct keeld *d, struct vm *v)
{
    destroy(d, v);
    v->running = false;
    if (vm_build(d, v, 0, stderr)) {
        keeld_log("%s: could not be started again", v->cfg.name);
        vm_forget(d, v);
        return;
    }
    v->running = true;
    v->handled = v->reboot_pending = false;
    v->con_pos = 0;
    if (v->con_log)
        fprintf(v->con_log, "\n--- keeld: %s: started again as domain %u ---\n", v->cfg.name,
                v->domid);
    keeld_log("%s: started again as domain %u", v->cfg.name, v->domid);
}

/* The action for a stopped domain, and words for the log. */
static enum keel_lifecycle action(const struct vm *v, const struct keel_domain_info *info,
                                  const char **what)
{
    if (info->state == KEEL_DOMSTATE_CRASHED) {
        *what = "on_crash";
        return v->cfg.on_crash;
    }
    if (!strcmp(info->reason, "reboot")) {
        *what = "on_reboot";
        return v->cfg.on_reboot;
    }
    *what = v->reboot_pending ? "keel reboot" : "on_poweroff";
    return v->reboot_pending ? KEEL_LC_RESTART : v->cfg.on_poweroff;
}

static void stopped(struct keeld *d, struct vm *v, const struct keel_domain_info *info)
{
    static const char *const names[] = { "destroy", "restart", "preserve" };
    const char *what;
    enum keel_lifecycle a = action(v, info, &what);

    keeld_log("%s: domain %u stopped (%s): %s=%s", v->cfg.name, v->domid, info->reason, what,
              names[a]);
    if (v->con_log)
        fprintf(v->con_log, "\n--- keeld: %s: stopped (%s): %s=%s ---\n", v->cfg.name,
                info->reason, what, names[a]);
    if (a == KEEL_LC_RESTART) {
        restart(d, v);
    } else if (a == KEEL_LC_DESTROY) {
        destroy(d, v);
        vm_forget(d, v);
    } else {
        v->handled = true;              /* preserve: left for keel destroy */
    }
}

void vm_poll(struct keeld *d)
{
    struct vm *next;

    for (struct vm *v = d->vms; v; v = next) {
        struct keel_domain_info info;

        next = v->next;                 /* v may be forgotten */
        if (!v->running)
            continue;
        if (keel_domain_info(d->k, v->domid, &info) || strcmp(info.name, v->cfg.name)) {
            keeld_log("%s: domain %u is gone (destroyed)", v->cfg.name, v->domid);
            vm_forget(d, v);
            continue;
        }
        copy_console(d, v);
        if ((info.state == KEEL_DOMSTATE_SHUTDOWN || info.state == KEEL_DOMSTATE_CRASHED) &&
            !v->handled)
            stopped(d, v, &info);
    }
}

/* --- at start ------------------------------------------------------------------------------- */

static int is_xml(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return n > 4 && !strcmp(e->d_name + n - 4, ".xml");
}

/* Each DIR/NAME.xml to fn. */
static void each_xml(struct keeld *d, const char *dir,
                     void (*fn)(struct keeld *d, const char *path, struct keel_domconfig *cfg))
{
    struct dirent **list;
    int n = scandir(dir, &list, is_xml, alphasort);

    for (int i = 0; i < n; i++) {
        char path[512];
        struct keel_domconfig cfg;
        struct keel_diag diag;
        size_t len;
        char *xml;

        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        free(list[i]);
        keel_diag_init(&diag);
        if (!(xml = keel_read_file(path, 1u << 20, &len)) ||
            keel_domconfig_load_mem(xml, len, path, NULL, &cfg, &diag)) {
            keeld_log("%s: cannot be loaded; left alone", path);
            keel_diag_print(&diag, stderr);
        } else {
            fn(d, path, &cfg);
        }
        keel_diag_free(&diag);
        free(xml);
    }
    if (n >= 0)
        free(list);
}

static void add_definition(struct keeld *d, const char *path, struct keel_domconfig *cfg)
{
    struct vm *v = vm_find(d, cfg->name) ? NULL : calloc(1, sizeof(*v));

    if (!v) {
        keeld_log("%s: a second definition of %s; left alone", path, cfg->name);
        keel_domconfig_free(cfg);
        return;
    }
    v->cfg = *cfg;
    v->persistent = true;
    v->next = d->vms;
    d->vms = v;
}

/* The domain named name in the hypervisor, if any. */
static int find_domain(struct keeld *d, const char *name, uint32_t *domid)
{
    static uint32_t ids[MAX_DOMS];
    int n = keel_domain_list(d->k, ids, MAX_DOMS);

    for (int i = 0; i < n && i < MAX_DOMS; i++) {
        struct keel_domain_info info;

        if (!keel_domain_info(d->k, ids[i], &info) && !strcmp(info.name, name)) {
            *domid = ids[i];
            return 0;
        }
    }
    return -ESRCH;
}

static void adopt(struct keeld *d, const char *path, struct keel_domconfig *cfg)
{
    struct vm *v = vm_find(d, cfg->name);
    char log[512];
    uint32_t domid;

    if (find_domain(d, cfg->name, &domid)) {
        unlink(path);                   /* it stopped while keeld was away */
        keel_domconfig_free(cfg);
        return;
    }
    if (v) {                            /* defined: the definition stays what it knows */
        keel_domconfig_free(cfg);
    } else if (!(v = calloc(1, sizeof(*v)))) {
        keel_domconfig_free(cfg);
        return;
    } else {
        v->cfg = *cfg;
        v->next = d->vms;
        d->vms = v;
    }
    v->running = true;
    v->domid = domid;
    keeld_log("%s: running as domain %u", v->cfg.name, domid);
    snprintf(log, sizeof(log), "%s/%s.log", d->log_dir, v->cfg.name);
    if ((v->con_log = fopen(log, "a")))
        fprintf(v->con_log, "\n--- keeld: restarted; the console again from the oldest byte "
                            "the hypervisor kept ---\n");
}


void vm_load_all(struct keeld *d)
{
    each_xml(d, d->state_dir, add_definition);
    each_xml(d, d->run_dir, adopt);
}
