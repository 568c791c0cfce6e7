/*
 * The vendor-neutral exit record: each backend turns a #VMEXIT or VM exit into one of these, and
 * the common handlers in hv/exits.c act on it.
 */
#ifndef KEEL_VMEXIT_H
#define KEEL_VMEXIT_H

#include <keel/types.h>
#include <keel/x86_decode.h>

enum vm_exit_reason {
    VMEXIT_NONE = 0,        /* handled inside the backend: nothing for common code */
    VMEXIT_INTR,            /* a physical interrupt: taken by the host after the exit */
    VMEXIT_CPUID,
    VMEXIT_RDMSR,
    VMEXIT_WRMSR,
    VMEXIT_IO,
    VMEXIT_HLT,
    VMEXIT_HYPERCALL,
    VMEXIT_P2M,             /* nested page fault / EPT violation */
    VMEXIT_SHUTDOWN,        /* triple fault */
    VMEXIT_UD,              /* an instruction the guest may not use: inject #UD */
    VMEXIT_SKIP,            /* an instruction that does nothing for a guest (INVD) */
    VMEXIT_FAILED_ENTRY,    /* the CPU refused the guest state */
    VMEXIT_UNHANDLED,       /* an exit no handler knows */
    VMEXIT_NR
};

struct vm_exit_io {
    uint16_t port;
    uint8_t size;           /* 1, 2 or 4 */
    bool in, string, rep;
    uint8_t addr_size;      /* string I/O: 2, 4 or 8; 0 when the CPU did not say */
    enum x86_seg seg;       /* string OUT: the source segment (DS unless overridden) */
};

struct vm_exit_p2m {
    uint64_t gpa;
    bool read, write, fetch;
    bool present;           /* the p2m entry was present (a permission fault) */
    bool in_guest_walk;     /* the access was the CPU walking the guest's page tables */
};

struct vm_exit {
    enum vm_exit_reason reason;
    uint8_t insn_len;       /* length of the exiting instruction, 0 if the backend cannot tell */
    uint64_t raw;           /* the backend's own exit code, for logs */
    uint64_t info1, info2;  /* the backend's exit qualification words, for logs */
    union {
        struct vm_exit_io io;
        struct vm_exit_p2m p2m;
        const char *why;    /* VMEXIT_FAILED_ENTRY, VMEXIT_UNHANDLED */
    };
};

const char *vm_exit_name(enum vm_exit_reason r);

#endif
