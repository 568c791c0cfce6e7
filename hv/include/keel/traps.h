/* Exceptions and interrupts: the saved register frame, handlers and the crash dump. */
#ifndef KEEL_TRAPS_H
#define KEEL_TRAPS_H

#include <keel/types.h>

/* Vectors the hypervisor uses for its own interrupts. */
#define VEC_TIMER    0xf0
#define VEC_CALL     0xf1
#define VEC_STOP     0xf2
#define VEC_KICK     0xf3    /* only makes a CPU leave its guest or wake */
#define VEC_SPURIOUS 0xff

/* The frame built by the interrupt stubs (hv/arch/entry.S); keep the order in step with it. */
struct cpu_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};

typedef void (*irq_handler_t)(struct cpu_regs *regs);
void irq_set_handler(unsigned int vector, irq_handler_t fn);

void trap_dispatch(struct cpu_regs *regs);
/* Prints the registers and a symbolised backtrace. */
void dump_regs(const struct cpu_regs *regs);
void backtrace_from(uint64_t rbp, uint64_t rip);

/* Fixups for instructions allowed to fault (rdmsr_safe): a fault at insn resumes at fixup. */
struct extable_entry {
    uint64_t insn, fixup;
};

static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    int err = 0;

    __asm__ volatile("1: rdmsr\n"
                     "2:\n"
                     ".pushsection .fixup, \"ax\"\n"
                     "3: movl %4, %2\n"
                     "   jmp 2b\n"
                     ".popsection\n"
                     ".pushsection .extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3b\n"
                     ".popsection\n"
                     : "+a"(lo), "+d"(hi), "+r"(err)
                     : "c"(msr), "i"(-EFAULT));
    *val = ((uint64_t)hi << 32) | lo;
    return err;
}

/* Symbols for backtraces (the .ksyms table): name of the function containing addr, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
