/*
 * The one way the hypervisor reads and writes guest memory.
 *
 * Fault contract:
 *  - gpa_read/gpa_write return 0, or -EFAULT if any byte is not guest RAM (an unmapped or MMIO
 *    gfn): nothing is reported to the guest; the caller decides (usually: fail the domain).
 *    gpa_write honours the p2m type: a write to ram_ro returns -EACCES and changes nothing.
 *  - gva_read/gva_write translate through the guest's own page tables as the CPU would (setting
 *    A/D bits) and return 0, -EFAULT as above for the translated addresses, or GUEST_FAULT with
 *    *pfec set: the caller injects #PF (error code *pfec, CR2 = the failing address *fault_gva).
 *    Nothing is written unless the whole range translates.
 */
#ifndef KEEL_GUEST_MEM_H
#define KEEL_GUEST_MEM_H

#include <keel/domain.h>
#include <keel/guest_walk.h>

#define GUEST_FAULT 1

int gpa_read(struct domain *d, uint64_t gpa, void *buf, size_t len);
int gpa_write(struct domain *d, uint64_t gpa, const void *buf, size_t len);

struct vcpu_state;
/* Translates one guest-virtual address: 0, GUEST_FAULT (with *pfec) or -EFAULT. */
int gva_to_gpa(struct vcpu *v, const struct vcpu_state *st, uint64_t gva, unsigned int access,
               uint64_t *gpa, uint32_t *pfec);
int gva_read(struct vcpu *v, const struct vcpu_state *st, uint64_t gva, void *buf, size_t len,
             unsigned int access, uint32_t *pfec, uint64_t *fault_gva);
int gva_write(struct vcpu *v, const struct vcpu_state *st, uint64_t gva, const void *buf,
              size_t len, uint32_t *pfec, uint64_t *fault_gva);

/* Fetches up to 15 bytes at CS:RIP; returns how many could be read (0 on a fault). */
size_t vcpu_fetch_insn(struct vcpu *v, const struct vcpu_state *st, uint8_t *buf);

#endif
