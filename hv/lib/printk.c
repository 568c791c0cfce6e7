/*
 * printk: format a message, stamp it, keep it in the log ring and, if its level passes loglvl=,
 * write it to the console. One lock orders lines from all CPUs. A message may hold several lines;
 * each becomes its own record.
 */
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/logring.h>
#include <keel/printk.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/time.h>

#define LOG_RING_SIZE (64 * 1024)
#define LINE_MAX 512

static char log_ring_buf[LOG_RING_SIZE];
static struct logring log_ring;
static spinlock_t log_lock = SPINLOCK_INIT;

void printk_init(void)
{
    logring_init(&log_ring, log_ring_buf, sizeof(log_ring_buf));
}

static bool raw_mid_line;           /* a guest's raw output left the console mid-line */

static void emit_line(enum log_level level, uint64_t ns, const char *text, size_t len)
{
    char stamp[32];
    int n;

    logring_append(&log_ring, (uint8_t)level, ns, text, len);
    if ((int)level > opts.loglvl)
        return;
    if (raw_mid_line)
        console_write("\n", 1);
    raw_mid_line = false;
    n = snprintf(stamp, sizeof(stamp), "[%5llu.%06llu] ", (unsigned long long)(ns / NSEC_PER_SEC),
                 (unsigned long long)(ns % NSEC_PER_SEC / NSEC_PER_USEC));
    console_write(stamp, (size_t)n);
    console_write(text, len);
    console_write("\n", 1);
}

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
    char buf[LINE_MAX];
    uint64_t ns = now_ns();
    unsigned long flags;
    size_t len, start = 0;
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    len = n < 0 ? 0 : MIN((size_t)n, sizeof(buf) - 1);
    flags = spin_lock_irqsave(&log_lock);
    for (size_t i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            if (i > start || i < len)
                emit_line(level, ns, buf + start, i - start);
            start = i + 1;
        }
    }
    spin_unlock_irqrestore(&log_lock, flags);
}

void printk_raw(const char *s, size_t len)
{
    unsigned long flags = spin_lock_irqsave(&log_lock);

    console_write_raw(s, len);
    if (len)
        raw_mid_line = s[len - 1] != '\n';
    spin_unlock_irqrestore(&log_lock, flags);
}

void printk(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

/* For the crash path: takes the lock only if it can, so a CPU that died holding it still prints. */
void printk_emergency_unlock(void)
{
    unsigned int spins = 0;

    while (spin_is_locked(&log_lock) && spins++ < 10000000)
        cpu_relax();
    if (spin_is_locked(&log_lock))
        log_lock = (spinlock_t)SPINLOCK_INIT;
}

long printk_read_log(uint64_t *seq, uint8_t *level, uint64_t *ns, char *out, size_t size)
{
    unsigned long flags = spin_lock_irqsave(&log_lock);
    long r = logring_read(&log_ring, seq, level, ns, out, size);

    spin_unlock_irqrestore(&log_lock, flags);
    return r;
}
