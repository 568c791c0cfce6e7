/*
 * The log ring. Records lie back to back in a power-of-two byte ring, each a header followed by
 * its text, and may wrap around the end of buf. head and tail count bytes ever written, so they
 * only grow (64 bits do not wrap in practice) and the offset into buf is the position masked by
 * size - 1. Everything between tail and head is whole records.
 */
#include <keel/logring.h>
#include <keel/printk.h>
#include <keel/string.h>

struct logring_hdr {
    uint64_t seq;           /* redundant with the walk from tail; checked to catch corruption */
    uint64_t timestamp_ns;
    uint32_t len;           /* bytes of text after the header */
    uint8_t level;
    uint8_t pad[3];
};

BUILD_BUG_ON(sizeof(struct logring_hdr) != 24);

static void ring_write(struct logring *r, uint64_t pos, const void *src, size_t n)
{
    size_t off = pos & (r->size - 1);
    size_t first = MIN(n, r->size - off);

    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const char *)src + first, n - first);
}

static void ring_read(const struct logring *r, uint64_t pos, void *dst, size_t n)
{
    size_t off = pos & (r->size - 1);
    size_t first = MIN(n, r->size - off);

    memcpy(dst, r->buf + off, first);
    memcpy((char *)dst + first, r->buf, n - first);
}

static void drop_oldest(struct logring *r)
{
    struct logring_hdr h;

    ring_read(r, r->tail, &h, sizeof(h));
    r->tail += sizeof(h) + h.len;
    r->first_seq++;
}

void logring_init(struct logring *r, char *buf, size_t size)
{
    /* The ring must hold a header and a line of the longest kept length, and a line's length
     * must fit the header's len field. */
    BUG_ON(!size || (size & (size - 1)));
    BUG_ON(sizeof(struct logring_hdr) + size / 4 > size || size / 4 > UINT32_MAX);
    r->buf = buf;
    r->size = size;
    r->head = 0;
    r->tail = 0;
    r->first_seq = 0;
    r->next_seq = 0;
}

void logring_append(struct logring *r, uint8_t level, uint64_t timestamp_ns, const char *text,
                    size_t len)
{
    struct logring_hdr h = {
        .seq = r->next_seq,
        .timestamp_ns = timestamp_ns,
        .len = (uint32_t)MIN(len, r->size / 4),
        .level = level,
    };
    uint64_t need = sizeof(h) + h.len;

    while (r->head + need - r->tail > r->size)
        drop_oldest(r);
    ring_write(r, r->head, &h, sizeof(h));
    if (h.len)
        ring_write(r, r->head + sizeof(h), text, h.len);
    r->head += need;
    r->next_seq++;
}

/*
 * Records have different lengths, so finding one means walking from tail. The ring is small and
 * read rarely (by the control domain), which makes that cheaper than keeping an index.
 * Returns the record's whole text length even when out was too small for it, so the caller can
 * tell that the copy was cut.
 */
long logring_read(const struct logring *r, uint64_t *seq, uint8_t *level, uint64_t *timestamp_ns,
                  char *out, size_t out_size)
{
    struct logring_hdr h;
    uint64_t pos = r->tail;

    if (*seq >= r->next_seq)
        return -ENOENT;
    if (*seq < r->first_seq)
        *seq = r->first_seq;
    for (uint64_t s = r->first_seq;; s++, pos += sizeof(h) + h.len) {
        ring_read(r, pos, &h, sizeof(h));
        if (s == *seq)
            break;
    }
    BUG_ON(h.seq != *seq);
    if (out_size) {
        size_t n = MIN(h.len, out_size - 1);
        ring_read(r, pos + sizeof(h), out, n);
        out[n] = '\0';
    }
    if (level)
        *level = h.level;
    if (timestamp_ns)
        *timestamp_ns = h.timestamp_ns;
    return h.len;
}
