/*
 * keel-peek DOMID GFN [BYTES]: maps one frame of domain DOMID read-only through /dev/keel and
 * prints its first BYTES bytes (default 16) in hex, on one line. For the foreign-mapping test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../toolstack/lib/libkeel.h"

int main(int argc, char **argv)
{
    struct keel *k;
    uint64_t gfn;
    unsigned long n;
    uint8_t *p;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: keel-peek DOMID GFN [BYTES]\n");
        return 2;
    }
    gfn = strtoull(argv[2], NULL, 0);
    n = argc == 4 ? strtoul(argv[3], NULL, 0) : 16;
    if (n > 4096)
        n = 4096;
    if (!(k = keel_open())) {
        fprintf(stderr, "keel-peek: cannot open /dev/keel: %s\n", strerror(errno));
        return 1;
    }
    p = keel_map_foreign(k, (uint32_t)strtoul(argv[1], NULL, 0), &gfn, 1, KEEL_FOREIGN_RO);
    if (!p) {
        fprintf(stderr, "keel-peek: cannot map d%s gfn %#llx: %s\n", argv[1],
                (unsigned long long)gfn, strerror(errno));
        return 1;
    }
    for (unsigned long i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
    keel_unmap_foreign(p, 1);
    keel_close(k);
    return 0;
}
