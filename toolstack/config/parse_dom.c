/*
 * The semantic pass over the domain as a whole: name, UUID, memory, vCPUs, os, features, cpu,
 * clock and lifecycle actions, read into the config and checked, each error with a hint.
 * Devices are in parse_dev.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domconfig_priv.h"

#define MEM_HINT "write e.g. <memory unit='MiB'>256</memory>; units: b, bytes, KB, k, KiB, MB, " \
                 "M, MiB, GB, G, GiB, TB, T, TiB (KB = 1000 bytes, KiB = 1024; KiB by default)"

/* A missing element the domain cannot do without. */
static xmlNodePtr need(struct load_ctx *c, xmlNodePtr parent, const char *name, const char *hint)
{
    xmlNodePtr n = child(parent, name);

    if (!n)
        ctx_error(c, parent, hint, "<%s> is missing", name);
    return n;
}

static void parse_type(struct load_ctx *c, xmlNodePtr root)
{
    const char *t = ctx_attr(c, root, "type");
    int v;

    if (!t) {
        ctx_error(c, root, "write <domain type='keel'>", "<domain> has no type attribute");
        return;
    }
    if ((v = word_lookup(words_dom_type, t)) < 0) {
        ctx_error(c, root, "write <domain type='keel'> (kvm and xen are accepted too)",
                  "domain type '%s' is not supported by Keel", t);
        return;
    }
    c->cfg->type = v;
    if (v != KEEL_DOMTYPE_KEEL)
        ctx_note(c, root, "write type='keel' to silence this note",
                 "domain type '%s' is accepted and the domain runs on Keel", t);
}

static void parse_name(struct load_ctx *c, xmlNodePtr root)
{
    xmlNodePtr n = need(c, root, "name", "add <name>a-name</name>");
    const char *s = ctx_text(c, n);
    const char *hint = "use 1 to 31 letters, digits and _ . + -";

    if (!n || !s)
        return;
    if (!*s) {
        ctx_error(c, n, hint, "the name is empty");
        return;
    }
    if (strlen(s) > KEEL_DOMCONFIG_NAME_MAX) {
        ctx_error(c, n, hint, "the name is %zu characters long", strlen(s));
        return;
    }
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.+-", *p)) {
            ctx_error(c, n, hint, "the name '%s' holds the character '%c'", s, *p);
            return;
        }
    c->cfg->name = ctx_strdup(c, s);
}

static void parse_uuid(struct load_ctx *c, xmlNodePtr root)
{
    static const uint8_t zero[16];
    xmlNodePtr n = child(root, "uuid");
    const char *s = ctx_text(c, n);
    int r;

    if (!n) {
        c->cfg->uuid_generated = true;
        if ((r = uuid_generate(c->cfg->uuid)))
            ctx_error(c, root, "write a <uuid>", "no UUID could be generated: %s", strerror(-r));
        return;
    }
    if (keel_parse_uuid(s, c->cfg->uuid))
        ctx_error(c, n, "write 32 hex digits as 8-4-4-4-12, e.g. "
                  "4dea22b3-1d52-d8f3-2516-782e98ab3fa0, or leave <uuid> out to have one made",
                  "'%s' is not a UUID", s);
    else if (!memcmp(c->cfg->uuid, zero, 16))
        ctx_error(c, n, "leave <uuid> out to have one made", "the UUID is all zeros");
}

static int memory_value(struct load_ctx *c, xmlNodePtr n, uint64_t *bytes)
{
    const char *unit = ctx_attr(c, n, "unit");
    int r = keel_parse_memory(ctx_text(c, n), unit, bytes);

    if (r == -ERANGE)
        ctx_error(c, n, MEM_HINT, "'%s %s' does not fit in 64 bits of bytes", ctx_text(c, n),
                  unit ? unit : "KiB");
    else if (r && unit && keel_parse_memory("0", unit, bytes))
        ctx_error(c, n, MEM_HINT, "unit '%s' is not a memory unit", unit);
    else if (r)
        ctx_error(c, n, MEM_HINT, "'%s' is not a whole number", ctx_text(c, n));
    return r;
}

static void parse_memory(struct load_ctx *c, xmlNodePtr root)
{
    xmlNodePtr m = need(c, root, "memory", MEM_HINT), cur = child(root, "currentMemory");
    uint64_t free_bytes = c->host->free_bytes;
    struct keel_domconfig *cfg = c->cfg;
    char hint[128];

    if (!m || memory_value(c, m, &cfg->memory))
        return;
    if (cfg->memory < KEEL_DOMCONFIG_MIN_MEMORY)
        ctx_error(c, m, "give the domain at least 16 MiB: <memory unit='MiB'>16</memory>",
                  "%llu KiB is too little memory", (unsigned long long)cfg->memory >> 10);
    snprintf(hint, sizeof(hint), "the host has %llu MiB free for new domains",
             (unsigned long long)free_bytes >> 20);
    if (free_bytes && cfg->memory > free_bytes)
        ctx_error(c, m, hint, "%llu MiB is more memory than the host can give",
                  (unsigned long long)cfg->memory >> 20);
    cfg->current_memory = cfg->memory;
    if (!cur || memory_value(c, cur, &cfg->current_memory))
        return;
    if (cfg->current_memory > cfg->memory)
        ctx_error(c, cur, "make <currentMemory> at most <memory>, or leave it out",
                  "currentMemory (%llu KiB) is more than memory (%llu KiB)",
                  (unsigned long long)cfg->current_memory >> 10,
                  (unsigned long long)cfg->memory >> 10);
}

static void parse_cpuset(struct load_ctx *c, xmlNodePtr n, const char *s)
{
    unsigned int host = c->host->nr_cpus ? c->host->nr_cpus : KEEL_DOMCONFIG_MAX_CPUS;
    int r = keel_parse_cpuset(s, host, &c->cfg->cpuset);
    char hint[128];

    if (host > KEEL_DOMCONFIG_MAX_CPUS)
        host = KEEL_DOMCONFIG_MAX_CPUS;
    snprintf(hint, sizeof(hint), "the host's CPUs are 0-%u", host - 1);
    if (r == -ERANGE)
        ctx_error(c, n, hint, "cpuset '%s' names a CPU the host does not have", s);
    else if (r)
        ctx_error(c, n, "write CPU numbers and ranges, ^ to exclude: e.g. cpuset='0-3,^2,5'",
                  "cpuset '%s' is not a CPU list", s);
    else if (!c->cfg->cpuset)
        ctx_error(c, n, "name at least one CPU the domain may run on",
                  "cpuset '%s' leaves no CPU", s);
}

static void parse_vcpu(struct load_ctx *c, xmlNodePtr root)
{
    xmlNodePtr n = need(c, root, "vcpu", "add e.g. <vcpu>1</vcpu>");
    unsigned int max = c->host->max_vcpus ? c->host->max_vcpus : KEEL_DOMCONFIG_MAX_VCPUS;
    const char *placement, *cpuset;
    char hint[96];

    if (!n)
        return;
    if (max > KEEL_DOMCONFIG_MAX_VCPUS)
        max = KEEL_DOMCONFIG_MAX_VCPUS;
    snprintf(hint, sizeof(hint), "give 1 to %u vCPUs", max);
    if (parse_uint(ctx_text(c, n), max, &c->cfg->vcpus) || !c->cfg->vcpus)
        ctx_error(c, n, hint, "'%s' vCPUs: not a number from 1 to %u", ctx_text(c, n), max);
    placement = ctx_attr(c, n, "placement");
    if (placement && strcmp(placement, "static"))
        ctx_error(c, n, "write placement='static' or leave it out",
                  "placement '%s' is not supported", placement);
    if ((cpuset = ctx_attr(c, n, "cpuset")))
        parse_cpuset(c, n, cpuset);
}

static void parse_features(struct load_ctx *c, xmlNodePtr root)
{
    xmlNodePtr f = child(root, "features");

    c->cfg->features |= child(f, "acpi") ? KEEL_FEAT_ACPI : 0;
    c->cfg->features |= child(f, "apic") ? KEEL_FEAT_APIC : 0;
    c->cfg->features |= child(f, "pae") ? KEEL_FEAT_PAE : 0;
}

static void topology_value(struct load_ctx *c, xmlNodePtr t, const char *name, unsigned int *v)
{
    const char *s = ctx_attr(c, t, name);

    if (!s)
        ctx_error(c, t, "write sockets, cores and threads", "<topology> has no %s", name);
    else if (parse_uint(s, KEEL_DOMCONFIG_MAX_VCPUS, v) || !*v)
        ctx_error(c, t, "give a number from 1 to 64", "%s='%s' is not a count", name, s);
}

static void parse_cpu(struct load_ctx *c, xmlNodePtr root)
{
    xmlNodePtr t = child(child(root, "cpu"), "topology");
    struct keel_domconfig *cfg = c->cfg;
    unsigned int before = c->diag->errors;
    char hint[128];

    if (!t)
        return;
    topology_value(c, t, "sockets", &cfg->sockets);
    topology_value(c, t, "cores", &cfg->cores);
    topology_value(c, t, "threads", &cfg->threads);
    if (c->diag->errors != before || !cfg->vcpus)
        return;
    snprintf(hint, sizeof(hint), "sockets x cores x threads must equal <vcpu> (%u)", cfg->vcpus);
    if (cfg->sockets * cfg->cores * cfg->threads != cfg->vcpus)
        ctx_error(c, t, hint, "the topology gives %u CPUs, but <vcpu> is %u",
                  cfg->sockets * cfg->cores * cfg->threads, cfg->vcpus);
}

static void parse_clock(struct load_ctx *c, xmlNodePtr root)
{
    xmlNodePtr clk = child(root, "clock"), timer = child(clk, "timer");
    const char *offset = ctx_attr(c, clk, "offset"), *name, *present;
    int v;

    c->cfg->features |= KEEL_FEAT_HPET;
    if (offset && (v = ctx_word(c, clk, "clock offset", offset, words_clock)) >= 0)
        c->cfg->clock = v;
    if (!timer)
        return;
    name = ctx_attr(c, timer, "name");
    present = ctx_attr(c, timer, "present");
    if (!name || strcmp(name, "hpet"))
        ctx_error(c, timer, "only <timer name='hpet' present='yes|no'/> can be chosen",
                  "timer '%s' is not supported", name ? name : "");
    else if (present && !strcmp(present, "no"))
        c->cfg->features &= ~KEEL_FEAT_HPET;
    else if (present && strcmp(present, "yes"))
        ctx_error(c, timer, "write present='yes' or present='no'",
                  "present='%s' is neither yes nor no", present);
}

static void parse_lifecycle(struct load_ctx *c, xmlNodePtr root, const char *name,
                            enum keel_lifecycle *out)
{
    xmlNodePtr n = child(root, name);
    const char *s = ctx_text(c, n);
    char what[48];
    int v;

    if (!n)
        return;
    snprintf(what, sizeof(what), "%s action", name);
    if ((v = ctx_word(c, n, what, s, words_lifecycle)) >= 0)
        *out = v;
}

static void check_unique(struct load_ctx *c, xmlNodePtr root)
{
    const struct keel_host_limits *h = c->host;
    char u[37];

    for (size_t i = 0; i < h->nr_existing; i++) {
        const struct keel_domconfig_id *e = &h->existing[i];
        xmlNodePtr uuid = child(root, "uuid");

        if (c->cfg->name && e->name && !strcmp(e->name, c->cfg->name))
            ctx_error(c, child(root, "name"), "choose another name, or undefine the other",
                      "a domain named '%s' is already defined", e->name);
        keel_format_uuid(e->uuid, u);
        if (!memcmp(e->uuid, c->cfg->uuid, 16))
            ctx_error(c, uuid ? uuid : root, "choose another UUID, or leave <uuid> out",
                      "the UUID %s is already taken by domain '%s'", u, e->name ? e->name : "?");
    }
}

void parse_domain(struct load_ctx *c, xmlNodePtr root)
{
    struct keel_domconfig *cfg = c->cfg;
    xmlNodePtr os, devices = child(root, "devices");

    cfg->on_reboot = KEEL_LC_RESTART;
    parse_type(c, root);
    parse_name(c, root);
    parse_uuid(c, root);
    parse_memory(c, root);
    parse_vcpu(c, root);
    if ((os = need(c, root, "os", "add <os><type arch='x86_64'>hvm</type>...</os>")))
        parse_os(c, os);
    parse_features(c, root);
    parse_cpu(c, root);
    parse_clock(c, root);
    parse_lifecycle(c, root, "on_poweroff", &cfg->on_poweroff);
    parse_lifecycle(c, root, "on_reboot", &cfg->on_reboot);
    parse_lifecycle(c, root, "on_crash", &cfg->on_crash);
    if (devices)
        parse_devices(c, devices);
    check_unique(c, root);
}
