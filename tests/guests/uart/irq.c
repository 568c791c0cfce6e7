/* COM1's interrupt: IRQ 4 through IOAPIC pin 4. The handler serves every source IIR names, as
 * an OS must with an edge-triggered line, and logs what it saw. */
#include "uart.h"

#define APIC 0xfee00000ul
#define IOAPIC 0xfec00000ul
#define VEC_UART 0x27
#define PIN 4

struct interrupt_frame;
volatile struct uart_irq_log irq_log;

static void drain_rx(void)
{
    while ((uart_in(LSR) & LSR_DR) && irq_log.rx_len < sizeof(irq_log.rx))
        irq_log.rx[irq_log.rx_len++] = uart_in(RBR);
}

__attribute__((interrupt)) static void uart_handler(struct interrupt_frame *f)
{
    (void)f;
    irq_log.irqs++;
    for (int n = 0; n < 64; n++) {
        uint8_t iir = uart_in(IIR);

        if (iir & 1)
            break;
        irq_log.by_id[(iir >> 1) & 7]++;
        if ((iir & 0x0f) == 0x06)
            irq_log.lsr = uart_in(LSR);
        else if ((iir & 0x0f) == 0x04 || (iir & 0x0f) == 0x0c)
            drain_rx();
        else if ((iir & 0x0f) == 0x00)
            irq_log.msr = uart_in(MSR);
    }
    *(volatile uint32_t *)(APIC + 0xb0) = 0;        /* EOI */
}

static void ioapic_write(uint32_t index, uint32_t v)
{
    *(volatile uint32_t *)IOAPIC = index;
    *(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

void uart_irq_setup(void)
{
    guest_idt_set_handler(VEC_UART, (void (*)(void))uart_handler);
    *(volatile uint32_t *)(APIC + 0xf0) = 0x1ff;    /* local APIC on */
    ioapic_write(0x10 + 2 * PIN + 1, 0);            /* to APIC ID 0 */
    ioapic_write(0x10 + 2 * PIN, VEC_UART);         /* fixed, physical, edge, unmasked */
}

void uart_irq_log_clear(void)
{
    memset((void *)&irq_log, 0, sizeof(irq_log));
}

uint64_t uart_wait_irqs(unsigned int irqs, unsigned int max_ms)
{
    uint64_t waited = 0;
    uint32_t last = guest_pm_now(), now;

    asm volatile("sti" ::: "memory");
    while (irq_log.irqs < irqs && waited < (uint64_t)max_ms * PM_TICKS_PER_MS) {
        cpu_relax();
        now = guest_pm_now();
        waited += (now - last) & 0xffffff;          /* read often enough never to miss a wrap */
        last = now;
    }
    asm volatile("cli" ::: "memory");
    return waited;
}
