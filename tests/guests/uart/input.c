/*
 * arg=input: COM1 set up as Linux's 8250 driver leaves it for a console (8N1 at 115200, FIFOs
 * with trigger 8, received-data interrupts on IRQ 4) reads one line typed at the hypervisor's
 * console, which the domain holds the focus of (console=input in the manifest). The line is
 * longer than the FIFO, so it comes in several batches, and echoed back through THR.
 */
#include "uart.h"

#define EXPECTED "keel console input: the quick brown fox jumps over the lazy dog 0123456789"
#define WAIT_MS 60000

static int line_end(void)
{
    for (unsigned int i = 0; i < irq_log.rx_len; i++)
        if (irq_log.rx[i] == '\r' || irq_log.rx[i] == '\n')
            return (int)i;
    return -1;
}

static void echo(const volatile uint8_t *s, unsigned int len)
{
    static const char prefix[] = "uart-input: echo ";

    for (const char *p = prefix; *p; p++)
        uart_out(THR, (uint8_t)*p);
    for (unsigned int i = 0; i < len; i++)
        uart_out(THR, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
    uart_out(THR, '\n');
}

void uart_input_test(void)
{
    unsigned int want = sizeof(EXPECTED) - 1;
    uint64_t waited = 0;
    int end;

    uart_out(LCR, 0x83);
    uart_out(DLL, 1);
    uart_out(DLM, 0);
    uart_out(LCR, 0x03);
    uart_out(FCR, 0x87);
    uart_out(MCR, MCR_OUT2 | MCR_RTS | MCR_DTR);
    while (uart_in(LSR) & LSR_DR)
        uart_in(RBR);
    uart_irq_log_clear();
    uart_out(IER, 0x01);
    printf("uart-input: ready for a line on the console\n");
    while ((end = line_end()) < 0 && irq_log.rx_len < sizeof(irq_log.rx) &&
           waited < (uint64_t)WAIT_MS * PM_TICKS_PER_MS)
        waited += uart_wait_irqs(irq_log.irqs + 1, WAIT_MS);
    report(end == (int)want && !memcmp((const void *)irq_log.rx, EXPECTED, want), "uart-input-line",
           "%u bytes, line end at %d", irq_log.rx_len, end);
    report(irq_log.irqs >= (want + 15) / 16, "uart-input-irqs", "%u interrupts for %u bytes",
           irq_log.irqs, want);
    echo(irq_log.rx, end < 0 ? irq_log.rx_len : (unsigned int)end);
}
