/*
 * libkeel: the toolstack's only way to the hypervisor, through dom0's /dev/keel (keel.ko).
 * Functions return 0 (or a count) on success and a negative errno on failure.
 */
#ifndef LIBKEEL_H
#define LIBKEEL_H

#include <stddef.h>
#include <stdint.h>

#include <public/keel/abi.h>
#include <public/keel/domctl.h>
#include <public/keel/hypercall.h>

struct keel;

/* Opens /dev/keel; NULL with errno set (ENOENT: keel.ko not loaded, or not on Keel). */
struct keel *keel_open(void);
void keel_close(struct keel *k);
/* The file descriptor, for poll(): readable when a bound event channel fired. */
int keel_fd(struct keel *k);

/* Any hypercall; buf (len bytes) is passed by address as argument buf_arg. */
long keel_hypercall(struct keel *k, unsigned long nr, const uint64_t args[5], void *buf,
                    size_t len, unsigned int buf_arg);

int keel_physinfo(struct keel *k, struct keel_physinfo *p);
/* Fills ids with up to max domain IDs; returns how many domains there are. */
int keel_domain_list(struct keel *k, uint32_t *ids, unsigned int max);
int keel_domain_info(struct keel *k, uint32_t domid, struct keel_domain_info *info);
/* One hypervisor log line from l->seq on; -ENOENT when there is none yet. */
int keel_log_read(struct keel *k, struct keel_log_read *l);
int keel_evtchn(struct keel *k, unsigned int cmd, void *arg, size_t size);
/* This process wants port's events; keel_evtchn_wait returns the next fired port. */
int keel_evtchn_bind_fd(struct keel *k, uint32_t port);
int keel_evtchn_wait(struct keel *k, int timeout_ms, uint32_t *port);
int keel_domctl(struct keel *k, unsigned int cmd, void *arg, size_t size);

/* Maps nr frames of domid (by gfn); NULL with errno set. keel_unmap_foreign ends it. */
void *keel_map_foreign(struct keel *k, uint32_t domid, const uint64_t *gfns, unsigned int nr,
                       uint32_t flags);
void keel_unmap_foreign(void *addr, unsigned int nr);
/* Writes len bytes at gpa of domid, through foreign mappings. */
int keel_write_guest(struct keel *k, uint32_t domid, uint64_t gpa, const void *src, size_t len);

#endif
