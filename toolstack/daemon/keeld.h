/*
 * keeld: the toolstack's daemon in dom0. It keeps the domains the toolstack knows: the defined
 * ones (their XML under the state directory, /var/lib/keel) and the running ones (their
 * configuration under the run directory, /run/keel, so that a restarted keeld finds them again).
 * It builds domains from their definitions, copies each running domain's console into a log,
 * and applies on_poweroff, on_reboot and on_crash when a domain stops.
 */
#ifndef KEELD_H
#define KEELD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../config/domconfig.h"
#include "../lib/libkeel.h"

struct vm {
    struct vm *next;
    struct keel_domconfig cfg;
    bool persistent;            /* defined: its XML is in the state directory */
    bool running;               /* it has a domain in the hypervisor (any state but gone) */
    uint32_t domid;
    bool reboot_pending;        /* keel reboot: start it again when it powers off */
    bool handled;               /* its stop was handled (preserve): do not act again */
    uint64_t con_pos;           /* how far its console has been copied to con_log */
    FILE *con_log;
};

struct keeld {
    struct keel *k;
    const char *state_dir, *run_dir, *log_dir;
    struct vm *vms;
    bool test_faults;           /* requests may inject build failures (tests only) */
};

/* Messages for the user go to out; each function returns 0 (done) or 1 (failed). */
int vm_define(struct keeld *d, const char *file, const char *xml, size_t len, FILE *out);
int vm_create(struct keeld *d, const char *file, const char *xml, size_t len, int fail_at,
              FILE *out);
int vm_start(struct keeld *d, const char *name, int fail_at, FILE *out);
int vm_undefine(struct keeld *d, const char *name, FILE *out);
int vm_reboot(struct keeld *d, const char *name, FILE *out);
int vm_dumpxml(struct keeld *d, const char *name, FILE *out);
/* One line per domain: "NAME STATE DOMID PERSISTENT UUID VCPUS MEMORY_MIB" (DOMID and STATE
 * are - and shut-off when it is not running). */
int vm_list(struct keeld *d, FILE *out);

struct vm *vm_find(struct keeld *d, const char *name);
/* v's domain is gone (its run file too); a transient v is freed. */
void vm_forget(struct keeld *d, struct vm *v);

/* Definitions from the state directory, then the running domains from the run directory. */
void vm_load_all(struct keeld *d);
/* Consoles copied, stopped domains handled; called a few times a second. */
void vm_poll(struct keeld *d);

/* build.c: the domain for v, from its configuration; 0, or 1 with the reason in out. */
int vm_build(struct keeld *d, struct vm *v, int fail_at, FILE *out);

void keeld_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
