/*
 * Unit tests for hv/hypercall.c and hv/evtchn.c, with fake domains whose RAM is a host buffer:
 * who may call what, garbage arguments for every number (the results must be results, and no
 * access may leave the caller's RAM), and the event-channel state machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/hypercall.c"
#include "../../hv/evtchn.c"

#define RAM 0x10000ull                  /* each fake domain's RAM, from gpa 0 */
#define NDOMS 3
#define RO_START 0xf000ull              /* a read-only page of each fake domain's RAM */
#define RO_END 0x10000ull

static struct fake {
    struct domain d;
    struct vcpu v;
    struct vcpu *vcpus[1];
    uint8_t ram[RAM];
} doms[NDOMS];

static unsigned int notifies[NDOMS], raises[NDOMS], shutdowns, domctls, foreign_calls;

/* --- what the decoder and event channels use from the rest of the hypervisor --- */
struct domain *dom0;
uint64_t dom0_cpu_mask = 1;
struct dom0_layout dom0_layout = { .bytes = 1ull << 30 };
unsigned int nr_cpus_online = 2;
uint64_t tsc_khz = 2000000;
static const struct hvm_ops fake_hvm = { .name = "fake", .p2m_format = P2M_FORMAT_NPT };
const struct hvm_ops *hvm = &fake_hvm;

static struct fake *fake_of(const struct domain *d)
{
    return (struct fake *)((const char *)d - offsetof(struct fake, d));
}

int gpa_read(struct domain *d, uint64_t gpa, void *buf, size_t len)
{
    if (gpa >= RAM || len > RAM - gpa)
        return -EFAULT;
    memcpy(buf, fake_of(d)->ram + gpa, len);
    return 0;
}

int gpa_write(struct domain *d, uint64_t gpa, const void *buf, size_t len)
{
    if (gpa >= RAM || len > RAM - gpa)
        return -EFAULT;
    if (gpa < RO_END && gpa + len > RO_START)
        return -EACCES;                 /* read-only RAM: nothing written */
    memcpy(fake_of(d)->ram + gpa, buf, len);
    return 0;
}

void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }
void domain_shutdown(struct domain *d, int reason, int code) { shutdowns++; }
void vcpu_dump(struct vcpu *v, const char *why) { }
uint64_t sched_vcpu_runtime(const struct vcpu *v) { return 5; }
uint64_t sched_domain_runtime(const struct domain *d) { return 7; }
void domain_console_putc(struct domain *d, char c) { }
uint64_t domains_ram_bytes(void) { return 0; }
int foreign_map(const struct keel_foreign_map *m) { foreign_calls++; return -EINVAL; }
int foreign_unmap(uint64_t gfn) { foreign_calls++; return -EINVAL; }
int64_t domctl(struct vcpu *v, uint64_t cmd, uint64_t gpa) { domctls++; return -EINVAL; }
void domain_put(struct domain *d) { }

void mm_get_stats(struct mem_stats *st)
{
    *st = (struct mem_stats){ .ram_bytes = 4ull << 30, .free_bytes = 2ull << 30 };
}

long printk_read_log(uint64_t *seq, uint8_t *level, uint64_t *ns, char *out, size_t size)
{
    if (*seq > 3)
        return -ENOENT;
    *level = 2;
    *ns = 100;
    return snprintf(out, size, "line %llu", (unsigned long long)*seq);
}

struct domain *domain_get(unsigned int id)
{
    return id < NDOMS ? &doms[id].d : NULL;
}

unsigned int domain_list(uint32_t *ids, unsigned int max)
{
    for (unsigned int i = 0; i < NDOMS && i < max; i++)
        ids[i] = i;
    return NDOMS;
}

void domain_fill_info(struct domain *d, struct keel_domain_info *info)
{
    memset(info, 0, sizeof(*info));
    info->domid = d->id;
}

void iface_notify(void)
{
    notifies[0]++;
}

bool vplatform_raise(struct vcpu *v, uint8_t vector)
{
    raises[v->domain->id]++;
    return true;
}

/* --- set-up --- */
static int setup(void **state)
{
    for (unsigned int i = 0; i < NDOMS; i++) {
        if (doms[i].d.evtchn)
            free(doms[i].d.evtchn);
        memset(&doms[i], 0, sizeof(doms[i]));
        doms[i].d.id = i;
        doms[i].d.nr_vcpus = 1;
        doms[i].d.vcpus[0] = &doms[i].v;
        doms[i].v.domain = &doms[i].d;
        notifies[i] = raises[i] = 0;
    }
    doms[0].d.flags = DOMF_PRIVILEGED;
    doms[2].d.flags = DOMF_TEST_DEVICES;
    dom0 = &doms[0].d;
    shutdowns = domctls = foreign_calls = 0;
    return 0;
}

static int64_t call(unsigned int dom, uint64_t nr, uint64_t a0, uint64_t a1)
{
    uint64_t args[5] = { a0, a1, 0, 0, 0 };

    return hypercall_dispatch(&doms[dom].v, nr, args);
}

/* --- who may call what --- */
static void test_privileged_calls_refused_to_others(void **state)
{
    static const uint64_t dom0_only[] = { KEEL_HC_LOG_READ, KEEL_HC_PHYSINFO, KEEL_HC_DOMAIN_LIST,
                                          KEEL_HC_DOMAIN_INFO, KEEL_HC_FOREIGN_MAP,
                                          KEEL_HC_FOREIGN_UNMAP, KEEL_HC_DOMCTL };

    for (unsigned int i = 0; i < sizeof(dom0_only) / sizeof(dom0_only[0]); i++) {
        assert_int_equal(call(1, dom0_only[i], 0, 0), -EPERM);
        assert_int_equal(call(2, dom0_only[i], 0, 0), -EPERM);
    }
    assert_int_equal(domctls + foreign_calls, 0);
    assert_int_equal(call(1, KEEL_HC_TEST_NMI, 0, 0), -ENOSYS);     /* test domains only */
    assert_int_equal(call(0, KEEL_HC_TEST_IRQ, 40, 0), -ENOSYS);
    assert_int_equal(call(2, KEEL_HC_TEST_IRQ, 40, 0), 0);
    assert_int_equal(call(2, KEEL_HC_TEST_IRQ, 7, 0), -EINVAL);
    assert_int_equal(call(1, 99, 0, 0), -ENOSYS);
    assert_int_equal(call(1, ~0ull, 0, 0), -ENOSYS);
    assert_int_equal(call(1, KEEL_HC_VERSION, 0, 0), KEEL_ABI_VERSION);
}

static void test_dom0_queries(void **state)
{
    struct keel_physinfo p;
    struct keel_log_read l = { .seq = 2 };
    uint32_t ids[2];

    assert_int_equal(call(0, KEEL_HC_PHYSINFO, 0x100, 0), 0);
    memcpy(&p, doms[0].ram + 0x100, sizeof(p));
    assert_int_equal(p.abi_version, KEEL_ABI_VERSION);
    assert_int_equal(p.nr_cpus, 2);
    assert_string_equal(p.backend, "svm");
    assert_int_equal(call(0, KEEL_HC_PHYSINFO, RAM - 8, 0), -EFAULT);   /* crosses out of RAM */
    memcpy(doms[0].ram + 0x200, &l, sizeof(l));
    assert_int_equal(call(0, KEEL_HC_LOG_READ, 0x200, 0), 6);
    assert_string_equal((char *)doms[0].ram + 0x200 + offsetof(struct keel_log_read, text), "line 2");
    l.pad = 1;                                                        /* padding must be 0 */
    memcpy(doms[0].ram + 0x200, &l, sizeof(l));
    assert_int_equal(call(0, KEEL_HC_LOG_READ, 0x200, 0), -EINVAL);
    assert_int_equal(call(0, KEEL_HC_DOMAIN_LIST, 0x300, 2), NDOMS);  /* more than max */
    memcpy(ids, doms[0].ram + 0x300, sizeof(ids));
    assert_int_equal(ids[1], 1);
    assert_int_equal(call(0, KEEL_HC_DOMAIN_LIST, 0x300, 100000), -EINVAL);
    assert_int_equal(call(0, KEEL_HC_DOMAIN_INFO, 9, 0x400), -ESRCH);
    assert_int_equal(call(0, KEEL_HC_DOMAIN_INFO, 1ull << 40, 0x400), -ESRCH);
    assert_int_equal(call(0, KEEL_HC_CONSOLE_WRITE, 0, 5000), -EINVAL);
    assert_int_equal(call(0, KEEL_HC_CONSOLE_WRITE, RAM - 2, 4), -EFAULT);
}

/* Random numbers and arguments from every kind of domain: every result is a result, never a
 * crash (AddressSanitizer watches every access), and privileged work only ever runs for dom0. */
static void test_garbage(void **state)
{
    static const uint64_t shapes[] = { 0, 1, 2, 31, 32, 255, 256, 0x1000, RAM - 1, RAM, RAM + 1,
                                       0xfffff000, 1ull << 32, 1ull << 63, ~0ull, ~0ull - 7 };
    uint64_t seed = 0x6b65656c;

    for (unsigned int i = 0; i < 200000; i++) {
        uint64_t args[5];
        unsigned int dom;
        uint64_t nr;
        int64_t r;

        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        dom = (unsigned int)(seed >> 60) % NDOMS;
        nr = (seed >> 40) % 24;
        for (unsigned int a = 0; a < 5; a++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            args[a] = (seed >> 63) ? shapes[(seed >> 32) % 16] : (seed >> 20) % (RAM + 64);
        }
        if (nr == KEEL_HC_SHUTDOWN || nr == KEEL_HC_TEST_WHERE)
            continue;                   /* stops the domain; reads the CPU: not for a host test */
        r = hypercall_dispatch(&doms[dom].v, nr, args);
        assert_true(r >= 0 || r >= -4095);
        if (dom != 0 && (nr == KEEL_HC_PHYSINFO || nr == KEEL_HC_DOMCTL))
            assert_int_equal(r, -EPERM);
    }
    assert_int_equal(shutdowns, 0);
}

/* --- event channels --- */
static long ec(unsigned int dom, uint32_t cmd, void *arg, size_t size)
{
    memcpy(doms[dom].ram + 0x800, arg, size);
    long r = (long)call(dom, KEEL_HC_EVTCHN, cmd, 0x800);
    memcpy(arg, doms[dom].ram + 0x800, size);
    return r;
}

static void test_evtchn_loopback_in_one_domain(void **state)
{
    struct keel_evtchn_upcall up = { .vcpu = 0, .vector = 0x40 };
    struct keel_evtchn_alloc_unbound au = { .remote_dom = KEEL_DOMID_SELF };
    struct keel_evtchn_bind_interdomain b = { .remote_dom = KEEL_DOMID_SELF };
    struct keel_evtchn_port p = { 0 };
    struct keel_evtchn_pending pend;
    struct keel_evtchn_status st = { 0 };

    assert_int_equal(ec(1, KEEL_EVTCHN_SET_UPCALL, &up, sizeof(up)), 0);
    assert_int_equal(ec(1, KEEL_EVTCHN_ALLOC_UNBOUND, &au, sizeof(au)), 0);
    b.remote_port = au.port;
    assert_int_equal(ec(1, KEEL_EVTCHN_BIND_INTERDOMAIN, &b, sizeof(b)), 0);
    assert_int_not_equal(b.local_port, au.port);
    p.port = b.local_port;
    assert_int_equal(ec(1, KEEL_EVTCHN_SEND, &p, sizeof(p)), 0);
    assert_int_equal(raises[1], 1);
    assert_int_equal(ec(1, KEEL_EVTCHN_SEND, &p, sizeof(p)), 0);   /* already pending: no new one */
    assert_int_equal(raises[1], 1);
    assert_int_equal(ec(1, KEEL_EVTCHN_PENDING, &pend, sizeof(pend)), 0);
    assert_int_equal(pend.count, 1);
    assert_int_equal(pend.bitmap[0], 1ull << au.port);
    assert_int_equal(ec(1, KEEL_EVTCHN_PENDING, &pend, sizeof(pend)), 0);  /* read and cleared */
    assert_int_equal(pend.count, 0);
    /* Masked: pending, no upcall; unmasking delivers it. */
    p.port = au.port;
    assert_int_equal(ec(1, KEEL_EVTCHN_MASK, &p, sizeof(p)), 0);
    p.port = b.local_port;
    assert_int_equal(ec(1, KEEL_EVTCHN_SEND, &p, sizeof(p)), 0);
    assert_int_equal(raises[1], 1);
    p.port = au.port;
    assert_int_equal(ec(1, KEEL_EVTCHN_UNMASK, &p, sizeof(p)), 0);
    assert_int_equal(raises[1], 2);
    /* Closing one end leaves the other unbound, waiting for the same domain. */
    p.port = b.local_port;
    assert_int_equal(ec(1, KEEL_EVTCHN_CLOSE, &p, sizeof(p)), 0);
    st.port = au.port;
    assert_int_equal(ec(1, KEEL_EVTCHN_STATUS, &st, sizeof(st)), 0);
    assert_int_equal(st.state, KEEL_EVTCHN_UNBOUND);
    assert_int_equal(st.remote_dom, 1);
    assert_int_equal(ec(1, KEEL_EVTCHN_SEND, &p, sizeof(p)), -ENOTCONN);
}

static void test_evtchn_to_dom0_and_back(void **state)
{
    struct keel_evtchn_alloc_unbound au = { .remote_dom = KEEL_DOM0 };
    struct keel_evtchn_bind_interdomain b = { .remote_dom = 1 };
    struct keel_evtchn_upcall up = { .vector = 0x30 };
    struct keel_evtchn_port p = { 0 };

    assert_int_equal(ec(1, KEEL_EVTCHN_SET_UPCALL, &up, sizeof(up)), 0);
    assert_int_equal(ec(1, KEEL_EVTCHN_ALLOC_UNBOUND, &au, sizeof(au)), 0);
    b.remote_port = au.port;
    assert_int_equal(ec(2, KEEL_EVTCHN_BIND_INTERDOMAIN, &b, sizeof(b)), -EINVAL);  /* not for d2 */
    assert_int_equal(ec(0, KEEL_EVTCHN_BIND_INTERDOMAIN, &b, sizeof(b)), 0);
    p.port = au.port;
    assert_int_equal(ec(1, KEEL_EVTCHN_SEND, &p, sizeof(p)), 0);
    assert_int_equal(notifies[0], 1);                   /* dom0: through the interface device */
    p.port = b.local_port;
    assert_int_equal(ec(0, KEEL_EVTCHN_SEND, &p, sizeof(p)), 0);
    assert_int_equal(raises[1], 1);
    assert_int_equal(ec(0, KEEL_EVTCHN_SET_UPCALL, &up, sizeof(up)), -EINVAL);
    /* The guest goes away: dom0's end is unbound again. */
    evtchn_destroy(&doms[1].d);
    {
        struct keel_evtchn_status st = { .port = b.local_port };

        assert_int_equal(ec(0, KEEL_EVTCHN_STATUS, &st, sizeof(st)), 0);
        assert_int_equal(st.state, KEEL_EVTCHN_UNBOUND);
    }
}

static void test_evtchn_bad_arguments(void **state)
{
    struct keel_evtchn_port p = { .port = 0 };
    struct keel_evtchn_upcall up = { .vcpu = 1, .vector = 0x40 };
    struct keel_evtchn_alloc_unbound au = { .remote_dom = 77 };
    struct keel_evtchn_bind_interdomain b = { .remote_dom = 0, .remote_port = 5 };
    unsigned int n = 0;

    assert_int_equal(ec(1, KEEL_EVTCHN_SEND, &p, sizeof(p)), -EINVAL);
    p.port = KEEL_EVTCHN_PORTS;
    assert_int_equal(ec(1, KEEL_EVTCHN_CLOSE, &p, sizeof(p)), -EINVAL);
    p.port = 3, p.pad = 1;
    assert_int_equal(ec(1, KEEL_EVTCHN_MASK, &p, sizeof(p)), -EINVAL);
    p.pad = 0;
    assert_int_equal(ec(1, KEEL_EVTCHN_MASK, &p, sizeof(p)), -EINVAL);   /* a free port */
    assert_int_equal(ec(1, KEEL_EVTCHN_SET_UPCALL, &up, sizeof(up)), -EINVAL);
    up.vcpu = 0, up.vector = 7;
    assert_int_equal(ec(1, KEEL_EVTCHN_SET_UPCALL, &up, sizeof(up)), -EINVAL);
    assert_int_equal(ec(1, KEEL_EVTCHN_ALLOC_UNBOUND, &au, sizeof(au)), -ESRCH);
    assert_int_equal(ec(1, KEEL_EVTCHN_BIND_INTERDOMAIN, &b, sizeof(b)), -EINVAL);
    assert_int_equal(call(1, KEEL_HC_EVTCHN, KEEL_EVTCHN_NR, 0x800), -EINVAL);
    assert_int_equal(call(1, KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, RAM - 4), -EFAULT);
    au.remote_dom = KEEL_DOMID_SELF;
    while (ec(1, KEEL_EVTCHN_ALLOC_UNBOUND, &au, sizeof(au)) == 0)
        n++;
    assert_int_equal(n, KEEL_EVTCHN_PORTS - 1);
    assert_int_equal(ec(1, KEEL_EVTCHN_ALLOC_UNBOUND, &au, sizeof(au)), -ENOSPC);
}

/* A structure in read-only RAM fails before the command acts: no port allocated, none cleared. */
static void test_evtchn_read_only_buffer_changes_nothing(void **state)
{
    struct keel_evtchn_alloc_unbound au = { .remote_dom = KEEL_DOMID_SELF };
    struct keel_evtchn_bind_interdomain b = { .remote_dom = KEEL_DOMID_SELF };
    struct keel_evtchn_port p = { 0 };
    struct keel_evtchn_pending pend;

    memcpy(doms[1].ram + RO_START, &au, sizeof(au));
    assert_int_equal(call(1, KEEL_HC_EVTCHN, KEEL_EVTCHN_ALLOC_UNBOUND, RO_START), -EFAULT);
    assert_int_equal(ec(1, KEEL_EVTCHN_ALLOC_UNBOUND, &au, sizeof(au)), 0);
    assert_int_equal(au.port, 1);                                   /* the first port is still free */
    b.remote_port = au.port;
    assert_int_equal(ec(1, KEEL_EVTCHN_BIND_INTERDOMAIN, &b, sizeof(b)), 0);
    p.port = b.local_port;
    assert_int_equal(ec(1, KEEL_EVTCHN_SEND, &p, sizeof(p)), 0);
    assert_int_equal(call(1, KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, RO_START), -EFAULT);
    assert_int_equal(call(1, KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, RO_START - 8), -EFAULT);
    assert_int_equal(ec(1, KEEL_EVTCHN_PENDING, &pend, sizeof(pend)), 0);
    assert_int_equal(pend.count, 1);                                /* still pending */
    assert_int_equal(pend.bitmap[0], 1ull << au.port);
    memcpy(doms[0].ram + RO_START, &(struct keel_log_read){ .seq = 1 }, sizeof(struct keel_log_read));
    assert_int_equal(call(0, KEEL_HC_LOG_READ, RO_START, 0), -EFAULT);
}

static int teardown_all(void **state)
{
    for (unsigned int i = 0; i < NDOMS; i++)
        free(doms[i].d.evtchn), doms[i].d.evtchn = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_privileged_calls_refused_to_others, setup),
        cmocka_unit_test_setup(test_dom0_queries, setup),
        cmocka_unit_test_setup(test_garbage, setup),
        cmocka_unit_test_setup(test_evtchn_loopback_in_one_domain, setup),
        cmocka_unit_test_setup(test_evtchn_to_dom0_and_back, setup),
        cmocka_unit_test_setup(test_evtchn_bad_arguments, setup),
        cmocka_unit_test_setup(test_evtchn_read_only_buffer_changes_nothing, setup),
    };

    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
