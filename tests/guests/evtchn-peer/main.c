/*
 * Event channels end to end with dom0 (tests/system/test_dom0.py): this guest allocates a port
 * that dom0 may bind, prints it, waits for dom0's test program (keel-evtchn-echo) to bind it,
 * then sends ROUNDS events; the program answers each with one event back, which arrives here as
 * the upcall vector. Every answer must come, and only then the next event is sent.
 */
#include "guest.h"
#include <keel/hypercall.h>

#define UPCALL_VECTOR 0x2c         /* the library's IDT has vectors 0-47 */
#define ROUNDS 20
#define BIND_WAIT_MS 900000         /* dom0 boots first: up to 15 minutes under TCG */
#define ANSWER_WAIT_MS 30000

volatile unsigned int upcalls;
void upcall_stub(void);

asm(".text\n"
    ".globl upcall_stub\n"
    "upcall_stub: lock incl upcalls(%rip)\n"
    "  push %rax\n"
    "  mov $0xfee000b0, %eax\n"
    "  movl $0, (%rax)\n"                /* EOI to the local APIC */
    "  pop %rax\n"
    "  iretq\n");

static long evtchn(unsigned int cmd, void *arg)
{
    return guest_hypercall(KEEL_HC_EVTCHN, cmd, (unsigned long)arg, 0, 0, 0);
}

static unsigned int port_state(uint32_t port)
{
    struct keel_evtchn_status st = { .port = port };

    return evtchn(KEEL_EVTCHN_STATUS, &st) ? ~0u : st.state;
}

/* Waits up to ms for cond(arg), checking every millisecond. */
static bool wait_for(bool (*cond)(uint32_t), uint32_t arg, unsigned int ms)
{
    for (unsigned int i = 0; i < ms; i++) {
        if (cond(arg))
            return true;
        guest_busy_ms(1);
    }
    return cond(arg);
}

static bool bound(uint32_t port)
{
    return port_state(port) == KEEL_EVTCHN_INTERDOMAIN;
}

static bool upcalls_reach(uint32_t n)
{
    return upcalls >= n;
}

/* The events dom0 sent: each upcall must come with this port pending, and only it. */
static bool only_port_pending(uint32_t port)
{
    static struct keel_evtchn_pending p;

    if (evtchn(KEEL_EVTCHN_PENDING, &p))
        return false;
    return p.count == 1 && p.bitmap[port / 64] == (1ULL << (port % 64));
}

void guest_main(const struct keel_start_info *si)
{
    struct keel_evtchn_upcall up = { .vcpu = 0, .vector = UPCALL_VECTOR };
    struct keel_evtchn_alloc_unbound au = { .remote_dom = KEEL_DOM0 };
    struct keel_evtchn_port send = { 0 };
    unsigned int answered = 0, right_port = 0;
    long r;

    guest_apic_enable();                /* upcalls arrive at the local APIC */
    guest_idt_set_handler(UPCALL_VECTOR, upcall_stub);
    r = evtchn(KEEL_EVTCHN_SET_UPCALL, &up);
    report(r == 0, "evtchn-peer-upcall-set", "SET_UPCALL returned %ld", r);
    r = evtchn(KEEL_EVTCHN_ALLOC_UNBOUND, &au);
    if (!report(r == 0 && au.port > 0, "evtchn-peer-port-for-dom0", "returned %ld, port %u", r, au.port))
        return;
    printf("evtchn-peer: domain %u port %u\n", si->domain_id, au.port);
    asm volatile("sti");
    if (!report(wait_for(bound, au.port, BIND_WAIT_MS), "evtchn-peer-bound-by-dom0",
                "port %u still in state %u", au.port, port_state(au.port)))
        return;
    send.port = au.port;
    for (unsigned int i = 1; i <= ROUNDS; i++) {
        r = evtchn(KEEL_EVTCHN_SEND, &send);
        if (r) {
            report(false, "evtchn-peer-send", "SEND on port %u returned %ld", send.port, r);
            break;
        }
        if (!wait_for(upcalls_reach, i, ANSWER_WAIT_MS))
            break;
        answered++;
        right_port += only_port_pending(au.port);
    }
    report(answered == ROUNDS, "evtchn-peer-every-event-answered", "%u of %u answered", answered, ROUNDS);
    report(right_port == answered, "evtchn-peer-answers-on-its-port", "%u of %u on port %u",
           right_port, answered, au.port);
}
