/*
 * The PIT's IRQ 0 reaching the guest both ways an OS may route it: through the IOAPIC (pin 2,
 * per the usual interrupt source override) to the local APIC, and through the 8259 PIC as
 * ExtINT on LINT0. Also the PIT's counter latch.
 */
#include "guest.h"

#define APIC 0xfee00000ul
#define IOAPIC 0xfec00000ul
#define VEC_IOAPIC 0x24
#define VEC_PIC 0x28
#define PIT_1MS 1193

struct interrupt_frame;
static volatile unsigned int ioapic_ticks, pic_ticks;

static void apic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(APIC + reg) = v;
}

static void ioapic_write(uint32_t index, uint32_t v)
{
    *(volatile uint32_t *)IOAPIC = index;
    *(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static uint32_t ioapic_read(uint32_t index)
{
    *(volatile uint32_t *)IOAPIC = index;
    return *(volatile uint32_t *)(IOAPIC + 0x10);
}

__attribute__((interrupt)) static void ioapic_handler(struct interrupt_frame *f)
{
    (void)f;
    ioapic_ticks++;
    apic_write(0xb0, 0);                            /* local APIC EOI */
}

__attribute__((interrupt)) static void pic_handler(struct interrupt_frame *f)
{
    (void)f;
    pic_ticks++;
    outb(0x20, 0x20);                               /* PIC non-specific EOI */
}

static void pit_periodic(uint16_t count)
{
    outb(0x43, 0x34);                               /* channel 0, lo/hi, mode 2 */
    outb(0x40, count & 0xff);
    outb(0x40, count >> 8);
}

static void wait_ticks(volatile unsigned int *ticks, unsigned int n)
{
    for (int i = 0; i < 2000 && *ticks < n; i++)
        asm volatile("sti; hlt; cli");
}

static void check_latch(void)
{
    uint16_t a, b;

    outb(0x43, 0x00);                               /* latch channel 0 */
    a = inb(0x40);
    a |= (uint16_t)(inb(0x40) << 8);
    outb(0x43, 0x00);
    b = inb(0x40);
    b |= (uint16_t)(inb(0x40) << 8);
    report(a > 0 && a <= PIT_1MS && b <= PIT_1MS, "pit-latch", "latched counts %u and %u", a, b);
}

static void check_ioapic_route(void)
{
    unsigned int stopped;

    apic_write(0xf0, 0x1ff);                        /* local APIC on */
    report((ioapic_read(0x01) & 0xff) == 0x20 && ((ioapic_read(0x01) >> 16) & 0xff) == 23,
           "ioapic-version", "version register 0x%x", ioapic_read(0x01));
    ioapic_write(0x15, 0);                          /* pin 2 to APIC ID 0 */
    ioapic_write(0x14, VEC_IOAPIC);                 /* fixed, physical, edge, unmasked */
    report(ioapic_read(0x14) == VEC_IOAPIC, "ioapic-redirection-entry", "entry reads 0x%x",
           ioapic_read(0x14));
    pit_periodic(PIT_1MS);
    check_latch();
    wait_ticks(&ioapic_ticks, 5);
    report(ioapic_ticks >= 5, "pit-through-ioapic", "%u ticks", ioapic_ticks);
    ioapic_write(0x14, VEC_IOAPIC | (1u << 16));    /* mask */
    stopped = ioapic_ticks;
    for (int i = 0; i < 200000; i++)
        asm volatile("pause");
    report(ioapic_ticks <= stopped + 1, "ioapic-mask", "%u ticks after masking (was %u)",
           ioapic_ticks, stopped);
}

static void check_pic_route(void)
{
    static const uint8_t master[] = { 0x11, 0x28, 0x04, 0x01 }, slave[] = { 0x11, 0x30, 0x02, 0x01 };

    outb(0x20, master[0]);
    for (int i = 1; i < 4; i++)
        outb(0x21, master[i]);
    outb(0xa0, slave[0]);
    for (int i = 1; i < 4; i++)
        outb(0xa1, slave[i]);
    outb(0x21, 0xfe);                               /* only IRQ 0 */
    outb(0xa1, 0xff);
    report(inb(0x21) == 0xfe, "pic-imr", "IMR reads 0x%x", inb(0x21));
    apic_write(0x350, 0x700);                       /* LINT0: ExtINT, unmasked */
    wait_ticks(&pic_ticks, 5);
    outb(0x21, 0xff);
    report(pic_ticks >= 5, "pit-through-pic", "%u ticks", pic_ticks);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    guest_idt_set_handler(VEC_IOAPIC, (void (*)(void))ioapic_handler);
    guest_idt_set_handler(VEC_PIC, (void (*)(void))pic_handler);
    check_ioapic_route();
    check_pic_route();
}
