/* Per-CPU software timers on the local APIC timer. Callbacks run in interrupt context. */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include <keel/types.h>

struct timer {
    uint64_t deadline;              /* now_ns() time */
    void (*fn)(struct timer *t);
    void *data;
    struct timer *next;
    unsigned int cpu;
    bool armed;
};

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *data);
/* Arms t on the calling CPU to fire at deadline_ns (re-arms it if it was armed). */
void timer_set(struct timer *t, uint64_t deadline_ns);
/* Disarms t (on the CPU it was armed on); returns true if it was armed. */
bool timer_cancel(struct timer *t);
/* Per-CPU set-up: the interrupt handler (once) and the hardware timer. */
void timer_cpu_init(void);

#endif
