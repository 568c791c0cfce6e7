/*
 * What the parts of libkeelconfig share: the load context, the diagnostics helpers, the table of
 * supported elements and value syntax.
 */
#ifndef KEEL_DOMCONFIG_PRIV_H
#define KEEL_DOMCONFIG_PRIV_H

#include <stdarg.h>
#include <libxml/tree.h>

#include "domconfig.h"

void diag_add(struct keel_diag *d, enum keel_diag_severity sev, const char *file, long line,
              const char *path, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void diag_addv(struct keel_diag *d, enum keel_diag_severity sev, const char *file, long line,
               const char *path, const char *hint, const char *fmt, va_list ap);

int parse_u64(const char *s, uint64_t *out);
int parse_uint(const char *s, unsigned int max, unsigned int *out);
int uuid_generate(uint8_t uuid[16]);

/* One load: where messages go and what the checks compare against. */
struct load_ctx {
    const char *file;
    const struct keel_host_limits *host;
    struct keel_diag *diag;
    struct keel_domconfig *cfg;
    int oom;                    /* an allocation failed: the load ends with -ENOMEM */
    xmlChar **pool;             /* strings read from the tree, freed when the load ends */
    size_t pool_count, pool_cap;
};

/* Errors and notes about a node (NULL: the file); the path is computed from the node. */
void ctx_error(struct load_ctx *c, xmlNodePtr node, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ctx_note(struct load_ctx *c, xmlNodePtr node, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "/domain/devices/disk[2]/target" into buf. */
void node_path(xmlNodePtr node, char *buf, size_t size);

/* The walk that names unsupported, misplaced and repeated elements and attributes (known.c). */
void known_check(struct load_ctx *c, xmlNodePtr root);

/* Values from the tree, spaces around them removed: NULL when absent (or n is NULL). They live
 * until the load ends. */
const char *ctx_text(struct load_ctx *c, xmlNodePtr n);
const char *ctx_attr(struct load_ctx *c, xmlNodePtr n, const char *name);
xmlNodePtr child(xmlNodePtr parent, const char *name);
unsigned int count_children(xmlNodePtr parent, const char *name);
bool is_element(xmlNodePtr n, const char *name);
/* A copy the config owns (malloc), or NULL with c->oom set. */
char *ctx_strdup(struct load_ctx *c, const char *s);

/* Mapping words to enum values. */
struct word {
    const char *name;
    int value;
};
/* The value of name in words (terminated by a NULL name), or -1. */
int word_lookup(const struct word *words, const char *name);
const char *word_name(const struct word *words, int value);
/* "a, b or c" for hints. */
void word_list(const struct word *words, char *buf, size_t size);

extern const struct word words_dom_type[], words_arch[], words_boot[], words_loader_type[],
    words_clock[], words_lifecycle[], words_disk_type[], words_disk_device[], words_disk_format[],
    words_disk_bus[], words_net_type[], words_net_model[], words_chr_type[], words_chr_target[],
    words_gfx_type[], words_video_model[], words_input_type[], words_input_bus[];

/* The semantic passes (parse_dom.c, parse_os.c, parse_dev.c): read the tree into c->cfg and check it. */
void parse_domain(struct load_ctx *c, xmlNodePtr root);
void parse_os(struct load_ctx *c, xmlNodePtr os);
void parse_devices(struct load_ctx *c, xmlNodePtr devices);
/* A file the domain needs: an absolute path to something readable of the kind given. */
enum file_kind { FILE_READ, FILE_EXEC, FILE_DISK, FILE_BLOCK, FILE_OUTPUT };
void check_file(struct load_ctx *c, xmlNodePtr node, const char *what, const char *path,
                enum file_kind kind);
/* The value of an enumerated word, or -1 after an error naming the choices. */
int ctx_word(struct load_ctx *c, xmlNodePtr node, const char *what, const char *value,
             const struct word *words);

/* The schema text built into the library (schema.S). */
extern const char keel_domain_rng[];
extern const unsigned int keel_domain_rng_len;

#endif
