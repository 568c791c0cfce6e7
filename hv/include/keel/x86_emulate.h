/*
 * x86 instruction emulator for guest accesses to memory that is not RAM (MMIO). Pure logic: it
 * decodes the instruction bytes the caller fetched (through x86_decode), computes addresses with
 * the guest's segmentation, and performs every memory access through the caller's callbacks,
 * which route it to RAM or to a device model. It never touches guest state other than the
 * struct it is given, and never uses SSE itself: vector moves only copy bytes between the
 * caller-provided register images and the callbacks.
 *
 * Atomicity: LOCK is accepted on the lockable memory forms, and XCHG/CMPXCHG are emulated as a
 * read followed by a write. Making that pair atomic against other vCPUs (for RAM) is the
 * caller's concern; for a device register there is nobody else to race with.
 */
#ifndef KEEL_X86_EMULATE_H
#define KEEL_X86_EMULATE_H

#include <keel/types.h>
#include <keel/x86_decode.h>

/* Results of x86_emulate(), and what the callbacks return. */
#define X86EMUL_OK            0   /* done: registers, flags and RIP updated */
#define X86EMUL_EXCEPTION     1   /* inject st->event; state reflects the completed part */
#define X86EMUL_RETRY         2   /* REP chunk done, RIP unchanged: resume the guest */
#define X86EMUL_UNHANDLEABLE  3   /* not emulated: fail the domain, not the hypervisor */
#define X86EMUL_PAGE_FAULT    4   /* callbacks only: the access faults with #PF, see below */

/* Exception vectors the emulator raises. */
#define X86_EXC_UD  6
#define X86_EXC_NM  7
#define X86_EXC_SS 12
#define X86_EXC_GP 13
#define X86_EXC_PF 14

/* RFLAGS bits. */
#define X86_FL_CF 0x0001u
#define X86_FL_PF 0x0004u
#define X86_FL_AF 0x0010u
#define X86_FL_ZF 0x0040u
#define X86_FL_SF 0x0080u
#define X86_FL_DF 0x0400u
#define X86_FL_OF 0x0800u
#define X86_FL_ARITH (X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | X86_FL_SF | X86_FL_OF)

/*
 * Segment attributes in the VMX access-rights layout: type 3:0, S 4, DPL 6:5, P 7, L 13, D/B 14,
 * G 15, unusable 16. limit is in bytes (granularity already applied).
 */
#define X86_SEGA_TYPE_WRITE  0x0002u  /* data: writable; code: readable */
#define X86_SEGA_TYPE_DOWN   0x0004u  /* data: expand-down */
#define X86_SEGA_TYPE_CODE   0x0008u
#define X86_SEGA_DB          0x4000u
#define X86_SEGA_UNUSABLE    0x10000u

struct x86_emul_segment {
    uint64_t base;
    uint32_t limit;
    uint32_t attr;
};

/* An exception to inject. cr2 is meaningful for #PF only. */
struct x86_emul_event {
    uint8_t vector;
    bool has_error_code;
    uint32_t error_code;
    uint64_t cr2;
};

#ifndef X86_CR0_PE                      /* also in keel/cpu.h */
#define X86_CR0_PE 0x00000001u
#endif
#ifndef X86_CR0_EM                      /* also in keel/cpu.h */
#define X86_CR0_EM 0x00000004u
#endif
#ifndef X86_CR0_TS                      /* also in keel/cpu.h */
#define X86_CR0_TS 0x00000008u
#endif
#ifndef X86_CR4_OSFXSR                      /* also in keel/cpu.h */
#define X86_CR4_OSFXSR 0x00000200u
#endif

/*
 * The guest state the emulator reads and updates. mode is the code's default size (CS.L/CS.D
 * and EFER.LMA, as vcpu_cpu_mode() computes it); segment limits and types are checked outside
 * 64-bit mode, and only FS/GS bases apply in it. xmm[i] holds YMMi (bytes 0-15 are XMMi): the
 * caller loads the registers an SSE/AVX move may use and stores them back on X86EMUL_OK.
 * Enabling of AVX state (XCR0) is the caller's to check; CR0.EM/TS and CR4.OSFXSR are checked.
 */
struct x86_emul_state {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    struct x86_emul_segment seg[6];     /* indexed by enum x86_seg */
    enum x86_cpu_mode mode;
    uint8_t cpl;
    uint64_t cr0, cr4, efer;
    uint8_t xmm[16][32];
    struct x86_emul_event event;        /* out: valid on X86EMUL_EXCEPTION */
};

/*
 * Memory callbacks. linear is the linear address of size bytes that never cross a page
 * boundary (the emulator splits accesses). They return 0, X86EMUL_UNHANDLEABLE, or
 * X86EMUL_PAGE_FAULT; before each call the emulator fills st->event with the #PF it expects
 * (cr2 = linear, error code W and U bits), which the callback may correct through its ctx
 * (P bit, a different cr2) when it reports a fault. X86EMUL_EXCEPTION with st->event filled in
 * by the callback injects any other exception.
 */
struct x86_emul_ops {
    int (*read)(void *ctx, enum x86_seg seg, uint64_t linear, void *buf, unsigned int size);
    int (*write)(void *ctx, enum x86_seg seg, uint64_t linear, const void *buf, unsigned int size);
};

/*
 * Emulates the instruction whose first len (<= 15 is enough) bytes are in bytes, at st->rip.
 * An instruction that cannot be decoded from them is X86EMUL_UNHANDLEABLE. REP string
 * instructions do at most one page's worth of elements per call and return X86EMUL_RETRY
 * while elements remain. RFLAGS.TF/RF and debug breakpoints are the caller's concern.
 */
int x86_emulate(struct x86_emul_state *st, const struct x86_emul_ops *ops, void *ctx,
                const uint8_t *bytes, size_t len);

#endif
