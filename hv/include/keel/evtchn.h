/* Event channels (hv/evtchn.c): the KEEL_EVTCHN_* operations of public/keel/hypercall.h. */
#ifndef KEEL_EVTCHN_H
#define KEEL_EVTCHN_H

#include <keel/domain.h>
#include <public/keel/hypercall.h>

/* Each command's structure size (the hypercall copies that much in and out). */
extern const uint32_t evtchn_arg_size[KEEL_EVTCHN_NR];
/* Runs command cmd for domain d on arg (already copied in): 0 or a negative errno. */
int evtchn_op(struct domain *d, uint32_t cmd, void *arg);
/* Closes all of d's ports (their remote ends become unbound) and frees its table. */
void evtchn_destroy(struct domain *d);

#endif
