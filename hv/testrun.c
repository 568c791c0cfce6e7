/* The test-guest runner (see testrun.h). */
#include <keel/cmdline.h>
#include <keel/heap.h>
#include <keel/hvm.h>
#include <keel/kernel_boot.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/testrun.h>
#include <keel/time.h>
#include <public/keel/abi.h>

#define MAX_TESTS BOOT_MAX_MODULES    /* every module may be a guest: none is left out */
#define DEFAULT_TIMEOUT_S 120

enum expect { EXPECT_POWEROFF, EXPECT_TRIPLE_FAULT, EXPECT_CRASH };

struct guest_test {
    char name[DOMAIN_NAME_LEN], group[16], expect_text[48], arg[64], kind[16], cmdline[256];
    char console[8];
    uint64_t mem;
    unsigned int vcpus, timeout_s, passed, failed, weight;
    uint64_t cpus, soft_cpus;           /* affinity; 0: any */
    enum expect expect;
    bool done_line;
    const void *image, *initrd;
    size_t image_len, initrd_len;
    struct domain *d;
};

static struct guest_test tests[MAX_TESTS];
static unsigned int nr_tests;

static int parse_expect(struct guest_test *t, const char *s)
{
    char v[64];

    if (!cmdline_get(s, "expect", v, sizeof(v)) || !strcmp(v, "poweroff"))
        t->expect = EXPECT_POWEROFF;
    else if (!strcmp(v, "triple-fault"))
        t->expect = EXPECT_TRIPLE_FAULT;
    else if (!strncmp(v, "crash:", 6)) {
        /* The text runs to the end of the string (it may hold spaces): expect= comes last. */
        t->expect = EXPECT_CRASH;
        snprintf(t->expect_text, sizeof(t->expect_text), "%s", strstr(s, "expect=crash:") + 13);
    } else
        return -EINVAL;
    return 0;
}

/* "guest <name> key=value...": the name is the second word. */
static int parse_test(struct guest_test *t, const char *s)
{
    const char *name = s + 6, *end = strchr(name, ' ');
    char v[32];
    uint64_t n;

    snprintf(t->name, sizeof(t->name), "%.*s", (int)(end ? end - name : (long)strlen(name)), name);
    t->mem = MiB(16);
    t->vcpus = 1;
    t->timeout_s = DEFAULT_TIMEOUT_S;
    if (cmdline_get(s, "mem", v, sizeof(v)) && cmdline_parse_u64(v, strlen(v), &t->mem))
        return -EINVAL;
    if (cmdline_get(s, "vcpus", v, sizeof(v)) && (cmdline_parse_u64(v, strlen(v), &n) || !n || n > 64))
        return -EINVAL;
    t->vcpus = cmdline_get(s, "vcpus", v, sizeof(v)) ? (unsigned int)n : 1;
    if (cmdline_get(s, "timeout", v, sizeof(v)) && !cmdline_parse_u64(v, strlen(v), &n))
        t->timeout_s = (unsigned int)n;
    if (cmdline_get(s, "weight", v, sizeof(v)) &&
        (cmdline_parse_u64(v, strlen(v), &n) || !n || n > SCHED_WEIGHT_MAX))
        return -EINVAL;
    t->weight = cmdline_get(s, "weight", v, sizeof(v)) ? (unsigned int)n : 0;
    if (cmdline_get(s, "cpus", v, sizeof(v)) && cmdline_parse_cpus(v, strlen(v), &t->cpus))
        return -EINVAL;
    if (cmdline_get(s, "soft", v, sizeof(v)) && cmdline_parse_cpus(v, strlen(v), &t->soft_cpus))
        return -EINVAL;
    cmdline_get(s, "group", t->group, sizeof(t->group));
    cmdline_get(s, "kind", t->kind, sizeof(t->kind));
    cmdline_get(s, "cmdline", t->cmdline, sizeof(t->cmdline));
    if (t->kind[0] && strcmp(t->kind, "multiboot") && strcmp(t->kind, "linux"))
        return -EINVAL;
    cmdline_get(s, "arg", t->arg, sizeof(t->arg));
    if (cmdline_get(s, "console", t->console, sizeof(t->console)) && strcmp(t->console, "input") &&
        strcmp(t->console, "raw"))
        return -EINVAL;
    return parse_expect(t, s);
}

/* "initrd <test name>": the initial ramdisk of a kind=linux test listed before it. */
static void attach_initrd(const struct boot_module *m)
{
    for (unsigned int i = 0; i < nr_tests; i++) {
        if (!strcmp(tests[i].name, m->string + 7)) {
            tests[i].initrd = phys_to_virt(m->start);
            tests[i].initrd_len = m->end - m->start;
            return;
        }
    }
    pr_err("guest-test: initrd for \"%s\", which no guest before it is called\n", m->string + 7);
}

unsigned int testrun_collect(const struct boot_info *bi)
{
    for (unsigned int i = 0; i < bi->nr_mods && nr_tests < MAX_TESTS; i++) {
        const struct boot_module *m = &bi->mods[i];
        struct guest_test *t = &tests[nr_tests];

        if (!strncmp(m->string, "initrd ", 7)) {
            attach_initrd(m);
            continue;
        }
        if (strncmp(m->string, "guest ", 6))
            continue;
        memset(t, 0, sizeof(*t));
        if (parse_test(t, m->string)) {
            pr_err("guest-test: cannot understand module string \"%s\"\n", m->string);
            continue;
        }
        t->image = phys_to_virt(m->start);
        t->image_len = m->end - m->start;
        nr_tests++;
    }
    return nr_tests;
}

/* Counts the guest's PASS/FAIL lines and notes its final verdict line. */
static void console_hook(struct domain *d, const char *line)
{
    struct guest_test *t = d->owner_data;
    size_t prefix = strlen(KEEL_TEST_DONE_PREFIX);

    if (!strncmp(line, "PASS ", 5))
        t->passed++;
    else if (!strncmp(line, "FAIL ", 5))
        t->failed++;
    else if (!strncmp(line, KEEL_TEST_DONE_PREFIX, prefix))
        t->done_line = true;
}

static void watchdog_fired(struct timer *tm)
{
    struct guest_test *t = ((struct domain *)tm->data)->owner_data;

    domain_crash(tm->data, "no verdict within %u s: stopped", t->timeout_s);
}

/* A kernel booted directly: kind=multiboot reports like any test guest; kind=linux is an
 * operating system that something outside drives (its test passes if it powers off). */
static int load_kernel(struct guest_test *t, struct domain *d)
{
    struct kernel_image k = { .kind = strcmp(t->kind, "linux") ? KERNEL_MULTIBOOT : KERNEL_LINUX,
                              .image = t->image, .image_len = t->image_len,
                              .initrd = t->initrd, .initrd_len = t->initrd_len,
                              .cmdline = t->cmdline };

    return kernel_boot_load(d, &k);
}

static int load_guest(struct guest_test *t, struct domain *d)
{
    struct keel_start_info si = {
        .magic = KEEL_START_INFO_MAGIC, .version = KEEL_ABI_VERSION, .mem_bytes = t->mem,
        .nr_vcpus = t->vcpus, .domain_id = d->id,
    };

    if (t->image_len > KEEL_GUEST_MAX_IMAGE)
        return -E2BIG;
    snprintf(si.cmdline, sizeof(si.cmdline), "%s", t->arg);
    if (domain_copy_to_guest(d, KEEL_GUEST_LOAD_GPA, t->image, t->image_len) ||
        domain_copy_to_guest(d, KEEL_GUEST_START_INFO_GPA, &si, sizeof(si)))
        return -EFAULT;
    hvm->vcpu_reset(d->vcpus[0], KEEL_GUEST_LOAD_GPA >> 4, 0);
    d->vcpus[0]->gprs.rbx = KEEL_GUEST_START_INFO_GPA;
    return 0;
}

static bool start_test(struct guest_test *t)
{
    struct domain_config cfg = { .name = t->name, .ram_bytes = t->mem, .nr_vcpus = t->vcpus,
                                 .flags = DOMF_TEST_DEVICES | DOMF_DEBUG_CONSOLE |
                                          (t->console[0] ? DOMF_CONSOLE_INPUT : 0) |
                                          (!strcmp(t->console, "raw") ? DOMF_CONSOLE_RAW : 0),
                                 .weight = t->weight, .soft_affinity = t->soft_cpus,
                                 /* a CPU list beyond this machine's CPUs means all of them */
                                 .affinity = t->cpus & sched_online_mask() };
    int err;

    t->d = domain_create(&cfg, &err);
    if (!t->d || (t->kind[0] ? load_kernel(t, t->d) : load_guest(t, t->d))) {
        pr_err("guest-test: FAIL %s: cannot create its domain (%d)\n", t->name, t->d ? -EFAULT : err);
        if (t->d)
            domain_destroy(t->d);
        t->d = NULL;
        return false;
    }
    t->d->owner_data = t;
    t->d->console_hook = console_hook;
    timer_init(&t->d->watchdog, watchdog_fired, t->d);
    timer_set(&t->d->watchdog, now_ns() + t->timeout_s * NSEC_PER_SEC);
    domain_start(t->d);
    return true;
}

static bool all_stopped(unsigned int first, unsigned int end)
{
    for (unsigned int i = first; i < end; i++)
        if (tests[i].d && !domain_is_stopped(tests[i].d))
            return false;
    return true;
}

static void poll_tick(struct timer *t)
{
}

/* Runs whatever this CPU was given and looks at the group again at least every poll interval. */
static void wait_group(unsigned int first, unsigned int end)
{
    struct timer poll;

    timer_init(&poll, poll_tick, NULL);
    while (!all_stopped(first, end)) {
        sched_run_this_cpu();
        irq_disable();
        if (!all_stopped(first, end)) {
            timer_set(&poll, now_ns() + 10 * NSEC_PER_MSEC);
            sched_idle();
        } else {
            irq_enable();
        }
    }
    timer_cancel(&poll);
}

static bool judge(struct guest_test *t, char *why, size_t len)
{
    struct domain *d = t->d;
    bool ended_right = t->expect == EXPECT_POWEROFF ?
        d->state == DOMAIN_SHUTDOWN && !strcmp(d->reason, "poweroff") && d->shutdown_code == 0 :
        t->expect == EXPECT_TRIPLE_FAULT ? d->state == DOMAIN_CRASHED && !strncmp(d->reason, "triple fault", 12) :
        d->state == DOMAIN_CRASHED && strstr(d->reason, t->expect_text);

    if (!ended_right && !(t->failed && d->state == DOMAIN_SHUTDOWN))
        snprintf(why, len, "ended %s (%s, code %d), expected %s", domain_state_name(d->state), d->reason,
                 d->shutdown_code, t->expect == EXPECT_POWEROFF ? "poweroff" :
                 t->expect == EXPECT_TRIPLE_FAULT ? "a triple fault" : t->expect_text);
    else if (!strcmp(t->kind, "linux"))
        return true;                    /* driven from outside: ending as expected is all */
    else if (!t->done_line || t->failed || !t->passed)
        snprintf(why, len, "%u checks passed, %u failed%s", t->passed, t->failed,
                 t->done_line ? "" : ", no verdict line");
    else
        return true;
    return false;
}

static unsigned int finish_group(unsigned int first, unsigned int end)
{
    unsigned int failed = 0;
    char why[320];

    for (unsigned int i = first; i < end; i++) {
        struct guest_test *t = &tests[i];

        if (!t->d) {
            failed++;
            continue;
        }
        if (judge(t, why, sizeof(why)))
            pr_info("guest-test: PASS %s (%u checks)\n", t->name, t->passed);
        else {
            pr_info("guest-test: FAIL %s: %s\n", t->name, why);
            failed++;
        }
        domain_log_exits(t->d);
        domain_destroy(t->d);
        t->d = NULL;
    }
    return failed;
}

/* Memory must come back: frames the heap keeps cached for reuse are not a leak, heap objects are. */
static bool memory_returned(const struct mem_stats *mb, const struct heap_stats *hb)
{
    struct mem_stats ma;
    struct heap_stats ha;
    int64_t frames, heap;

    mm_get_stats(&ma);
    heap_get_stats(&ha);
    frames = (int64_t)(mb->free_bytes - ma.free_bytes) - (int64_t)(ha.pages_held - hb->pages_held) * (int64_t)PAGE_SIZE;
    heap = (int64_t)(ha.bytes_in_use - hb->bytes_in_use);
    if (!frames && !heap)
        return true;
    pr_err("guest-tests: FAIL: after destroying every domain, %lld bytes of frames and %lld bytes "
           "of heap were not returned\n", (long long)frames, (long long)heap);
    return false;
}

bool testrun_run_all(bool check_memory)
{
    struct mem_stats before;
    struct heap_stats heap_before;
    unsigned int failed = 0, i = 0;

    mm_get_stats(&before);
    heap_get_stats(&heap_before);
    while (i < nr_tests) {
        unsigned int end = i + 1;

        while (end < nr_tests && tests[i].group[0] && !strcmp(tests[end].group, tests[i].group))
            end++;
        for (unsigned int j = i; j < end; j++)
            start_test(&tests[j]);
        wait_group(i, end);
        failed += finish_group(i, end);
        i = end;
    }
    if (check_memory && !memory_returned(&before, &heap_before))
        failed++;
    pr_info("guest-tests: %u passed, %u failed\n", nr_tests - MIN(failed, nr_tests), failed);
    return failed == 0;
}
