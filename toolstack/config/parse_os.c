/*
 * The semantic pass over <os>: what the domain boots, and the files it boots from.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domconfig_priv.h"

static const char *const file_kind_name[] = {
    [FILE_READ] = "a regular file", [FILE_EXEC] = "an executable file",
    [FILE_DISK] = "a regular file", [FILE_BLOCK] = "a block device",
    [FILE_OUTPUT] = "a file",
};

static bool kind_matches(const struct stat *st, enum file_kind kind)
{
    switch (kind) {
    case FILE_BLOCK:
        return S_ISBLK(st->st_mode);
    case FILE_OUTPUT:
        return !S_ISDIR(st->st_mode);
    default:
        return S_ISREG(st->st_mode);
    }
}

/* An output file need not exist yet, but its directory must. */
static void check_output(struct load_ctx *c, xmlNodePtr node, const char *what, const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    struct stat st;

    snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        ctx_error(c, node, "create the directory, or write the file somewhere else",
                  "%s '%s': the directory %s does not exist", what, path, dir);
}

void check_file(struct load_ctx *c, xmlNodePtr node, const char *what, const char *path,
                enum file_kind kind)
{
    int mode = kind == FILE_EXEC ? X_OK : kind == FILE_OUTPUT ? W_OK : R_OK;
    struct stat st;

    if (!path || !*path) {
        ctx_error(c, node, "write the file's full path", "%s: the path is empty", what);
        return;
    }
    if (path[0] != '/') {
        ctx_error(c, node, "write the full path, starting with /",
                  "%s '%s' is not an absolute path", what, path);
        return;
    }
    if (stat(path, &st)) {
        if (kind == FILE_OUTPUT && errno == ENOENT)
            check_output(c, node, what, path);
        else
            ctx_error(c, node, "check the path", "%s '%s': %s", what, path, strerror(errno));
        return;
    }
    if (!kind_matches(&st, kind))
        ctx_error(c, node, "check the path", "%s '%s' is not %s", what, path,
                  file_kind_name[kind]);
    else if (access(path, mode))
        ctx_error(c, node, "check the file's permissions", "%s '%s' cannot be %s: %s", what,
                  path, kind == FILE_EXEC ? "run" : kind == FILE_OUTPUT ? "written" : "read",
                  strerror(errno));
}

/* "pc", "q35" and the versioned names of the same two machines. */
static bool machine_ok(const char *m)
{
    return !strcmp(m, "pc") || !strcmp(m, "q35") || !strncmp(m, "pc-i440fx-", 10) ||
           !strncmp(m, "pc-q35-", 7);
}

static void parse_os_type(struct load_ctx *c, xmlNodePtr os)
{
    xmlNodePtr t = child(os, "type");
    const char *s = ctx_text(c, t), *arch = ctx_attr(c, t, "arch");
    const char *machine = ctx_attr(c, t, "machine");
    int v;

    if (!t) {
        ctx_error(c, os, "add <type arch='x86_64'>hvm</type> to <os>",
                  child(os, "kernel") ? "<os> has a <kernel> but no <type>" :
                                        "<os> has no <type>");
        return;
    }
    if (strcmp(s, "hvm"))
        ctx_error(c, t, "write <type>hvm</type>: Keel runs fully virtualised guests",
                  "os type '%s' is not supported", s);
    if (arch && (v = ctx_word(c, t, "architecture", arch, words_arch)) >= 0)
        c->cfg->os.arch = v;
    if (machine && !machine_ok(machine))
        ctx_error(c, t, "write machine='pc' or machine='q35', or leave it out",
                  "machine '%s' is not supported", machine);
    c->cfg->os.machine = ctx_strdup(c, machine && machine_ok(machine) ? machine : "pc");
}

static void parse_loader(struct load_ctx *c, xmlNodePtr l)
{
    struct keel_os *os = &c->cfg->os;
    const char *ro = ctx_attr(c, l, "readonly"), *type = ctx_attr(c, l, "type");
    int v;

    if (!l)
        return;
    check_file(c, l, "loader", ctx_text(c, l), FILE_READ);
    os->loader = ctx_strdup(c, ctx_text(c, l));
    if (ro && strcmp(ro, "yes") && strcmp(ro, "no"))
        ctx_error(c, l, "write readonly='yes' or readonly='no'",
                  "readonly='%s' is neither yes nor no", ro);
    os->loader_readonly = ro && !strcmp(ro, "yes");
    if (type && (v = ctx_word(c, l, "loader type", type, words_loader_type)) >= 0)
        os->loader_type = v;
}

/* A file element of <os> that needs a kernel beside it. */
static char *kernel_part(struct load_ctx *c, xmlNodePtr os, const char *name, bool file)
{
    xmlNodePtr n = child(os, name);
    char hint[96];

    if (!n)
        return NULL;
    if (!child(os, "kernel")) {
        snprintf(hint, sizeof(hint), "add a <kernel> to <os>, or remove the <%s>", name);
        ctx_error(c, n, hint, "<%s> without a <kernel>", name);
    }
    if (file)
        check_file(c, n, name, ctx_text(c, n), FILE_READ);
    return ctx_strdup(c, ctx_text(c, n));
}

static void parse_boot(struct load_ctx *c, xmlNodePtr os)
{
    struct keel_os *o = &c->cfg->os;

    for (xmlNodePtr b = os->children; b; b = b->next) {
        const char *dev = ctx_attr(c, b, "dev");
        int v;

        if (!is_element(b, "boot"))
            continue;
        if (!dev) {
            ctx_error(c, b, "write e.g. <boot dev='hd'/>", "<boot> has no dev attribute");
            continue;
        }
        if ((v = ctx_word(c, b, "boot device", dev, words_boot)) < 0)
            continue;
        for (unsigned int i = 0; i < o->nr_boot; i++)
            if (o->boot[i] == (enum keel_boot_dev)v) {
                ctx_error(c, b, "list each device once", "boot device '%s' is listed twice",
                          dev);
                v = -1;
            }
        if (v >= 0 && o->nr_boot < KEEL_DOMCONFIG_MAX_BOOT)
            o->boot[o->nr_boot++] = v;
    }
    /* As in libvirt, a domain that names nothing boots from its first disk. */
    if (!o->nr_boot && !child(os, "kernel"))
        o->boot[o->nr_boot++] = KEEL_BOOT_HD;
}

void parse_os(struct load_ctx *c, xmlNodePtr os)
{
    struct keel_os *o = &c->cfg->os;
    xmlNodePtr k = child(os, "kernel");

    parse_os_type(c, os);
    parse_loader(c, child(os, "loader"));
    if (k) {
        check_file(c, k, "kernel", ctx_text(c, k), FILE_READ);
        o->kernel = ctx_strdup(c, ctx_text(c, k));
    }
    o->initrd = kernel_part(c, os, "initrd", true);
    o->cmdline = kernel_part(c, os, "cmdline", false);
    parse_boot(c, os);
}
