/* Reading a whole file, for the toolstack's programs (toolstack/lib/file.c). */
#ifndef KEEL_TS_FILE_H
#define KEEL_TS_FILE_H

#include <stddef.h>

/* The file's bytes with a NUL after them, and their number in *len; NULL with errno set
 * (EFBIG when it is larger than max). The caller frees it. */
void *keel_read_file(const char *path, size_t max, size_t *len);

#endif
