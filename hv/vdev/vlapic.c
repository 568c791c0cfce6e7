/*
 * The virtual local APIC (see <keel/vlapic.h> for the policies). Both register interfaces go
 * through one table indexed by xAPIC offset / 16 (= x2APIC MSR - 0x800), which says who may read
 * and write each register and which bits are writable.
 */
#include <keel/string.h>
#include <keel/vlapic.h>

#define VLAPIC_SAVE_MAGIC 0x43495041u   /* "APIC" */
#define VLAPIC_SAVE_VERSION 1u
#define VLAPIC_NR_REGS 64
#define VLAPIC_VERSION 0x00050014u     /* version 0x14, max LVT entry 5 (no CMCI) */
#define VLAPIC_SVR_ENABLE (1u << 8)
#define VLAPIC_ICR_MASK 0x000ccfffu    /* vector, mode, dest mode, level, trigger, shorthand */
#define VLAPIC_ICR_LOGICAL (1u << 11)
#define VLAPIC_ICR_ASSERT (1u << 14)
#define VLAPIC_ICR_LEVEL (1u << 15)
#define VLAPIC_DFR_FLAT 0xf0000000u
#define VLAPIC_BASE_VALID (VLAPIC_BASE_ADDR | VLAPIC_BASE_EN | VLAPIC_BASE_EXTD | VLAPIC_BASE_BSP)
#define VLAPIC_TIMER_MODE_SHIFT 17
#define VLAPIC_TIMER_DEADLINE_BIT (1u << 18)
#define VLAPIC_ESR_BITS (VLAPIC_ESR_SEND_ILLEGAL | VLAPIC_ESR_RECV_ILLEGAL | VLAPIC_ESR_ILLEGAL_REG)
#define VLAPIC_EV_ALL (VLAPIC_EV_NMI | VLAPIC_EV_INIT | VLAPIC_EV_SIPI | VLAPIC_EV_EXTINT)

/* Register indices (xAPIC offset >> 4). */
enum {
    R_ID = 0x02, R_VER = 0x03, R_TPR = 0x08, R_APR = 0x09, R_PPR = 0x0a, R_EOI = 0x0b,
    R_RRD = 0x0c, R_LDR = 0x0d, R_DFR = 0x0e, R_SVR = 0x0f, R_ISR = 0x10, R_TMR = 0x18,
    R_IRR = 0x20, R_ESR = 0x28, R_ICR = 0x30, R_ICR2 = 0x31, R_LVT = 0x32, R_TMICT = 0x38,
    R_TMCCT = 0x39, R_TDCR = 0x3e, R_SELF = 0x3f,
};

/* Who may access a register: read/write in xAPIC (X) and x2APIC (2) mode. */
enum { RX = 1, WX = 2, R2 = 4, W2 = 8 };

struct vlapic_reg {
    uint32_t (*read)(const struct vlapic *lapic, unsigned int idx);
    /* Gets only writable bits; returns -EPERM for a value x2APIC mode must #GP on. */
    int (*write)(struct vlapic *lapic, unsigned int idx, uint32_t val);
    uint32_t wmask;         /* writable bits; any other bit set is #GP in x2APIC mode */
    uint8_t access;
};

/* Writable bits of each LVT: vector, delivery mode, polarity, trigger, mask, timer mode. */
static const uint32_t vlapic_lvt_wmask[VLAPIC_NR_LVT] = {
    [VLAPIC_LVT_TIMER] = 0x700ff, [VLAPIC_LVT_THERMAL] = 0x107ff, [VLAPIC_LVT_PERF] = 0x107ff,
    [VLAPIC_LVT_LINT0] = 0x1a7ff, [VLAPIC_LVT_LINT1] = 0x1a7ff, [VLAPIC_LVT_ERROR] = 0x100ff,
};

/* --- bitmaps ----------------------------------------------------------------------------- */

static bool vlapic_test(const uint32_t *map, unsigned int v)
{
    return map[v / 32] & (1u << (v % 32));
}

static void vlapic_set(uint32_t *map, unsigned int v)
{
    map[v / 32] |= 1u << (v % 32);
}

static void vlapic_clear(uint32_t *map, unsigned int v)
{
    map[v / 32] &= ~(1u << (v % 32));
}

static int vlapic_highest(const uint32_t *map)
{
    for (int i = 7; i >= 0; i--)
        if (map[i])
            return i * 32 + 31 - __builtin_clz(map[i]);
    return -1;
}

/* --- state helpers ----------------------------------------------------------------------- */

static uint64_t vlapic_now(const struct vlapic *lapic)
{
    return lapic->env->base.now_ns(lapic->env->base.ctx);
}

bool vlapic_x2apic_mode(const struct vlapic *lapic)
{
    return lapic->s.apic_base & VLAPIC_BASE_EXTD;
}

static bool vlapic_hw_enabled(const struct vlapic *lapic)
{
    return lapic->s.apic_base & VLAPIC_BASE_EN;
}

bool vlapic_enabled(const struct vlapic *lapic)
{
    return vlapic_hw_enabled(lapic) && (lapic->s.svr & VLAPIC_SVR_ENABLE);
}

/* x2APIC logical ID: cluster (ID bits 31:4) in 31:16, one bit for ID bits 3:0 in 15:0. */
static uint32_t vlapic_x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static unsigned int vlapic_timer_mode(const struct vlapic *lapic)
{
    return (lapic->s.lvt[VLAPIC_LVT_TIMER] >> VLAPIC_TIMER_MODE_SHIFT) & 3;
}

/* Divide configuration bits 3,1:0 encode log2(divider) - 1, with 0b111 meaning 1. */
static uint8_t vlapic_dcr_shift(uint32_t dcr)
{
    uint32_t v = ((dcr & 8) >> 1) | (dcr & 3);

    return (v + 1) & 7;
}

static void vlapic_set_irr(struct vlapic *lapic, uint8_t vector, bool level)
{
    vlapic_set(lapic->s.irr, vector);
    if (level)
        vlapic_set(lapic->s.tmr, vector);
    else
        vlapic_clear(lapic->s.tmr, vector);
}

/* Logs an error and raises the error LVT; an illegal error vector only logs, not to recurse. */
static void vlapic_error(struct vlapic *lapic, uint32_t bits)
{
    uint32_t lvt = lapic->s.lvt[VLAPIC_LVT_ERROR];

    lapic->s.esr_pending |= bits;
    if (lvt & VLAPIC_LVT_MASKED)
        return;
    if ((lvt & 0xff) < 16)
        lapic->s.esr_pending |= VLAPIC_ESR_RECV_ILLEGAL;
    else
        vlapic_set_irr(lapic, lvt & 0xff, false);
}

/* --- priority, acceptance, EOI ----------------------------------------------------------- */

uint8_t vlapic_ppr(const struct vlapic *lapic)
{
    int isrv = vlapic_highest(lapic->s.isr);
    uint32_t tpr = lapic->s.tpr;

    if (isrv < 0 || (tpr >> 4) >= ((uint32_t)isrv >> 4))
        return tpr;
    return isrv & 0xf0;
}

int vlapic_pending_irq(const struct vlapic *lapic)
{
    int irrv = vlapic_highest(lapic->s.irr);

    if (!vlapic_enabled(lapic) || irrv < 0)
        return -1;
    if (((uint32_t)irrv & 0xf0) <= (vlapic_ppr(lapic) & 0xf0u))
        return -1;
    return irrv;
}

void vlapic_ack(struct vlapic *lapic, uint8_t vector)
{
    /* Only a requested vector moves, so ISR never holds what was never delivered. */
    if (!vlapic_test(lapic->s.irr, vector))
        return;
    vlapic_clear(lapic->s.irr, vector);
    vlapic_set(lapic->s.isr, vector);
}

void vlapic_eoi(struct vlapic *lapic)
{
    int v = vlapic_highest(lapic->s.isr);

    if (v < 0)
        return;
    vlapic_clear(lapic->s.isr, v);
    if (vlapic_test(lapic->s.tmr, v) && lapic->env->eoi_level)
        lapic->env->eoi_level(lapic->env->base.ctx, v);
}

static void vlapic_accept_fixed(struct vlapic *lapic, uint8_t vector, bool level)
{
    if (!(lapic->s.svr & VLAPIC_SVR_ENABLE))
        return;
    if (vector < 16) {
        vlapic_error(lapic, VLAPIC_ESR_RECV_ILLEGAL);
        return;
    }
    vlapic_set_irr(lapic, vector, level);
}

static const uint8_t vlapic_dm_event[8] = {
    [VLAPIC_DM_NMI] = VLAPIC_EV_NMI, [VLAPIC_DM_INIT] = VLAPIC_EV_INIT,
    [VLAPIC_DM_SIPI] = VLAPIC_EV_SIPI, [VLAPIC_DM_EXTINT] = VLAPIC_EV_EXTINT,
};

void vlapic_accept(struct vlapic *lapic, uint8_t delivery_mode, uint8_t vector,
                   bool level_trigger)
{
    uint8_t dm = delivery_mode & 7;

    if (!vlapic_hw_enabled(lapic))
        return;
    if (dm == VLAPIC_DM_FIXED || dm == VLAPIC_DM_LOWPRI) {
        vlapic_accept_fixed(lapic, vector, level_trigger);
        return;
    }
    /* SMI and the reserved modes have no event: ignored. */
    lapic->s.events |= vlapic_dm_event[dm];
    if (dm == VLAPIC_DM_SIPI)
        lapic->s.sipi_vector = vector;
}

static bool vlapic_take(struct vlapic *lapic, uint8_t ev)
{
    bool was = lapic->s.events & ev;

    lapic->s.events &= ~ev;
    return was;
}

bool vlapic_take_nmi(struct vlapic *lapic) { return vlapic_take(lapic, VLAPIC_EV_NMI); }
bool vlapic_take_init(struct vlapic *lapic) { return vlapic_take(lapic, VLAPIC_EV_INIT); }
bool vlapic_take_extint(struct vlapic *lapic) { return vlapic_take(lapic, VLAPIC_EV_EXTINT); }

bool vlapic_take_sipi(struct vlapic *lapic, uint8_t *vector)
{
    if (!vlapic_take(lapic, VLAPIC_EV_SIPI))
        return false;
    *vector = lapic->s.sipi_vector;
    return true;
}

/* --- destinations and IPIs --------------------------------------------------------------- */

static bool vlapic_match_logical(const struct vlapic *lapic, uint32_t dest)
{
    uint32_t ldr = lapic->s.ldr;

    if (vlapic_x2apic_mode(lapic))
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    if ((lapic->s.dfr & 0xf0000000u) == VLAPIC_DFR_FLAT)
        return (dest & (ldr >> 24)) != 0;
    return (dest >> 4) == (ldr >> 28) && (dest & (ldr >> 24) & 0xf);
}

bool vlapic_match_dest(const struct vlapic *lapic, uint32_t dest, bool logical)
{
    uint32_t broadcast = vlapic_x2apic_mode(lapic) ? 0xffffffffu : 0xffu;

    if (dest == broadcast)
        return true;
    if (logical)
        return vlapic_match_logical(lapic, dest);
    return dest == (vlapic_x2apic_mode(lapic) ? lapic->s.id : (lapic->s.id & 0xff));
}

/* Which ICR delivery modes go out; SMI is not virtualised and 3 and 7 are reserved. */
static const bool vlapic_dm_sendable[8] = {
    [VLAPIC_DM_FIXED] = true, [VLAPIC_DM_LOWPRI] = true, [VLAPIC_DM_NMI] = true,
    [VLAPIC_DM_INIT] = true, [VLAPIC_DM_SIPI] = true,
};

static void vlapic_send_icr(struct vlapic *lapic)
{
    uint32_t lo = lapic->s.icr_lo;
    uint8_t dm = (lo >> 8) & 7, vector = lo & 0xff;
    uint32_t dest = vlapic_x2apic_mode(lapic) ? lapic->s.icr_hi : lapic->s.icr_hi >> 24;

    if (!vlapic_dm_sendable[dm])
        return;
    /* INIT level de-assert only synchronised arbitration IDs on old CPUs. */
    if (dm == VLAPIC_DM_INIT && !(lo & VLAPIC_ICR_ASSERT) && (lo & VLAPIC_ICR_LEVEL))
        return;
    if ((dm == VLAPIC_DM_FIXED || dm == VLAPIC_DM_LOWPRI) && vector < 16) {
        vlapic_error(lapic, VLAPIC_ESR_SEND_ILLEGAL);
        return;
    }
    lapic->env->send_ipi(lapic->env->base.ctx, dest, lo & VLAPIC_ICR_LOGICAL, (lo >> 18) & 3,
                         dm, vector, lo & VLAPIC_ICR_ASSERT);
}

/* --- timer ------------------------------------------------------------------------------- */

static uint64_t vlapic_period_ns(const struct vlapic *lapic)
{
    return ((uint64_t)lapic->s.timer_icr * VLAPIC_BUS_NS) << lapic->s.timer_shift;
}

static uint32_t vlapic_current_count(const struct vlapic *lapic)
{
    uint64_t now = vlapic_now(lapic), ticks;
    uint32_t icr = lapic->s.timer_icr;

    if (!lapic->s.timer_armed || vlapic_timer_mode(lapic) == VLAPIC_TIMER_DEADLINE)
        return 0;
    if (now < lapic->s.timer_load_ns)
        return icr;
    ticks = ((now - lapic->s.timer_load_ns) / VLAPIC_BUS_NS) >> lapic->s.timer_shift;
    if (vlapic_timer_mode(lapic) == VLAPIC_TIMER_PERIODIC)
        return icr - ticks % icr;
    return ticks >= icr ? 0 : icr - (uint32_t)ticks;
}

static void vlapic_timer_fire(struct vlapic *lapic)
{
    uint32_t lvt = lapic->s.lvt[VLAPIC_LVT_TIMER];

    if (!(lvt & VLAPIC_LVT_MASKED))
        vlapic_accept_fixed(lapic, lvt & 0xff, false);
}

/* Nanoseconds until the guest TSC advances by delta, rounded up; UINT64_MAX if too far. */
static uint64_t vlapic_tsc_delta_ns(uint64_t delta, uint64_t khz)
{
    uint64_t ns;

    if (__builtin_mul_overflow(delta / khz, 1000000ull, &ns))
        return UINT64_MAX;
    return ns + ((delta % khz) * 1000000ull + khz - 1) / khz;
}

static uint64_t vlapic_deadline_event(const struct vlapic *lapic)
{
    const struct vlapic_env *env = lapic->env;
    uint64_t tsc, now = vlapic_now(lapic), ns;

    if (!lapic->s.tsc_deadline || !env->tsc_khz)
        return VDEV_NO_EVENT;
    tsc = env->tsc(env->base.ctx);
    if (lapic->s.tsc_deadline <= tsc)
        return now;
    ns = vlapic_tsc_delta_ns(lapic->s.tsc_deadline - tsc, env->tsc_khz);
    return ns >= VDEV_NO_EVENT - now ? VDEV_NO_EVENT - 1 : now + ns;
}

uint64_t vlapic_next_event(const struct vlapic *lapic)
{
    uint64_t period;

    if (vlapic_timer_mode(lapic) == VLAPIC_TIMER_DEADLINE)
        return vlapic_deadline_event(lapic);
    if (!lapic->s.timer_armed)
        return VDEV_NO_EVENT;
    /* A loaded count may start near the end of 64-bit time: the last time, never a wrap. */
    period = vlapic_period_ns(lapic);
    if (period >= VDEV_NO_EVENT - lapic->s.timer_load_ns)
        return VDEV_NO_EVENT - 1;
    return lapic->s.timer_load_ns + period;
}

static void vlapic_update_deadline(struct vlapic *lapic)
{
    const struct vlapic_env *env = lapic->env;

    if (!lapic->s.tsc_deadline || env->tsc(env->base.ctx) < lapic->s.tsc_deadline)
        return;
    lapic->s.tsc_deadline = 0;      /* the MSR clears itself when the timer fires */
    vlapic_timer_fire(lapic);
}

void vlapic_update(struct vlapic *lapic)
{
    uint64_t now = vlapic_now(lapic), period;

    if (vlapic_timer_mode(lapic) == VLAPIC_TIMER_DEADLINE) {
        vlapic_update_deadline(lapic);
        return;
    }
    if (!lapic->s.timer_armed)
        return;
    period = vlapic_period_ns(lapic);
    if (now < lapic->s.timer_load_ns || now - lapic->s.timer_load_ns < period)
        return;
    if (vlapic_timer_mode(lapic) == VLAPIC_TIMER_PERIODIC) {
        /* Missed periods collapse into this one interrupt (see the header). The reload at the
         * first boundary latches the divider, so the periods after it are of the new length. */
        lapic->s.timer_load_ns += period;
        lapic->s.timer_shift = vlapic_dcr_shift(lapic->s.timer_dcr);
        period = vlapic_period_ns(lapic);
        lapic->s.timer_load_ns += (now - lapic->s.timer_load_ns) / period * period;
    } else {
        lapic->s.timer_armed = 0;
    }
    vlapic_timer_fire(lapic);   /* a masked LVT still reloads, it only raises nothing */
}

int vlapic_tsc_deadline_read(const struct vlapic *lapic, uint64_t *val)
{
    if (!lapic->env->tsc_deadline)
        return -EPERM;
    *val = vlapic_timer_mode(lapic) == VLAPIC_TIMER_DEADLINE ? lapic->s.tsc_deadline : 0;
    return 0;
}

int vlapic_tsc_deadline_write(struct vlapic *lapic, uint64_t val)
{
    if (!lapic->env->tsc_deadline)
        return -EPERM;
    /* Outside TSC-deadline mode the write is ignored, as on hardware. */
    if (vlapic_timer_mode(lapic) == VLAPIC_TIMER_DEADLINE)
        lapic->s.tsc_deadline = val;
    return 0;
}

/* --- register handlers ------------------------------------------------------------------- */

static uint32_t vlapic_read_zero(const struct vlapic *lapic, unsigned int idx)
{
    return 0;
}

static uint32_t vlapic_read_id(const struct vlapic *lapic, unsigned int idx)
{
    return vlapic_x2apic_mode(lapic) ? lapic->s.id : lapic->s.id << 24;
}

static uint32_t vlapic_read_version(const struct vlapic *lapic, unsigned int idx)
{
    return VLAPIC_VERSION;
}

static uint32_t vlapic_read_ppr(const struct vlapic *lapic, unsigned int idx)
{
    return vlapic_ppr(lapic);
}

static uint32_t vlapic_read_tmcct(const struct vlapic *lapic, unsigned int idx)
{
    return vlapic_current_count(lapic);
}

static uint32_t vlapic_read_icr(const struct vlapic *lapic, unsigned int idx)
{
    return lapic->s.icr_lo;     /* delivery status is always idle */
}

static uint32_t vlapic_read_lvt(const struct vlapic *lapic, unsigned int idx)
{
    return lapic->s.lvt[idx - R_LVT];
}

static uint32_t vlapic_read_vec(const struct vlapic *lapic, unsigned int idx)
{
    if (idx >= R_IRR)
        return lapic->s.irr[idx - R_IRR];
    if (idx >= R_TMR)
        return lapic->s.tmr[idx - R_TMR];
    return lapic->s.isr[idx - R_ISR];
}

/* Registers that are plain stored words: where each lives in the state. */
static const uint16_t vlapic_plain_off[VLAPIC_NR_REGS] = {
    [R_TPR] = offsetof(struct vlapic_state, tpr), [R_LDR] = offsetof(struct vlapic_state, ldr),
    [R_DFR] = offsetof(struct vlapic_state, dfr), [R_SVR] = offsetof(struct vlapic_state, svr),
    [R_ESR] = offsetof(struct vlapic_state, esr),
    [R_ICR2] = offsetof(struct vlapic_state, icr_hi),
    [R_TMICT] = offsetof(struct vlapic_state, timer_icr),
    [R_TDCR] = offsetof(struct vlapic_state, timer_dcr),
};

static uint32_t vlapic_read_plain(const struct vlapic *lapic, unsigned int idx)
{
    uint32_t val;

    memcpy(&val, (const char *)&lapic->s + vlapic_plain_off[idx], sizeof(val));
    return val;
}

static int vlapic_write_plain(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    memcpy((char *)&lapic->s + vlapic_plain_off[idx], &val, sizeof(val));
    return 0;
}

static int vlapic_write_eoi(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    vlapic_eoi(lapic);
    return 0;
}

static int vlapic_write_dfr(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    lapic->s.dfr = val | 0x0fffffffu;   /* the low bits are reserved as all ones */
    return 0;
}

static int vlapic_write_svr(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    lapic->s.svr = val;
    /* Software disable masks every LVT, and they stay masked until it is re-enabled. */
    if (!(val & VLAPIC_SVR_ENABLE))
        for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
            lapic->s.lvt[i] |= VLAPIC_LVT_MASKED;
    return 0;
}

static int vlapic_write_esr(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    lapic->s.esr = lapic->s.esr_pending;
    lapic->s.esr_pending = 0;
    return 0;
}

static int vlapic_write_icr(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    lapic->s.icr_lo = val;
    vlapic_send_icr(lapic);
    return 0;
}

/* Switching to or from TSC-deadline mode disarms the timer. */
static void vlapic_timer_mode_change(struct vlapic *lapic, unsigned int old, unsigned int new)
{
    if (old == new || (old != VLAPIC_TIMER_DEADLINE && new != VLAPIC_TIMER_DEADLINE))
        return;
    lapic->s.timer_armed = 0;
    lapic->s.timer_icr = 0;
    lapic->s.tsc_deadline = 0;
}

static int vlapic_write_lvt(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    unsigned int lvt = idx - R_LVT, old = vlapic_timer_mode(lapic);

    if (lvt == VLAPIC_LVT_TIMER && ((val >> VLAPIC_TIMER_MODE_SHIFT) & 3) == 3)
        return -EPERM;      /* reserved mode; in xAPIC mode the write is dropped */
    if (!(lapic->s.svr & VLAPIC_SVR_ENABLE))
        val |= VLAPIC_LVT_MASKED;
    lapic->s.lvt[lvt] = val & vlapic_lvt_wmask[lvt];
    if (lvt == VLAPIC_LVT_TIMER)
        vlapic_timer_mode_change(lapic, old, vlapic_timer_mode(lapic));
    return 0;
}

static int vlapic_write_tmict(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    if (vlapic_timer_mode(lapic) == VLAPIC_TIMER_DEADLINE)
        return 0;   /* the count registers are ignored in TSC-deadline mode */
    lapic->s.timer_icr = val;
    lapic->s.timer_load_ns = vlapic_now(lapic);
    lapic->s.timer_shift = vlapic_dcr_shift(lapic->s.timer_dcr);
    lapic->s.timer_armed = val != 0;
    return 0;
}

static int vlapic_write_self(struct vlapic *lapic, unsigned int idx, uint32_t val)
{
    if (val < 16) {
        vlapic_error(lapic, VLAPIC_ESR_SEND_ILLEGAL);
        return 0;
    }
    lapic->env->send_ipi(lapic->env->base.ctx, lapic->s.id, false, VLAPIC_SH_SELF,
                         VLAPIC_DM_FIXED, val, false);
    return 0;
}

#define VLAPIC_LVT_REG(i) \
    [R_LVT + (i)] = { vlapic_read_lvt, vlapic_write_lvt, 0, RX | WX | R2 | W2 }

static const struct vlapic_reg vlapic_regs[VLAPIC_NR_REGS] = {
    [R_ID] = { vlapic_read_id, NULL, 0, RX | R2 },
    [R_VER] = { vlapic_read_version, NULL, 0, RX | R2 },
    [R_TPR] = { vlapic_read_plain, vlapic_write_plain, 0xff, RX | WX | R2 | W2 },
    [R_APR] = { vlapic_read_zero, NULL, 0, RX },
    [R_PPR] = { vlapic_read_ppr, NULL, 0, RX | R2 },
    [R_EOI] = { vlapic_read_zero, vlapic_write_eoi, 0, RX | WX | W2 },
    [R_RRD] = { vlapic_read_zero, NULL, 0, RX },
    [R_LDR] = { vlapic_read_plain, vlapic_write_plain, 0xff000000u, RX | WX | R2 },
    [R_DFR] = { vlapic_read_plain, vlapic_write_dfr, 0xf0000000u, RX | WX },
    [R_SVR] = { vlapic_read_plain, vlapic_write_svr, 0x3ff, RX | WX | R2 | W2 },
    [R_ISR ... R_IRR + 7] = { vlapic_read_vec, NULL, 0, RX | R2 },
    [R_ESR] = { vlapic_read_plain, vlapic_write_esr, 0, RX | WX | R2 | W2 },
    [R_ICR] = { vlapic_read_icr, vlapic_write_icr, VLAPIC_ICR_MASK, RX | WX | R2 | W2 },
    [R_ICR2] = { vlapic_read_plain, vlapic_write_plain, 0xff000000u, RX | WX },
    VLAPIC_LVT_REG(0), VLAPIC_LVT_REG(1), VLAPIC_LVT_REG(2),
    VLAPIC_LVT_REG(3), VLAPIC_LVT_REG(4), VLAPIC_LVT_REG(5),
    [R_TMICT] = { vlapic_read_plain, vlapic_write_tmict, 0xffffffffu, RX | WX | R2 | W2 },
    [R_TMCCT] = { vlapic_read_tmcct, NULL, 0, RX | R2 },
    [R_TDCR] = { vlapic_read_plain, vlapic_write_plain, 0xb, RX | WX | R2 | W2 },
    [R_SELF] = { NULL, vlapic_write_self, 0xff, W2 },
};

/* Writable bits of register idx; the timer mode bit 18 exists only with TSC-deadline. */
static uint32_t vlapic_wmask(const struct vlapic *lapic, unsigned int idx)
{
    uint32_t mask = vlapic_regs[idx].wmask;

    if (idx >= R_LVT && idx < R_LVT + VLAPIC_NR_LVT)
        mask = vlapic_lvt_wmask[idx - R_LVT];
    if (idx == R_LVT + VLAPIC_LVT_TIMER && !lapic->env->tsc_deadline)
        mask &= ~VLAPIC_TIMER_DEADLINE_BIT;
    return mask;
}

/* --- xAPIC MMIO -------------------------------------------------------------------------- */

/* The register an MMIO access names, or -1 for an access hardware leaves undefined. */
static int vlapic_mmio_reg(const struct vlapic *lapic, uint32_t offset, unsigned int size)
{
    if (size != 4 || (offset & 0xf) || offset >= VLAPIC_NR_REGS * 16)
        return -1;
    /* In x2APIC mode or globally disabled the page is not the APIC's any more. */
    if (!vlapic_hw_enabled(lapic) || vlapic_x2apic_mode(lapic))
        return -1;
    return offset >> 4;
}

uint32_t vlapic_mmio_read(struct vlapic *lapic, uint32_t offset, unsigned int size)
{
    int idx = vlapic_mmio_reg(lapic, offset, size);

    if (idx < 0)
        return 0;
    if (!(vlapic_regs[idx].access & (RX | WX))) {
        vlapic_error(lapic, VLAPIC_ESR_ILLEGAL_REG);
        return 0;
    }
    return vlapic_regs[idx].access & RX ? vlapic_regs[idx].read(lapic, idx) : 0;
}

void vlapic_mmio_write(struct vlapic *lapic, uint32_t offset, unsigned int size, uint32_t val)
{
    int idx = vlapic_mmio_reg(lapic, offset, size);

    if (idx < 0)
        return;
    if (!(vlapic_regs[idx].access & (RX | WX))) {
        vlapic_error(lapic, VLAPIC_ESR_ILLEGAL_REG);
        return;
    }
    /* Writes to read-only registers are ignored; reserved bits are dropped. */
    if (vlapic_regs[idx].access & WX)
        vlapic_regs[idx].write(lapic, idx, val & vlapic_wmask(lapic, idx));
}

/* --- x2APIC MSRs ------------------------------------------------------------------------- */

/* The register index of an x2APIC MSR; -ENOENT outside the range, -EPERM (#GP) if not usable. */
static int vlapic_msr_reg(const struct vlapic *lapic, uint32_t msr, uint8_t need)
{
    if (msr < 0x800 || msr > 0x8ff)
        return -ENOENT;
    if (!vlapic_x2apic_mode(lapic) || msr - 0x800 >= VLAPIC_NR_REGS)
        return -EPERM;
    if (!(vlapic_regs[msr - 0x800].access & need))
        return -EPERM;
    return msr - 0x800;
}

int vlapic_msr_read(struct vlapic *lapic, uint32_t msr, uint64_t *val)
{
    int idx = vlapic_msr_reg(lapic, msr, R2);

    if (idx < 0)
        return idx;
    *val = vlapic_regs[idx].read(lapic, idx);
    if (idx == R_ICR)
        *val |= (uint64_t)lapic->s.icr_hi << 32;
    return 0;
}

int vlapic_msr_write(struct vlapic *lapic, uint32_t msr, uint64_t val)
{
    int idx = vlapic_msr_reg(lapic, msr, W2);
    uint64_t rsvd;

    if (idx < 0)
        return idx;
    /* The ICR is one 64-bit register here: the destination is its upper half. */
    rsvd = idx == R_ICR ? val & 0xffffffffu : val;
    if (rsvd & ~(uint64_t)vlapic_wmask(lapic, idx))
        return -EPERM;
    if (idx == R_ICR)
        lapic->s.icr_hi = val >> 32;
    return vlapic_regs[idx].write(lapic, idx, (uint32_t)val);
}

/* --- IA32_APIC_BASE, reset --------------------------------------------------------------- */

uint64_t vlapic_apic_base_read(const struct vlapic *lapic)
{
    return lapic->s.apic_base;
}

static void vlapic_reset_regs(struct vlapic *lapic)
{
    struct vlapic_state *s = &lapic->s;

    s->tpr = s->esr = s->esr_pending = s->icr_lo = s->icr_hi = 0;
    s->timer_icr = s->timer_dcr = 0;
    s->timer_armed = s->timer_shift = 0;
    s->timer_load_ns = s->tsc_deadline = 0;
    memset(s->irr, 0, sizeof(s->irr));
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
        s->lvt[i] = VLAPIC_LVT_MASKED;
    s->svr = 0xff;
    s->dfr = 0xffffffffu;
    s->ldr = vlapic_x2apic_mode(lapic) ? vlapic_x2apic_ldr(s->id) : 0;
}

void vlapic_reset(struct vlapic *lapic)
{
    vlapic_reset_regs(lapic);
}

void vlapic_init(struct vlapic *lapic, const struct vlapic_env *env, uint32_t apic_id, bool bsp)
{
    memset(&lapic->s, 0, sizeof(lapic->s));
    lapic->env = env;
    lapic->s.id = apic_id;
    lapic->s.apic_base = VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EN | (bsp ? VLAPIC_BASE_BSP : 0);
    vlapic_reset_regs(lapic);
}

enum { MODE_DISABLED, MODE_INVALID, MODE_XAPIC, MODE_X2APIC };

static unsigned int vlapic_base_mode(uint64_t base)
{
    return (base & VLAPIC_BASE_EN ? 2 : 0) | (base & VLAPIC_BASE_EXTD ? 1 : 0);
}

/* Mode transitions (old, new) that #GP: the only way out of x2APIC is through disabled. */
static const bool vlapic_base_illegal[4][4] = {
    [MODE_DISABLED][MODE_X2APIC] = true,
    [MODE_X2APIC][MODE_XAPIC] = true,
};

int vlapic_apic_base_write(struct vlapic *lapic, uint64_t val)
{
    unsigned int old = vlapic_base_mode(lapic->s.apic_base), new = vlapic_base_mode(val);

    if ((val & ~VLAPIC_BASE_VALID) || new == MODE_INVALID || vlapic_base_illegal[old][new])
        return -EPERM;
    lapic->s.apic_base = (val & ~VLAPIC_BASE_BSP) | (lapic->s.apic_base & VLAPIC_BASE_BSP);
    if (new == old)
        return 0;
    if (new == MODE_DISABLED)
        vlapic_reset_regs(lapic);
    if (new == MODE_X2APIC) {
        lapic->s.ldr = vlapic_x2apic_ldr(lapic->s.id);
        lapic->s.icr_hi = 0;
    }
    return 0;
}

/* --- save/load --------------------------------------------------------------------------- */

size_t vlapic_save(const struct vlapic *lapic, void *buf, size_t len)
{
    uint32_t hdr[2] = { VLAPIC_SAVE_MAGIC, VLAPIC_SAVE_VERSION };

    if (len < VLAPIC_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &lapic->s, sizeof(lapic->s));
    return VLAPIC_SAVE_SIZE;
}

static bool vlapic_base_valid(const struct vlapic *lapic, const struct vlapic_state *s)
{
    bool x2 = s->apic_base & VLAPIC_BASE_EXTD;

    if ((s->apic_base & ~VLAPIC_BASE_VALID) || vlapic_base_mode(s->apic_base) == MODE_INVALID)
        return false;
    if (x2)
        return s->ldr == vlapic_x2apic_ldr(s->id);
    return !(s->ldr & 0x00ffffffu) && !(s->icr_hi & 0x00ffffffu);
}

static bool vlapic_regs_valid(const struct vlapic_state *s)
{
    return s->tpr <= 0xff && (s->dfr & 0x0fffffffu) == 0x0fffffffu && !(s->svr & ~0x3ffu) &&
           !(s->esr & ~VLAPIC_ESR_BITS) && !(s->esr_pending & ~VLAPIC_ESR_BITS) &&
           !(s->icr_lo & ~VLAPIC_ICR_MASK) && !(s->timer_dcr & ~0xbu) &&
           !(s->events & ~VLAPIC_EV_ALL);
}

static bool vlapic_lvts_valid(const struct vlapic *lapic, const struct vlapic_state *s)
{
    uint32_t tmode = (s->lvt[VLAPIC_LVT_TIMER] >> VLAPIC_TIMER_MODE_SHIFT) & 3;
    bool sw_enabled = s->svr & VLAPIC_SVR_ENABLE;

    for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++) {
        if (s->lvt[i] & ~vlapic_wmask(lapic, R_LVT + i))
            return false;
        if (!sw_enabled && !(s->lvt[i] & VLAPIC_LVT_MASKED))
            return false;
    }
    return tmode != 3 && (tmode == VLAPIC_TIMER_DEADLINE || !s->tsc_deadline);
}

static bool vlapic_vectors_valid(const struct vlapic_state *s)
{
    /* Vectors 0-15 can never be accepted. */
    return !(s->irr[0] & 0xffff) && !(s->isr[0] & 0xffff) && !(s->tmr[0] & 0xffff);
}

static bool vlapic_timer_valid(const struct vlapic_state *s)
{
    uint32_t tmode = (s->lvt[VLAPIC_LVT_TIMER] >> VLAPIC_TIMER_MODE_SHIFT) & 3;

    if (s->timer_armed > 1 || s->timer_shift > 7)
        return false;
    if (tmode == VLAPIC_TIMER_DEADLINE && (s->timer_armed || s->timer_icr))
        return false;
    return !s->timer_armed || s->timer_icr;
}

int vlapic_load(struct vlapic *lapic, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct vlapic_state s;

    if (len != VLAPIC_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != VLAPIC_SAVE_MAGIC || hdr[1] != VLAPIC_SAVE_VERSION)
        return -EINVAL;
    if (!vlapic_base_valid(lapic, &s) || !vlapic_regs_valid(&s) ||
        !vlapic_lvts_valid(lapic, &s) || !vlapic_vectors_valid(&s) || !vlapic_timer_valid(&s))
        return -EINVAL;
    lapic->s = s;
    return 0;
}
