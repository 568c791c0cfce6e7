/*
 * The control interface: hypercalls that dom0 (its keel.ko driver and, through /dev/keel, the
 * toolstack) and other domains make, event channels, and the Keel interface device. Shared
 * unchanged by hv/, devmodel/ (the Linux driver), toolstack/ and the test guests.
 *
 * Conventions (see abi.h for the instruction and registers): a hypercall has at most one pointer
 * argument, the guest-physical address of a flat structure or array in the calling domain's RAM
 * (no pointers inside structures), so a driver can pass any hypercall through one bounce buffer.
 * A result >= 0 is success, otherwise -errno (Linux's numbers). Hypercalls marked "dom0" return
 * -EPERM from any other domain. Unknown numbers return -ENOSYS; unknown commands, flags or
 * non-zero padding return -EINVAL.
 */
#ifndef KEEL_PUBLIC_HYPERCALL_H
#define KEEL_PUBLIC_HYPERCALL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* Numbers after those in abi.h (0-7). */
enum keel_control_hypercall {
    KEEL_HC_FEATURES = 8,       /* returns KEEL_FEAT_* bits */
    KEEL_HC_CONSOLE_WRITE = 9,  /* (gpa, len <= 4096): the bytes go to the hypervisor's log as the
                                   calling domain's console output; returns len */
    KEEL_HC_LOG_READ = 10,      /* dom0 (gpa of struct keel_log_read): one log line */
    KEEL_HC_PHYSINFO = 11,      /* dom0 (gpa of struct keel_physinfo) */
    KEEL_HC_DOMAIN_LIST = 12,   /* dom0 (gpa of uint32_t ids[max], max): writes the ids of every
                                   domain, ascending; returns how many there are (may be > max) */
    KEEL_HC_DOMAIN_INFO = 13,   /* dom0 (domid, gpa of struct keel_domain_info) */
    KEEL_HC_EVTCHN = 14,        /* (KEEL_EVTCHN_* command, gpa of its structure) */
    KEEL_HC_FOREIGN_MAP = 15,   /* dom0 (gpa of struct keel_foreign_map) */
    KEEL_HC_FOREIGN_UNMAP = 16, /* dom0 (dom0 gfn): puts back dom0's own frame */
    KEEL_HC_NR
};

#define KEEL_FEAT_EVTCHN (1u << 0)
#define KEEL_FEAT_FOREIGN_MAP (1u << 1)
#define KEEL_FEAT_LOG_READ (1u << 2)

#define KEEL_DOMID_SELF 0x7ff0u
#define KEEL_DOM0 0u

/* KEEL_HC_LOG_READ: in seq (0: the oldest kept); out the line read, its seq (resume from seq + 1),
 * level (0 error .. 3 debug), time since boot. Returns the text length, -ENOENT if no line yet. */
struct keel_log_read {
    uint64_t seq;
    uint64_t timestamp_ns;
    uint32_t level;
    uint32_t pad;
    char text[240];             /* NUL-terminated, cut */
};
_Static_assert(sizeof(struct keel_log_read) == 264, "keel_log_read is part of the ABI");

#define KEEL_MAX_PCPUS 64
struct keel_physinfo {
    uint32_t abi_version;
    uint32_t nr_cpus;           /* online */
    uint64_t dom0_cpus;         /* bit n: CPU n belongs to dom0 */
    uint64_t total_bytes;       /* RAM in the machine's memory map */
    uint64_t dom0_bytes;        /* RAM given to dom0 */
    uint64_t hv_bytes;          /* RAM the hypervisor keeps for itself */
    uint64_t free_bytes;        /* free pool for other domains */
    uint64_t tsc_khz;
    char version[32];           /* "0.1.0" etc., NUL-terminated */
    char backend[8];            /* "svm" or "vmx" */
    char pad[32];
};
_Static_assert(sizeof(struct keel_physinfo) == 128, "keel_physinfo is part of the ABI");

enum keel_domain_state {        /* the same order as the hypervisor's enum domain_state */
    KEEL_DOMSTATE_CREATED, KEEL_DOMSTATE_RUNNING, KEEL_DOMSTATE_PAUSED, KEEL_DOMSTATE_SHUTDOWN,
    KEEL_DOMSTATE_CRASHED, KEEL_DOMSTATE_DYING,
};

struct keel_domain_info {
    uint32_t domid;
    uint32_t state;             /* enum keel_domain_state */
    uint32_t nr_vcpus;
    uint32_t flags;             /* KEEL_DOMINFO_* */
    uint64_t mem_bytes;         /* RAM pages accounted to it, in bytes */
    uint64_t cpu_ns;            /* run time of all its vCPUs */
    uint64_t cpus;              /* hard affinity of vCPU 0 */
    int32_t shutdown_code;
    uint32_t pad;
    char name[32];
    char reason[64];            /* why it stopped, cut */
};
_Static_assert(sizeof(struct keel_domain_info) == 144, "keel_domain_info is part of the ABI");
#define KEEL_DOMINFO_PRIVILEGED (1u << 0)   /* dom0 */

/*
 * Event channels: ports (1 .. KEEL_EVTCHN_PORTS-1) in each domain. Two ports in different
 * domains are connected with ALLOC_UNBOUND in one and BIND_INTERDOMAIN in the other; SEND on
 * either end marks the other end pending. A pending, unmasked port notifies its domain: dom0
 * through the interface device's MSI vector, any other domain through the vector it set with
 * SET_UPCALL (injected as an external interrupt into the chosen vCPU). PENDING reads and clears.
 */
#define KEEL_EVTCHN_PORTS 1024
enum keel_evtchn_cmd {
    KEEL_EVTCHN_ALLOC_UNBOUND = 0,  /* struct keel_evtchn_alloc_unbound */
    KEEL_EVTCHN_BIND_INTERDOMAIN,   /* struct keel_evtchn_bind_interdomain */
    KEEL_EVTCHN_CLOSE,              /* struct keel_evtchn_port (-EINVAL if it is free) */
    KEEL_EVTCHN_SEND,               /* struct keel_evtchn_port */
    KEEL_EVTCHN_MASK,               /* struct keel_evtchn_port */
    KEEL_EVTCHN_UNMASK,             /* struct keel_evtchn_port: notifies again if pending */
    KEEL_EVTCHN_PENDING,            /* struct keel_evtchn_pending */
    KEEL_EVTCHN_SET_UPCALL,         /* struct keel_evtchn_upcall (not dom0) */
    KEEL_EVTCHN_STATUS,             /* struct keel_evtchn_status */
    KEEL_EVTCHN_NR
};

struct keel_evtchn_alloc_unbound {
    uint32_t remote_dom;        /* in: the domain allowed to bind to it (KEEL_DOMID_SELF ok) */
    uint32_t port;              /* out */
};
struct keel_evtchn_bind_interdomain {
    uint32_t remote_dom;        /* in */
    uint32_t remote_port;       /* in: an unbound port of remote_dom that allows the caller */
    uint32_t local_port;        /* out */
    uint32_t pad;
};
struct keel_evtchn_port {
    uint32_t port;
    uint32_t pad;
};
struct keel_evtchn_pending {
    uint32_t count;             /* out: how many ports fired */
    uint32_t pad;
    uint64_t bitmap[KEEL_EVTCHN_PORTS / 64];    /* out: bit n = port n fired (and is now clear) */
};
struct keel_evtchn_upcall {
    uint32_t vcpu;
    uint32_t vector;            /* 32-255, or 0 to stop notifications */
};
enum keel_evtchn_state {
    KEEL_EVTCHN_FREE, KEEL_EVTCHN_UNBOUND, KEEL_EVTCHN_INTERDOMAIN,
};
struct keel_evtchn_status {
    uint32_t port;              /* in */
    uint32_t state;             /* out: enum keel_evtchn_state */
    uint32_t remote_dom;        /* out */
    uint32_t remote_port;       /* out (0 while unbound) */
    uint32_t pending, masked;   /* out: 0 or 1 */
};
_Static_assert(sizeof(struct keel_evtchn_alloc_unbound) == 8, "ABI");
_Static_assert(sizeof(struct keel_evtchn_bind_interdomain) == 16, "ABI");
_Static_assert(sizeof(struct keel_evtchn_port) == 8, "ABI");
_Static_assert(sizeof(struct keel_evtchn_pending) == 136, "ABI");
_Static_assert(sizeof(struct keel_evtchn_upcall) == 8, "ABI");
_Static_assert(sizeof(struct keel_evtchn_status) == 24, "ABI");

/*
 * Foreign mapping (dom0): the frame of domain `domid` at `gfn` appears at dom0's `dom0_gfn`,
 * which must be a RAM page of dom0 (its own frame is hidden until KEEL_HC_FOREIGN_UNMAP); a frame
 * the domain itself may only read is mapped read-only whatever the flags say. The
 * mapping ends by itself when the foreign domain is destroyed (dom0's own frame comes back).
 */
struct keel_foreign_map {
    uint32_t domid;
    uint32_t flags;             /* KEEL_FOREIGN_RO */
    uint64_t gfn;
    uint64_t dom0_gfn;
};
#define KEEL_FOREIGN_RO (1u << 0)
_Static_assert(sizeof(struct keel_foreign_map) == 24, "keel_foreign_map is part of the ABI");

/*
 * The Keel interface device: a PCI function the hypervisor shows dom0 on bus 0 (at a slot no real
 * device uses). BAR0 is a 4 KiB memory BAR of read-only registers (struct keel_iface_regs). It
 * has one MSI capability (32-bit address, one vector): once dom0 enables it, the hypervisor
 * notifies dom0 of pending event-channel ports by sending that vector to that CPU.
 */
#define KEEL_IFACE_VENDOR 0x4b45    /* "KE": not a registered PCI vendor */
#define KEEL_IFACE_DEVICE 0x0001
#define KEEL_IFACE_CLASS 0x088000   /* base system peripheral, other */
#define KEEL_IFACE_BAR_SIZE 4096
#define KEEL_IFACE_MAGIC 0x4c45454bu    /* "KEEL" */

struct keel_iface_regs {
    uint32_t magic;             /* KEEL_IFACE_MAGIC */
    uint32_t abi_version;       /* KEEL_ABI_VERSION */
    uint32_t features;          /* KEEL_FEAT_* */
    uint32_t hypercall_insn;    /* 1: VMMCALL (AMD), 2: VMCALL (Intel) */
};
_Static_assert(sizeof(struct keel_iface_regs) == 16, "keel_iface_regs is part of the ABI");

#endif
