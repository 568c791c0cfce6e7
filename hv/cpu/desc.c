/* Descriptor tables: a GDT and TSS per CPU (the TSS holds its IST stacks), one IDT for all. */
#include <keel/cpu.h>
#include <keel/layout.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/traps.h>

#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3

struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t ist, type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
} __packed;

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

extern const uint64_t trap_stubs[256];
static struct idt_gate idt[256] __aligned(16);

static void set_gate(unsigned int v, uint64_t handler, unsigned int ist)
{
    idt[v] = (struct idt_gate){
        .offset_lo = (uint16_t)handler,
        .selector = GDT_CS64,
        .ist = (uint8_t)ist,
        .type_attr = 0x8e,                  /* present, DPL 0, 64-bit interrupt gate */
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, trap_stubs[v], 0);
    set_gate(2, trap_stubs[2], IST_NMI);
    set_gate(8, trap_stubs[8], IST_DF);
    set_gate(18, trap_stubs[18], IST_MC);
}

void idt_load(void)
{
    struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

    __asm__ volatile("lidt %0" :: "m"(idtr));
}

static void gdt_fill(struct percpu *p)
{
    uint64_t tss = (uint64_t)&p->tss, limit = sizeof(p->tss) - 1;

    p->gdt[0] = 0;
    p->gdt[GDT_CS64 / 8] = 0x00af9a000000ffff;
    p->gdt[GDT_DS / 8] = 0x00cf92000000ffff;
    p->gdt[GDT_CS32 / 8] = 0x00cf9a000000ffff;
    p->gdt[GDT_TSS / 8] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ULL << 40) |
                          ((limit >> 16) << 48) | (((tss >> 24) & 0xff) << 56);
    p->gdt[GDT_TSS / 8 + 1] = tss >> 32;
}

static void tss_fill(struct percpu *p)
{
    memset(&p->tss, 0, sizeof(p->tss));
    p->tss.iomap_base = sizeof(p->tss);         /* no I/O bitmap */
    for (unsigned int i = IST_DF; i <= IST_MC; i++) {
        void *stack = alloc_pages(1);

        if (!stack)
            panic("cpu%u: no memory for exception stacks", p->id);
        p->tss.ist[i - 1] = (uint64_t)stack + IST_STACK_SIZE;
    }
}

void cpu_tables_load(struct percpu *p)
{
    struct desc_ptr gdtr = { sizeof(p->gdt) - 1, (uint64_t)p->gdt };
    BUILD_BUG_ON(IST_STACK_SIZE != 2 * PAGE_SIZE);
    tss_fill(p);
    gdt_fill(p);
    __asm__ volatile("lgdt %0" :: "m"(gdtr));
    __asm__ volatile("pushq %0\n"
                     "leaq 1f(%%rip), %%rax\n"
                     "pushq %%rax\n"
                     "lretq\n"
                     "1:\n"
                     "movl %1, %%eax\n"
                     "movl %%eax, %%ds\n"
                     "movl %%eax, %%es\n"
                     "movl %%eax, %%ss\n"
                     :: "i"(GDT_CS64), "i"(GDT_DS) : "rax", "memory");
    __asm__ volatile("ltr %w0" :: "r"(GDT_TSS));
    idt_load();
    wrmsr(MSR_GS_BASE, (uint64_t)p);
}
