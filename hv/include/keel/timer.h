/* Per-CPU software timers on the local APIC timer. Callbacks run in interrupt context. A timer
 * may be set and cancelled from any CPU, also while it fires elsewhere. */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include <keel/spinlock.h>
#include <keel/types.h>

struct timer {
    uint64_t deadline;              /* now_ns() time */
    void (*fn)(struct timer *t);
    void *data;
    struct timer *next;
    unsigned int cpu;
    bool armed;
    spinlock_t lock;                /* serialises timer_set and timer_cancel of this timer */
};

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *data);
/* Arms t on the calling CPU to fire at deadline_ns (re-arms it if it was armed). */
void timer_set(struct timer *t, uint64_t deadline_ns);
/* Disarms t (on the CPU it was armed on); returns true if it was armed. */
bool timer_cancel(struct timer *t);
/* Moves this CPU's timers to another CPU (it is becoming dom0's); call after dom0_cpu_mask
 * includes it. */
void timer_move_away(void);
/* Per-CPU set-up: the interrupt handler (once) and the hardware timer. */
void timer_cpu_init(void);

#endif
