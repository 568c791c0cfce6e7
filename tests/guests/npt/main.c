/*
 * The guest-physical map of a test domain: the read-only page (reads give KEEL_TEST_RO_PATTERN,
 * writes are dropped), unmapped addresses (reads give all ones, writes are dropped), RAM up to
 * its last page. Every access is one plain MOV/MOVZX/MOVSX (processor.h), the only instructions
 * the hypervisor emulates there. With arg "mmio" the guest then touches KEEL_TEST_MMIO_GPA,
 * which must fail the domain (manifest: expect=crash:unhandled MMIO).
 * Unverified: not run under Keel yet; on bare QEMU these addresses are RAM, ROM or zeros.
 */
#include "guest.h"

#define RO          ((uint64_t)KEEL_TEST_RO_GPA)
#define HOLE        0xd0000000ull       /* the middle of the 32-bit hole */
#define TOP_4G      0xfffff000ull       /* the last page below 4 GiB: no BIOS there */
#define HIGH        0x1000000000ull     /* 64 GiB, mapped by us below */

/* KEEL_TEST_RO_GPA spelled for the assembler, for the absolute-address MOV forms. */
#define RO_ASM      "0xe0000000"
_Static_assert(KEEL_TEST_RO_GPA == 0xe0000000u, "RO_ASM must match the ABI");

/* The bytes at offset off of the RO page, little-endian, as a size-byte value. */
static uint64_t ro_expected(unsigned int off, unsigned int size)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < size; i++)
        v |= ((KEEL_TEST_RO_PATTERN >> (8 * ((off + i) % 8))) & 0xff) << (8 * i);
    return v;
}

static void check_ro_reads(void)
{
    static const unsigned int offsets[] = { 0, 3, 0x800, 0xff8 };
    uint64_t moffs;
    char name[48];

    for (unsigned int i = 0; i < ARRAY_SIZE(offsets); i++) {
        unsigned int off = offsets[i];
        uint64_t a = RO + off;
        uint64_t q = mov_read64(a), d = mov_read32(a), w = mov_read16(a), b = mov_read8(a);
        uint64_t zb = movzx_read8(a), zw = movzx_read16(a), sb = movsx_read8(a);

        snprintf(name, sizeof(name), "ro-read-offset-0x%x", off);
        report(q == ro_expected(off, 8) && d == ro_expected(off, 4) && w == ro_expected(off, 2) &&
               b == ro_expected(off, 1) && zb == ro_expected(off, 1) && zw == ro_expected(off, 2) &&
               sb == (uint64_t)(int64_t)(int8_t)ro_expected(off, 1), name,
               "q 0x%lx d 0x%lx w 0x%lx b 0x%lx movzx 0x%lx 0x%lx movsx 0x%lx, expected q 0x%lx",
               (unsigned long)q, (unsigned long)d, (unsigned long)w, (unsigned long)b,
               (unsigned long)zb, (unsigned long)zw, (unsigned long)sb,
               (unsigned long)ro_expected(off, 8));
    }
    /* MOV with a 64-bit absolute address (opcode A1). */
    asm volatile("movabs " RO_ASM ", %0" : "=a"(moffs) :: "memory");
    report(moffs == KEEL_TEST_RO_PATTERN, "ro-read-moffs", "read 0x%lx", (unsigned long)moffs);
}

static void check_ro_writes(void)
{
    uint64_t q, q2;

    mov_write64(RO, 0);
    mov_write32(RO + 8, 0);
    mov_write16(RO + 16, 0);
    mov_write8(RO + 24, 0);
    asm volatile("movq $0, (%0)\n\tmovb $0, 1(%0)" :: "r"(RO + 32) : "memory");   /* C7, C6 */
    asm volatile("movabs %%eax, " RO_ASM " + 40" :: "a"(0) : "memory");     /* A3 */
    q = mov_read64(RO);
    q2 = mov_read64(RO + 0xff8);
    report(q == KEEL_TEST_RO_PATTERN && mov_read64(RO + 8) == KEEL_TEST_RO_PATTERN &&
           mov_read64(RO + 16) == KEEL_TEST_RO_PATTERN && mov_read64(RO + 24) == KEEL_TEST_RO_PATTERN &&
           mov_read64(RO + 32) == KEEL_TEST_RO_PATTERN && mov_read64(RO + 40) == KEEL_TEST_RO_PATTERN &&
           q2 == KEEL_TEST_RO_PATTERN, "ro-writes-dropped", "after writes: 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx",
           (unsigned long)q, (unsigned long)mov_read64(RO + 8), (unsigned long)mov_read64(RO + 16),
           (unsigned long)mov_read64(RO + 24), (unsigned long)mov_read64(RO + 32),
           (unsigned long)mov_read64(RO + 40));
}

static bool all_ones(uint64_t a, char *why, size_t n)
{
    uint64_t q = mov_read64(a), d = mov_read32(a), w = mov_read16(a), b = mov_read8(a);
    uint64_t zb = movzx_read8(a), zw = movzx_read16(a), sb = movsx_read8(a), sw = movsx_read16(a);

    snprintf(why, n, "q 0x%lx d 0x%lx w 0x%lx b 0x%lx movzx 0x%lx 0x%lx movsx 0x%lx 0x%lx",
             (unsigned long)q, (unsigned long)d, (unsigned long)w, (unsigned long)b,
             (unsigned long)zb, (unsigned long)zw, (unsigned long)sb, (unsigned long)sw);
    return q == ~0ull && d == 0xffffffff && w == 0xffff && b == 0xff && zb == 0xff &&
           zw == 0xffff && sb == ~0ull && sw == ~0ull;
}

static void check_unmapped(const char *what, uint64_t a)
{
    char name[48], why[160];

    snprintf(name, sizeof(name), "unmapped-read-%s", what);
    report(all_ones(a, why, sizeof(why)), name, "at 0x%lx: %s", (unsigned long)a, why);
    mov_write64(a, 0);
    mov_write32(a, 0x12345678);
    mov_write16(a + 2, 0);
    mov_write8(a + 7, 0);
    asm volatile("movq $0, (%0)" :: "r"(a) : "memory");
    snprintf(name, sizeof(name), "unmapped-write-%s", what);
    report(all_ones(a, why, sizeof(why)), name, "at 0x%lx after writes: %s", (unsigned long)a, why);
}

/* The highest 2 MiB-aligned address we can map at or below 64 GiB with this MAXPHYADDR. */
static uint64_t high_address(void)
{
    uint32_t maxphy = cpuid(0x80000000).eax >= 0x80000008 ? cpuid(0x80000008).eax & 0xff : 36;
    uint64_t limit = (1ull << maxphy) - 2 * MiB;

    return limit < HIGH ? limit : HIGH;
}

static void check_ram_end(uint64_t mem)
{
    uint64_t last = mem - PAGE_SIZE, q;
    uint8_t b;

    mov_write64(last, 0x0123456789abcdefull);
    mov_write8(last + PAGE_SIZE - 1, 0x5a);
    q = mov_read64(last);
    b = mov_read8(last + PAGE_SIZE - 1);
    report(q == 0x0123456789abcdefull && b == 0x5a, "ram-last-page", "at 0x%lx read 0x%lx, last byte 0x%x",
           (unsigned long)last, (unsigned long)q, b);
}

/* Instructions beyond plain MOV on unbacked and read-only memory (the hypervisor's emulator). */
static void check_other_forms(uint64_t unmapped)
{
    static uint8_t dst[64];
    uint64_t ro = KEEL_TEST_RO_GPA, flags, v = 0x00ff;
    const uint8_t *p = dst;
    bool copied = true;

    asm volatile("addq $1, (%0)" :: "r"(ro) : "memory", "cc");
    report(*(volatile uint64_t *)ro == KEEL_TEST_RO_PATTERN, "ro-add-dropped",
           "read 0x%lx after ADD", (unsigned long)*(volatile uint64_t *)ro);
    asm volatile("testq %2, (%1); pushfq; popq %0" : "=r"(flags) : "r"(unmapped), "r"(v) : "cc");
    report(!(flags & 0x40) && !(flags & 0x80), "unmapped-test-flags", "RFLAGS 0x%lx after TEST of all ones",
           (unsigned long)flags);
    asm volatile("orl $5, (%0)" :: "r"(unmapped) : "memory", "cc");
    report(*(volatile uint32_t *)unmapped == 0xffffffffu, "unmapped-or-dropped", "read 0x%x",
           *(volatile uint32_t *)unmapped);
    asm volatile("cld; rep movsb" : "+S"(unmapped), "+D"(p), "+c"((uint64_t){ sizeof(dst) }) :: "memory");
    for (unsigned int i = 0; i < sizeof(dst); i++)
        copied = copied && dst[i] == 0xff;
    report(copied, "unmapped-rep-movsb", "bytes copied from unmapped memory are not all 0xff");
}

void guest_main(const struct keel_start_info *si)
{
    uint64_t mem = si->mem_bytes, high = high_address();

    check_ro_reads();
    check_ro_writes();
    check_ram_end(mem);
    check_unmapped("above-ram", mem);
    check_unmapped("above-ram-last-qword", mem + PAGE_SIZE - 8);
    check_unmapped("32bit-hole", HOLE);
    check_unmapped("below-4g", TOP_4G);
    pt_map(&guest_pt, high, high, 2 * MiB, PTE_RW);
    check_unmapped("above-4g", high);
    check_other_forms(HOLE);

    if (!strcmp(si->cmdline, "mmio")) {
        report_summary();
        printf("writing to the MMIO page at 0x%x: the domain must fail now\n", KEEL_TEST_MMIO_GPA);
        mov_write32(KEEL_TEST_MMIO_GPA, 0);
        report(false, "mmio-write", "the write to 0x%x returned", KEEL_TEST_MMIO_GPA);
        guest_exit(1);
    }
}
