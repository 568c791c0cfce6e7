/*
 * Value syntax shared by the loader and the writer: memory sizes with libvirt's units, cpusets
 * and UUIDs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domconfig_priv.h"

struct mem_unit {
    const char *name;
    uint64_t scale;
};

/* libvirt's meanings: the KB family counts in powers of 1000, the KiB family in powers of 1024. */
static const struct mem_unit mem_units[] = {
    { "b", 1 }, { "bytes", 1 },
    { "KB", 1000ull }, { "k", 1ull << 10 }, { "KiB", 1ull << 10 },
    { "MB", 1000000ull }, { "M", 1ull << 20 }, { "MiB", 1ull << 20 },
    { "GB", 1000000000ull }, { "G", 1ull << 30 }, { "GiB", 1ull << 30 },
    { "TB", 1000000000000ull }, { "T", 1ull << 40 }, { "TiB", 1ull << 40 },
};

/* A decimal number without sign, spaces or leading garbage; at most UINT64_MAX. */
int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !*s)
        return -EINVAL;
    for (; *s; s++) {
        unsigned int d;

        if (!isdigit((unsigned char)*s))
            return -EINVAL;
        d = *s - '0';
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int parse_uint(const char *s, unsigned int max, unsigned int *out)
{
    uint64_t v;
    int r = parse_u64(s, &v);

    if (r)
        return r;
    if (v > max)
        return -ERANGE;
    *out = (unsigned int)v;
    return 0;
}

int keel_parse_memory(const char *value, const char *unit, uint64_t *bytes)
{
    uint64_t v, scale = 0;
    int r;

    if (!unit)
        unit = "KiB";
    for (size_t i = 0; i < sizeof(mem_units) / sizeof(mem_units[0]); i++)
        if (!strcmp(unit, mem_units[i].name))
            scale = mem_units[i].scale;
    if (!scale)
        return -EINVAL;
    if ((r = parse_u64(value, &v)))
        return r;
    if (v > UINT64_MAX / scale)
        return -ERANGE;
    v *= scale;
    /* Like libvirt, whole KiB: round up. */
    if (v > UINT64_MAX - 1023)
        return -ERANGE;
    *bytes = (v + 1023) & ~1023ull;
    return 0;
}

static int cpuset_number(const char **p, unsigned int *n)
{
    unsigned long v = 0;

    if (!isdigit((unsigned char)**p))
        return -EINVAL;
    for (; isdigit((unsigned char)**p); (*p)++) {
        v = v * 10 + (unsigned long)(**p - '0');
        if (v > 1000000)
            return -ERANGE;
    }
    *n = (unsigned int)v;
    return 0;
}

/* One item: N, N-M or ^N, with the range checked against max_cpu. */
static int cpuset_item(const char **p, unsigned int max_cpu, uint64_t *add, uint64_t *del)
{
    bool neg = **p == '^';
    unsigned int a, b;
    int r;

    if (neg)
        (*p)++;
    if ((r = cpuset_number(p, &a)))
        return r;
    b = a;
    if (!neg && **p == '-') {
        (*p)++;
        if ((r = cpuset_number(p, &b)))
            return r;
        if (b < a)
            return -EINVAL;
    }
    if (b >= max_cpu)
        return -ERANGE;
    for (unsigned int c = a; c <= b; c++)
        *(neg ? del : add) |= 1ull << c;
    return 0;
}

int keel_parse_cpuset(const char *s, unsigned int max_cpu, uint64_t *mask)
{
    uint64_t add = 0, del = 0;
    const char *p = s;
    int r;

    if (max_cpu > KEEL_DOMCONFIG_MAX_CPUS)
        max_cpu = KEEL_DOMCONFIG_MAX_CPUS;
    if (!s || !*s)
        return -EINVAL;
    for (;;) {
        while (*p == ' ')
            p++;
        if ((r = cpuset_item(&p, max_cpu, &add, &del)))
            return r;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (*p++ != ',')
            return -EINVAL;
    }
    *mask = add & ~del;
    return 0;
}

void keel_format_cpuset(uint64_t mask, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = 0;
    for (unsigned int c = 0; c < 64 && n < size; c++) {
        unsigned int e = c;

        if (!(mask & (1ull << c)))
            continue;
        while (e + 1 < 64 && (mask & (1ull << (e + 1))))
            e++;
        if (e == c)
            n += snprintf(buf + n, size - n, "%s%u", n ? "," : "", c);
        else
            n += snprintf(buf + n, size - n, "%s%u-%u", n ? "," : "", c, e);
        c = e;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int keel_parse_uuid(const char *s, uint8_t uuid[16])
{
    static const unsigned int dash_at[] = { 8, 13, 18, 23 };
    bool dashed = strlen(s) == 36;
    unsigned int got = 0, d = 0;

    if (!dashed && strlen(s) != 32)
        return -EINVAL;
    for (unsigned int i = 0; s[i]; i++) {
        int h, l;

        if (dashed && d < 4 && i == dash_at[d]) {
            if (s[i] != '-')
                return -EINVAL;
            d++;
            continue;
        }
        h = hexval(s[i]);
        l = s[i + 1] ? hexval(s[i + 1]) : -1;
        if (h < 0 || l < 0 || got >= 16)
            return -EINVAL;
        uuid[got++] = (uint8_t)(h << 4 | l);
        i++;
    }
    return got == 16 ? 0 : -EINVAL;
}

void keel_format_uuid(const uint8_t u[16], char buf[37])
{
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
             u[13], u[14], u[15]);
}

/* A random (version 4) UUID, for a definition that has none. */
int uuid_generate(uint8_t uuid[16])
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n;

    if (!f)
        return -errno;
    n = fread(uuid, 1, 16, f);
    fclose(f);
    if (n != 16)
        return -EIO;
    uuid[6] = (uuid[6] & 0x0f) | 0x40;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    return 0;
}
