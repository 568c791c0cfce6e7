/*
 * A small vsnprintf (%d %i %u %x %X %p %s %c %%, with '-', '0', a width, a precision for %s
 * and the l/ll/z/h length modifiers) and printf on KEEL_DEBUG_PORT, which the hypervisor logs line by line.
 */
#include "guest.h"

struct out {
    char *buf;
    size_t size, len;
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;

    if (!left && pad == '0' && n && (*s == '-')) {
        /* zero padding goes between the sign and the digits */
        out_char(o, *s++);
        n--;
    }
    if (!left)
        while (fill-- > 0)
            out_char(o, pad);
    while (n--)
        out_char(o, *s++);
    while (fill-- > 0)
        out_char(o, ' ');
}

static size_t format_number(char *tmp, uint64_t v, bool negative, unsigned int base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    size_t n = 0, len = 0;

    do {
        rev[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (negative)
        tmp[len++] = '-';
    while (n)
        tmp[len++] = rev[--n];
    return len;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        bool left = false, is_signed = false, upper = false;
        char pad = ' ', tmp[24];
        int width = 0, longs = 0, precision = -1;
        unsigned int base = 10;
        uint64_t v;

        if (*fmt != '%') {
            out_char(&o, *fmt);
            continue;
        }
        for (fmt++; *fmt == '-' || *fmt == '0'; fmt++) {
            if (*fmt == '-')
                left = true;
            else
                pad = '0';
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        if (*fmt == '.')
            for (precision = 0, fmt++; *fmt >= '0' && *fmt <= '9'; fmt++)
                precision = precision * 10 + (*fmt - '0');
        for (; *fmt == 'l' || *fmt == 'z' || *fmt == 'h'; fmt++)
            if (*fmt != 'h')
                longs++;
        if (left)
            pad = ' ';

        switch (*fmt) {
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            out_padded(&o, tmp, 1, width, left, ' ');
            continue;
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t n = 0;

            if (!s)
                s = "(null)";
            while (s[n] && (precision < 0 || n < (size_t)precision))
                n++;
            out_padded(&o, s, n, width, left, ' ');
            continue;
        }
        case 'p':
            out_char(&o, '0');
            out_char(&o, 'x');
            v = (uintptr_t)va_arg(ap, void *);
            out_padded(&o, tmp, format_number(tmp, v, false, 16, false), width, left, pad);
            continue;
        case 'd':
        case 'i':
            is_signed = true;
            break;
        case 'u':
            break;
        case 'X':
            upper = true;
            /* fall through */
        case 'x':
            base = 16;
            break;
        case '%':
            out_char(&o, '%');
            continue;
        default:                    /* unknown: print it as it was written */
            out_char(&o, '%');
            if (!*fmt)
                goto done;
            out_char(&o, *fmt);
            continue;
        }

        if (is_signed) {
            int64_t s = longs ? va_arg(ap, int64_t) : va_arg(ap, int);

            v = s < 0 ? -(uint64_t)s : (uint64_t)s;
            out_padded(&o, tmp, format_number(tmp, v, s < 0, base, upper), width, left, pad);
        } else {
            v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
            out_padded(&o, tmp, format_number(tmp, v, false, base, upper), width, left, pad);
        }
    }
done:
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (const char *p = buf; *p; p++)
        outb(KEEL_DEBUG_PORT, (uint8_t)*p);
    return n;
}
