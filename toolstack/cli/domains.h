/* keel's verbs on running domains (toolstack/cli/domains.c). Each returns an exit code. */
#ifndef KEEL_CLI_DOMAINS_H
#define KEEL_CLI_DOMAINS_H

#include <stdbool.h>

#include "../lib/libkeel.h"
#include "defs.h"

/* The domain with that ID or name: 0 and info, or -ESRCH. */
int keel_find_domain(struct keel *k, const char *what, struct keel_domain_info *info);
/* The hypervisor's domains; with all, also the defined ones (keeld's) that are not running. */
int keel_cmd_list(struct keel *k, bool json, bool all);
int keel_cmd_dominfo(struct keel *k, const char *what, bool json);
/* pause (suspend), resume (unpause), shutdown, destroy. */
int keel_cmd_simple(struct keel *k, const char *verb, const char *what);
/* Asks it to power off and waits up to timeout_s seconds (0: does not wait). */
int keel_cmd_shutdown(struct keel *k, const char *what, int timeout_s);
int keel_cmd_console(struct keel *k, const char *what, bool dump);

#endif
