/*
 * Conventions shared by the virtual platform's device models (hv/vdev/). Each model is pure
 * logic: it never reads the clock, arms a hardware timer or touches a vCPU itself. The platform
 * glue gives it a struct vdev_env, calls its register handlers, asks it when its next event is
 * due (<dev>_next_event) and lets it catch up (<dev>_update) when that time comes. It asks again
 * after every register write, and after reads that can bring an event back (RTC register C).
 * Unit tests drive the same code with a fake clock.
 *
 * State: each model keeps everything that must survive migration in one plain struct
 * (struct <dev>_state: no pointers), saved and loaded by <dev>_save/<dev>_load. Loading checks
 * every field (the bytes may come from a broken or hostile stream) and returns -EINVAL, leaving
 * the device unchanged, if anything is out of range.
 */
#ifndef KEEL_VDEV_H
#define KEEL_VDEV_H

#include <keel/types.h>

#define VDEV_NO_EVENT UINT64_MAX

struct vdev_env {
    /* Guest time in nanoseconds: monotonic, starts at 0 when the domain is created. */
    uint64_t (*now_ns)(void *ctx);
    /* Drives an interrupt line: an ISA IRQ (0-15) for the PIC-side devices, a GSI for the
     * IOAPIC side; level true = asserted. Edge devices pulse it (true, then false). */
    void (*set_irq)(void *ctx, unsigned int line, bool level);
    void *ctx;
};

#endif
