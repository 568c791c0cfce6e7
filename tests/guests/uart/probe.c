/*
 * How Linux's 8250 driver identifies a port (its autoconfig): the IER test, the loopback modem
 * test, FIFO detection through FCR and IIR, then the tests that tell a 16550A from its variants
 * (EFR registers, National SuperIO banks, the TI16750's 64-byte mode, XScale's IER bit 6, and
 * a FIFO deeper than 16 bytes). Each step restores what it changed, as the driver does.
 */
#include "uart.h"

/* Bytes looped back into the receiver at the fastest rate; the FIFO keeps what fits. */
unsigned int uart_fifo_size(void)
{
    uint8_t lcr = uart_in(LCR), fcr, mcr, dll, dlm;
    unsigned int n;

    uart_out(LCR, 0);
    fcr = uart_in(IIR);                 /* FCR cannot be read: the driver restores IIR's value */
    mcr = uart_in(MCR);
    uart_out(FCR, 0x07);
    uart_out(MCR, MCR_LOOP);
    uart_out(LCR, 0x80);
    dll = uart_in(DLL);
    dlm = uart_in(DLM);
    uart_out(DLL, 1);
    uart_out(DLM, 0);
    uart_out(LCR, 0x03);
    for (n = 0; n < 256; n++)
        uart_out(THR, (uint8_t)n);
    for (n = 0; (uart_in(LSR) & LSR_DR) && n < 256; n++)
        uart_in(RBR);
    uart_out(FCR, fcr);
    uart_out(MCR, mcr);
    uart_out(LCR, 0x80);
    uart_out(DLL, dll);
    uart_out(DLM, dlm);
    uart_out(LCR, lcr);
    return n;
}

/* National SuperIO parts show MCR's LOOP bit in bank 2 (LCR 0xE0), register 2. */
static bool natsemi(void)
{
    uint8_t mcr, a, b;

    uart_out(LCR, 0);
    mcr = uart_in(MCR);
    uart_out(LCR, 0xe0);
    a = uart_in(2);
    if ((a ^ mcr) & MCR_LOOP)
        return false;
    uart_out(LCR, 0);
    uart_out(MCR, mcr ^ MCR_LOOP);
    uart_out(LCR, 0xe0);
    b = uart_in(2);
    uart_out(LCR, 0);
    uart_out(MCR, mcr);
    return (b ^ mcr) & MCR_LOOP;
}

/* The TI16750 sets IIR bit 5 for its 64-byte FIFO only when enabled under DLAB. */
static bool ti16750(void)
{
    uint8_t a, b;

    uart_out(LCR, 0);
    uart_out(FCR, 0x21);
    a = uart_in(IIR) >> 5;
    uart_out(FCR, 0x01);
    uart_out(LCR, 0x80);
    uart_out(FCR, 0x21);
    b = uart_in(IIR) >> 5;
    uart_out(FCR, 0x01);
    uart_out(LCR, 0);
    return a == 6 && b == 7;
}

static bool xscale(void)
{
    uint8_t ier = uart_in(IER);
    bool sticks = false;

    uart_out(IER, ier & ~0x40);
    if (!(uart_in(IER) & 0x40)) {
        uart_out(IER, ier | 0x40);
        sticks = uart_in(IER) & 0x40;
    }
    uart_out(IER, ier);
    return sticks;
}

static const char *probe_16550a_variants(void)
{
    uart_out(LCR, 0x80);
    if (uart_in(2) == 0)                /* an EFR that reads 0 under DLAB */
        return "16650";
    uart_out(LCR, 0xbf);
    if (uart_in(2) == 0)                /* an EFR under LCR 0xBF */
        return "16650V2";
    if (natsemi())
        return "NS16550A";
    if (ti16750())
        return "16750";
    if (xscale())
        return "XScale";
    return uart_fifo_size() == 64 ? "U6_16550A" : "16550A";
}

static const char *probe_no_fifo(void)
{
    uint8_t old = uart_in(SCR), a, b;

    uart_out(SCR, 0xa5);
    a = uart_in(SCR);
    uart_out(SCR, 0x5a);
    b = uart_in(SCR);
    uart_out(SCR, old);
    return a == 0xa5 && b == 0x5a ? "16450" : "8250";
}

static bool ier_test(void)
{
    uint8_t ier = uart_in(IER), a, b;

    uart_out(IER, 0);
    a = uart_in(IER) & 0x0f;
    uart_out(IER, 0x0f);
    b = uart_in(IER) & 0x0f;
    uart_out(IER, ier);
    return a == 0 && b == 0x0f;
}

const char *uart_linux_probe(void)
{
    uint8_t mcr, lcr, msr, iir;
    const char *type;

    if (!ier_test())
        return "none (IER test)";
    mcr = uart_in(MCR);
    lcr = uart_in(LCR);
    uart_out(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
    msr = uart_in(MSR) & 0xf0;
    uart_out(MCR, mcr);
    if (msr != 0x90)                    /* OUT2 and RTS looped to DCD and CTS */
        return "none (loopback test)";
    uart_out(LCR, 0xbf);
    uart_out(2, 0);                     /* EFR if there is one, else FCR */
    uart_out(LCR, 0);
    uart_out(FCR, 0x01);
    iir = uart_in(IIR);
    switch (iir >> 6) {
    case 0: type = probe_no_fifo(); break;
    case 1: type = "unknown"; break;
    case 2: type = "16550"; break;
    default: type = probe_16550a_variants(); break;
    }
    uart_out(LCR, lcr);
    return type;
}
