/*
 * The virtual local APIC, one per vCPU: xAPIC (MMIO page) and x2APIC (MSRs 0x800-0x8ff)
 * register interfaces, interrupt acceptance and priority, IPIs through the ICR, and the timer in
 * one-shot, periodic and TSC-deadline modes. Pure logic following <keel/vdev.h>: IPIs leave
 * through env->send_ipi, EOIs of level-triggered vectors through env->eoi_level, and NMI, INIT,
 * SIPI and ExtINT are recorded as flags the glue takes (vlapic_take_*).
 *
 * Policies where hardware leaves a choice:
 * - The timer counts at 1 GHz before the divider (VLAPIC_BUS_NS ns per tick), as KVM does; the
 *   glue reports that rate to the guest if it reports one at all.
 * - The divide configuration is latched when the count is loaded (TMICT write, periodic reload).
 * - Missed periodic ticks collapse into one pending interrupt: IRR has one bit per vector, so
 *   the guest sees at most one, and the next period starts at the last missed boundary.
 * - The xAPIC ID register is read-only (it is on current CPUs in x2APIC and most in xAPIC).
 * - Writes of BSP in IA32_APIC_BASE are ignored; the bit is fixed when the vCPU is created.
 * - Fixed and lowest-priority interrupts are dropped while the APIC is software-disabled;
 *   nothing at all is accepted while it is globally disabled (IA32_APIC_BASE enable clear).
 * - Going globally disabled resets the registers, as leaving x2APIC requires that path anyway.
 * - An aligned xAPIC access to a reserved register logs "illegal register address" in ESR; a
 *   write of the reserved timer mode 3 is dropped in xAPIC mode and #GPs in x2APIC mode.
 * - vlapic_reset (INIT) keeps pending NMI/INIT/SIPI/ExtINT flags: a SIPI that arrived right
 *   after the INIT must survive the glue processing that INIT.
 */
#ifndef KEEL_VLAPIC_H
#define KEEL_VLAPIC_H

#include <keel/types.h>
#include <keel/vdev.h>

#define VLAPIC_BUS_NS 1            /* nanoseconds per timer tick at divide-by-1 */
#define VLAPIC_DEFAULT_BASE 0xfee00000u
#define VLAPIC_NR_LVT 6            /* timer, thermal, perf, LINT0, LINT1, error */

/* IA32_APIC_BASE */
#define VLAPIC_BASE_BSP     (1ull << 8)
#define VLAPIC_BASE_EXTD    (1ull << 10)   /* x2APIC mode */
#define VLAPIC_BASE_EN      (1ull << 11)
#define VLAPIC_BASE_ADDR    0x000ffffffffff000ull
#define VLAPIC_MSR_APIC_BASE   0x1b
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0

/* Delivery modes (ICR, LVT, IOAPIC redirection entries). */
#define VLAPIC_DM_FIXED   0
#define VLAPIC_DM_LOWPRI  1
#define VLAPIC_DM_SMI     2
#define VLAPIC_DM_NMI     4
#define VLAPIC_DM_INIT    5
#define VLAPIC_DM_SIPI    6
#define VLAPIC_DM_EXTINT  7

/* ICR destination shorthands. */
#define VLAPIC_SH_NONE        0
#define VLAPIC_SH_SELF        1
#define VLAPIC_SH_ALL         2
#define VLAPIC_SH_ALL_BUT_SELF 3

/* ESR bits. */
#define VLAPIC_ESR_SEND_ILLEGAL  (1u << 5)
#define VLAPIC_ESR_RECV_ILLEGAL  (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REG   (1u << 7)

/* LVT indices in struct vlapic_state.lvt, in register order. */
enum vlapic_lvt { VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL, VLAPIC_LVT_PERF, VLAPIC_LVT_LINT0,
                  VLAPIC_LVT_LINT1, VLAPIC_LVT_ERROR };

#define VLAPIC_LVT_MASKED (1u << 16)
#define VLAPIC_TIMER_ONESHOT  0
#define VLAPIC_TIMER_PERIODIC 1
#define VLAPIC_TIMER_DEADLINE 2

/* Pending-event flags (struct vlapic_state.events). */
#define VLAPIC_EV_NMI    (1u << 0)
#define VLAPIC_EV_INIT   (1u << 1)
#define VLAPIC_EV_SIPI   (1u << 2)
#define VLAPIC_EV_EXTINT (1u << 3)

struct vlapic_env {
    struct vdev_env base;
    /* An IPI from the ICR or SELF IPI register; the glue finds the targets (vlapic_match_dest)
     * and calls vlapic_accept on each, this vLAPIC included for self and all-including-self. */
    void (*send_ipi)(void *ctx, uint32_t dest, bool logical_dest, uint8_t shorthand,
                     uint8_t delivery_mode, uint8_t vector, bool level_assert);
    /* EOI of a level-triggered vector: the vIOAPIC clears remote IRR. */
    void (*eoi_level)(void *ctx, uint8_t vector);
    uint64_t (*tsc)(void *ctx);     /* guest TSC, for TSC-deadline mode */
    uint64_t tsc_khz;
    bool tsc_deadline;              /* CPUID offers the TSC-deadline timer */
};

/* Everything that migrates; no pointers. Bitmaps are laid out as the 32-bit registers are. */
struct vlapic_state {
    uint64_t apic_base;
    uint64_t timer_load_ns;     /* guest time the current count (or period) started */
    uint64_t tsc_deadline;      /* 0 = disarmed */
    uint32_t id;                /* x2APIC ID; the xAPIC ID is its low 8 bits */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr;               /* what ESR reads return */
    uint32_t esr_pending;       /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[VLAPIC_NR_LVT];
    uint32_t irr[8], isr[8], tmr[8];
    uint32_t timer_icr, timer_dcr;
    uint8_t timer_armed;        /* one-shot/periodic count running */
    uint8_t timer_shift;        /* log2 of the divider latched at load */
    uint8_t events;             /* VLAPIC_EV_* */
    uint8_t sipi_vector;
};

struct vlapic {
    struct vlapic_state s;
    const struct vlapic_env *env;
};

/* Power-on state: enabled at VLAPIC_DEFAULT_BASE in xAPIC mode, software-disabled. */
void vlapic_init(struct vlapic *lapic, const struct vlapic_env *env, uint32_t apic_id, bool bsp);
/* INIT: registers to their INIT values (all LVTs masked, software-disabled); the ID, mode and
 * pending event flags stay. */
void vlapic_reset(struct vlapic *lapic);

/* xAPIC page: 4-byte accesses at 16-byte aligned offsets; anything else reads 0, writes drop. */
uint32_t vlapic_mmio_read(struct vlapic *lapic, uint32_t offset, unsigned int size);
void vlapic_mmio_write(struct vlapic *lapic, uint32_t offset, unsigned int size, uint32_t val);
/* x2APIC MSRs 0x800-0x8ff: 0, -EPERM (#GP), or -ENOENT for an MSR outside that range. */
int vlapic_msr_read(struct vlapic *lapic, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vlapic *lapic, uint32_t msr, uint64_t val);
uint64_t vlapic_apic_base_read(const struct vlapic *lapic);
int vlapic_apic_base_write(struct vlapic *lapic, uint64_t val);
/* IA32_TSC_DEADLINE: -EPERM if the env does not offer it; reads 0 outside TSC-deadline mode. */
int vlapic_tsc_deadline_read(const struct vlapic *lapic, uint64_t *val);
int vlapic_tsc_deadline_write(struct vlapic *lapic, uint64_t val);

bool vlapic_enabled(const struct vlapic *lapic);         /* globally and software-enabled */
bool vlapic_x2apic_mode(const struct vlapic *lapic);

/* An interrupt message for this APIC (from an IPI, the vIOAPIC or an LVT). */
void vlapic_accept(struct vlapic *lapic, uint8_t delivery_mode, uint8_t vector,
                   bool level_trigger);
bool vlapic_take_nmi(struct vlapic *lapic);
bool vlapic_take_init(struct vlapic *lapic);
bool vlapic_take_sipi(struct vlapic *lapic, uint8_t *vector);
bool vlapic_take_extint(struct vlapic *lapic);

/* Highest IRR vector whose priority class is above PPR's, or -1. */
int vlapic_pending_irq(const struct vlapic *lapic);
/* The vCPU takes vector (from vlapic_pending_irq): IRR -> ISR. */
void vlapic_ack(struct vlapic *lapic, uint8_t vector);
/* An EOI write: retires the highest in-service vector. */
void vlapic_eoi(struct vlapic *lapic);
uint8_t vlapic_ppr(const struct vlapic *lapic);

/* Does this APIC accept a message for dest (no shorthand) in physical or logical mode? */
bool vlapic_match_dest(const struct vlapic *lapic, uint32_t dest, bool logical);

/* Timer: guest time (ns) of the next expiry or VDEV_NO_EVENT; update raises what is due. */
uint64_t vlapic_next_event(const struct vlapic *lapic);
void vlapic_update(struct vlapic *lapic);

/* Save record: a magic and version word, then struct vlapic_state. save returns the bytes
 * written (0 if buf is too small); load returns -EINVAL, changing nothing, on any bad field. */
#define VLAPIC_SAVE_SIZE (8 + sizeof(struct vlapic_state))
size_t vlapic_save(const struct vlapic *lapic, void *buf, size_t len);
int vlapic_load(struct vlapic *lapic, const void *buf, size_t len);

#endif
