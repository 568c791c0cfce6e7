/*
 * Event channels inside one domain, and the control hypercalls as an ordinary domain sees them.
 * Two ports of this domain are connected to each other (ALLOC_UNBOUND for itself, then
 * BIND_INTERDOMAIN to that port): SEND on either end must raise the upcall vector once, PENDING
 * must name exactly the other end and clear it, MASK must hold the interrupt back and UNMASK
 * deliver it, CLOSE must leave the other end unbound. Every bad port, command and address must
 * fail with its error and change nothing; dom0's hypercalls must return -EPERM; and a line
 * written with CONSOLE_WRITE must reach the log (tests/system/test_guests.py looks for it).
 */
#include "guest.h"
#include "intc.h"
#include <keel/domctl.h>
#include <keel/hypercall.h>

#define UPCALL 0x2a                     /* one of intc's logging vectors */
#define NO_SUCH_DOMAIN 0x7fee

/* Linux's numbers, as the hypercalls return them (negated). */
#define EPERM 1
#define ESRCH 3
#define EFAULT 14
#define EINVAL 22
#define ENOSPC 28
#define ENOSYS 38
#define ENOTCONN 107

static struct keel_evtchn_pending pend;
static uint8_t scratch[4096] __attribute__((aligned(4096)));
static uint32_t self;

static long hc(unsigned long nr, unsigned long a0, unsigned long a1)
{
    return guest_hypercall(nr, a0, a1, 0, 0, 0);
}

static long ec(unsigned int cmd, void *arg)
{
    return hc(KEEL_HC_EVTCHN, cmd, (unsigned long)arg);
}

static long port_op(unsigned int cmd, uint32_t port)
{
    struct keel_evtchn_port p = { .port = port };

    return ec(cmd, &p);
}

static struct keel_evtchn_status status(uint32_t port)
{
    struct keel_evtchn_status s = { .port = port, .state = ~0u };

    ec(KEEL_EVTCHN_STATUS, &s);
    return s;
}

/* PENDING: how many fired, and whether exactly port did (0: none should have). */
static bool pending_is(uint32_t port, unsigned int *count)
{
    memset(&pend, 0xa5, sizeof(pend));
    if (ec(KEEL_EVTCHN_PENDING, &pend))
        return false;
    *count = pend.count;
    for (unsigned int w = 0; w < KEEL_EVTCHN_PORTS / 64; w++)
        if (pend.bitmap[w] != (port && w == port / 64 ? 1ull << (port % 64) : 0))
            return false;
    return pend.count == (port ? 1 : 0);
}

static void eoi(uint8_t vector)
{
    (void)vector;
    apic_eoi();
}

/* SEND on port with interrupts held back, then lets them in: the vectors that came, in order. */
static long send_and_take(uint32_t port)
{
    long r;

    intc_clear_log();
    r = port_op(KEEL_EVTCHN_SEND, port);
    intc_take_pending();
    return r;
}

static bool one_upcall(void)
{
    return intc_nseq == 1 && intc_seq[0] == UPCALL;
}

static void privileged_calls_refused(void)
{
    static const struct { unsigned long nr, a0, a1; const char *name; } calls[] = {
        { KEEL_HC_LOG_READ, (unsigned long)scratch, 0, "LOG_READ" },
        { KEEL_HC_PHYSINFO, (unsigned long)scratch, 0, "PHYSINFO" },
        { KEEL_HC_DOMAIN_LIST, (unsigned long)scratch, 16, "DOMAIN_LIST" },
        { KEEL_HC_DOMAIN_INFO, 0, (unsigned long)scratch, "DOMAIN_INFO" },
        { KEEL_HC_FOREIGN_MAP, (unsigned long)scratch, 0, "FOREIGN_MAP" },
        { KEEL_HC_FOREIGN_UNMAP, 0x100, 0, "FOREIGN_UNMAP" },
        { KEEL_HC_DOMCTL, 0, (unsigned long)scratch, "DOMCTL" },
    };
    unsigned int refused = 0, untouched = 0;
    struct keel_foreign_map *m = (void *)scratch;

    for (unsigned int i = 0; i < ARRAY_SIZE(calls); i++) {
        long r;

        memset(scratch, 0x5a, sizeof(scratch));
        *m = (struct keel_foreign_map){ .domid = self, .gfn = 0x100, .dom0_gfn = 0x100 };
        r = hc(calls[i].nr, calls[i].a0, calls[i].a1);
        refused += r == -EPERM;
        untouched += scratch[sizeof(*m)] == 0x5a && scratch[4095] == 0x5a;
        if (r != -EPERM)
            printf("evtchn: %s returned %ld\n", calls[i].name, r);
    }
    report(refused == ARRAY_SIZE(calls), "evtchn-dom0-calls-refused", "%u of %u returned -EPERM",
           refused, (unsigned int)ARRAY_SIZE(calls));
    report(untouched == ARRAY_SIZE(calls), "evtchn-dom0-calls-write-nothing", "%u of %u left the "
           "buffer alone", untouched, (unsigned int)ARRAY_SIZE(calls));
    report(hc(KEEL_HC_NR + 40, 0, 0) == -ENOSYS, "evtchn-unknown-hypercall", "not -ENOSYS");
}

static void console_write(void)
{
    static const char line[] = "PASS evtchn-console-write-reached-the-log\n";
    long r = hc(KEEL_HC_CONSOLE_WRITE, (unsigned long)line, sizeof(line) - 1);

    report(r == (long)sizeof(line) - 1, "evtchn-console-write", "returned %ld", r);
    r = hc(KEEL_HC_CONSOLE_WRITE, (unsigned long)line, 4097);
    report(r == -EINVAL, "evtchn-console-write-too-long", "4097 bytes returned %ld", r);
    r = hc(KEEL_HC_CONSOLE_WRITE, guest_start_info.mem_bytes - 8, 16);
    report(r == -EFAULT, "evtchn-console-write-past-ram", "returned %ld", r);
    r = hc(KEEL_HC_CONSOLE_WRITE, ~0ul - 7, 16);
    report(r == -EFAULT, "evtchn-console-write-wrapping", "returned %ld", r);
}

/* The two ports connected within this domain; returns false if they could not be. */
static bool connect(uint32_t *a, uint32_t *b)
{
    struct keel_evtchn_alloc_unbound au = { .remote_dom = KEEL_DOMID_SELF };
    struct keel_evtchn_bind_interdomain bi = { .remote_dom = KEEL_DOMID_SELF };
    struct keel_evtchn_status sa, sb;
    long r = ec(KEEL_EVTCHN_ALLOC_UNBOUND, &au);

    sa = status(au.port);
    if (!report(r == 0 && au.port > 0 && sa.state == KEEL_EVTCHN_UNBOUND && sa.remote_dom == self,
                "evtchn-alloc-unbound-self", "returned %ld, port %u, state %u, remote %u", r,
                au.port, sa.state, sa.remote_dom))
        return false;
    bi.remote_port = au.port;
    r = ec(KEEL_EVTCHN_BIND_INTERDOMAIN, &bi);
    sa = status(au.port), sb = status(bi.local_port);
    *a = au.port, *b = bi.local_port;
    return report(r == 0 && *b != *a && sa.state == KEEL_EVTCHN_INTERDOMAIN && sa.remote_port == *b &&
                  sb.state == KEEL_EVTCHN_INTERDOMAIN && sb.remote_port == *a &&
                  sb.remote_dom == self, "evtchn-bind-to-own-port",
                  "returned %ld, ports %u and %u, states %u and %u", r, *a, *b, sa.state, sb.state);
}

static void send_both_ways(uint32_t a, uint32_t b)
{
    unsigned int n = 0;
    long r = send_and_take(a);

    report(r == 0 && one_upcall(), "evtchn-send-raises-upcall", "returned %ld, %u interrupts, "
           "first vector %#x", r, intc_nseq, intc_seq[0]);
    report(pending_is(b, &n), "evtchn-pending-names-other-end", "%u pending", n);
    report(pending_is(0, &n), "evtchn-pending-clears", "%u still pending", n);
    r = send_and_take(b);
    report(r == 0 && one_upcall() && pending_is(a, &n), "evtchn-send-back", "returned %ld, %u "
           "interrupts, %u pending", r, intc_nseq, n);
    send_and_take(a);
    r = send_and_take(a);
    report(r == 0 && intc_nseq == 0 && pending_is(b, &n), "evtchn-pending-port-not-raised-again",
           "second SEND: %ld, %u interrupts, %u pending", r, intc_nseq, n);
}

static void mask_and_unmask(uint32_t a, uint32_t b)
{
    struct keel_evtchn_status s;
    unsigned int n = 0;
    long r = port_op(KEEL_EVTCHN_MASK, b);

    r = r ? r : send_and_take(a);
    s = status(b);
    report(r == 0 && intc_nseq == 0 && s.pending && s.masked, "evtchn-mask-holds-back",
           "returned %ld, %u interrupts, pending %u, masked %u", r, intc_nseq, s.pending, s.masked);
    report(pending_is(0, &n) && status(b).pending, "evtchn-pending-skips-masked", "%u reported", n);
    intc_clear_log();
    r = port_op(KEEL_EVTCHN_UNMASK, b);
    intc_take_pending();
    report(r == 0 && one_upcall() && pending_is(b, &n), "evtchn-unmask-delivers",
           "returned %ld, %u interrupts, %u pending", r, intc_nseq, n);
    intc_clear_log();
    r = port_op(KEEL_EVTCHN_UNMASK, b);
    intc_take_pending();
    report(r == 0 && intc_nseq == 0, "evtchn-unmask-without-pending", "returned %ld, %u "
           "interrupts", r, intc_nseq);
}

static void close_one_end(uint32_t a, uint32_t b)
{
    struct keel_evtchn_bind_interdomain bi = { .remote_dom = KEEL_DOMID_SELF, .remote_port = b };
    struct keel_evtchn_status sa, sb;
    unsigned int n = 0;
    long r = port_op(KEEL_EVTCHN_CLOSE, a);

    sa = status(a), sb = status(b);
    report(r == 0 && sa.state == KEEL_EVTCHN_FREE && sb.state == KEEL_EVTCHN_UNBOUND &&
           sb.remote_dom == self && sb.remote_port == 0, "evtchn-close-unbinds-other-end",
           "returned %ld, states %u and %u, remote %u:%u", r, sa.state, sb.state, sb.remote_dom,
           sb.remote_port);
    r = port_op(KEEL_EVTCHN_SEND, b);
    report(r == -ENOTCONN, "evtchn-send-on-unbound", "returned %ld", r);
    r = port_op(KEEL_EVTCHN_CLOSE, a);
    report(r == -EINVAL, "evtchn-close-free-port", "returned %ld", r);
    r = ec(KEEL_EVTCHN_BIND_INTERDOMAIN, &bi);
    r = r ? r : send_and_take(b);
    report(r == 0 && one_upcall() && pending_is(bi.local_port, &n), "evtchn-rebind-after-close",
           "returned %ld, %u interrupts, %u pending", r, intc_nseq, n);
    port_op(KEEL_EVTCHN_CLOSE, b);
    port_op(KEEL_EVTCHN_CLOSE, bi.local_port);
}

static void bad_arguments(void)
{
    static const uint32_t bad_ports[] = { 0, KEEL_EVTCHN_PORTS, ~0u };
    static const unsigned int cmds[] = { KEEL_EVTCHN_CLOSE, KEEL_EVTCHN_SEND, KEEL_EVTCHN_MASK,
                                         KEEL_EVTCHN_UNMASK };
    struct keel_evtchn_port padded = { .port = 1, .pad = 1 };
    struct keel_evtchn_upcall up = { .vcpu = 1, .vector = UPCALL };
    struct keel_evtchn_alloc_unbound au = { .remote_dom = NO_SUCH_DOMAIN };
    unsigned int wrong = 0;

    for (unsigned int i = 0; i < ARRAY_SIZE(bad_ports); i++)
        for (unsigned int c = 0; c < ARRAY_SIZE(cmds); c++)
            wrong += port_op(cmds[c], bad_ports[i]) != -EINVAL;
    report(!wrong, "evtchn-bad-ports", "%u of %u not -EINVAL", wrong,
           (unsigned int)(ARRAY_SIZE(bad_ports) * ARRAY_SIZE(cmds)));
    report(ec(KEEL_EVTCHN_SEND, &padded) == -EINVAL, "evtchn-padding", "non-zero pad accepted");
    report(ec(KEEL_EVTCHN_NR, &padded) == -EINVAL && hc(KEEL_HC_EVTCHN, ~0ul, 0) == -EINVAL,
           "evtchn-unknown-command", "accepted");
    report(ec(KEEL_EVTCHN_SET_UPCALL, &up) == -EINVAL, "evtchn-upcall-bad-vcpu", "vCPU 1 accepted");
    up.vcpu = 0, up.vector = 16;
    report(ec(KEEL_EVTCHN_SET_UPCALL, &up) == -EINVAL, "evtchn-upcall-bad-vector", "16 accepted");
    report(ec(KEEL_EVTCHN_ALLOC_UNBOUND, &au) == -ESRCH, "evtchn-unknown-domain", "accepted");
    /* Structures outside RAM, crossing its end, wrapping, or in read-only RAM. */
    wrong = 0;
    wrong += hc(KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, guest_start_info.mem_bytes - 8) != -EFAULT;
    wrong += hc(KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, 0xfee00000) != -EFAULT;
    wrong += hc(KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, ~0ul - 7) != -EFAULT;
    wrong += hc(KEEL_HC_EVTCHN, KEEL_EVTCHN_STATUS, 1ul << 52) != -EFAULT;
    wrong += hc(KEEL_HC_EVTCHN, KEEL_EVTCHN_ALLOC_UNBOUND, KEEL_TEST_RO_GPA) != -EFAULT;
    report(!wrong, "evtchn-bad-addresses", "%u of 5 not -EFAULT", wrong);
}

/* A pending port reported into read-only RAM stays pending. */
static void read_only_buffer(void)
{
    uint32_t a, b;
    unsigned int n = 0;
    long r;

    if (!connect(&a, &b))
        return;
    send_and_take(a);
    r = hc(KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, KEEL_TEST_RO_GPA);
    report(r == -EFAULT && pending_is(b, &n), "evtchn-pending-into-read-only-keeps-it",
           "returned %ld, then %u pending", r, n);
    port_op(KEEL_EVTCHN_CLOSE, a);
    port_op(KEEL_EVTCHN_CLOSE, b);
}

static void ports_run_out(void)
{
    struct keel_evtchn_alloc_unbound au = { .remote_dom = KEEL_DOMID_SELF };
    unsigned int n = 0, closed = 0;
    long r;

    while ((r = ec(KEEL_EVTCHN_ALLOC_UNBOUND, &au)) == 0 && n < KEEL_EVTCHN_PORTS)
        n++;
    report(r == -ENOSPC && n == KEEL_EVTCHN_PORTS - 1, "evtchn-ports-run-out",
           "%u ports, then %ld", n, r);
    for (uint32_t p = 1; p < KEEL_EVTCHN_PORTS; p++)
        closed += port_op(KEEL_EVTCHN_CLOSE, p) == 0;
    report(closed == n, "evtchn-all-closed", "%u of %u", closed, n);
}

void guest_main(const struct keel_start_info *si)
{
    struct keel_evtchn_upcall up = { .vcpu = 0, .vector = UPCALL };
    long feat = hc(KEEL_HC_FEATURES, 0, 0), r;
    uint32_t a, b;

    self = si->domain_id;
    report(feat >= 0 && (feat & KEEL_FEAT_EVTCHN), "evtchn-feature", "FEATURES returned %ld", feat);
    privileged_calls_refused();
    console_write();
    asm volatile("cli");
    intc_setup();
    intc_hook = eoi;
    r = ec(KEEL_EVTCHN_SET_UPCALL, &up);
    report(r == 0, "evtchn-set-upcall", "returned %ld", r);
    if (connect(&a, &b)) {
        send_both_ways(a, b);
        mask_and_unmask(a, b);
        close_one_end(a, b);
    }
    bad_arguments();
    read_only_buffer();
    ports_run_out();
}
