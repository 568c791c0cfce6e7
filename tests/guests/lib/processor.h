/*
 * Instruction wrappers for test guests. The mov_* accessors are inline asm on purpose: the
 * hypervisor emulates only plain MOV/MOVZX/MOVSX on read-only and unmapped guest-physical
 * pages, so accesses there must not be left to the compiler's choice of instruction.
 */
#ifndef GUEST_PROCESSOR_H
#define GUEST_PROCESSOR_H

#include <stdint.h>

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;

    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
    return cpuid_count(leaf, 0);
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
    asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Port I/O is also a compiler barrier: a device may have used guest memory meanwhile (DMA). */
static inline void outb(uint16_t port, uint8_t v)
{
    asm volatile("outb %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile("outw %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile("outl %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;

    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;

    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

#define GUEST_DEFINE_CR(n)                                                          \
    static inline uint64_t read_cr##n(void)                                         \
    {                                                                               \
        uint64_t v;                                                                 \
        asm volatile("mov %%cr" #n ", %0" : "=r"(v));                               \
        return v;                                                                   \
    }                                                                               \
    static inline void write_cr##n(uint64_t v)                                      \
    {                                                                               \
        asm volatile("mov %0, %%cr" #n :: "r"(v) : "memory");                       \
    }
GUEST_DEFINE_CR(0)
GUEST_DEFINE_CR(2)
GUEST_DEFINE_CR(3)
GUEST_DEFINE_CR(4)
#undef GUEST_DEFINE_CR

static inline void cpu_relax(void)
{
    asm volatile("pause" ::: "memory");
}

static inline void invlpg(uint64_t va)
{
    asm volatile("invlpg (%0)" :: "r"(va) : "memory");
}

/* Plain MOV loads and stores (opcodes 8A/8B/88/89), and MOVZX/MOVSX (0F B6/B7/BE/BF). */
static inline uint8_t mov_read8(uint64_t a)
{
    uint8_t v;
    asm volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
    return v;
}

static inline uint16_t mov_read16(uint64_t a)
{
    uint16_t v;
    asm volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint32_t mov_read32(uint64_t a)
{
    uint32_t v;
    asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t mov_read64(uint64_t a)
{
    uint64_t v;
    asm volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t movzx_read8(uint64_t a)
{
    uint64_t v;
    asm volatile("movzbq (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t movzx_read16(uint64_t a)
{
    uint64_t v;
    asm volatile("movzwq (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t movsx_read8(uint64_t a)
{
    uint64_t v;
    asm volatile("movsbq (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t movsx_read16(uint64_t a)
{
    uint64_t v;
    asm volatile("movswq (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void mov_write8(uint64_t a, uint8_t v)
{
    asm volatile("movb %1, (%0)" :: "r"(a), "q"(v) : "memory");
}

static inline void mov_write16(uint64_t a, uint16_t v)
{
    asm volatile("movw %1, (%0)" :: "r"(a), "r"(v) : "memory");
}

static inline void mov_write32(uint64_t a, uint32_t v)
{
    asm volatile("movl %1, (%0)" :: "r"(a), "r"(v) : "memory");
}

static inline void mov_write64(uint64_t a, uint64_t v)
{
    asm volatile("movq %1, (%0)" :: "r"(a), "r"(v) : "memory");
}

#endif
