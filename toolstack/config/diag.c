/*
 * The diagnostics list: every error and note the loader finds, with where it was found.
 */
#define _GNU_SOURCE     /* vasprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domconfig_priv.h"

void keel_diag_init(struct keel_diag *d)
{
    memset(d, 0, sizeof(*d));
}

void keel_diag_free(struct keel_diag *d)
{
    for (size_t i = 0; i < d->count; i++) {
        struct keel_diag_item *it = &d->items[i];

        free(it->file);
        free(it->path);
        free(it->message);
        free(it->hint);
    }
    free(d->items);
    keel_diag_init(d);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;

    if (!fmt)
        return NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

/* Allocation failures lose the item but still count it, so a failed load never looks clean. */
static void diag_push(struct keel_diag *d, struct keel_diag_item *it)
{
    if (it->severity == KEEL_DIAG_ERROR)
        d->errors++;
    else
        d->notes++;
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct keel_diag_item *n = realloc(d->items, cap * sizeof(*n));

        if (!n)
            goto lost;
        d->items = n;
        d->cap = cap;
    }
    if (!it->file || !it->path || !it->message)
        goto lost;
    d->items[d->count++] = *it;
    return;
lost:
    free(it->file);
    free(it->path);
    free(it->message);
    free(it->hint);
}

void diag_addv(struct keel_diag *d, enum keel_diag_severity sev, const char *file, long line,
               const char *path, const char *hint, const char *fmt, va_list ap)
{
    struct keel_diag_item it = {
        .severity = sev, .file = dup_or_null(file ? file : "-"), .line = line,
        .path = dup_or_null(path ? path : ""), .message = vformat(fmt, ap),
        .hint = dup_or_null(hint),
    };

    diag_push(d, &it);
}

void diag_add(struct keel_diag *d, enum keel_diag_severity sev, const char *file, long line,
              const char *path, const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_addv(d, sev, file, line, path, hint, fmt, ap);
    va_end(ap);
}

/* "/domain/devices/disk[2]/target" -> "target". */
static const char *last_element(const char *path, size_t *len)
{
    const char *s = strrchr(path, '/');
    const char *b;

    s = s ? s + 1 : path;
    b = strchr(s, '[');
    *len = b ? (size_t)(b - s) : strlen(s);
    return s;
}

char *keel_diag_format(const struct keel_diag_item *it, char *buf, size_t size)
{
    const char *sev = it->severity == KEEL_DIAG_ERROR ? "error" : "note";
    size_t elen;
    const char *el = last_element(it->path, &elen);
    int n;

    if (it->line > 0)
        n = snprintf(buf, size, "%s:%ld: %s: ", it->file, it->line, sev);
    else
        n = snprintf(buf, size, "%s: %s: ", it->file, sev);
    if (n >= 0 && (size_t)n < size && elen)
        n += snprintf(buf + n, size - n, "<%.*s>: ", (int)elen, el);
    if (n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - n, "%s", it->message);
    if (n >= 0 && (size_t)n < size && it->hint)
        snprintf(buf + n, size - n, " (hint: %s)", it->hint);
    return buf;
}

void keel_diag_print(const struct keel_diag *d, FILE *f)
{
    char buf[1024];

    for (size_t i = 0; i < d->count; i++)
        fprintf(f, "%s\n", keel_diag_format(&d->items[i], buf, sizeof(buf)));
}
