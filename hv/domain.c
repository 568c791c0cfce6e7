/* Domain life: creation with RAM and vCPUs, stopping, destruction, and guest debug output. */
#include <keel/console.h>
#include <keel/dom0.h>
#include <keel/evtchn.h>
#include <keel/foreign.h>
#include <keel/domain.h>
#include <keel/guest_mem.h>
#include <keel/heap.h>
#include <keel/hvm.h>
#include <keel/mm.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/vplatform.h>
#include <public/keel/abi.h>
#include <public/keel/hypercall.h>

#include <keel/gprs_asm.h>

BUILD_BUG_ON(offsetof(struct guest_gprs, rax) != G_RAX || offsetof(struct guest_gprs, rcx) != G_RCX ||
             offsetof(struct guest_gprs, rdx) != G_RDX || offsetof(struct guest_gprs, rbx) != G_RBX ||
             offsetof(struct guest_gprs, rsp) != G_RSP || offsetof(struct guest_gprs, rbp) != G_RBP ||
             offsetof(struct guest_gprs, rsi) != G_RSI || offsetof(struct guest_gprs, rdi) != G_RDI ||
             offsetof(struct guest_gprs, r8) != G_R8 || offsetof(struct guest_gprs, r15) != G_R15);

unsigned int nr_domains;
static unsigned int next_domain_id = 1;

/* Every live domain, for lookups by ID or name (hypercalls). A lookup takes a reference; destroy
 * takes the domain out of the table first, then waits for the references to go. */
static struct domain *table[MAX_DOMAINS];
static spinlock_t table_lock;

static bool table_add(struct domain *d)
{
    unsigned long flags = spin_lock_irqsave(&table_lock);
    bool added = false;

    for (unsigned int i = 0; i < MAX_DOMAINS && !added; i++)
        if (!table[i])
            table[i] = d, added = true;
    spin_unlock_irqrestore(&table_lock, flags);
    return added;
}

static void table_remove(struct domain *d)
{
    unsigned long flags = spin_lock_irqsave(&table_lock);

    for (unsigned int i = 0; i < MAX_DOMAINS; i++)
        if (table[i] == d)
            table[i] = NULL;
    spin_unlock_irqrestore(&table_lock, flags);
    while (__atomic_load_n(&d->refs, __ATOMIC_ACQUIRE))
        cpu_relax();
}

struct domain *domain_get(unsigned int id)
{
    unsigned long flags = spin_lock_irqsave(&table_lock);
    struct domain *d = NULL;

    for (unsigned int i = 0; i < MAX_DOMAINS && !d; i++)
        if (table[i] && table[i]->id == id)
            d = table[i];
    if (d)
        __atomic_add_fetch(&d->refs, 1, __ATOMIC_ACQ_REL);
    spin_unlock_irqrestore(&table_lock, flags);
    return d;
}

uint64_t domains_ram_bytes(void)
{
    unsigned long flags = spin_lock_irqsave(&table_lock);
    uint64_t pages = 0;

    for (unsigned int i = 0; i < MAX_DOMAINS; i++)
        if (table[i])
            pages += table[i]->pages;
    spin_unlock_irqrestore(&table_lock, flags);
    return pages << PAGE_SHIFT;
}

void domain_fill_info(struct domain *d, struct keel_domain_info *info)
{
    memset(info, 0, sizeof(*info));
    info->domid = d->id;
    info->state = d->state;
    info->nr_vcpus = d->nr_vcpus;
    info->flags = (d->flags & DOMF_PRIVILEGED) ? KEEL_DOMINFO_PRIVILEGED : 0;
    info->mem_bytes = (d->flags & DOMF_PRIVILEGED) ? dom0_layout.bytes : d->pages << PAGE_SHIFT;
    info->cpu_ns = sched_domain_runtime(d);
    info->cpus = d->nr_vcpus ? d->vcpus[0]->affinity : 0;
    info->shutdown_code = d->shutdown_code;
    snprintf(info->name, sizeof(info->name), "%s", d->name);
    snprintf(info->reason, sizeof(info->reason), "%s", d->reason);
}

void domain_put(struct domain *d)
{
    __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL);
}

bool domain_name_taken(const char *name)
{
    unsigned long flags = spin_lock_irqsave(&table_lock);
    bool taken = false;

    for (unsigned int i = 0; i < MAX_DOMAINS && !taken; i++)
        taken = table[i] && !strcmp(table[i]->name, name);
    spin_unlock_irqrestore(&table_lock, flags);
    return taken;
}

unsigned int domain_list(uint32_t *ids, unsigned int max)
{
    unsigned long flags = spin_lock_irqsave(&table_lock);
    unsigned int n = 0;

    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        if (!table[i])
            continue;
        if (n < max)
            ids[n] = table[i]->id;
        n++;
    }
    spin_unlock_irqrestore(&table_lock, flags);
    for (unsigned int i = 1; i < MIN(n, max); i++)       /* ascending, as the ABI says */
        for (unsigned int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint32_t t = ids[j];

            ids[j] = ids[j - 1], ids[j - 1] = t;
        }
    return n;
}

static const char *const state_names[] = {
    [DOMAIN_CREATED] = "created", [DOMAIN_RUNNING] = "running", [DOMAIN_PAUSED] = "paused",
    [DOMAIN_SHUTDOWN] = "shutdown", [DOMAIN_CRASHED] = "crashed", [DOMAIN_DYING] = "dying",
};

const char *domain_state_name(enum domain_state s)
{
    return s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

bool domain_is_stopped(const struct domain *d)
{
    return d->state == DOMAIN_SHUTDOWN || d->state == DOMAIN_CRASHED || d->state == DOMAIN_DYING;
}

/* Maps one block of fresh RAM (order 0 or 9) at gfn; the frames are accounted to the domain. */
static int add_ram(struct domain *d, uint64_t gfn, unsigned int order, enum p2m_type t, void **va)
{
    void *page = alloc_pages(order);
    int r;

    if (!page)
        return -ENOMEM;
    r = p2m_set_entry(&d->p2m, _gfn(gfn), _mfn(virt_to_phys(page) >> PAGE_SHIFT), order, t);
    if (r) {
        free_pages(page, order);
        return r;
    }
    d->pages += 1ULL << order;
    if (va)
        *va = page;
    return 0;
}

static int populate_ram(struct domain *d, uint64_t bytes)
{
    uint64_t pages = bytes >> PAGE_SHIFT, gfn = 0;

    while (gfn < pages) {
        bool big = !(gfn & 511) && pages - gfn >= 512;
        int r = add_ram(d, gfn, big ? P2M_ORDER_2M : P2M_ORDER_4K, p2m_ram_rw, NULL);

        if (r == -ENOMEM && big)
            r = add_ram(d, gfn, P2M_ORDER_4K, p2m_ram_rw, NULL), big = false;
        if (r)
            return r;
        gfn += big ? 512 : 1;
    }
    return 0;
}

static int add_test_devices(struct domain *d)
{
    uint64_t *ro;
    int r = add_ram(d, KEEL_TEST_RO_GPA >> PAGE_SHIFT, P2M_ORDER_4K, p2m_ram_ro, (void **)&ro);

    if (r)
        return r;
    for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
        ro[i] = KEEL_TEST_RO_PATTERN;
    r = p2m_set_entry(&d->p2m, _gfn(KEEL_TEST_MMIO_GPA >> PAGE_SHIFT), INVALID_MFN, P2M_ORDER_4K,
                      p2m_mmio_dm);
    if (r)
        return r;
    d->fifo = kzalloc(sizeof(*d->fifo));
    return d->fifo ? 0 : -ENOMEM;
}

static void free_ram(gfn_t gfn, mfn_t mfn, unsigned int order, enum p2m_type t, void *arg)
{
    struct domain *d = arg;

    if (t == p2m_ram_rw || t == p2m_ram_ro || t == p2m_ram_logdirty) {
        free_pages(phys_to_virt(mfn_x(mfn) << PAGE_SHIFT), order);
        d->pages -= 1ULL << order;
    }
}

static void p2m_flush_hook(struct p2m *p2m)
{
    hvm->p2m_flush(p2m->owner);
}

static int create_vcpus(struct domain *d, const struct domain_config *cfg)
{
    unsigned int n = cfg->nr_vcpus;

    for (unsigned int i = 0; i < n; i++) {
        struct vcpu *v = kzalloc(sizeof(*v));

        if (!v)
            return -ENOMEM;
        v->domain = d;
        v->id = i;
        v->pending_irq = -1;
        v->affinity = cfg->affinity ? cfg->affinity : ~0ULL;
        v->soft_affinity = cfg->soft_affinity;
        *(uint16_t *)&v->fpu[0] = 0x37f;            /* FXSAVE image after FNINIT: FCW */
        *(uint32_t *)&v->fpu[24] = 0x1f80;          /* and MXCSR with every exception masked */
        d->vcpus[i] = v;
        d->nr_vcpus = i + 1;
        if (hvm->vcpu_init(v))
            return -ENOMEM;
    }
    return 0;
}

/* Power-on MTRR and PAT values: everything write-back. */
static void reset_cache_state(struct domain *d)
{
    d->mtrr.def_type = 0xc06;
    d->pat = 0x0007040600070406ULL;
}

static bool config_ok(const struct domain_config *cfg)
{
    bool ram_later = cfg->flags & DOMF_TOOLSTACK;       /* its RAM comes with POPULATE */

    return cfg->nr_vcpus && cfg->nr_vcpus <= DOMAIN_MAX_VCPUS &&
           (cfg->ram_bytes >= MiB(1) || (ram_later && !cfg->ram_bytes)) &&
           !(cfg->ram_bytes & (PAGE_SIZE - 1)) && cfg->ram_bytes <= GiB(3) &&
           cfg->weight <= SCHED_WEIGHT_MAX && (!cfg->affinity || (cfg->affinity & sched_online_mask()));
}

/* dom0's RAM and vCPU placement come from hv/dom0.c; the rest is every domain's. */
static int populate(struct domain *d, const struct domain_config *cfg)
{
    int r = 0;

    if (!(d->flags & DOMF_PRIVILEGED))
        r = populate_ram(d, cfg->ram_bytes);
    if (!r && (d->flags & DOMF_TEST_DEVICES))
        r = add_test_devices(d);
    if (!r && !(d->flags & DOMF_PRIVILEGED) && !(d->console_ring = kzalloc(DOMAIN_CONSOLE_RING)))
        r = -ENOMEM;
    if (!r)
        r = create_vcpus(d, cfg);
    if (!r && !(d->flags & DOMF_PRIVILEGED))
        r = vplatform_init(d);
    return r;
}

struct domain *domain_create(const struct domain_config *cfg, int *err)
{
    struct domain *d = kzalloc(sizeof(*d));

    *err = -ENOMEM;
    if (!d)
        return NULL;
    if (!(cfg->flags & DOMF_PRIVILEGED) && !config_ok(cfg)) {
        *err = -EINVAL;
        kfree(d);
        return NULL;
    }
    d->id = (cfg->flags & DOMF_PRIVILEGED) ? 0 : next_domain_id++;
    snprintf(d->name, sizeof(d->name), "%s", cfg->name);
    d->flags = cfg->flags;
    d->ram_bytes = cfg->ram_bytes;
    d->weight = cfg->weight ? cfg->weight : SCHED_WEIGHT_DEFAULT;
    reset_cache_state(d);
    if (p2m_init(&d->p2m, hvm->p2m_format)) {
        kfree(d);
        return NULL;
    }
    d->p2m.owner = d;
    d->p2m.flush = p2m_flush_hook;
    *err = populate(d, cfg);
    if (*err) {
        pr_err("d%u (%s): creation failed: %d\n", d->id, d->name, *err);
        domain_destroy(d);
        return NULL;
    }
    if (!table_add(d)) {
        *err = -ENOSPC;
        pr_err("d%u (%s): creation failed: already %u domains\n", d->id, d->name, MAX_DOMAINS);
        domain_destroy(d);
        return NULL;
    }
    d->live = true;
    nr_domains++;
    pr_info("d%u (%s): created, %llu MiB RAM, %u vCPU%s\n", d->id, d->name,
            (unsigned long long)(cfg->ram_bytes >> 20), d->nr_vcpus, d->nr_vcpus > 1 ? "s" : "");
    return d;
}

void domain_log_exits(const struct domain *d)
{
    char line[256];
    size_t n = 0;

    for (unsigned int r = VMEXIT_INTR; r < VMEXIT_NR; r++) {
        uint64_t sum = 0;

        for (unsigned int i = 0; i < d->nr_vcpus; i++)
            sum += d->vcpus[i]->exits[r];
        if (sum && n < sizeof(line))
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %llu", vm_exit_name(r),
                                  (unsigned long long)sum);
    }
    pr_info("d%u (%s): exits:%s\n", d->id, d->name, n ? line : " none");
}

void domain_start(struct domain *d)
{
    d->state = DOMAIN_RUNNING;
    if (d->flags & DOMF_CONSOLE_INPUT)
        console_set_focus(d);
    sched_domain_start(d);
}

void domain_destroy(struct domain *d)
{
    if (d->live) {
        table_remove(d);
        nr_domains--;
    }
    console_unfocus(d);
    d->state = DOMAIN_DYING;
    evtchn_destroy(d);
    foreign_domain_gone(d);
    timer_cancel(&d->watchdog);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        sched_remove(d->vcpus[i]);
    vplatform_destroy(d);
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        if (d->vcpus[i]->arch)
            hvm->vcpu_destroy(d->vcpus[i]);
        kfree(d->vcpus[i]);
    }
    if (d->p2m.root) {
        p2m_for_each_mapped(&d->p2m, free_ram, d);
        p2m_destroy(&d->p2m);
    }
    if (d->pages)
        pr_err("d%u: %llu pages still accounted after destruction\n", d->id,
               (unsigned long long)d->pages);
    kfree(d->fifo);
    kfree(d->console_ring);
    kfree(d);
}

static void domain_stop(struct domain *d, enum domain_state state)
{
    d->state = state;
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        d->vcpus[i]->runnable = false;
        sched_kick(d->vcpus[i]);
    }
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    unsigned long flags = spin_lock_irqsave(&d->lock);
    va_list ap;

    if (domain_is_stopped(d)) {
        spin_unlock_irqrestore(&d->lock, flags);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
    va_end(ap);
    domain_stop(d, DOMAIN_CRASHED);
    spin_unlock_irqrestore(&d->lock, flags);
    pr_warn("d%u (%s): crashed: %s\n", d->id, d->name, d->reason);
}

void domain_shutdown(struct domain *d, int reason, int code)
{
    static const char *const why[] = { "poweroff", "reboot", "crash" };
    unsigned long flags = spin_lock_irqsave(&d->lock);

    if (!domain_is_stopped(d)) {
        snprintf(d->reason, sizeof(d->reason), "%s", (unsigned int)reason < 3 ? why[reason] : "?");
        d->shutdown_code = code;
        domain_stop(d, reason == KEEL_SHUTDOWN_CRASH ? DOMAIN_CRASHED : DOMAIN_SHUTDOWN);
    }
    spin_unlock_irqrestore(&d->lock, flags);
    pr_info("d%u (%s): %s (code %d)\n", d->id, d->name, d->reason, code);
}

int domain_copy_to_guest(struct domain *d, uint64_t gpa, const void *src, size_t len)
{
    return gpa_write(d, gpa, src, len);
}

static void console_ring_put(struct domain *d, char c)
{
    unsigned long flags;

    if (!d->console_ring)
        return;
    flags = spin_lock_irqsave(&d->console_lock);
    d->console_ring[d->console_pos++ % DOMAIN_CONSOLE_RING] = c;
    spin_unlock_irqrestore(&d->console_lock, flags);
}

size_t domain_console_read(struct domain *d, uint64_t *pos, char *buf, size_t size, uint64_t *lost)
{
    unsigned long flags;
    size_t n = 0;

    if (!d->console_ring)
        return 0;
    flags = spin_lock_irqsave(&d->console_lock);
    if (*pos > d->console_pos)
        *pos = d->console_pos;          /* from the future: nothing yet */
    if (d->console_pos - *pos > DOMAIN_CONSOLE_RING) {
        *lost += d->console_pos - DOMAIN_CONSOLE_RING - *pos;
        *pos = d->console_pos - DOMAIN_CONSOLE_RING;
    }
    while (n < size && *pos < d->console_pos)
        buf[n++] = d->console_ring[(*pos)++ % DOMAIN_CONSOLE_RING];
    spin_unlock_irqrestore(&d->console_lock, flags);
    return n;
}

void domain_console_putc(struct domain *d, char c)
{
    bool flush = c == '\n' || d->console_len == CONSOLE_LINE_LEN - 1;

    console_ring_put(d, c);
    if (d->flags & DOMF_CONSOLE_RAW) {
        printk_raw(&c, 1);              /* a terminal: prompts, echo and escapes as they come */
        return;
    }

    if (c != '\n' && c != '\r')
        d->console_line[d->console_len++] = (c >= 0x20 && c < 0x7f) ? c : '?';
    if (!flush)
        return;
    d->console_line[d->console_len] = '\0';
    pr_info("d%u %s: %s\n", d->id, d->name, d->console_line);
    if (d->console_hook)
        d->console_hook(d, d->console_line);
    d->console_len = 0;
}
