/*
 * Logging. Every line gets a timestamp and goes to the console (if its level passes loglvl=)
 * and to an in-memory ring that the control domain can read later.
 */
#ifndef KEEL_PRINTK_H
#define KEEL_PRINTK_H

#include <keel/types.h>
#include <stdarg.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* A guest's terminal output, byte for byte, between the hypervisor's own lines. */
void printk_raw(const char *s, size_t len);
void printk(enum log_level level, const char *fmt, ...) __printf(2, 3);
void vprintk(enum log_level level, const char *fmt, va_list ap);

void printk_init(void);
/* The crash path: frees the log lock if a dead CPU holds it, so the dump still prints. */
void printk_emergency_unlock(void);
/* Reads log record *seq (see logring_read); for the control domain's log reader later. */
long printk_read_log(uint64_t *seq, uint8_t *level, uint64_t *ns, char *out, size_t size);

#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

/* A broken hypervisor invariant: dump state and stop. Never for guest-caused problems. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define BUG_ON(c) do { if (unlikely(c)) panic("BUG at %s:%d: %s", __FILE__, __LINE__, #c); } while (0)

#endif
