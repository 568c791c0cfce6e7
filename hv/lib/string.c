/*
 * Memory and string helpers with the C library's semantics. The same code runs in the hypervisor
 * and in the host unit tests (x86-64 both). Comparisons
 * treat bytes as unsigned char, as the C standard requires.
 */
#include <keel/string.h>

/*
 * gcc can recognise a copy, fill or length loop and replace it with a call to memcpy, memset or
 * strlen, which inside those functions would be endless recursion. -ffreestanding stops it today;
 * this keeps it stopped whatever the flags.
 */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* rep movsb / rep stosb: fast on every CPU with ERMSB, and pages are zeroed and copied often. */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;

    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) :: "memory");
    return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Copying forwards is safe unless dst starts inside [src, src + n). The unsigned difference
     * is at least n both when dst is below src and when it is past the end. */
    if ((uintptr_t)d - (uintptr_t)s >= n) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;

    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x - *y;
    }
    return 0;
}

NO_LIBCALL size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    for (; n; n--, x++, y++) {
        if (*x != *y || !*x)
            return *x - *y;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);

    for (; *haystack; haystack++)
        if (!strncmp(haystack, needle, n))
            return (char *)haystack;
    return n ? NULL : (char *)haystack;
}
