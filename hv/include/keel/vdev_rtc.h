/*
 * The MC146818 real-time clock and CMOS RAM: index port 0x70 (bit 7 is the NMI mask, stored),
 * data port 0x71. Registers 0x00-0x09 are the time and alarm, 0x0A-0x0D the control registers
 * A-D, 0x0E-0x7F plain CMOS bytes.
 *
 * The clock is not ticked: the state holds a wall-clock time (Unix seconds, set by the platform
 * with rtc_set_time) and the guest time it was taken at; the date registers are computed from
 * the guest time elapsed since. Updates happen on whole seconds after that guest time, and UIP
 * reads as 1 in the 244 us before each. While register B's SET bit is on, updates stop and the
 * time registers are plain bytes; clearing SET starts the clock from them. The two-digit year
 * stands for 1970-2069.
 *
 * Interrupt flags (register C) are brought up to date lazily, by rtc_update and whenever the
 * guest reads C. IRQ 8 is pulsed when IRQF rises; like the chip,
 * no further interrupt comes until the guest reads register C. The divider bits of register A
 * are stored but do not stop the clock. Registers are 8 bits: other sizes read as all ones and
 * are ignored on write.
 */
#ifndef KEEL_VDEV_RTC_H
#define KEEL_VDEV_RTC_H

#include <keel/vdev.h>

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA  0x71
#define RTC_IRQ 8

#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d

#define RTC_A_UIP   0x80
#define RTC_B_SET   0x80
#define RTC_B_PIE   0x40
#define RTC_B_AIE   0x20
#define RTC_B_UIE   0x10
#define RTC_B_DM    0x04    /* binary instead of BCD */
#define RTC_B_24H   0x02
#define RTC_C_IRQF  0x80
#define RTC_C_PF    0x40
#define RTC_C_AF    0x20
#define RTC_C_UF    0x10
#define RTC_D_VRT   0x80

#define RTC_UIP_NS 244000ull
/* The latest time rtc_set_time and a load accept: 9999-12-31 23:59:59. */
#define RTC_MAX_SECS 253402300799ull

struct rtc_state {
    uint64_t base_secs;     /* wall-clock time at base_ns, in seconds since 1970 */
    uint64_t base_ns;       /* guest time of base_secs; updates fall on whole seconds after it */
    uint64_t last_ns;       /* guest time up to which register C is up to date */
    uint8_t cmos[128];      /* time bytes (0, 2, 4, 6-9) hold values only while SET is on */
    uint8_t index;
    uint8_t nmi_mask;
    uint8_t pad[6];
};

struct rtc {
    struct rtc_state s;
    const struct vdev_env *env;
};

#define RTC_SAVE_SIZE (8 + sizeof(struct rtc_state))

void rtc_init(struct rtc *rtc, const struct vdev_env *env);
void rtc_reset(struct rtc *rtc);
/* Sets the clock to unix_seconds (clamped to RTC_MAX_SECS) as of the current guest time. */
void rtc_set_time(struct rtc *rtc, uint64_t unix_seconds);
uint32_t rtc_io_read(struct rtc *rtc, uint16_t port, unsigned int size);
void rtc_io_write(struct rtc *rtc, uint16_t port, unsigned int size, uint32_t val);
uint64_t rtc_next_event(struct rtc *rtc);
void rtc_update(struct rtc *rtc);
size_t rtc_save(const struct rtc *rtc, void *buf, size_t len);
int rtc_load(struct rtc *rtc, const void *buf, size_t len);

#endif
