/*
 * Interrupt controllers and interrupt sources for test guests: the local APIC (xAPIC page), the
 * IOAPIC, the 8259 pair, logging handlers for vectors 0x20-0x2f, and ways to make the platform's
 * devices raise exactly the interrupts a test wants (lib/intc.c).
 *
 * Sources: the RTC's periodic flag gives one IRQ 8 edge on demand (rtc_pulse); the PIT's
 * channel 0 in mode 0 gives one IRQ 0 edge (pit_oneshot); the ACPI SCI (IRQ 9) is a level the
 * guest holds with TMR_EN once TMR_STS has latched (sci_wait_status, sci_enable).
 */
#ifndef GUEST_INTC_H
#define GUEST_INTC_H

#include "guest.h"

/* Local APIC registers (offsets in the xAPIC page). */
#define APIC_ADDR        0xfee00000ul
#define APIC_ID          0x020
#define APIC_TPR         0x080
#define APIC_EOI         0x0b0
#define APIC_LDR         0x0d0
#define APIC_DFR         0x0e0
#define APIC_SVR         0x0f0
#define APIC_ISR         0x100
#define APIC_TMR         0x180
#define APIC_IRR         0x200
#define APIC_ESR         0x280
#define APIC_LVT_TIMER   0x320
#define APIC_LVT_LINT0   0x350
#define APIC_TIMER_INIT  0x380
#define APIC_TIMER_DIV   0x3e0
#define APIC_LVT_MASKED  (1u << 16)
#define APIC_LVT_EXTINT  (7u << 8)

/* IOAPIC: the register window, indirect registers and redirection entry bits. */
#define IOAPIC_ADDR      0xfec00000ul
#define IOAPIC_IOREGSEL  0x00
#define IOAPIC_IOWIN     0x10
#define IOAPIC_EOIR      0x40
#define IOAPIC_REG_ID    0x00
#define IOAPIC_REG_VER   0x01
#define IOAPIC_REG_ARB   0x02
#define IOAPIC_REG_RTE(pin) (0x10 + 2 * (pin))
#define RTE_DM(mode)     ((uint64_t)(mode) << 8)
#define RTE_LOGICAL      (1ull << 11)
#define RTE_STATUS       (1ull << 12)
#define RTE_ACTIVE_LOW   (1ull << 13)
#define RTE_REMOTE_IRR   (1ull << 14)
#define RTE_LEVEL        (1ull << 15)
#define RTE_MASKED       (1ull << 16)
#define RTE_DEST(d)      ((uint64_t)(d) << 56)

/* 8259 ports and commands. */
#define PIC_M_CMD        0x20
#define PIC_M_DATA       0x21
#define PIC_S_CMD        0xa0
#define PIC_S_DATA       0xa1
#define PIC_ELCR_M       0x4d0
#define PIC_ELCR_S       0x4d1
#define PIC_EOI          0x20           /* OCW2: non-specific EOI */
#define PIC_SEOI(irq)    (0x60 | (irq)) /* OCW2: specific EOI */
#define PIC_READ_IRR     0x0a           /* OCW3 */
#define PIC_READ_ISR     0x0b
#define PIC_POLL         0x0c

/* ACPI PM1 block. */
#define PM1_STS          0xb000
#define PM1_EN           0xb002
#define PM_TMR           0xb008
#define PM_TMR_STS       0x0001
#define PM_TMR_EN        0x0001

static inline uint32_t apic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(APIC_ADDR + reg);
}

static inline void apic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(APIC_ADDR + reg) = v;
}

static inline void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

/* One vector's bit in the APIC's ISR, TMR or IRR. */
static inline bool apic_vector_bit(uint32_t bitmap, uint8_t vector)
{
    return apic_read(bitmap + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

static inline uint32_t ioapic_read(uint32_t index)
{
    *(volatile uint32_t *)(IOAPIC_ADDR + IOAPIC_IOREGSEL) = index;
    return *(volatile uint32_t *)(IOAPIC_ADDR + IOAPIC_IOWIN);
}

static inline void ioapic_write(uint32_t index, uint32_t v)
{
    *(volatile uint32_t *)(IOAPIC_ADDR + IOAPIC_IOREGSEL) = index;
    *(volatile uint32_t *)(IOAPIC_ADDR + IOAPIC_IOWIN) = v;
}

uint64_t ioapic_rte(unsigned int pin);
void ioapic_set_rte(unsigned int pin, uint64_t e);     /* high half first, then low */

/* One 8259 through ICW1-ICW4 (edge, cascade); its IMR is then 0, as ICW1 leaves it. */
void pic_init_chip(uint16_t cmd_port, uint8_t base, uint8_t icw3, uint8_t icw4);
/* Both 8259s (8086 mode, normal EOI, slave on IR2), every input masked afterwards. */
void pic_init(uint8_t master_base, uint8_t slave_base);
uint8_t pic_irr(uint16_t cmd_port);
uint8_t pic_isr(uint16_t cmd_port);
uint8_t pic_poll(uint16_t cmd_port);

/*
 * Logging handlers on vectors 0x20-0x2f. Each delivery is counted and appended to a sequence,
 * then intc_hook (if set) runs in the handler. INTC_TIMER_VEC belongs to the APIC timer that
 * intc_sleep uses: it is counted apart and EOIed by the library.
 */
#define INTC_FIRST_VEC   0x20
#define INTC_NR_VEC      16
#define INTC_TIMER_VEC   0x2e
#define INTC_SEQ_MAX     32
extern volatile unsigned int intc_count[INTC_NR_VEC];
extern volatile uint8_t intc_seq[INTC_SEQ_MAX];
extern volatile unsigned int intc_nseq, intc_timer_ticks;
extern void (*volatile intc_hook)(uint8_t vector);

void intc_setup(void);                  /* handlers installed, the local APIC software-enabled */
void intc_clear_log(void);
unsigned int intc_hits(uint8_t vector);
void intc_take_pending(void);           /* IF=1 for a few instructions */
/* HLT with IF=1 until done() holds, waking every 10 ms of APIC timer; false after max_ms. */
bool intc_sleep(bool (*done)(void), unsigned int max_ms);

/* Spins for us microseconds of ACPI PM timer time. */
void pm_delay_us(uint32_t us);
/* Both PICs' interrupt masks. */
void pic_set_imr(uint8_t master, uint8_t slave);
/* One IRQ 0 edge from the PIT, waiting in the master's IRR (take it with IF=0); false if none. */
bool pic_fire_irq0(void);

/* Exactly one IRQ 8 edge (the RTC's periodic flag, 1024 Hz, then off); false if none came. */
bool rtc_pulse(void);
/* PIT channel 0 in mode 0: one IRQ 0 edge after count ticks of 1.193182 MHz. */
void pit_oneshot(uint16_t count);
void pit_stop(void);
/* Waits (HLT) for TMR_STS, which sets every 2^23 PM ticks (2.34 s); false after max_ms. */
bool sci_wait_status(unsigned int max_ms);
void sci_enable(bool on);               /* TMR_EN: the SCI follows TMR_STS && TMR_EN */
void sci_clear_status(void);

#endif
