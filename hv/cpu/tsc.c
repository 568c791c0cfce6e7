/*
 * TSC calibration and time. Under emulation the host may deschedule us in the middle of a
 * measurement, which only ever makes a window look longer in TSC ticks, so we take the minimum of
 * several PIT windows after a warm-up. CPUID leaf 0x15, when it names the crystal, is exact on
 * hardware; we still check it against the PIT, since emulators may not keep their TSC at that rate.
 */
#include <keel/cpu.h>
#include <keel/printk.h>
#include <keel/time.h>

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_GATE_PORT 0x61
#define PIT_WINDOW_MS 10
#define PIT_WINDOWS 5

uint64_t tsc_khz;
static uint64_t boot_unix_seconds;
static uint64_t boot_tsc;
static uint64_t ns_mult;                /* ns = tsc * ns_mult >> 32 */
static uint64_t tsc_mult;               /* tsc = ns * tsc_mult >> 32 */

void time_record_boot_tsc(void)
{
    boot_tsc = rdtsc();
}

uint64_t tsc_to_ns(uint64_t tsc)
{
    return (uint64_t)(((unsigned __int128)tsc * ns_mult) >> 32);
}

uint64_t ns_to_tsc(uint64_t ns)
{
    return (uint64_t)(((unsigned __int128)ns * tsc_mult) >> 32);
}

/* Saturates: a deadline too far to express is "never", not a wrapped time in the past. */
uint64_t tsc_at(uint64_t ns)
{
    unsigned __int128 t = ((unsigned __int128)ns * tsc_mult >> 32) + boot_tsc;

    return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

uint64_t now_ns(void)
{
    return tsc_khz ? tsc_to_ns(rdtsc() - boot_tsc) : 0;
}

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + ns_to_tsc(us * NSEC_PER_USEC);

    while (rdtsc() < end)
        cpu_relax();
}

/* One PIT channel 2 window of ms milliseconds (at most 54); returns TSC ticks, 0 if no PIT. */
uint64_t pit_measure_tsc(unsigned int ms)
{
    uint32_t latch = PIT_HZ * ms / 1000;
    uint64_t start, spins = 0;

    outb(PIT_GATE_PORT, (uint8_t)((inb(PIT_GATE_PORT) & ~0x02) | 0x01));  /* gate on, speaker off */
    outb(PIT_CMD, 0xb0);                    /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(PIT_CH2, latch & 0xff);
    outb(PIT_CH2, (uint8_t)(latch >> 8));
    start = rdtsc_ordered();
    while (!(inb(PIT_GATE_PORT) & 0x20)) {  /* OUT2 goes high at terminal count */
        if (++spins > 100000000)
            return 0;
    }
    return rdtsc_ordered() - start;
}

static uint64_t pit_calibrate_khz(void)
{
    uint64_t best = UINT64_MAX;

    pit_measure_tsc(PIT_WINDOW_MS);         /* warm-up */
    for (unsigned int i = 0; i < PIT_WINDOWS; i++) {
        uint64_t t = pit_measure_tsc(PIT_WINDOW_MS);

        if (t && t < best)
            best = t;
    }
    return best == UINT64_MAX ? 0 : best / PIT_WINDOW_MS;
}

static uint64_t cpuid_tsc_khz(void)
{
    struct cpuid_regs r;

    if (cpuid(0).eax < 0x15)
        return 0;
    r = cpuid(0x15);
    if (!r.eax || !r.ebx || !r.ecx)
        return 0;
    return (uint64_t)r.ecx * r.ebx / r.eax / 1000;
}

static void set_rate(uint64_t khz)
{
    tsc_khz = khz;
    ns_mult = (NSEC_PER_MSEC << 32) / khz;
    tsc_mult = (khz << 32) / NSEC_PER_MSEC;
}

void tsc_calibrate(void)
{
    uint64_t pit = pit_calibrate_khz(), leaf = cpuid_tsc_khz();
    bool invariant = cpuid(0x80000000).eax >= 0x80000007 && (cpuid(0x80000007).edx & (1u << 8));

    if (!pit && !leaf)
        panic("time: no PIT and no TSC frequency leaf: cannot calibrate the TSC");
    if (leaf && pit && (leaf > pit + pit / 20 || leaf < pit - pit / 20)) {
        pr_warn("time: CPUID says the TSC runs at %llu kHz but the PIT measures %llu kHz; "
                "using the measurement\n", (unsigned long long)leaf, (unsigned long long)pit);
        leaf = 0;
    }
    set_rate(leaf ? leaf : pit);
    pr_info("time: TSC %llu.%03llu MHz (%s)%s\n", (unsigned long long)(tsc_khz / 1000),
            (unsigned long long)(tsc_khz % 1000), leaf ? "CPUID leaf 0x15" : "PIT, best of 5",
            invariant ? ", invariant" : "");
}

static uint8_t cmos_read(uint8_t index)
{
    outb(0x70, index);
    return inb(0x71);
}

static unsigned int from_bcd(uint8_t v, bool bcd)
{
    return bcd ? (v >> 4) * 10 + (v & 0xf) : v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), by the civil-from-days method. */
static uint64_t days_since_1970(unsigned int y, unsigned int m, unsigned int d)
{
    unsigned int era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (uint64_t)era * 146097 + doe - 719468;
}

void wallclock_init(void)
{
    uint8_t b, hour;
    bool bcd;
    unsigned int sec, min, h, day, mon, year;

    for (unsigned int i = 0; i < 1000000 && (cmos_read(0x0a) & 0x80); i++)
        cpu_relax();                    /* wait out an update in progress */
    b = cmos_read(0x0b);
    bcd = !(b & 0x04);
    sec = from_bcd(cmos_read(0x00), bcd);
    min = from_bcd(cmos_read(0x02), bcd);
    hour = cmos_read(0x04);
    day = from_bcd(cmos_read(0x07), bcd);
    mon = from_bcd(cmos_read(0x08), bcd);
    year = 2000 + from_bcd(cmos_read(0x09), bcd);
    h = from_bcd(hour & 0x7f, bcd);
    if (!(b & 0x02) && (hour & 0x80))   /* 12-hour clock, PM */
        h = (h % 12) + 12;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || min > 59 || sec > 60) {
        pr_warn("time: the CMOS clock reads nonsense; guests' clocks start at 1970\n");
        return;
    }
    boot_unix_seconds = days_since_1970(year, mon, day) * 86400 + h * 3600 + min * 60 + sec;
    pr_info("time: wall clock %u-%02u-%02u %02u:%02u:%02u UTC (from the CMOS clock)\n", year, mon,
            day, h, min, sec);
}

uint64_t wallclock_now(void)
{
    return boot_unix_seconds ? boot_unix_seconds + now_ns() / NSEC_PER_SEC : 0;
}
