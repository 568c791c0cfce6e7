/*
 * The HPET. The main counter is a function of guest time while enabled; each timer keeps the
 * clock (counted from the last enable) of its next match, recomputed from the comparator
 * whenever anything that moves it is written, so hpet_update only compares two numbers.
 */
#include <keel/vdev_hpet.h>
#include <keel/string.h>

#define HPET_FS_PER_NS 1000000ull
#define HPET_SAVE_MAGIC 0x54455048u   /* "HPET" */
#define HPET_SAVE_VERSION 1u
#define HPET_TN_WRITABLE (HPET_TN_LEVEL | HPET_TN_INT_ENB | HPET_TN_VAL_SET | HPET_TN_32BIT | \
                          HPET_TN_ROUTE | HPET_TN_FSB_EN)
#define HPET_STATUS_MASK ((1ull << HPET_NUM_TIMERS) - 1)

/* Clocks in ns nanoseconds: split at a whole number of periods so nothing overflows. */
static uint64_t hpet_ticks(uint64_t ns)
{
    return ns / HPET_PERIOD_FS * HPET_FS_PER_NS + ns % HPET_PERIOD_FS * HPET_FS_PER_NS /
           HPET_PERIOD_FS;
}

/* The first nanosecond at which hpet_ticks reaches t, saturating at VDEV_NO_EVENT. */
static uint64_t hpet_ticks_to_ns(uint64_t t)
{
    uint64_t r = t % HPET_FS_PER_NS;
    unsigned __int128 ns = (unsigned __int128)(t / HPET_FS_PER_NS) * HPET_PERIOD_FS +
                           (r * HPET_PERIOD_FS + HPET_FS_PER_NS - 1) / HPET_FS_PER_NS;

    return ns > VDEV_NO_EVENT ? VDEV_NO_EVENT : (uint64_t)ns;
}

static uint64_t hpet_ones(unsigned int size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static bool hpet_enabled(const struct hpet_state *s)
{
    return s->config & HPET_CFG_ENABLE;
}

/* Bits of the comparator that count: the low 32 in 32-bit mode. */
static uint64_t hpet_width_mask(const struct hpet_timer_state *t)
{
    return (t->config & HPET_TN_32BIT) ? 0xffffffffull : ~0ull;
}

static uint64_t hpet_timer_caps(unsigned int n)
{
    return HPET_ROUTE_CAP << 32 | HPET_TN_FSB_CAP | HPET_TN_SIZE_CAP |
           (n == 0 ? HPET_TN_PER_CAP : 0);
}

static uint64_t hpet_timer_writable(unsigned int n)
{
    return HPET_TN_WRITABLE | (n == 0 ? HPET_TN_PERIODIC : 0);
}

/* Clocks since the counter was last enabled; a start in the future counts as now. */
static uint64_t hpet_elapsed(const struct hpet *hpet)
{
    uint64_t now = hpet->env->base.now_ns(hpet->env->base.ctx);

    return now > hpet->s.enable_ns ? hpet_ticks(now - hpet->s.enable_ns) : 0;
}

static uint64_t hpet_counter(const struct hpet *hpet)
{
    if (!hpet_enabled(&hpet->s))
        return hpet->s.counter;
    return hpet->s.counter + hpet_elapsed(hpet);
}

/* A later match than HPET_MAX_FIRE can only come from a far-off comparator: never. */
static uint64_t hpet_fire_after(uint64_t fire, unsigned __int128 delta)
{
    return fire + delta > HPET_MAX_FIRE ? HPET_NEVER : fire + (uint64_t)delta;
}

/* Finds timer n's next match from its comparator and the counter now, elapsed clocks in. */
static void hpet_timer_arm(struct hpet *hpet, unsigned int n, uint64_t elapsed)
{
    struct hpet_timer_state *t = &hpet->s.t[n];
    uint64_t delta = (t->cmp - (hpet->s.counter + elapsed)) & hpet_width_mask(t);

    t->fire = hpet_enabled(&hpet->s) ? hpet_fire_after(elapsed, delta) : HPET_NEVER;
}

static void hpet_arm_all(struct hpet *hpet)
{
    uint64_t elapsed = hpet_enabled(&hpet->s) ? hpet_elapsed(hpet) : 0;
    unsigned int n;

    for (n = 0; n < HPET_NUM_TIMERS; n++)
        hpet_timer_arm(hpet, n, elapsed);
}

/* Timer n's GSI, or -1 if it has none (FSB delivery or a route it may not use). */
static int hpet_timer_gsi(const struct hpet_state *s, unsigned int n)
{
    const struct hpet_timer_state *t = &s->t[n];
    unsigned int route = (t->config & HPET_TN_ROUTE) >> HPET_TN_ROUTE_SHIFT;

    if ((s->config & HPET_CFG_LEGACY) && n < 2)
        return n == 0 ? HPET_LEGACY_GSI0 : HPET_LEGACY_GSI1;
    if (t->config & HPET_TN_FSB_EN)
        return -1;
    return (HPET_ROUTE_CAP >> route) & 1 ? (int)route : -1;
}

static bool hpet_timer_msi(const struct hpet_state *s, unsigned int n)
{
    return hpet_timer_gsi(s, n) < 0 && (s->t[n].config & HPET_TN_FSB_EN);
}

/* The GSIs that level-triggered timers should hold asserted in state s. */
static uint32_t hpet_lines_wanted(const struct hpet_state *s)
{
    uint32_t lines = 0;
    unsigned int n;
    int gsi;

    if (!hpet_enabled(s))
        return 0;
    for (n = 0; n < HPET_NUM_TIMERS; n++) {
        gsi = hpet_timer_gsi(s, n);
        if ((s->status >> n & 1) && (s->t[n].config & HPET_TN_INT_ENB) && gsi >= 0)
            lines |= 1u << gsi;
    }
    return lines;
}

/* Drives every line whose wanted level differs from the one last driven. */
static void hpet_sync_lines(struct hpet *hpet)
{
    uint32_t want = hpet_lines_wanted(&hpet->s);
    uint32_t change = want ^ hpet->s.lines;
    unsigned int gsi;

    hpet->s.lines = want;
    for (gsi = 0; change; gsi++, change >>= 1)
        if (change & 1)
            hpet->env->base.set_irq(hpet->env->base.ctx, gsi, (want >> gsi) & 1);
}

static void hpet_deliver(struct hpet *hpet, unsigned int n)
{
    const struct hpet_env *env = hpet->env;
    const struct hpet_timer_state *t = &hpet->s.t[n];
    int gsi = hpet_timer_gsi(&hpet->s, n);

    if (hpet_timer_msi(&hpet->s, n)) {
        if ((t->config & HPET_TN_INT_ENB) && env->msi)
            env->msi(env->base.ctx, t->fsb >> 32, (uint32_t)t->fsb);
    } else if (t->config & HPET_TN_LEVEL) {
        hpet->s.status |= 1ull << n;
        hpet_sync_lines(hpet);
    } else if ((t->config & HPET_TN_INT_ENB) && gsi >= 0 && !(hpet->s.lines >> gsi & 1)) {
        env->base.set_irq(env->base.ctx, gsi, true);
        env->base.set_irq(env->base.ctx, gsi, false);
    }
}

/*
 * Moves a matched timer to its first match after elapsed: whole periods on in periodic mode,
 * otherwise the next time the counter comes round to the unchanged comparator.
 */
static void hpet_timer_advance(struct hpet_timer_state *t, uint64_t elapsed)
{
    uint64_t mask = hpet_width_mask(t);
    uint64_t period = (t->config & HPET_TN_PERIODIC) ? t->period & mask : 0;
    uint64_t step = period ? period : mask + 1;
    uint64_t k;

    if (!step) {                            /* 64-bit one-shot: the wrap is never reached */
        t->fire = HPET_NEVER;
        return;
    }
    k = (elapsed - t->fire) / step + 1;
    if (period)
        t->cmp = (t->cmp + k * period) & mask;
    t->fire = hpet_fire_after(t->fire, (unsigned __int128)k * step);
}

static void hpet_write_config(struct hpet *hpet, uint64_t val)
{
    struct hpet_state *s = &hpet->s;
    uint64_t old = s->config;

    val &= HPET_CFG_ENABLE | HPET_CFG_LEGACY;
    if ((old & HPET_CFG_ENABLE) && !(val & HPET_CFG_ENABLE))
        s->counter += hpet_elapsed(hpet);   /* the counter holds where it stopped */
    if (!(old & HPET_CFG_ENABLE) && (val & HPET_CFG_ENABLE))
        s->enable_ns = hpet->env->base.now_ns(hpet->env->base.ctx);
    s->config = val;
    if ((old ^ val) & HPET_CFG_ENABLE)
        hpet_arm_all(hpet);
    hpet_sync_lines(hpet);
}

static void hpet_write_timer_config(struct hpet *hpet, unsigned int n, uint64_t val)
{
    struct hpet_timer_state *t = &hpet->s.t[n];

    t->config = val & hpet_timer_writable(n);
    if (!(t->config & HPET_TN_LEVEL))
        hpet->s.status &= ~(1ull << n);     /* edge timers have no status */
    t->cmp &= hpet_width_mask(t);
    t->period &= hpet_width_mask(t);
    hpet_timer_arm(hpet, n, hpet_enabled(&hpet->s) ? hpet_elapsed(hpet) : 0);
    hpet_sync_lines(hpet);
}

/* Only the bits in mask are written: a 4-byte access reaches half the register. */
static void hpet_write_cmp(struct hpet *hpet, unsigned int n, uint64_t val, uint64_t mask)
{
    struct hpet_timer_state *t = &hpet->s.t[n];

    mask &= hpet_width_mask(t);
    if (!(t->config & HPET_TN_PERIODIC) || (t->config & HPET_TN_VAL_SET))
        t->cmp = (t->cmp & ~mask) | (val & mask);
    if (t->config & HPET_TN_PERIODIC)
        t->period = (t->period & ~mask) | (val & mask);
    t->config &= ~HPET_TN_VAL_SET;
    hpet_timer_arm(hpet, n, hpet_enabled(&hpet->s) ? hpet_elapsed(hpet) : 0);
}

static void hpet_write_timer(struct hpet *hpet, uint32_t reg, uint64_t val, uint64_t mask)
{
    unsigned int n = (reg - HPET_REG_TIMER(0)) / 0x20;
    struct hpet_timer_state *t = &hpet->s.t[n];

    switch (reg & 0x18) {
    case 0x00:
        hpet_write_timer_config(hpet, n, (t->config & ~mask) | (val & mask));
        break;
    case 0x08:
        hpet_write_cmp(hpet, n, val, mask);
        break;
    case 0x10:
        t->fsb = (t->fsb & ~mask) | (val & mask);
        break;
    }
}

static void hpet_write_reg(struct hpet *hpet, uint32_t reg, uint64_t val, uint64_t mask)
{
    struct hpet_state *s = &hpet->s;

    if (reg == HPET_REG_CONFIG) {
        hpet_write_config(hpet, (s->config & ~mask) | (val & mask));
    } else if (reg == HPET_REG_STATUS) {
        s->status &= ~(val & mask);
        hpet_sync_lines(hpet);
    } else if (reg == HPET_REG_COUNTER) {
        /* Writing a running counter is undefined on hardware; ignoring it keeps time sane. */
        if (!hpet_enabled(s))
            s->counter = (s->counter & ~mask) | (val & mask);
    } else if (reg >= HPET_REG_TIMER(0) && reg < HPET_REG_TIMER(HPET_NUM_TIMERS)) {
        hpet_write_timer(hpet, reg, val, mask);
    }
}

static uint64_t hpet_read_timer(const struct hpet *hpet, uint32_t reg)
{
    unsigned int n = (reg - HPET_REG_TIMER(0)) / 0x20;
    const struct hpet_timer_state *t = &hpet->s.t[n];

    switch (reg & 0x18) {
    case 0x00:
        return t->config | hpet_timer_caps(n);
    case 0x08:
        return t->cmp;
    case 0x10:
        return t->fsb;
    default:
        return 0;
    }
}

static uint64_t hpet_read_reg(const struct hpet *hpet, uint32_t reg)
{
    if (reg == HPET_REG_CAP)
        return HPET_CAP_ID;
    if (reg == HPET_REG_CONFIG)
        return hpet->s.config;
    if (reg == HPET_REG_STATUS)
        return hpet->s.status;
    if (reg == HPET_REG_COUNTER)
        return hpet_counter(hpet);
    if (reg >= HPET_REG_TIMER(0) && reg < HPET_REG_TIMER(HPET_NUM_TIMERS))
        return hpet_read_timer(hpet, reg);
    return 0;
}

static bool hpet_access_ok(uint32_t offset, unsigned int size)
{
    return (size == 4 || size == 8) && !(offset & (size - 1)) && offset < HPET_BLOCK_LEN;
}

uint64_t hpet_mmio_read(struct hpet *hpet, uint32_t offset, unsigned int size)
{
    unsigned int shift = (offset & 4) * 8;

    if (!hpet_access_ok(offset, size))
        return hpet_ones(size);
    return (hpet_read_reg(hpet, offset & ~7u) >> shift) & hpet_ones(size);
}

void hpet_mmio_write(struct hpet *hpet, uint32_t offset, unsigned int size, uint64_t val)
{
    unsigned int shift = (offset & 4) * 8;

    if (!hpet_access_ok(offset, size))
        return;
    hpet_write_reg(hpet, offset & ~7u, (val & hpet_ones(size)) << shift,
                   hpet_ones(size) << shift);
}

uint64_t hpet_next_event(struct hpet *hpet)
{
    uint64_t fire = HPET_NEVER, delay, last = VDEV_NO_EVENT - 1;
    unsigned int n;

    for (n = 0; n < HPET_NUM_TIMERS; n++)
        fire = MIN(fire, hpet->s.t[n].fire);
    if (fire == HPET_NEVER)
        return VDEV_NO_EVENT;
    /* A match too far off for 64-bit nanoseconds is reported as the last representable time. */
    delay = hpet_ticks_to_ns(fire);
    if (hpet->s.enable_ns >= last || delay >= last - hpet->s.enable_ns)
        return last;
    return hpet->s.enable_ns + delay;
}

void hpet_update(struct hpet *hpet)
{
    struct hpet_timer_state *t;
    uint64_t elapsed;
    unsigned int n;

    if (!hpet_enabled(&hpet->s))
        return;
    elapsed = hpet_elapsed(hpet);
    for (n = 0; n < HPET_NUM_TIMERS; n++) {
        t = &hpet->s.t[n];
        if (t->fire > elapsed)
            continue;
        hpet_deliver(hpet, n);
        hpet_timer_advance(t, elapsed);
    }
}

/* Power-on state: counter stopped at 0, comparators all ones, every timer masked. */
void hpet_reset(struct hpet *hpet)
{
    unsigned int n;

    memset(&hpet->s.t, 0, sizeof(hpet->s.t));
    hpet->s.config = 0;
    hpet->s.status = 0;
    hpet->s.counter = 0;
    hpet->s.enable_ns = 0;
    hpet->s.pad = 0;
    for (n = 0; n < HPET_NUM_TIMERS; n++) {
        hpet->s.t[n].cmp = ~0ull;
        hpet->s.t[n].fire = HPET_NEVER;
    }
    hpet_sync_lines(hpet);                  /* lowers whatever was still asserted */
}

void hpet_init(struct hpet *hpet, const struct hpet_env *env)
{
    memset(hpet, 0, sizeof(*hpet));
    hpet->env = env;
    hpet_reset(hpet);
}

size_t hpet_save(const struct hpet *hpet, void *buf, size_t len)
{
    uint32_t hdr[2] = { HPET_SAVE_MAGIC, HPET_SAVE_VERSION };

    if (len < HPET_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &hpet->s, sizeof(hpet->s));
    return HPET_SAVE_SIZE;
}

static bool hpet_timer_valid(const struct hpet_state *s, unsigned int n)
{
    const struct hpet_timer_state *t = &s->t[n];
    uint64_t mask = hpet_width_mask(t);
    /* A pending match is always where the counter's (low) bits equal the comparator. */
    bool fire_ok = t->fire == HPET_NEVER ||
                   (hpet_enabled(s) && t->fire <= HPET_MAX_FIRE &&
                    !((s->counter + t->fire - t->cmp) & mask));

    return !(t->config & ~hpet_timer_writable(n)) && !(t->cmp & ~mask) &&
           !(t->period & ~mask) && (n == 0 || !t->period) && fire_ok &&
           (!(s->status >> n & 1) || (t->config & HPET_TN_LEVEL));
}

int hpet_load(struct hpet *hpet, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct hpet_state s;
    unsigned int n;

    if (len != HPET_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != HPET_SAVE_MAGIC || hdr[1] != HPET_SAVE_VERSION ||
        (s.config & ~(HPET_CFG_ENABLE | HPET_CFG_LEGACY)) || (s.status & ~HPET_STATUS_MASK) ||
        s.pad || s.lines != hpet_lines_wanted(&s))
        return -EINVAL;
    for (n = 0; n < HPET_NUM_TIMERS; n++)
        if (!hpet_timer_valid(&s, n))
            return -EINVAL;
    hpet->s = s;
    return 0;
}
