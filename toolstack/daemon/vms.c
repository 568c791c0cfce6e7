/*
 * keeld's domains: definitions (persistent, kept as XML in the state directory) and transient
 * domains (keel create), their start, and the requests on them. A domain's name is its key.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cli/info.h"
#include "keeld.h"

#define MAX_VMS 256

struct vm *vm_find(struct keeld *d, const char *name)
{
    for (struct vm *v = d->vms; v; v = v->next)
        if (!strcmp(v->cfg.name, name))
            return v;
    return NULL;
}

static void vm_free(struct vm *v)
{
    if (v->con_log)
        fclose(v->con_log);
    keel_domconfig_free(&v->cfg);
    free(v);
}

static void vm_unlink(struct keeld *d, struct vm *v)
{
    for (struct vm **pp = &d->vms; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    vm_free(v);
}

static struct vm *vm_add(struct keeld *d, struct keel_domconfig *cfg, bool persistent)
{
    struct vm *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->cfg = *cfg;
    v->persistent = persistent;
    v->next = d->vms;
    d->vms = v;
    return v;
}

static void path_of(const char *dir, const char *name, const char *ext, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s%s", dir, name, ext);
}

/* The configuration as canonical XML in dir/NAME.xml, replaced atomically. */
static int save_xml(const char *dir, const struct keel_domconfig *cfg, FILE *out)
{
    char path[512], tmp[520];
    FILE *f;

    path_of(dir, cfg->name, ".xml", path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    if (!(f = fopen(tmp, "w")) || keel_domconfig_write(cfg, f) || fflush(f) || fsync(fileno(f)) ||
        fclose(f) || rename(tmp, path)) {
        fprintf(out, "cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return 1;
    }
    return 0;
}

static void remove_xml(const char *dir, const char *name)
{
    char path[512];

    path_of(dir, name, ".xml", path, sizeof(path));
    unlink(path);
}

/* The console log, appended to: DIR/NAME.log. */
static void open_console_log(struct keeld *d, struct vm *v, const char *why)
{
    char path[512];
    time_t now = time(NULL);

    path_of(d->log_dir, v->cfg.name, ".log", path, sizeof(path));
    if (v->con_log)
        fclose(v->con_log);
    if ((v->con_log = fopen(path, "a")))
        fprintf(v->con_log, "\n--- keeld: %s: domain %u %s at %s", v->cfg.name, v->domid, why,
                ctime(&now));
}

static void vm_started(struct keeld *d, struct vm *v, const char *why)
{
    v->running = true;
    v->handled = v->reboot_pending = false;
    v->con_pos = 0;
    open_console_log(d, v, why);
    save_xml(d->run_dir, &v->cfg, stderr);
    keeld_log("%s: %s as domain %u", v->cfg.name, why, v->domid);
}

/* Its domain is gone: a transient one is forgotten. */
void vm_forget(struct keeld *d, struct vm *v)
{
    v->running = false;
    if (v->con_log) {
        fclose(v->con_log);
        v->con_log = NULL;
    }
    remove_xml(d->run_dir, v->cfg.name);
    if (!v->persistent)
        vm_unlink(d, v);
}

/* What the host can give, and the names and UUIDs taken (but skip's). */
static void host_limits(struct keeld *d, const struct vm *skip, struct keel_host_limits *h,
                        struct keel_domconfig_id *ids)
{
    struct keel_physinfo p;
    size_t n = 0;

    memset(h, 0, sizeof(*h));
    h->max_vcpus = KEEL_DOMCONFIG_MAX_VCPUS;
    if (d->k && !keel_physinfo(d->k, &p)) {
        h->nr_cpus = p.nr_cpus;
        h->free_bytes = p.total_bytes - p.dom0_bytes - p.hv_bytes;     /* ever, not now */
    }
    for (struct vm *v = d->vms; v && n < MAX_VMS; v = v->next)
        if (v != skip) {
            ids[n].name = v->cfg.name;
            memcpy(ids[n++].uuid, v->cfg.uuid, 16);
        }
    h->existing = ids;
    h->nr_existing = n;
}

/* The XML checked against the host and the other domains; its errors and notes go to out. */
static int load(struct keeld *d, const struct vm *skip, const char *file, const char *xml,
                size_t len, struct keel_domconfig *cfg, FILE *out)
{
    static struct keel_domconfig_id ids[MAX_VMS];
    struct keel_host_limits h;
    struct keel_diag diag;
    int r;

    host_limits(d, skip, &h, ids);
    keel_diag_init(&diag);
    r = keel_domconfig_load_mem(xml, len, file, &h, cfg, &diag);
    keel_diag_print(&diag, out);
    keel_diag_free(&diag);
    return r ? 1 : 0;
}

/* The name in the XML, for finding an earlier definition (the full check comes later). */
static struct vm *same_name(struct keeld *d, const char *file, const char *xml, size_t len)
{
    struct keel_domconfig cfg;
    struct keel_diag diag;
    struct vm *v = NULL;

    keel_diag_init(&diag);
    if (!keel_domconfig_load_mem(xml, len, file, NULL, &cfg, &diag)) {
        v = vm_find(d, cfg.name);
        keel_domconfig_free(&cfg);
    }
    keel_diag_free(&diag);
    return v;
}

int vm_define(struct keeld *d, const char *file, const char *xml, size_t len, FILE *out)
{
    struct vm *old = same_name(d, file, xml, len), *v;
    struct keel_domconfig cfg;

    if (load(d, old, file, xml, len, &cfg, out))
        return 1;
    if (old && !cfg.uuid_generated && memcmp(old->cfg.uuid, cfg.uuid, 16)) {
        char u[37];

        keel_format_uuid(old->cfg.uuid, u);
        fprintf(out, "%s: domain %s already exists with UUID %s (hint: give that UUID, or "
                     "none, to change its definition)\n", file, cfg.name, u);
        keel_domconfig_free(&cfg);
        return 1;
    }
    if (old)
        memcpy(cfg.uuid, old->cfg.uuid, 16);
    if (save_xml(d->state_dir, &cfg, out)) {
        keel_domconfig_free(&cfg);
        return 1;
    }
    if (old) {                          /* a running domain gets it at its next start */
        keel_domconfig_free(&old->cfg);
        old->cfg = cfg;
        old->persistent = true;
        v = old;
    } else if (!(v = vm_add(d, &cfg, true))) {
        keel_domconfig_free(&cfg);
        remove_xml(d->state_dir, cfg.name);
        fprintf(out, "out of memory\n");
        return 1;
    }
    fprintf(out, "Domain %s %s from %s\n", v->cfg.name, old ? "redefined" : "defined", file);
    keeld_log("%s: defined from %s", v->cfg.name, file);
    return 0;
}

int vm_create(struct keeld *d, const char *file, const char *xml, size_t len, int fail_at,
              FILE *out)
{
    struct keel_domconfig cfg;
    struct vm *v;

    if (load(d, NULL, file, xml, len, &cfg, out))
        return 1;
    if (!(v = vm_add(d, &cfg, false))) {
        keel_domconfig_free(&cfg);
        fprintf(out, "out of memory\n");
        return 1;
    }
    if (vm_build(d, v, fail_at, out)) {
        vm_unlink(d, v);
        return 1;
    }
    vm_started(d, v, "created");
    fprintf(out, "Domain %s created from %s (domain %u)\n", v->cfg.name, file, v->domid);
    return 0;
}

static struct vm *need_vm(struct keeld *d, const char *name, FILE *out)
{
    struct vm *v = vm_find(d, name);

    if (!v)
        fprintf(out, "no domain %s is defined or running\n", name);
    return v;
}

int vm_start(struct keeld *d, const char *name, int fail_at, FILE *out)
{
    struct vm *v = need_vm(d, name, out);

    if (!v)
        return 1;
    if (v->running) {
        fprintf(out, "domain %s is already running (domain %u)\n", name, v->domid);
        return 1;
    }
    if (vm_build(d, v, fail_at, out))
        return 1;
    vm_started(d, v, "started");
    fprintf(out, "Domain %s started (domain %u)\n", name, v->domid);
    return 0;
}

int vm_undefine(struct keeld *d, const char *name, FILE *out)
{
    struct vm *v = need_vm(d, name, out);

    if (!v)
        return 1;
    if (!v->persistent) {
        fprintf(out, "domain %s is not defined: it is a transient domain (keel create); "
                     "keel destroy ends it\n", name);
        return 1;
    }
    remove_xml(d->state_dir, name);
    keeld_log("%s: undefined", name);
    if (v->running) {
        v->persistent = false;
        fprintf(out, "Domain %s undefined; it keeps running until it stops, as a transient "
                     "domain\n", name);
        return 0;
    }
    vm_unlink(d, v);
    fprintf(out, "Domain %s undefined\n", name);
    return 0;
}

int vm_reboot(struct keeld *d, const char *name, FILE *out)
{
    struct vm *v = need_vm(d, name, out);
    struct keel_domctl_shutdown s = { .request = KEEL_SHUTDOWN_REQ_POWEROFF };
    int r;

    if (!v)
        return 1;
    if (!v->running) {
        fprintf(out, "domain %s is not running\n", name);
        return 1;
    }
    s.domid = v->domid;
    if ((r = keel_domctl(d->k, KEEL_DOMCTL_SHUTDOWN, &s, sizeof(s)))) {
        fprintf(out, "cannot ask %s to shut down: %s\n", name,
                r == -EBUSY ? "it is not running" : strerror(-r));
        return 1;
    }
    v->reboot_pending = true;
    fprintf(out, "Domain %s is being rebooted: its ACPI power button was pressed, and keeld "
                 "starts it again when it has powered off\n", name);
    return 0;
}

int vm_dumpxml(struct keeld *d, const char *name, FILE *out)
{
    struct vm *v = need_vm(d, name, out);

    return !v || keel_domconfig_write(&v->cfg, out) ? 1 : 0;
}

int vm_list(struct keeld *d, FILE *out)
{
    for (struct vm *v = d->vms; v; v = v->next) {
        struct keel_domain_info info;
        const char *state = "shut-off";
        char u[37], id[16] = "-";

        if (v->running) {
            state = keel_domain_info(d->k, v->domid, &info) ? "gone" : keel_state_name(info.state);
            snprintf(id, sizeof(id), "%u", v->domid);
        }
        keel_format_uuid(v->cfg.uuid, u);
        fprintf(out, "%s %s %s %d %s %u %llu\n", v->cfg.name, state, id, v->persistent, u,
                v->cfg.vcpus, (unsigned long long)(v->cfg.memory >> 20));
    }
    return 0;
}
