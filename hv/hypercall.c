/*
 * The hypercall decoder (public/keel/abi.h, hypercall.h, domctl.h): one table entry per number,
 * saying who may call it. Structures are copied in from the caller's RAM whole, checked, and
 * copied back whole; nothing the guest passes is trusted or used in place.
 */
#include <keel/cpufeat.h>
#include <keel/dom0.h>
#include <keel/domctl.h>
#include <keel/evtchn.h>
#include <keel/foreign.h>
#include <keel/guest_mem.h>
#include <keel/hvm.h>
#include <keel/hypercall.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/version.h>
#include <public/keel/abi.h>
#include <public/keel/domctl.h>
#include <public/keel/hypercall.h>

#define CONSOLE_WRITE_MAX 4096
#define DOMAIN_LIST_MAX MAX_DOMAINS

enum who { ANY, TEST_ONLY, DOM0_ONLY };

typedef int64_t (*hc_fn)(struct vcpu *v, const uint64_t a[5]);

static bool is_dom0(const struct vcpu *v)
{
    return v->domain->flags & DOMF_PRIVILEGED;
}

static int64_t hc_version(struct vcpu *v, const uint64_t a[5])
{
    return KEEL_ABI_VERSION;
}

static int64_t hc_shutdown(struct vcpu *v, const uint64_t a[5])
{
    domain_shutdown(v->domain, (int)a[0], (int)a[1]);
    return 0;
}

static int64_t hc_nop(struct vcpu *v, const uint64_t a[5])
{
    return 0;
}

static int64_t hc_test_failed(struct vcpu *v, const uint64_t a[5])
{
    vcpu_dump(v, "a failed check");
    return 0;
}

static int64_t hc_test_irq(struct vcpu *v, const uint64_t a[5])
{
    if (a[0] < 32 || a[0] > 255)
        return -EINVAL;
    v->pending_irq = (int)a[0];
    return 0;
}

static int64_t hc_test_nmi(struct vcpu *v, const uint64_t a[5])
{
    v->pending_nmi = true;
    return 0;
}

static int64_t hc_runtime(struct vcpu *v, const uint64_t a[5])
{
    if (a[0] > 1)
        return -EINVAL;
    return (int64_t)(a[0] ? sched_vcpu_runtime(v) : sched_domain_runtime(v->domain)) & INT64_MAX;
}

static int64_t hc_test_where(struct vcpu *v, const uint64_t a[5])
{
    return this_cpu()->id | (int64_t)nr_cpus_online << 16;
}

static int64_t hc_features(struct vcpu *v, const uint64_t a[5])
{
    return KEEL_FEAT_EVTCHN | KEEL_FEAT_FOREIGN_MAP | KEEL_FEAT_LOG_READ;
}

static int64_t hc_console_write(struct vcpu *v, const uint64_t a[5])
{
    char buf[256];

    if (a[1] > CONSOLE_WRITE_MAX)
        return -EINVAL;
    for (uint64_t done = 0; done < a[1]; done += sizeof(buf)) {
        size_t n = (size_t)MIN(sizeof(buf), a[1] - done);

        if (gpa_read(v->domain, a[0] + done, buf, n))
            return -EFAULT;
        for (size_t i = 0; i < n; i++)
            domain_console_putc(v->domain, buf[i]);
    }
    return (int64_t)a[1];
}

/*
 * Copies a structure in, runs fn on it, copies it back if fn succeeded. The structure is written
 * back unchanged first, so that a buffer the caller cannot write (read-only RAM) fails before
 * fn acts: an allocated port or a cleared pending bit is never lost on the way out.
 */
static int64_t with_struct(struct vcpu *v, uint64_t gpa, void *buf, size_t size,
                           int (*fn)(struct vcpu *v, void *buf, void *ctx), void *ctx)
{
    int r;

    if (gpa_read(v->domain, gpa, buf, size) || gpa_write(v->domain, gpa, buf, size))
        return -EFAULT;
    r = fn(v, buf, ctx);
    if (r >= 0 && gpa_write(v->domain, gpa, buf, size))
        return -EFAULT;
    return r;
}

static int log_read(struct vcpu *v, void *buf, void *ctx)
{
    struct keel_log_read *l = buf;
    uint8_t level;
    long n;

    if (l->pad)
        return -EINVAL;
    n = printk_read_log(&l->seq, &level, &l->timestamp_ns, l->text, sizeof(l->text));
    l->level = level;
    return (int)n;
}

static int64_t hc_log_read(struct vcpu *v, const uint64_t a[5])
{
    struct keel_log_read l;

    return with_struct(v, a[0], &l, sizeof(l), log_read, NULL);
}

static int64_t hc_physinfo(struct vcpu *v, const uint64_t a[5])
{
    struct keel_physinfo p = { .abi_version = KEEL_ABI_VERSION, .nr_cpus = nr_cpus_online,
                               .dom0_cpus = dom0_cpu_mask, .tsc_khz = tsc_khz };
    struct mem_stats st;
    uint64_t used;

    mm_get_stats(&st);
    p.total_bytes = st.ram_bytes;
    p.dom0_bytes = dom0_layout.bytes;
    p.free_bytes = st.free_bytes;
    used = dom0_layout.bytes + st.free_bytes + domains_ram_bytes();
    p.hv_bytes = st.ram_bytes > used ? st.ram_bytes - used : 0;     /* never wraps */
    snprintf(p.version, sizeof(p.version), "%s", KEEL_VERSION);
    snprintf(p.backend, sizeof(p.backend), "%s", hvm->p2m_format == P2M_FORMAT_NPT ? "svm" : "vmx");
    return gpa_write(v->domain, a[0], &p, sizeof(p)) ? -EFAULT : 0;
}

static int64_t hc_domain_list(struct vcpu *v, const uint64_t a[5])
{
    static uint32_t ids[DOMAIN_LIST_MAX];   /* dom0's hypercalls run on its own CPUs */
    static spinlock_t lock;
    unsigned long flags;
    unsigned int n;
    int64_t r = 0;

    if (a[1] > DOMAIN_LIST_MAX)
        return -EINVAL;
    flags = spin_lock_irqsave(&lock);
    n = domain_list(ids, DOMAIN_LIST_MAX);
    if (a[1] && gpa_write(v->domain, a[0], ids, MIN(n, a[1]) * sizeof(ids[0])))
        r = -EFAULT;
    spin_unlock_irqrestore(&lock, flags);
    return r ? r : n;
}

static int64_t hc_domain_info(struct vcpu *v, const uint64_t a[5])
{
    struct keel_domain_info info;
    struct domain *d = domain_get((unsigned int)a[0]);

    if (a[0] > UINT32_MAX || !d) {
        if (d)
            domain_put(d);
        return -ESRCH;
    }
    domain_fill_info(d, &info);
    domain_put(d);
    return gpa_write(v->domain, a[1], &info, sizeof(info)) ? -EFAULT : 0;
}

static int evtchn(struct vcpu *v, void *buf, void *ctx)
{
    return evtchn_op(v->domain, *(uint32_t *)ctx, buf);
}

static int64_t hc_evtchn(struct vcpu *v, const uint64_t a[5])
{
    union {
        struct keel_evtchn_pending pending;
        struct keel_evtchn_status status;
        struct keel_evtchn_bind_interdomain bind;
    } arg;
    uint32_t cmd = (uint32_t)a[0];

    if (a[0] >= KEEL_EVTCHN_NR)
        return -EINVAL;
    return with_struct(v, a[1], &arg, evtchn_arg_size[cmd], evtchn, &cmd);
}

static int64_t hc_foreign_map(struct vcpu *v, const uint64_t a[5])
{
    struct keel_foreign_map m;

    if (gpa_read(v->domain, a[0], &m, sizeof(m)))
        return -EFAULT;
    return foreign_map(&m);
}

static int64_t hc_foreign_unmap(struct vcpu *v, const uint64_t a[5])
{
    return foreign_unmap(a[0]);
}

static int64_t hc_domctl(struct vcpu *v, const uint64_t a[5])
{
    return domctl(v, a[0], a[1]);
}

static const struct { hc_fn fn; enum who who; } table[] = {
    [KEEL_HC_VERSION] = { hc_version, ANY },
    [KEEL_HC_SHUTDOWN] = { hc_shutdown, ANY },
    [KEEL_HC_NOP] = { hc_nop, ANY },
    [KEEL_HC_TEST_FAILED] = { hc_test_failed, TEST_ONLY },
    [KEEL_HC_TEST_IRQ] = { hc_test_irq, TEST_ONLY },
    [KEEL_HC_TEST_NMI] = { hc_test_nmi, TEST_ONLY },
    [KEEL_HC_RUNTIME] = { hc_runtime, ANY },
    [KEEL_HC_TEST_WHERE] = { hc_test_where, TEST_ONLY },
    [KEEL_HC_FEATURES] = { hc_features, ANY },
    [KEEL_HC_CONSOLE_WRITE] = { hc_console_write, ANY },
    [KEEL_HC_LOG_READ] = { hc_log_read, DOM0_ONLY },
    [KEEL_HC_PHYSINFO] = { hc_physinfo, DOM0_ONLY },
    [KEEL_HC_DOMAIN_LIST] = { hc_domain_list, DOM0_ONLY },
    [KEEL_HC_DOMAIN_INFO] = { hc_domain_info, DOM0_ONLY },
    [KEEL_HC_EVTCHN] = { hc_evtchn, ANY },
    [KEEL_HC_FOREIGN_MAP] = { hc_foreign_map, DOM0_ONLY },
    [KEEL_HC_FOREIGN_UNMAP] = { hc_foreign_unmap, DOM0_ONLY },
    [KEEL_HC_DOMCTL] = { hc_domctl, DOM0_ONLY },
};

int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[5])
{
    if (nr >= ARRAY_SIZE(table) || !table[nr].fn)
        return -ENOSYS;
    if (table[nr].who == TEST_ONLY && !(v->domain->flags & DOMF_TEST_DEVICES))
        return -ENOSYS;
    if (table[nr].who == DOM0_ONLY && !is_dom0(v))
        return -EPERM;
    return table[nr].fn(v, args);
}
