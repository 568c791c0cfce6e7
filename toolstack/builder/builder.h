/*
 * Building a domain from dom0 (toolstack/builder/builder.c): create it, give it RAM, write a Linux
 * kernel with its boot data into that RAM (firmware/kboot.c, the same code the hypervisor uses),
 * set vCPU 0 to start on the entry blob, and let it run. Transactional: when any step fails, the
 * domain is destroyed and the error says which step and why.
 *
 * The hypervisor is reached through two operations, so that tests can stand in for it:
 * domctl (public/keel/domctl.h) and writing guest memory (foreign mappings, in libkeel).
 */
#ifndef KEEL_BUILDER_H
#define KEEL_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keel_build_ops {
    /* One KEEL_HC_DOMCTL: 0 or a negative errno. */
    int (*domctl)(void *ctx, unsigned int cmd, void *arg, size_t size);
    /* Writes len bytes at gpa of domain domid: 0 or a negative errno. */
    int (*write_guest)(void *ctx, uint32_t domid, uint64_t gpa, const void *src, size_t len);
};

struct keel_build_spec {
    const char *name;
    unsigned int nr_vcpus;
    uint64_t mem_bytes;                 /* RAM from gpa 0; a multiple of 4 KiB */
    uint64_t cpus;                      /* hard affinity; 0: any */
    unsigned int weight;                /* 0: the default */
    const void *kernel;                 /* a Linux bzImage */
    size_t kernel_len;
    const void *initrd;                 /* NULL: none */
    size_t initrd_len;
    const char *cmdline;
    bool paused;                        /* leave it paused, ready to run */
};

/* The step a build failed at, for messages and tests. */
enum keel_build_step {
    KEEL_BUILD_OK, KEEL_BUILD_CREATE, KEEL_BUILD_POPULATE, KEEL_BUILD_LOAD, KEEL_BUILD_VCPU,
    KEEL_BUILD_UNPAUSE,
};

struct keel_build_error {
    enum keel_build_step step;
    int err;                            /* negative errno */
    char msg[256];                      /* "populating 256 MiB of RAM: Cannot allocate memory" */
};

/* 0 and *domid, or a negative errno with e filled in; nothing is left behind on failure. */
int keel_build_domain(const struct keel_build_spec *s, const struct keel_build_ops *ops, void *ctx,
                      uint32_t *domid, struct keel_build_error *e);

#endif
