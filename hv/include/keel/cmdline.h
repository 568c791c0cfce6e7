/* The hypervisor command line: space-separated `key` or `key=value` words. */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <keel/types.h>

/*
 * Finds the last `key=value` (or bare `key`) in cmdline. Returns true and sets *val and *len to the
 * value (empty for a bare key); a value may be quoted with "" to contain spaces.
 */
bool cmdline_find(const char *cmdline, const char *key, const char **val, size_t *len);
/* Copies the value of key into buf (NUL-terminated, cut to size); false if key is absent. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);
/* Parses a decimal or 0x-prefixed number with an optional K/M/G suffix; -EINVAL if malformed. */
int cmdline_parse_u64(const char *s, size_t len, uint64_t *out);
/* Parses a CPU list such as "0", "1,3" or "0-2,5" (CPUs 0-63) into a mask; -EINVAL if malformed
 * or empty, -ERANGE for a CPU above 63. */
int cmdline_parse_cpus(const char *s, size_t len, uint64_t *mask);

/* The options the hypervisor understands, decoded once at boot. */
enum test_exit_kind { TEST_EXIT_NONE, TEST_EXIT_QEMU, TEST_EXIT_BOCHS };

struct keel_options {
    uint16_t console_port;          /* 0: no serial console */
    uint32_t console_baud;
    int loglvl;
    enum test_exit_kind test_exit;
    char crash[8];                  /* test-only: "pf" or "ud" makes the hypervisor fault */
    bool bench;                     /* run the native benchmark loops at boot */
    bool bootdump;                  /* hex-dump boot information and ACPI tables */
    unsigned int max_asids;         /* test-only: use at most this many AMD-V ASIDs (recycling) */
    bool vmx_check;                 /* check VT-x guest state before each launch */
    char break_vmcs[8];             /* test-only: "tr" gives every VT-x guest an invalid TR */
    uint64_t dom0_mem;              /* RAM for dom0 (dom0_mem=, default 1 GiB) */
    unsigned int dom0_vcpus;        /* its vCPUs, one per physical CPU (dom0_vcpus=, default 1) */
};

extern struct keel_options opts;
/* Decodes the command line into opts; unknown values are reported and the default kept. */
void options_parse(const char *cmdline);

#endif
