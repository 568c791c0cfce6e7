/* `keel info` output (toolstack/cli/info.c): pure formatting, unit-tested. */
#ifndef KEEL_CLI_INFO_H
#define KEEL_CLI_INFO_H

#include <stdbool.h>
#include <stdio.h>

#include <public/keel/hypercall.h>

/* "0", "0-3", "0,2-3": the CPUs in mask; "none" for 0. */
void keel_format_cpus(uint64_t mask, char *buf, size_t size);
/* The name of a keel_domain_state value ("?" if unknown). */
const char *keel_state_name(uint32_t state);
/* s as a JSON string literal, quotes included. */
void keel_json_string(FILE *f, const char *s);
/* The whole report, human or JSON. */
void keel_print_info(FILE *f, const struct keel_physinfo *p, const struct keel_domain_info *doms,
                     unsigned int n, bool json);

#endif
