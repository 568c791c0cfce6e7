/* The hypervisor console: a polled 16550 UART. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <keel/types.h>

/* port 0 disables the serial console (output still reaches the log ring). */
void console_init(uint16_t port, uint32_t baud);
void console_write(const char *s, size_t len);
uint16_t console_port(void);

#endif
