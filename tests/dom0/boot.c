/*
 * keel-boot NAME KERNEL INITRD MEM_MIB VCPUS CMDLINE: builds and starts a domain from dom0 with
 * the toolstack's builder (toolstack/builder) over /dev/keel, the way `keel create` will, and
 * prints its ID. For the system test of domain building, until domains come from XML files.
 * KEEL_BUILD_FAIL_AT=N makes the Nth hypervisor operation fail (a test of the transaction).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../toolstack/builder/builder.h"
#include "../../toolstack/lib/libkeel.h"

static int ops_done, fail_at;

static int injected(void)
{
    return ++ops_done == fail_at;
}

static int do_domctl(void *ctx, unsigned int cmd, void *arg, size_t size)
{
    return injected() ? -EIO : keel_domctl(ctx, cmd, arg, size);
}

static int do_write(void *ctx, uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    return injected() ? -EIO : keel_write_guest(ctx, domid, gpa, src, len);
}

static void *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    void *buf = NULL;
    long n;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
        !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "keel-boot: cannot read %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    static const struct keel_build_ops ops = { do_domctl, do_write };
    struct keel_build_spec s = { 0 };
    struct keel_build_error e;
    struct keel *k;
    uint32_t domid;

    if (argc != 7) {
        fprintf(stderr, "usage: keel-boot NAME KERNEL INITRD MEM_MIB VCPUS CMDLINE\n");
        return 2;
    }
    fail_at = getenv("KEEL_BUILD_FAIL_AT") ? atoi(getenv("KEEL_BUILD_FAIL_AT")) : 0;
    s.name = argv[1];
    s.kernel = slurp(argv[2], &s.kernel_len);
    s.initrd = slurp(argv[3], &s.initrd_len);
    s.mem_bytes = strtoull(argv[4], NULL, 0) << 20;
    s.nr_vcpus = (unsigned int)strtoul(argv[5], NULL, 0);
    s.cmdline = argv[6];
    if (!(k = keel_open())) {
        fprintf(stderr, "keel-boot: cannot open /dev/keel: %s\n", strerror(errno));
        return 1;
    }
    if (keel_build_domain(&s, &ops, k, &domid, &e)) {
        fprintf(stderr, "keel-boot: %s: %s\n", s.name, e.msg);
        return 1;
    }
    printf("keel-boot: %s is domain %u\n", s.name, domid);
    keel_close(k);
    return 0;
}
