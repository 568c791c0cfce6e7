/* libkeel over /dev/keel (libkeel.h, hv/include/public/keel/keel_dev.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <public/keel/keel_dev.h>

#include "libkeel.h"

#define PAGE 4096ul
#define WRITE_CHUNK_PAGES 256           /* 1 MiB mapped at a time */

struct keel {
    int fd;
};

struct keel *keel_open(void)
{
    struct keel *k = calloc(1, sizeof(*k));

    if (!k)
        return NULL;
    k->fd = open(KEEL_DEV_PATH, O_RDWR | O_CLOEXEC);
    if (k->fd < 0) {
        int e = errno;

        free(k);
        errno = e;
        return NULL;
    }
    return k;
}

void keel_close(struct keel *k)
{
    if (k) {
        close(k->fd);
        free(k);
    }
}

int keel_fd(struct keel *k)
{
    return k->fd;
}

long keel_hypercall(struct keel *k, unsigned long nr, const uint64_t args[5], void *buf,
                    size_t len, unsigned int buf_arg)
{
    struct keel_ioctl_hypercall hc = { .nr = nr, .buf = (uintptr_t)buf, .buf_len = (uint32_t)len,
                                       .buf_arg = buf_arg };
    long r;

    if (len > KEEL_DEV_BUF_MAX || buf_arg > 4)
        return -EINVAL;
    if (args)
        memcpy(hc.args, args, sizeof(hc.args));
    r = ioctl(k->fd, KEEL_IOCTL_HYPERCALL, &hc);
    return r < 0 ? -errno : r;
}

int keel_physinfo(struct keel *k, struct keel_physinfo *p)
{
    return (int)keel_hypercall(k, KEEL_HC_PHYSINFO, NULL, p, sizeof(*p), 0);
}

int keel_domain_list(struct keel *k, uint32_t *ids, unsigned int max)
{
    uint64_t args[5] = { 0, max };

    return (int)keel_hypercall(k, KEEL_HC_DOMAIN_LIST, args, ids, max * sizeof(*ids), 0);
}

int keel_domain_info(struct keel *k, uint32_t domid, struct keel_domain_info *info)
{
    uint64_t args[5] = { domid };

    return (int)keel_hypercall(k, KEEL_HC_DOMAIN_INFO, args, info, sizeof(*info), 1);
}

int keel_log_read(struct keel *k, struct keel_log_read *l)
{
    return (int)keel_hypercall(k, KEEL_HC_LOG_READ, NULL, l, sizeof(*l), 0);
}

int keel_evtchn(struct keel *k, unsigned int cmd, void *arg, size_t size)
{
    uint64_t args[5] = { cmd };

    return (int)keel_hypercall(k, KEEL_HC_EVTCHN, args, arg, size, 1);
}

int keel_domctl(struct keel *k, unsigned int cmd, void *arg, size_t size)
{
    uint64_t args[5] = { cmd };

    return (int)keel_hypercall(k, KEEL_HC_DOMCTL, args, arg, size, 1);
}

int keel_evtchn_bind_fd(struct keel *k, uint32_t port)
{
    struct keel_ioctl_evtchn_bind b = { .port = port };

    return ioctl(k->fd, KEEL_IOCTL_EVTCHN_BIND, &b) < 0 ? -errno : 0;
}

int keel_evtchn_wait(struct keel *k, int timeout_ms, uint32_t *port)
{
    struct pollfd p = { .fd = k->fd, .events = POLLIN };
    int r = poll(&p, 1, timeout_ms);

    if (r < 0)
        return -errno;
    if (r == 0)
        return -ETIMEDOUT;
    return read(k->fd, port, sizeof(*port)) == sizeof(*port) ? 0 : -errno;
}

void *keel_map_foreign(struct keel *k, uint32_t domid, const uint64_t *gfns, unsigned int nr,
                       uint32_t flags)
{
    int prot = PROT_READ | ((flags & KEEL_FOREIGN_RO) ? 0 : PROT_WRITE);
    void *addr = mmap(NULL, nr * PAGE, prot, MAP_SHARED, k->fd, 0);
    struct keel_ioctl_map_foreign m = { .gfns = (uintptr_t)gfns, .domid = domid, .nr = nr,
                                        .flags = flags };

    if (addr == MAP_FAILED)
        return NULL;
    m.addr = (uintptr_t)addr;
    if (ioctl(k->fd, KEEL_IOCTL_MAP_FOREIGN, &m) < 0) {
        int e = errno;

        munmap(addr, nr * PAGE);
        errno = e;
        return NULL;
    }
    return addr;
}

void keel_unmap_foreign(void *addr, unsigned int nr)
{
    munmap(addr, nr * PAGE);
}

int keel_write_guest(struct keel *k, uint32_t domid, uint64_t gpa, const void *src, size_t len)
{
    uint64_t gfns[WRITE_CHUNK_PAGES];

    while (len) {
        uint64_t first = gpa / PAGE, off = gpa % PAGE;
        size_t n = len < WRITE_CHUNK_PAGES * PAGE - off ? len : WRITE_CHUNK_PAGES * PAGE - off;
        unsigned int pages = (unsigned int)((off + n + PAGE - 1) / PAGE);
        uint8_t *map;

        for (unsigned int i = 0; i < pages; i++)
            gfns[i] = first + i;
        if (!(map = keel_map_foreign(k, domid, gfns, pages, 0)))
            return -errno;
        memcpy(map + off, src, n);
        keel_unmap_foreign(map, pages);
        gpa += n, len -= n, src = (const uint8_t *)src + n;
    }
    return 0;
}
