/*
 * The first pass over a domain definition: every element and attribute must be one Keel supports,
 * in the place it belongs and no more often than it may appear. Each one that is not is named,
 * with a hint where one helps (the right parent, a near spelling), so users never see a bare
 * "fails to validate" from the schema for these mistakes.
 */
#include <string.h>

#include "domconfig_priv.h"

struct elem_rule {
    const char *parent;         /* NULL for the root */
    const char *name;
    unsigned int max;           /* 0: any number */
    bool text;                  /* holds text rather than elements */
    const char *attrs[6];
};

static const struct elem_rule rules[] = {
    { NULL, "domain", 1, false, { "type" } },
    { "domain", "name", 1, true, { 0 } },
    { "domain", "uuid", 1, true, { 0 } },
    { "domain", "memory", 1, true, { "unit" } },
    { "domain", "currentMemory", 1, true, { "unit" } },
    { "domain", "vcpu", 1, true, { "placement", "cpuset" } },
    { "domain", "os", 1, false, { 0 } },
    { "domain", "features", 1, false, { 0 } },
    { "domain", "cpu", 1, false, { 0 } },
    { "domain", "clock", 1, false, { "offset" } },
    { "domain", "on_poweroff", 1, true, { 0 } },
    { "domain", "on_reboot", 1, true, { 0 } },
    { "domain", "on_crash", 1, true, { 0 } },
    { "domain", "devices", 1, false, { 0 } },
    { "os", "type", 1, true, { "arch", "machine" } },
    { "os", "loader", 1, true, { "readonly", "type" } },
    { "os", "kernel", 1, true, { 0 } },
    { "os", "initrd", 1, true, { 0 } },
    { "os", "cmdline", 1, true, { 0 } },
    { "os", "boot", KEEL_DOMCONFIG_MAX_BOOT, false, { "dev" } },
    { "features", "acpi", 1, false, { 0 } },
    { "features", "apic", 1, false, { 0 } },
    { "features", "pae", 1, false, { 0 } },
    { "cpu", "topology", 1, false, { "sockets", "cores", "threads" } },
    { "clock", "timer", 1, false, { "name", "present" } },
    { "devices", "emulator", 1, true, { 0 } },
    { "devices", "disk", KEEL_DOMCONFIG_MAX_DEVICES, false, { "type", "device" } },
    { "devices", "interface", KEEL_DOMCONFIG_MAX_DEVICES, false, { "type" } },
    { "devices", "serial", KEEL_DOMCONFIG_MAX_DEVICES, false, { "type" } },
    { "devices", "console", KEEL_DOMCONFIG_MAX_DEVICES, false, { "type" } },
    { "devices", "graphics", KEEL_DOMCONFIG_MAX_DEVICES, false,
      { "type", "port", "autoport", "listen" } },
    { "devices", "video", KEEL_DOMCONFIG_MAX_DEVICES, false, { 0 } },
    { "devices", "input", KEEL_DOMCONFIG_MAX_DEVICES, false, { "type", "bus" } },
    { "disk", "driver", 1, false, { "name", "type" } },
    { "disk", "source", 1, false, { "file", "dev" } },
    { "disk", "target", 1, false, { "dev", "bus" } },
    { "disk", "readonly", 1, false, { 0 } },
    { "interface", "source", 1, false, { "network", "bridge" } },
    { "interface", "mac", 1, false, { "address" } },
    { "interface", "model", 1, false, { "type" } },
    { "serial", "source", 1, false, { "path" } },
    { "serial", "target", 1, false, { "port" } },
    { "console", "source", 1, false, { "path" } },
    { "console", "target", 1, false, { "type", "port" } },
    { "video", "model", 1, false, { "type", "vram", "heads" } },
};

#define NR_RULES (sizeof(rules) / sizeof(rules[0]))

/* Hints for libvirt elements and attributes people bring that Keel spells differently or
 * deliberately leaves out. */
struct special_hint {
    const char *parent, *name;
    const char *hint;
};

static const struct special_hint special_hints[] = {
    { "features", "hpet", "Keel takes the HPET from <clock><timer name='hpet' present='yes'/> "
                          "as libvirt does; it is present by default" },
    { "domain", "id", "remove it: Keel gives a domain its ID when the domain starts" },
    { "vcpu", "current", "remove it: Keel starts every vCPU the <vcpu> element counts" },
    { "domain", "maxMemory", "remove it: memory hotplug is not supported; <memory> is the size" },
    { "domain", "title", "remove it" },
    { "domain", "description", "remove it" },
    { "domain", "metadata", "remove it" },
};

static const char *node_name(xmlNodePtr n, char *buf, size_t size)
{
    if (n->ns && n->ns->prefix)
        snprintf(buf, size, "%s:%s", (const char *)n->ns->prefix, (const char *)n->name);
    else
        snprintf(buf, size, "%s", (const char *)n->name);
    return buf;
}

static const struct elem_rule *find_rule(const char *parent, const char *name)
{
    for (size_t i = 0; i < NR_RULES; i++)
        if (!strcmp(rules[i].name, name) &&
            (parent ? rules[i].parent && !strcmp(rules[i].parent, parent) : !rules[i].parent))
            return &rules[i];
    return NULL;
}

static const char *special_hint(const char *parent, const char *name)
{
    for (size_t i = 0; i < sizeof(special_hints) / sizeof(special_hints[0]); i++)
        if (!strcmp(special_hints[i].parent, parent) && !strcmp(special_hints[i].name, name))
            return special_hints[i].hint;
    return NULL;
}

/* Levenshtein distance, for "did you mean"; names longer than 31 bytes are never near. */
static unsigned int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned int row[32];

    if (la > 31 || lb > 31)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned int)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned int diag = row[0];

        row[0] = (unsigned int)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* "did you mean <memory>?" for a near element name under the same parent. */
static bool near_element(const char *parent, const char *name, char *hint, size_t size)
{
    for (size_t i = 0; i < NR_RULES; i++)
        if (rules[i].parent && !strcmp(rules[i].parent, parent) &&
            distance(rules[i].name, name) <= 2) {
            snprintf(hint, size, "did you mean <%s>?", rules[i].name);
            return true;
        }
    return false;
}

/* "<kernel> belongs in <os>" for an element Keel knows under another parent. */
static bool elsewhere(const char *name, char *hint, size_t size)
{
    for (size_t i = 0; i < NR_RULES; i++)
        if (rules[i].parent && !strcmp(rules[i].name, name)) {
            snprintf(hint, size, "<%s> belongs in <%s>", name, rules[i].parent);
            return true;
        }
    return false;
}

static void unknown_element(struct load_ctx *c, xmlNodePtr n, const char *parent)
{
    char name[96], hint[160];
    const char *h = special_hint(parent, node_name(n, name, sizeof(name)));

    if (h)
        ctx_error(c, n, h, "element <%s> is not supported by Keel", name);
    else if (elsewhere(name, hint, sizeof(hint)))
        ctx_error(c, n, hint, "element <%s> is not allowed in <%s>", name, parent);
    else
        ctx_error(c, n, near_element(parent, name, hint, sizeof(hint)) ? hint : NULL,
                  "element <%s> is not supported by Keel", name);
}

static void check_attrs(struct load_ctx *c, xmlNodePtr n, const struct elem_rule *r)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        const char *h = special_hint(r->name, an);
        char hint[160] = "";
        bool ok = false;

        for (unsigned int i = 0; i < 6 && r->attrs[i]; i++) {
            ok |= !strcmp(r->attrs[i], an) && !a->ns;
            if (!h && !hint[0] && distance(r->attrs[i], an) <= 2)
                snprintf(hint, sizeof(hint), "did you mean '%s'?", r->attrs[i]);
        }
        if (!ok)
            ctx_error(c, n, h ? h : hint[0] ? hint : NULL,
                      "attribute '%s%s%s' of <%s> is not supported by Keel",
                      a->ns && a->ns->prefix ? (const char *)a->ns->prefix : "",
                      a->ns && a->ns->prefix ? ":" : "", an, r->name);
    }
}

static bool blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (!strchr(" \t\r\n", *s))
            return false;
    return true;
}

static void check_content(struct load_ctx *c, xmlNodePtr n, const struct elem_rule *r)
{
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (r->text && k->type == XML_ELEMENT_NODE) {
            ctx_error(c, k, NULL, "<%s> takes text only, not the element <%s>", r->name,
                      (const char *)k->name);
            return;
        }
        if (!r->text && (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) &&
            !blank(k->content)) {
            ctx_error(c, n, NULL, "<%s> holds text, but takes only attributes and elements",
                      r->name);
            return;
        }
        if (k->type == XML_ENTITY_REF_NODE) {
            ctx_error(c, n, "write the characters themselves",
                      "entity references (&%s;) are not supported", (const char *)k->name);
            return;
        }
    }
}

/* A second <name> where only one may be: the message points at the extra one. */
static void check_repeats(struct load_ctx *c, xmlNodePtr n, const struct elem_rule *r)
{
    unsigned int seen = 0;
    long first = 0;

    for (xmlNodePtr s = n->parent->children; s && s != n; s = s->next)
        if (s->type == XML_ELEMENT_NODE && !s->ns && !strcmp((const char *)s->name, r->name)) {
            if (!seen++)
                first = xmlGetLineNo(s);
        }
    if (r->max && seen == r->max) {
        char hint[96];

        snprintf(hint, sizeof(hint), "the first is on line %ld", first);
        if (r->max == 1)
            ctx_error(c, n, hint, "<%s> may appear only once in <%s>", r->name, r->parent);
        else
            ctx_error(c, n, hint, "<%s> may appear at most %u times in <%s>", r->name, r->max,
                      r->parent);
    }
}

static void walk(struct load_ctx *c, xmlNodePtr n, const struct elem_rule *r)
{
    check_attrs(c, n, r);
    check_content(c, n, r);
    for (xmlNodePtr k = n->children; k; k = k->next) {
        const struct elem_rule *kr;

        if (k->type != XML_ELEMENT_NODE)
            continue;
        kr = k->ns ? NULL : find_rule(r->name, (const char *)k->name);
        if (!kr) {
            unknown_element(c, k, r->name);
            continue;
        }
        check_repeats(c, k, kr);
        walk(c, k, kr);
    }
}

void known_check(struct load_ctx *c, xmlNodePtr root)
{
    char name[96];

    if (root->ns || strcmp((const char *)root->name, "domain")) {
        ctx_error(c, root, "a domain definition starts with <domain type='keel'>",
                  "the document is a <%s>, not a <domain>", node_name(root, name, sizeof(name)));
        return;
    }
    walk(c, root, find_rule(NULL, "domain"));
}
