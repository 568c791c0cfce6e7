/*
 * Loading a domain definition: the XML parse (libxml2), the first pass over names (known.c), the
 * RelaxNG schema, then the semantic passes (parse_dom.c, parse_dev.c). libxml2's own messages are
 * caught with a structured error handler so that they too carry file:line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "domconfig_priv.h"

#define MAX_FILE_SIZE (1u << 20)
#define SCHEMA_HINT "docs/domain-xml.md lists the elements Keel accepts and where they go"

static xmlRelaxNGPtr schema;

/* --- diagnostics about nodes ---------------------------------------------------------------- */

void node_path(xmlNodePtr node, char *buf, size_t size)
{
    unsigned int idx = 0, same = 0;
    char tmp[512];
    size_t n;

    buf[0] = 0;
    if (!node || node->type != XML_ELEMENT_NODE)
        return;
    if (node->parent && node->parent->type == XML_ELEMENT_NODE)
        node_path(node->parent, buf, size);
    n = strlen(buf);

    for (xmlNodePtr s = node->parent ? node->parent->children : NULL; s; s = s->next) {
        if (s->type != XML_ELEMENT_NODE || strcmp((const char *)s->name, (const char *)node->name))
            continue;
        same++;
        if (s == node)
            idx = same;
    }
    if (same > 1)
        snprintf(tmp, sizeof(tmp), "/%s[%u]", (const char *)node->name, idx);
    else
        snprintf(tmp, sizeof(tmp), "/%s", (const char *)node->name);
    snprintf(buf + n, size - n, "%s", tmp);
}

static void ctx_addv(struct load_ctx *c, enum keel_diag_severity sev, xmlNodePtr node,
                     const char *hint, const char *fmt, va_list ap)
{
    char path[512];

    node_path(node, path, sizeof(path));
    diag_addv(c->diag, sev, c->file, node ? xmlGetLineNo(node) : 0, path, hint, fmt, ap);
}

void ctx_error(struct load_ctx *c, xmlNodePtr node, const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ctx_addv(c, KEEL_DIAG_ERROR, node, hint, fmt, ap);
    va_end(ap);
}

void ctx_note(struct load_ctx *c, xmlNodePtr node, const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ctx_addv(c, KEEL_DIAG_NOTE, node, hint, fmt, ap);
    va_end(ap);
}

/* libxml2's messages (parser and RelaxNG) as errors of this load. */
static void xml_error(void *data, xmlErrorPtr e)
{
    struct load_ctx *c = data;
    xmlNodePtr node = e->node;
    char path[512] = "", msg[512];
    long line = e->line;
    size_t n;

    if (e->level == XML_ERR_WARNING)
        return;
    if (e->domain == XML_FROM_RELAXNGV && node && ((xmlNodePtr)node)->type == XML_ELEMENT_NODE) {
        node_path(node, path, sizeof(path));
        if (!line)
            line = xmlGetLineNo(node);
    }
    snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "malformed XML");
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = 0;
    diag_add(c->diag, KEEL_DIAG_ERROR, c->file, line, path,
             e->domain == XML_FROM_RELAXNGV ? SCHEMA_HINT : NULL, "%s", msg);
}

static void quiet(void *data, const char *fmt, ...)
{
}

/* --- small tree helpers ---------------------------------------------------------------------- */

bool is_element(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !n->ns && !strcmp((const char *)n->name, name);
}

xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr k = parent ? parent->children : NULL; k; k = k->next)
        if (is_element(k, name))
            return k;
    return NULL;
}

unsigned int count_children(xmlNodePtr parent, const char *name)
{
    unsigned int n = 0;

    for (xmlNodePtr k = parent ? parent->children : NULL; k; k = k->next)
        n += is_element(k, name);
    return n;
}

static const char *pool_keep(struct load_ctx *c, xmlChar *s)
{
    size_t len, start = 0;

    if (!s)
        return NULL;
    if (c->pool_count == c->pool_cap) {
        size_t cap = c->pool_cap ? c->pool_cap * 2 : 32;
        xmlChar **n = realloc(c->pool, cap * sizeof(*n));

        if (!n) {
            xmlFree(s);
            c->oom = 1;
            return NULL;
        }
        c->pool = n;
        c->pool_cap = cap;
    }
    c->pool[c->pool_count++] = s;
    len = strlen((char *)s);
    while (len && strchr(" \t\r\n", s[len - 1]))
        s[--len] = 0;
    while (start < len && strchr(" \t\r\n", s[start]))
        start++;
    return (const char *)s + start;
}

const char *ctx_text(struct load_ctx *c, xmlNodePtr n)
{
    return n ? pool_keep(c, xmlNodeGetContent(n)) : NULL;
}

const char *ctx_attr(struct load_ctx *c, xmlNodePtr n, const char *name)
{
    return n ? pool_keep(c, xmlGetNoNsProp(n, (const xmlChar *)name)) : NULL;
}

static void pool_free(struct load_ctx *c)
{
    for (size_t i = 0; i < c->pool_count; i++)
        xmlFree(c->pool[i]);
    free(c->pool);
}

int ctx_word(struct load_ctx *c, xmlNodePtr node, const char *what, const char *value,
             const struct word *words)
{
    int v = word_lookup(words, value);
    char list[160], hint[200];

    if (v >= 0)
        return v;
    word_list(words, list, sizeof(list));
    snprintf(hint, sizeof(hint), "Keel supports %s", list);
    ctx_error(c, node, hint, "%s '%s' is not supported", what, value);
    return -1;
}

char *ctx_strdup(struct load_ctx *c, const char *s)
{
    char *d;

    if (!s)
        return NULL;
    if (!(d = strdup(s)))
        c->oom = 1;
    return d;
}

/* --- the passes -------------------------------------------------------------------------------- */

static xmlRelaxNGPtr load_schema(void)
{
    xmlRelaxNGParserCtxtPtr pc;

    if (schema)
        return schema;
    pc = xmlRelaxNGNewMemParserCtxt(keel_domain_rng, (int)keel_domain_rng_len);
    if (!pc)
        return NULL;
    schema = xmlRelaxNGParse(pc);
    xmlRelaxNGFreeParserCtxt(pc);
    return schema;
}

static void validate_schema(struct load_ctx *c, xmlDocPtr doc)
{
    unsigned int before = c->diag->errors;
    xmlRelaxNGValidCtxtPtr vc;
    int r;

    if (!load_schema()) {
        diag_add(c->diag, KEEL_DIAG_ERROR, c->file, 0, "", NULL,
                 "the built-in domain schema does not load (a broken build?)");
        return;
    }
    if (!(vc = xmlRelaxNGNewValidCtxt(schema))) {
        c->oom = 1;
        return;
    }
    xmlRelaxNGSetValidStructuredErrors(vc, xml_error, c);
    r = xmlRelaxNGValidateDoc(vc, doc);
    xmlRelaxNGFreeValidCtxt(vc);
    if (r && c->diag->errors == before)
        diag_add(c->diag, KEEL_DIAG_ERROR, c->file, 0, "", SCHEMA_HINT,
                 "the definition does not match the domain schema");
}

static xmlDocPtr read_xml(struct load_ctx *c, const char *buf, size_t len)
{
    int opts = XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA;
    unsigned int before = c->diag->errors;
    xmlDocPtr doc;

    if (len > MAX_FILE_SIZE) {
        diag_add(c->diag, KEEL_DIAG_ERROR, c->file, 0, "", NULL,
                 "the file is %zu bytes; a domain definition may have at most %u", len,
                 MAX_FILE_SIZE);
        return NULL;
    }
    if (!len) {
        diag_add(c->diag, KEEL_DIAG_ERROR, c->file, 0, "", "a domain definition starts with "
                 "<domain type='keel'>", "the file is empty");
        return NULL;
    }
    doc = xmlReadMemory(buf, (int)len, c->file, NULL, opts);
    if (doc && (doc->intSubset || doc->extSubset)) {
        diag_add(c->diag, KEEL_DIAG_ERROR, c->file, 1, "", "remove the <!DOCTYPE ...> line",
                 "document type declarations are not supported");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (!doc && c->diag->errors == before)
        diag_add(c->diag, KEEL_DIAG_ERROR, c->file, 0, "", NULL, "the XML does not parse");
    return doc;
}

static void run_passes(struct load_ctx *c, const char *buf, size_t len)
{
    unsigned int before = c->diag->errors;
    xmlDocPtr doc = read_xml(c, buf, len);
    xmlNodePtr root;

    if (!doc)
        return;
    root = xmlDocGetRootElement(doc);
    if (!root)
        diag_add(c->diag, KEEL_DIAG_ERROR, c->file, 0, "", NULL, "the document is empty");
    else
        known_check(c, root);
    if (c->diag->errors == before)
        validate_schema(c, doc);
    if (c->diag->errors == before && !c->oom)
        parse_domain(c, root);
    xmlFreeDoc(doc);
}

int keel_domconfig_load_mem(const char *buf, size_t len, const char *name,
                            const struct keel_host_limits *host, struct keel_domconfig *out,
                            struct keel_diag *diag)
{
    static const struct keel_host_limits no_limits;
    struct load_ctx c = { .file = name ? name : "-", .host = host ? host : &no_limits,
                          .diag = diag, .cfg = out };
    unsigned int before = diag->errors;
    xmlStructuredErrorFunc old_s = xmlStructuredError;
    void *old_sctx = xmlStructuredErrorContext;
    xmlGenericErrorFunc old_g = xmlGenericError;
    void *old_gctx = xmlGenericErrorContext;

    memset(out, 0, sizeof(*out));
    xmlInitParser();
    xmlSetStructuredErrorFunc(&c, xml_error);
    xmlSetGenericErrorFunc(NULL, quiet);
    run_passes(&c, buf, len);
    xmlSetStructuredErrorFunc(old_sctx, old_s);
    xmlSetGenericErrorFunc(old_gctx, old_g);
    pool_free(&c);
    if (c.oom)
        diag_add(diag, KEEL_DIAG_ERROR, c.file, 0, "", NULL, "out of memory");
    if (diag->errors == before)
        return 0;
    keel_domconfig_free(out);
    return c.oom ? -ENOMEM : -EINVAL;
}

static int read_file(const char *path, char **buf, size_t *len, struct keel_diag *diag)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0, n = 0, got = 1;
    char *b = NULL;
    int r = 0;

    if (!f) {
        r = -errno;
        diag_add(diag, KEEL_DIAG_ERROR, path, 0, "", NULL, "cannot open: %s", strerror(-r));
        return r;
    }
    while (got && n <= MAX_FILE_SIZE) {
        if (n == cap) {
            char *nb = realloc(b, cap = cap ? cap * 2 : 16384);

            if (!nb) {
                r = -ENOMEM;
                break;
            }
            b = nb;
        }
        n += got = fread(b + n, 1, cap - n, f);
    }
    if (!r && ferror(f))
        r = -EIO;
    fclose(f);
    if (r) {
        diag_add(diag, KEEL_DIAG_ERROR, path, 0, "", NULL, "cannot read: %s", strerror(-r));
        free(b);
        return r;
    }
    *buf = b;
    *len = n;
    return 0;
}

int keel_domconfig_load(const char *path, const struct keel_host_limits *host,
                        struct keel_domconfig *out, struct keel_diag *diag)
{
    char *buf = NULL;
    size_t len = 0;
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = read_file(path, &buf, &len, diag)))
        return r;
    r = keel_domconfig_load_mem(buf, len, path, host, out, diag);
    free(buf);
    return r;
}

void keel_domconfig_cleanup(void)
{
    if (schema)
        xmlRelaxNGFree(schema);
    schema = NULL;
}
