/* The hypercall decoder (hv/hypercall.c). */
#ifndef KEEL_HYPERCALL_H
#define KEEL_HYPERCALL_H

#include <keel/domain.h>

/* Runs hypercall nr for v with args (RDI, RSI, RDX, R10, R8; already cut to 32 bits for a guest
 * in a 32-bit mode); returns the result for RAX: >= 0, or a negative errno. */
int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[5]);

#endif
