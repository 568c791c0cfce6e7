/*
 * Constants shared by the test-guest library's assembly and C: where things are, the GDT
 * selectors, and the control-register and MSR bits the mode switches use.
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define GUEST_LOAD_ADDR     0x10000     /* KEEL_GUEST_LOAD_GPA; checked against abi.h in C */
#define GUEST_RM_SEG        (GUEST_LOAD_ADDR >> 4)  /* real-mode CS/DS that address the image */
#define GUEST_RM_STACK      0x8000      /* real-mode SS:SP = 0:0x8000; free RAM below start info */

#define GUEST_MAX_CPUS      16          /* vCPUs the library can start (APIC IDs 0-15) */
#define GUEST_AP_STACK_SHIFT 13         /* 8 KiB of stack per AP */

/* GDT selectors (lib/entry.S builds the table). */
#define GUEST_CS32          0x08        /* flat 32-bit code */
#define GUEST_DS            0x10        /* flat data, used in every mode */
#define GUEST_CS64          0x18        /* 64-bit code */
#define GUEST_CS16          0x20        /* 16-bit code, base GUEST_LOAD_ADDR: real-mode offsets */
#define GUEST_DS16          0x28        /* 16-bit data, base 0, 64 KiB: real-mode limits */
#define GUEST_TSS           0x30        /* 64-bit TSS (two slots) */

#define CR0_PE              (1u << 0)
#define CR0_MP              (1u << 1)
#define CR0_ET              (1u << 4)
#define CR0_NE              (1u << 5)
#define CR0_WP              (1u << 16)
#define CR0_PG              (1u << 31)
#define CR4_PSE             (1u << 4)
#define CR4_PAE             (1u << 5)

#define MSR_EFER            0xc0000080
#define EFER_SCE            (1u << 0)
#define EFER_LME            (1u << 8)
#define EFER_LMA            (1u << 10)
#define EFER_NXE            (1u << 11)
#define EFER_SVME           (1u << 12)

#endif
