/*
 * A 16550A UART: eight byte registers at a base port chosen by the platform (0x3F8 for COM1).
 *   base+0  RBR (read) / THR (write); DLL while LCR.DLAB is set
 *   base+1  IER (bits 3-0; bits 7-4 read 0); DLM while LCR.DLAB is set
 *   base+2  IIR (read) / FCR (write)
 *   base+3  LCR    base+4  MCR (bits 4-0)    base+5  LSR    base+6  MSR    base+7  SCR
 * Only 1-byte accesses reach the registers: other sizes read as all ones and are ignored.
 *
 * Transmission is instantaneous (no baud rate): a byte written to THR goes at once to
 * env->tx, or in loopback mode (MCR.LOOP) into the receive FIFO, so THRE and TEMT always read
 * 1 and the transmit FIFO is always empty. Received bytes come from uart_receive, which takes
 * only what the receive FIFO has room for (16 bytes with FIFOs on, 1 without) and nothing in
 * loopback mode, where the serial input is disconnected: the caller keeps the rest, so console
 * input is never lost. A byte looped back into a full receiver is an overrun: LSR.OE is set and,
 * with FIFOs on, the byte is lost; without them it replaces the one in RBR, as on the 16450.
 * Reading LSR clears OE. Reading RBR while empty returns 0.
 *
 * Time matters only for the character timeout: with FIFOs on and bytes in the receive FIFO,
 * it is indicated once four character times (from LCR's frame size and the divisor, a divisor
 * of 0 counting as 1, at 115200 / divisor baud) pass with no byte received or read.
 * uart_next_event names that moment; any register access or uart_update notices it. Reading a
 * byte or receiving one clears it and restarts the count.
 *
 * Interrupts, highest priority first, each only while its IER bit is set:
 *   receiver line status (IIR 0x06): OE is set; cleared by reading LSR
 *   received data (0x04): the FIFO holds at least the trigger level (FCR bits 7-6: 1, 4, 8 or
 *     14 bytes), or any byte without FIFOs; character timeout (0x0C) otherwise
 *   THR empty (0x02): raised whenever THR empties (after every THR write) and when IER.ETBEI is
 *     set; cleared by reading IIR while it is the source, or by writing THR, or clearing ETBEI
 *   modem status (0x00): a delta bit of MSR is set; cleared by reading MSR
 * IIR bits 7-6 read 11 while the FIFOs are enabled. FCR bits other than the enable take effect
 * only when written with FCR bit 0 set; changing the enable clears both FIFOs. The DMA mode bit
 * is kept but has no effect.
 *
 * Modem signals: outside loopback the other end holds DCD, DSR and CTS on and RI off. In
 * loopback mode MCR's DTR, RTS, OUT1 and OUT2 drive DSR, CTS, RI and DCD, and MSR's delta bits
 * record the changes (TERI: RI going off), also those caused by entering or leaving loopback.
 *
 * The interrupt line (env->base.set_irq on the IRQ given to uart_init) is asserted while an
 * interrupt is pending and MCR.OUT2 is set, as a PC's OUT2 gates the UART's IRQ. Unlike a PC,
 * whose OUT2 pin goes inactive in loopback mode, the bit gates the line in loopback mode too, so
 * that loopback interrupts reach the guest. Not modelled: parity, framing and break (LCR's
 * break bit is kept; PE, FE, BI and LSR bit 7 never set), the DMA pins.
 */
#ifndef KEEL_VDEV_UART_H
#define KEEL_VDEV_UART_H

#include <keel/vdev.h>

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4
#define UART_NR_PORTS 8
#define UART_FIFO_LEN 16
#define UART_CLOCK_HZ 115200u   /* the baud rate at divisor 1 */

/* Register offsets. */
#define UART_RBR 0
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI 0x01     /* received data and character timeout */
#define UART_IER_ETBEI 0x02     /* THR empty */
#define UART_IER_ELSI  0x04     /* receiver line status */
#define UART_IER_EDSSI 0x08     /* modem status */
#define UART_IER_MASK  0x0f

#define UART_IIR_NONE    0x01
#define UART_IIR_MSR     0x00
#define UART_IIR_THRE    0x02
#define UART_IIR_RDA     0x04
#define UART_IIR_RLS     0x06
#define UART_IIR_TIMEOUT 0x0c
#define UART_IIR_FIFO    0xc0

#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_DMA      0x08
#define UART_FCR_TRIGGER  0xc0
#define UART_FCR_KEPT     (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER)

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_DCTS  0x01
#define UART_MSR_DDSR  0x02
#define UART_MSR_TERI  0x04
#define UART_MSR_DDCD  0x08
#define UART_MSR_DELTA 0x0f
#define UART_MSR_CTS   0x10
#define UART_MSR_DSR   0x20
#define UART_MSR_RI    0x40
#define UART_MSR_DCD   0x80

/* struct uart_state.flags */
#define UART_F_THRE    0x01     /* a THR-empty interrupt is pending (only while ETBEI is set) */
#define UART_F_TIMEOUT 0x02     /* the character timeout is indicated */
#define UART_F_IRQ     0x04     /* the level last driven on the interrupt line */
#define UART_F_ALL     0x07

struct uart_env {
    struct vdev_env base;
    /* A transmitted byte (outside loopback mode). */
    void (*tx)(void *ctx, uint8_t byte);
};

struct uart_state {
    uint64_t rx_ns;         /* guest time of the last byte received or read */
    uint8_t rx[UART_FIFO_LEN];
    uint16_t dl;            /* the divisor latch */
    uint8_t rx_head;        /* the oldest byte in rx */
    uint8_t rx_count;
    uint8_t ier;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t scr;
    uint8_t fcr;            /* UART_FCR_KEPT bits as last programmed */
    uint8_t lsr;            /* the sticky error bit OE; the others are derived */
    uint8_t msr;            /* the delta bits; the signals are derived from MCR */
    uint8_t flags;          /* UART_F_* */
    uint8_t pad[4];
};

struct uart {
    struct uart_state s;
    const struct uart_env *env;
    uint16_t base;
    unsigned int irq;
};

#define UART_SAVE_SIZE (8 + sizeof(struct uart_state))

void uart_init(struct uart *u, const struct uart_env *env, uint16_t base, unsigned int irq);
/* Power-on state: every register 0 but LSR (THRE, TEMT), divisor 1, FIFOs off and empty. */
void uart_reset(struct uart *u);
uint32_t uart_io_read(struct uart *u, uint16_t port, unsigned int size);
void uart_io_write(struct uart *u, uint16_t port, unsigned int size, uint32_t val);
/* Bytes arriving on the serial line: returns how many the receiver took (see above). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
uint64_t uart_next_event(struct uart *u);
void uart_update(struct uart *u);
size_t uart_save(const struct uart *u, void *buf, size_t len);
int uart_load(struct uart *u, const void *buf, size_t len);

#endif
