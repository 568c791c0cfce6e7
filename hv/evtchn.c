/*
 * Event channels (public/keel/hypercall.h): per-domain ports, connected in pairs across domains
 * (or within one). SEND marks the other end pending; a pending, unmasked port notifies its
 * domain: dom0 through the interface device's MSI vector (hv/dom0_pci.c), any other domain by an
 * interrupt at its upcall vCPU's local APIC. Each domain's ports have a lock; an operation on two
 * domains takes the lower domain ID's lock first.
 */
#include <keel/dom0.h>
#include <keel/evtchn.h>
#include <keel/heap.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/vplatform.h>

struct port {
    uint8_t state;                      /* enum keel_evtchn_state */
    bool pending, masked;
    uint32_t remote_dom, remote_port;
};

struct evtchn {
    spinlock_t lock;
    uint32_t upcall_vcpu;
    uint8_t upcall_vector;              /* 0: none */
    struct port ports[KEEL_EVTCHN_PORTS];
};

static struct evtchn *ec_of(struct domain *d)
{
    struct evtchn *e = __atomic_load_n((struct evtchn **)&d->evtchn, __ATOMIC_ACQUIRE);
    struct evtchn *none = NULL;

    if (e)
        return e;
    if (!(e = kzalloc(sizeof(*e))))
        return NULL;
    if (!__atomic_compare_exchange_n((struct evtchn **)&d->evtchn, &none, e, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        kfree(e);                       /* another CPU was first */
        e = none;
    }
    return e;
}

/* Locks a's and b's tables (the same table once), lower domain ID first. */
static void lock_pair(struct domain *a, struct domain *b, unsigned long *flags)
{
    struct evtchn *ea = a->evtchn, *eb = b->evtchn;

    *flags = local_irq_save();
    if (a == b) {
        spin_lock(&ea->lock);
    } else if (a->id < b->id) {
        spin_lock(&ea->lock);
        spin_lock(&eb->lock);
    } else {
        spin_lock(&eb->lock);
        spin_lock(&ea->lock);
    }
}

static void unlock_pair(struct domain *a, struct domain *b, unsigned long flags)
{
    if (a != b)
        spin_unlock(&((struct evtchn *)b->evtchn)->lock);
    spin_unlock(&((struct evtchn *)a->evtchn)->lock);
    local_irq_restore(flags);
}

static int free_port(struct evtchn *e)
{
    for (unsigned int p = 1; p < KEEL_EVTCHN_PORTS; p++)
        if (e->ports[p].state == KEEL_EVTCHN_FREE)
            return (int)p;
    return -ENOSPC;
}

static bool port_ok(uint32_t port)
{
    return port >= 1 && port < KEEL_EVTCHN_PORTS;
}

/* Tells d that a port is pending (its lock is not held: delivery may take other locks). */
static void notify(struct domain *d)
{
    struct evtchn *e = d->evtchn;

    if (d == dom0) {
        iface_notify();
        return;
    }
    if (e->upcall_vector && e->upcall_vcpu < d->nr_vcpus)
        vplatform_raise(d->vcpus[e->upcall_vcpu], e->upcall_vector);
}

static int alloc_unbound(struct domain *d, struct keel_evtchn_alloc_unbound *a)
{
    struct evtchn *e = d->evtchn;
    uint32_t remote = a->remote_dom == KEEL_DOMID_SELF ? d->id : a->remote_dom;
    struct domain *r = domain_get(remote);
    unsigned long flags;
    int port;

    if (!r)
        return -ESRCH;
    domain_put(r);
    flags = spin_lock_irqsave(&e->lock);
    port = free_port(e);
    if (port > 0)
        e->ports[port] = (struct port){ .state = KEEL_EVTCHN_UNBOUND, .remote_dom = remote };
    spin_unlock_irqrestore(&e->lock, flags);
    if (port < 0)
        return port;
    a->port = (uint32_t)port;
    return 0;
}

static int bind_interdomain(struct domain *d, struct keel_evtchn_bind_interdomain *b)
{
    uint32_t rid = b->remote_dom == KEEL_DOMID_SELF ? d->id : b->remote_dom;
    struct domain *r;
    struct port *rp;
    unsigned long flags;
    int port = -EINVAL;

    if (b->pad || !port_ok(b->remote_port))
        return -EINVAL;
    if (!(r = domain_get(rid)))
        return -ESRCH;
    if (!ec_of(r)) {
        domain_put(r);
        return -ENOMEM;
    }
    lock_pair(d, r, &flags);
    rp = &((struct evtchn *)r->evtchn)->ports[b->remote_port];
    if (rp->state == KEEL_EVTCHN_UNBOUND && rp->remote_dom == d->id)
        port = free_port(d->evtchn);
    if (port > 0) {
        ((struct evtchn *)d->evtchn)->ports[port] = (struct port){
            .state = KEEL_EVTCHN_INTERDOMAIN, .remote_dom = rid, .remote_port = b->remote_port };
        rp->state = KEEL_EVTCHN_INTERDOMAIN;
        rp->remote_port = (uint32_t)port;
    }
    unlock_pair(d, r, flags);
    domain_put(r);
    if (port < 0)
        return port;
    b->local_port = (uint32_t)port;
    return 0;
}

/* Frees p; its remote end (in table re, if any) is unbound again, waiting for p's domain. */
static void release(struct port *p, struct evtchn *re)
{
    if (p->state == KEEL_EVTCHN_INTERDOMAIN) {
        struct port *rp = &re->ports[p->remote_port];

        rp->state = KEEL_EVTCHN_UNBOUND;
        rp->remote_port = 0;
    }
    *p = (struct port){ .state = KEEL_EVTCHN_FREE };
}

/*
 * Frees port of d. Which domain is at the other end is only known under d's lock, and the lower
 * ID's lock comes first: so look under d's lock, let go, take both, and look again (another vCPU
 * of d may have closed and rebound the port meanwhile). Both ends of a connection always change
 * together under both locks, so a connected port's remote end is connected back to it.
 */
static int close_port(struct domain *d, uint32_t port)
{
    struct evtchn *e = d->evtchn;
    struct port *p = &e->ports[port];

    for (;;) {
        unsigned long flags = spin_lock_irqsave(&e->lock);
        uint32_t rid = p->remote_dom;
        struct domain *r;
        bool done;

        if (p->state != KEEL_EVTCHN_INTERDOMAIN || rid == d->id) {
            bool was_free = p->state == KEEL_EVTCHN_FREE;

            release(p, e);              /* unbound, or connected within d */
            spin_unlock_irqrestore(&e->lock, flags);
            return was_free ? -EINVAL : 0;
        }
        spin_unlock_irqrestore(&e->lock, flags);
        if (!(r = domain_get(rid)))
            return -ESRCH;              /* being destroyed: it will unbind this end itself */
        if (!ec_of(r)) {
            domain_put(r);
            return -ENOMEM;
        }
        lock_pair(d, r, &flags);
        done = p->state != KEEL_EVTCHN_INTERDOMAIN || p->remote_dom == r->id;
        if (done)
            release(p, r->evtchn);
        unlock_pair(d, r, flags);
        domain_put(r);
        if (done)
            return 0;
    }
}

static int send(struct domain *d, uint32_t port)
{
    struct port *p = &((struct evtchn *)d->evtchn)->ports[port];
    struct domain *r;
    unsigned long flags;
    bool wake = false;

    if (p->state != KEEL_EVTCHN_INTERDOMAIN)
        return -ENOTCONN;
    if (!(r = domain_get(p->remote_dom)))
        return -ESRCH;
    if (!ec_of(r)) {
        domain_put(r);
        return -ENOMEM;
    }
    lock_pair(d, r, &flags);
    if (p->state == KEEL_EVTCHN_INTERDOMAIN && p->remote_dom == r->id) {
        struct port *rp = &((struct evtchn *)r->evtchn)->ports[p->remote_port];

        wake = !rp->pending && !rp->masked;
        rp->pending = true;
    }
    unlock_pair(d, r, flags);
    if (wake)
        notify(r);
    domain_put(r);
    return 0;
}

static int mask(struct domain *d, uint32_t port, bool masked)
{
    struct evtchn *e = d->evtchn;
    unsigned long flags = spin_lock_irqsave(&e->lock);
    struct port *p = &e->ports[port];
    bool wake = false;
    int r = 0;

    if (p->state == KEEL_EVTCHN_FREE)
        r = -EINVAL;
    else
        wake = p->masked && !masked && p->pending, p->masked = masked;
    spin_unlock_irqrestore(&e->lock, flags);
    if (wake)
        notify(d);
    return r;
}

static int pending(struct domain *d, struct keel_evtchn_pending *out)
{
    struct evtchn *e = d->evtchn;
    unsigned long flags = spin_lock_irqsave(&e->lock);

    memset(out, 0, sizeof(*out));
    for (unsigned int p = 1; p < KEEL_EVTCHN_PORTS; p++) {
        if (!e->ports[p].pending || e->ports[p].masked)
            continue;
        e->ports[p].pending = false;
        out->bitmap[p / 64] |= 1ULL << (p % 64);
        out->count++;
    }
    spin_unlock_irqrestore(&e->lock, flags);
    return 0;
}

static int set_upcall(struct domain *d, const struct keel_evtchn_upcall *u)
{
    struct evtchn *e = d->evtchn;

    if (d == dom0)
        return -EINVAL;                 /* dom0 is notified through its interface device */
    if (u->vcpu >= d->nr_vcpus || (u->vector && (u->vector < 32 || u->vector > 255)))
        return -EINVAL;
    e->upcall_vcpu = u->vcpu;
    __atomic_store_n(&e->upcall_vector, (uint8_t)u->vector, __ATOMIC_RELEASE);
    return 0;
}

static int status(struct domain *d, struct keel_evtchn_status *s)
{
    struct evtchn *e = d->evtchn;
    unsigned long flags = spin_lock_irqsave(&e->lock);
    struct port p = e->ports[s->port];

    spin_unlock_irqrestore(&e->lock, flags);
    s->state = p.state;
    s->remote_dom = p.remote_dom;
    s->remote_port = p.remote_port;
    s->pending = p.pending;
    s->masked = p.masked;
    return 0;
}

const uint32_t evtchn_arg_size[KEEL_EVTCHN_NR] = {
    [KEEL_EVTCHN_ALLOC_UNBOUND] = sizeof(struct keel_evtchn_alloc_unbound),
    [KEEL_EVTCHN_BIND_INTERDOMAIN] = sizeof(struct keel_evtchn_bind_interdomain),
    [KEEL_EVTCHN_CLOSE] = sizeof(struct keel_evtchn_port),
    [KEEL_EVTCHN_SEND] = sizeof(struct keel_evtchn_port),
    [KEEL_EVTCHN_MASK] = sizeof(struct keel_evtchn_port),
    [KEEL_EVTCHN_UNMASK] = sizeof(struct keel_evtchn_port),
    [KEEL_EVTCHN_PENDING] = sizeof(struct keel_evtchn_pending),
    [KEEL_EVTCHN_SET_UPCALL] = sizeof(struct keel_evtchn_upcall),
    [KEEL_EVTCHN_STATUS] = sizeof(struct keel_evtchn_status),
};

/* The commands that name one of the caller's ports: it must be a valid number. */
static int on_port(struct domain *d, uint32_t cmd, struct keel_evtchn_port *p)
{
    if (!port_ok(p->port) || p->pad)
        return -EINVAL;
    switch (cmd) {
    case KEEL_EVTCHN_CLOSE:
        return close_port(d, p->port);
    case KEEL_EVTCHN_SEND:
        return send(d, p->port);
    default:
        return mask(d, p->port, cmd == KEEL_EVTCHN_MASK);
    }
}

int evtchn_op(struct domain *d, uint32_t cmd, void *arg)
{
    if (cmd >= KEEL_EVTCHN_NR)
        return -EINVAL;
    if (!ec_of(d))
        return -ENOMEM;
    switch (cmd) {
    case KEEL_EVTCHN_ALLOC_UNBOUND:
        return alloc_unbound(d, arg);
    case KEEL_EVTCHN_BIND_INTERDOMAIN:
        return bind_interdomain(d, arg);
    case KEEL_EVTCHN_PENDING:
        return pending(d, arg);
    case KEEL_EVTCHN_SET_UPCALL:
        return set_upcall(d, arg);
    case KEEL_EVTCHN_STATUS:
        if (!port_ok(((struct keel_evtchn_status *)arg)->port))
            return -EINVAL;
        return status(d, arg);
    default:
        return on_port(d, cmd, arg);
    }
}

void evtchn_destroy(struct domain *d)
{
    struct evtchn *e = d->evtchn;

    if (!e)
        return;
    for (uint32_t p = 1; p < KEEL_EVTCHN_PORTS; p++)
        if (e->ports[p].state != KEEL_EVTCHN_FREE)
            close_port(d, p);
    d->evtchn = NULL;
    kfree(e);
}
