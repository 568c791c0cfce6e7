/* Unit tests for hv/vdev/uart.c: registers, interrupt identification, FIFOs, loopback, Linux's
 * 8250 probe. Expected values are the 16550A datasheet's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/uart.c"

#define BASE 0x3f8
#define IRQ 4
#define US 1000ull

static uint64_t fake_now;
static bool irq_level;
static unsigned int irq_edges;
static uint8_t sent[64];
static unsigned int nr_sent;

static uint64_t fake_now_ns(void *ctx)
{
    return fake_now;
}

/* The model drives the line only when its level changes. */
static void fake_set_irq(void *ctx, unsigned int line, bool level)
{
    assert_int_equal(line, IRQ);
    assert_int_not_equal(level, irq_level);
    irq_level = level;
    irq_edges += level;
}

static void fake_tx(void *ctx, uint8_t byte)
{
    assert_true(nr_sent < sizeof(sent));
    sent[nr_sent++] = byte;
}

static const struct uart_env fake_env = { { fake_now_ns, fake_set_irq, NULL }, fake_tx };

static void setup(struct uart *u, uint64_t now)
{
    fake_now = now;
    irq_level = false;
    irq_edges = nr_sent = 0;
    uart_init(u, &fake_env, BASE, IRQ);
}

static void out(struct uart *u, unsigned int reg, uint8_t v)
{
    uart_io_write(u, BASE + reg, 1, v);
}

static uint8_t in(struct uart *u, unsigned int reg)
{
    return (uint8_t)uart_io_read(u, BASE + reg, 1);
}

/* Loopback with FIFOs on at a trigger level (FCR bits 7-6), IRQ gated on. */
static void loopback(struct uart *u, uint8_t trigger_bits, uint8_t ier)
{
    out(u, UART_FCR, 0x07 | trigger_bits);
    out(u, UART_MCR, 0x18);                     /* LOOP, OUT2 */
    out(u, UART_IER, ier);
}

static void test_reset_values(void **state)
{
    struct uart u;

    setup(&u, 5 * US);
    assert_int_equal(in(&u, UART_IER), 0x00);
    assert_int_equal(in(&u, UART_IIR), 0x01);
    assert_int_equal(in(&u, UART_LCR), 0x00);
    assert_int_equal(in(&u, UART_MCR), 0x00);
    assert_int_equal(in(&u, UART_LSR), 0x60);
    assert_int_equal(in(&u, UART_MSR), 0xb0);   /* DCD, DSR, CTS from the other end */
    assert_int_equal(in(&u, UART_SCR), 0x00);
    out(&u, UART_LCR, 0x80);
    assert_int_equal(in(&u, UART_DLL), 0x01);
    assert_int_equal(in(&u, UART_DLM), 0x00);
    assert_int_equal(uart_next_event(&u), VDEV_NO_EVENT);
    assert_false(irq_level);
}

static void test_registers(void **state)
{
    struct uart u;

    setup(&u, 0);
    out(&u, UART_SCR, 0xa5);
    assert_int_equal(in(&u, UART_SCR), 0xa5);
    out(&u, UART_IER, 0xff);
    assert_int_equal(in(&u, UART_IER), 0x0f);   /* bits 7-4 do not exist */
    out(&u, UART_IER, 0x00);
    out(&u, UART_LCR, 0x9b);                    /* DLAB, 8 bits, 2 stop, parity */
    assert_int_equal(in(&u, UART_LCR), 0x9b);
    out(&u, UART_DLL, 0x34);
    out(&u, UART_DLM, 0x12);
    assert_int_equal(in(&u, UART_DLL), 0x34);
    assert_int_equal(in(&u, UART_DLM), 0x12);
    assert_int_equal(nr_sent, 0);               /* DLL is not THR */
    out(&u, UART_LCR, 0x1b);
    assert_int_equal(in(&u, UART_IER), 0x00);   /* IER kept apart from DLM */
    assert_int_equal(u.s.dl, 0x1234);
    out(&u, UART_MCR, 0xff);
    assert_int_equal(in(&u, UART_MCR), 0x1f);
    out(&u, UART_MCR, 0x00);
    out(&u, UART_LSR, 0x1f);                    /* read-only */
    assert_int_equal(in(&u, UART_LSR), 0x60);
    out(&u, UART_MSR, 0x0f);
    in(&u, UART_MSR);                           /* the MCR writes above left deltas */
    assert_int_equal(in(&u, UART_MSR), 0xb0);
    /* Only byte accesses inside the block. */
    assert_int_equal(uart_io_read(&u, BASE + UART_SCR, 2), 0xffff);
    assert_int_equal(uart_io_read(&u, BASE, 4), 0xffffffffu);
    uart_io_write(&u, BASE + UART_SCR, 2, 0x1111);
    uart_io_write(&u, BASE + 8, 1, 0x22);
    uart_io_write(&u, BASE - 1, 1, 0x22);
    assert_int_equal(uart_io_read(&u, BASE + 8, 1), 0xff);
    assert_int_equal(in(&u, UART_SCR), 0xa5);
}

static void test_transmit(void **state)
{
    struct uart u;

    setup(&u, 0);
    out(&u, UART_THR, 'h');
    out(&u, UART_THR, 'i');
    assert_int_equal(nr_sent, 2);
    assert_memory_equal(sent, "hi", 2);
    assert_int_equal(in(&u, UART_LSR), 0x60);   /* sent at once: THRE and TEMT stay set */
    assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, 0);
}

static void test_loopback_data_and_modem(void **state)
{
    static const struct { uint8_t mcr, msr; } map[] = {
        { 0x10, 0x00 }, { 0x11, 0x20 }, { 0x12, 0x10 }, { 0x14, 0x40 }, { 0x18, 0x80 },
        { 0x1a, 0x90 }, { 0x1f, 0xf0 },
    };
    struct uart u;
    uint8_t typed = 'x';

    setup(&u, 0);
    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        out(&u, UART_MCR, map[i].mcr);
        assert_int_equal(in(&u, UART_MSR) & 0xf0, map[i].msr);
    }
    out(&u, UART_FCR, 0x01);
    out(&u, UART_THR, 'A');
    out(&u, UART_THR, 'B');
    assert_int_equal(nr_sent, 0);               /* the line is held in marking state */
    assert_int_equal(uart_receive(&u, &typed, 1), 0);   /* and the input disconnected */
    assert_int_equal(in(&u, UART_LSR), 0x61);
    assert_int_equal(in(&u, UART_RBR), 'A');
    assert_int_equal(in(&u, UART_RBR), 'B');
    assert_int_equal(in(&u, UART_LSR), 0x60);
    assert_int_equal(in(&u, UART_RBR), 0);      /* empty */
    out(&u, UART_MCR, 0x00);
    assert_int_equal(in(&u, UART_MSR) & 0xf0, 0xb0);
    assert_int_equal(uart_receive(&u, &typed, 1), 1);
    assert_int_equal(in(&u, UART_RBR), 'x');
}

static void test_msr_deltas(void **state)
{
    struct uart u;

    setup(&u, 0);
    out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    /* From the idle inputs (DCD, DSR, CTS) to DCD only: DSR and CTS changed. */
    assert_int_equal(in(&u, UART_MSR), 0x80 | UART_MSR_DCTS | UART_MSR_DDSR);
    assert_int_equal(in(&u, UART_MSR), 0x80);   /* reading cleared the deltas */
    out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_OUT1);
    assert_int_equal(in(&u, UART_MSR), 0xc0);   /* RI rising: no TERI */
    out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    assert_int_equal(in(&u, UART_MSR), 0x80 | UART_MSR_TERI);
    out(&u, UART_MCR, UART_MCR_LOOP);
    assert_int_equal(in(&u, UART_MSR), UART_MSR_DDCD);
    /* The modem status interrupt, gated by OUT2. */
    out(&u, UART_IER, UART_IER_EDSSI);
    out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
    assert_int_equal(in(&u, UART_IIR), 0x00);
    assert_false(irq_level);
    out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT2);
    assert_true(irq_level);
    assert_int_equal(in(&u, UART_MSR), 0xa0 | UART_MSR_DDSR | UART_MSR_DDCD);
    assert_int_equal(in(&u, UART_IIR), 0x01);
    assert_false(irq_level);
}

static void test_fifo_trigger_levels(void **state)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    struct uart u;

    for (unsigned int t = 0; t < 4; t++) {
        setup(&u, 0);
        loopback(&u, (uint8_t)(t << 6), UART_IER_ERBFI);
        for (unsigned int i = 0; i + 1 < levels[t]; i++)
            out(&u, UART_THR, (uint8_t)i);
        assert_int_equal(in(&u, UART_IIR), 0xc1);
        assert_false(irq_level);
        out(&u, UART_THR, 0xee);
        assert_int_equal(in(&u, UART_IIR), 0xc4);
        assert_true(irq_level);
        assert_int_equal(in(&u, UART_IIR), 0xc4);   /* reading IIR does not clear it */
        in(&u, UART_RBR);
        assert_int_equal(in(&u, UART_IIR), 0xc1);   /* below the level again */
        assert_false(irq_level);
    }
}

static void test_fifo_control(void **state)
{
    struct uart u;
    uint8_t bytes[4] = { 1, 2, 3, 4 };

    setup(&u, 0);
    out(&u, UART_FCR, 0xc0);                    /* without the enable bit: nothing */
    assert_int_equal(in(&u, UART_IIR), 0x01);
    out(&u, UART_FCR, 0x01);
    assert_int_equal(in(&u, UART_IIR), 0xc1);
    assert_int_equal(uart_receive(&u, bytes, 4), 4);
    out(&u, UART_FCR, 0x41);                    /* trigger 4, no reset */
    out(&u, UART_IER, UART_IER_ERBFI);
    assert_int_equal(in(&u, UART_IIR), 0xc4);
    out(&u, UART_FCR, 0x43);                    /* receive FIFO reset */
    assert_int_equal(in(&u, UART_LSR), 0x60);
    assert_int_equal(in(&u, UART_IIR), 0xc1);
    assert_int_equal(uart_receive(&u, bytes, 4), 4);
    out(&u, UART_FCR, 0x45);                    /* transmit reset only: data stays */
    assert_int_equal(in(&u, UART_LSR), 0x61);
    out(&u, UART_FCR, 0x00);                    /* FIFOs off: both cleared */
    assert_int_equal(in(&u, UART_LSR), 0x60);
    assert_int_equal(in(&u, UART_IIR), 0x01);
    assert_int_equal(uart_receive(&u, bytes, 4), 1);   /* a one-byte RBR */
    assert_int_equal(in(&u, UART_IIR), 0x04);
    out(&u, UART_FCR, 0x01);                    /* turning FIFOs on clears RBR too */
    assert_int_equal(in(&u, UART_LSR), 0x60);
    assert_int_equal(u.s.fcr, 0x01);            /* the trigger went with the disable */
}

static void test_receive_takes_what_fits(void **state)
{
    uint8_t bytes[20];
    struct uart u;

    for (unsigned int i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)(0x40 + i);
    setup(&u, 0);
    out(&u, UART_FCR, 0x01);
    assert_int_equal(uart_receive(&u, bytes, sizeof(bytes)), 16);
    assert_int_equal(uart_receive(&u, bytes + 16, 4), 0);
    assert_int_equal(in(&u, UART_LSR), 0x61);   /* no overrun: the rest was not taken */
    for (unsigned int i = 0; i < 16; i++)
        assert_int_equal(in(&u, UART_RBR), 0x40 + i);
    assert_int_equal(uart_receive(&u, bytes + 16, 4), 4);
    assert_int_equal(in(&u, UART_RBR), 0x50);
}

static void test_overrun(void **state)
{
    struct uart u;

    setup(&u, 0);
    loopback(&u, 0xc0, UART_IER_ERBFI | UART_IER_ELSI);
    for (unsigned int i = 0; i < 17; i++)
        out(&u, UART_THR, (uint8_t)(0x80 + i));
    assert_int_equal(in(&u, UART_IIR), 0xc6);   /* line status over received data */
    assert_true(irq_level);
    assert_int_equal(in(&u, UART_LSR), 0x63);
    assert_int_equal(in(&u, UART_LSR), 0x61);   /* reading LSR cleared OE */
    assert_int_equal(in(&u, UART_IIR), 0xc4);
    for (unsigned int i = 0; i < 16; i++)
        assert_int_equal(in(&u, UART_RBR), 0x80 + i);   /* the 17th byte was lost */
    assert_int_equal(in(&u, UART_LSR), 0x60);
    assert_int_equal(in(&u, UART_IIR), 0xc1);
    assert_false(irq_level);
    /* Without FIFOs the new byte replaces the unread one. */
    out(&u, UART_FCR, 0x00);
    out(&u, UART_THR, 'a');
    out(&u, UART_THR, 'b');
    assert_int_equal(in(&u, UART_IIR), 0x06);
    assert_int_equal(in(&u, UART_LSR), 0x63);
    assert_int_equal(in(&u, UART_RBR), 'b');
    assert_int_equal(in(&u, UART_LSR), 0x60);
}

static void test_char_timeout(void **state)
{
    /* 8N1 is 10 bits: 86.805 us a character at 115200 baud, and 4 of them 347.22 us. */
    const uint64_t t0 = 1000 * US, four = 347220;
    uint8_t bytes[3] = { 'a', 'b', 'c' };
    struct uart u;

    setup(&u, 0);
    out(&u, UART_LCR, 0x03);
    out(&u, UART_MCR, UART_MCR_OUT2);
    out(&u, UART_FCR, 0x81);                    /* trigger 8 */
    out(&u, UART_IER, UART_IER_ERBFI);
    fake_now = t0;
    assert_int_equal(uart_receive(&u, bytes, 3), 3);
    assert_int_equal(uart_next_event(&u), t0 + four);
    fake_now = t0 + four - 1;
    uart_update(&u);
    assert_int_equal(in(&u, UART_IIR), 0xc1);
    assert_false(irq_level);
    fake_now = t0 + four;
    uart_update(&u);
    assert_true(irq_level);
    assert_int_equal(uart_next_event(&u), VDEV_NO_EVENT);
    assert_int_equal(in(&u, UART_IIR), 0xcc);
    /* Reading a byte clears it and restarts the count from the read. */
    fake_now += 10 * US;
    assert_int_equal(in(&u, UART_RBR), 'a');
    assert_false(irq_level);
    assert_int_equal(in(&u, UART_IIR), 0xc1);
    assert_int_equal(uart_next_event(&u), fake_now + four);
    /* A register read notices a due timeout without uart_update. */
    fake_now += four;
    assert_int_equal(in(&u, UART_IIR), 0xcc);
    assert_true(irq_level);
    in(&u, UART_RBR);
    in(&u, UART_RBR);
    assert_int_equal(uart_next_event(&u), VDEV_NO_EVENT);     /* empty */
    fake_now += 100 * four;
    assert_int_equal(in(&u, UART_IIR), 0xc1);
    /* 7 data bits, even parity, 2 stop bits: 11 bits; divisor 12 (9600 baud). */
    out(&u, UART_LCR, 0x80);
    out(&u, UART_DLL, 12);
    out(&u, UART_LCR, 0x1e);
    assert_int_equal(uart_receive(&u, bytes, 1), 1);
    assert_int_equal(uart_next_event(&u), fake_now + 4 * 1145833);
    /* Without FIFOs there is no timeout: the byte interrupts at once. */
    out(&u, UART_FCR, 0x00);
    assert_int_equal(uart_receive(&u, bytes, 1), 1);
    assert_int_equal(uart_next_event(&u), VDEV_NO_EVENT);
    assert_int_equal(in(&u, UART_IIR), 0x04);
}

static void test_thre_rules(void **state)
{
    struct uart u;

    setup(&u, 0);
    out(&u, UART_MCR, UART_MCR_OUT2);
    out(&u, UART_IER, UART_IER_ETBEI);          /* set while THR is empty: raised */
    assert_true(irq_level);
    assert_int_equal(in(&u, UART_IIR), 0x02);   /* the read clears it */
    assert_false(irq_level);
    assert_int_equal(in(&u, UART_IIR), 0x01);
    out(&u, UART_IER, UART_IER_ETBEI | UART_IER_ELSI);  /* ETBEI stays set: not raised */
    assert_int_equal(in(&u, UART_IIR), 0x01);
    out(&u, UART_THR, '.');                     /* THR empties again: raised */
    assert_int_equal(irq_edges, 2);
    out(&u, UART_THR, '.');                     /* still pending: no new edge */
    assert_int_equal(irq_edges, 2);
    out(&u, UART_IER, 0);                       /* cleared with ETBEI */
    assert_false(irq_level);
    out(&u, UART_IER, UART_IER_ETBEI);          /* and raised again when set */
    assert_int_equal(irq_edges, 3);
    assert_int_equal(in(&u, UART_IIR), 0x02);
    /* A read reporting a higher source leaves THR empty pending. */
    out(&u, UART_THR, '.');
    out(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
    out(&u, UART_IER, UART_IER_ETBEI | UART_IER_ERBFI);
    out(&u, UART_THR, 'x');
    assert_int_equal(in(&u, UART_IIR), 0x04);
    assert_int_equal(in(&u, UART_RBR), 'x');
    assert_int_equal(in(&u, UART_IIR), 0x02);
    assert_int_equal(in(&u, UART_IIR), 0x01);
}

static void test_iir_priorities(void **state)
{
    struct uart u;

    setup(&u, 0);
    loopback(&u, 0x00, 0x0f);                   /* trigger 1, every interrupt */
    out(&u, UART_MCR, 0x19);                    /* DTR: DSR changes */
    for (unsigned int i = 0; i < 17; i++)
        out(&u, UART_THR, (uint8_t)i);
    assert_true(irq_level);
    assert_int_equal(in(&u, UART_IIR), 0xc6);
    in(&u, UART_LSR);
    assert_int_equal(in(&u, UART_IIR), 0xc4);
    for (unsigned int i = 0; i < 16; i++)
        in(&u, UART_RBR);
    assert_int_equal(in(&u, UART_IIR), 0xc2);
    assert_int_equal(in(&u, UART_IIR), 0xc0);
    in(&u, UART_MSR);
    assert_int_equal(in(&u, UART_IIR), 0xc1);
    assert_false(irq_level);
}

static void test_out2_gates_line(void **state)
{
    struct uart u;

    setup(&u, 0);
    out(&u, UART_IER, UART_IER_ETBEI);
    assert_int_equal(u.s.flags & UART_F_THRE, UART_F_THRE);
    assert_false(irq_level);
    out(&u, UART_MCR, UART_MCR_OUT2);
    assert_true(irq_level);
    out(&u, UART_MCR, 0);
    assert_false(irq_level);
    out(&u, UART_MCR, UART_MCR_OUT2);
    assert_int_equal(irq_edges, 2);
    uart_reset(&u);                             /* a reset drops the line */
    assert_false(irq_level);
}

/*
 * What Linux's 8250 driver does to identify a port (autoconfig and its 16550A variant tests),
 * through these accessors; io_drop_fcr makes the port look like one without FIFOs.
 */
static bool io_drop_fcr;

static void pout(struct uart *u, unsigned int reg, uint8_t v)
{
    if (!(io_drop_fcr && reg == UART_FCR))
        out(u, reg, v);
}

static uint8_t pin(struct uart *u, unsigned int reg)
{
    uint8_t v = in(u, reg);

    return io_drop_fcr && reg == UART_IIR ? v & 0x0f : v;
}

static unsigned int probe_fifo_size(struct uart *u)
{
    uint8_t lcr = pin(u, UART_LCR), fcr, mcr;
    unsigned int n;

    pout(u, UART_LCR, 0);
    fcr = pin(u, UART_FCR);                     /* really IIR, as in the driver */
    mcr = pin(u, UART_MCR);
    pout(u, UART_FCR, 0x07);
    pout(u, UART_MCR, UART_MCR_LOOP);
    pout(u, UART_LCR, 0x80);
    pout(u, UART_DLL, 1);
    pout(u, UART_DLM, 0);
    pout(u, UART_LCR, 0x03);
    for (n = 0; n < 256; n++)
        pout(u, UART_THR, (uint8_t)n);
    for (n = 0; (pin(u, UART_LSR) & UART_LSR_DR) && n < 256; n++)
        pin(u, UART_RBR);
    pout(u, UART_FCR, fcr);
    pout(u, UART_MCR, mcr);
    pout(u, UART_LCR, lcr);
    return n;
}

static const char *probe_16550a_variants(struct uart *u)
{
    uint8_t a, b, mcr, ier;

    pout(u, UART_LCR, 0x80);
    if (pin(u, UART_IIR) == 0)                  /* EFR under DLAB: ST16C650V1 */
        return "16650";
    pout(u, UART_LCR, 0xbf);
    if (pin(u, UART_IIR) == 0)                  /* EFR under 0xBF: StarTech and others */
        return "16650V2";
    pout(u, UART_LCR, 0);
    mcr = pin(u, UART_MCR);
    pout(u, UART_LCR, 0xe0);
    a = pin(u, UART_IIR);
    if (!((a ^ mcr) & UART_MCR_LOOP)) {         /* National SuperIO bank 2 */
        pout(u, UART_LCR, 0);
        pout(u, UART_MCR, mcr ^ UART_MCR_LOOP);
        pout(u, UART_LCR, 0xe0);
        b = pin(u, UART_IIR);
        pout(u, UART_LCR, 0);
        pout(u, UART_MCR, mcr);
        if ((b ^ mcr) & UART_MCR_LOOP)
            return "NS16550A";
    }
    pout(u, UART_LCR, 0);                       /* TI16750: IIR bit 5 with 64-byte mode */
    pout(u, UART_FCR, 0x21);
    a = pin(u, UART_IIR) >> 5;
    pout(u, UART_FCR, 0x01);
    pout(u, UART_LCR, 0x80);
    pout(u, UART_FCR, 0x21);
    b = pin(u, UART_IIR) >> 5;
    pout(u, UART_FCR, 0x01);
    pout(u, UART_LCR, 0);
    if (a == 6 && b == 7)
        return "16750";
    ier = pin(u, UART_IER);                     /* XScale: IER bit 6 sticks */
    pout(u, UART_IER, ier & ~0x40);
    if (!(pin(u, UART_IER) & 0x40)) {
        pout(u, UART_IER, ier | 0x40);
        if (pin(u, UART_IER) & 0x40)
            return "XScale";
    }
    pout(u, UART_IER, ier);
    return probe_fifo_size(u) == 64 ? "U6_16550A" : "16550A";
}

static const char *probe_no_fifo(struct uart *u)
{
    uint8_t old = pin(u, UART_SCR), a, b;

    pout(u, UART_SCR, 0xa5);
    a = pin(u, UART_SCR);
    pout(u, UART_SCR, 0x5a);
    b = pin(u, UART_SCR);
    pout(u, UART_SCR, old);
    return a == 0xa5 && b == 0x5a ? "16450" : "8250";
}

static const char *linux_probe(struct uart *u)
{
    uint8_t ier = pin(u, UART_IER), a, b, mcr, lcr;
    const char *type;

    pout(u, UART_IER, 0);
    a = pin(u, UART_IER) & 0x0f;
    pout(u, UART_IER, 0x0f);
    b = pin(u, UART_IER) & 0x0f;
    pout(u, UART_IER, ier);
    if (a != 0 || b != 0x0f)
        return "none (IER)";
    mcr = pin(u, UART_MCR);
    lcr = pin(u, UART_LCR);
    pout(u, UART_MCR, UART_MCR_LOOP | 0x0a);    /* OUT2 and RTS drive DCD and CTS */
    a = pin(u, UART_MSR) & 0xf0;
    pout(u, UART_MCR, mcr);
    if (a != 0x90)
        return "none (loopback)";
    pout(u, UART_LCR, 0xbf);
    pout(u, UART_IIR, 0);                       /* EFR, or FCR on a 16550A */
    pout(u, UART_LCR, 0);
    pout(u, UART_FCR, 0x01);
    switch (pin(u, UART_IIR) >> 6) {
    case 0: type = probe_no_fifo(u); break;
    case 1: type = "unknown"; break;
    case 2: type = "16550"; break;
    default: type = probe_16550a_variants(u); break;
    }
    pout(u, UART_LCR, lcr);
    return type;
}

static void test_linux_probe(void **state)
{
    struct uart u;

    setup(&u, 0);
    out(&u, UART_LCR, 0x03);
    out(&u, UART_MCR, 0x0b);
    io_drop_fcr = false;
    assert_string_equal(linux_probe(&u), "16550A");
    assert_int_equal(in(&u, UART_LCR), 0x03);   /* put back as found */
    assert_int_equal(in(&u, UART_MCR), 0x0b);
    assert_int_equal(in(&u, UART_IER), 0x00);
    assert_int_equal(nr_sent, 0);               /* every probe byte stayed in loopback */
    /* The same probe tells a port without FIFOs apart. */
    io_drop_fcr = true;
    setup(&u, 0);
    assert_string_equal(linux_probe(&u), "16450");
    io_drop_fcr = false;
}

static void test_save_load(void **state)
{
    struct uart a, b;
    uint8_t buf[UART_SAVE_SIZE];

    setup(&a, 7 * US);
    loopback(&a, 0x40, 0x0f);
    out(&a, UART_THR, 'q');
    out(&a, UART_SCR, 0x5c);
    assert_true(irq_level);
    assert_int_equal(uart_save(&a, buf, sizeof(buf) - 1), 0);
    assert_int_equal(uart_save(&a, buf, sizeof(buf)), sizeof(buf));
    uart_init(&b, &fake_env, BASE, IRQ);
    assert_int_equal(uart_load(&b, buf, sizeof(buf)), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
    assert_int_equal(in(&b, UART_SCR), 0x5c);
    assert_int_equal(in(&b, UART_RBR), 'q');
    assert_int_equal(uart_load(&b, buf, sizeof(buf) + 1), -EINVAL);
}

static void test_load_rejects(void **state)
{
#define ST(f) (8 + offsetof(struct uart_state, f))
    static const struct { size_t off; uint8_t val; } bad[] = {
        { 0, 0 }, { 4, 2 },
        { ST(rx_ns) + 7, 0x80 },
        { ST(rx_head), 16 },
        { ST(rx_count), 2 },                    /* FIFOs off: one byte at most */
        { ST(ier), 0x10 },
        { ST(mcr), 0x20 },
        { ST(fcr), 0x40 },                      /* a trigger without the enable */
        { ST(fcr), 0x03 },                      /* the reset bits are never kept */
        { ST(lsr), UART_LSR_DR },               /* derived, not stored */
        { ST(msr), 0x10 },
        { ST(flags), 0x08 },
        { ST(flags), UART_F_THRE },             /* without ETBEI */
        { ST(flags), UART_F_TIMEOUT },          /* without FIFOs or data */
        { ST(flags), UART_F_IRQ },              /* a line with no cause */
        { ST(pad) + 3, 1 },
    };
    struct uart a, b, before;
    uint8_t buf[UART_SAVE_SIZE], bad_buf[UART_SAVE_SIZE];

    setup(&a, 0);
    assert_int_equal(uart_save(&a, buf, sizeof(buf)), sizeof(buf));
    setup(&b, 3 * US);
    loopback(&b, 0xc0, 0x01);
    out(&b, UART_THR, 1);
    before = b;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(bad_buf, buf, sizeof(buf));
        bad_buf[bad[i].off] = bad[i].val;
        assert_int_equal(uart_load(&b, bad_buf, sizeof(bad_buf)), -EINVAL);
        assert_memory_equal(&b.s, &before.s, sizeof(b.s));
    }
    assert_int_equal(uart_load(&b, buf, sizeof(buf)), 0);     /* the unchanged bytes load */
#undef ST
}

static uint32_t rng_state = 4242;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* Random accesses: the line always matches IIR and OUT2, and every state saves and loads. */
static void test_random_accesses(void **state)
{
    static const unsigned int sizes[] = { 1, 1, 1, 1, 2, 4 };
    uint8_t buf[UART_SAVE_SIZE], bytes[20] = { 0 };
    struct uart u, q;

    setup(&u, 0);
    for (int i = 0; i < 200000; i++) {
        uint16_t port = BASE - 1 + rng() % 10;
        unsigned int size = sizes[rng() % ARRAY_SIZE(sizes)];

        fake_now += rng() % (rng() & 1 ? 100 : 1000 * US);
        nr_sent = 0;
        if (rng() % 8 == 0)
            uart_receive(&u, bytes, rng() % sizeof(bytes));
        else if (rng() & 1)
            uart_io_write(&u, port, size, rng() & (rng() & 1 ? 0x1f : 0xff));
        else
            uart_io_read(&u, port, size);
        uart_update(&u);
        assert_true(uart_next_event(&u) > fake_now);
        assert_int_equal(irq_level, uart_line(&u.s));
        assert_true(u.s.rx_count <= UART_FIFO_LEN);
        assert_int_equal(uart_save(&u, buf, sizeof(buf)), sizeof(buf));
        assert_int_equal(uart_load(&q, buf, sizeof(buf)), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_transmit),
        cmocka_unit_test(test_loopback_data_and_modem),
        cmocka_unit_test(test_msr_deltas),
        cmocka_unit_test(test_fifo_trigger_levels),
        cmocka_unit_test(test_fifo_control),
        cmocka_unit_test(test_receive_takes_what_fits),
        cmocka_unit_test(test_overrun),
        cmocka_unit_test(test_char_timeout),
        cmocka_unit_test(test_thre_rules),
        cmocka_unit_test(test_iir_priorities),
        cmocka_unit_test(test_out2_gates_line),
        cmocka_unit_test(test_linux_probe),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_random_accesses),
    };

    return cmocka_run_group_tests_name("vdev_uart", tests, NULL, NULL);
}
