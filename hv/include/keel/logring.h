/*
 * The log ring: complete log lines kept in memory, oldest overwritten first, each with a sequence
 * number so a reader (the control domain, later) can resume where it stopped and learn how many
 * lines it missed. Pure logic; hv/lib/printk.c owns the instance and the lock.
 */
#ifndef KEEL_LOGRING_H
#define KEEL_LOGRING_H

#include <keel/types.h>

struct logring {
    char *buf;                      /* size bytes, a power of two */
    size_t size;
    uint64_t head;                  /* bytes ever written (position of the next record) */
    uint64_t tail;                  /* position of the oldest record still whole in buf */
    uint64_t first_seq;             /* sequence number of the record at tail */
    uint64_t next_seq;              /* sequence number the next record gets */
};

void logring_init(struct logring *r, char *buf, size_t size);
/* Appends one record (a line without its newline; longer than size/4 is cut). */
void logring_append(struct logring *r, uint8_t level, uint64_t timestamp_ns, const char *text,
                    size_t len);
/*
 * Copies the record with sequence number *seq, or the oldest kept if *seq is older, into out
 * (NUL-terminated, cut to out_size). On success sets *seq to the sequence number read and returns
 * the text length; returns -ENOENT if there is no such record yet.
 */
long logring_read(const struct logring *r, uint64_t *seq, uint8_t *level, uint64_t *timestamp_ns,
                  char *out, size_t out_size);

#endif
