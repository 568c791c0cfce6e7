/*
 * Keel's public interface to guests: what a guest (and later the control domain's driver and the
 * toolstack) may rely on. Shared, unchanged, by the hypervisor, the test guests and userspace.
 * Every structure has a fixed size, checked at build time. Bump KEEL_ABI_VERSION on any change.
 */
#ifndef KEEL_PUBLIC_ABI_H
#define KEEL_PUBLIC_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define KEEL_ABI_VERSION 3

/* CPUID leaf 0x40000000: EAX = highest Keel leaf, EBX/ECX/EDX = "KeelKeelKeel". */
#define KEEL_CPUID_BASE 0x40000000u
#define KEEL_CPUID_SIGNATURE_EBX 0x6c65654bu     /* "Keel" */
/* Leaf 0x40000001: EAX = KEEL_ABI_VERSION. */

/*
 * Hypercalls: VMMCALL on AMD, VMCALL on Intel (the other one raises #UD). RAX = number,
 * arguments in RDI, RSI, RDX, R10, R8; the result (>= 0, or -errno) comes back in RAX.
 * Guests in 32-bit mode use EAX, EDI, ESI, EDX.
 */
enum keel_hypercall {
    KEEL_HC_VERSION = 0,        /* returns KEEL_ABI_VERSION */
    KEEL_HC_SHUTDOWN = 1,       /* (reason, code): the domain stops; does not return */
    KEEL_HC_NOP = 2,            /* returns 0; for measuring the round trip */
    KEEL_HC_TEST_FAILED = 3,    /* (check number): a check failed; the hypervisor logs the vCPU's
                                   registers as they are at this call */
    KEEL_HC_TEST_IRQ = 4,       /* (vector 32-255), test domains: deliver that external interrupt
                                   to the calling vCPU as soon as it can take one */
    KEEL_HC_TEST_NMI = 5,       /* test domains: deliver an NMI to the calling vCPU as soon as it
                                   can take one (not while it is handling one) */
    KEEL_HC_RUNTIME = 6,        /* (which): ns the calling domain (0) or vCPU (1) has run */
    KEEL_HC_TEST_WHERE = 7,     /* test domains: the physical CPU running the calling vCPU (bits
                                   15-0) and the number of CPUs online (bits 31-16) */
};

enum keel_shutdown_reason {
    KEEL_SHUTDOWN_POWEROFF = 0,
    KEEL_SHUTDOWN_REBOOT = 1,
    KEEL_SHUTDOWN_CRASH = 2,
};

/* Debug output for guests without a device model: each byte written goes to the log, in the
 * same lines as what the guest sends on COM1. */
#define KEEL_DEBUG_PORT 0xe9

/*
 * Test domains only: a byte FIFO (4096 bytes) for testing port I/O. OUT of any size appends its
 * bytes (little-endian); IN of any size takes that many bytes, 0xff for each missing one.
 */
#define KEEL_TEST_FIFO_PORT 0xec

/*
 * Test domains only: guest-physical pages with fixed types, for testing the p2m.
 * RO page: readable RAM filled with the 64-bit pattern KEEL_TEST_RO_PATTERN; writes are dropped.
 * MMIO page: typed as device-model MMIO; a test domain has no device model, so touching it
 * fails the domain ("unhandled MMIO").
 * Guest-physical addresses outside RAM and these pages are unmapped: reads return all ones,
 * writes are dropped.
 */
#define KEEL_TEST_RO_GPA 0xe0000000u
#define KEEL_TEST_MMIO_GPA 0xe0001000u
#define KEEL_TEST_RO_PATTERN 0x6b65656c2d726f21ull
/*
 * Test domains only: a page of device registers emulated by the hypervisor that behave like
 * memory (each byte reads what was last written, initially 0). Every access to it goes through
 * the hypervisor's instruction emulator, so a guest can check each instruction form against the
 * same instruction on RAM.
 */
#define KEEL_TEST_MMIO_HV_GPA 0xe0002000u

/*
 * Test domains only: a fw_cfg file (QEMU's firmware configuration interface at ports 0x510-0x51b)
 * of KEEL_TEST_FWCFG_LEN bytes, byte i being (uint8_t)(i * 7 + 1).
 */
#define KEEL_TEST_FWCFG_FILE "opt/keel/test"
#define KEEL_TEST_FWCFG_LEN 300

/*
 * How a test domain starts. The image is loaded at KEEL_GUEST_LOAD_GPA and the vCPU starts in
 * real mode with CS = KEEL_GUEST_LOAD_GPA >> 4, IP = 0, EFLAGS = 2, interrupts off, and
 * EBX = KEEL_GUEST_START_INFO_GPA, where the hypervisor put a struct keel_start_info.
 */
#define KEEL_GUEST_LOAD_GPA 0x10000u
#define KEEL_GUEST_MAX_IMAGE 0x70000u
#define KEEL_GUEST_START_INFO_GPA 0x9000u

struct keel_start_info {
    uint32_t magic;             /* KEEL_START_INFO_MAGIC */
    uint32_t version;           /* KEEL_ABI_VERSION */
    uint64_t mem_bytes;         /* RAM from guest-physical 0 */
    uint32_t nr_vcpus;
    uint32_t domain_id;
    char cmdline[240];          /* the module's arg= value, NUL-terminated */
};
#define KEEL_START_INFO_MAGIC 0x6b53494bu   /* "KISk" */

_Static_assert(sizeof(struct keel_start_info) == 264, "keel_start_info is part of the ABI");

/*
 * A test guest's verdict, printed on KEEL_DEBUG_PORT as its last line before KEEL_HC_SHUTDOWN:
 *   "KEEL-TEST-DONE: <passed> passed, <failed> failed"
 * Each check prints "PASS <name>" or "FAIL <name>: <detail>".
 */
#define KEEL_TEST_DONE_PREFIX "KEEL-TEST-DONE: "

#endif
