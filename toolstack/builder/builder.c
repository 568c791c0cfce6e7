/* Building a domain from dom0, step by step, undone as a whole on failure (builder.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/fw_kboot.h>
#include <public/keel/domctl.h>

#include "builder.h"

#define POPULATE_CHUNK (64ull << 20)    /* RAM per POPULATE call: a failure stops early */

struct build {
    const struct keel_build_spec *s;
    const struct keel_build_ops *ops;
    void *ctx;
    uint32_t domid;
    struct keel_build_error *e;
};

static int failed(struct build *b, enum keel_build_step step, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int failed(struct build *b, enum keel_build_step step, int err, const char *fmt, ...)
{
    char what[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    b->e->step = step;
    b->e->err = err;
    snprintf(b->e->msg, sizeof(b->e->msg), "%s: %s", what, strerror(-err));
    return err;
}

static int create(struct build *b)
{
    struct keel_domctl_create c = { .nr_vcpus = b->s->nr_vcpus, .weight = b->s->weight,
                                    .cpus = b->s->cpus, .max_bytes = b->s->mem_bytes };
    int r;

    if (strlen(b->s->name) >= sizeof(c.name))
        return failed(b, KEEL_BUILD_CREATE, -ENAMETOOLONG, "creating domain %s", b->s->name);
    memcpy(c.name, b->s->name, strlen(b->s->name));
    r = b->ops->domctl(b->ctx, KEEL_DOMCTL_CREATE, &c, sizeof(c));
    if (r)
        return failed(b, KEEL_BUILD_CREATE, r, "creating domain %s", b->s->name);
    b->domid = c.domid;
    return 0;
}

static int populate(struct build *b)
{
    uint64_t pages = b->s->mem_bytes >> 12, chunk = POPULATE_CHUNK >> 12;

    for (uint64_t g = 0; g < pages; g += chunk) {
        struct keel_domctl_populate p = { .domid = b->domid, .first_gfn = g,
                                          .nr_pages = pages - g < chunk ? pages - g : chunk };
        int r = b->ops->domctl(b->ctx, KEEL_DOMCTL_POPULATE, &p, sizeof(p));

        if (r)
            return failed(b, KEEL_BUILD_POPULATE, r, "giving it %llu MiB of RAM",
                          (unsigned long long)(b->s->mem_bytes >> 20));
    }
    return 0;
}

static int write_guest(void *ctx, uint64_t gpa, const void *src, size_t len)
{
    struct build *b = ctx;

    return b->ops->write_guest(b->ctx, b->domid, gpa, src, len);
}

_Static_assert(FW_PVPANIC_PORT == KEEL_PLATFORM_PVPANIC_PORT, "the DSDT names the notifier's port");

static int load(struct build *b)
{
    struct fw_acpi_cfg acpi = {
        .nr_cpus = b->s->nr_vcpus, .lapic_addr = KEEL_PLATFORM_LAPIC,
        .ioapic_addr = KEEL_PLATFORM_IOAPIC, .ioapic_id = (uint8_t)b->s->nr_vcpus,
        .pm_base = KEEL_PLATFORM_PM_BASE, .sci_irq = KEEL_PLATFORM_SCI_IRQ, .hpet = true,
        .pvpanic = true,
    };
    struct fw_kboot_linux in = {
        .image = b->s->kernel, .image_len = b->s->kernel_len, .initrd = b->s->initrd,
        .initrd_len = b->s->initrd_len, .cmdline = b->s->cmdline, .ram_bytes = b->s->mem_bytes,
        .acpi = &acpi,
    };
    struct fw_kboot_result res;
    int r;

    if (!(in.scratch = calloc(1, FW_KBOOT_SCRATCH)))
        return failed(b, KEEL_BUILD_LOAD, -ENOMEM, "loading its kernel");
    r = fw_kboot_linux(&in, write_guest, b, &res);
    free(in.scratch);
    return r ? failed(b, KEEL_BUILD_LOAD, r, "loading its kernel (%s)", res.why) : 0;
}

static int start_vcpu(struct build *b)
{
    struct keel_domctl_vcpu v = { .domid = b->domid, .vcpu = 0, .cs = FW_ENTRY32_GPA >> 4 };
    int r = b->ops->domctl(b->ctx, KEEL_DOMCTL_SET_VCPU, &v, sizeof(v));

    return r ? failed(b, KEEL_BUILD_VCPU, r, "setting its first vCPU") : 0;
}

static int unpause(struct build *b)
{
    struct keel_domctl_id id = { .domid = b->domid };
    int r;

    if (b->s->paused)
        return 0;
    r = b->ops->domctl(b->ctx, KEEL_DOMCTL_UNPAUSE, &id, sizeof(id));
    return r ? failed(b, KEEL_BUILD_UNPAUSE, r, "starting it") : 0;
}

static int check_spec(struct build *b)
{
    const struct keel_build_spec *s = b->s;

    if (!s->name || !s->nr_vcpus || !s->mem_bytes || (s->mem_bytes & 0xfff) || !s->kernel)
        return failed(b, KEEL_BUILD_CREATE, -EINVAL, "checking the domain's configuration");
    return 0;
}

int keel_build_domain(const struct keel_build_spec *s, const struct keel_build_ops *ops, void *ctx,
                      uint32_t *domid, struct keel_build_error *e)
{
    struct build b = { .s = s, .ops = ops, .ctx = ctx, .e = e };
    int r;

    memset(e, 0, sizeof(*e));
    if ((r = check_spec(&b)) || (r = create(&b)))
        return r;
    if ((r = populate(&b)) || (r = load(&b)) || (r = start_vcpu(&b)) || (r = unpause(&b))) {
        struct keel_domctl_id id = { .domid = b.domid };

        ops->domctl(ctx, KEEL_DOMCTL_DESTROY, &id, sizeof(id));
        return r;
    }
    *domid = b.domid;
    return 0;
}
