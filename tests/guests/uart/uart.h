/* The uart guest's shared parts: COM1's registers, its interrupt handler and counters. */
#ifndef UART_GUEST_H
#define UART_GUEST_H

#include "guest.h"

#define COM1 0x3f8
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02

static inline void uart_out(unsigned int reg, uint8_t v)
{
    outb(COM1 + reg, v);
}

static inline uint8_t uart_in(unsigned int reg)
{
    return inb(COM1 + reg);
}

/* What the interrupt handler saw: interrupts, IIR sources by identification (IIR bits 3-1),
 * bytes drained, and the last LSR and MSR it read for line and modem status. */
struct uart_irq_log {
    unsigned int irqs, by_id[8];
    uint8_t rx[256];
    unsigned int rx_len;
    uint8_t lsr, msr;
};
extern volatile struct uart_irq_log irq_log;

#define ID_MSR 0
#define ID_THRE 1
#define ID_RDA 2
#define ID_RLS 3
#define ID_TIMEOUT 6

/* Routes IOAPIC pin 4 to the handler (edge, to APIC ID 0) with the local APIC on. */
void uart_irq_setup(void);
void uart_irq_log_clear(void);
/* Lets interrupts in until the handler has run `irqs` times in all, or max_ms pass (guest time,
 * on the ACPI PM timer); returns the PM timer counts waited. */
uint64_t uart_wait_irqs(unsigned int irqs, unsigned int max_ms);
#define PM_TICKS_PER_MS (GUEST_PM_TIMER_HZ / 1000)

/* probe.c: Linux's 8250 identification; names the type it finds ("16550A", "16450", ...). */
const char *uart_linux_probe(void);
unsigned int uart_fifo_size(void);

/* input.c: the arg=input mode, reading a line typed at the hypervisor's console. */
void uart_input_test(void);

#endif
