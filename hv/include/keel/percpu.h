/* Per-CPU data, reached through GS (its base is the CPU's struct percpu). */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H

#include <keel/spinlock.h>
#include <keel/types.h>

#define MAX_CPUS 64

#include <keel/timer.h>

struct vcpu;

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

struct call_request {
    void (*fn)(void *arg);
    void *arg;
    volatile bool done;
};

struct percpu {
    struct percpu *self;            /* at offset 0: this_cpu() reads %gs:0 */
    unsigned int id;                /* 0 is the boot CPU */
    uint32_t apic_id;
    volatile bool online;
    uintptr_t stack_top;
    uint64_t gdt[7];
    struct tss tss;
    spinlock_t timer_lock;
    struct timer *timers;           /* armed timers, soonest first */
    spinlock_t call_lock;           /* one cross-CPU call at a time to this CPU */
    struct call_request *call;
    uint64_t irq_count;
    spinlock_t runq_lock;
    struct vcpu *runq;              /* vCPUs placed on this CPU */
    struct vcpu *current;           /* the vCPU being run, or NULL */
    struct vcpu *fpu_owner;         /* whose FPU/SSE state the registers hold */
    struct timer slice_timer;
    volatile bool need_resched;
    bool idle;                      /* halted in sched_idle: work may be sent here */
    uint64_t slice_start;           /* now_ns() when the current slice began */
    uint64_t vruntime_floor;        /* the largest vruntime picked here: where newcomers start */
    void *hvm;                      /* the backend's per-CPU state */
    volatile bool dom0_kicked;      /* dom0's CPU: the next NMI is the hypervisor's kick */
    volatile bool dom0_nmi;         /* dom0's CPU: an NMI for dom0 arrived */
    void (*deferred)(void);         /* work for its idle loop (sched_defer_to) */
};

extern struct percpu *cpus[MAX_CPUS];
extern unsigned int nr_cpus_online;

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;

    __asm__ volatile("movq %%gs:0, %0" : "=r"(p));
    return p;
}

/* Loads the GDT, TSS and IDT and points GS at p; called on each CPU as it starts. */
void cpu_tables_load(struct percpu *p);
/* Builds the shared IDT once, on the boot CPU; idt_load makes this CPU use it. */
void idt_init(void);
void idt_load(void);

#endif
