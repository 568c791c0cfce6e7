/*
 * The 16550A. Interrupt identification is a function of the state (the THR-empty and timeout
 * conditions are kept as flags because reads and time change them); every access first notices
 * a character timeout that has come due, then drives the interrupt line to match the result.
 */
#include <keel/vdev_uart.h>
#include <keel/string.h>

#define UART_NS_PER_S 1000000000ull
#define UART_TIMEOUT_CHARS 4
#define UART_MODEM_IDLE (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)
#define UART_SAVE_MAGIC 0x30353531u     /* "1550" */
#define UART_SAVE_VERSION 1u

static const uint8_t uart_triggers[4] = { 1, 4, 8, 14 };

static uint64_t uart_now(const struct uart *u)
{
    return u->env->base.now_ns(u->env->base.ctx);
}

static bool uart_fifo_on(const struct uart_state *s)
{
    return s->fcr & UART_FCR_ENABLE;
}

static unsigned int uart_rx_room(const struct uart_state *s)
{
    return (uart_fifo_on(s) ? UART_FIFO_LEN : 1) - s->rx_count;
}

/* One character on the line: start bit, 5-8 data bits, parity, 1 or 2 stop bits. */
static uint64_t uart_char_ns(const struct uart_state *s)
{
    unsigned int bits = 1 + 5 + (s->lcr & 3) + ((s->lcr >> 3) & 1) + 1 + ((s->lcr >> 2) & 1);
    uint64_t dl = s->dl ? s->dl : 1;

    return bits * dl * UART_NS_PER_S / UART_CLOCK_HZ;
}

static uint64_t uart_timeout_at(const struct uart_state *s)
{
    return s->rx_ns + UART_TIMEOUT_CHARS * uart_char_ns(s);  /* at most about 27 s after */
}

/* The modem inputs: from the other end, or in loopback mode from MCR's outputs. */
static uint8_t uart_modem_inputs(uint8_t mcr)
{
    if (!(mcr & UART_MCR_LOOP))
        return UART_MODEM_IDLE;
    return (mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) | (mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
           (mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) | (mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
}

static uint8_t uart_iir_source(const struct uart_state *s)
{
    bool rda = uart_fifo_on(s) ? s->rx_count >= uart_triggers[s->fcr >> 6] : s->rx_count > 0;

    if ((s->ier & UART_IER_ELSI) && (s->lsr & UART_LSR_OE))
        return UART_IIR_RLS;
    if ((s->ier & UART_IER_ERBFI) && rda)
        return UART_IIR_RDA;
    if ((s->ier & UART_IER_ERBFI) && (s->flags & UART_F_TIMEOUT))
        return UART_IIR_TIMEOUT;
    if ((s->ier & UART_IER_ETBEI) && (s->flags & UART_F_THRE))
        return UART_IIR_THRE;
    if ((s->ier & UART_IER_EDSSI) && (s->msr & UART_MSR_DELTA))
        return UART_IIR_MSR;
    return UART_IIR_NONE;
}

static bool uart_line(const struct uart_state *s)
{
    return (s->mcr & UART_MCR_OUT2) && uart_iir_source(s) != UART_IIR_NONE;
}

static void uart_irq_sync(struct uart *u)
{
    bool level = uart_line(&u->s);

    if (level == !!(u->s.flags & UART_F_IRQ))
        return;
    u->s.flags ^= UART_F_IRQ;
    u->env->base.set_irq(u->env->base.ctx, u->irq, level);
}

static void uart_catch_up(struct uart *u, uint64_t now)
{
    struct uart_state *s = &u->s;

    if (uart_fifo_on(s) && s->rx_count && now >= uart_timeout_at(s))
        s->flags |= UART_F_TIMEOUT;
}

/* Receiving or reading a byte restarts the character timeout. */
static void uart_rx_activity(struct uart *u)
{
    u->s.rx_ns = uart_now(u);
    u->s.flags &= ~UART_F_TIMEOUT;
}

static void uart_rx_push(struct uart *u, uint8_t byte)
{
    struct uart_state *s = &u->s;

    uart_rx_activity(u);
    if (uart_rx_room(s)) {
        s->rx[(s->rx_head + s->rx_count++) % UART_FIFO_LEN] = byte;
        return;
    }
    s->lsr |= UART_LSR_OE;
    if (!uart_fifo_on(s))
        s->rx[s->rx_head] = byte;   /* the 16450's RBR is overwritten */
}

static uint8_t uart_rx_pop(struct uart *u)
{
    struct uart_state *s = &u->s;
    uint8_t byte;

    if (!s->rx_count)
        return 0;
    uart_rx_activity(u);
    byte = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % UART_FIFO_LEN;
    s->rx_count--;
    return byte;
}

static void uart_rx_clear(struct uart_state *s)
{
    s->rx_head = s->rx_count = 0;
    s->flags &= ~UART_F_TIMEOUT;
}

static void uart_write_thr(struct uart *u, uint8_t byte)
{
    if (u->s.mcr & UART_MCR_LOOP)
        uart_rx_push(u, byte);
    else
        u->env->tx(u->env->base.ctx, byte);
    /* Cleared by the write, raised again as the byte leaves at once. */
    if (u->s.ier & UART_IER_ETBEI)
        u->s.flags |= UART_F_THRE;
}

static void uart_write_ier(struct uart_state *s, uint8_t val)
{
    val &= UART_IER_MASK;
    if ((val & UART_IER_ETBEI) && !(s->ier & UART_IER_ETBEI))
        s->flags |= UART_F_THRE;    /* THR is always empty */
    if (!(val & UART_IER_ETBEI))
        s->flags &= ~UART_F_THRE;
    s->ier = val;
}

static void uart_write_fcr(struct uart_state *s, uint8_t val)
{
    if ((val ^ s->fcr) & UART_FCR_ENABLE)
        uart_rx_clear(s);
    if (!(val & UART_FCR_ENABLE)) {
        s->fcr = 0;
        return;
    }
    if (val & UART_FCR_CLEAR_RX)
        uart_rx_clear(s);
    s->fcr = val & UART_FCR_KEPT;
}

static void uart_write_mcr(struct uart_state *s, uint8_t val)
{
    uint8_t was = uart_modem_inputs(s->mcr), now = uart_modem_inputs(val & UART_MCR_MASK);
    uint8_t changed = was ^ now;

    s->msr |= (changed & UART_MSR_CTS ? UART_MSR_DCTS : 0) |
              (changed & UART_MSR_DSR ? UART_MSR_DDSR : 0) |
              (changed & was & UART_MSR_RI ? UART_MSR_TERI : 0) |
              (changed & UART_MSR_DCD ? UART_MSR_DDCD : 0);
    s->mcr = val & UART_MCR_MASK;
}

static uint8_t uart_read_iir(struct uart_state *s)
{
    uint8_t src = uart_iir_source(s);

    if (src == UART_IIR_THRE)
        s->flags &= ~UART_F_THRE;
    return src | (uart_fifo_on(s) ? UART_IIR_FIFO : 0);
}

static uint8_t uart_read_lsr(struct uart_state *s)
{
    uint8_t val = s->lsr | UART_LSR_THRE | UART_LSR_TEMT | (s->rx_count ? UART_LSR_DR : 0);

    s->lsr &= ~UART_LSR_OE;
    return val;
}

static uint8_t uart_read_msr(struct uart_state *s)
{
    uint8_t val = uart_modem_inputs(s->mcr) | s->msr;

    s->msr = 0;
    return val;
}

static uint8_t uart_read_reg(struct uart *u, unsigned int reg)
{
    struct uart_state *s = &u->s;
    bool dlab = s->lcr & UART_LCR_DLAB;

    switch (reg) {
    case UART_RBR: return dlab ? s->dl & 0xff : uart_rx_pop(u);
    case UART_IER: return dlab ? s->dl >> 8 : s->ier;
    case UART_IIR: return uart_read_iir(s);
    case UART_LCR: return s->lcr;
    case UART_MCR: return s->mcr;
    case UART_LSR: return uart_read_lsr(s);
    case UART_MSR: return uart_read_msr(s);
    default:       return s->scr;
    }
}

static void uart_write_reg(struct uart *u, unsigned int reg, uint8_t val)
{
    struct uart_state *s = &u->s;
    bool dlab = s->lcr & UART_LCR_DLAB;

    switch (reg) {
    case UART_THR:
        if (dlab)
            s->dl = (s->dl & 0xff00) | val;
        else
            uart_write_thr(u, val);
        break;
    case UART_IER:
        if (dlab)
            s->dl = (s->dl & 0x00ff) | (uint16_t)(val << 8);
        else
            uart_write_ier(s, val);
        break;
    case UART_FCR: uart_write_fcr(s, val); break;
    case UART_LCR: s->lcr = val; break;
    case UART_MCR: uart_write_mcr(s, val); break;
    case UART_SCR: s->scr = val; break;
    default: break;                 /* LSR and MSR are read-only */
    }
}

static bool uart_port_ok(const struct uart *u, uint16_t port, unsigned int size)
{
    return size == 1 && port >= u->base && port < u->base + UART_NR_PORTS;
}

uint32_t uart_io_read(struct uart *u, uint16_t port, unsigned int size)
{
    uint8_t val;

    if (!uart_port_ok(u, port, size))
        return size == 2 ? 0xffff : size == 4 ? 0xffffffffu : 0xff;
    uart_catch_up(u, uart_now(u));
    val = uart_read_reg(u, port - u->base);
    uart_irq_sync(u);
    return val;
}

void uart_io_write(struct uart *u, uint16_t port, unsigned int size, uint32_t val)
{
    if (!uart_port_ok(u, port, size))
        return;
    uart_catch_up(u, uart_now(u));
    uart_write_reg(u, port - u->base, (uint8_t)val);
    uart_irq_sync(u);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
    size_t n = 0;

    uart_catch_up(u, uart_now(u));
    if (!(u->s.mcr & UART_MCR_LOOP))
        for (; n < len && uart_rx_room(&u->s); n++)
            uart_rx_push(u, buf[n]);
    uart_irq_sync(u);
    return n;
}

uint64_t uart_next_event(struct uart *u)
{
    const struct uart_state *s = &u->s;

    if (!uart_fifo_on(s) || !s->rx_count || (s->flags & UART_F_TIMEOUT))
        return VDEV_NO_EVENT;
    return s->rx_ns > VDEV_NO_EVENT / 2 ? VDEV_NO_EVENT - 1 : uart_timeout_at(s);
}

void uart_update(struct uart *u)
{
    uart_catch_up(u, uart_now(u));
    uart_irq_sync(u);
}

void uart_reset(struct uart *u)
{
    bool line = u->s.flags & UART_F_IRQ;

    memset(&u->s, 0, sizeof(u->s));
    u->s.dl = 1;
    u->s.rx_ns = uart_now(u);
    if (line)
        u->env->base.set_irq(u->env->base.ctx, u->irq, false);
}

void uart_init(struct uart *u, const struct uart_env *env, uint16_t base, unsigned int irq)
{
    memset(u, 0, sizeof(*u));
    u->env = env;
    u->base = base;
    u->irq = irq;
    uart_reset(u);
}

size_t uart_save(const struct uart *u, void *buf, size_t len)
{
    uint32_t hdr[2] = { UART_SAVE_MAGIC, UART_SAVE_VERSION };

    if (len < UART_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &u->s, sizeof(u->s));
    return UART_SAVE_SIZE;
}

static bool uart_state_valid(const struct uart_state *s)
{
    static const uint8_t zero[sizeof(s->pad)];
    bool fcr_ok = !(s->fcr & ~UART_FCR_KEPT) && (uart_fifo_on(s) || !s->fcr);
    bool flags_ok = !(s->flags & ~UART_F_ALL) &&
                    (!(s->flags & UART_F_THRE) || (s->ier & UART_IER_ETBEI)) &&
                    (!(s->flags & UART_F_TIMEOUT) || (uart_fifo_on(s) && s->rx_count));

    return fcr_ok && flags_ok && s->rx_head < UART_FIFO_LEN &&
           s->rx_count <= (uart_fifo_on(s) ? UART_FIFO_LEN : 1) && s->rx_ns <= VDEV_NO_EVENT / 2 &&
           !(s->ier & ~UART_IER_MASK) && !(s->mcr & ~UART_MCR_MASK) && !(s->lsr & ~UART_LSR_OE) &&
           !(s->msr & ~UART_MSR_DELTA) && !memcmp(s->pad, zero, sizeof(zero)) &&
           uart_line(s) == !!(s->flags & UART_F_IRQ);
}

int uart_load(struct uart *u, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct uart_state s;

    if (len != UART_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != UART_SAVE_MAGIC || hdr[1] != UART_SAVE_VERSION || !uart_state_valid(&s))
        return -EINVAL;
    u->s = s;
    return 0;
}
