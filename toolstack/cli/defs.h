/* keel's verbs on definitions, through keeld (toolstack/cli/defs.c). Each returns an exit code. */
#ifndef KEEL_CLI_DEFS_H
#define KEEL_CLI_DEFS_H

#include <stdbool.h>
#include <stddef.h>

/* What keeld says of one domain (its LIST reply). */
struct keeld_vm {
    char name[64], state[16], uuid[40];
    long domid;                         /* -1: not running */
    bool persistent;
    unsigned int vcpus;
    unsigned long long memory_mib;
};

/* keeld's domains into vms (at most max): how many, or -1 when keeld cannot be asked (the
 * reason is printed unless quiet). */
int keeld_list(struct keeld_vm *vms, int max, bool quiet);
/* The socket keeld listens on ($KEELD_SOCKET, or the default). */
const char *keeld_socket(void);

int keel_cmd_validate(int argc, char **argv);
/* define, create: FILE; undefine, start, reboot, dumpxml: NAME. */
int keel_cmd_keeld(const char *verb, const char *arg);

#endif
