/* `keel top` (toolstack/cli/top.c). */
#ifndef KEEL_CLI_TOP_H
#define KEEL_CLI_TOP_H

/* Screens every delay_s seconds, iterations of them (0: until interrupted). Exit code. */
int keel_cmd_top(int iterations, double delay_s);

#endif
