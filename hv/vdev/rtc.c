/*
 * The MC146818. Dates are converted with the days-from-civil arithmetic of the proleptic
 * Gregorian calendar, so months and leap years need no tables beyond the algorithm itself.
 */
#include <keel/vdev_rtc.h>
#include <keel/string.h>

#define RTC_NS_PER_S 1000000000ull
#define RTC_SECS_PER_DAY 86400u
#define RTC_SAVE_MAGIC 0x36343143u   /* "C146" */
#define RTC_SAVE_VERSION 1u

/* Time register indices: seconds, minutes, hours, weekday, day, month, year. */
enum { RTC_SEC = 0, RTC_ALARM_SEC = 1, RTC_MIN = 2, RTC_ALARM_MIN = 3, RTC_HOUR = 4,
       RTC_ALARM_HOUR = 5, RTC_WDAY = 6, RTC_MDAY = 7, RTC_MONTH = 8, RTC_YEAR = 9 };

/* Periodic interrupt: log2 of the period in 32.768 kHz clocks for each register A rate. */
static const uint8_t rtc_rate_shift[16] = { 0, 7, 8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

struct rtc_tm {
    uint32_t year, month, mday, wday, hour, min, sec;
};

static uint32_t rtc_ones(unsigned int size)
{
    return size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu;
}

static uint64_t rtc_now(const struct rtc *rtc)
{
    return rtc->env->now_ns(rtc->env->ctx);
}

static bool rtc_set_mode(const struct rtc_state *s)
{
    return s->cmos[RTC_REG_B] & RTC_B_SET;
}

static void rtc_civil(uint64_t days, struct rtc_tm *tm)
{
    uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

    tm->mday = doy - (153 * mp + 2) / 5 + 1;
    tm->month = mp < 10 ? mp + 3 : mp - 9;
    tm->year = yoe + era * 400 + (tm->month <= 2);
    tm->wday = (days + 4) % 7;       /* 1970-01-01 was a Thursday; 0 = Sunday */
}

static uint64_t rtc_days(uint32_t y, uint32_t m, uint32_t d)
{
    uint64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void rtc_to_tm(uint64_t secs, struct rtc_tm *tm)
{
    uint32_t tod = secs % RTC_SECS_PER_DAY;

    rtc_civil(secs / RTC_SECS_PER_DAY, tm);
    tm->hour = tod / 3600;
    tm->min = tod / 60 % 60;
    tm->sec = tod % 60;
}

static uint8_t rtc_enc(const struct rtc_state *s, uint32_t v)
{
    return (s->cmos[RTC_REG_B] & RTC_B_DM) ? v : (v / 10) << 4 | v % 10;
}

static uint32_t rtc_dec(const struct rtc_state *s, uint8_t v)
{
    return (s->cmos[RTC_REG_B] & RTC_B_DM) ? v : (v >> 4) * 10 + (v & 15);
}

/* 12-hour mode shows 12 for midnight and noon, with bit 7 for PM. */
static uint8_t rtc_enc_hour(const struct rtc_state *s, uint32_t h)
{
    if (s->cmos[RTC_REG_B] & RTC_B_24H)
        return rtc_enc(s, h);
    return rtc_enc(s, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static uint32_t rtc_dec_hour(const struct rtc_state *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & RTC_B_24H)
        return MIN(rtc_dec(s, v), 23u);
    return MIN(rtc_dec(s, v & 0x7f), 12u) % 12 + (v & 0x80 ? 12 : 0);
}

static uint64_t rtc_secs_at(const struct rtc_state *s, uint64_t now)
{
    return s->base_secs + (now > s->base_ns ? (now - s->base_ns) / RTC_NS_PER_S : 0);
}

static void rtc_fill(const struct rtc_state *s, uint64_t secs, uint8_t regs[10])
{
    struct rtc_tm tm;

    rtc_to_tm(secs, &tm);
    regs[RTC_SEC] = rtc_enc(s, tm.sec);
    regs[RTC_MIN] = rtc_enc(s, tm.min);
    regs[RTC_HOUR] = rtc_enc_hour(s, tm.hour);
    regs[RTC_WDAY] = rtc_enc(s, tm.wday + 1);
    regs[RTC_MDAY] = rtc_enc(s, tm.mday);
    regs[RTC_MONTH] = rtc_enc(s, tm.month);
    regs[RTC_YEAR] = rtc_enc(s, tm.year % 100);
}

/* Out-of-range fields are clamped; a day past the month's end rolls into the next month. */
static uint64_t rtc_parse(const struct rtc_state *s, const uint8_t regs[10])
{
    uint32_t yy = rtc_dec(s, regs[RTC_YEAR]) % 100;
    uint32_t month = MIN(MAX(rtc_dec(s, regs[RTC_MONTH]), 1u), 12u);
    uint32_t mday = MIN(MAX(rtc_dec(s, regs[RTC_MDAY]), 1u), 31u);
    uint64_t days = rtc_days(yy >= 70 ? 1900 + yy : 2000 + yy, month, 1) + mday - 1;

    return days * RTC_SECS_PER_DAY + rtc_dec_hour(s, regs[RTC_HOUR]) * 3600 +
           MIN(rtc_dec(s, regs[RTC_MIN]), 59u) * 60 + MIN(rtc_dec(s, regs[RTC_SEC]), 59u);
}

static bool rtc_alarm_match(uint8_t alarm, uint8_t cur)
{
    return (alarm & 0xc0) == 0xc0 || alarm == cur;
}

/* Whether some value of the field (as the current format encodes it) matches the alarm. */
static bool rtc_alarm_possible(const struct rtc_state *s, unsigned int reg, uint32_t limit)
{
    uint32_t v;

    for (v = 0; v < limit; v++) {
        uint8_t enc = reg == RTC_ALARM_HOUR ? rtc_enc_hour(s, v) : rtc_enc(s, v);

        if (rtc_alarm_match(s->cmos[reg], enc))
            return true;
    }
    return false;
}

/* Seconds from time of day tod to the next second the alarm matches (1-86400), 0 if never. */
static uint32_t rtc_alarm_after(const struct rtc_state *s, uint32_t tod)
{
    uint32_t t = tod + 1;

    if (!rtc_alarm_possible(s, RTC_ALARM_SEC, 60) || !rtc_alarm_possible(s, RTC_ALARM_MIN, 60) ||
        !rtc_alarm_possible(s, RTC_ALARM_HOUR, 24))
        return 0;
    /* Skip whole hours, then whole minutes, that cannot match. */
    while (t <= tod + RTC_SECS_PER_DAY) {
        if (!rtc_alarm_match(s->cmos[RTC_ALARM_HOUR], rtc_enc_hour(s, t / 3600 % 24)))
            t = (t / 3600 + 1) * 3600;
        else if (!rtc_alarm_match(s->cmos[RTC_ALARM_MIN], rtc_enc(s, t / 60 % 60)))
            t = (t / 60 + 1) * 60;
        else if (!rtc_alarm_match(s->cmos[RTC_ALARM_SEC], rtc_enc(s, t % 60)))
            t++;
        else
            return t - tod;
    }
    return 0;
}

/* Whether the alarm matched at some update in (s0, s1], both in wall-clock seconds. */
static bool rtc_alarm_hit(const struct rtc_state *s, uint64_t s0, uint64_t s1)
{
    uint32_t delta = rtc_alarm_after(s, s0 % RTC_SECS_PER_DAY);

    return delta && s0 + delta <= s1;
}

/* Periods of the periodic interrupt completed by guest time ns (phase from guest time 0). */
static uint64_t rtc_periods(const struct rtc_state *s, uint64_t ns)
{
    unsigned int shift = rtc_rate_shift[s->cmos[RTC_REG_A] & 15];
    uint64_t clocks = ns / RTC_NS_PER_S * 32768 + ns % RTC_NS_PER_S * 32768 / RTC_NS_PER_S;

    return clocks >> shift;
}

/* Recomputes IRQF from the flags and enables; pulses IRQ 8 if it rose. */
static void rtc_irqf(struct rtc *rtc)
{
    uint8_t *c = &rtc->s.cmos[RTC_REG_C];
    bool was = *c & RTC_C_IRQF;

    if (*c & rtc->s.cmos[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
        *c |= RTC_C_IRQF;
    if ((*c & RTC_C_IRQF) && !was) {
        rtc->env->set_irq(rtc->env->ctx, RTC_IRQ, true);
        rtc->env->set_irq(rtc->env->ctx, RTC_IRQ, false);
    }
}

/* Sets the flags of everything that happened between last_ns and now. */
static void rtc_catch_up(struct rtc *rtc, uint64_t now)
{
    struct rtc_state *s = &rtc->s;
    uint64_t s0, s1;

    if (now <= s->last_ns)
        return;
    if (!rtc_set_mode(s)) {
        s0 = rtc_secs_at(s, s->last_ns);
        s1 = rtc_secs_at(s, now);
        if (s1 > s0)
            s->cmos[RTC_REG_C] |= RTC_C_UF;
        if (rtc_alarm_hit(s, s0, s1))
            s->cmos[RTC_REG_C] |= RTC_C_AF;
    }
    if ((s->cmos[RTC_REG_A] & 15) && rtc_periods(s, now) > rtc_periods(s, s->last_ns))
        s->cmos[RTC_REG_C] |= RTC_C_PF;
    s->last_ns = now;
    rtc_irqf(rtc);
}

/* Restarts the clock at secs, keeping the phase of the updates unless told otherwise. */
static void rtc_restart(struct rtc_state *s, uint64_t secs, uint64_t now, bool keep_phase)
{
    uint64_t phase = keep_phase && now > s->base_ns ? (now - s->base_ns) % RTC_NS_PER_S : 0;

    s->base_secs = MIN(secs, RTC_MAX_SECS);
    s->base_ns = now - MIN(phase, now);
}

void rtc_set_time(struct rtc *rtc, uint64_t unix_seconds)
{
    uint64_t now = rtc_now(rtc);

    rtc_catch_up(rtc, now);
    rtc_restart(&rtc->s, unix_seconds, now, false);
    if (rtc_set_mode(&rtc->s))
        rtc_fill(&rtc->s, rtc->s.base_secs, rtc->s.cmos);
}

static bool rtc_is_time_reg(uint8_t idx)
{
    return idx <= RTC_YEAR && idx != RTC_ALARM_SEC && idx != RTC_ALARM_MIN &&
           idx != RTC_ALARM_HOUR;
}

/* Outside SET mode a time write changes the running clock; the update phase is kept. */
static void rtc_write_time(struct rtc *rtc, uint8_t idx, uint8_t val, uint64_t now)
{
    uint8_t regs[10];

    if (rtc_set_mode(&rtc->s)) {
        rtc->s.cmos[idx] = val;
        return;
    }
    rtc_fill(&rtc->s, rtc_secs_at(&rtc->s, now), regs);
    regs[idx] = val;
    rtc_restart(&rtc->s, rtc_parse(&rtc->s, regs), now, true);
}

/* Outside SET mode the time bytes are computed on each read; keep the stored ones zero. */
static void rtc_clear_time_regs(struct rtc_state *s)
{
    uint8_t i;

    for (i = 0; i <= RTC_YEAR; i++)
        if (rtc_is_time_reg(i))
            s->cmos[i] = 0;
}

static void rtc_write_b(struct rtc *rtc, uint8_t val, uint64_t now)
{
    struct rtc_state *s = &rtc->s;
    bool was_set = rtc_set_mode(s);

    if ((val & RTC_B_SET) && !was_set)
        rtc_fill(s, rtc_secs_at(s, now), s->cmos);
    if (!(val & RTC_B_SET) && was_set) {
        rtc_restart(s, rtc_parse(s, s->cmos), now, false);
        rtc_clear_time_regs(s);
    }
    /* Setting SET clears UIE: no update-ended interrupts while the clock is being set. */
    s->cmos[RTC_REG_B] = val & RTC_B_SET ? val & ~RTC_B_UIE : val;
}

static void rtc_write_data(struct rtc *rtc, uint8_t val)
{
    struct rtc_state *s = &rtc->s;
    uint64_t now = rtc_now(rtc);
    uint8_t idx = s->index;

    rtc_catch_up(rtc, now);
    if (rtc_is_time_reg(idx))
        rtc_write_time(rtc, idx, val, now);
    else if (idx == RTC_REG_A)
        s->cmos[idx] = val & ~RTC_A_UIP;
    else if (idx == RTC_REG_B)
        rtc_write_b(rtc, val, now);
    else if (idx != RTC_REG_C && idx != RTC_REG_D)
        s->cmos[idx] = val;
    rtc_irqf(rtc);
}

static uint8_t rtc_read_data(struct rtc *rtc)
{
    struct rtc_state *s = &rtc->s;
    uint64_t now = rtc_now(rtc);
    uint8_t regs[10], val;

    if (rtc_is_time_reg(s->index) && !rtc_set_mode(s)) {
        rtc_fill(s, rtc_secs_at(s, now), regs);
        return regs[s->index];
    }
    if (s->index == RTC_REG_A) {
        bool uip = !rtc_set_mode(s) && now >= s->base_ns &&
                   (now - s->base_ns) % RTC_NS_PER_S >= RTC_NS_PER_S - RTC_UIP_NS;
        return s->cmos[RTC_REG_A] | (uip ? RTC_A_UIP : 0);
    }
    if (s->index != RTC_REG_C)
        return s->cmos[s->index];
    rtc_catch_up(rtc, now);
    val = s->cmos[RTC_REG_C];
    s->cmos[RTC_REG_C] = 0;
    return val;
}

uint32_t rtc_io_read(struct rtc *rtc, uint16_t port, unsigned int size)
{
    if (size != 1)
        return rtc_ones(size);
    if (port == RTC_PORT_DATA)
        return rtc_read_data(rtc);
    return 0xff;                     /* the index register is write-only */
}

void rtc_io_write(struct rtc *rtc, uint16_t port, unsigned int size, uint32_t val)
{
    if (size != 1)
        return;
    if (port == RTC_PORT_INDEX) {
        rtc->s.index = val & 0x7f;
        rtc->s.nmi_mask = (val >> 7) & 1;
    } else if (port == RTC_PORT_DATA) {
        rtc_write_data(rtc, val);
    }
}

/* An event time; one beyond 64-bit nanoseconds (a loaded state may ask for that) is reported
 * as the last representable time, never as a wrapped one in the past. */
static uint64_t rtc_event_ns(unsigned __int128 ns)
{
    return ns >= VDEV_NO_EVENT ? VDEV_NO_EVENT - 1 : (uint64_t)ns;
}

static uint64_t rtc_next_periodic(const struct rtc_state *s)
{
    unsigned int shift = rtc_rate_shift[s->cmos[RTC_REG_A] & 15];
    uint64_t clocks = (rtc_periods(s, s->last_ns) + 1) << shift;

    return rtc_event_ns((unsigned __int128)(clocks / 32768) * RTC_NS_PER_S +
                        (clocks % 32768 * RTC_NS_PER_S + 32767) / 32768);
}

/* Guest time of the update that ends second secs after base_secs. */
static uint64_t rtc_second_ns(const struct rtc_state *s, uint64_t secs)
{
    return rtc_event_ns(s->base_ns + (unsigned __int128)secs * RTC_NS_PER_S);
}

static uint64_t rtc_next_alarm(const struct rtc_state *s)
{
    uint64_t done = rtc_secs_at(s, s->last_ns) - s->base_secs;
    uint32_t delta = rtc_alarm_after(s, (s->base_secs + done) % RTC_SECS_PER_DAY);

    return delta ? rtc_second_ns(s, done + delta) : VDEV_NO_EVENT;
}

/* The next time IRQF can rise; none while it is up, as the guest must read C first. */
uint64_t rtc_next_event(struct rtc *rtc)
{
    const struct rtc_state *s = &rtc->s;
    uint8_t b = s->cmos[RTC_REG_B];
    uint64_t next = VDEV_NO_EVENT;

    if (s->cmos[RTC_REG_C] & RTC_C_IRQF)
        return VDEV_NO_EVENT;
    if ((b & RTC_B_PIE) && (s->cmos[RTC_REG_A] & 15))
        next = rtc_next_periodic(s);
    if (rtc_set_mode(s))
        return next;
    if (b & RTC_B_UIE)
        next = MIN(next, rtc_second_ns(s, rtc_secs_at(s, s->last_ns) - s->base_secs + 1));
    if (b & RTC_B_AIE)
        next = MIN(next, rtc_next_alarm(s));
    return next;
}

void rtc_update(struct rtc *rtc)
{
    rtc_catch_up(rtc, rtc_now(rtc));
}

/* As after power loss with the battery good: 32.768 kHz divider, BCD, 24-hour mode. */
void rtc_reset(struct rtc *rtc)
{
    uint64_t now = rtc_now(rtc);

    memset(&rtc->s, 0, sizeof(rtc->s));
    rtc->s.cmos[RTC_REG_A] = 0x26;
    rtc->s.cmos[RTC_REG_B] = RTC_B_24H;
    rtc->s.cmos[RTC_REG_D] = RTC_D_VRT;
    rtc->s.base_ns = now;
    rtc->s.last_ns = now;
}

void rtc_init(struct rtc *rtc, const struct vdev_env *env)
{
    memset(rtc, 0, sizeof(*rtc));
    rtc->env = env;
    rtc_reset(rtc);
}

size_t rtc_save(const struct rtc *rtc, void *buf, size_t len)
{
    uint32_t hdr[2] = { RTC_SAVE_MAGIC, RTC_SAVE_VERSION };

    if (len < RTC_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &rtc->s, sizeof(rtc->s));
    return RTC_SAVE_SIZE;
}

static bool rtc_valid(const struct rtc_state *s)
{
    static const uint8_t zero[6];
    uint8_t b = s->cmos[RTC_REG_B], c = s->cmos[RTC_REG_C];
    bool irqf = c & b & (RTC_C_PF | RTC_C_AF | RTC_C_UF);
    unsigned int i;

    if (!(b & RTC_B_SET))
        for (i = 0; i <= RTC_YEAR; i++)
            if (rtc_is_time_reg(i) && s->cmos[i])
                return false;
    return s->base_secs <= RTC_MAX_SECS && s->index < 0x80 && s->nmi_mask <= 1 &&
           !memcmp(s->pad, zero, sizeof(zero)) && !(s->cmos[RTC_REG_A] & RTC_A_UIP) &&
           !((b & RTC_B_SET) && (b & RTC_B_UIE)) && !(c & 0x0f) &&
           (irqf ? (c & RTC_C_IRQF) != 0 : true) && s->cmos[RTC_REG_D] == RTC_D_VRT;
}

int rtc_load(struct rtc *rtc, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct rtc_state s;

    if (len != RTC_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != RTC_SAVE_MAGIC || hdr[1] != RTC_SAVE_VERSION || !rtc_valid(&s))
        return -EINVAL;
    rtc->s = s;
    return 0;
}
