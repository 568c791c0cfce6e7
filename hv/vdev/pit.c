/*
 * The 8254. A counter's state is its reload value and load time; everything the guest can see
 * (count, OUT, the status byte) is a function of the clocks elapsed since the load, given by
 * the per-mode table below.
 */
#include <keel/vdev_pit.h>
#include <keel/string.h>

#define PIT_NS_PER_S 1000000000ull
#define PIT_REFRESH_NS 15000ull      /* port 0x61 bit 4 toggles at this interval */
#define PIT_SAVE_MAGIC 0x34353238u   /* "8254" */
#define PIT_SAVE_VERSION 1u

struct pit_mode {
    uint32_t (*count)(uint32_t n, uint64_t d);
    bool (*out)(uint32_t n, uint64_t d);
    uint32_t irq_delay;     /* clocks after terminal count at which OUT rises (the IRQ edge) */
    bool periodic;
    bool gate_restarts;     /* a rising gate reloads the count */
};

static uint32_t pit_count_oneshot(uint32_t n, uint64_t d)
{
    return (uint32_t)((n - d) & 0xffff);
}

static uint32_t pit_count_rate(uint32_t n, uint64_t d)
{
    return (n - d % n) & 0xffff;
}

/* Mode 3 decrements by two, reloading at each half period. */
static uint32_t pit_count_square(uint32_t n, uint64_t d)
{
    return (n - (2 * d) % n) & 0xffff;
}

static bool pit_out_terminal(uint32_t n, uint64_t d)
{
    return d >= n;
}

static bool pit_out_rate(uint32_t n, uint64_t d)
{
    return d % n != n - 1;           /* low for the one clock when the count is 1 */
}

static bool pit_out_square(uint32_t n, uint64_t d)
{
    return d % n < (n + 1) / 2;      /* odd counts are high one clock longer */
}

static bool pit_out_strobe(uint32_t n, uint64_t d)
{
    return d != n;                   /* low for the one clock at terminal count */
}

static const struct pit_mode pit_modes[6] = {
    { pit_count_oneshot, pit_out_terminal, 0, false, false },
    { pit_count_oneshot, pit_out_terminal, 0, false, true },
    { pit_count_rate, pit_out_rate, 0, true, true },
    { pit_count_square, pit_out_square, 0, true, true },
    { pit_count_oneshot, pit_out_strobe, 1, false, false },
    { pit_count_oneshot, pit_out_strobe, 1, false, true },
};

static uint32_t pit_ones(unsigned int size)
{
    return size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu;
}

static const struct pit_mode *pit_mode_of(const struct pit_channel_state *c)
{
    return &pit_modes[c->mode > 5 ? c->mode - 4 : c->mode];
}

static uint64_t pit_now(const struct pit *pit)
{
    return pit->env->now_ns(pit->env->ctx);
}

/* Clocks since the load; split so that the product cannot overflow. */
static uint64_t pit_ticks(const struct pit_channel_state *c, uint64_t now)
{
    uint64_t ns = now > c->load_ns ? now - c->load_ns : 0;

    return ns / PIT_NS_PER_S * PIT_FREQ_HZ + ns % PIT_NS_PER_S * PIT_FREQ_HZ / PIT_NS_PER_S;
}

/* The first guest nanosecond at which pit_ticks reaches t. */
static uint64_t pit_ticks_to_ns(uint64_t t)
{
    uint64_t r = t % PIT_FREQ_HZ;

    return t / PIT_FREQ_HZ * PIT_NS_PER_S + (r * PIT_NS_PER_S + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
}

static bool pit_gate(const struct pit *pit, unsigned int ch)
{
    return ch != 2 || (pit->s.port61 & 1);
}

static bool pit_out(const struct pit *pit, unsigned int ch, uint64_t now)
{
    const struct pit_channel_state *c = &pit->s.ch[ch];
    const struct pit_mode *m = pit_mode_of(c);

    if (!(c->flags & PIT_F_COUNTING))
        return c->mode != 0;         /* the control word sets OUT low in mode 0, high otherwise */
    if (m->periodic && !pit_gate(pit, ch))
        return true;
    return m->out(c->reload, pit_ticks(c, now));
}

static uint16_t pit_count(const struct pit_channel_state *c, uint64_t now)
{
    if (!(c->flags & PIT_F_COUNTING))
        return c->reload & 0xffff;
    return pit_mode_of(c)->count(c->reload, pit_ticks(c, now));
}

static void pit_start(struct pit *pit, unsigned int ch, uint64_t now)
{
    struct pit_channel_state *c = &pit->s.ch[ch];

    c->load_ns = now;
    c->flags = (c->flags | PIT_F_COUNTING) & ~PIT_F_NULL;
    if (ch == 0)
        c->irq_ticks = c->reload + pit_mode_of(c)->irq_delay;
}

static void pit_load_count(struct pit *pit, unsigned int ch, uint32_t count)
{
    pit->s.ch[ch].reload = count ? count : 0x10000;
    pit_start(pit, ch, pit_now(pit));
}

static void pit_write_count(struct pit *pit, unsigned int ch, uint8_t val)
{
    struct pit_channel_state *c = &pit->s.ch[ch];

    if (c->rw == PIT_RW_LO) {
        pit_load_count(pit, ch, val);
    } else if (c->rw == PIT_RW_HI) {
        pit_load_count(pit, ch, (uint32_t)val << 8);
    } else if (!(c->flags & PIT_F_WRITE_HI)) {
        c->write_lo = val;
        c->flags |= PIT_F_WRITE_HI | PIT_F_NULL;
        /* In mode 0 the first byte stops the count, so OUT stays low until the second. */
        if (c->mode == 0) {
            c->flags &= ~PIT_F_COUNTING;
            c->irq_ticks = PIT_NO_IRQ;
        }
    } else {
        c->flags &= ~PIT_F_WRITE_HI;
        pit_load_count(pit, ch, c->write_lo | (uint32_t)val << 8);
    }
}

/* Takes the next byte of a latched (or live) 16-bit value in the order the rw mode says. */
static uint8_t pit_latch_byte(struct pit_channel_state *c)
{
    uint8_t state = c->latch_state;

    c->latch_state = state == PIT_RW_WORD ? PIT_RW_HI : 0;
    return state == PIT_RW_HI ? c->latch >> 8 : c->latch & 0xff;
}

static uint8_t pit_read_count(struct pit *pit, unsigned int ch)
{
    struct pit_channel_state *c = &pit->s.ch[ch];
    uint16_t count;
    bool hi;

    if (c->flags & PIT_F_STATUS_LATCHED) {
        c->flags &= ~PIT_F_STATUS_LATCHED;
        return c->status;
    }
    if (c->latch_state)
        return pit_latch_byte(c);
    count = pit_count(c, pit_now(pit));
    hi = c->rw == PIT_RW_HI || (c->rw == PIT_RW_WORD && (c->flags & PIT_F_READ_HI));
    if (c->rw == PIT_RW_WORD)
        c->flags ^= PIT_F_READ_HI;
    return hi ? count >> 8 : count & 0xff;
}

/* A second latch before the first is read is ignored: the first value is kept. */
static void pit_latch_count(struct pit *pit, unsigned int ch, uint64_t now)
{
    struct pit_channel_state *c = &pit->s.ch[ch];

    if (c->latch_state)
        return;
    c->latch = pit_count(c, now);
    c->latch_state = c->rw;
}

static void pit_latch_status(struct pit *pit, unsigned int ch, uint64_t now)
{
    struct pit_channel_state *c = &pit->s.ch[ch];
    bool null = (c->flags & PIT_F_NULL) ||
                ((c->flags & PIT_F_COUNTING) && pit_ticks(c, now) == 0);

    if (c->flags & PIT_F_STATUS_LATCHED)
        return;
    c->status = (pit_out(pit, ch, now) ? 0x80 : 0) | (null ? 0x40 : 0) | c->rw << 4 |
                c->mode << 1 | c->bcd;
    c->flags |= PIT_F_STATUS_LATCHED;
}

/* Read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 3-1 pick counters. */
static void pit_read_back(struct pit *pit, uint8_t val)
{
    uint64_t now = pit_now(pit);
    unsigned int ch;

    for (ch = 0; ch < 3; ch++) {
        if (!(val & (2u << ch)))
            continue;
        if (!(val & 0x20))
            pit_latch_count(pit, ch, now);
        if (!(val & 0x10))
            pit_latch_status(pit, ch, now);
    }
}

static void pit_control(struct pit *pit, uint8_t val)
{
    unsigned int ch = val >> 6;
    struct pit_channel_state *c;

    if (ch == 3) {
        pit_read_back(pit, val);
        return;
    }
    if (!(val & 0x30)) {
        pit_latch_count(pit, ch, pit_now(pit));
        return;
    }
    c = &pit->s.ch[ch];
    c->rw = (val >> 4) & 3;
    c->mode = (val >> 1) & 7;
    c->bcd = val & 1;
    c->latch_state = 0;
    c->flags = PIT_F_NULL;           /* stops counting, drops latches and byte toggles */
    c->irq_ticks = PIT_NO_IRQ;
}

static uint8_t pit_read61(struct pit *pit)
{
    uint64_t now = pit_now(pit);
    uint8_t val = pit->s.port61 & 0x0f;

    if ((now / PIT_REFRESH_NS) & 1)
        val |= 0x10;
    if (pit_out(pit, 2, now))
        val |= 0x20;
    return val;
}

static void pit_write61(struct pit *pit, uint8_t val)
{
    struct pit_channel_state *c = &pit->s.ch[2];
    bool rising = (val & 1) && !(pit->s.port61 & 1);

    pit->s.port61 = val & 0x0f;
    if (rising && (c->flags & PIT_F_COUNTING) && pit_mode_of(c)->gate_restarts)
        pit_start(pit, 2, pit_now(pit));
}

uint32_t pit_io_read(struct pit *pit, uint16_t port, unsigned int size)
{
    if (size != 1)
        return pit_ones(size);
    if (port >= PIT_PORT_CH0 && port < PIT_PORT_CTRL)
        return pit_read_count(pit, port - PIT_PORT_CH0);
    if (port == PIT_PORT_61)
        return pit_read61(pit);
    return 0xff;                     /* the control word register cannot be read */
}

void pit_io_write(struct pit *pit, uint16_t port, unsigned int size, uint32_t val)
{
    if (size != 1)
        return;
    if (port >= PIT_PORT_CH0 && port < PIT_PORT_CTRL)
        pit_write_count(pit, port - PIT_PORT_CH0, val);
    else if (port == PIT_PORT_CTRL)
        pit_control(pit, val);
    else if (port == PIT_PORT_61)
        pit_write61(pit, val);
}

uint64_t pit_next_event(struct pit *pit)
{
    const struct pit_channel_state *c = &pit->s.ch[0];
    uint64_t delay;

    if (c->irq_ticks == PIT_NO_IRQ)
        return VDEV_NO_EVENT;
    delay = pit_ticks_to_ns(c->irq_ticks);
    return c->load_ns > VDEV_NO_EVENT - 1 - delay ? VDEV_NO_EVENT - 1 : c->load_ns + delay;
}

void pit_update(struct pit *pit)
{
    struct pit_channel_state *c = &pit->s.ch[0];
    uint64_t d;

    if (c->irq_ticks == PIT_NO_IRQ)
        return;
    d = pit_ticks(c, pit_now(pit));
    if (d < c->irq_ticks)
        return;
    pit->env->set_irq(pit->env->ctx, PIT_IRQ, true);
    pit->env->set_irq(pit->env->ctx, PIT_IRQ, false);
    /* One pulse however late we are; the next is the first period boundary still ahead. */
    if (pit_mode_of(c)->periodic)
        c->irq_ticks = (d / c->reload + 1) * c->reload;
    else
        c->irq_ticks = PIT_NO_IRQ;
}

/* Power-on state as the BIOS finds it: every counter in mode 3 with count 65536, running. */
void pit_reset(struct pit *pit)
{
    uint64_t now = pit_now(pit);
    unsigned int ch;

    memset(&pit->s, 0, sizeof(pit->s));
    for (ch = 0; ch < 3; ch++) {
        pit->s.ch[ch].mode = 3;
        pit->s.ch[ch].rw = PIT_RW_WORD;
        pit->s.ch[ch].reload = 0x10000;
        pit->s.ch[ch].irq_ticks = PIT_NO_IRQ;
        pit_start(pit, ch, now);
    }
}

void pit_init(struct pit *pit, const struct vdev_env *env)
{
    memset(pit, 0, sizeof(*pit));
    pit->env = env;
    pit_reset(pit);
}

size_t pit_save(const struct pit *pit, void *buf, size_t len)
{
    uint32_t hdr[2] = { PIT_SAVE_MAGIC, PIT_SAVE_VERSION };

    if (len < PIT_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &pit->s, sizeof(pit->s));
    return PIT_SAVE_SIZE;
}

static bool pit_zero(const uint8_t *p, size_t n)
{
    while (n--)
        if (*p++)
            return false;
    return true;
}

static bool pit_channel_valid(const struct pit_channel_state *c, unsigned int ch)
{
    bool irq_ok = c->irq_ticks == PIT_NO_IRQ ||
                  (ch == 0 && (c->flags & PIT_F_COUNTING) && c->irq_ticks <= PIT_MAX_IRQ_TICKS);

    return c->reload >= 1 && c->reload <= 0x10000 && c->mode <= 7 && c->rw >= PIT_RW_LO &&
           c->rw <= PIT_RW_WORD && c->bcd <= 1 && c->latch_state <= PIT_RW_WORD &&
           !(c->flags & ~PIT_F_ALL) && pit_zero(c->pad, sizeof(c->pad)) && irq_ok;
}

int pit_load(struct pit *pit, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct pit_state s;
    unsigned int ch;

    if (len != PIT_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != PIT_SAVE_MAGIC || hdr[1] != PIT_SAVE_VERSION || (s.port61 & ~0x0f) ||
        !pit_zero(s.pad, sizeof(s.pad)))
        return -EINVAL;
    for (ch = 0; ch < 3; ch++)
        if (!pit_channel_valid(&s.ch[ch], ch))
            return -EINVAL;
    pit->s = s;
    return 0;
}
