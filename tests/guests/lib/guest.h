/*
 * The test-guest library: everything a test in tests/guests/<name>/ can use.
 *
 * A test defines guest_main(); the library has by then switched to long mode on identity page
 * tables for the first 4 GiB, installed handlers for the 32 exception vectors and copied the
 * start info. Each check calls report(); when guest_main() returns, the library prints the
 * "KEEL-TEST-DONE: ..." verdict and powers the domain off.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/abi.h>
#include "layout.h"
#include "processor.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE 4096ul
#define MiB (1ul << 20)
#define GiB (1ul << 30)

/* Provided by each test. */
void guest_main(const struct keel_start_info *si);

/* lib/start.c: the start info (a copy), hypercalls, the end of a test. */
extern struct keel_start_info guest_start_info;
extern char __image_start[], __image_end[], __end[];   /* from lib/guest.ld */
long guest_hypercall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
                     unsigned long a3, unsigned long a4);
bool guest_uses_vmmcall(void);
_Noreturn void guest_exit(unsigned int failed);

/* lib/report.c: one line per check, then the verdict. */
bool report(bool ok, const char *name, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
unsigned int report_summary(void);      /* prints the verdict line, returns the failure count */
_Noreturn void report_summary_and_exit(void);
_Noreturn void report_summary_and_acpi_poweroff(void);     /* the verdict, then ACPI S5 */

/* lib/print.c: output on KEEL_DEBUG_PORT. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* lib/string.c: the compiler may emit calls to the first three. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* lib/traps.c: exceptions. */
#define DE_VECTOR 0
#define DB_VECTOR 1
#define BP_VECTOR 3
#define UD_VECTOR 6
#define DF_VECTOR 8
#define NP_VECTOR 11
#define GP_VECTOR 13
#define PF_VECTOR 14
#define GUEST_NO_EXCEPTION (-1)

#define PF_ERR_P    (1u << 0)
#define PF_ERR_W    (1u << 1)
#define PF_ERR_RSVD (1u << 3)
#define PF_ERR_I    (1u << 4)

/* What traps.S pushes: general registers, vector, error code (0 if none), the CPU's frame. */
struct guest_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* The most recent exception, recorded by the handler. dr6 is read for #DB only. */
struct guest_exception {
    int vector;
    uint64_t error_code, rip, cr2, dr6;
};
extern struct guest_exception guest_last_exception;

/*
 * Runs fn(arg). Returns GUEST_NO_EXCEPTION if it returned normally, else the vector of the
 * first exception it raised: fn is abandoned there and guest_last_exception has the details.
 * An exception outside guest_catch() is a failed check that ends the test.
 */
int guest_catch(void (*fn)(void *), void *arg);
int rdmsr_safe(uint32_t msr, uint64_t *val);    /* GUEST_NO_EXCEPTION or the vector */
int wrmsr_safe(uint32_t msr, uint64_t val);
void guest_idt_set_present(int vector, bool present);
/* Points vector (32-47) at an interrupt stub of the test's own (it must end with IRETQ). */
void guest_idt_set_handler(int vector, void (*stub)(void));
const char *guest_exception_name(int vector);
/* Loads the IDT on this vCPU (the boot vCPU's library does it; lib/smp.c for the others). */
void guest_idt_load(void);
struct guest_interrupt_frame;           /* for __attribute__((interrupt)) handlers */

/* lib/clock.c: the ACPI PM timer as a clock (counts wrap at 24 bits, ~4.7 s). */
#define GUEST_PM_TIMER_HZ 3579545u
/* Keel's ACPI PM block (the FADT's PM1a event and control blocks, the PM timer). */
#define GUEST_PM1A_STS_PORT 0xb000
#define GUEST_PM1A_EN_PORT 0xb002
#define GUEST_PM1A_CNT_PORT 0xb004
#define GUEST_PM_TIMER_PORT 0xb008
#define GUEST_PM1_SLP_EN 0x2000
#define GUEST_PM1_SLP_TYP_S5 0          /* the DSDT's _S5 */
uint32_t guest_pm_now(void);
uint64_t guest_pm_since(uint32_t from);         /* counts since from (less than one wrap ago) */
uint64_t guest_pm_to_ns(uint64_t counts);
uint64_t guest_pm_us_since(uint32_t from);      /* microseconds since from */
void guest_busy_ms(unsigned int ms);            /* spins for ms of guest time */
/* Halts (IF set) until *count >= n or max_ms pass, woken meanwhile by the local APIC timer on
 * GUEST_VEC_TICK (the APIC must be enabled); false on the timeout. Returns with IF clear. */
#define GUEST_VEC_TICK 46
bool guest_wait_irqs(volatile unsigned int *count, unsigned int n, unsigned int max_ms);
void guest_sleep_ms(unsigned int ms);           /* halts for ms of guest time, as above */
/* Times count clocks of PIT channel 2 (1.193182 MHz) with clock(): between *lo and *hi. */
bool guest_pit2_window(uint16_t count, uint64_t (*clock)(void), uint64_t mask, uint64_t *lo,
                       uint64_t *hi);

/* lib/ioapic.c: IOAPIC pins to APIC ID 0, fixed delivery, active high. */
void guest_ioapic_route(unsigned int pin, uint8_t vector, bool level);
void guest_ioapic_mask(unsigned int pin);

/*
 * lib/smp.c: other vCPUs, through the xAPIC registers. guest_smp_start() sends INIT and SIPI to
 * APIC IDs 1..nr_vcpus-1 and returns how many vCPUs are online; each then halts and runs what
 * guest_smp_call() gives it (woken by an IPI with GUEST_VEC_WAKE). Only vCPU 0 may print or
 * report; functions run elsewhere must not raise exceptions.
 */
#define GUEST_VEC_WAKE 47
uint32_t guest_apic_read(uint32_t reg);
void guest_apic_write(uint32_t reg, uint32_t val);
void guest_apic_enable(void);
void guest_apic_eoi(void);
void guest_send_ipi(uint32_t dest_apic_id, uint32_t icr_lo);   /* waits until it is sent */
unsigned int guest_cpu_id(void);        /* the local APIC ID: vCPU n has n */
unsigned int guest_smp_start(void);
uint32_t guest_cpus_online(void);       /* bit n: vCPU n runs the library */
bool guest_smp_call(unsigned int cpu, void (*fn)(unsigned int cpu, void *arg), void *arg);
bool guest_smp_wait(unsigned int cpu, unsigned long spins);     /* false if still busy */

/* lib/paging.c: page tables in the three x86 formats, built from a static pool of pages. */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_NX  (1ull << 63)

enum pt_mode { PT_32BIT, PT_PAE, PT_4LEVEL };

struct pt {
    enum pt_mode mode;
    uint64_t root;              /* what goes into CR3 */
};

extern struct pt guest_pt;      /* the live long-mode tables built by entry.S */
void *pt_alloc_page(void);      /* zeroed; below 4 MiB, identity-mapped */
void pt_init(struct pt *pt, enum pt_mode mode);
/* Maps [va, va + size) to pa, size being a page size of the format; flags go into the leaf. */
void pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags);
/* Copies the entries translating va, root level first, and returns how many (0 if none). */
int pt_walk(const struct pt *pt, uint64_t va, uint64_t entries[4]);

/*
 * lib/entry.S and lib/start.c: run code in other modes. fn32 is 32-bit cdecl code (assembly)
 * run in protected mode with paging off; fn16 is a near 16-bit function in .text16 run in real
 * mode (see guest_rm_thunk32 in entry.S). Both return their EAX.
 */
uint32_t guest_call_pm32(const void *fn32, uint32_t arg);
uint32_t guest_call_real(const void *fn16);

/* lib/virt.c: the SVM and VMX instructions, each of which must raise #UD in a guest. */
struct guest_virt_insn {
    const char *name;
    void (*run)(void *unused);
};
extern const struct guest_virt_insn guest_virt_insns[];
extern const unsigned int guest_nr_virt_insns;

#endif
