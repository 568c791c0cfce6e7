/*
 * Unit tests for hv/evtchn.c on its own: the port state machine of each end, notifications (dom0
 * through the interface device, others through their upcall vCPU and vector), masking, closing,
 * a destroyed domain's ports, exhaustion and bad arguments. Four fake domains: 0 is dom0. The
 * domain lookup can run another vCPU's work at the moment the code under test looks a domain up,
 * to replay races deterministically.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/evtchn.c"

#define NDOMS 4

static struct fake {
    struct domain d;
    struct vcpu v[2];
    bool gone;                          /* taken out of the domain table */
} doms[NDOMS];

static unsigned int dom0_notifies, raises[NDOMS], refs[NDOMS];
static struct vcpu *raised_vcpu;
static uint8_t raised_vector;
static void (*on_get)(void);            /* runs once, inside the next domain_get */

struct domain *dom0;

void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }

struct domain *domain_get(unsigned int id)
{
    void (*fn)(void) = on_get;

    on_get = NULL;
    if (fn)
        fn();
    if (id >= NDOMS || doms[id].gone)
        return NULL;
    refs[id]++;
    return &doms[id].d;
}

void domain_put(struct domain *d)
{
    assert_true(refs[d->id] > 0);
    refs[d->id]--;
}

void iface_notify(void)
{
    dom0_notifies++;
}

bool vplatform_raise(struct vcpu *v, uint8_t vector)
{
    raises[v->domain->id]++;
    raised_vcpu = v;
    raised_vector = vector;
    return true;
}

static int setup(void **state)
{
    for (unsigned int i = 0; i < NDOMS; i++) {
        free(doms[i].d.evtchn);
        memset(&doms[i], 0, sizeof(doms[i]));
        doms[i].d.id = i;
        doms[i].d.nr_vcpus = 2;
        for (unsigned int c = 0; c < 2; c++) {
            doms[i].d.vcpus[c] = &doms[i].v[c];
            doms[i].v[c].domain = &doms[i].d;
        }
        raises[i] = refs[i] = 0;
    }
    doms[0].d.flags = DOMF_PRIVILEGED;
    dom0 = &doms[0].d;
    dom0_notifies = 0;
    raised_vcpu = NULL;
    raised_vector = 0;
    on_get = NULL;
    return 0;
}

static int teardown(void **state)
{
    for (unsigned int i = 0; i < NDOMS; i++) {
        assert_int_equal(refs[i], 0);   /* every lookup was put back */
        free(doms[i].d.evtchn);
        doms[i].d.evtchn = NULL;
    }
    return 0;
}

/* --- helpers: each returns the operation's result --- */
static int op(unsigned int dom, uint32_t cmd, void *arg)
{
    return evtchn_op(&doms[dom].d, cmd, arg);
}

static uint32_t t_alloc(unsigned int dom, uint32_t remote)
{
    struct keel_evtchn_alloc_unbound a = { .remote_dom = remote };

    assert_int_equal(op(dom, KEEL_EVTCHN_ALLOC_UNBOUND, &a), 0);
    return a.port;
}

static int bind(unsigned int dom, uint32_t remote, uint32_t remote_port, uint32_t *local)
{
    struct keel_evtchn_bind_interdomain b = { .remote_dom = remote, .remote_port = remote_port };
    int r = op(dom, KEEL_EVTCHN_BIND_INTERDOMAIN, &b);

    *local = b.local_port;
    return r;
}

static int port_op(unsigned int dom, uint32_t cmd, uint32_t port)
{
    struct keel_evtchn_port p = { .port = port };

    return op(dom, cmd, &p);
}

static struct keel_evtchn_status status_of(unsigned int dom, uint32_t port)
{
    struct keel_evtchn_status s = { .port = port };

    assert_int_equal(op(dom, KEEL_EVTCHN_STATUS, &s), 0);
    return s;
}

static struct keel_evtchn_pending pending_of(unsigned int dom)
{
    struct keel_evtchn_pending p;

    memset(&p, 0xff, sizeof(p));        /* everything must be written */
    assert_int_equal(op(dom, KEEL_EVTCHN_PENDING, &p), 0);
    return p;
}

static void t_upcall(unsigned int dom, uint32_t vcpu, uint32_t vector)
{
    struct keel_evtchn_upcall u = { .vcpu = vcpu, .vector = vector };

    assert_int_equal(op(dom, KEEL_EVTCHN_SET_UPCALL, &u), 0);
}

/* Connects a port of a (allocated unbound for b) with a new port of b; returns a's port. */
static uint32_t connect(unsigned int a, unsigned int b, uint32_t *b_port)
{
    uint32_t pa = t_alloc(a, b);

    assert_int_equal(bind(b, a, pa, b_port), 0);
    return pa;
}

static void assert_state(unsigned int dom, uint32_t port, uint32_t state, uint32_t rdom,
                         uint32_t rport)
{
    struct keel_evtchn_status s = status_of(dom, port);

    assert_int_equal(s.state, state);
    assert_int_equal(s.remote_dom, rdom);
    assert_int_equal(s.remote_port, rport);
}

/* --- the life of a connection --- */
static void test_connect_send_pending(void **state)
{
    uint32_t p1, p2;
    struct keel_evtchn_pending pend;

    t_upcall(2, 1, 0x51);
    p1 = t_alloc(1, 2);
    assert_state(1, p1, KEEL_EVTCHN_UNBOUND, 2, 0);
    assert_int_equal(bind(2, 1, p1, &p2), 0);
    assert_state(1, p1, KEEL_EVTCHN_INTERDOMAIN, 2, p2);
    assert_state(2, p2, KEEL_EVTCHN_INTERDOMAIN, 1, p1);
    assert_int_equal(port_op(1, KEEL_EVTCHN_SEND, p1), 0);
    assert_int_equal(raises[2], 1);                     /* at the upcall vCPU, with its vector */
    assert_ptr_equal(raised_vcpu, &doms[2].v[1]);
    assert_int_equal(raised_vector, 0x51);
    assert_int_equal(raises[1], 0);
    assert_int_equal(status_of(2, p2).pending, 1);
    pend = pending_of(1);
    assert_int_equal(pend.count, 0);                    /* the sender's end is not pending */
    pend = pending_of(2);
    assert_int_equal(pend.count, 1);
    for (unsigned int w = 0; w < KEEL_EVTCHN_PORTS / 64; w++)
        assert_int_equal(pend.bitmap[w], w == p2 / 64 ? 1ull << (p2 % 64) : 0);
    assert_int_equal(status_of(2, p2).pending, 0);      /* read and cleared */
    assert_int_equal(pending_of(2).count, 0);
    /* Back the other way; domain 1 has no upcall vector: pending, but no interrupt. */
    assert_int_equal(port_op(2, KEEL_EVTCHN_SEND, p2), 0);
    assert_int_equal(raises[1], 0);
    assert_int_equal(pending_of(1).bitmap[p1 / 64], 1ull << (p1 % 64));
}

static void test_dom0_is_notified_through_its_device(void **state)
{
    uint32_t p0, p3;
    struct keel_evtchn_upcall u = { .vcpu = 0, .vector = 0x40 };

    p0 = connect(0, 3, &p3);
    assert_int_equal(port_op(3, KEEL_EVTCHN_SEND, p3), 0);
    assert_int_equal(dom0_notifies, 1);
    assert_int_equal(raises[0], 0);
    assert_int_equal(port_op(3, KEEL_EVTCHN_SEND, p3), 0);
    assert_int_equal(dom0_notifies, 1);                 /* still pending: no second one */
    assert_int_equal(pending_of(0).count, 1);
    assert_int_equal(port_op(3, KEEL_EVTCHN_SEND, p3), 0);
    assert_int_equal(dom0_notifies, 2);
    assert_int_equal(op(0, KEEL_EVTCHN_SET_UPCALL, &u), -EINVAL);
    (void)p0;
}

static void test_mask_and_unmask(void **state)
{
    uint32_t a, b;

    t_upcall(1, 0, 0x60);
    a = connect(1, 2, &b);
    assert_int_equal(port_op(1, KEEL_EVTCHN_MASK, a), 0);
    assert_int_equal(port_op(2, KEEL_EVTCHN_SEND, b), 0);
    assert_int_equal(raises[1], 0);                     /* masked: pending, no interrupt */
    assert_int_equal(status_of(1, a).pending, 1);
    assert_int_equal(status_of(1, a).masked, 1);
    assert_int_equal(pending_of(1).count, 0);           /* PENDING leaves masked ports alone */
    assert_int_equal(status_of(1, a).pending, 1);
    assert_int_equal(port_op(1, KEEL_EVTCHN_UNMASK, a), 0);
    assert_int_equal(raises[1], 1);                     /* unmasking delivers it */
    assert_int_equal(port_op(1, KEEL_EVTCHN_UNMASK, a), 0);
    assert_int_equal(raises[1], 1);                     /* not masked: nothing new */
    assert_int_equal(pending_of(1).count, 1);
    assert_int_equal(port_op(1, KEEL_EVTCHN_MASK, a), 0);
    assert_int_equal(port_op(1, KEEL_EVTCHN_UNMASK, a), 0);
    assert_int_equal(raises[1], 1);                     /* nothing pending: nothing delivered */
    /* A pending port of dom0 unmasked: dom0 hears of it again. */
    a = connect(0, 2, &b);
    assert_int_equal(port_op(0, KEEL_EVTCHN_MASK, a), 0);
    assert_int_equal(port_op(2, KEEL_EVTCHN_SEND, b), 0);
    assert_int_equal(dom0_notifies, 0);
    assert_int_equal(port_op(0, KEEL_EVTCHN_UNMASK, a), 0);
    assert_int_equal(dom0_notifies, 1);
}

static void test_upcall_vector_zero_stops_interrupts(void **state)
{
    uint32_t a, b;

    t_upcall(1, 0, 0x33);
    a = connect(1, 2, &b);
    t_upcall(1, 0, 0);
    assert_int_equal(port_op(2, KEEL_EVTCHN_SEND, b), 0);
    assert_int_equal(raises[1], 0);
    assert_int_equal(status_of(1, a).pending, 1);
}

static void test_close_unbinds_the_other_end(void **state)
{
    uint32_t a, b, again;

    a = connect(1, 2, &b);
    assert_int_equal(port_op(2, KEEL_EVTCHN_CLOSE, b), 0);
    assert_state(2, b, KEEL_EVTCHN_FREE, 0, 0);
    assert_state(1, a, KEEL_EVTCHN_UNBOUND, 2, 0);      /* waiting for domain 2 again */
    assert_int_equal(port_op(1, KEEL_EVTCHN_SEND, a), -ENOTCONN);
    assert_int_equal(port_op(2, KEEL_EVTCHN_SEND, b), -ENOTCONN);
    assert_int_equal(port_op(2, KEEL_EVTCHN_CLOSE, b), -EINVAL);   /* already free */
    assert_int_equal(bind(3, 1, a, &again), -EINVAL);   /* only domain 2 may bind it */
    assert_int_equal(bind(2, 1, a, &again), 0);
    assert_int_equal(port_op(1, KEEL_EVTCHN_SEND, a), 0);
    assert_int_equal(pending_of(2).bitmap[again / 64], 1ull << (again % 64));
    /* An unbound port closes alone. */
    a = t_alloc(3, 1);
    assert_int_equal(port_op(3, KEEL_EVTCHN_CLOSE, a), 0);
    assert_state(3, a, KEEL_EVTCHN_FREE, 0, 0);
}

static void test_loopback_within_one_domain(void **state)
{
    uint32_t a, b;

    t_upcall(3, 0, 0x44);
    a = t_alloc(3, KEEL_DOMID_SELF);
    assert_state(3, a, KEEL_EVTCHN_UNBOUND, 3, 0);
    assert_int_equal(bind(3, KEEL_DOMID_SELF, a, &b), 0);
    assert_int_not_equal(a, b);
    assert_state(3, a, KEEL_EVTCHN_INTERDOMAIN, 3, b);
    assert_state(3, b, KEEL_EVTCHN_INTERDOMAIN, 3, a);
    assert_int_equal(port_op(3, KEEL_EVTCHN_SEND, a), 0);
    assert_int_equal(raises[3], 1);
    assert_int_equal(pending_of(3).bitmap[b / 64], 1ull << (b % 64));
    assert_int_equal(port_op(3, KEEL_EVTCHN_CLOSE, a), 0);
    assert_state(3, b, KEEL_EVTCHN_UNBOUND, 3, 0);
}

/* A destroyed domain's ports are all closed; the other ends are unbound again. */
static void test_destroy_closes_every_port(void **state)
{
    uint32_t to0, at0, to2, at2, self, self2, lone;

    to0 = connect(1, 0, &at0);
    at2 = connect(2, 1, &to2);
    self = t_alloc(1, KEEL_DOMID_SELF);
    assert_int_equal(bind(1, KEEL_DOMID_SELF, self, &self2), 0);
    lone = t_alloc(1, 3);
    doms[1].gone = true;                /* domain_destroy takes it out of the table first */
    evtchn_destroy(&doms[1].d);
    assert_null(doms[1].d.evtchn);
    assert_state(0, at0, KEEL_EVTCHN_UNBOUND, 1, 0);
    assert_state(2, at2, KEEL_EVTCHN_UNBOUND, 1, 0);
    assert_int_equal(port_op(0, KEEL_EVTCHN_SEND, at0), -ENOTCONN);
    assert_int_equal(port_op(2, KEEL_EVTCHN_SEND, at2), -ENOTCONN);
    assert_int_equal(bind(3, 1, lone, &self), -ESRCH);  /* nothing left to bind */
    (void)to0, (void)to2, (void)self2;
}

static void test_ports_run_out(void **state)
{
    struct keel_evtchn_alloc_unbound a = { .remote_dom = KEEL_DOMID_SELF };
    unsigned int n = 0;

    while (op(1, KEEL_EVTCHN_ALLOC_UNBOUND, &a) == 0)
        n++, assert_int_equal(a.port, n);               /* 1, 2, ... in order */
    assert_int_equal(n, KEEL_EVTCHN_PORTS - 1);
    assert_int_equal(op(1, KEEL_EVTCHN_ALLOC_UNBOUND, &a), -ENOSPC);
    assert_int_equal(port_op(1, KEEL_EVTCHN_CLOSE, 500), 0);
    assert_int_equal(op(1, KEEL_EVTCHN_ALLOC_UNBOUND, &a), 0);
    assert_int_equal(a.port, 500);
    /* Binding needs a free port on the binding side too. */
    {
        uint32_t p2 = t_alloc(2, 1), local = 0;

        assert_int_equal(bind(1, 2, p2, &local), -ENOSPC);
        assert_state(2, p2, KEEL_EVTCHN_UNBOUND, 1, 0);  /* and nothing changed there */
    }
}

static void test_bad_arguments(void **state)
{
    static const uint32_t bad_ports[] = { 0, KEEL_EVTCHN_PORTS, KEEL_EVTCHN_PORTS + 1, ~0u };
    static const uint32_t port_cmds[] = { KEEL_EVTCHN_CLOSE, KEEL_EVTCHN_SEND, KEEL_EVTCHN_MASK,
                                          KEEL_EVTCHN_UNMASK };
    struct keel_evtchn_port padded = { .port = 1, .pad = 1 };
    struct keel_evtchn_upcall u = { .vcpu = 2, .vector = 0x40 };
    struct keel_evtchn_alloc_unbound au = { .remote_dom = 9 };
    struct keel_evtchn_bind_interdomain b = { .remote_dom = 2, .remote_port = 1, .pad = 1 };
    uint32_t local;

    for (unsigned int i = 0; i < 4; i++) {
        struct keel_evtchn_status s = { .port = bad_ports[i] };

        for (unsigned int c = 0; c < 4; c++)
            assert_int_equal(port_op(1, port_cmds[c], bad_ports[i]), -EINVAL);
        assert_int_equal(op(1, KEEL_EVTCHN_STATUS, &s), -EINVAL);
        assert_int_equal(bind(1, 2, bad_ports[i], &local), -EINVAL);
    }
    t_alloc(1, KEEL_DOMID_SELF);                  /* port 1 */
    assert_int_equal(op(1, KEEL_EVTCHN_SEND, &padded), -EINVAL);
    assert_int_equal(port_op(1, KEEL_EVTCHN_SEND, 1), -ENOTCONN);       /* unbound */
    for (unsigned int c = 0; c < 4; c++)
        assert_int_equal(port_op(1, port_cmds[c], 7), c == 1 ? -ENOTCONN : -EINVAL);  /* free */
    assert_int_equal(op(1, KEEL_EVTCHN_SET_UPCALL, &u), -EINVAL);       /* no vCPU 2 */
    u.vcpu = 1, u.vector = 31;
    assert_int_equal(op(1, KEEL_EVTCHN_SET_UPCALL, &u), -EINVAL);
    u.vector = 256;
    assert_int_equal(op(1, KEEL_EVTCHN_SET_UPCALL, &u), -EINVAL);
    assert_int_equal(op(1, KEEL_EVTCHN_ALLOC_UNBOUND, &au), -ESRCH);
    t_alloc(2, 1);                                /* port 1 of domain 2, for domain 1 */
    assert_int_equal(op(1, KEEL_EVTCHN_BIND_INTERDOMAIN, &b), -EINVAL);   /* padding */
    assert_int_equal(bind(1, 9, 1, &local), -ESRCH);
    assert_int_equal(bind(1, 2, 2, &local), -EINVAL);   /* a free port */
    assert_int_equal(bind(3, 2, 1, &local), -EINVAL);   /* not meant for domain 3 */
    assert_int_equal(bind(1, 2, 1, &local), 0);
    assert_int_equal(bind(1, 2, 1, &local), -EINVAL);   /* already bound */
    assert_int_equal(op(1, KEEL_EVTCHN_NR, &padded), -EINVAL);
    assert_int_equal(op(1, ~0u, &padded), -EINVAL);
}

/*
 * Another vCPU of domain 1 closes its port and binds the same port number to domain 3 while the
 * first vCPU's CLOSE has looked the old peer up but not yet taken the locks. The CLOSE must then
 * unbind domain 3's end, and must not touch the port of the old peer that has the same number.
 */
static uint32_t race_port;

static void other_vcpu_rebinds(void)
{
    uint32_t p3, again;

    assert_int_equal(port_op(1, KEEL_EVTCHN_CLOSE, race_port), 0);
    p3 = t_alloc(3, 1);
    assert_int_equal(bind(1, 3, p3, &again), 0);
    assert_int_equal(again, race_port);                 /* the lowest free port: the same one */
}

static void test_close_racing_with_a_rebind(void **state)
{
    uint32_t l1, l2, q, p;

    l1 = t_alloc(2, KEEL_DOMID_SELF);             /* domain 2: ports 1 and 2 loop back */
    assert_int_equal(bind(2, KEEL_DOMID_SELF, l1, &l2), 0);
    q = t_alloc(2, 1);                            /* port 3, for domain 1 */
    assert_int_equal(bind(1, 2, q, &p), 0);
    assert_int_equal(p, 1);
    race_port = p;
    on_get = other_vcpu_rebinds;
    assert_int_equal(port_op(1, KEEL_EVTCHN_CLOSE, p), 0);
    assert_state(1, p, KEEL_EVTCHN_FREE, 0, 0);
    assert_state(3, 1, KEEL_EVTCHN_UNBOUND, 1, 0);      /* the new peer is unbound */
    assert_state(2, q, KEEL_EVTCHN_UNBOUND, 1, 0);      /* the old peer was, by the other vCPU */
    assert_state(2, l1, KEEL_EVTCHN_INTERDOMAIN, 2, l2);  /* port 1 of domain 2 untouched */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_send_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dom0_is_notified_through_its_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask_and_unmask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upcall_vector_zero_stops_interrupts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_unbinds_the_other_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_within_one_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_closes_every_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ports_run_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_racing_with_a_rebind, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
