/* Interrupt controllers and sources for test guests (see intc.h). */
#include "intc.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_A 0x0a
#define RTC_B 0x0b
#define RTC_C 0x0c
#define RTC_A_OFF 0x20                  /* 32.768 kHz divider, no periodic rate */
#define RTC_A_1024HZ 0x26
#define RTC_B_PIE 0x40
#define RTC_C_IRQF 0x80
#define APIC_TIMER_PERIODIC (1u << 17)
#define APIC_TIMER_10MS 10000000u       /* Keel's APIC timer counts at 1 GHz before the divider */

volatile unsigned int intc_count[INTC_NR_VEC];
volatile uint8_t intc_seq[INTC_SEQ_MAX];
volatile unsigned int intc_nseq, intc_timer_ticks;
void (*volatile intc_hook)(uint8_t vector);

uint64_t ioapic_rte(unsigned int pin)
{
    uint32_t lo = ioapic_read(IOAPIC_REG_RTE(pin));

    return (uint64_t)ioapic_read(IOAPIC_REG_RTE(pin) + 1) << 32 | lo;
}

void ioapic_set_rte(unsigned int pin, uint64_t e)
{
    ioapic_write(IOAPIC_REG_RTE(pin) + 1, (uint32_t)(e >> 32));
    ioapic_write(IOAPIC_REG_RTE(pin), (uint32_t)e);
}

void pic_init_chip(uint16_t cmd_port, uint8_t base, uint8_t icw3, uint8_t icw4)
{
    outb(cmd_port, 0x11);               /* ICW1: edge, cascade, ICW4 follows */
    outb(cmd_port + 1, base);
    outb(cmd_port + 1, icw3);
    outb(cmd_port + 1, icw4);
}

void pic_init(uint8_t master_base, uint8_t slave_base)
{
    pic_init_chip(PIC_M_CMD, master_base, 1u << 2, 0x01);
    pic_init_chip(PIC_S_CMD, slave_base, 2, 0x01);
    outb(PIC_M_DATA, 0xff);
    outb(PIC_S_DATA, 0xff);
}

uint8_t pic_irr(uint16_t cmd_port)
{
    outb(cmd_port, PIC_READ_IRR);
    return inb(cmd_port);
}

uint8_t pic_isr(uint16_t cmd_port)
{
    outb(cmd_port, PIC_READ_ISR);
    return inb(cmd_port);
}

uint8_t pic_poll(uint16_t cmd_port)
{
    outb(cmd_port, PIC_POLL);
    return inb(cmd_port);
}

/* --- logging handlers ---------------------------------------------------------------------- */

static void intc_dispatch(uint8_t vector)
{
    if (vector == INTC_TIMER_VEC) {
        intc_timer_ticks++;
        apic_eoi();
        return;
    }
    intc_count[vector - INTC_FIRST_VEC]++;
    if (intc_nseq < INTC_SEQ_MAX)
        intc_seq[intc_nseq] = vector;
    intc_nseq++;
    if (intc_hook)
        intc_hook(vector);
}

struct interrupt_frame;
#define INTC_STUB(n)                                                                            \
    __attribute__((interrupt)) static void intc_stub_##n(struct interrupt_frame *f)            \
    {                                                                                           \
        (void)f;                                                                                \
        intc_dispatch(INTC_FIRST_VEC + n);                                                      \
    }
INTC_STUB(0) INTC_STUB(1) INTC_STUB(2) INTC_STUB(3) INTC_STUB(4) INTC_STUB(5) INTC_STUB(6)
INTC_STUB(7) INTC_STUB(8) INTC_STUB(9) INTC_STUB(10) INTC_STUB(11) INTC_STUB(12) INTC_STUB(13)
INTC_STUB(14) INTC_STUB(15)

static void (*const intc_stubs[INTC_NR_VEC])(struct interrupt_frame *) = {
    intc_stub_0, intc_stub_1, intc_stub_2, intc_stub_3, intc_stub_4, intc_stub_5, intc_stub_6,
    intc_stub_7, intc_stub_8, intc_stub_9, intc_stub_10, intc_stub_11, intc_stub_12,
    intc_stub_13, intc_stub_14, intc_stub_15,
};

void intc_setup(void)
{
    for (int i = 0; i < INTC_NR_VEC; i++)
        guest_idt_set_handler(INTC_FIRST_VEC + i, (void (*)(void))intc_stubs[i]);
    apic_write(APIC_SVR, 0x1ff);        /* software enable, spurious vector 0xff */
}

void intc_clear_log(void)
{
    for (int i = 0; i < INTC_NR_VEC; i++)
        intc_count[i] = 0;
    intc_nseq = 0;
}

unsigned int intc_hits(uint8_t vector)
{
    return intc_count[vector - INTC_FIRST_VEC];
}

void intc_take_pending(void)
{
    asm volatile("sti; nop; nop; nop; nop; cli" ::: "memory");
}

bool intc_sleep(bool (*done)(void), unsigned int max_ms)
{
    unsigned int start = intc_timer_ticks;
    bool ok;

    apic_write(APIC_TIMER_DIV, 0xb);                /* divide by 1 */
    apic_write(APIC_LVT_TIMER, INTC_TIMER_VEC | APIC_TIMER_PERIODIC);
    apic_write(APIC_TIMER_INIT, APIC_TIMER_10MS);
    while (!(ok = done()) && intc_timer_ticks - start <= max_ms / 10)
        asm volatile("sti; hlt; cli" ::: "memory");
    apic_write(APIC_LVT_TIMER, INTC_TIMER_VEC | APIC_LVT_MASKED);
    apic_write(APIC_TIMER_INIT, 0);
    return ok;
}

/* --- clocks and sources -------------------------------------------------------------------- */

void pm_delay_us(uint32_t us)
{
    uint32_t start = guest_pm_now();

    while (guest_pm_us_since(start) < us)
        asm volatile("pause");
}

void pic_set_imr(uint8_t master, uint8_t slave)
{
    outb(PIC_M_DATA, master);
    outb(PIC_S_DATA, slave);
}

bool pic_fire_irq0(void)
{
    uint32_t start = guest_pm_now();

    pit_oneshot(50);
    while (!(pic_irr(PIC_M_CMD) & 1))
        if (guest_pm_us_since(start) > 50000)
            return false;
    return true;
}

static uint8_t cmos_read(uint8_t index)
{
    outb(CMOS_INDEX, index);
    return inb(CMOS_DATA);
}

static void cmos_write(uint8_t index, uint8_t v)
{
    outb(CMOS_INDEX, index);
    outb(CMOS_DATA, v);
}

/*
 * The RTC raises IRQ 8 when its interrupt flag rises and not again until register C is read.
 * With the rate off, flags clear and PIE on, switching the rate on for more than two periods
 * (timed on the PM timer, which runs on the same guest clock) raises it exactly once; switching
 * the rate off brings the RTC up to date first, so the edge has happened by then.
 */
bool rtc_pulse(void)
{
    uint8_t b = cmos_read(RTC_B), c;

    cmos_write(RTC_A, RTC_A_OFF);
    (void)cmos_read(RTC_C);
    cmos_write(RTC_B, b | RTC_B_PIE);
    cmos_write(RTC_A, RTC_A_1024HZ);
    pm_delay_us(2500);
    cmos_write(RTC_A, RTC_A_OFF);
    c = cmos_read(RTC_C);
    cmos_write(RTC_B, b & ~RTC_B_PIE);
    return c & RTC_C_IRQF;
}

void pit_oneshot(uint16_t count)
{
    outb(0x43, 0x30);                   /* channel 0, low then high byte, mode 0 */
    outb(0x40, count & 0xff);
    outb(0x40, count >> 8);
}

void pit_stop(void)
{
    outb(0x43, 0x30);                   /* a control word alone: mode 0 waits for a count */
}

static bool sci_status(void)
{
    return inw(PM1_STS) & PM_TMR_STS;
}

bool sci_wait_status(unsigned int max_ms)
{
    return intc_sleep(sci_status, max_ms);
}

void sci_enable(bool on)
{
    outw(PM1_EN, on ? PM_TMR_EN : 0);
}

void sci_clear_status(void)
{
    outw(PM1_STS, PM_TMR_STS);
}
