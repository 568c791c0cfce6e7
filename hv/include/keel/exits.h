/* Common exit handling, written once for both backends (hv/exits.c and the policies it uses). */
#ifndef KEEL_EXITS_H
#define KEEL_EXITS_H

#include <keel/cpu.h>
#include <keel/domain.h>
#include <keel/vmexit.h>

struct vcpu_state;

void vcpu_handle_exit(struct vcpu *v, struct vm_exit *e);
/* Just before each entry: takes INIT and SIPI, delivers a pending interrupt or asks for the
 * window to do so; false if the vCPU must not enter (it waits for a SIPI). */
bool vcpu_prepare_entry(struct vcpu *v);

/* CPUID as the guest sees it (hv/cpuid.c). */
void cpuid_policy(const struct vcpu *v, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);

/* Guest MSR accesses (hv/msr.c): 0, or -EPERM for "inject #GP". */
int msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/* Port I/O dispatch (hv/io.c): the hypervisor's own devices, else the null device. */
uint32_t io_read(struct vcpu *v, uint16_t port, unsigned int size);
void io_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val);

/*
 * Completes the instruction at RIP, whose access hit guest-physical memory with no writable RAM
 * behind it (reads of unmapped memory give all ones, writes to it or to read-only RAM are
 * dropped), through the x86 emulator. Returns 0 (done, or an exception injected), or -ENOSYS
 * with the reason in why (hv/emulate.c).
 */
int emulate_unbacked_access(struct vcpu *v, struct vcpu_state *st, char *why, size_t why_len);

/* The port I/O exit (hv/io.c) and the p2m fault exit (hv/emulate.c). */
void exit_handle_io(struct vcpu *v, struct vm_exit *e);
void exit_handle_p2m(struct vcpu *v, struct vm_exit *e);

/* Steps over the instruction that caused e; false (domain failed) if it cannot be decoded. */
bool exit_skip_insn(struct vcpu *v, const struct vm_exit *e);
void vcpu_inject_gp(struct vcpu *v);
void vcpu_inject_ud(struct vcpu *v);

#endif
