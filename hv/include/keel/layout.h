/*
 * The hypervisor's virtual address layout. The image is linked at KERNEL_VBASE + its load address;
 * all RAM is mapped at DIRECTMAP_BASE; device registers are mapped uncached in the IOREMAP window.
 */
#ifndef KEEL_LAYOUT_H
#define KEEL_LAYOUT_H

#define KERNEL_LOAD_PA   0x200000
#define KERNEL_VBASE     0xffffffff80000000
#define DIRECTMAP_BASE   0xffff888000000000
#define DIRECTMAP_SIZE   0x0000100000000000   /* 16 TiB */
#define IOREMAP_BASE     0xffffc90000000000
#define IOREMAP_SIZE     0x0000010000000000   /* 1 TiB */

#define BOOT_STACK_SIZE  0x4000
#define CPU_STACK_SIZE   0x4000               /* per CPU, plus one stack per IST slot */
#define IST_STACK_SIZE   0x2000

/* Selectors in every CPU's GDT. */
#define GDT_CS64  0x08
#define GDT_DS    0x10
#define GDT_CS32  0x18
#define GDT_TSS   0x20

#endif
