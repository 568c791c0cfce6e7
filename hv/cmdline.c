/* Command-line parsing (pure) and the hypervisor's own options. */
#include <keel/cmdline.h>
#include <keel/printk.h>
#include <keel/string.h>

struct keel_options opts = {
    .console_port = 0x3f8,
    .console_baud = 115200,
    .loglvl = LOG_INFO,
    .test_exit = TEST_EXIT_NONE,
    .dom0_mem = GiB(1),
    .dom0_vcpus = 1,
};

struct word {
    const char *key, *val;
    size_t klen, vlen;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A whole quoted word, "key=value with spaces", as GRUB passes an argument that has spaces
 * (and as Linux accepts): the value runs to the closing quote. */
static const char *scan_quoted_word(const char *p, struct word *w)
{
    w->key = ++p;
    while (*p && *p != '"' && *p != '=')
        p++;
    w->klen = (size_t)(p - w->key);
    w->val = p;
    w->vlen = 0;
    if (*p == '=') {
        w->val = ++p;
        while (*p && *p != '"')
            p++;
        w->vlen = (size_t)(p - w->val);
    }
    return *p ? p + 1 : p;
}

/* Reads the word starting at p into w and returns where the next one may start. */
static const char *scan_word(const char *p, struct word *w)
{
    if (*p == '"')
        return scan_quoted_word(p, w);
    w->key = p;
    while (*p && !is_space(*p) && *p != '=')
        p++;
    w->klen = (size_t)(p - w->key);
    w->val = p;
    w->vlen = 0;
    if (*p != '=')
        return p;
    p++;
    if (*p == '"') {
        w->val = ++p;
        while (*p && *p != '"')
            p++;
        w->vlen = (size_t)(p - w->val);
        return *p ? p + 1 : p;
    }
    w->val = p;
    while (*p && !is_space(*p))
        p++;
    w->vlen = (size_t)(p - w->val);
    return p;
}

bool cmdline_find(const char *cmdline, const char *key, const char **val, size_t *len)
{
    size_t keylen = strlen(key);
    bool found = false;
    const char *p = cmdline;
    struct word w;

    while (p && *p) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        p = scan_word(p, &w);
        if (w.klen == keylen && !memcmp(w.key, key, keylen)) {
            *val = w.val;
            *len = w.vlen;
            found = true;
        }
    }
    return found;
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
    const char *v;
    size_t len;

    if (!cmdline_find(cmdline, key, &v, &len))
        return false;
    if (size) {
        len = MIN(len, size - 1);
        memcpy(buf, v, len);
        buf[len] = '\0';
    }
    return true;
}

static int digit_value(char c, unsigned int base)
{
    int d;

    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    else
        return -1;
    return d < (int)base ? d : -1;
}

static int suffix_shift(char c)
{
    switch (c) {
    case 'k': case 'K': return 10;
    case 'm': case 'M': return 20;
    case 'g': case 'G': return 30;
    default: return -1;
    }
}

/* A decimal CPU number at s[*i]; -EINVAL if none, -ERANGE above 63. */
static int parse_cpu(const char *s, size_t len, size_t *i, unsigned int *cpu)
{
    size_t start = *i;
    unsigned int n = 0;

    for (; *i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 3; (*i)++)
        n = n * 10 + (unsigned int)(s[*i] - '0');
    if (*i == start || (*i < len && s[*i] >= '0' && s[*i] <= '9'))
        return *i == start ? -EINVAL : -ERANGE;
    if (n > 63)
        return -ERANGE;
    *cpu = n;
    return 0;
}

int cmdline_parse_cpus(const char *s, size_t len, uint64_t *mask)
{
    uint64_t m = 0;
    size_t i = 0;

    for (;;) {
        unsigned int lo, hi;
        int r = parse_cpu(s, len, &i, &lo);

        if (r)
            return r;
        hi = lo;
        if (i < len && s[i] == '-') {
            i++;
            if ((r = parse_cpu(s, len, &i, &hi)))
                return r;
            if (hi < lo)
                return -EINVAL;
        }
        for (unsigned int c = lo; c <= hi; c++)
            m |= 1ULL << c;
        if (i >= len || s[i] != ',')
            break;
        i++;
    }
    if (i != len)
        return -EINVAL;
    *mask = m;
    return 0;
}

int cmdline_parse_u64(const char *s, size_t len, uint64_t *out)
{
    unsigned int base = 10;
    uint64_t v = 0;
    size_t i = 0, first_digit;
    int shift;

    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= len)
        return -EINVAL;
    first_digit = i;
    for (; i < len; i++) {
        int d = digit_value(s[i], base);

        if (d < 0)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -ERANGE;
        v = v * base + (uint64_t)d;
    }
    if (i < len) {
        shift = suffix_shift(s[i]);
        if (shift < 0 || i + 1 != len || i == first_digit)
            return -EINVAL;
        if (v > (UINT64_MAX >> shift))
            return -ERANGE;
        v <<= shift;
    }
    *out = v;
    return 0;
}

static const char *memchr_or_end(const char *s, char c, size_t len)
{
    size_t i = 0;

    while (i < len && s[i] != c)
        i++;
    return s + i;
}

static bool value_is(const char *v, size_t len, const char *word)
{
    return strlen(word) == len && !memcmp(v, word, len);
}

/* console=com1|com2|none[,baud] */
static void parse_console(const char *v, size_t len)
{
    static const uint16_t ports[] = { 0x3f8, 0x2f8 };
    const char *comma = memchr_or_end(v, ',', len);
    size_t name_len = (size_t)(comma - v);
    uint64_t baud;

    if (value_is(v, name_len, "none"))
        opts.console_port = 0;
    else if (value_is(v, name_len, "com1") || value_is(v, name_len, "com2"))
        opts.console_port = ports[v[3] - '1'];
    else {
        pr_warn("cmdline: console=%.*s: expected com1, com2 or none\n", (int)len, v);
        return;
    }
    if (comma < v + len) {
        /* The UART divides 115200 by a 16-bit divisor. */
        if (cmdline_parse_u64(comma + 1, (size_t)(v + len - comma - 1), &baud) || !baud ||
            baud > 115200 || 115200 % baud || 115200 / baud > 0xffff)
            pr_warn("cmdline: console=%.*s: bad baud rate\n", (int)len, v);
        else
            opts.console_baud = (uint32_t)baud;
    }
}

static void parse_loglvl(const char *v, size_t len)
{
    static const char *const names[] = { "err", "warn", "info", "debug" };

    for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
        if (value_is(v, len, names[i]) || (len == 1 && v[0] == (char)('0' + i))) {
            opts.loglvl = (int)i;
            return;
        }
    }
    pr_warn("cmdline: loglvl=%.*s: expected err, warn, info or debug\n", (int)len, v);
}

static void parse_test_exit(const char *v, size_t len)
{
    if (value_is(v, len, "qemu"))
        opts.test_exit = TEST_EXIT_QEMU;
    else if (value_is(v, len, "bochs"))
        opts.test_exit = TEST_EXIT_BOCHS;
    else
        pr_warn("cmdline: test_exit=%.*s: expected qemu or bochs\n", (int)len, v);
}

/* dom0_mem= (at least 64 MiB, default 1 GiB) and dom0_vcpus= (1 to 64, default 1). */
static void parse_dom0(const char *cmdline)
{
    const char *v;
    size_t len;
    uint64_t n;

    if (cmdline_find(cmdline, "dom0_mem", &v, &len)) {
        if (cmdline_parse_u64(v, len, &n) || n < MiB(64) || n > GiB(1024))
            pr_warn("cmdline: dom0_mem=%.*s: expected a size from 64M to 1024G; ignored\n",
                    (int)len, v);
        else
            opts.dom0_mem = ALIGN_UP(n, MiB(2));
    }
    if (cmdline_find(cmdline, "dom0_vcpus", &v, &len)) {
        if (cmdline_parse_u64(v, len, &n) || !n || n > 64)
            pr_warn("cmdline: dom0_vcpus=%.*s: expected a number from 1 to 64; ignored\n",
                    (int)len, v);
        else
            opts.dom0_vcpus = (unsigned int)n;
    }
}

void options_parse(const char *cmdline)
{
    const char *v;
    size_t len;

    if (cmdline_find(cmdline, "console", &v, &len))
        parse_console(v, len);
    if (cmdline_find(cmdline, "loglvl", &v, &len))
        parse_loglvl(v, len);
    if (cmdline_find(cmdline, "test_exit", &v, &len))
        parse_test_exit(v, len);
    cmdline_get(cmdline, "crash", opts.crash, sizeof(opts.crash));
    opts.bootdump = cmdline_find(cmdline, "bootdump", &v, &len);
    opts.bench = cmdline_find(cmdline, "bench", &v, &len);
    cmdline_get(cmdline, "break_vmcs", opts.break_vmcs, sizeof(opts.break_vmcs));
    opts.vmx_check = cmdline_find(cmdline, "vmx_check", &v, &len);
    if (cmdline_find(cmdline, "max_asids", &v, &len)) {
        uint64_t n;

        if (cmdline_parse_u64(v, len, &n) || !n || n > 0xffff)
            pr_warn("cmdline: max_asids=%.*s: expected a number from 1 to 65535\n", (int)len, v);
        else
            opts.max_asids = (unsigned int)n;
    }
    parse_dom0(cmdline);
}
