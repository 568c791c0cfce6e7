/*
 * The high precision event timer: a 1 KiB register block at HPET_BASE (offsets below are
 * relative to it) with a 64-bit main counter at 14.318180 MHz and three comparators.
 *   0x000  capabilities and ID (read-only): revision 1, 3 timers, 64-bit counter,
 *          legacy replacement capable, vendor 0x8086, period in fs in bits 63-32
 *   0x010  configuration: ENABLE_CNF (bit 0), LEG_RT_CNF (bit 1)
 *   0x020  interrupt status: one bit per level-triggered timer, write 1 to clear
 *   0x0f0  main counter: writes are ignored while ENABLE_CNF is set
 *   0x100 + 0x20 * n  timer n configuration and capabilities (HPET_TN_*)
 *   0x108 + 0x20 * n  timer n comparator
 *   0x110 + 0x20 * n  timer n FSB route: message data in bits 31-0, address in bits 63-32
 * Accesses of 4 or 8 bytes at an offset aligned to their size are accepted; a 4-byte access
 * reaches half of a 64-bit register. Any other access, or one beyond the block, reads as all
 * ones and is ignored on write. Reserved registers inside the block read as 0.
 *
 * The counter is not ticked: it is the value it held when ENABLE_CNF was last set plus the
 * clocks elapsed in guest time since then, and holds still while ENABLE_CNF is clear.
 *
 * A timer matches when the counter reaches its comparator (in 32-bit mode, when the low 32 bits
 * do). A comparator written equal to the counter matches at once; one written behind it matches
 * only when the counter comes round again: 2^32 clocks (about 300 s) later in 32-bit mode, never
 * in 64-bit mode. After a one-shot match the comparator is unchanged, so a 32-bit timer matches
 * again every 2^32 clocks. In periodic mode (timer 0 only) every comparator write sets the
 * period and, if TN_VAL_SET was set, the comparator too; TN_VAL_SET clears after each
 * comparator write, so a guest writing the two halves separately sets it before the first.
 * After each match the comparator advances by the period; a period of 0 behaves as one-shot.
 *
 * Missed periods: hpet_next_event names the time of the earliest match and hpet_update delivers
 * at most one interrupt per timer per call. If the update runs several periods late, one
 * interrupt stands for all of them and the comparator advances by whole periods to the first
 * match still ahead, so a long pause never produces a burst. Status and comparator reads show
 * the matches that hpet_update has handled.
 *
 * Delivery (env->base.set_irq lines are GSIs): with LEG_RT_CNF, timer 0 drives GSI 2 (where the
 * ISA IRQ0 override points) and timer 1 GSI 8, whatever their route; otherwise a timer with
 * TN_FSB_EN sends env->msi(addr, data) from its FSB route register on each match (always edge;
 * no status bit), and any other timer drives its TN_INT_ROUTE GSI, which must be one allowed by
 * HPET_ROUTE_CAP (20-23) or it raises nothing. Edge timers pulse the line (true, then false) on
 * each match while TN_INT_ENB is set. Level timers set their status bit on each match, even with
 * TN_INT_ENB clear, and hold the line asserted while the bit is set, TN_INT_ENB is set and the
 * counter is enabled; a timer switched to edge drops its status bit. Lines shared by several
 * timers are asserted while any of them asserts it, and an edge pulse on a line held asserted
 * is not delivered. Clearing ENABLE_CNF stops matches and deasserts every line; status bits stay.
 *
 * Simplifications: a one-shot 32-bit timer raises no extra interrupt when the counter's low 32
 * bits wrap; a match more than HPET_MAX_FIRE clocks after the counter was enabled is treated
 * as never happening (that is thousands of years).
 */
#ifndef KEEL_VDEV_HPET_H
#define KEEL_VDEV_HPET_H

#include <keel/vdev.h>

#define HPET_BASE 0xfed00000ull
#define HPET_BLOCK_LEN 0x400
#define HPET_NUM_TIMERS 3
#define HPET_PERIOD_FS 69841279ull        /* 14.318180 MHz, as the chipsets and QEMU use */

#define HPET_REG_CAP     0x000
#define HPET_REG_CONFIG  0x010
#define HPET_REG_STATUS  0x020
#define HPET_REG_COUNTER 0x0f0
#define HPET_REG_TIMER(n) (0x100 + 0x20 * (n))
#define HPET_REG_CMP(n)   (0x108 + 0x20 * (n))
#define HPET_REG_FSB(n)   (0x110 + 0x20 * (n))

/* Capabilities and ID: revision 1, NUM_TIM_CAP 2, COUNT_SIZE_CAP, LEG_RT_CAP, vendor 0x8086. */
#define HPET_CAP_ID (HPET_PERIOD_FS << 32 | 0x8086ull << 16 | 1u << 15 | 1u << 13 | 2u << 8 | 1u)

#define HPET_CFG_ENABLE 0x1ull
#define HPET_CFG_LEGACY 0x2ull

/* Timer configuration and capabilities. */
#define HPET_TN_LEVEL     (1ull << 1)
#define HPET_TN_INT_ENB   (1ull << 2)
#define HPET_TN_PERIODIC  (1ull << 3)
#define HPET_TN_PER_CAP   (1ull << 4)     /* timer 0 only */
#define HPET_TN_SIZE_CAP  (1ull << 5)
#define HPET_TN_VAL_SET   (1ull << 6)
#define HPET_TN_32BIT     (1ull << 8)
#define HPET_TN_ROUTE_SHIFT 9
#define HPET_TN_ROUTE     (0x1full << HPET_TN_ROUTE_SHIFT)
#define HPET_TN_FSB_EN    (1ull << 14)
#define HPET_TN_FSB_CAP   (1ull << 15)
#define HPET_ROUTE_CAP    0x00f00000ull   /* IOAPIC inputs 20-23, as QEMU offers */

/* Legacy replacement routes. */
#define HPET_LEGACY_GSI0 2
#define HPET_LEGACY_GSI1 8

#define HPET_NEVER UINT64_MAX
/* A bound on a timer's next match, in clocks after the counter was enabled (about 2,500 years). */
#define HPET_MAX_FIRE (1ull << 60)

struct hpet_env {
    struct vdev_env base;
    /* Delivers a timer's FSB interrupt: a 32-bit write of data to addr. */
    void (*msi)(void *ctx, uint64_t addr, uint32_t data);
};

struct hpet_timer_state {
    uint64_t config;        /* the writable HPET_TN_* bits */
    uint64_t cmp;
    uint64_t period;        /* the last value written to the comparator in periodic mode */
    uint64_t fsb;
    uint64_t fire;          /* clocks after enable_ns of the next match, or HPET_NEVER */
};

struct hpet_state {
    uint64_t config;        /* HPET_CFG_* */
    uint64_t status;        /* level interrupt status, bit n for timer n */
    uint64_t counter;       /* the main counter at enable_ns, or its value while disabled */
    uint64_t enable_ns;     /* guest time the counter last started */
    struct hpet_timer_state t[HPET_NUM_TIMERS];
    uint32_t lines;         /* GSIs this device holds asserted */
    uint32_t pad;
};

struct hpet {
    struct hpet_state s;
    const struct hpet_env *env;
};

#define HPET_SAVE_SIZE (8 + sizeof(struct hpet_state))

void hpet_init(struct hpet *hpet, const struct hpet_env *env);
void hpet_reset(struct hpet *hpet);
uint64_t hpet_mmio_read(struct hpet *hpet, uint32_t offset, unsigned int size);
void hpet_mmio_write(struct hpet *hpet, uint32_t offset, unsigned int size, uint64_t val);
uint64_t hpet_next_event(struct hpet *hpet);
void hpet_update(struct hpet *hpet);
size_t hpet_save(const struct hpet *hpet, void *buf, size_t len);
int hpet_load(struct hpet *hpet, const void *buf, size_t len);

#endif
