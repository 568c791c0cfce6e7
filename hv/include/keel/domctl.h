/* Domain control for the toolstack (hv/domctl.c; public/keel/domctl.h). */
#ifndef KEEL_DOMCTL_H
#define KEEL_DOMCTL_H

#include <keel/domain.h>

/* KEEL_HC_DOMCTL from v (dom0): command cmd on the structure at gpa. */
int64_t domctl(struct vcpu *v, uint64_t cmd, uint64_t gpa);

#endif
