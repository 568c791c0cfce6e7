/*
 * The virtual I/O APIC: one 82093AA-style IOAPIC with 24 pins and the version 0x20 EOI register.
 * Pure logic following <keel/vdev.h>: pins change through vioapic_set_irq, messages leave
 * through env->deliver (the glue resolves physical, logical and lowest-priority destinations
 * with vlapic_match_dest), and the vLAPICs' level EOIs come back through vioapic_eoi.
 *
 * Policies where hardware leaves a choice:
 * - Registers take 4-byte accesses at IOREGSEL, IOWIN and EOI only; others read 0 and drop.
 * - vioapic_set_irq gets the logical line state (true = asserted); the polarity bit is kept for
 *   the guest to read but the glue has already applied it.
 * - An edge that arrives while its entry is masked is lost. A level line delivers when its entry
 *   is unmasked if it is still asserted and remote IRR is clear.
 * - Switching an entry to edge triggering clears its remote IRR, so a guest cannot wedge a pin.
 * - Entries with a reserved delivery mode (3, 6) deliver nothing.
 */
#ifndef KEEL_VIOAPIC_H
#define KEEL_VIOAPIC_H

#include <keel/types.h>
#include <keel/vdev.h>

#define VIOAPIC_NR_PINS 24
#define VIOAPIC_BASE 0xfec00000u
#define VIOAPIC_VERSION 0x00170020u    /* max redirection entry 23, version 0x20 */

/* Register page offsets and indirect register indices. */
#define VIOAPIC_IOREGSEL 0x00
#define VIOAPIC_IOWIN    0x10
#define VIOAPIC_EOIR     0x40
#define VIOAPIC_REG_ID       0x00
#define VIOAPIC_REG_VERSION  0x01
#define VIOAPIC_REG_ARB      0x02
#define VIOAPIC_REG_REDIR    0x10   /* entry n: low half at 0x10 + 2n, high half at 0x11 + 2n */

/* Redirection entry bits. */
#define VIOAPIC_RTE_LOGICAL    (1ull << 11)
#define VIOAPIC_RTE_STATUS     (1ull << 12)
#define VIOAPIC_RTE_POLARITY   (1ull << 13)
#define VIOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define VIOAPIC_RTE_LEVEL      (1ull << 15)
#define VIOAPIC_RTE_MASKED     (1ull << 16)
#define VIOAPIC_RTE_WRITABLE   0xff0000000001afffull

struct vioapic_env {
    struct vdev_env base;
    void (*deliver)(void *ctx, uint32_t dest, bool logical_dest, uint8_t delivery_mode,
                    uint8_t vector, bool level_trigger);
};

/* Everything that migrates; no pointers. */
struct vioapic_state {
    uint64_t redir[VIOAPIC_NR_PINS];
    uint32_t id;            /* as the ID register reads: bits 27:24 */
    uint32_t ioregsel;
    uint32_t lines;         /* asserted input lines, one bit per pin */
    uint32_t pad;           /* zero */
};

struct vioapic {
    struct vioapic_state s;
    const struct vioapic_env *env;
};

/* Reset state: every entry masked, all lines low. */
void vioapic_init(struct vioapic *ioapic, const struct vioapic_env *env, uint8_t id);

uint32_t vioapic_mmio_read(struct vioapic *ioapic, uint32_t offset, unsigned int size);
void vioapic_mmio_write(struct vioapic *ioapic, uint32_t offset, unsigned int size,
                        uint32_t val);

void vioapic_set_irq(struct vioapic *ioapic, unsigned int pin, bool level);
/* A vLAPIC retired level-triggered vector: clears remote IRR, re-delivers asserted lines. */
void vioapic_eoi(struct vioapic *ioapic, uint8_t vector);

/* Save record: a magic and version word, then struct vioapic_state. save returns the bytes
 * written (0 if buf is too small); load returns -EINVAL, changing nothing, on any bad field. */
#define VIOAPIC_SAVE_SIZE (8 + sizeof(struct vioapic_state))
size_t vioapic_save(const struct vioapic *ioapic, void *buf, size_t len);
int vioapic_load(struct vioapic *ioapic, const void *buf, size_t len);

#endif
