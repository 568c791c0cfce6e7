/*
 * /dev/keel, dom0's door to the hypervisor (devmodel/linux/keel.c): the ioctls libkeel uses.
 * Root only. Every structure has a fixed size. An ioctl returns 0 (or the hypercall's result,
 * when >= 0); a hypercall's negative result comes back as -1 with errno set to it.
 */
#ifndef KEEL_PUBLIC_KEEL_DEV_H
#define KEEL_PUBLIC_KEEL_DEV_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#include <linux/types.h>
#else
#include <stdint.h>
#include <sys/ioctl.h>
#endif

#define KEEL_DEV_PATH "/dev/keel"
#define KEEL_DEV_BUF_MAX 65536

/*
 * Any hypercall. If buf_len is not 0, buf (buf_len bytes of the caller's memory) is copied into a
 * buffer of the driver, args[buf_arg] is replaced by that buffer's guest-physical address, and
 * the buffer is copied back after the call (whatever its result).
 */
struct keel_ioctl_hypercall {
    uint64_t nr;
    uint64_t args[5];
    uint64_t buf;               /* user pointer */
    uint32_t buf_len;           /* <= KEEL_DEV_BUF_MAX */
    uint32_t buf_arg;           /* 0-4 */
};

/* This open file wants the events of a dom0 port: read() returns them (uint32_t port numbers,
 * blocking unless O_NONBLOCK; poll() says when there are some). */
struct keel_ioctl_evtchn_bind {
    uint32_t port;
    uint32_t pad;
};

/*
 * Maps nr frames of domain domid, by gfn (an array of nr uint64_t), at addr: the start of a range
 * this file mapped with mmap() (PROT_READ, and PROT_WRITE unless KEEL_FOREIGN_RO). The frames stay
 * mapped until munmap(). errs (an array of nr int32_t) gets 0 or a negative errno per frame; the
 * ioctl fails with the first error, after mapping what it could.
 */
struct keel_ioctl_map_foreign {
    uint64_t addr;
    uint64_t gfns;              /* user pointer */
    uint64_t errs;              /* user pointer */
    uint32_t domid;
    uint32_t nr;
    uint32_t flags;             /* KEEL_FOREIGN_RO */
    uint32_t pad;
};

#define KEEL_IOCTL_MAGIC 'K'
#define KEEL_IOCTL_HYPERCALL _IOWR(KEEL_IOCTL_MAGIC, 1, struct keel_ioctl_hypercall)
#define KEEL_IOCTL_EVTCHN_BIND _IOW(KEEL_IOCTL_MAGIC, 2, struct keel_ioctl_evtchn_bind)
#define KEEL_IOCTL_EVTCHN_UNBIND _IOW(KEEL_IOCTL_MAGIC, 3, struct keel_ioctl_evtchn_bind)
#define KEEL_IOCTL_MAP_FOREIGN _IOW(KEEL_IOCTL_MAGIC, 4, struct keel_ioctl_map_foreign)

_Static_assert(sizeof(struct keel_ioctl_hypercall) == 64, "keel_ioctl_hypercall is part of the ABI");
_Static_assert(sizeof(struct keel_ioctl_evtchn_bind) == 8, "keel_ioctl_evtchn_bind is part of the ABI");
_Static_assert(sizeof(struct keel_ioctl_map_foreign) == 40, "keel_ioctl_map_foreign is part of the ABI");

#endif
