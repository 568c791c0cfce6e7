/*
 * The 8254 programmable interval timer (counters at 0x40-0x42, control word at 0x43) and the
 * NMI status and control port 0x61 that gates counter 2 and shows its output.
 *
 * Counters are not ticked: each keeps the guest time its count was loaded and derives count and
 * OUT from the 1.193182 MHz clock elapsed since then. Counter 0's OUT drives IRQ0 as pulses on
 * env->set_irq (true, then false): once per period in modes 2 and 3, once at terminal count in
 * modes 0, 1, 4 and 5.
 *
 * Missed ticks: pit_next_event names the time of the next IRQ0 and pit_update delivers at most
 * one pulse per call. If update runs late by several periods, one pulse is delivered for all of
 * them and the next is scheduled at the first period boundary after the current time; the
 * missed ones are dropped, so a long pause never produces a burst. The count read by the guest
 * is always the true one for the current time.
 *
 * Simplifications: BCD counting is accepted and reported in the status byte but counts in
 * binary; a new count takes effect when written, also in modes 2 and 3; modes 1 and 5 start on
 * the count write, as counters 0 and 1 have their gate tied high; the counter 2 gate only
 * restarts modes 1, 2, 3 and 5 on a rising edge and holds OUT high in modes 2 and 3 while low
 * (it does not pause modes 0 and 4). All registers are 8 bits: other sizes read as all ones and
 * are ignored on write.
 */
#ifndef KEEL_VDEV_PIT_H
#define KEEL_VDEV_PIT_H

#include <keel/vdev.h>

#define PIT_FREQ_HZ 1193182u
#define PIT_PORT_CH0 0x40
#define PIT_PORT_CTRL 0x43
#define PIT_PORT_61 0x61
#define PIT_IRQ 0

#define PIT_NO_IRQ UINT64_MAX
/* Counter 0's next IRQ is at most this many ticks after its load (about 30 years). */
#define PIT_MAX_IRQ_TICKS (1ull << 50)

/* Byte access modes (control word bits 5-4) and latch states. */
#define PIT_RW_LO   1
#define PIT_RW_HI   2
#define PIT_RW_WORD 3   /* low byte, then high byte */

/* struct pit_channel_state.flags */
#define PIT_F_COUNTING       0x01  /* a count has been loaded since the control word */
#define PIT_F_NULL           0x02  /* control word or half a count written, count not loaded */
#define PIT_F_STATUS_LATCHED 0x04
#define PIT_F_READ_HI        0x08  /* the next unlatched word read returns the high byte */
#define PIT_F_WRITE_HI       0x10  /* the next word write is the high byte */
#define PIT_F_ALL            0x1f

struct pit_channel_state {
    uint64_t load_ns;       /* guest time the count was loaded */
    uint64_t irq_ticks;     /* counter 0: clocks after load_ns of the next IRQ0, or PIT_NO_IRQ */
    uint32_t reload;        /* the count written, 1-65536 (0 is written as 65536) */
    uint16_t latch;         /* count latched by a latch or read-back command */
    uint8_t mode;           /* 0-7 as written; 6 and 7 behave as 2 and 3 */
    uint8_t rw;             /* PIT_RW_* */
    uint8_t bcd;
    uint8_t latch_state;    /* 0 or the PIT_RW_* bytes of latch still to read */
    uint8_t status;         /* status byte latched by a read-back command */
    uint8_t flags;          /* PIT_F_* */
    uint8_t write_lo;       /* the low byte of a word write in progress */
    uint8_t pad[3];
};

struct pit_state {
    struct pit_channel_state ch[3];
    uint8_t port61;         /* bits 3-0 as written: gate 2, speaker, parity and IOCHK enables */
    uint8_t pad[7];
};

struct pit {
    struct pit_state s;
    const struct vdev_env *env;
};

#define PIT_SAVE_SIZE (8 + sizeof(struct pit_state))

void pit_init(struct pit *pit, const struct vdev_env *env);
void pit_reset(struct pit *pit);
uint32_t pit_io_read(struct pit *pit, uint16_t port, unsigned int size);
void pit_io_write(struct pit *pit, uint16_t port, unsigned int size, uint32_t val);
uint64_t pit_next_event(struct pit *pit);
void pit_update(struct pit *pit);
size_t pit_save(const struct pit *pit, void *buf, size_t len);
int pit_load(struct pit *pit, const void *buf, size_t len);

#endif
