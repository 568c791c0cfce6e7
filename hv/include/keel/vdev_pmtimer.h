/*
 * The ACPI PM1 event/control registers and PM timer of a PIIX4-style chipset, at a base port
 * chosen by the platform (SeaBIOS puts the block at 0xB000):
 *   base+0  PM1a status (16 bits, write 1 to clear; TMR_STS is bit 0)
 *   base+2  PM1a enable (16 bits; TMR_EN is bit 0)
 *   base+4  PM1a control (16 bits; SLP_TYP bits 12-10, SLP_EN bit 13 is write-only)
 *   base+8  PM timer (32 bits, read-only: a 24-bit count at 3.579545 MHz)
 * Any access of 1, 2 or 4 bytes is accepted, as on the chipset, and reads or writes the bytes
 * it covers; bytes outside these registers read as all ones and ignore writes.
 *
 * The timer is derived from guest time (it reads 0 at guest time 0). TMR_STS is set each time
 * bit 23 of the count changes, and the SCI (IRQ 9, level-triggered as ACPI requires) is
 * asserted while any enabled status bit is set.
 */
#ifndef KEEL_VDEV_PMTIMER_H
#define KEEL_VDEV_PMTIMER_H

#include <keel/vdev.h>

#define PMTIMER_FREQ_HZ 3579545u
#define PMTIMER_SCI_IRQ 9
#define PMTIMER_BLOCK_LEN 12

#define PMTIMER_STS_TMR 0x0001
#define PMTIMER_STS_PWRBTN 0x0100
#define PMTIMER_STS_MASK 0x8731     /* TMR, BM, GBL, PWRBTN, SLPBTN, RTC, WAK */
#define PMTIMER_EN_TMR 0x0001
#define PMTIMER_EN_MASK 0x0721      /* TMR, GBL, PWRBTN, SLPBTN, RTC */
#define PMTIMER_CNT_MASK 0x1c07     /* SCI_EN, BM_RLD, GBL_RLS, SLP_TYP */
#define PMTIMER_CNT_SLP_EN 0x2000
#define PMTIMER_NO_SLEEP 0xff
/* A bound on the bit-23 periods a load accepts: more than guest time can reach in 64 bits. */
#define PMTIMER_MAX_PERIODS (1ull << 34)

struct pmtimer_state {
    uint64_t periods;       /* changes of timer bit 23 already reflected in TMR_STS */
    uint16_t sts;
    uint16_t en;
    uint16_t cnt;           /* without SLP_EN, which is never stored */
    uint8_t sleep_type;     /* SLP_TYP written with SLP_EN and not yet taken, or NO_SLEEP */
    uint8_t sci;            /* the level last driven on the SCI */
};

struct pmtimer {
    struct pmtimer_state s;
    const struct vdev_env *env;
    uint16_t base;
};

#define PMTIMER_SAVE_SIZE (8 + sizeof(struct pmtimer_state))

void pmtimer_init(struct pmtimer *pm, const struct vdev_env *env, uint16_t base);
void pmtimer_reset(struct pmtimer *pm);
uint32_t pmtimer_io_read(struct pmtimer *pm, uint16_t port, unsigned int size);
void pmtimer_io_write(struct pmtimer *pm, uint16_t port, unsigned int size, uint32_t val);
uint64_t pmtimer_next_event(struct pmtimer *pm);
void pmtimer_update(struct pmtimer *pm);
size_t pmtimer_save(const struct pmtimer *pm, void *buf, size_t len);
int pmtimer_load(struct pmtimer *pm, const void *buf, size_t len);
/* The power button was pressed: PWRBTN_STS, and the SCI if the guest enabled it. */
void pmtimer_power_button(struct pmtimer *pm);
/*
 * The sleep state the guest asked for by writing SLP_EN (its SLP_TYP, 0-7), or -1. Taking it
 * clears it, so the platform acts on each request once.
 */
int pmtimer_sleep_request(struct pmtimer *pm);

#endif
