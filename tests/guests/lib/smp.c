/*
 * More than one vCPU: starting the others with INIT and SIPI through the local APIC, and running
 * a function on one of them. Only the boot vCPU reports and prints; the others run what they are
 * given (not inside guest_catch(), which is not shared) and halt between calls, woken by an IPI.
 */
#include "guest.h"

#define APIC_BASE       0xfee00000ul
#define APIC_ID         0x20
#define APIC_SVR        0xf0
#define APIC_EOI        0xb0
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310
#define ICR_BUSY        (1u << 12)
#define ICR_ASSERT      (1u << 14)
#define ICR_LEVEL       (1u << 15)
#define DM_INIT         (5u << 8)
#define DM_SIPI         (6u << 8)

struct mailbox {
    void (*volatile fn)(unsigned int cpu, void *arg);
    void *volatile arg;
    volatile unsigned int calls_done;
};

static struct mailbox mailbox[GUEST_MAX_CPUS];
static volatile uint32_t online_mask = 1;

uint32_t guest_apic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(APIC_BASE + reg);
}

void guest_apic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(APIC_BASE + reg) = val;
}

void guest_apic_enable(void)
{
    guest_apic_write(APIC_SVR, 0x100 | 0xff);     /* software enable, spurious vector 0xff */
}

void guest_apic_eoi(void)
{
    guest_apic_write(APIC_EOI, 0);
}

void guest_send_ipi(uint32_t dest_apic_id, uint32_t icr_lo)
{
    guest_apic_write(APIC_ICR_HI, dest_apic_id << 24);
    guest_apic_write(APIC_ICR_LO, icr_lo);
    while (guest_apic_read(APIC_ICR_LO) & ICR_BUSY)
        cpu_relax();
}

unsigned int guest_cpu_id(void)
{
    return guest_apic_read(APIC_ID) >> 24;
}

uint32_t guest_cpus_online(void)
{
    return online_mask;
}

__attribute__((interrupt)) static void wake_handler(struct guest_interrupt_frame *f)
{
    (void)f;
    guest_apic_eoi();
}

_Noreturn void guest_ap_start(unsigned int id);

_Noreturn void guest_ap_start(unsigned int id)
{
    struct mailbox *m = &mailbox[id];

    guest_idt_load();
    guest_apic_enable();
    __atomic_or_fetch(&online_mask, 1u << id, __ATOMIC_SEQ_CST);
    for (;;) {
        void (*fn)(unsigned int, void *);

        asm volatile("cli" ::: "memory");
        fn = m->fn;
        if (!fn) {
            asm volatile("sti; hlt" ::: "memory");      /* an IPI (any vector) ends it */
            continue;
        }
        asm volatile("sti" ::: "memory");
        fn(id, m->arg);
        m->fn = NULL;
        __atomic_add_fetch(&m->calls_done, 1, __ATOMIC_SEQ_CST);
    }
}

/* Spins until vCPU id is online, at most spins times. */
static bool wait_online(unsigned int id, unsigned int spins)
{
    for (unsigned int i = 0; i < spins; i++) {
        if (online_mask & (1u << id))
            return true;
        cpu_relax();
    }
    return false;
}

unsigned int guest_smp_start(void)
{
    unsigned int n = guest_start_info.nr_vcpus;

    if (n > GUEST_MAX_CPUS)
        n = GUEST_MAX_CPUS;
    guest_idt_set_handler(GUEST_VEC_WAKE, (void (*)(void))wake_handler);
    guest_apic_enable();
    for (unsigned int id = 1; id < n; id++) {
        guest_send_ipi(id, DM_INIT | ICR_LEVEL | ICR_ASSERT);
        guest_send_ipi(id, DM_INIT | ICR_LEVEL);                    /* de-assert */
        for (int tries = 0; tries < 2 && !(online_mask & (1u << id)); tries++) {
            guest_send_ipi(id, DM_SIPI | (GUEST_LOAD_ADDR >> 12));
            wait_online(id, 20 * 1000 * 1000);
        }
    }
    n = 0;
    for (uint32_t m = online_mask; m; m &= m - 1)
        n++;
    return n;
}

bool guest_smp_call(unsigned int cpu, void (*fn)(unsigned int cpu, void *arg), void *arg)
{
    struct mailbox *m = &mailbox[cpu];

    if (cpu >= GUEST_MAX_CPUS || !(online_mask & (1u << cpu)) || m->fn)
        return false;
    m->arg = arg;
    __atomic_store_n(&m->fn, fn, __ATOMIC_SEQ_CST);
    guest_send_ipi(cpu, GUEST_VEC_WAKE);
    return true;
}

bool guest_smp_wait(unsigned int cpu, unsigned long spins)
{
    struct mailbox *m = &mailbox[cpu];

    for (unsigned long i = 0; m->fn; i++) {
        if (i >= spins)
            return false;
        cpu_relax();
    }
    return true;
}
