/*
 * Domain control for the toolstack (KEEL_HC_DOMCTL, dom0 only; public/keel/domctl.h): building a
 * domain in steps, running, pausing and destroying it, its console and its statistics. Only
 * domains the toolstack created (DOMF_TOOLSTACK) can be changed this way; test domains and dom0
 * cannot. Every argument is checked before anything changes, and a step that fails part-way
 * undoes itself.
 */
#include <keel/dom0.h>
#include <keel/domctl.h>
#include <keel/guest_mem.h>
#include <keel/hvm.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/vplatform.h>
#include <public/keel/domctl.h>

/* Per command: its structure's size. */
static const uint32_t arg_size[KEEL_DOMCTL_NR] = {
    [KEEL_DOMCTL_CREATE] = sizeof(struct keel_domctl_create),
    [KEEL_DOMCTL_POPULATE] = sizeof(struct keel_domctl_populate),
    [KEEL_DOMCTL_SET_VCPU] = sizeof(struct keel_domctl_vcpu),
    [KEEL_DOMCTL_UNPAUSE] = sizeof(struct keel_domctl_id),
    [KEEL_DOMCTL_PAUSE] = sizeof(struct keel_domctl_id),
    [KEEL_DOMCTL_SHUTDOWN] = sizeof(struct keel_domctl_shutdown),
    [KEEL_DOMCTL_DESTROY] = sizeof(struct keel_domctl_id),
    [KEEL_DOMCTL_CONSOLE_READ] = sizeof(struct keel_domctl_console),
    [KEEL_DOMCTL_CONSOLE_WRITE] = sizeof(struct keel_domctl_console),
    [KEEL_DOMCTL_STATS] = sizeof(struct keel_domctl_stats),
};

static bool name_ok(const char *name)
{
    size_t n = strnlen(name, KEEL_DOMCTL_NAME_LEN);

    if (n == 0 || n == KEEL_DOMCTL_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

static int do_create(struct keel_domctl_create *c)
{
    struct domain_config cfg = {
        .name = c->name, .nr_vcpus = c->nr_vcpus, .weight = c->weight, .affinity = c->cpus,
        .flags = DOMF_TOOLSTACK | DOMF_DEBUG_CONSOLE,
    };
    struct domain *d;
    int err;

    if (!name_ok(c->name) || c->flags || !c->nr_vcpus || c->nr_vcpus > DOMAIN_MAX_VCPUS ||
        c->weight > SCHED_WEIGHT_MAX || (c->max_bytes & (PAGE_SIZE - 1)) ||
        c->max_bytes < MiB(1) || c->max_bytes > (P2M_MAX_GFN << PAGE_SHIFT))
        return -EINVAL;
    if (c->cpus && !(c->cpus & sched_online_mask()))
        return -EINVAL;
    if (domain_name_taken(c->name))
        return -EEXIST;
    d = domain_create(&cfg, &err);
    if (!d)
        return err;
    d->max_pages = c->max_bytes >> PAGE_SHIFT;
    c->domid = d->id;
    return 0;
}

/* Undoes a POPULATE that failed part-way: [first, first + done) were added by it. */
static void unpopulate(struct domain *d, uint64_t first, uint64_t done)
{
    for (uint64_t g = first; g < first + done; g++) {
        mfn_t mfn;

        if (p2m_lookup(&d->p2m, _gfn(g), &mfn, NULL) != p2m_ram_rw)
            continue;
        p2m_remove(&d->p2m, _gfn(g), P2M_ORDER_4K);
        free_pages(phys_to_virt(mfn_x(mfn) << PAGE_SHIFT), 0);
        d->pages--;
    }
}

static bool range_free(struct domain *d, uint64_t first, uint64_t n)
{
    for (uint64_t g = first; g < first + n; g++)
        if (p2m_lookup(&d->p2m, _gfn(g), NULL, NULL) != p2m_invalid)
            return false;
    return true;
}

static int do_populate(struct domain *d, const struct keel_domctl_populate *p)
{
    uint64_t g = p->first_gfn, end = p->first_gfn + p->nr_pages;
    int r = 0;

    if (p->pad || !p->nr_pages || p->nr_pages > P2M_MAX_GFN || end > P2M_MAX_GFN + 1)
        return -EINVAL;
    if (d->state != DOMAIN_CREATED && d->state != DOMAIN_PAUSED)
        return -EBUSY;
    if (d->pages + p->nr_pages > d->max_pages)
        return -ENOSPC;
    if (!range_free(d, p->first_gfn, p->nr_pages))
        return -EEXIST;
    while (g < end && !r) {
        bool big = !(g & 511) && end - g >= 512;
        void *page = alloc_pages(big ? P2M_ORDER_2M : P2M_ORDER_4K);

        if (!page && big)
            big = false, page = alloc_pages(0);
        r = page ? p2m_set_entry(&d->p2m, _gfn(g), _mfn(virt_to_phys(page) >> PAGE_SHIFT),
                                 big ? P2M_ORDER_2M : P2M_ORDER_4K, p2m_ram_rw) : -ENOMEM;
        if (r) {
            if (page)
                free_pages(page, big ? P2M_ORDER_2M : P2M_ORDER_4K);
            break;
        }
        d->pages += big ? 512 : 1;
        g += big ? 512 : 1;
    }
    if (r) {
        unpopulate(d, p->first_gfn, g - p->first_gfn);
        return r;
    }
    d->ram_bytes = MAX(d->ram_bytes, end << PAGE_SHIFT);
    return 0;
}

static int do_set_vcpu(struct domain *d, const struct keel_domctl_vcpu *c)
{
    struct vcpu *v;

    if (c->pad || c->vcpu >= d->nr_vcpus)
        return -EINVAL;
    if (d->state != DOMAIN_CREATED)
        return -EBUSY;
    v = d->vcpus[c->vcpu];
    hvm->vcpu_reset(v, c->cs, c->ip);
    v->gprs.rax = c->rax, v->gprs.rbx = c->rbx, v->gprs.rcx = c->rcx, v->gprs.rdx = c->rdx;
    v->gprs.rsi = c->rsi, v->gprs.rdi = c->rdi, v->gprs.rsp = c->rsp, v->gprs.rbp = c->rbp;
    return 0;
}

static int do_pause(struct domain *d, bool pause)
{
    if (pause) {
        if (d->state != DOMAIN_RUNNING)
            return -EBUSY;
        d->state = DOMAIN_PAUSED;
        for (unsigned int i = 0; i < d->nr_vcpus; i++)
            sched_pause(d->vcpus[i]);
        return 0;
    }
    if (d->state == DOMAIN_CREATED) {
        if (!d->pages)
            return -ENOMEM;             /* nothing to run in */
        domain_start(d);
        return 0;
    }
    if (d->state != DOMAIN_PAUSED)
        return -EBUSY;
    d->state = DOMAIN_RUNNING;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        sched_unpause(d->vcpus[i]);
    return 0;
}

static int do_console_read(struct domain *d, struct keel_domctl_console *c)
{
    if (c->len || c->lost)
        return -EINVAL;
    c->len = (uint32_t)domain_console_read(d, &c->pos, c->data, sizeof(c->data), &c->lost);
    return 0;
}

static int do_console_write(struct domain *d, struct keel_domctl_console *c)
{
    if (c->len > sizeof(c->data) || c->pos || c->lost)
        return -EINVAL;
    c->len = (uint32_t)vplatform_uart_input(d, (const uint8_t *)c->data, c->len);
    return 0;
}

static int do_stats(struct domain *d, struct keel_domctl_stats *s)
{
    s->nr_vcpus = d->nr_vcpus;
    s->cpu_ns = sched_domain_runtime(d);
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        for (unsigned int r = 0; r < VMEXIT_NR && r < KEEL_STATS_EXIT_KINDS; r++)
            s->exits[r] += d->vcpus[i]->exits[r];
        if (i < KEEL_STATS_MAX_VCPUS)
            s->vcpu_ns[i] = sched_vcpu_runtime(d->vcpus[i]);
    }
    return 0;
}

/* The commands that act on an existing domain; d is held by the caller. */
static int on_domain(struct domain *d, uint32_t cmd, void *arg)
{
    switch (cmd) {
    case KEEL_DOMCTL_POPULATE:
        return do_populate(d, arg);
    case KEEL_DOMCTL_SET_VCPU:
        return do_set_vcpu(d, arg);
    case KEEL_DOMCTL_UNPAUSE:
    case KEEL_DOMCTL_PAUSE:
        return ((struct keel_domctl_id *)arg)->pad ? -EINVAL : do_pause(d, cmd == KEEL_DOMCTL_PAUSE);
    case KEEL_DOMCTL_SHUTDOWN:
        if (((struct keel_domctl_shutdown *)arg)->request != KEEL_SHUTDOWN_REQ_POWEROFF)
            return -EINVAL;
        if (d->state != DOMAIN_RUNNING)
            return -EBUSY;
        return vplatform_power_button(d) ? 0 : -ENODEV;
    case KEEL_DOMCTL_CONSOLE_READ:
        return do_console_read(d, arg);
    case KEEL_DOMCTL_CONSOLE_WRITE:
        return do_console_write(d, arg);
    case KEEL_DOMCTL_STATS:
        return do_stats(d, arg);
    default:
        return -EINVAL;
    }
}

static int do_destroy(uint32_t domid)
{
    struct domain *d = domain_get(domid);

    if (!d)
        return -ESRCH;
    if (!(d->flags & DOMF_TOOLSTACK) || __atomic_exchange_n(&d->destroying, true, __ATOMIC_ACQ_REL)) {
        bool toolstack = d->flags & DOMF_TOOLSTACK;

        domain_put(d);
        return toolstack ? -EBUSY : -EPERM;
    }
    domain_put(d);
    pr_info("d%u (%s): destroyed by the toolstack\n", d->id, d->name);
    domain_destroy(d);                  /* waits for other references and running vCPUs */
    return 0;
}

/* Reads (console and stats: any domain) and changes (only the toolstack's own domains). */
static bool allowed(const struct domain *d, uint32_t cmd)
{
    if (cmd == KEEL_DOMCTL_CONSOLE_READ || cmd == KEEL_DOMCTL_STATS)
        return true;
    return d->flags & DOMF_TOOLSTACK;
}

static int run(uint32_t cmd, void *arg)
{
    uint32_t domid = *(uint32_t *)arg;      /* every structure but CREATE's starts with it */
    struct domain *d;
    int r;

    if (cmd == KEEL_DOMCTL_CREATE)
        return do_create(arg);
    if (cmd == KEEL_DOMCTL_DESTROY)
        return ((struct keel_domctl_id *)arg)->pad ? -EINVAL : do_destroy(domid);
    d = domain_get(domid);
    if (!d)
        return -ESRCH;
    r = allowed(d, cmd) ? on_domain(d, cmd, arg) : -EPERM;
    domain_put(d);
    return r;
}

int64_t domctl(struct vcpu *v, uint64_t cmd, uint64_t gpa)
{
    union {
        struct keel_domctl_create create;
        struct keel_domctl_stats stats;
        struct keel_domctl_console console;
        struct keel_domctl_vcpu vcpu;
    } arg;
    uint32_t size;
    int r;

    if (!(v->domain->flags & DOMF_PRIVILEGED))
        return -EPERM;
    if (cmd >= KEEL_DOMCTL_NR)
        return -EINVAL;
    size = arg_size[cmd];
    if (gpa_read(v->domain, gpa, &arg, size))
        return -EFAULT;
    if (cmd == KEEL_DOMCTL_STATS)       /* outputs start at zero */
        memset((char *)&arg + 4, 0, size - 4);
    r = run((uint32_t)cmd, &arg);
    if (r == 0 && gpa_write(v->domain, gpa, &arg, size))
        return -EFAULT;
    return r;
}
