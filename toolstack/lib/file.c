/* keel_read_file (file.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "file.h"

void *keel_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    int e;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        e = errno;
    } else if ((size_t)n > max) {
        e = EFBIG;
    } else if (!(buf = malloc((size_t)n + 1))) {
        e = ENOMEM;
    } else if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        e = ferror(f) ? EIO : EAGAIN;   /* it shrank meanwhile */
    } else {
        fclose(f);
        buf[n] = 0;
        *len = (size_t)n;
        return buf;
    }
    free(buf);
    fclose(f);
    errno = e;
    return NULL;
}
