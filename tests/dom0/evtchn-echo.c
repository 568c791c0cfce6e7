/*
 * keel-evtchn-echo DOMID PORT COUNT: dom0's end of the event-channel test. Binds to the unbound
 * port PORT of domain DOMID, then COUNT times waits for an event from it and sends one back.
 * Prints "evtchn-echo: N events echoed" and exits 0, or says what went wrong and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../toolstack/lib/libkeel.h"

#define WAIT_MS 30000

int main(int argc, char **argv)
{
    struct keel_evtchn_bind_interdomain b = { 0 };
    struct keel_evtchn_port send = { 0 };
    struct keel *k;
    unsigned long count;
    int r, n = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: keel-evtchn-echo DOMID PORT COUNT\n");
        return 2;
    }
    b.remote_dom = (uint32_t)strtoul(argv[1], NULL, 0);
    b.remote_port = (uint32_t)strtoul(argv[2], NULL, 0);
    count = strtoul(argv[3], NULL, 0);
    if (!(k = keel_open())) {
        fprintf(stderr, "evtchn-echo: cannot open /dev/keel: %s\n", strerror(errno));
        return 1;
    }
    if ((r = keel_evtchn(k, KEEL_EVTCHN_BIND_INTERDOMAIN, &b, sizeof(b))) ||
        (r = keel_evtchn_bind_fd(k, b.local_port))) {
        fprintf(stderr, "evtchn-echo: cannot bind to d%u port %u: %s\n", b.remote_dom,
                b.remote_port, strerror(-r));
        return 1;
    }
    printf("evtchn-echo: bound d%u port %u to dom0 port %u\n", b.remote_dom, b.remote_port,
           b.local_port);
    fflush(stdout);
    send.port = b.local_port;
    for (; (unsigned long)n < count; n++) {
        uint32_t port;

        if ((r = keel_evtchn_wait(k, WAIT_MS, &port)) || port != b.local_port) {
            fprintf(stderr, "evtchn-echo: after %d events: %s (port %u)\n", n,
                    r ? strerror(-r) : "an event on another port", r ? 0 : port);
            return 1;
        }
        if ((r = keel_evtchn(k, KEEL_EVTCHN_SEND, &send, sizeof(send)))) {
            fprintf(stderr, "evtchn-echo: send failed: %s\n", strerror(-r));
            return 1;
        }
    }
    printf("evtchn-echo: %d events echoed\n", n);
    keel_close(k);
    return 0;
}
