/*
 * External interrupt delivery into the guest: KEEL_HC_TEST_IRQ asks the hypervisor to deliver a
 * vector as soon as this vCPU can take it. While IF is clear it must wait (the hypervisor uses
 * the interrupt window), STI must let it in right after the STI shadow, HLT must end with it, and
 * with IF set it must arrive right after the hypercall.
 */
#include "guest.h"

#define VEC_A 0x20
#define VEC_B 0x21

volatile unsigned int irq_hits_a, irq_hits_b;
void irq_stub_a(void);
void irq_stub_b(void);

asm(".text\n"
    ".globl irq_stub_a, irq_stub_b\n"
    "irq_stub_a: lock incl irq_hits_a(%rip)\n iretq\n"
    "irq_stub_b: lock incl irq_hits_b(%rip)\n iretq\n");

static long request(unsigned int vector)
{
    return guest_hypercall(KEEL_HC_TEST_IRQ, vector, 0, 0, 0, 0);
}

static void masked_then_sti(void)
{
    long r;

    asm volatile("cli");
    r = request(VEC_A);
    for (int i = 0; i < 3; i++)
        (void)cpuid(0);                         /* exits: chances for a wrong early delivery */
    report(r == 0 && irq_hits_a == 0, "irq-held-while-if-clear", "request %ld, %u deliveries", r,
           irq_hits_a);
    asm volatile("sti; nop; cli" ::: "memory");
    report(irq_hits_a == 1, "irq-delivered-after-sti", "%u deliveries", irq_hits_a);
}

static void hlt_wakes(void)
{
    asm volatile("cli");
    request(VEC_B);
    asm volatile("sti; hlt; cli" ::: "memory");
    report(irq_hits_b == 1, "irq-ends-hlt", "%u deliveries after hlt", irq_hits_b);
}

static void immediate(void)
{
    asm volatile("sti");
    request(VEC_A);
    asm volatile("nop; cli" ::: "memory");
    report(irq_hits_a == 2, "irq-immediate-with-if-set", "%u deliveries", irq_hits_a);
}

static void bad_vector(void)
{
    long r = request(7);

    report(r == -22, "irq-rejects-exception-vector", "vector 7 returned %ld", r);
}

void guest_main(const struct keel_start_info *si)
{
    (void)si;
    guest_idt_set_handler(VEC_A, irq_stub_a);
    guest_idt_set_handler(VEC_B, irq_stub_b);
    masked_then_sti();
    hlt_wakes();
    immediate();
    bad_vector();
}
