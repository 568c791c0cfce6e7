/* Polled 16550 UART. Polling keeps it usable from any context, including a crash on any CPU.
 * Reception is polled too (hv/console_input.c decides where the bytes go). */
#include <keel/console.h>
#include <keel/cpu.h>

#define UART_THR 0
#define UART_RBR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LCR_DLAB 0x80
#define UART_CLOCK 115200

static uint16_t uart_port;

void console_init(uint16_t port, uint32_t baud)
{
    uint16_t divisor = (uint16_t)(UART_CLOCK / (baud ? baud : UART_CLOCK));

    uart_port = port;
    if (!port)
        return;
    outb(port + UART_IER, 0);                /* polled: no interrupts */
    outb(port + UART_LCR, UART_LCR_DLAB);
    outb(port + UART_DLL, divisor & 0xff);
    outb(port + UART_DLM, divisor >> 8);
    outb(port + UART_LCR, 0x03);             /* 8N1 */
    outb(port + UART_FCR, 0x07);             /* FIFOs on and cleared */
    outb(port + UART_MCR, 0x03);             /* DTR, RTS */
}

uint16_t console_port(void)
{
    return uart_port;
}

static void uart_putc(char c)
{
    /* Bounded wait: a missing or wedged UART must not hang the hypervisor. */
    for (unsigned int spins = 0; spins < 100000; spins++) {
        if (inb(uart_port + UART_LSR) & UART_LSR_THRE)
            break;
        __asm__ volatile("pause");
    }
    outb(uart_port + UART_THR, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
    if (!uart_port)
        return;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

void console_write_raw(const char *s, size_t len)
{
    if (!uart_port)
        return;
    for (size_t i = 0; i < len; i++)
        uart_putc(s[i]);
}

int console_getc(void)
{
    if (!uart_port || !(inb(uart_port + UART_LSR) & UART_LSR_DR))
        return -1;
    return inb(uart_port + UART_RBR);
}
