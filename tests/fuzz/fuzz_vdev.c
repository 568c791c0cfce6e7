/*
 * libFuzzer target for the virtual platform's device models (hv/vdev/): one vLAPIC, IOAPIC, PIC,
 * PIT, RTC, PM block, HPET and fw_cfg, wired as hv/vplatform.c wires them (ISA lines to the PIC
 * and the IOAPIC, IOAPIC messages, MSIs and IPIs to the vLAPIC, level EOIs back to the IOAPIC).
 * The input is a short configuration, then a program of operations: register accesses of any
 * size, offset and value, fw_cfg DMA, guest time and the TSC moving forward by chosen amounts,
 * update and next-event calls, interrupt acknowledge, EOI and INIT, resets, and save/load of
 * intact, truncated and corrupted images.
 *
 * Besides what the sanitizers catch, the target aborts when a model breaks a promise of its
 * header:
 * - the callbacks get only what the models promise: pulses on ISA IRQ 0 and 8 and level changes
 *   on the SCI; HPET GSIs 2, 8 or 20-23, each call changing the line's level; IOAPIC messages
 *   with a valid delivery mode; IPIs with a sendable mode and no illegal vector; guest-memory
 *   copies of 1 to FWCFG_DMA_CHUNK bytes that do not wrap;
 * - a device's update raises nothing before the next event it named, and afterwards its next
 *   event is later than now or VDEV_NO_EVENT (or the glue would re-arm a timer in the past);
 * - a pending vLAPIC vector is 16 or more and above the priority class; a PIC acknowledge
 *   returns the pending vector, or with INTR low the IR7 vector and changes nothing; a #GP
 *   from an APIC MSR leaves the vLAPIC unchanged; INIT keeps the ID, mode and events;
 * - the PM timer and the HPET counter read what the clock rates say;
 * - save, load into a fresh instance and save again gives the same image and the same next
 *   event; load rejects an image of the wrong length, changes nothing when it rejects one, and
 *   an image it accepts saves back unchanged. Accepted images, hostile ones included (fields
 *   set to values near 2^32, 2^63 and 2^64), mostly go into the live device, which is updated
 *   at once: whatever load lets in must keep the promises above.
 * Guest time stays below FZ_TIME_MAX, 18 years of uptime: inside the horizon each model
 * documents (the shortest is the PIT's, whose next IRQ may be 2^50 clocks, 30 years, after the
 * count was loaded). Loaded images may hold any time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_shim.h"

#include "../../hv/vdev/vlapic.c"
#include "../../hv/vdev/vioapic.c"
#include "../../hv/vdev/pic.c"
#include "../../hv/vdev/pit.c"
#include "../../hv/vdev/rtc.c"
#include "../../hv/vdev/pmtimer.c"
#include "../../hv/vdev/hpet.c"
#include "../../hv/vdev/fwcfg.c"

#define FZ_TIME_MAX (1ull << 59)
#define FZ_MAX_OPS 2048
#define FZ_MAX_EVENTS 64            /* event-loop rounds in one operation */
#define FZ_PM_BASE 0xb000
#define FZ_GPA_BASE 0x10000ull      /* the guest RAM fw_cfg DMA may reach */
#define FZ_GPA_SIZE 0x2000
#define FZ_ARENA_SIZE 0x4000
#define FZ_STATE_MAX 256            /* more than any struct <dev>_state */
#define FZ_SAVE_MAX (8 + FZ_STATE_MAX)

#define FZ_CFG_DEADLINE 0x01        /* CPUID offers the TSC-deadline timer */
#define FZ_CFG_BSP 0x02
#define FZ_CFG_FAULTS 0x04          /* guest-memory calls fail by the gpa_faults pattern */
#define FZ_CFG_NUMS 0x08            /* fw_cfg RAM size and CPU counts are set */

#define FZ_CHECK(cond)                          \
    do {                                        \
        if (!(cond))                            \
            fz_fail(#cond, __LINE__);           \
    } while (0)

static const char *fz_dev_name;      /* the device being saved or loaded, for the report */

static void fz_fail(const char *what, int line)
{
    fprintf(stderr, "fuzz_vdev.c:%d: broken: %s (%s)\n", line, what,
            fz_dev_name ? fz_dev_name : "-");
    abort();
}

/* --- input ------------------------------------------------------------------------------- */

struct fz_in {
    const uint8_t *p;
    size_t left;
};

/* The next n bytes (at most 8), little-endian; zeros once the input has run out. */
static uint64_t fz_take(struct fz_in *in, unsigned int n)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < n && in->left; i++, in->left--)
        v |= (uint64_t)*in->p++ << (8 * i);
    return v;
}

static uint8_t fz_u8(struct fz_in *in) { return (uint8_t)fz_take(in, 1); }
static uint16_t fz_u16(struct fz_in *in) { return (uint16_t)fz_take(in, 2); }
static uint32_t fz_u32(struct fz_in *in) { return (uint32_t)fz_take(in, 4); }
static uint64_t fz_u64(struct fz_in *in) { return fz_take(in, 8); }

/* An access size: mostly 1, 2, 4 or 8, sometimes anything up to 31. */
static unsigned int fz_size(struct fz_in *in)
{
    static const unsigned int common[4] = { 1, 2, 4, 8 };
    uint8_t b = fz_u8(in);

    return b & 0x80 ? b & 0x1f : common[b & 3];
}

/* --- the platform -------------------------------------------------------------------------- */

enum fz_dev { D_LAPIC, D_IOAPIC, D_PIC, D_PIT, D_RTC, D_PM, D_HPET, D_FWCFG, D_NR };

struct fz_config {
    uint64_t wallclock;     /* what the RTC is set to */
    uint64_t tsc0;          /* the guest TSC at guest time 0 */
    uint32_t tsc_khz;
    uint32_t apic_id;
    uint32_t gpa_faults;    /* guest-memory call n fails when bit n % 32 is set */
    uint8_t flags;          /* FZ_CFG_* */
    uint8_t ioapic_id;
    uint8_t files;          /* bit i: fz_files[i] is published */
};

struct fz_platform {
    struct vlapic lapic;
    struct vioapic ioapic;
    struct pic pic;
    struct pit pit;
    struct rtc rtc;
    struct pmtimer pm;
    struct hpet hpet;
    struct fwcfg fwcfg;
    struct vlapic_env lapic_env;
    struct vioapic_env ioapic_env;
    struct vdev_env isa_env;
    struct hpet_env hpet_env;
    struct fwcfg_env fwcfg_env;
    struct fz_config cfg;
    uint64_t now;
    uint64_t tsc_extra;     /* TSC jumps on top of its rate */
    unsigned int gpa_calls;
    unsigned int raised;    /* line assertions, IOAPIC messages and MSIs so far */
    int isa_pulse;          /* the ISA line half-way through a pulse, or -1 */
    int eoi;                /* a level EOI on its way to the IOAPIC, or -1 */
    bool sci;               /* the level the PM block drives on the SCI */
    uint32_t hpet_lines;    /* the GSIs the HPET holds asserted */
    uint8_t guest[FZ_GPA_SIZE];
    uint8_t arena[FZ_ARENA_SIZE];
};

static struct fz_platform P;

/* A fresh instance of any device, for loading images into. */
static union {
    struct vlapic lapic;
    struct vioapic ioapic;
    struct pic pic;
    struct pit pit;
    struct rtc rtc;
    struct pmtimer pm;
    struct hpet hpet;
    struct fwcfg fwcfg;
} fz_spare;
static uint8_t fz_spare_arena[FZ_ARENA_SIZE];

/* What fw_cfg may publish: a multi-chunk file, an empty one, one with the longest name. */
static const struct {
    const char *name;
    uint32_t len;
} fz_files[] = {
    { "etc/acpi/tables", 5000 }, { "bootorder", 0 }, { "etc/e820", 20 },
    { "genroms/linuxboot_dma.bin", FWCFG_DMA_CHUNK },
    { "opt/org.example/a-name-of-fifty-five-bytes-exactly.bin", 3 },
};
static uint8_t fz_file_data[5000];

/* --- callbacks ----------------------------------------------------------------------------- */

static uint64_t fz_now(void *ctx)
{
    return P.now;
}

/* The guest TSC: its rate times guest time, plus the jumps the input asked for. */
static uint64_t fz_tsc(void *ctx)
{
    unsigned __int128 t = (unsigned __int128)P.now * P.cfg.tsc_khz / 1000000 + P.cfg.tsc0 +
                          P.tsc_extra;

    return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

static void fz_to_lapic(uint32_t dest, bool logical, uint8_t dm, uint8_t vector, bool level)
{
    if (vlapic_match_dest(&P.lapic, dest, logical))
        vlapic_accept(&P.lapic, dm, vector, level);
}

/* PIT (IRQ 0) and RTC (IRQ 8) pulse their lines; the PM block drives the SCI as a level. */
static void fz_isa_irq(void *ctx, unsigned int line, bool level)
{
    if (P.isa_pulse >= 0) {
        FZ_CHECK(line == (unsigned int)P.isa_pulse && !level);
        P.isa_pulse = -1;
    } else if (line == PMTIMER_SCI_IRQ) {
        FZ_CHECK(level != P.sci);
        P.sci = level;
    } else {
        FZ_CHECK((line == PIT_IRQ || line == RTC_IRQ) && level);
        P.isa_pulse = (int)line;
    }
    P.raised += level;
    pic_set_irq(&P.pic, line, level);
    vioapic_set_irq(&P.ioapic, line == 0 ? 2 : line, level);
}

static void fz_hpet_irq(void *ctx, unsigned int gsi, bool level)
{
    bool legacy = gsi == HPET_LEGACY_GSI0 || gsi == HPET_LEGACY_GSI1;

    FZ_CHECK(legacy || (gsi < 32 && (HPET_ROUTE_CAP >> gsi & 1)));
    FZ_CHECK(level != (P.hpet_lines >> gsi & 1));
    P.hpet_lines ^= 1u << gsi;
    P.raised += level;
    if (legacy)
        pic_set_irq(&P.pic, gsi == HPET_LEGACY_GSI0 ? 0 : 8, level);
    vioapic_set_irq(&P.ioapic, gsi, level);
}

static void fz_msi(void *ctx, uint64_t addr, uint32_t data)
{
    P.raised++;
    fz_to_lapic((addr >> 12) & 0xff, addr & 4, (data >> 8) & 7, (uint8_t)data, false);
}

static void fz_deliver(void *ctx, uint32_t dest, bool logical, uint8_t dm, uint8_t vector,
                       bool level)
{
    FZ_CHECK(dm < 8 && dm != 3 && dm != 6);
    P.raised++;
    fz_to_lapic(dest, logical, dm, vector, level);
}

static void fz_send_ipi(void *ctx, uint32_t dest, bool logical, uint8_t shorthand, uint8_t dm,
                        uint8_t vector, bool level_assert)
{
    FZ_CHECK(shorthand <= VLAPIC_SH_ALL_BUT_SELF);
    FZ_CHECK(dm == VLAPIC_DM_FIXED || dm == VLAPIC_DM_LOWPRI || dm == VLAPIC_DM_NMI ||
             dm == VLAPIC_DM_INIT || dm == VLAPIC_DM_SIPI);
    FZ_CHECK(dm > VLAPIC_DM_LOWPRI || vector >= 16);
    FZ_CHECK(vlapic_x2apic_mode(&P.lapic) || dest <= 0xff);
    if (shorthand == VLAPIC_SH_SELF || shorthand == VLAPIC_SH_ALL)
        vlapic_accept(&P.lapic, dm, vector, false);
    else if (shorthand == VLAPIC_SH_NONE)
        fz_to_lapic(dest, logical, dm, vector, false);
}

/* Passed on after the operation, as the glue does once the vCPU's lock is dropped. */
static void fz_eoi_level(void *ctx, uint8_t vector)
{
    FZ_CHECK(vector >= 16);
    P.eoi = vector;
}

/* Guest RAM is [FZ_GPA_BASE, FZ_GPA_BASE + FZ_GPA_SIZE); anything else is not RAM. */
static uint8_t *fz_gpa(uint64_t gpa, size_t len)
{
    unsigned int n = P.gpa_calls++;

    FZ_CHECK(len >= 1 && len <= FWCFG_DMA_CHUNK && gpa <= UINT64_MAX - len);
    if ((P.cfg.flags & FZ_CFG_FAULTS) && (P.cfg.gpa_faults >> (n % 32) & 1))
        return NULL;
    if (gpa < FZ_GPA_BASE || gpa - FZ_GPA_BASE > FZ_GPA_SIZE ||
        len > FZ_GPA_SIZE - (gpa - FZ_GPA_BASE))
        return NULL;
    return P.guest + (gpa - FZ_GPA_BASE);
}

static int fz_read_gpa(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    const uint8_t *g = fz_gpa(gpa, len);

    if (!g)
        return -EFAULT;
    memcpy(buf, g, len);
    return 0;
}

static int fz_write_gpa(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    uint8_t *g = fz_gpa(gpa, len);

    if (!g)
        return -EFAULT;
    memcpy(g, buf, len);
    return 0;
}

/* --- devices ------------------------------------------------------------------------------- */

static void fz_publish(struct fwcfg *fw)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(fz_files); i++)
        if (P.cfg.files >> i & 1)
            FZ_CHECK(!fwcfg_add_file(fw, fz_files[i].name, fz_file_data, fz_files[i].len));
    if (P.cfg.flags & FZ_CFG_NUMS) {
        FZ_CHECK(!fwcfg_set_u64(fw, FW_CFG_RAM_SIZE, 512ull << 20));
        FZ_CHECK(!fwcfg_set_u16(fw, FW_CFG_NB_CPUS, 2));
        FZ_CHECK(!fwcfg_set_u16(fw, FW_CFG_MAX_CPUS, 4));
    }
}

static void fz_init_vlapic(void *d, uint8_t *arena)
{
    vlapic_init(d, &P.lapic_env, P.cfg.apic_id, P.cfg.flags & FZ_CFG_BSP);
}

static void fz_init_vioapic(void *d, uint8_t *arena)
{
    vioapic_init(d, &P.ioapic_env, P.cfg.ioapic_id);
}

static void fz_init_pic(void *d, uint8_t *arena) { pic_init(d, &P.isa_env); }
static void fz_init_pit(void *d, uint8_t *arena) { pit_init(d, &P.isa_env); }
static void fz_init_pmtimer(void *d, uint8_t *arena) { pmtimer_init(d, &P.isa_env, FZ_PM_BASE); }
static void fz_init_hpet(void *d, uint8_t *arena) { hpet_init(d, &P.hpet_env); }

static void fz_init_rtc(void *d, uint8_t *arena)
{
    rtc_init(d, &P.isa_env);
    rtc_set_time(d, P.cfg.wallclock);
}

static void fz_init_fwcfg(void *d, uint8_t *arena)
{
    fwcfg_init(d, &P.fwcfg_env, arena, FZ_ARENA_SIZE);
    fz_publish(d);
}

/* Every model keeps its migrating state first, as struct <dev>_state s. */
#define FZ_SAVE_LOAD(dev, field)                                                            \
    _Static_assert(offsetof(struct dev, s) == 0 && sizeof(P.field.s) <= FZ_STATE_MAX, #dev); \
    static void *fz_live_##dev(void) { return &P.field; }                                    \
    static size_t fz_save_##dev(const void *d, void *buf, size_t len)                        \
    {                                                                                        \
        return dev##_save(d, buf, len);                                                      \
    }                                                                                        \
    static int fz_load_##dev(void *d, const void *buf, size_t len)                           \
    {                                                                                        \
        return dev##_load(d, buf, len);                                                      \
    }
#define FZ_TIMER(dev)                                                                        \
    static uint64_t fz_next_##dev(void *d) { return dev##_next_event(d); }                   \
    static void fz_update_##dev(void *d) { dev##_update(d); }
#define FZ_RESET(dev) \
    static void fz_reset_##dev(void *d) { dev##_reset(d); }

FZ_SAVE_LOAD(vlapic, lapic) FZ_TIMER(vlapic)
FZ_SAVE_LOAD(vioapic, ioapic)
FZ_SAVE_LOAD(pic, pic) FZ_TIMER(pic) FZ_RESET(pic)
FZ_SAVE_LOAD(pit, pit) FZ_TIMER(pit) FZ_RESET(pit)
FZ_SAVE_LOAD(rtc, rtc) FZ_TIMER(rtc) FZ_RESET(rtc)
FZ_SAVE_LOAD(pmtimer, pm) FZ_TIMER(pmtimer) FZ_RESET(pmtimer)
FZ_SAVE_LOAD(hpet, hpet) FZ_TIMER(hpet) FZ_RESET(hpet)
FZ_SAVE_LOAD(fwcfg, fwcfg) FZ_RESET(fwcfg)

struct fz_dev_ops {
    const char *name;
    size_t state_size, save_size;
    void *(*live)(void);
    void (*init)(void *dev, uint8_t *arena);
    size_t (*save)(const void *dev, void *buf, size_t len);
    int (*load)(void *dev, const void *buf, size_t len);
    uint64_t (*next)(void *dev);    /* NULL for the devices without time */
    void (*update)(void *dev);
    void (*reset)(void *dev);       /* NULL: no reset (the vLAPIC's is INIT, done apart) */
    bool still;                     /* update before the next event changes no state at all */
};

#define FZ_OPS(dev, field)                                                                   \
    .name = #dev, .state_size = sizeof(P.field.s), .save_size = 8 + sizeof(P.field.s),        \
    .live = fz_live_##dev, .init = fz_init_##dev, .save = fz_save_##dev, .load = fz_load_##dev
#define FZ_OPS_TIMER(dev) .next = fz_next_##dev, .update = fz_update_##dev

static const struct fz_dev_ops fz_devs[D_NR] = {
    [D_LAPIC] = { FZ_OPS(vlapic, lapic), FZ_OPS_TIMER(vlapic), .still = true },
    [D_IOAPIC] = { FZ_OPS(vioapic, ioapic) },
    [D_PIC] = { FZ_OPS(pic, pic), FZ_OPS_TIMER(pic), .reset = fz_reset_pic, .still = true },
    [D_PIT] = { FZ_OPS(pit, pit), FZ_OPS_TIMER(pit), .reset = fz_reset_pit, .still = true },
    [D_RTC] = { FZ_OPS(rtc, rtc), FZ_OPS_TIMER(rtc), .reset = fz_reset_rtc },
    [D_PM] = { FZ_OPS(pmtimer, pm), FZ_OPS_TIMER(pmtimer), .reset = fz_reset_pmtimer },
    [D_HPET] = { FZ_OPS(hpet, hpet), FZ_OPS_TIMER(hpet), .reset = fz_reset_hpet, .still = true },
    [D_FWCFG] = { FZ_OPS(fwcfg, fwcfg), .reset = fz_reset_fwcfg },
};

static const enum fz_dev fz_timers[] = { D_LAPIC, D_PIC, D_PIT, D_RTC, D_PM, D_HPET };

static void fz_setup(struct fz_in *in)
{
    memset(&P, 0, sizeof(P));
    P.cfg.wallclock = fz_u64(in);
    P.cfg.tsc0 = fz_u64(in);
    P.cfg.tsc_khz = fz_u32(in) | 1;     /* the hypervisor always knows its TSC rate */
    P.cfg.apic_id = fz_u32(in);
    P.cfg.gpa_faults = fz_u32(in);
    P.cfg.flags = fz_u8(in);
    P.cfg.ioapic_id = fz_u8(in);
    P.cfg.files = fz_u8(in);
    P.now = fz_u64(in) % FZ_TIME_MAX;   /* guest time when the devices are created */
    P.isa_pulse = P.eoi = -1;
    P.lapic_env = (struct vlapic_env){
        .base = { fz_now, NULL, NULL }, .send_ipi = fz_send_ipi, .eoi_level = fz_eoi_level,
        .tsc = fz_tsc, .tsc_khz = P.cfg.tsc_khz, .tsc_deadline = P.cfg.flags & FZ_CFG_DEADLINE,
    };
    P.ioapic_env = (struct vioapic_env){ { fz_now, NULL, NULL }, fz_deliver };
    P.isa_env = (struct vdev_env){ fz_now, fz_isa_irq, NULL };
    P.hpet_env = (struct hpet_env){ { fz_now, fz_hpet_irq, NULL }, fz_msi };
    P.fwcfg_env = (struct fwcfg_env){ { fz_now, NULL, NULL }, fz_read_gpa, fz_write_gpa };
    for (unsigned int i = 0; i < D_NR; i++)
        fz_devs[i].init(fz_devs[i].live(), P.arena);
}

/* --- checks -------------------------------------------------------------------------------- */

static bool fz_bit(const uint32_t *map, unsigned int v)
{
    return map[v / 32] >> (v % 32) & 1;
}

static void fz_check_lapic(void)
{
    const struct vlapic_state *s = &P.lapic.s;
    int v = vlapic_pending_irq(&P.lapic);
    uint8_t ppr = vlapic_ppr(&P.lapic);

    FZ_CHECK(!(s->irr[0] & 0xffff) && !(s->isr[0] & 0xffff) && !(s->tmr[0] & 0xffff));
    FZ_CHECK(v == -1 || (v >= 16 && v <= 255 && fz_bit(s->irr, v) && (v >> 4) > (ppr >> 4)));
    FZ_CHECK(vlapic_current_count(&P.lapic) <= s->timer_icr);
}

static void fz_check_platform(void)
{
    FZ_CHECK(P.isa_pulse < 0);
    FZ_CHECK(P.sci == P.pm.s.sci);
    FZ_CHECK(P.hpet_lines == P.hpet.s.lines);
    FZ_CHECK((pic_pending_vector(&P.pic) >= 0) == pic_intr(&P.pic));
    fz_check_lapic();
}

/* After each operation: the deferred EOI reaches the IOAPIC, then everything is checked. */
static void fz_after_op(void)
{
    int vector = P.eoi;

    P.eoi = -1;
    if (vector >= 0)
        vioapic_eoi(&P.ioapic, (uint8_t)vector);
    fz_check_platform();
}

/* After a load into the live devices, the callbacks' view follows what was loaded. */
static void fz_resync(void)
{
    P.sci = P.pm.s.sci;
    P.hpet_lines = P.hpet.s.lines;
}

/* --- time ---------------------------------------------------------------------------------- */

static void fz_advance_to(uint64_t t)
{
    P.now = MAX(P.now, MIN(t, FZ_TIME_MAX - 1));
}

static uint64_t fz_next_all(void)
{
    uint64_t next = VDEV_NO_EVENT;

    for (unsigned int i = 0; i < ARRAY_SIZE(fz_timers); i++) {
        const struct fz_dev_ops *d = &fz_devs[fz_timers[i]];

        next = MIN(next, d->next(d->live()));
    }
    return next;
}

/* One device's update, as the glue calls it when the device's timer fires (or early). */
static void fz_update(const struct fz_dev_ops *d)
{
    void *dev = d->live();
    uint64_t due = d->next(dev), after;
    unsigned int raised = P.raised;
    uint8_t before[FZ_STATE_MAX];

    memcpy(before, dev, d->state_size);
    d->update(dev);
    if (P.now < due) {
        FZ_CHECK(P.raised == raised);
        FZ_CHECK(!d->still || !memcmp(before, dev, d->state_size));
    }
    after = d->next(dev);
    FZ_CHECK(after == VDEV_NO_EVENT || after > P.now);
}

/* --- register accesses --------------------------------------------------------------------- */

static uint64_t fz_pm_expected(void)
{
    return (unsigned __int128)P.now * PMTIMER_FREQ_HZ / 1000000000u & 0xffffff;
}

static uint64_t fz_hpet_expected(void)
{
    const struct hpet_state *s = &P.hpet.s;
    uint64_t ns = P.now > s->enable_ns ? P.now - s->enable_ns : 0;

    if (!(s->config & HPET_CFG_ENABLE))
        return s->counter;
    return s->counter + (uint64_t)((unsigned __int128)ns * 1000000 / HPET_PERIOD_FS);
}

/* The HPET registers, and the upper halves a 4-byte access may reach. */
static const uint16_t fz_hpet_regs[] = {
    HPET_REG_CAP, HPET_REG_CONFIG, HPET_REG_STATUS, HPET_REG_COUNTER, HPET_REG_COUNTER + 4,
    HPET_REG_TIMER(0), HPET_REG_CMP(0), HPET_REG_CMP(0) + 4, HPET_REG_FSB(0), HPET_REG_FSB(0) + 4,
    HPET_REG_TIMER(1), HPET_REG_CMP(1), HPET_REG_CMP(1) + 4, HPET_REG_FSB(1), HPET_REG_FSB(1) + 4,
    HPET_REG_TIMER(2), HPET_REG_CMP(2), HPET_REG_CMP(2) + 4, HPET_REG_FSB(2), HPET_REG_FSB(2) + 4,
};

/* A register as a driver names it: its offset and natural size. */
static void fz_mmio_reg(unsigned int dev, uint8_t b, uint32_t *off, unsigned int *size)
{
    static const uint32_t ioapic_regs[3] = { VIOAPIC_IOREGSEL, VIOAPIC_IOWIN, VIOAPIC_EOIR };

    *size = 4;
    if (dev == D_LAPIC) {
        *off = (b & 0x3f) << 4;
    } else if (dev == D_IOAPIC) {
        *off = ioapic_regs[b % 3];
    } else {
        *off = fz_hpet_regs[b % ARRAY_SIZE(fz_hpet_regs)];
        *size = (b & 0x80) || (*off & 4) ? 4 : 8;
    }
}

static uint64_t fz_mmio(unsigned int dev, bool write, uint32_t off, unsigned int size,
                        uint64_t val)
{
    if (dev == D_LAPIC && write)
        vlapic_mmio_write(&P.lapic, off, size, (uint32_t)val);
    else if (dev == D_LAPIC)
        return vlapic_mmio_read(&P.lapic, off, size);
    else if (dev == D_IOAPIC && write)
        vioapic_mmio_write(&P.ioapic, off, size, (uint32_t)val);
    else if (dev == D_IOAPIC)
        return vioapic_mmio_read(&P.ioapic, off, size);
    else if (write)
        hpet_mmio_write(&P.hpet, off, size, val);
    else
        return hpet_mmio_read(&P.hpet, off, size);
    return 0;
}

/* LAPIC, IOAPIC and HPET pages: a register as drivers access it, or any offset and size. */
static void op_mmio(struct fz_in *in)
{
    static const unsigned int devs[3] = { D_LAPIC, D_IOAPIC, D_HPET };
    uint8_t sel = fz_u8(in);
    unsigned int dev = devs[sel % 3], size;
    bool write = sel & 0x80;
    uint32_t off;
    uint64_t got;

    if (sel & 0x40) {
        off = fz_u16(in) & 0xfff;
        size = fz_size(in);
    } else {
        fz_mmio_reg(dev, fz_u8(in), &off, &size);
    }
    got = fz_mmio(dev, write, off, size, write ? fz_u64(in) : 0);
    if (dev == D_HPET && !write && size == 4)
        FZ_CHECK(got <= 0xffffffffu);
    if (dev == D_HPET && !write && size == 8 && off == HPET_REG_COUNTER)
        FZ_CHECK(got == fz_hpet_expected());
}

/* Index-and-data registers, both halves in one go: IOAPIC, RTC, fw_cfg selector and data. */
static void op_indexed(struct fz_in *in)
{
    uint8_t sel = fz_u8(in), idx = fz_u8(in);
    bool write = sel & 0x80;
    uint32_t val = fz_u32(in);

    switch (sel % 3) {
    case 0:
        vioapic_mmio_write(&P.ioapic, VIOAPIC_IOREGSEL, 4, idx & 0x40 ? idx : idx & 0x3f);
        fz_mmio(D_IOAPIC, write, VIOAPIC_IOWIN, 4, val);
        break;
    case 1:
        rtc_io_write(&P.rtc, RTC_PORT_INDEX, 1, idx);
        if (write)
            rtc_io_write(&P.rtc, RTC_PORT_DATA, 1, val & 0xff);
        else
            FZ_CHECK(rtc_io_read(&P.rtc, RTC_PORT_DATA, 1) <= 0xff);
        break;
    default:
        fwcfg_io_write(&P.fwcfg, FWCFG_PORT_SEL, 2, idx & 0x40 ? val : idx & 0x3f);
        for (unsigned int i = 0; i < (val >> 16) % 64; i++)
            FZ_CHECK(fwcfg_io_read(&P.fwcfg, FWCFG_PORT_DATA, 1) <= 0xff);
        break;
    }
}

/* Where the glue sends each port, with the ports worth aiming at. */
static const struct {
    uint16_t port;
    uint8_t dev;
} fz_ports[] = {
    { 0x20, D_PIC }, { 0x21, D_PIC }, { 0xa0, D_PIC }, { 0xa1, D_PIC }, { 0x4d0, D_PIC },
    { 0x4d1, D_PIC }, { 0x40, D_PIT }, { 0x41, D_PIT }, { 0x42, D_PIT }, { 0x43, D_PIT },
    { 0x61, D_PIT }, { 0x70, D_RTC }, { 0x71, D_RTC }, { FZ_PM_BASE, D_PM },
    { FZ_PM_BASE + 2, D_PM }, { FZ_PM_BASE + 4, D_PM }, { FZ_PM_BASE + 8, D_PM },
    { 0x510, D_FWCFG }, { 0x511, D_FWCFG }, { 0x514, D_FWCFG }, { 0x518, D_FWCFG },
};

static uint32_t fz_port_read(unsigned int dev, uint16_t port, unsigned int size)
{
    switch (dev) {
    case D_PIC: return pic_io_read(&P.pic, port, size);
    case D_PIT: return pit_io_read(&P.pit, port, size);
    case D_RTC: return rtc_io_read(&P.rtc, port, size);
    case D_PM: return pmtimer_io_read(&P.pm, port, size);
    default: return fwcfg_io_read(&P.fwcfg, port, size);
    }
}

static void fz_port_write(unsigned int dev, uint16_t port, unsigned int size, uint32_t val)
{
    switch (dev) {
    case D_PIC: pic_io_write(&P.pic, port, size, val); break;
    case D_PIT: pit_io_write(&P.pit, port, size, val); break;
    case D_RTC: rtc_io_write(&P.rtc, port, size, val); break;
    case D_PM: pmtimer_io_write(&P.pm, port, size, val); break;
    default: fwcfg_io_write(&P.fwcfg, port, size, val); break;
    }
}

/* Port I/O: one of the ports above, or a port near it (the models must ignore the others). */
static void op_port(struct fz_in *in)
{
    uint8_t sel = fz_u8(in), idx = fz_u8(in);
    unsigned int dev = fz_ports[idx % ARRAY_SIZE(fz_ports)].dev;
    uint16_t port = fz_ports[idx % ARRAY_SIZE(fz_ports)].port;
    unsigned int size = fz_size(in);
    uint32_t val = fz_u32(in);

    if (sel & 0x40)
        port += (int8_t)fz_u8(in);
    if (sel & 0x80) {
        fz_port_write(dev, port, size, val);
        return;
    }
    val = fz_port_read(dev, port, size);
    if (dev != D_FWCFG && (size == 1 || size == 2))
        FZ_CHECK(val >> (8 * size) == 0);
    if (dev == D_PM && port == FZ_PM_BASE + 8 && size == 4)
        FZ_CHECK(val == fz_pm_expected());
}

/* x2APIC MSRs, IA32_APIC_BASE and IA32_TSC_DEADLINE; a refused access changes nothing. */
static int fz_msr(uint8_t sel, uint32_t msr, uint64_t val)
{
    bool write = sel & 0x80;

    switch (sel % 3) {
    case 0:
        if (write)
            return vlapic_msr_write(&P.lapic, msr, val);
        return vlapic_msr_read(&P.lapic, msr, &val);
    case 1:
        if (!(sel & 0x40))
            val = VLAPIC_DEFAULT_BASE | (val & (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD));
        if (write)
            return vlapic_apic_base_write(&P.lapic, val);
        FZ_CHECK(vlapic_apic_base_read(&P.lapic) == P.lapic.s.apic_base);
        return 0;
    default:
        if (!(sel & 0x40))
            val = fz_tsc(NULL) + (int16_t)val;
        if (write)
            return vlapic_tsc_deadline_write(&P.lapic, val);
        return vlapic_tsc_deadline_read(&P.lapic, &val);
    }
}

static void op_msr(struct fz_in *in)
{
    uint8_t sel = fz_u8(in), reg = fz_u8(in) & 0x3f;
    uint32_t msr = sel & 0x20 ? fz_u32(in) : 0x800u + reg;
    uint64_t val = fz_u64(in);
    struct vlapic_state before = P.lapic.s;
    bool x2apic_range = msr >= 0x800 && msr <= 0x8ff;
    int rc;

    /* Mostly a value a driver might write: no reserved bits (the ICR's destination is free). */
    if (!(sel & 0x30))
        val &= vlapic_wmask(&P.lapic, reg) | (reg == R_ICR ? ~0ull << 32 : 0);
    rc = fz_msr(sel, msr, val);

    FZ_CHECK(rc == 0 || rc == -EPERM || rc == -ENOENT);
    if (rc)
        FZ_CHECK(!memcmp(&before, &P.lapic.s, sizeof(before)));
    if (sel % 3 == 0)
        FZ_CHECK((rc == -ENOENT) == !x2apic_range);
    if (sel % 3 == 2)
        FZ_CHECK((rc == -EPERM) == !(P.cfg.flags & FZ_CFG_DEADLINE));
    if (sel % 3 == 1)
        FZ_CHECK(rc != -ENOENT);
}

/* --- interrupts ---------------------------------------------------------------------------- */

/* A register write through whichever interface the vLAPIC's mode offers. */
static void fz_lapic_write(unsigned int idx, uint32_t val)
{
    if (vlapic_x2apic_mode(&P.lapic))
        vlapic_msr_write(&P.lapic, 0x800 + idx, val);
    else
        vlapic_mmio_write(&P.lapic, idx << 4, 4, val);
}

/* A driver's timer set-up in one go: APIC on, timer LVT unmasked, divider, then the count. */
static void op_lapic_timer(struct fz_in *in)
{
    uint8_t sel = fz_u8(in), vector = fz_u8(in), shift = fz_u8(in);
    uint32_t count = fz_u32(in) >> (shift & 31);

    fz_lapic_write(R_SVR, 0x1ff);
    fz_lapic_write(R_LVT + VLAPIC_LVT_TIMER, vector | (uint32_t)(sel % 3) << 17);
    fz_lapic_write(R_TDCR, (sel >> 2) & 0xb);
    if (sel % 3 == VLAPIC_TIMER_DEADLINE)
        vlapic_tsc_deadline_write(&P.lapic, fz_tsc(NULL) + count);
    else
        fz_lapic_write(R_TMICT, count);
}

/* INIT: registers to their INIT values; the ID, the mode and pending events stay. */
static void fz_lapic_init(void)
{
    struct vlapic_state old = P.lapic.s;
    const struct vlapic_state *s = &P.lapic.s;

    vlapic_reset(&P.lapic);
    FZ_CHECK(s->apic_base == old.apic_base && s->id == old.id && s->events == old.events &&
             s->sipi_vector == old.sipi_vector);
    FZ_CHECK(!vlapic_enabled(&P.lapic) && vlapic_pending_irq(&P.lapic) < 0);
    for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
        FZ_CHECK(s->lvt[i] & VLAPIC_LVT_MASKED);
    for (unsigned int i = 0; i < 8; i++)
        FZ_CHECK(!s->irr[i] && !s->isr[i]);
    FZ_CHECK(vlapic_next_event(&P.lapic) == VDEV_NO_EVENT);
}

/* The vCPU takes what the vLAPIC asks for, or claims some vector it was not offered. */
static void fz_lapic_ack(bool any, uint8_t vector)
{
    struct vlapic_state before = P.lapic.s;
    int v = vlapic_pending_irq(&P.lapic);

    if (any) {
        vlapic_ack(&P.lapic, vector);
        FZ_CHECK(fz_bit(before.irr, vector) || !memcmp(&before, &P.lapic.s, sizeof(before)));
    } else if (v >= 0) {
        vlapic_ack(&P.lapic, (uint8_t)v);
        FZ_CHECK(fz_bit(P.lapic.s.isr, v) && !fz_bit(P.lapic.s.irr, v));
    }
}

static void fz_lapic_events(uint8_t which)
{
    uint8_t vector;

    switch (which % 4) {
    case 0: vlapic_take_nmi(&P.lapic); break;
    case 1:
        if (vlapic_take_init(&P.lapic))
            fz_lapic_init();
        break;
    case 2: vlapic_take_sipi(&P.lapic, &vector); break;
    default:
        vlapic_take_extint(&P.lapic);
        break;
    }
}

static void op_lapic_irq(struct fz_in *in)
{
    uint8_t sel = fz_u8(in), a = fz_u8(in), b = fz_u8(in);

    switch (sel % 5) {
    case 0: vlapic_accept(&P.lapic, a, b, sel & 0x80); break;
    case 1: fz_lapic_ack(sel & 0x80, b); break;
    case 2: vlapic_eoi(&P.lapic); break;
    case 3: fz_lapic_events(a); break;
    default: fz_lapic_init(); break;
    }
}

/* The CPU's INTA: the pending vector, or with INTR low the IR7 vector and no change. */
static void fz_pic_ack(void)
{
    struct pic_state before = P.pic.s;
    bool intr = pic_intr(&P.pic);
    int want = pic_pending_vector(&P.pic), got = pic_acknowledge(&P.pic);

    if (intr)
        FZ_CHECK(got == want);
    else
        FZ_CHECK(got == (before.chip[0].base | 7) && !memcmp(&before, &P.pic.s, sizeof(before)));
}

/* Interrupt lines driven from outside the models, EOIs from elsewhere, INTA. */
static void op_lines(struct fz_in *in)
{
    uint8_t sel = fz_u8(in), a = fz_u8(in);
    bool level = sel & 0x80;

    switch (sel % 4) {
    case 0: vioapic_set_irq(&P.ioapic, a % 32, level); break;
    case 1: vioapic_eoi(&P.ioapic, a); break;
    case 2: pic_set_irq(&P.pic, a % 20, level); break;
    default: fz_pic_ack(); break;
    }
}

/* --- fw_cfg DMA, RTC clock, PM sleep --------------------------------------------------------- */

static uint64_t fz_guest_addr(struct fz_in *in, bool raw)
{
    return raw ? fz_u64(in) : FZ_GPA_BASE + fz_u16(in) % (FZ_GPA_SIZE + 0x100);
}

static void fz_put_be(uint8_t *p, uint64_t v, unsigned int width)
{
    for (unsigned int i = 0; i < width; i++)
        p[i] = v >> (8 * (width - 1 - i));
}

/* A DMA operation as firmware starts one: the descriptor, then both halves of its address. */
static void op_fwcfg_dma(struct fz_in *in)
{
    uint8_t sel = fz_u8(in);
    uint64_t desc = fz_guest_addr(in, sel & 0x80), addr = fz_guest_addr(in, sel & 0x40);
    uint32_t control = fz_u32(in), length = fz_u32(in);
    bool in_ram = desc >= FZ_GPA_BASE && desc - FZ_GPA_BASE <= FZ_GPA_SIZE - 16;
    uint8_t *d = in_ram ? P.guest + (desc - FZ_GPA_BASE) : NULL;

    if (!(sel & 0x20))
        length %= 3 * FWCFG_DMA_CHUNK;
    if (in_ram) {
        fz_put_be(d, control, 4);
        fz_put_be(d + 4, length, 4);
        fz_put_be(d + 8, addr, 8);
    }
    fwcfg_io_write(&P.fwcfg, FWCFG_PORT_DMA_HI, 4, __builtin_bswap32(desc >> 32));
    fwcfg_io_write(&P.fwcfg, FWCFG_PORT_DMA_LO, 4, __builtin_bswap32((uint32_t)desc));
    FZ_CHECK(P.fwcfg.s.dma_addr == 0);
    /* The control word comes back as 0 or the error bit (unless that write was failed). */
    if (in_ram && !(P.cfg.flags & FZ_CFG_FAULTS))
        FZ_CHECK(!d[0] && !d[1] && !d[2] && (d[3] & ~FW_CFG_DMA_CTL_ERROR) == 0);
}

static void op_misc(struct fz_in *in)
{
    uint8_t sel = fz_u8(in);
    int type;

    if (sel & 1) {
        rtc_set_time(&P.rtc, fz_u64(in));
        return;
    }
    type = pmtimer_sleep_request(&P.pm);
    FZ_CHECK(type >= -1 && type <= 7);
    FZ_CHECK(pmtimer_sleep_request(&P.pm) == -1);
}

/* --- time, updates, resets ----------------------------------------------------------------- */

/* Guest time (and the TSC with it), or the TSC alone, moves forward. */
static void op_time(struct fz_in *in)
{
    uint8_t sel = fz_u8(in);
    uint64_t delta = (uint64_t)fz_u32(in) << (sel & 31);

    if (sel & 0x80)
        P.tsc_extra = delta > UINT64_MAX - P.tsc_extra ? UINT64_MAX : P.tsc_extra + delta;
    else
        fz_advance_to(delta > FZ_TIME_MAX ? FZ_TIME_MAX : P.now + delta);
}

static void op_update(struct fz_in *in)
{
    fz_update(&fz_devs[fz_timers[fz_u8(in) % ARRAY_SIZE(fz_timers)]]);
}

/* The glue's loop: to the earliest next event (or just around it), then every update. */
static void op_run(struct fz_in *in)
{
    uint8_t sel = fz_u8(in);
    unsigned int rounds = sel % FZ_MAX_EVENTS + 1;
    unsigned int skew = sel >> 6;       /* 1 ns early, on time, 1 or 2 ns late */

    for (unsigned int i = 0; i < rounds; i++) {
        uint64_t next = fz_next_all();

        if (next == VDEV_NO_EVENT || next >= FZ_TIME_MAX)
            break;
        fz_advance_to(skew ? next + skew - 1 : next - (next > 0));
        for (unsigned int j = 0; j < ARRAY_SIZE(fz_timers); j++)
            fz_update(&fz_devs[fz_timers[j]]);
        fz_after_op();
    }
}

static void op_reset(struct fz_in *in)
{
    const struct fz_dev_ops *d = &fz_devs[fz_u8(in) % D_NR];

    if (d->reset)
        d->reset(d->live());
}

/* --- save and load ------------------------------------------------------------------------- */

/* Saved, loaded into a fresh instance and saved again: the same image, the same next event. */
static void fz_roundtrip(const struct fz_dev_ops *d)
{
    uint8_t img[FZ_SAVE_MAX], again[FZ_SAVE_MAX];
    uint8_t *small = malloc(d->save_size - 1);
    void *live = d->live();

    fz_dev_name = d->name;
    FZ_CHECK(d->save(live, small, d->save_size - 1) == 0);
    free(small);
    FZ_CHECK(d->save(live, img, sizeof(img)) == d->save_size);
    d->init(&fz_spare, fz_spare_arena);
    FZ_CHECK(d->load(&fz_spare, img, d->save_size) == 0);
    FZ_CHECK(d->save(&fz_spare, again, sizeof(again)) == d->save_size);
    FZ_CHECK(!memcmp(img, again, d->save_size));
    if (d->next)
        FZ_CHECK(d->next(&fz_spare) == d->next(live));
}

static void op_roundtrip(struct fz_in *in)
{
    for (unsigned int i = 0; i < D_NR; i++)
        fz_roundtrip(&fz_devs[i]);
}

/* An image of len bytes (in a heap block of exactly that size) offered to a fresh instance. */
static void fz_try_load(const struct fz_dev_ops *d, const uint8_t *img, size_t len, bool adopt)
{
    uint8_t *buf = malloc(len ? len : 1), before[FZ_STATE_MAX], again[FZ_SAVE_MAX];
    int rc;

    fz_dev_name = d->name;
    memcpy(buf, img, len);
    d->init(&fz_spare, fz_spare_arena);
    memcpy(before, &fz_spare, d->state_size);
    rc = d->load(&fz_spare, buf, len);
    FZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc) {
        FZ_CHECK(!memcmp(before, &fz_spare, d->state_size));
    } else {
        FZ_CHECK(len == d->save_size);
        FZ_CHECK(d->save(&fz_spare, again, sizeof(again)) == len && !memcmp(again, buf, len));
    }
    /* Whatever load accepts, the device must then run on, and keep its promises, from now. */
    if (!rc && adopt) {
        FZ_CHECK(d->load(d->live(), buf, len) == 0);
        fz_resync();
        if (d->update)
            fz_update(d);
    }
    free(buf);
}

/* Values a hostile image would put in a 64-bit field: around 2^64 (and 0), 2^32, 2^63, and
 * the latest guest time here. */
static uint64_t fz_edge(uint8_t b)
{
    static const uint64_t edges[4] = { 0, 1ull << 32, 1ull << 63, FZ_TIME_MAX };

    return edges[(b >> 4) & 3] - 8 + (b & 15);
}

/* The live device's image with bytes changed or 64-bit fields set to edge values, and its
 * length cut or stretched. */
static void op_corrupt(struct fz_in *in)
{
    uint8_t sel = fz_u8(in), lsel = fz_u8(in), changes = fz_u8(in) % 8;
    const struct fz_dev_ops *d = &fz_devs[sel % D_NR];
    uint8_t img[FZ_SAVE_MAX + 16] = { 0 };
    size_t len = d->save_size;

    d->save(d->live(), img, sizeof(img));
    for (unsigned int i = 0; i < changes; i++) {
        size_t pos = fz_u16(in) % len;
        uint8_t b = fz_u8(in);
        uint64_t edge = fz_edge(b);

        if (b & 0x80 && len >= 16)
            memcpy(img + 8 + (pos % (len / 8 - 1)) * 8, &edge, sizeof(edge));
        else
            img[pos] ^= b;
    }
    if (lsel & 0x80)
        len = lsel & 0x40 ? len + (lsel & 15) + 1 : (lsel & 0x3f) * len / 64;
    fz_try_load(d, img, len, !(sel & 0x80));
}

/* --- the program --------------------------------------------------------------------------- */

static void (*const fz_ops[])(struct fz_in *in) = {
    op_mmio, op_mmio, op_indexed, op_port, op_port, op_msr, op_lapic_irq, op_lapic_timer,
    op_lines, op_fwcfg_dma, op_misc, op_time, op_update, op_run, op_reset, op_roundtrip, op_corrupt,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = { data, size };

    if (!fz_file_data[0])
        for (unsigned int i = 0; i < sizeof(fz_file_data); i++)
            fz_file_data[i] = (uint8_t)(i * 7 + 1);
    fz_setup(&in);
    fz_check_platform();
    for (unsigned int n = 0; in.left && n < FZ_MAX_OPS; n++) {
        fz_dev_name = NULL;
        fz_ops[fz_u8(&in) % ARRAY_SIZE(fz_ops)](&in);
        fz_after_op();
    }
    op_roundtrip(&in);
    return 0;
}
