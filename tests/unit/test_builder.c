/*
 * Unit tests for toolstack/builder/builder.c against a fake hypervisor: a domain is created,
 * given RAM, loaded and started; a failure injected at every operation in turn leaves no domain
 * and no memory behind, and says which step failed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../firmware/linux.c"
#include "../../firmware/e820.c"
#include "../../firmware/aml.c"
#include "../../firmware/acpi.c"
#include "../../firmware/kboot.c"
#include "../../toolstack/builder/builder.c"
#include "fake_bzimage.h"

#define MEM (96ull << 20)
#define DOMID 7

/* The fake hypervisor: at most one domain. */
static struct {
    bool exists, running;
    uint8_t *ram;
    uint64_t pages;
    uint16_t cs;
    int ops, fail_at;                   /* fail the fail_at-th operation (1-based), 0: none */
    unsigned int creates, destroys;
} hv;

static int fake_domctl(void *ctx, unsigned int cmd, void *arg, size_t size)
{
    if (++hv.ops == hv.fail_at)
        return -ENOMEM;
    switch (cmd) {
    case KEEL_DOMCTL_CREATE: {
        struct keel_domctl_create *c = arg;

        assert_int_equal(size, sizeof(*c));
        assert_false(hv.exists);
        assert_string_equal(c->name, "demo");
        hv.ram = calloc(1, c->max_bytes);
        hv.exists = true, hv.creates++;
        c->domid = DOMID;
        return 0;
    }
    case KEEL_DOMCTL_POPULATE: {
        struct keel_domctl_populate *p = arg;

        assert_int_equal(p->domid, DOMID);
        assert_int_equal(p->first_gfn, hv.pages);
        hv.pages += p->nr_pages;
        assert_true(hv.pages <= MEM >> 12);
        return 0;
    }
    case KEEL_DOMCTL_SET_VCPU:
        hv.cs = ((struct keel_domctl_vcpu *)arg)->cs;
        return 0;
    case KEEL_DOMCTL_UNPAUSE:
        assert_int_equal(hv.pages, MEM >> 12);
        hv.running = true;
        return 0;
    case KEEL_DOMCTL_DESTROY:
        assert_int_equal(((struct keel_domctl_id *)arg)->domid, DOMID);
        free(hv.ram);
        hv.exists = hv.running = false, hv.ram = NULL, hv.pages = 0, hv.destroys++;
        return 0;
    }
    fail_msg("unexpected domctl %u", cmd);
    return -ENOSYS;
}

static int fake_write(void *ctx, uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    assert_int_equal(domid, DOMID);
    assert_true(gpa + len <= hv.pages << 12);       /* only RAM it was given */
    if (++hv.ops == hv.fail_at)
        return -EFAULT;
    memcpy(hv.ram + gpa, src, len);
    return 0;
}

static const struct keel_build_ops ops = { fake_domctl, fake_write };
static const char initrd[] = "initrd bytes";

static struct keel_build_spec spec(void)
{
    return (struct keel_build_spec){ .name = "demo", .nr_vcpus = 2, .mem_bytes = MEM,
                                     .kernel = fake_img, .kernel_len = sizeof(fake_img),
                                     .initrd = initrd, .initrd_len = sizeof(initrd),
                                     .cmdline = "console=ttyS0" };
}

static int setup(void **state)
{
    fake_make_bzimage();
    free(hv.ram);
    memset(&hv, 0, sizeof(hv));
    return 0;
}

static void test_builds_and_starts(void **state)
{
    struct keel_build_spec s = spec();
    struct keel_build_error e;
    uint32_t domid = 0;

    assert_int_equal(keel_build_domain(&s, &ops, NULL, &domid, &e), 0);
    assert_int_equal(domid, DOMID);
    assert_true(hv.running);
    assert_int_equal(hv.cs, FW_ENTRY32_GPA >> 4);
    assert_memory_equal(hv.ram + FAKE_PREF, fake_img + FAKE_PM_OFF, FAKE_PM_SIZE);
    assert_string_equal((char *)hv.ram + FW_KBOOT_CMDLINE_GPA, "console=ttyS0");
    assert_int_equal(e.step, KEEL_BUILD_OK);
}

/* Every operation can fail; each time the domain is gone afterwards and the step is named. */
static void test_failure_at_every_step_leaves_nothing(void **state)
{
    struct keel_build_spec s = spec();
    struct keel_build_error e;
    uint32_t domid = 0;
    int total;

    assert_int_equal(keel_build_domain(&s, &ops, NULL, &domid, &e), 0);
    total = hv.ops;
    for (int n = 1; n <= total; n++) {
        setup(state);
        hv.fail_at = n;
        assert_true(keel_build_domain(&s, &ops, NULL, &domid, &e) < 0);
        assert_false(hv.exists);
        assert_null(hv.ram);
        assert_int_equal(hv.destroys, n == 1 ? 0 : 1);
        assert_true(e.step != KEEL_BUILD_OK);
        assert_true(strlen(e.msg) > 10);
    }
    assert_int_equal(e.step, KEEL_BUILD_UNPAUSE);
    assert_non_null(strstr(e.msg, "starting it"));
}

static void test_paused_is_left_paused(void **state)
{
    struct keel_build_spec s = spec();
    struct keel_build_error e;
    uint32_t domid;

    s.paused = true;
    assert_int_equal(keel_build_domain(&s, &ops, NULL, &domid, &e), 0);
    assert_true(hv.exists);
    assert_false(hv.running);
}

static void test_bad_kernel_names_the_step(void **state)
{
    struct keel_build_spec s = spec();
    struct keel_build_error e;
    uint32_t domid;

    s.kernel_len = 100;
    assert_true(keel_build_domain(&s, &ops, NULL, &domid, &e) < 0);
    assert_int_equal(e.step, KEEL_BUILD_LOAD);
    assert_non_null(strstr(e.msg, "loading its kernel (not a Linux bzImage"));
    assert_false(hv.exists);
}

static void test_bad_spec_creates_nothing(void **state)
{
    struct keel_build_spec s = spec();
    struct keel_build_error e;
    uint32_t domid;

    s.mem_bytes = 12345;
    assert_int_equal(keel_build_domain(&s, &ops, NULL, &domid, &e), -EINVAL);
    s = spec();
    s.name = "a-name-that-is-far-too-long-for-the-hypervisor";
    assert_int_equal(keel_build_domain(&s, &ops, NULL, &domid, &e), -ENAMETOOLONG);
    assert_int_equal(hv.creates, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_builds_and_starts, setup),
        cmocka_unit_test_setup(test_failure_at_every_step_leaves_nothing, setup),
        cmocka_unit_test_setup(test_paused_is_left_paused, setup),
        cmocka_unit_test_setup(test_bad_kernel_names_the_step, setup),
        cmocka_unit_test_setup(test_bad_spec_creates_nothing, setup),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);

    free(hv.ram);
    return r;
}
