/*
 * Domain control (dom0 only): what the toolstack needs to build, run and tear down a domain.
 * KEEL_HC_DOMCTL (cmd, gpa of the command's structure); conventions as in hypercall.h.
 *
 * A domain is built in steps: CREATE (vCPUs and virtual platform, no RAM, paused), POPULATE
 * (RAM, in as many calls as wanted), the toolstack then writes the kernel and boot data through
 * foreign mappings, SET_VCPU (vCPU 0's start), UNPAUSE. A step that fails changes nothing; the
 * toolstack undoes the earlier ones with DESTROY, which returns every frame to the pool.
 */
#ifndef KEEL_PUBLIC_DOMCTL_H
#define KEEL_PUBLIC_DOMCTL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define KEEL_HC_DOMCTL 17

/* The virtual platform of every domain the toolstack creates, for the tables it describes it in:
 * local APICs (vCPU n has APIC ID n), one IOAPIC (ID = number of vCPUs), the ACPI PM block with
 * its SCI on ISA IRQ 9, an HPET at 0xFED00000, and a panic notifier (QEMU's pvpanic interface,
 * ACPI ID QEMU0001) at I/O port 0x505: a guest that writes 1 there has crashed. */
#define KEEL_PLATFORM_LAPIC 0xfee00000u
#define KEEL_PLATFORM_IOAPIC 0xfec00000u
#define KEEL_PLATFORM_PM_BASE 0xb000u
#define KEEL_PLATFORM_SCI_IRQ 9
#define KEEL_PLATFORM_PVPANIC_PORT 0x505

enum keel_domctl_cmd {
    KEEL_DOMCTL_CREATE = 0,     /* struct keel_domctl_create */
    KEEL_DOMCTL_POPULATE,       /* struct keel_domctl_populate */
    KEEL_DOMCTL_SET_VCPU,       /* struct keel_domctl_vcpu: only while created or paused */
    KEEL_DOMCTL_UNPAUSE,        /* struct keel_domctl_id: created or paused -> running */
    KEEL_DOMCTL_PAUSE,          /* struct keel_domctl_id: running -> paused */
    KEEL_DOMCTL_SHUTDOWN,       /* struct keel_domctl_shutdown: ask the guest (ACPI button) */
    KEEL_DOMCTL_DESTROY,        /* struct keel_domctl_id: any state; frees everything */
    KEEL_DOMCTL_CONSOLE_READ,   /* struct keel_domctl_console */
    KEEL_DOMCTL_CONSOLE_WRITE,  /* struct keel_domctl_console: input for its UART */
    KEEL_DOMCTL_STATS,          /* struct keel_domctl_stats */
    KEEL_DOMCTL_NR
};

#define KEEL_DOMCTL_NAME_LEN 32

struct keel_domctl_create {
    char name[KEEL_DOMCTL_NAME_LEN];    /* NUL-terminated, [A-Za-z0-9_.+-], unique */
    uint32_t nr_vcpus;                  /* 1 .. 64 */
    uint32_t weight;                    /* 0: the default share; at most 65535 */
    uint64_t cpus;                      /* hard affinity (bit n: CPU n); 0: any of the guests' CPUs */
    uint64_t max_bytes;                 /* RAM POPULATE may add, in all */
    uint32_t flags;                     /* 0 */
    uint32_t domid;                     /* out */
};

struct keel_domctl_populate {
    uint32_t domid;
    uint32_t pad;
    uint64_t first_gfn;
    uint64_t nr_pages;                  /* all fresh, zeroed RAM; none of them mapped before */
};

/* vCPU start state: real mode at cs:ip (cs base cs << 4) with these registers, the rest as
 * after INIT. */
struct keel_domctl_vcpu {
    uint32_t domid;
    uint32_t vcpu;
    uint16_t cs, ip;
    uint32_t pad;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
};

struct keel_domctl_id {
    uint32_t domid;
    uint32_t pad;
};

enum keel_shutdown_request { KEEL_SHUTDOWN_REQ_POWEROFF = 0 };

struct keel_domctl_shutdown {
    uint32_t domid;
    uint32_t request;                   /* enum keel_shutdown_request */
};

/*
 * The domain's console, a byte stream: what it wrote on its UART (and debug port), kept in a ring
 * of KEEL_CONSOLE_RING bytes. READ: in pos (a byte position in the stream, from 0 at creation);
 * out up to 232 bytes from there (len), pos moved past them, and lost: bytes skipped because the
 * ring no longer had them (the read then starts at the oldest kept). WRITE: len bytes of input
 * for its UART; out len: how many it took (its receive FIFO may be full).
 */
#define KEEL_CONSOLE_RING 16384
struct keel_domctl_console {
    uint32_t domid;
    uint32_t len;
    uint64_t pos;
    uint64_t lost;
    char data[232];
};

#define KEEL_STATS_EXIT_KINDS 16
#define KEEL_STATS_MAX_VCPUS 32
struct keel_domctl_stats {
    uint32_t domid;
    uint32_t nr_vcpus;                  /* out */
    uint64_t cpu_ns;                    /* out: all vCPUs */
    uint64_t exits[KEEL_STATS_EXIT_KINDS];          /* out: by kind, the hypervisor's order */
    uint64_t vcpu_ns[KEEL_STATS_MAX_VCPUS];        /* out: the first 32 vCPUs */
};

_Static_assert(sizeof(struct keel_domctl_create) == 64, "keel_domctl_create is part of the ABI");
_Static_assert(sizeof(struct keel_domctl_populate) == 24, "keel_domctl_populate is part of the ABI");
_Static_assert(sizeof(struct keel_domctl_vcpu) == 80, "keel_domctl_vcpu is part of the ABI");
_Static_assert(sizeof(struct keel_domctl_id) == 8, "keel_domctl_id is part of the ABI");
_Static_assert(sizeof(struct keel_domctl_shutdown) == 8, "keel_domctl_shutdown is part of the ABI");
_Static_assert(sizeof(struct keel_domctl_console) == 256, "keel_domctl_console is part of the ABI");
_Static_assert(sizeof(struct keel_domctl_stats) == 400, "keel_domctl_stats is part of the ABI");

#endif
