/*
 * The two cascaded 8259A interrupt controllers of a PC (master at 0x20/0x21, slave at 0xA0/0xA1,
 * slave output on master IR2) and the PIIX edge/level control registers (ELCR, 0x4D0/0x4D1).
 *
 * The model has no timing. Devices drive its inputs with pic_set_irq; the platform glue reads the
 * INTR output with pic_intr after anything that may change it (an input, a port write, a load) and
 * performs the CPU's interrupt acknowledge with pic_acknowledge. All registers are 8 bits wide:
 * 16- and 32-bit accesses read as all ones and are ignored on write.
 */
#ifndef KEEL_VDEV_PIC_H
#define KEEL_VDEV_PIC_H

#include <keel/vdev.h>

#define PIC_MASTER_CMD  0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD   0xA0
#define PIC_SLAVE_DATA  0xA1
#define PIC_ELCR_MASTER 0x4D0
#define PIC_ELCR_SLAVE  0x4D1

/* struct pic_chip_state.flags */
#define PIC_F_IC4          0x0001  /* ICW1: an ICW4 follows */
#define PIC_F_SNGL         0x0002  /* ICW1: single chip, no ICW3 */
#define PIC_F_LTIM         0x0004  /* ICW1: every input level-triggered */
#define PIC_F_AEOI         0x0008  /* ICW4: automatic EOI at acknowledge */
#define PIC_F_ROTATE_AEOI  0x0010  /* OCW2: rotate priorities on automatic EOI */
#define PIC_F_SFNM         0x0020  /* ICW4: special fully nested mode */
#define PIC_F_8086         0x0040  /* ICW4: 8086 mode (stored; 8080 mode is not modelled) */
#define PIC_F_SPECIAL_MASK 0x0080  /* OCW3: special mask mode */
#define PIC_F_READ_ISR     0x0100  /* OCW3: command-port reads return ISR instead of IRR */
#define PIC_F_POLL         0x0200  /* OCW3: the next read is a poll */
#define PIC_F_ALL          0x03ff

/* Where the initialisation sequence is: which ICW the data port expects next. */
enum pic_init_step { PIC_READY = 0, PIC_WANT_ICW2, PIC_WANT_ICW3, PIC_WANT_ICW4 };

struct pic_chip_state {
    uint8_t irr;
    uint8_t isr;
    uint8_t imr;
    uint8_t elcr;           /* level-triggered inputs; bits the chipset hardwires are always 0 */
    uint8_t lines;          /* input levels last driven, for edge detection */
    uint8_t base;           /* ICW2 vector base, bits 7-3 */
    uint8_t icw3;
    uint8_t init_step;      /* enum pic_init_step */
    uint8_t priority_add;   /* the input with the highest priority (rotation) */
    uint8_t pad;
    uint16_t flags;         /* PIC_F_* */
};

struct pic_state {
    struct pic_chip_state chip[2];   /* 0 = master, 1 = slave */
};

struct pic {
    struct pic_state s;
    const struct vdev_env *env;
};

#define PIC_SAVE_SIZE (8 + sizeof(struct pic_state))

void pic_init(struct pic *pic, const struct vdev_env *env);
void pic_reset(struct pic *pic);
uint32_t pic_io_read(struct pic *pic, uint16_t port, unsigned int size);
void pic_io_write(struct pic *pic, uint16_t port, unsigned int size, uint32_t val);
uint64_t pic_next_event(struct pic *pic);
void pic_update(struct pic *pic);
size_t pic_save(const struct pic *pic, void *buf, size_t len);
int pic_load(struct pic *pic, const void *buf, size_t len);

/* Drives input irq (0-15; 2 is the cascade and is driven by the slave, not by callers). */
void pic_set_irq(struct pic *pic, unsigned int irq, bool level);
/* The state of the master's INTR output. */
bool pic_intr(const struct pic *pic);
/* The vector an acknowledge would return now, or -1 when INTR is low. */
int pic_pending_vector(const struct pic *pic);
/*
 * The CPU's INTA cycle: returns the vector and moves the request from IRR to ISR (or clears it
 * under automatic EOI). A request that vanished before the acknowledge yields the IR7 vector of
 * the chip concerned without setting its ISR bit (spurious IRQ7 / IRQ15); for a spurious IRQ15
 * the master still sets ISR bit 2, so the guest must EOI the master, as on real hardware.
 * Called with INTR low it returns the master's IR7 vector and changes nothing.
 */
int pic_acknowledge(struct pic *pic);

#endif
