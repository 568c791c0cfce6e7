/*
 * Formatted output with C99 semantics for the conversions the hypervisor uses: d i u x X o c s p %,
 * the flags - 0 + space #, field width and precision (also as *), and the length modifiers
 * hh h l ll z t j. %p is always "0x" and 16 lower-case hex digits, so addresses line up.
 *
 * There is no floating point: the hypervisor is built with -mgeneral-regs-only. An unsupported
 * conversion such as %f is copied to the output as written, so the mistake is visible in the log
 * instead of silently printing a wrong value; it consumes no argument.
 */
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/types.h>

#define FLAG_LEFT  0x01u     /* - */
#define FLAG_ZERO  0x02u     /* 0 */
#define FLAG_PLUS  0x04u     /* + */
#define FLAG_SPACE 0x08u     /* space */
#define FLAG_ALT   0x10u     /* # */

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct spec {
    unsigned int flags;
    int width;              /* 0 when not given */
    int prec;               /* -1 when not given */
    enum length length;
};

/* Where output goes. len counts every byte produced, including those that did not fit. */
struct sink {
    char *buf;
    size_t size;
    size_t len;
};

/* z and t take the signed and unsigned types of size_t's width; va_arg needs to know them. */
BUILD_BUG_ON(sizeof(ptrdiff_t) != sizeof(size_t));

static void sink_put(struct sink *s, const char *p, size_t n)
{
    if (s->len < s->size)
        memcpy(s->buf + s->len, p, MIN(n, s->size - 1 - s->len));
    s->len += n;
}

/* Counts the padding without looping over it, so a huge width costs nothing once buf is full. */
static void sink_pad(struct sink *s, char c, size_t n)
{
    if (s->len < s->size)
        memset(s->buf + s->len, c, MIN(n, s->size - 1 - s->len));
    s->len += n;
}

/* Saturates instead of overflowing: such a width cannot be printed anyway. */
static int parse_decimal(const char **p)
{
    int v = 0;

    while (**p >= '0' && **p <= '9') {
        int d = *(*p)++ - '0';
        v = v > (INT32_MAX - d) / 10 ? INT32_MAX : v * 10 + d;
    }
    return v;
}

static const char *parse_flags(const char *p, struct spec *sp)
{
    for (;; p++) {
        switch (*p) {
        case '-': sp->flags |= FLAG_LEFT; break;
        case '0': sp->flags |= FLAG_ZERO; break;
        case '+': sp->flags |= FLAG_PLUS; break;
        case ' ': sp->flags |= FLAG_SPACE; break;
        case '#': sp->flags |= FLAG_ALT; break;
        default: return p;
        }
    }
}

/* A negative * width means the - flag and its absolute value; a negative * precision, none. */
static const char *parse_width_prec(const char *p, struct spec *sp, va_list *ap)
{
    if (*p == '*') {
        int w = va_arg(*ap, int);
        p++;
        if (w < 0)
            sp->flags |= FLAG_LEFT;
        sp->width = w >= 0 ? w : w == INT32_MIN ? INT32_MAX : -w;
    } else {
        sp->width = parse_decimal(&p);
    }
    if (*p != '.')
        return p;
    p++;
    if (*p == '*') {
        int prec = va_arg(*ap, int);
        p++;
        sp->prec = prec < 0 ? -1 : prec;
    } else {
        sp->prec = parse_decimal(&p);
    }
    return p;
}

static const char *parse_length(const char *p, struct spec *sp)
{
    switch (*p) {
    case 'h':
        sp->length = p[1] == 'h' ? LEN_HH : LEN_H;
        return p + (p[1] == 'h' ? 2 : 1);
    case 'l':
        sp->length = p[1] == 'l' ? LEN_LL : LEN_L;
        return p + (p[1] == 'l' ? 2 : 1);
    case 'z': sp->length = LEN_Z; return p + 1;
    case 't': sp->length = LEN_T; return p + 1;
    case 'j': sp->length = LEN_J; return p + 1;
    default: return p;
    }
}

/* hh and h arguments arrive promoted to int; C99 says to convert them back before printing. */
static int64_t fetch_signed(va_list *ap, enum length length)
{
    switch (length) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H: return (short)va_arg(*ap, int);
    case LEN_L: return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z: return va_arg(*ap, ptrdiff_t);
    case LEN_T: return va_arg(*ap, ptrdiff_t);
    case LEN_J: return va_arg(*ap, intmax_t);
    default: return va_arg(*ap, int);
    }
}

static uint64_t fetch_unsigned(va_list *ap, enum length length)
{
    switch (length) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L: return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z: return va_arg(*ap, size_t);
    case LEN_T: return va_arg(*ap, size_t);
    case LEN_J: return va_arg(*ap, uintmax_t);
    default: return va_arg(*ap, unsigned int);
    }
}

/* A field of text n bytes long, padded with spaces to the width. */
static void put_field(struct sink *s, const struct spec *sp, const char *text, size_t n)
{
    size_t pad = (size_t)sp->width > n ? (size_t)sp->width - n : 0;

    if (!(sp->flags & FLAG_LEFT))
        sink_pad(s, ' ', pad);
    sink_put(s, text, n);
    if (sp->flags & FLAG_LEFT)
        sink_pad(s, ' ', pad);
}

/* Writes the digits of v so that they end at end; returns how many. Zero has no digits. */
static size_t to_digits(char *end, uint64_t v, unsigned int base, bool upper)
{
    const char *xdigits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    for (; v; v /= base)
        *--p = xdigits[v % base];
    return (size_t)(end - p);
}

/* sign is '-', '+', ' ' or 0 for none; v is the magnitude. */
static void put_integer(struct sink *s, const struct spec *sp, char conv, uint64_t v, char sign)
{
    char digits[24];        /* 22 octal digits hold 64 bits */
    unsigned int base = conv == 'o' ? 8 : conv == 'x' || conv == 'X' ? 16 : 10;
    size_t n = to_digits(digits + sizeof(digits), v, base, conv == 'X');
    size_t prec = sp->prec < 0 ? 1 : (size_t)sp->prec;
    const char *prefix = base == 16 && (sp->flags & FLAG_ALT) && v ? (conv == 'X' ? "0X" : "0x") : "";
    size_t zeros, body, pad;

    /* # on o makes the first digit a zero, raising the precision if it has to. */
    if (conv == 'o' && (sp->flags & FLAG_ALT) && prec <= n)
        prec = n + 1;
    zeros = prec > n ? prec - n : 0;
    body = (sign != 0) + strlen(prefix) + zeros + n;
    pad = (size_t)sp->width > body ? (size_t)sp->width - body : 0;
    /* The 0 flag pads after the sign and prefix, and is ignored with - or a precision. */
    if ((sp->flags & (FLAG_ZERO | FLAG_LEFT)) == FLAG_ZERO && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!(sp->flags & FLAG_LEFT))
        sink_pad(s, ' ', pad);
    if (sign)
        sink_put(s, &sign, 1);
    sink_put(s, prefix, strlen(prefix));
    sink_pad(s, '0', zeros);
    sink_put(s, digits + sizeof(digits) - n, n);
    if (sp->flags & FLAG_LEFT)
        sink_pad(s, ' ', pad);
}

static void put_number(struct sink *s, const struct spec *sp, char conv, va_list *ap)
{
    int64_t v;
    char sign;

    if (conv != 'd' && conv != 'i') {
        put_integer(s, sp, conv, fetch_unsigned(ap, sp->length), 0);
        return;
    }
    v = fetch_signed(ap, sp->length);
    sign = v < 0 ? '-' : sp->flags & FLAG_PLUS ? '+' : sp->flags & FLAG_SPACE ? ' ' : 0;
    /* Negated in unsigned arithmetic, so INT64_MIN keeps its magnitude. */
    put_integer(s, sp, conv, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, sign);
}

static void put_string(struct sink *s, const struct spec *sp, const char *str)
{
    if (!str)
        str = "(null)";
    /* With a precision the string need not be terminated, so never look past it. */
    put_field(s, sp, str, sp->prec < 0 ? strlen(str) : strnlen(str, (size_t)sp->prec));
}

static void put_pointer(struct sink *s, const struct spec *sp, const void *ptr)
{
    char text[18] = "0x";
    uint64_t v = (uintptr_t)ptr;

    for (size_t i = sizeof(text) - 1; i >= 2; i--, v >>= 4)
        text[i] = "0123456789abcdef"[v & 15];
    put_field(s, sp, text, sizeof(text));
}

/* Formats the conversion whose '%' is at pct; returns where the text after it starts. */
static const char *put_conversion(struct sink *s, const char *pct, va_list *ap)
{
    struct spec sp = { .prec = -1 };
    const char *p = parse_length(parse_width_prec(parse_flags(pct + 1, &sp), &sp, ap), &sp);
    char conv = *p;
    char c;

    /* Length modifiers are for integers; %ls and %lc would want wide characters. */
    if (sp.length != LEN_NONE && (conv == 'c' || conv == 's' || conv == 'p'))
        conv = '?';
    switch (conv) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
        put_number(s, &sp, conv, ap);
        break;
    case 'c':
        c = (char)va_arg(*ap, int);
        put_field(s, &sp, &c, 1);
        break;
    case 's':
        put_string(s, &sp, va_arg(*ap, const char *));
        break;
    case 'p':
        put_pointer(s, &sp, va_arg(*ap, const void *));
        break;
    case '%':
        sink_put(s, "%", 1);
        break;
    case '\0':              /* a '%' that ends the format */
        sink_put(s, pct, (size_t)(p - pct));
        return p;
    default:
        sink_put(s, pct, (size_t)(p + 1 - pct));
        break;
    }
    return p + 1;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { .buf = buf, .size = size };
    va_list args;

    /* The helpers take a va_list *. On x86-64 va_list is an array type, so the parameter ap is
     * really a pointer and &ap has the wrong type; a local copy has the right one. */
    va_copy(args, ap);
    while (*fmt) {
        const char *pct = strchr(fmt, '%');

        if (!pct) {
            sink_put(&s, fmt, strlen(fmt));
            break;
        }
        sink_put(&s, fmt, (size_t)(pct - fmt));
        fmt = put_conversion(&s, pct, &args);
    }
    va_end(args);
    if (size)
        buf[MIN(s.len, size - 1)] = '\0';
    /* C99 wants a negative result when the length does not fit in an int. */
    return s.len > INT32_MAX ? -ERANGE : (int)s.len;
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
