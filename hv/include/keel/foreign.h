/* Foreign mappings: another domain's frames in dom0's p2m (hv/foreign.c). */
#ifndef KEEL_FOREIGN_H
#define KEEL_FOREIGN_H

#include <keel/domain.h>
#include <public/keel/hypercall.h>

/* KEEL_HC_FOREIGN_MAP and _UNMAP: 0 or a negative errno. */
int foreign_map(const struct keel_foreign_map *m);
int foreign_unmap(uint64_t dom0_gfn);
/* Before domain d's frames are freed: every dom0 mapping of them goes (dom0's own frames come
 * back), and dom0's vCPUs leave the guest to drop what they cached. */
void foreign_domain_gone(struct domain *d);

#endif
