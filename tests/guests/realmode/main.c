/*
 * Real mode: native real-mode code, then real -> protected -> long -> real, each step checked
 * from inside (realmode.S records, this file checks).
 */
#include "guest.h"
#include "rm.h"

extern uint32_t rm_slots[RM_NR_SLOTS], rm_int_count;
extern const char rm_test[], rm_after_int[];

#define S(n) rm_slots[n]

void guest_main(const struct keel_start_info *si)
{
    volatile uint16_t *seg_word = (volatile uint16_t *)(uintptr_t)RM_SEG_LINEAR;
    uint16_t after_int_ip = (uint16_t)((uintptr_t)rm_after_int - GUEST_LOAD_ADDR);
    uint32_t ret;

    (void)si;
    for (int i = 0; i < RM_NR_SLOTS; i++)
        rm_slots[i] = 0xdeadbeef;
    rm_int_count = 0;
    *seg_word = 0;

    ret = guest_call_real(rm_test);

    report(ret == 0x1234abcd && S(RM_DONE) == 1, "real-mode-call",
           "returned 0x%x, done marker 0x%x", ret, S(RM_DONE));
    report(S(RM_MUL_LO) == 0x3400 && S(RM_MUL_HI) == 0x0012 && S(RM_ADD_WRAP) == 0 &&
           S(RM_ADD_CARRY) == 1, "real-arithmetic", "MUL DX:AX 0x%x:0x%x, 0xffff+1 = 0x%x CF %u",
           S(RM_MUL_HI), S(RM_MUL_LO), S(RM_ADD_WRAP), S(RM_ADD_CARRY));
    report(S(RM_SEG_READ) == 0xbeef && *seg_word == 0xbeef, "real-segment-offset",
           "read 0x%x through 0x0500:0x0010, linear 0x%x holds 0x%x", S(RM_SEG_READ),
           RM_SEG_LINEAR, *seg_word);
    report(S(RM_FAR_CS) == GUEST_RM_SEG + 1 && S(RM_FAR_RET_CS) == GUEST_RM_SEG &&
           S(RM_FAR_DONE) == 1, "real-far-call-return", "CS inside 0x%x, pushed CS 0x%x, back %u",
           S(RM_FAR_CS), S(RM_FAR_RET_CS), S(RM_FAR_DONE));
    report((S(RM_FLAGS) & 0x401) == 0x401 && S(RM_PUSHF_SIZE) == 2, "real-pushf-popf",
           "FLAGS 0x%x after setting CF and DF, PUSHF size %u", S(RM_FLAGS), S(RM_PUSHF_SIZE));
    report(S(RM_INT_DONE) == 1 && S(RM_INT_IP) == after_int_ip && S(RM_INT_CS) == GUEST_RM_SEG &&
           S(RM_INT_FLAGS) == S(RM_FLAGS_BEFORE_INT), "real-int-ivt",
           "handler ran %u times, pushed IP 0x%x CS 0x%x FLAGS 0x%x; expected IP 0x%x FLAGS 0x%x",
           S(RM_INT_DONE), S(RM_INT_IP), S(RM_INT_CS), S(RM_INT_FLAGS), after_int_ip,
           S(RM_FLAGS_BEFORE_INT));
    report(!(S(RM_CR0_REAL) & CR0_PE) && (S(RM_CR0_PROT) & CR0_PE) && !(S(RM_CR0_PROT) & CR0_PG) &&
           S(RM_PUSH_SIZE_PROT) == 4, "real-to-protected",
           "CR0 0x%x in real mode, 0x%x in protected mode, 32-bit PUSH size %u", S(RM_CR0_REAL),
           S(RM_CR0_PROT), S(RM_PUSH_SIZE_PROT));
    report((S(RM_EFER_LONG) & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA) &&
           S(RM_PUSH_SIZE_LONG) == 8 && S(RM_LONG_LO) == 0x456789ab && S(RM_LONG_HI) == 0xcdef0123,
           "protected-to-long", "EFER 0x%x, PUSH size %u, 64-bit rotate 0x%x%08x", S(RM_EFER_LONG),
           S(RM_PUSH_SIZE_LONG), S(RM_LONG_HI), S(RM_LONG_LO));
    report(!(S(RM_CR0_BACK) & (CR0_PE | CR0_PG)) && !(S(RM_EFER_BACK) & (EFER_LME | EFER_LMA)) &&
           S(RM_PUSH_SIZE_BACK) == 2 && S(RM_SEG_READ_BACK) == 0xbeef && S(RM_INT_DONE_BACK) == 2,
           "long-to-real", "CR0 0x%x, EFER 0x%x, PUSH size %u, segment read 0x%x, INT count %u",
           S(RM_CR0_BACK), S(RM_EFER_BACK), S(RM_PUSH_SIZE_BACK), S(RM_SEG_READ_BACK),
           S(RM_INT_DONE_BACK));
}
