/*
 * NMI delivery into the guest: KEEL_HC_TEST_NMI must arrive even with IF clear, and an NMI
 * requested from inside the NMI handler must wait for the handler's IRET (the hypervisor tracks
 * NMI blocking: NMI-window exiting on VT-x, the handler's IRET on AMD-V).
 */
#include "guest.h"

struct interrupt_frame;

static volatile unsigned int nmi_hits, hits_seen_in_handler;

static long request_nmi(void)
{
    return guest_hypercall(KEEL_HC_TEST_NMI, 0, 0, 0, 0, 0);
}

__attribute__((interrupt)) static void nmi_handler(struct interrupt_frame *frame)
{
    (void)frame;
    nmi_hits++;
    if (nmi_hits == 2) {                /* a second request from inside must not nest */
        request_nmi();
        for (int i = 0; i < 3; i++)
            (void)cpuid(0);             /* exits: chances for a wrong nested delivery */
        hits_seen_in_handler = nmi_hits;
    }
}

static void exits(void)
{
    for (int i = 0; i < 5; i++)
        (void)cpuid(0);
}

void guest_main(const struct keel_start_info *si)
{
    long r;

    (void)si;
    guest_idt_set_handler(2, (void (*)(void))nmi_handler);
    asm volatile("cli");
    r = request_nmi();
    exits();
    report(r == 0 && nmi_hits == 1, "nmi-delivered-with-if-clear", "request %ld, %u NMIs", r, nmi_hits);
    request_nmi();
    exits();
    report(hits_seen_in_handler == 2, "nmi-not-nested-in-handler", "the handler saw %u NMIs",
           hits_seen_in_handler);
    exits();
    report(nmi_hits == 3, "nmi-delivered-after-iret", "%u NMIs in all", nmi_hits);
}
