/* Domains and vCPUs: the objects every other part of the hypervisor acts on. */
#ifndef KEEL_DOMAIN_H
#define KEEL_DOMAIN_H

#include <keel/p2m.h>
#include <keel/spinlock.h>
#include <keel/timer.h>
#include <keel/types.h>
#include <keel/vmexit.h>

#define DOMAIN_MAX_VCPUS 64
#define DOMAIN_NAME_LEN 32
#define CONSOLE_LINE_LEN 160

enum domain_state {
    DOMAIN_CREATED,         /* built, not yet started */
    DOMAIN_RUNNING,
    DOMAIN_PAUSED,
    DOMAIN_SHUTDOWN,        /* stopped by the guest's own request */
    DOMAIN_CRASHED,         /* stopped because of a fault, a guest error or a time limit */
    DOMAIN_DYING,           /* being destroyed */
};

#define DOMF_TEST_DEVICES (1u << 0)   /* the test FIFO port and test p2m pages */
#define DOMF_DEBUG_CONSOLE (1u << 1)  /* port 0xE9, the debug console */
#define DOMF_CONSOLE_INPUT (1u << 2)  /* takes the console focus when started (console.h) */
#define DOMF_CONSOLE_RAW (1u << 3)    /* its COM1 output goes to the console as it is, unprefixed */
#define DOMF_PRIVILEGED (1u << 4)     /* dom0: ID 0, RAM and devices mapped by hv/dom0.c */
#define DOMF_TOOLSTACK (1u << 5)      /* created by the toolstack: it may pause, destroy... it */

/* Guest general-purpose registers the world switch saves and loads (RSP and RIP live in the
 * backend's control structure, and on AMD so does RAX). Order: the ModRM register numbers. */
struct guest_gprs {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vcpu {
    struct domain *domain;
    unsigned int id;
    struct guest_gprs gprs;
    void *arch;                         /* the backend's state (VMCB or VMCS) */
    unsigned int pcpu;                  /* physical CPU it runs on */
    volatile bool runnable;             /* false once its domain stopped */
    volatile bool halted;               /* blocked: in HLT, or waiting for a SIPI */
    bool wait_sipi;                     /* after INIT (and at power-on for APs) until a SIPI */
    uint64_t affinity;                  /* physical CPUs it may run on (bit n: CPU n) */
    uint64_t soft_affinity;             /* those it prefers, among them */
    uint64_t vruntime;                  /* run time scaled by its domain's weight: fairness */
    uint64_t runtime_ns;                /* time spent in the guest and handling its exits */
    uint32_t tsc_aux;                   /* IA32_TSC_AUX, loaded while it runs (RDTSCP) */
    int pending_irq;                    /* external interrupt vector to deliver, or -1 */
    void *platform;                     /* its local APIC and timer (hv/vplatform.c) */
    bool pending_nmi;
    volatile int start_vector;          /* dom0's other vCPUs: the SIPI's vector, or -1 */
    volatile bool reinit;               /* dom0's other vCPUs: an INIT sent them back to wait */
    uint64_t exits[VMEXIT_NR];          /* exits per neutral reason */
    uint8_t fpu[512] __aligned(16);     /* FXSAVE image while another vCPU uses this CPU */
    struct vcpu *next_on_cpu;           /* the physical CPU's run list */
};

struct test_fifo {
    uint8_t buf[4096];
    unsigned int head, count;
};

struct mtrr_state {
    uint64_t def_type;
    uint64_t var[16];                   /* base/mask pairs */
    uint64_t fixed[11];
};

struct domain {
    unsigned int id;
    char name[DOMAIN_NAME_LEN];
    enum domain_state state;
    char reason[224];                   /* why it stopped */
    int shutdown_code;
    unsigned int flags;
    spinlock_t lock;
    struct p2m p2m;
    uint64_t ram_bytes;                 /* guest RAM from gpa 0 */
    uint64_t pages;                     /* machine pages accounted to it */
    unsigned int nr_vcpus;
    struct vcpu *vcpus[DOMAIN_MAX_VCPUS];
    struct mtrr_state mtrr;
    uint64_t pat;
    char console_line[CONSOLE_LINE_LEN];
    unsigned int console_len;
    struct test_fifo *fifo;
    unsigned int unknown_msr_logged;
    void (*console_hook)(struct domain *d, const char *line);   /* sees each guest output line */
    void *owner_data;                   /* for whoever created it (the test runner) */
    struct timer watchdog;
    bool live;                          /* fully created, counted in nr_domains */
    uint64_t created_ns;                /* guest time 0 of its devices */
    void *platform;                     /* its IOAPIC, PIC and PIT (hv/vplatform.c) */
    unsigned int weight;                /* its share of a contended CPU (SCHED_WEIGHT_DEFAULT) */
    uint8_t *io_intercept;              /* ports that exit (a bit each, 12 KiB); NULL: all */
    char *console_ring;                 /* the last DOMAIN_CONSOLE_RING bytes of its console */
    uint64_t console_pos;               /* bytes it ever wrote there */
    spinlock_t console_lock;
    unsigned int refs;                  /* domain_get references (hypercalls at work on it) */
    uint64_t max_pages;                 /* toolstack domains: RAM it may be given */
    bool destroying;                    /* a DESTROY has begun */
    void *evtchn;                       /* its event-channel ports (hv/evtchn.c) */
};

#define DOMAIN_CONSOLE_RING 16384
#define MAX_DOMAINS 256

struct domain_config {
    const char *name;
    uint64_t ram_bytes;
    unsigned int nr_vcpus;
    unsigned int flags;
    unsigned int weight;                /* 0: SCHED_WEIGHT_DEFAULT */
    uint64_t affinity;                  /* physical CPUs for every vCPU; 0: all */
    uint64_t soft_affinity;             /* preferred ones; 0: no preference */
};

/* Creates a domain with its RAM (zeroed) and vCPUs in the reset state; NULL with *err set. */
struct domain *domain_create(const struct domain_config *cfg, int *err);
/* Runs a created domain: vCPU 0 starts, the others wait for INIT/SIPI; with DOMF_CONSOLE_INPUT it
 * takes the console focus. */
void domain_start(struct domain *d);
/* Frees everything the domain holds (and the console focus); its vCPUs must not be running. */
void domain_destroy(struct domain *d);
/* Logs how many exits of each kind the domain's vCPUs took. */
void domain_log_exits(const struct domain *d);
/* Stops the domain: state and reason recorded and logged, vCPUs taken off their CPUs. */
void domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);
void domain_shutdown(struct domain *d, int reason, int code);
bool domain_is_stopped(const struct domain *d);
const char *domain_state_name(enum domain_state s);
/* Copies into guest RAM, bypassing guest permissions (image loading). */
int domain_copy_to_guest(struct domain *d, uint64_t gpa, const void *src, size_t len);

/* Appends one byte of guest debug output; complete lines go to the log. */
void domain_console_putc(struct domain *d, char c);
/*
 * Copies up to size bytes of the domain's console from stream position *pos (or from the oldest
 * still kept, adding what was skipped to *lost) and moves *pos past them; returns the count.
 */
size_t domain_console_read(struct domain *d, uint64_t *pos, char *buf, size_t size, uint64_t *lost);

extern unsigned int nr_domains;

/* The live domain with that ID, with a reference (domain_put it), or NULL. */
struct domain *domain_get(unsigned int id);
void domain_put(struct domain *d);
bool domain_name_taken(const char *name);
/* RAM accounted to every live domain but dom0 (whose RAM is set aside at boot). */
uint64_t domains_ram_bytes(void);
struct keel_domain_info;
/* The public view of d (KEEL_HC_DOMAIN_INFO). */
void domain_fill_info(struct domain *d, struct keel_domain_info *info);
/* Fills ids (up to max) with every live domain's ID, ascending; returns how many there are. */
unsigned int domain_list(uint32_t *ids, unsigned int max);

#endif
