/*
 * COM1, the 16550A every domain has at 0x3f8 on IRQ 4: Linux's identification, the registers,
 * and in loopback mode (MCR.LOOP: what is sent comes back) interrupts through IOAPIC pin 4 for
 * received data, FIFO trigger levels, the character timeout, THR empty and modem status, with
 * IIR and LSR on the way; overruns; and OUT2 gating the line. With arg=input it reads a line
 * typed at the hypervisor's console instead (input.c).
 */
#include "uart.h"

/* Loopback with OUT2, FIFOs on and cleared at a trigger (FCR bits 7-6), divisor dl, 8N1. */
static void loopback(uint8_t trigger, uint16_t dl, uint8_t ier)
{
    uart_out(IER, 0);
    uart_out(LCR, 0x80);
    uart_out(DLL, dl & 0xff);
    uart_out(DLM, dl >> 8);
    uart_out(LCR, 0x03);
    uart_out(FCR, 0x07 | trigger);
    uart_out(MCR, MCR_LOOP | MCR_OUT2);
    uart_in(LSR);
    uart_in(MSR);                       /* entering loopback changed the modem inputs */
    asm volatile("sti; nop; cli" ::: "memory");     /* an edge left by the previous check */
    uart_irq_log_clear();
    uart_out(IER, ier);
}

static void check_power_on_state(void)
{
    uint8_t ier = uart_in(IER), iir = uart_in(IIR), lcr = uart_in(LCR), mcr = uart_in(MCR);
    uint8_t lsr = uart_in(LSR), msr = uart_in(MSR);

    report(!ier && iir == 0x01 && !lcr && !mcr && lsr == 0x60 && msr == 0xb0, "uart-power-on",
           "IER %x IIR %x LCR %x MCR %x LSR %x MSR %x (expected 0 1 0 0 60 b0)", ier, iir, lcr,
           mcr, lsr, msr);
}

static void check_registers(void)
{
    uint8_t dll, dlm, ier, scr, mcr;

    uart_out(LCR, 0x83);
    uart_out(DLL, 0x0c);
    uart_out(DLM, 0xab);
    uart_out(LCR, 0x03);
    uart_out(IER, 0xff);
    ier = uart_in(IER);
    uart_out(IER, 0);
    uart_out(LCR, 0x83);
    dll = uart_in(DLL);
    dlm = uart_in(DLM);
    uart_out(LCR, 0x03);
    report(dll == 0x0c && dlm == 0xab && ier == 0x0f, "uart-divisor-latch",
           "DLL %x DLM %x, IER %x (expected c ab f)", dll, dlm, ier);
    uart_out(SCR, 0x5a);
    scr = uart_in(SCR);
    uart_out(MCR, 0xff);
    mcr = uart_in(MCR);
    uart_out(MCR, 0);
    report(scr == 0x5a && mcr == 0x1f && uart_in(LCR) == 0x03, "uart-scratch-mcr-lcr",
           "SCR %x MCR %x LCR %x (expected 5a 1f 3)", scr, mcr, uart_in(LCR));
}

static void check_probe(void)
{
    const char *type = uart_linux_probe();

    report(!strcmp(type, "16550A"), "uart-linux-probe", "identified as %s", type);
    report(uart_fifo_size() == 16, "uart-fifo-size", "%u bytes", uart_fifo_size());
}

static void check_loopback_irq(void)
{
    static const char msg[] = "loopback";
    unsigned int n = sizeof(msg) - 1;

    loopback(0x00, 1, 0x01);            /* trigger 1, received data */
    for (unsigned int i = 0; i < n; i++) {
        uart_out(THR, (uint8_t)msg[i]);
        uart_wait_irqs(i + 1, 1000);
    }
    report(irq_log.irqs == n && irq_log.by_id[ID_RDA] == n && irq_log.rx_len == n &&
           !memcmp((const void *)irq_log.rx, msg, n), "uart-loopback-irq",
           "%u interrupts, %u received data, %u bytes", irq_log.irqs, irq_log.by_id[ID_RDA],
           irq_log.rx_len);
}

/* Trigger 8 with a divisor that puts the character timeout 11 s away. */
static void check_trigger_level(void)
{
    uint8_t iir7, lsr7, iir8;

    loopback(0x80, 0x8000, 0x01);
    for (int i = 0; i < 7; i++)
        uart_out(THR, (uint8_t)('a' + i));
    iir7 = uart_in(IIR);
    lsr7 = uart_in(LSR);
    uart_out(THR, 'h');
    iir8 = uart_in(IIR);
    uart_wait_irqs(1, 1000);
    report(iir7 == 0xc1 && lsr7 == 0x61 && iir8 == 0xc4 && irq_log.irqs == 1 &&
           irq_log.rx_len == 8, "uart-fifo-trigger",
           "IIR %x LSR %x at 7 bytes, IIR %x at 8; %u interrupts, %u bytes", iir7, lsr7, iir8,
           irq_log.irqs, irq_log.rx_len);
}

/* Divisor 256, 8N1: a character takes 22.2 ms, the timeout is 4 of them (88.9 ms). */
static void check_char_timeout(void)
{
    uint64_t waited;
    uint8_t iir;

    loopback(0x80, 256, 0x01);
    uart_out(THR, 'x');
    uart_out(THR, 'y');
    iir = uart_in(IIR);
    waited = uart_wait_irqs(1, 2000);
    report(iir == 0xc1 && irq_log.by_id[ID_TIMEOUT] == 1 && irq_log.rx_len == 2 &&
           waited >= 85 * PM_TICKS_PER_MS, "uart-char-timeout",
           "IIR %x before; %u timeout interrupts, %u bytes after %lu ms", iir,
           irq_log.by_id[ID_TIMEOUT], irq_log.rx_len, (unsigned long)(waited / PM_TICKS_PER_MS));
}

static void check_thre_iir(void)
{
    uint8_t a, b, c, d;

    loopback(0x00, 1, 0);
    uart_out(IER, 0x02);                /* ETBEI set while THR is empty */
    a = uart_in(IIR);
    b = uart_in(IIR);                   /* the first read cleared it */
    uart_out(IER, 0x06);                /* ETBEI stays set: nothing new */
    c = uart_in(IIR);
    uart_out(IER, 0);
    uart_out(IER, 0x02);                /* set again: raised again */
    d = uart_in(IIR);
    report(a == 0xc2 && b == 0xc1 && c == 0xc1 && d == 0xc2, "uart-thre-iir",
           "IIR %x %x %x %x (expected c2 c1 c1 c2)", a, b, c, d);
}

static void check_thre_irq(void)
{
    loopback(0x00, 1, 0x02);
    uart_wait_irqs(1, 1000);
    uart_wait_irqs(2, 50);              /* the handler's IIR read cleared it: no second one */
    report(irq_log.irqs == 1 && irq_log.by_id[ID_THRE] == 1, "uart-thre-irq-on-enable",
           "%u interrupts, %u THR empty", irq_log.irqs, irq_log.by_id[ID_THRE]);
    uart_out(THR, '!');                 /* THR empties again */
    uart_wait_irqs(2, 1000);
    report(irq_log.irqs == 2 && irq_log.by_id[ID_THRE] == 2 && uart_in(LSR) == 0x61,
           "uart-thre-irq-after-write", "%u interrupts, %u THR empty", irq_log.irqs,
           irq_log.by_id[ID_THRE]);
}

static void check_overrun(void)
{
    uint8_t lsr1, lsr2, iir;
    bool order = true;

    loopback(0xc0, 1, 0x05);            /* trigger 14; line status and received data */
    for (int i = 0; i < 17; i++)
        uart_out(THR, (uint8_t)(0x30 + i));
    iir = uart_in(IIR);
    report(iir == 0xc6, "uart-overrun-iir", "IIR %x (expected c6: line status first)", iir);
    uart_wait_irqs(1, 1000);
    lsr2 = uart_in(LSR);
    for (unsigned int i = 0; i < irq_log.rx_len; i++)
        order &= irq_log.rx[i] == 0x30 + i;
    report(irq_log.by_id[ID_RLS] == 1 && (irq_log.lsr & 0x63) == 0x63 && irq_log.rx_len == 16 &&
           order && lsr2 == 0x60, "uart-overrun",
           "handler saw %u line status (LSR %x), %u bytes%s; LSR after %x", irq_log.by_id[ID_RLS],
           irq_log.lsr, irq_log.rx_len, order ? "" : " out of order", lsr2);
    /* Without FIFOs the second byte replaces the first. */
    uart_out(IER, 0);
    uart_out(FCR, 0);
    uart_out(THR, 'p');
    uart_out(THR, 'q');
    iir = uart_in(IIR);
    lsr1 = uart_in(LSR);
    report(iir == 0x01 && lsr1 == 0x63 && uart_in(RBR) == 'q' && uart_in(LSR) == 0x60,
           "uart-16450-overrun", "IIR %x LSR %x", iir, lsr1);
}

static void check_modem_status_irq(void)
{
    loopback(0x00, 1, 0x08);
    uart_out(MCR, MCR_LOOP | MCR_OUT2 | MCR_DTR);   /* DTR drives DSR */
    uart_wait_irqs(1, 1000);
    report(irq_log.by_id[ID_MSR] == 1 && irq_log.msr == 0xa2, "uart-modem-status-irq",
           "%u modem status interrupts, MSR %x (expected a2: DCD, DSR, DDSR)",
           irq_log.by_id[ID_MSR], irq_log.msr);
}

static void check_out2_gate(void)
{
    unsigned int before;

    loopback(0x00, 1, 0);
    uart_out(MCR, MCR_LOOP);
    uart_out(IER, 0x01);
    uart_out(THR, 'g');                 /* pending, but OUT2 is off */
    uart_wait_irqs(1, 50);
    before = irq_log.irqs;
    uart_out(MCR, MCR_LOOP | MCR_OUT2);
    uart_wait_irqs(1, 1000);
    report(before == 0 && irq_log.irqs == 1 && irq_log.rx_len == 1 && irq_log.rx[0] == 'g',
           "uart-out2-gates-irq", "%u interrupts with OUT2 off, %u after setting it", before,
           irq_log.irqs);
}

/* Outside loopback THR goes to the domain's console like port 0xE9. */
static void say_hello(void)
{
    static const char line[] = "uart: this line went out through COM1\n";

    uart_out(IER, 0);
    uart_out(MCR, MCR_OUT2);
    uart_out(FCR, 0x07);
    for (const char *p = line; *p; p++) {
        while (!(uart_in(LSR) & 0x20))
            ;
        uart_out(THR, (uint8_t)*p);
    }
}

void guest_main(const struct keel_start_info *si)
{
    uart_irq_setup();
    if (!strcmp(si->cmdline, "input")) {
        uart_input_test();
        return;
    }
    check_power_on_state();
    check_registers();
    check_probe();
    check_loopback_irq();
    check_trigger_level();
    check_char_timeout();
    check_thre_iir();
    check_thre_irq();
    check_overrun();
    check_modem_status_irq();
    check_out2_gate();
    say_hello();
}
