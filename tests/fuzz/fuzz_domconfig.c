/*
 * libFuzzer target for the domain-definition loader (toolstack/config/): any bytes as a domain
 * XML file. Besides what the sanitizers catch, the target aborts when the loader breaks a promise
 * of domconfig.h:
 * - a load that fails leaves at least one error in the diagnostics, and one that succeeds none;
 * - every diagnostic has a message, and a line that is not negative;
 * - a definition that loads writes back as canonical XML that loads again to an equal definition,
 *   and writing that one again gives the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../toolstack/config/domconfig.h"

static const struct keel_domconfig_id taken[] = {
    { "taken", { 0x4d, 0xea, 0x22, 0xb3, 0x1d, 0x52, 0xd8, 0xf3, 0x25, 0x16, 0x78, 0x2e, 0x98,
                 0xab, 0x3f, 0xa0 } },
};
static const struct keel_host_limits host = {
    .max_vcpus = 16, .nr_cpus = 4, .free_bytes = 8ull << 30, .existing = taken, .nr_existing = 1,
};

static void check_diag(const struct keel_diag *d, int rc)
{
    if ((rc != 0) != (d->errors != 0))
        abort();
    for (size_t i = 0; i < d->count; i++)
        if (!d->items[i].message || d->items[i].line < 0)
            abort();
}

/* Writes cfg to a fresh buffer; the caller frees it. */
static char *write_mem(const struct keel_domconfig *cfg, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);

    if (!f || keel_domconfig_write(cfg, f) || fclose(f))
        abort();
    return buf;
}

static void round_trip(const struct keel_domconfig *cfg)
{
    struct keel_domconfig again;
    struct keel_diag d;
    size_t len1, len2;
    char *x1 = write_mem(cfg, &len1), *x2;

    keel_diag_init(&d);
    if (keel_domconfig_load_mem(x1, len1, "canonical.xml", &host, &again, &d)) {
        keel_diag_print(&d, stderr);
        fprintf(stderr, "%.*s\n", (int)len1, x1);
        abort();
    }
    if (!keel_domconfig_equal(cfg, &again))
        abort();
    x2 = write_mem(&again, &len2);
    if (len1 != len2 || memcmp(x1, x2, len1))
        abort();
    free(x1);
    free(x2);
    keel_domconfig_free(&again);
    keel_diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct keel_domconfig cfg;
    struct keel_diag d;
    int rc;

    keel_diag_init(&d);
    rc = keel_domconfig_load_mem((const char *)data, size, "fuzz.xml", &host, &cfg, &d);
    check_diag(&d, rc);
    if (!rc) {
        round_trip(&cfg);
        keel_domconfig_free(&cfg);
    }
    keel_diag_free(&d);
    return 0;
}
