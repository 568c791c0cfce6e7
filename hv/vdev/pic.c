/*
 * The 8259A pair and the ELCR. Priorities are kept as in the chip: priority_add is the input
 * with the highest priority, and each rotation makes the input just served the lowest. The
 * slave's INT output is recomputed after every change and fed to master IR2 like any device.
 */
#include <keel/vdev_pic.h>
#include <keel/string.h>

#define PIC_MASTER 0
#define PIC_SLAVE  1
#define PIC_CASCADE_IRQ 2
#define PIC_SAVE_MAGIC 0x38323539u   /* "9528" */
#define PIC_SAVE_VERSION 1u

/* The PIIX hardwires IRQ 0, 1, 2, 8 and 13 as edge-triggered: their ELCR bits read 0. */
static const uint8_t pic_elcr_mask[2] = { 0xf8, 0xde };

static uint32_t pic_ones(unsigned int size)
{
    return size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu;
}

static bool pic_is_level(const struct pic_chip_state *c, unsigned int line)
{
    return (c->flags & PIC_F_LTIM) || (c->elcr & (1u << line));
}

/* Position (0 = highest) of the highest-priority bit of mask, 8 if none. */
static unsigned int pic_priority(const struct pic_chip_state *c, uint8_t mask)
{
    unsigned int p;

    for (p = 0; p < 8; p++)
        if (mask & (1u << ((p + c->priority_add) & 7)))
            return p;
    return 8;
}

/* The input the chip would present on INTA, or -1: a request must beat everything in service. */
static int pic_chip_irq(const struct pic_chip_state *c, bool master)
{
    unsigned int req = pic_priority(c, c->irr & ~c->imr);
    uint8_t busy = c->isr;

    if (req == 8)
        return -1;
    /* Special mask mode lets lower inputs through while a masked one is in service. */
    if (c->flags & PIC_F_SPECIAL_MASK)
        busy &= ~c->imr;
    /* Special fully nested: an in-service slave does not block further slave requests. */
    if (master && (c->flags & PIC_F_SFNM))
        busy &= ~(1u << PIC_CASCADE_IRQ);
    if (req < pic_priority(c, busy))
        return (int)((req + c->priority_add) & 7);
    return -1;
}

static void pic_chip_input(struct pic_chip_state *c, unsigned int line, bool level)
{
    uint8_t bit = 1u << line;

    if (pic_is_level(c, line)) {
        c->irr = level ? c->irr | bit : c->irr & ~bit;
    } else if (level && !(c->lines & bit)) {
        c->irr |= bit;
    }
    c->lines = level ? c->lines | bit : c->lines & ~bit;
}

/* Propagates the slave's INT output to master IR2. */
static void pic_cascade(struct pic *pic)
{
    bool out = pic_chip_irq(&pic->s.chip[PIC_SLAVE], false) >= 0;

    pic_chip_input(&pic->s.chip[PIC_MASTER], PIC_CASCADE_IRQ, out);
}

void pic_set_irq(struct pic *pic, unsigned int irq, bool level)
{
    if (irq >= 16 || irq == PIC_CASCADE_IRQ)
        return;
    pic_chip_input(&pic->s.chip[irq >> 3], irq & 7, level);
    pic_cascade(pic);
}

bool pic_intr(const struct pic *pic)
{
    return pic_chip_irq(&pic->s.chip[PIC_MASTER], true) >= 0;
}

int pic_pending_vector(const struct pic *pic)
{
    const struct pic_chip_state *m = &pic->s.chip[PIC_MASTER];
    const struct pic_chip_state *sl = &pic->s.chip[PIC_SLAVE];
    int irq = pic_chip_irq(m, true);
    int irq2;

    if (irq < 0)
        return -1;
    if (irq != PIC_CASCADE_IRQ)
        return m->base + irq;
    irq2 = pic_chip_irq(sl, false);
    return sl->base + (irq2 < 0 ? 7 : irq2);
}

/* The chip side of INTA (also used by the poll command). */
static void pic_chip_ack(struct pic_chip_state *c, int irq)
{
    uint8_t bit = 1u << irq;

    if (c->flags & PIC_F_AEOI) {
        if (c->flags & PIC_F_ROTATE_AEOI)
            c->priority_add = (irq + 1) & 7;
    } else {
        c->isr |= bit;
    }
    /* A level input keeps requesting for as long as the line is asserted. */
    if (!pic_is_level(c, irq))
        c->irr &= ~bit;
}

int pic_acknowledge(struct pic *pic)
{
    struct pic_chip_state *m = &pic->s.chip[PIC_MASTER];
    struct pic_chip_state *sl = &pic->s.chip[PIC_SLAVE];
    int irq = pic_chip_irq(m, true);
    int irq2, vector;

    if (irq < 0)
        return m->base + 7;          /* the request went away: spurious IRQ7, no ISR bit */
    pic_chip_ack(m, irq);
    if (irq != PIC_CASCADE_IRQ) {
        vector = m->base + irq;
    } else {
        irq2 = pic_chip_irq(sl, false);
        if (irq2 >= 0)
            pic_chip_ack(sl, irq2);
        vector = sl->base + (irq2 < 0 ? 7 : irq2);   /* spurious IRQ15 if it vanished */
    }
    pic_cascade(pic);
    return vector;
}

static void pic_chip_reset(struct pic_chip_state *c, unsigned int idx)
{
    memset(c, 0, sizeof(*c));
    c->icw3 = idx == PIC_MASTER ? 1u << PIC_CASCADE_IRQ : PIC_CASCADE_IRQ;
}

void pic_reset(struct pic *pic)
{
    pic_chip_reset(&pic->s.chip[PIC_MASTER], PIC_MASTER);
    pic_chip_reset(&pic->s.chip[PIC_SLAVE], PIC_SLAVE);
}

void pic_init(struct pic *pic, const struct vdev_env *env)
{
    memset(pic, 0, sizeof(*pic));
    pic->env = env;
    pic_reset(pic);
}

/* ICW1 restarts initialisation: mask, ISR, priorities and modes go back to their defaults. */
static void pic_icw1(struct pic_chip_state *c, uint8_t val)
{
    c->isr = 0;
    c->imr = 0;
    c->priority_add = 0;
    c->flags = 0;
    if (val & 0x01)
        c->flags |= PIC_F_IC4;
    if (val & 0x02)
        c->flags |= PIC_F_SNGL;
    if (val & 0x08)
        c->flags |= PIC_F_LTIM;
    /* The edge detector is reset: an input already high must drop before it counts again. */
    c->irr &= c->flags & PIC_F_LTIM ? 0xff : c->elcr;
    c->init_step = PIC_WANT_ICW2;
}

static void pic_eoi(struct pic_chip_state *c, int irq, bool rotate)
{
    if (irq < 0)
        return;
    c->isr &= ~(1u << irq);
    if (rotate)
        c->priority_add = (irq + 1) & 7;
}

static int pic_highest_isr(const struct pic_chip_state *c)
{
    unsigned int p = pic_priority(c, c->isr);

    return p == 8 ? -1 : (int)((p + c->priority_add) & 7);
}

/* OCW2, by its R/SL/EOI bits (7-5). */
static void pic_ocw2(struct pic_chip_state *c, uint8_t val)
{
    int level = val & 7;

    switch (val >> 5) {
    case 0: c->flags &= ~PIC_F_ROTATE_AEOI; break;
    case 4: c->flags |= PIC_F_ROTATE_AEOI; break;
    case 1: pic_eoi(c, pic_highest_isr(c), false); break;
    case 5: pic_eoi(c, pic_highest_isr(c), true); break;
    case 3: pic_eoi(c, level, false); break;
    case 7: pic_eoi(c, level, true); break;
    case 6: c->priority_add = (level + 1) & 7; break;
    default: break;                  /* 2: no operation */
    }
}

static void pic_ocw3(struct pic_chip_state *c, uint8_t val)
{
    if (val & 0x04)
        c->flags |= PIC_F_POLL;
    if (val & 0x02)
        c->flags = (val & 0x01) ? c->flags | PIC_F_READ_ISR : c->flags & ~PIC_F_READ_ISR;
    if (val & 0x40)
        c->flags = (val & 0x20) ? c->flags | PIC_F_SPECIAL_MASK : c->flags & ~PIC_F_SPECIAL_MASK;
}

static void pic_write_cmd(struct pic_chip_state *c, uint8_t val)
{
    if (val & 0x10)
        pic_icw1(c, val);
    else if (val & 0x08)
        pic_ocw3(c, val);
    else
        pic_ocw2(c, val);
}

static void pic_write_data(struct pic_chip_state *c, uint8_t val)
{
    switch (c->init_step) {
    case PIC_WANT_ICW2:
        c->base = val & 0xf8;
        c->init_step = !(c->flags & PIC_F_SNGL) ? PIC_WANT_ICW3 :
                       (c->flags & PIC_F_IC4) ? PIC_WANT_ICW4 : PIC_READY;
        break;
    case PIC_WANT_ICW3:
        c->icw3 = val;
        c->init_step = (c->flags & PIC_F_IC4) ? PIC_WANT_ICW4 : PIC_READY;
        break;
    case PIC_WANT_ICW4:
        c->flags |= (val & 0x01 ? PIC_F_8086 : 0) | (val & 0x02 ? PIC_F_AEOI : 0) |
                    (val & 0x10 ? PIC_F_SFNM : 0);
        c->init_step = PIC_READY;
        break;
    default:
        c->imr = val;                /* OCW1 */
        break;
    }
}

/* A poll is an acknowledge through the data bus: bit 7 = request found, bits 2-0 = input. */
static uint8_t pic_poll(struct pic_chip_state *c, bool master)
{
    int irq = pic_chip_irq(c, master);

    c->flags &= ~PIC_F_POLL;
    if (irq < 0)
        return 0;
    pic_chip_ack(c, irq);
    return 0x80 | irq;
}

uint32_t pic_io_read(struct pic *pic, uint16_t port, unsigned int size)
{
    struct pic_chip_state *c;
    uint8_t val;

    if (size != 1)
        return pic_ones(size);
    if (port == PIC_ELCR_MASTER || port == PIC_ELCR_SLAVE)
        return pic->s.chip[port & 1].elcr;
    if ((port & ~0x81u) != 0x20)
        return 0xff;
    c = &pic->s.chip[port >> 7];
    if (c->flags & PIC_F_POLL) {
        val = pic_poll(c, c == &pic->s.chip[PIC_MASTER]);
        pic_cascade(pic);
        return val;
    }
    if (port & 1)
        return c->imr;
    return (c->flags & PIC_F_READ_ISR) ? c->isr : c->irr;
}

void pic_io_write(struct pic *pic, uint16_t port, unsigned int size, uint32_t val)
{
    struct pic_chip_state *c;

    if (size != 1)
        return;
    if (port == PIC_ELCR_MASTER || port == PIC_ELCR_SLAVE) {
        pic->s.chip[port & 1].elcr = val & pic_elcr_mask[port & 1];
        return;
    }
    if ((port & ~0x81u) != 0x20)
        return;
    c = &pic->s.chip[port >> 7];
    if (port & 1)
        pic_write_data(c, val);
    else
        pic_write_cmd(c, val);
    pic_cascade(pic);
}

uint64_t pic_next_event(struct pic *pic)
{
    return VDEV_NO_EVENT;
}

void pic_update(struct pic *pic)
{
}

size_t pic_save(const struct pic *pic, void *buf, size_t len)
{
    uint32_t hdr[2] = { PIC_SAVE_MAGIC, PIC_SAVE_VERSION };

    if (len < PIC_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &pic->s, sizeof(pic->s));
    return PIC_SAVE_SIZE;
}

static bool pic_chip_valid(const struct pic_chip_state *c, unsigned int idx)
{
    return !(c->elcr & ~pic_elcr_mask[idx]) && !(c->base & 7) && c->init_step <= PIC_WANT_ICW4 &&
           c->priority_add < 8 && c->pad == 0 && !(c->flags & ~PIC_F_ALL);
}

int pic_load(struct pic *pic, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct pic_state s;

    if (len != PIC_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != PIC_SAVE_MAGIC || hdr[1] != PIC_SAVE_VERSION ||
        !pic_chip_valid(&s.chip[PIC_MASTER], PIC_MASTER) ||
        !pic_chip_valid(&s.chip[PIC_SLAVE], PIC_SLAVE))
        return -EINVAL;
    pic->s = s;
    return 0;
}
