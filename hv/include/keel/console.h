/*
 * The hypervisor console: a polled 16550 UART. What it receives goes to the domain that holds the
 * console focus, into its COM1 (hv/console_input.c): the most recently started domain created
 * with DOMF_CONSOLE_INPUT, until it is destroyed; with no focus, received bytes are discarded.
 */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <keel/types.h>

/* port 0 disables the serial console (output still reaches the log ring). */
void console_init(uint16_t port, uint32_t baud);
void console_write(const char *s, size_t len);
/* Bytes as they are (no CR added before LF): a guest's own terminal output. */
void console_write_raw(const char *s, size_t len);
uint16_t console_port(void);
/* A byte the UART has received, or -1. */
int console_getc(void);

struct domain;
/* Starts polling the UART for input every CONSOLE_POLL_MS on this CPU's timers (CPU 0). */
#define CONSOLE_POLL_MS 10
void console_input_start(void);
/* Gives the focus to d (NULL: to nobody); bytes still waiting for the previous holder are dropped. */
void console_set_focus(struct domain *d);
/* Takes the focus away from d if d has it (before d is freed). */
void console_unfocus(struct domain *d);
struct domain *console_focus(void);

#endif
