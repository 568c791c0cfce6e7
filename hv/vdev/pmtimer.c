/*
 * The ACPI PM1a registers and PM timer. Accesses are split into bytes so that every access
 * size and alignment the chipset accepts behaves the same way; only the timer has no state.
 */
#include <keel/vdev_pmtimer.h>
#include <keel/string.h>

#define PMTIMER_NS_PER_S 1000000000ull
#define PMTIMER_MSB_SHIFT 23
#define PMTIMER_OFF_TMR 8
#define PMTIMER_SAVE_MAGIC 0x4d544d50u  /* "PMTM" */
#define PMTIMER_SAVE_VERSION 1u

static uint64_t pmtimer_ticks(uint64_t ns)
{
    return ns / PMTIMER_NS_PER_S * PMTIMER_FREQ_HZ +
           ns % PMTIMER_NS_PER_S * PMTIMER_FREQ_HZ / PMTIMER_NS_PER_S;
}

/* The first guest nanosecond at which pmtimer_ticks reaches t. */
static uint64_t pmtimer_ticks_to_ns(uint64_t t)
{
    uint64_t r = t % PMTIMER_FREQ_HZ;

    return t / PMTIMER_FREQ_HZ * PMTIMER_NS_PER_S +
           (r * PMTIMER_NS_PER_S + PMTIMER_FREQ_HZ - 1) / PMTIMER_FREQ_HZ;
}

static uint64_t pmtimer_now(const struct pmtimer *pm)
{
    return pm->env->now_ns(pm->env->ctx);
}

static void pmtimer_sci(struct pmtimer *pm)
{
    uint8_t level = (pm->s.sts & pm->s.en) != 0;

    if (level != pm->s.sci) {
        pm->s.sci = level;
        pm->env->set_irq(pm->env->ctx, PMTIMER_SCI_IRQ, level);
    }
}

static void pmtimer_catch_up(struct pmtimer *pm, uint64_t now)
{
    uint64_t periods = pmtimer_ticks(now) >> PMTIMER_MSB_SHIFT;

    if (periods > pm->s.periods) {
        pm->s.sts |= PMTIMER_STS_TMR;
        pm->s.periods = periods;
    }
    pmtimer_sci(pm);
}

static uint8_t pmtimer_read_byte(const struct pmtimer *pm, unsigned int off, uint64_t now)
{
    uint32_t tmr = pmtimer_ticks(now) & 0xffffff;

    switch (off) {
    case 0: case 1: return pm->s.sts >> (8 * (off & 1));
    case 2: case 3: return pm->s.en >> (8 * (off & 1));
    case 4: case 5: return pm->s.cnt >> (8 * (off & 1));
    case 6: case 7: return 0;
    case 8: case 9: case 10: case 11: return tmr >> (8 * (off - PMTIMER_OFF_TMR));
    default: return 0xff;
    }
}

/* Writes one byte of a 16-bit register, keeping only the bits in mask. */
static void pmtimer_set_half(uint16_t *reg, unsigned int off, uint8_t val, uint16_t mask)
{
    unsigned int shift = 8 * (off & 1);

    *reg = ((*reg & ~(0xff << shift)) | val << shift) & mask;
}

static void pmtimer_write_byte(struct pmtimer *pm, unsigned int off, uint8_t val)
{
    unsigned int shift = 8 * (off & 1);

    if (off < 2) {
        pm->s.sts &= ~(val << shift);                    /* write 1 to clear */
    } else if (off < 4) {
        pmtimer_set_half(&pm->s.en, off, val, PMTIMER_EN_MASK);
    } else if (off < 6) {
        pmtimer_set_half(&pm->s.cnt, off, val, PMTIMER_CNT_MASK);
        if (off == 5 && (val << 8 & PMTIMER_CNT_SLP_EN))
            pm->s.sleep_type = (val >> 2) & 7;
    }
}

static bool pmtimer_size_ok(unsigned int size)
{
    return size == 1 || size == 2 || size == 4;
}

uint32_t pmtimer_io_read(struct pmtimer *pm, uint16_t port, unsigned int size)
{
    uint64_t now = pmtimer_now(pm);
    uint32_t val = 0;
    unsigned int i;

    if (!pmtimer_size_ok(size))
        return 0xffffffffu;
    pmtimer_catch_up(pm, now);
    for (i = 0; i < size; i++)
        val |= (uint32_t)pmtimer_read_byte(pm, (uint16_t)(port + i - pm->base), now) << (8 * i);
    return val;
}

void pmtimer_io_write(struct pmtimer *pm, uint16_t port, unsigned int size, uint32_t val)
{
    unsigned int i;

    if (!pmtimer_size_ok(size))
        return;
    pmtimer_catch_up(pm, pmtimer_now(pm));
    for (i = 0; i < size; i++)
        pmtimer_write_byte(pm, (uint16_t)(port + i - pm->base), val >> (8 * i));
    pmtimer_sci(pm);
}

void pmtimer_power_button(struct pmtimer *pm)
{
    pmtimer_catch_up(pm, pmtimer_now(pm));
    pm->s.sts |= PMTIMER_STS_PWRBTN;
    pmtimer_sci(pm);
}

int pmtimer_sleep_request(struct pmtimer *pm)
{
    int type = pm->s.sleep_type;

    pm->s.sleep_type = PMTIMER_NO_SLEEP;
    return type == PMTIMER_NO_SLEEP ? -1 : type;
}

/* Only the timer produces events, and only an enabled one whose status is clear. */
uint64_t pmtimer_next_event(struct pmtimer *pm)
{
    uint64_t t = (pm->s.periods + 1) << PMTIMER_MSB_SHIFT;

    if (!(pm->s.en & PMTIMER_EN_TMR) || (pm->s.sts & PMTIMER_STS_TMR))
        return VDEV_NO_EVENT;
    /* A loaded count of periods may reach beyond 64-bit time: the last time, never a wrap. */
    if (t / PMTIMER_FREQ_HZ >= VDEV_NO_EVENT / PMTIMER_NS_PER_S)
        return VDEV_NO_EVENT - 1;
    return pmtimer_ticks_to_ns(t);
}

void pmtimer_update(struct pmtimer *pm)
{
    pmtimer_catch_up(pm, pmtimer_now(pm));
}

void pmtimer_reset(struct pmtimer *pm)
{
    uint8_t sci = pm->s.sci;

    memset(&pm->s, 0, sizeof(pm->s));
    pm->s.sleep_type = PMTIMER_NO_SLEEP;
    pm->s.periods = pmtimer_ticks(pmtimer_now(pm)) >> PMTIMER_MSB_SHIFT;
    /* The line is still asserted if the SCI was: lower it, or it would stay up for good. */
    pm->s.sci = sci;
    pmtimer_sci(pm);
}

void pmtimer_init(struct pmtimer *pm, const struct vdev_env *env, uint16_t base)
{
    memset(pm, 0, sizeof(*pm));
    pm->env = env;
    pm->base = base;
    pmtimer_reset(pm);
}

size_t pmtimer_save(const struct pmtimer *pm, void *buf, size_t len)
{
    uint32_t hdr[2] = { PMTIMER_SAVE_MAGIC, PMTIMER_SAVE_VERSION };

    if (len < PMTIMER_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &pm->s, sizeof(pm->s));
    return PMTIMER_SAVE_SIZE;
}

static bool pmtimer_valid(const struct pmtimer_state *s)
{
    return s->periods <= PMTIMER_MAX_PERIODS && !(s->sts & ~PMTIMER_STS_MASK) &&
           !(s->en & ~PMTIMER_EN_MASK) && !(s->cnt & ~PMTIMER_CNT_MASK) &&
           (s->sleep_type <= 7 || s->sleep_type == PMTIMER_NO_SLEEP) &&
           s->sci == ((s->sts & s->en) != 0);
}

int pmtimer_load(struct pmtimer *pm, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct pmtimer_state s;

    if (len != PMTIMER_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != PMTIMER_SAVE_MAGIC || hdr[1] != PMTIMER_SAVE_VERSION || !pmtimer_valid(&s))
        return -EINVAL;
    pm->s = s;
    return 0;
}
