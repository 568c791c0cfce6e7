/*
 * Building a domain from its configuration (toolstack/builder does the steps): the kernel and
 * initrd read from the files the definition names, RAM, vCPUs and CPU affinity from it. A build
 * that fails at any step leaves no domain behind (the builder destroys it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../builder/builder.h"
#include "../lib/file.h"
#include "keeld.h"

struct build_ctx {
    struct keel *k;
    int fail_at, done;          /* tests: the fail_at-th hypervisor operation fails */
};

static int injected(struct build_ctx *c)
{
    return ++c->done == c->fail_at;
}

static int op_domctl(void *ctx, unsigned int cmd, void *arg, size_t size)
{
    struct build_ctx *c = ctx;

    return injected(c) ? -EIO : keel_domctl(c->k, cmd, arg, size);
}

static int op_write(void *ctx, uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    struct build_ctx *c = ctx;

    return injected(c) ? -EIO : keel_write_guest(c->k, domid, gpa, src, len);
}

/* The whole file, or NULL with the reason in out. */
static void *slurp(const char *what, const char *path, size_t *len, FILE *out)
{
    void *buf = keel_read_file(path, 1ull << 31, len);

    if (!buf)
        fprintf(out, "cannot read the %s %s: %s\n", what, path, strerror(errno));
    return buf;
}

static void say_free_memory(struct keel *k, FILE *out)
{
    struct keel_physinfo p;

    if (!keel_physinfo(k, &p))
        fprintf(out, "the hypervisor has %llu MiB free for domains\n",
                (unsigned long long)(p.free_bytes >> 20));
}

static int do_build(struct keeld *d, struct vm *v, struct keel_build_spec *s, int fail_at,
                    FILE *out)
{
    static const struct keel_build_ops ops = { op_domctl, op_write };
    struct build_ctx ctx = { .k = d->k, .fail_at = d->test_faults ? fail_at : 0 };
    struct keel_build_error e;

    if (keel_build_domain(s, &ops, &ctx, &v->domid, &e)) {
        fprintf(out, "cannot start %s: %s\n", s->name, e.msg);
        if (e.err == -ENOMEM)
            say_free_memory(d->k, out);
        keeld_log("%s: start failed: %s", s->name, e.msg);
        return 1;
    }
    return 0;
}

int vm_build(struct keeld *d, struct vm *v, int fail_at, FILE *out)
{
    const struct keel_domconfig *c = &v->cfg;
    struct keel_build_spec s = {
        .name = c->name, .nr_vcpus = c->vcpus, .mem_bytes = c->memory & ~0xfffull,
        .cpus = c->cpuset, .cmdline = c->os.cmdline ? c->os.cmdline : "",
    };
    void *kernel = NULL, *initrd = NULL;
    int r = 1;

    if (!c->os.kernel) {
        fprintf(out, "cannot start %s: it has no <kernel>; booting from firmware (<loader>, "
                     "<boot dev=...>) needs the device model, which Keel does not have yet\n",
                c->name);
        return 1;
    }
    if (!(kernel = slurp("kernel", c->os.kernel, &s.kernel_len, out)))
        goto done;
    s.kernel = kernel;
    if (c->os.initrd) {
        if (!(initrd = slurp("initrd", c->os.initrd, &s.initrd_len, out)))
            goto done;
        s.initrd = initrd;
    }
    r = do_build(d, v, &s, fail_at, out);
done:
    free(kernel);
    free(initrd);
    return r;
}
