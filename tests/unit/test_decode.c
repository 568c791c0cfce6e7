/*
 * Unit tests for the x86 instruction decoder (hv/x86/decode.c).
 *
 * Three kinds of check: a differential table (data/decode_cases.inc, produced by
 * data/gen_decode_cases.sh from GNU as and objdump) of thousands of encodings across every map in
 * all three modes; a hand-written table of the instructions the hypervisor steps over or emulates,
 * prefix corner cases, invalid and too-long encodings; and field-by-field checks of the decoded
 * operands. Every valid encoding is also decoded from each of its truncations (-EAGAIN) and with
 * trailing bytes after it. Input always sits in a heap buffer of exactly `avail` bytes, so a read
 * past the end is caught by AddressSanitizer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/x86/decode.c"

#define M16 X86_MODE_16
#define M32 X86_MODE_32
#define M64 X86_MODE_64

static size_t hex_bytes(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (*hex) {
        unsigned int v;
        if (*hex == ' ') {
            hex++;
            continue;
        }
        assert_true(n < max);
        assert_int_equal(sscanf(hex, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Decodes from a heap copy of exactly avail bytes. */
static int decode_exact(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode,
                        struct x86_insn *insn)
{
    uint8_t *copy = malloc(avail ? avail : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, bytes, avail);
    rc = x86_decode(copy, avail, mode, insn);
    free(copy);
    return rc;
}

static const char *mode_name(enum x86_cpu_mode mode)
{
    return mode == M16 ? "16" : mode == M32 ? "32" : "64";
}

/* Field by field: the struct has padding, which memcmp would compare too. */
static bool same_insn(const struct x86_insn *a, const struct x86_insn *b)
{
    return a->len == b->len && a->opcode == b->opcode && a->map == b->map &&
           a->op_size == b->op_size && a->addr_size == b->addr_size && a->lock == b->lock &&
           a->rep == b->rep && a->repne == b->repne && a->opsize_prefix == b->opsize_prefix &&
           a->rex == b->rex && a->vex == b->vex && a->seg == b->seg &&
           a->has_modrm == b->has_modrm && a->modrm_mod == b->modrm_mod &&
           a->modrm_reg == b->modrm_reg && a->modrm_rm == b->modrm_rm && a->mem == b->mem &&
           a->base == b->base && a->index == b->index && a->scale == b->scale &&
           a->rip_relative == b->rip_relative && a->disp == b->disp && a->imm == b->imm &&
           a->imm_size == b->imm_size;
}

/*
 * A valid instruction of n bytes: decodes to length n from exactly n bytes and with 15 bytes of
 * trailing garbage, to the same fields both ways, and every shorter prefix gives -EAGAIN.
 */
static void check_valid(enum x86_cpu_mode mode, const uint8_t *b, size_t n, const char *what)
{
    struct x86_insn exact, padded, t;
    uint8_t buf[32];
    int rc;

    rc = decode_exact(b, n, mode, &exact);
    if (rc != 0 || exact.len != n)
        fail_msg("%s-bit %s: rc %d len %u, want length %zu", mode_name(mode), what, rc,
                 exact.len, n);
    memcpy(buf, b, n);
    memset(buf + n, 0xc4, sizeof(buf) - n);     /* a byte that would start something longer */
    rc = decode_exact(buf, sizeof(buf), mode, &padded);
    if (rc != 0 || !same_insn(&exact, &padded))
        fail_msg("%s-bit %s: decodes differently with trailing bytes (rc %d len %u)",
                 mode_name(mode), what, rc, padded.len);
    for (size_t k = 0; k < n; k++) {
        rc = decode_exact(b, k, mode, &t);
        if (rc != -EAGAIN)
            fail_msg("%s-bit %s: truncated to %zu bytes gives %d, want -EAGAIN",
                     mode_name(mode), what, k, rc);
    }
}

/* --- the differential table ------------------------------------------------------------------ */

struct gen_case {
    int mode;
    const char *hex;
    const char *mnemonic;
};

static const struct gen_case gen_cases[] = {
#include "data/decode_cases.inc"
};

static void test_objdump_table(void **state)
{
    unsigned int per_mode[3] = { 0 };

    for (size_t i = 0; i < ARRAY_SIZE(gen_cases); i++) {
        const struct gen_case *c = &gen_cases[i];
        enum x86_cpu_mode mode = c->mode == 16 ? M16 : c->mode == 32 ? M32 : M64;
        uint8_t b[X86_MAX_INSN_LEN];
        size_t n = hex_bytes(c->hex, b, sizeof(b));
        char what[64];

        snprintf(what, sizeof(what), "%s (%s)", c->hex, c->mnemonic);
        check_valid(mode, b, n, what);
        per_mode[mode]++;
    }
    /* the table covers all three modes in depth */
    for (int m = 0; m < 3; m++)
        assert_true(per_mode[m] > 2000);
}

/* --- the hand-written table ------------------------------------------------------------------ */

struct hand_case {
    enum x86_cpu_mode mode;
    const char *hex;
    int rc;             /* 0: valid, the whole string is one instruction */
};

#define OK(m, h) { m, h, 0 }
#define UD(m, h) { m, h, -EINVAL }
#define ALL(h) OK(M16, h), OK(M32, h), OK(M64, h)

static const struct hand_case hand_cases[] = {
    /* instructions intercepted and stepped over without NRIP save, in every mode */
    ALL("0f a2"), ALL("0f 32"), ALL("0f 30"), ALL("f4"), ALL("0f 01 d9"), ALL("0f 01 c1"),
    ALL("0f 01 df"), ALL("0f 01 d8"), ALL("0f 01 da"), ALL("0f 01 db"), ALL("0f 01 dc"),
    ALL("0f 01 dd"), ALL("0f 01 de"), ALL("0f 31"), ALL("0f 01 f9"), ALL("0f 08"), ALL("0f 09"),
    ALL("0f 01 d1"), ALL("0f 01 d0"), ALL("f3 90"), ALL("0f 01 c8"), ALL("0f 01 c9"),
    ALL("0f 01 fa"), ALL("0f 01 fb"), ALL("0f 01 c2"), ALL("0f 01 c3"), ALL("0f 01 c4"),
    ALL("67 0f 01 d8"), ALL("67 0f 01 df"), ALL("66 0f 01 d8"), ALL("2e 0f 01 c8"), ALL("e4 60"),
    ALL("e5 60"), ALL("66 e5 60"), ALL("e6 80"), ALL("e7 80"), ALL("ec"), ALL("ed"), ALL("66 ed"),
    ALL("ee"), ALL("ef"), ALL("6c"), ALL("6d"), ALL("6e"), ALL("6f"), ALL("f3 6c"), ALL("f3 66 6d"),
    ALL("f3 6f"), ALL("26 f3 6e"), ALL("67 f3 6d"), ALL("0f 20 c0"), ALL("0f 22 d8"),
    ALL("0f 20 e0"), ALL("0f 22 e3"), ALL("0f 21 f8"), ALL("0f 23 c0"), ALL("0f 20 00"),
    ALL("0f 22 45"), ALL("0f 20 04"), ALL("f0 0f 20 c0"), ALL("0f 06"), OK(M64, "0f 01 f8"),
    ALL("0f 01 ca"), ALL("0f 01 cb"), ALL("0f 01 38"), OK(M64, "44 0f 20 c0"),
    OK(M64, "44 0f 22 c0"), OK(M64, "41 0f 22 d8"), OK(M64, "48 0f 20 c0"), OK(M64, "0f 05"),
    OK(M64, "0f 07"), OK(M64, "48 0f 07"), OK(M64, "48 cf"),
    /* loads and stores the MMIO emulator handles */
    OK(M32, "88 18"), OK(M32, "89 18"), OK(M32, "8a 18"), OK(M32, "8b 18"), OK(M32, "c6 00 12"),
    OK(M32, "c7 00 78 56 34 12"), OK(M32, "66 c7 00 34 12"), OK(M32, "a0 78 56 34 12"),
    OK(M32, "a1 78 56 34 12"), OK(M32, "a2 78 56 34 12"), OK(M32, "a3 78 56 34 12"),
    OK(M32, "0f b6 00"), OK(M32, "0f b7 00"), OK(M32, "0f be 00"), OK(M32, "0f bf 00"),
    OK(M32, "66 0f b6 00"), OK(M32, "8b 44 24 08"), OK(M32, "8b 84 24 00 01 00 00"),
    OK(M32, "8b 05 78 56 34 12"), OK(M32, "8b 04 25 78 56 34 12"), OK(M32, "8b 04 85 00 10 00 00"),
    OK(M32, "8b 45 00"), OK(M32, "8b 85 00 01 00 00"), OK(M32, "89 04 24"), OK(M32, "67 8b 00"),
    OK(M32, "67 8b 06 34 12"), OK(M32, "67 8b 46 fe"), OK(M32, "67 a1 34 12"),
    OK(M32, "67 a2 34 12"), OK(M32, "c7 84 24 00 01 00 00 78 56 34 12"),
    OK(M32, "c7 44 24 08 78 56 34 12"), OK(M64, "89 18"), OK(M64, "48 89 18"), OK(M64, "4c 89 00"),
    OK(M64, "41 89 00"), OK(M64, "88 18"), OK(M64, "40 88 30"), OK(M64, "44 88 00"),
    OK(M64, "8a 00"), OK(M64, "48 8b 00"), OK(M64, "c6 00 12"), OK(M64, "41 c6 00 12"),
    OK(M64, "c7 00 78 56 34 12"), OK(M64, "48 c7 00 78 56 34 12"), OK(M64, "66 c7 00 34 12"),
    OK(M64, "66 48 c7 00 78 56 34 12"), OK(M64, "a0 88 77 66 55 44 33 22 11"),
    OK(M64, "a1 88 77 66 55 44 33 22 11"), OK(M64, "48 a1 88 77 66 55 44 33 22 11"),
    OK(M64, "a2 88 77 66 55 44 33 22 11"), OK(M64, "48 a3 88 77 66 55 44 33 22 11"),
    OK(M64, "66 a3 88 77 66 55 44 33 22 11"), OK(M64, "67 a1 78 56 34 12"),
    OK(M64, "67 48 a3 78 56 34 12"), OK(M64, "67 a0 78 56 34 12"), OK(M64, "0f b6 00"),
    OK(M64, "48 0f b6 00"), OK(M64, "4c 0f b7 00"), OK(M64, "48 0f be c1"),
    OK(M64, "48 0f bf 04 24"), OK(M64, "48 63 00"), OK(M64, "8b 05 78 56 34 12"),
    OK(M64, "48 8b 05 78 56 34 12"), OK(M64, "67 8b 05 78 56 34 12"),
    OK(M64, "8b 04 25 78 56 34 12"), OK(M64, "42 8b 04 20"), OK(M64, "41 8b 04 24"),
    OK(M64, "41 8b 45 00"), OK(M64, "41 8b 04 25 78 56 34 12"), OK(M64, "4b 8b 84 ec 00 01 00 00"),
    OK(M64, "c7 05 00 01 00 00 78 56 34 12"), OK(M64, "48 c7 05 00 01 00 00 ff ff ff ff"),
    OK(M64, "c6 05 00 01 00 00 01"), OK(M64, "66 c7 05 00 01 00 00 34 12"), OK(M64, "67 8b 04 24"),
    OK(M64, "67 41 8b 00"), OK(M16, "88 07"), OK(M16, "89 00"), OK(M16, "8b 00"), OK(M16, "8b 01"),
    OK(M16, "8b 02"), OK(M16, "8b 03"), OK(M16, "8b 04"), OK(M16, "8b 05"), OK(M16, "8b 06 34 12"),
    OK(M16, "8b 07"), OK(M16, "8b 46 00"), OK(M16, "8b 46 fe"), OK(M16, "8b 86 34 12"),
    OK(M16, "8b 40 10"), OK(M16, "8b 87 34 12"), OK(M16, "a1 34 12"), OK(M16, "a0 34 12"),
    OK(M16, "a3 34 12"), OK(M16, "67 a1 78 56 34 12"), OK(M16, "67 8b 00"), OK(M16, "67 8b 04 24"),
    OK(M16, "67 8b 05 78 56 34 12"), OK(M16, "66 8b 00"), OK(M16, "c6 06 34 12 01"),
    OK(M16, "c7 06 34 12 78 56"), OK(M16, "66 c7 06 34 12 78 56 34 12"), OK(M16, "0f b6 07"),
    OK(M16, "66 0f b7 00"), OK(M16, "c7 80 00 80 34 12"),
    /* immediates */
    OK(M64, "48 b8 88 77 66 55 44 33 22 11"), OK(M64, "49 bf 88 77 66 55 44 33 22 11"),
    OK(M64, "b8 78 56 34 12"), OK(M64, "66 b8 34 12"), OK(M64, "41 b0 12"),
    OK(M64, "66 48 b8 88 77 66 55 44 33 22 11"), OK(M32, "b8 78 56 34 12"), OK(M32, "66 b8 34 12"),
    OK(M16, "b8 34 12"), OK(M16, "66 b8 78 56 34 12"), OK(M64, "48 05 78 56 34 12"),
    OK(M64, "48 69 c0 78 56 34 12"), OK(M64, "48 81 c0 78 56 34 12"), OK(M64, "48 a9 78 56 34 12"),
    OK(M64, "68 78 56 34 12"), OK(M64, "66 68 34 12"), OK(M64, "6a 01"), OK(M64, "48 6b c0 01"),
    OK(M64, "48 83 c0 01"), OK(M64, "80 c0 01"), OK(M64, "c0 e0 01"), OK(M64, "48 c1 e0 01"),
    OK(M64, "eb fe"), OK(M64, "74 fe"), OK(M64, "e3 fe"), OK(M64, "e0 fe"),
    OK(M64, "e8 00 00 00 00"), OK(M64, "e9 00 00 00 00"), OK(M64, "66 e8 00 00 00 00"),
    OK(M64, "66 e9 00 00 00 00"), OK(M64, "0f 84 00 00 00 00"), OK(M64, "66 0f 84 00 00 00 00"),
    OK(M64, "48 e8 00 00 00 00"), OK(M64, "c2 08 00"), OK(M64, "66 c2 08 00"), OK(M64, "ca 08 00"),
    OK(M64, "cd 80"), OK(M64, "c8 10 00 01"), OK(M64, "66 c8 10 00 01"), OK(M64, "f6 00 12"),
    OK(M64, "f6 08 12"), OK(M64, "f6 10"), OK(M64, "f6 38"), OK(M64, "f7 00 78 56 34 12"),
    OK(M64, "f7 c8 78 56 34 12"), OK(M64, "66 f7 00 34 12"), OK(M64, "48 f7 00 78 56 34 12"),
    OK(M64, "f7 d0"), OK(M64, "48 f7 f1"), OK(M64, "c6 f8 01"), OK(M64, "c7 f8 00 00 00 00"),
    OK(M64, "66 c7 f8 00 00"), OK(M64, "0f ba e0 01"), OK(M64, "0f a4 c0 01"),
    OK(M64, "0f c2 c1 01"), OK(M32, "e8 00 00 00 00"), OK(M32, "66 e8 00 00"),
    OK(M32, "0f 84 00 00 00 00"), OK(M32, "66 0f 84 00 00"), OK(M32, "9a 78 56 34 12 08 00"),
    OK(M32, "66 9a 34 12 08 00"), OK(M32, "ea 78 56 34 12 08 00"), OK(M32, "d4 0a"),
    OK(M32, "d5 0a"), OK(M32, "82 c0 01"), OK(M32, "d6"), OK(M32, "ce"), OK(M32, "62 00"),
    OK(M32, "62 44 24 08"), OK(M32, "c4 00"), OK(M32, "c5 00"), OK(M32, "c4 44 24 08"),
    OK(M32, "66 c5 00"), OK(M32, "8f c0"), OK(M32, "8f 00"), OK(M32, "06"), OK(M32, "07"),
    OK(M32, "0e"), OK(M32, "16"), OK(M32, "17"), OK(M32, "1e"), OK(M32, "1f"), OK(M32, "27"),
    OK(M32, "2f"), OK(M32, "37"), OK(M32, "3f"), OK(M32, "60"), OK(M32, "61"), OK(M32, "40"),
    OK(M32, "4f"), OK(M32, "c2 08 00"), OK(M32, "68 78 56 34 12"), OK(M32, "66 68 34 12"),
    OK(M32, "69 c0 78 56 34 12"), OK(M32, "66 69 c0 34 12"), OK(M16, "e8 00 00"),
    OK(M16, "66 e8 00 00 00 00"), OK(M16, "0f 84 00 00"), OK(M16, "66 0f 84 00 00 00 00"),
    OK(M16, "9a 34 12 08 00"), OK(M16, "66 9a 78 56 34 12 08 00"), OK(M16, "ea 34 12 00 f0"),
    OK(M16, "c4 06 34 12"), OK(M16, "c5 46 00"), OK(M16, "62 06 34 12"), OK(M16, "68 34 12"),
    OK(M16, "6a ff"), OK(M16, "05 34 12"), OK(M16, "66 05 78 56 34 12"),
    OK(M16, "f7 06 34 12 78 56"), OK(M16, "d6"),
    /* 0F maps, 3DNow!, x87 */
    ALL("0f 0f c1 9e"), ALL("0f 0f 00 b4"), ALL("0f 0e"), ALL("0f 77"), ALL("0f 38 00 c1"),
    ALL("66 0f 38 00 c1"), ALL("66 0f 3a 0f c1 08"), ALL("0f 3a 0f 00 01"),
    ALL("66 0f 3a 44 c1 11"), ALL("f3 0f b8 c1"), ALL("0f c7 f0"), ALL("0f ae f0"), ALL("0f 18 00"),
    ALL("0f 1f 00"), ALL("0f 0d 08"), ALL("66 0f 78 c1 04 08"), ALL("f2 0f 78 c1 04 08"),
    ALL("f2 0f 79 c1"), ALL("66 0f 79 c1"), ALL("0f 00 d8"), ALL("0f 01 10"), ALL("d9 c0"),
    ALL("d9 e8"), ALL("dd 18"), ALL("df e0"), ALL("9b"), ALL("0f 3a cc c1 01"), ALL("0f 38 f0 00"),
    ALL("f2 0f 38 f1 c1"), ALL("f3 0f 1e fa"), ALL("f3 0f 1e fb"),
    OK(M64, "0f 0f 04 25 78 56 34 12 9e"), OK(M64, "0f 0f 05 00 00 00 00 b4"), OK(M64, "0f 78 c1"),
    OK(M64, "0f 79 c1"), OK(M64, "48 0f c7 0e"), OK(M64, "f3 48 0f ae c0"),
    /* VEX and EVEX */
    ALL("c5 f8 77"), ALL("c5 fc 77"), ALL("c5 fc 58 c1"), ALL("c4 e3 7d 18 c1 01"),
    ALL("c5 fd 70 d1 01"), ALL("c5 f8 ae 10"), ALL("62 f1 7c 48 58 c1"),
    ALL("62 f1 7c 48 58 40 01"), ALL("62 f5 7c 48 58 c1"), ALL("62 f3 75 48 25 c2 ff"),
    ALL("62 f1 6c 48 c2 08 01"), ALL("c4 e2 78 f2 c8"), ALL("67 c5 f8 10 00"),
    ALL("2e c5 f8 10 00"), OK(M64, "c4 41 3c 58 08"), OK(M64, "c4 e2 e0 f2 c8"),
    OK(M64, "62 f1 7c 48 58 80 44 00 00 00"), OK(M64, "62 d2 7d 41 90 14 88"),
    OK(M64, "c5 78 10 05 00 01 00 00"), OK(M64, "c4 e2 78 49 c0"), OK(M64, "c4 c1 78 10 04 24"),
    OK(M64, "62 61 7c 48 58 05 00 01 00 00"), OK(M32, "c5 f8 10 05 78 56 34 12"),
    OK(M16, "c5 f8 10 06 34 12"), OK(M16, "67 c5 f8 10 04 24"), UD(M64, "66 c5 f8 77"),
    UD(M64, "f3 c5 f8 77"), UD(M64, "f2 c5 f8 77"), UD(M64, "f0 c5 f8 77"), UD(M64, "48 c5 f8 77"),
    UD(M64, "40 c4 e3 7d 18 c1 01"), UD(M32, "66 c5 f8 77"), UD(M64, "c4 e0 78 58 c0"),
    UD(M64, "c4 e4 78 58 c0"), UD(M64, "c4 ff 78 58 c0"), UD(M64, "62 f0 7c 48 58 c1"),
    UD(M64, "62 f4 7c 48 58 c1"), UD(M64, "62 f7 7c 48 58 c1"), UD(M64, "62 f9 7c 48 58 c1"),
    UD(M64, "62 f1 78 48 58 c1"), UD(M64, "66 62 f1 7c 48 58 c1"), UD(M64, "8f e9 70 90 da"),
    UD(M32, "8f e9 70 90 da"), UD(M16, "8f e8 78 c0 c1 01"), UD(M32, "8f 08"), UD(M64, "8f c8"),
    UD(M64, "8f 20"), UD(M32, "8f e0"),
    /* invalid in 64-bit mode */
    UD(M64, "06"), UD(M64, "07"), UD(M64, "0e"), UD(M64, "16"), UD(M64, "17"), UD(M64, "1e"),
    UD(M64, "1f"), UD(M64, "27"), UD(M64, "2f"), UD(M64, "37"), UD(M64, "3f"), UD(M64, "60"),
    UD(M64, "61"), UD(M64, "62 00 00 00 00 00"), UD(M64, "82 c0 01"),
    UD(M64, "9a 78 56 34 12 08 00"), UD(M64, "c4 00 00 00"), UD(M64, "ce"), UD(M64, "d4 0a"),
    UD(M64, "d5 0a"), UD(M64, "d6"), UD(M64, "ea 78 56 34 12 08 00"), UD(M64, "66 06"),
    UD(M64, "48 60"),
    /* invalid everywhere */
    UD(M32, "0f 0b"), UD(M32, "0f b9 00"), UD(M64, "0f ff 00"), UD(M32, "0f 04"), UD(M64, "0f 0a"),
    UD(M32, "0f 24 c0"), UD(M32, "0f 26 c0"), UD(M32, "0f 36"), UD(M64, "0f 7a 00"),
    UD(M32, "0f b8 c0"), UD(M32, "66 0f b8 c0"), UD(M32, "8d c0"), UD(M64, "48 8d c0"),
    UD(M32, "c6 08 01"), UD(M32, "c6 c8 01"), UD(M32, "c6 f9 01"), UD(M32, "c7 08 00 00 00 00"),
    UD(M32, "fe 10"), UD(M64, "fe d0"), UD(M32, "ff 38"), UD(M32, "ff d8"), UD(M32, "ff e8"),
    UD(M32, "0f ba 00 01"), UD(M32, "0f b2 c0"), UD(M32, "0f b4 c0"), UD(M32, "0f b5 c0"),
    /* prefixes: any order and repetition, REX only when last */
    OK(M32, "f0 f2 f3 66 67 2e 36 3e 26 64 65 89 00"),
    OK(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"), OK(M64, "48 66 89 00"),
    OK(M64, "66 48 89 00"), OK(M64, "41 3e 8b 00"), OK(M64, "41 48 89 00"),
    OK(M64, "48 67 a1 78 56 34 12"), OK(M64, "48 f3 90"),
    OK(M64, "40 40 40 40 40 40 40 40 40 40 40 40 40 40 90"),
    OK(M64, "26 2e 36 3e 64 65 f0 f2 f3 66 67 48 89 00"), OK(M32, "67 67 67 8b 00"),
    OK(M16, "66 66 67 67 67 8b 04 24"), UD(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"),
    UD(M32, "66 66 66 66 66 66 66 66 66 66 66 66 66 05 34 12"),
    UD(M64, "26 26 26 26 26 26 26 26 26 26 c7 84 24 00 01 00 00 78 56 34 12"),
    UD(M64, "f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 90"),
    UD(M64, "48 48 48 48 48 48 48 48 48 48 48 b8 88 77 66 55"),
    UD(M32, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66"),
};

static void test_hand_table(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(hand_cases); i++) {
        const struct hand_case *c = &hand_cases[i];
        uint8_t b[32];
        size_t n = hex_bytes(c->hex, b, sizeof(b));
        struct x86_insn insn;
        int rc;

        if (c->rc == 0) {
            check_valid(c->mode, b, n, c->hex);
            continue;
        }
        rc = decode_exact(b, n, c->mode, &insn);
        if (rc != c->rc)
            fail_msg("%s-bit %s: rc %d, want %d", mode_name(c->mode), c->hex, rc, c->rc);
    }
}

/* Up to the byte where the decoder can tell, an invalid encoding is just incomplete. */
static void test_invalid_truncated(void **state)
{
    static const struct hand_case cases[] = {
        UD(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"),
        UD(M64, "48 48 48 48 48 48 48 48 48 48 48 b8 88 77 66 55"),
        UD(M64, "c4 e0 78 58 c0"), UD(M64, "62 f0 7c 48 58 c1"),
    };
    static const size_t tell[] = { 15, 15, 3, 4 };   /* bytes needed to see it is invalid */
    struct x86_insn insn;
    uint8_t b[32];

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = hex_bytes(cases[i].hex, b, sizeof(b));
        for (size_t k = 0; k <= n; k++)
            assert_int_equal(decode_exact(b, k, cases[i].mode, &insn),
                             k < tell[i] ? -EAGAIN : -EINVAL);
    }
}

/* --- operand fields -------------------------------------------------------------------------- */

static struct x86_insn dec(enum x86_cpu_mode mode, const char *hex)
{
    struct x86_insn insn;
    uint8_t b[32];
    size_t n = hex_bytes(hex, b, sizeof(b));

    check_valid(mode, b, n, hex);
    assert_int_equal(decode_exact(b, n, mode, &insn), 0);
    return insn;
}

static void expect_mem(const struct x86_insn *i, uint8_t base, uint8_t index, uint8_t scale,
                       int64_t disp)
{
    assert_true(i->mem);
    assert_int_equal(i->base, base);
    assert_int_equal(i->index, index);
    assert_int_equal(i->scale, scale);
    assert_true(i->disp == disp);
}

#define NONE X86_REG_NONE

static void test_fields_mov(void **state)
{
    struct x86_insn i = dec(M32, "89 18");              /* mov [eax], ebx */

    assert_int_equal(i.len, 2);
    assert_int_equal(i.map, 0);
    assert_int_equal(i.opcode, 0x89);
    assert_int_equal(i.op_size, 4);
    assert_int_equal(i.addr_size, 4);
    assert_true(i.has_modrm);
    assert_int_equal(i.modrm_mod, 0);
    assert_int_equal(i.modrm_reg, 3);
    assert_int_equal(i.modrm_rm, 0);
    expect_mem(&i, 0, NONE, 1, 0);
    assert_false(i.rip_relative);
    assert_int_equal(i.seg, X86_SEG_NONE);
    assert_int_equal(i.imm_size, 0);
    assert_false(i.vex);

    i = dec(M32, "88 18");                              /* mov [eax], bl */
    assert_int_equal(i.op_size, 1);
    i = dec(M32, "8a 58 10");                           /* mov bl, [eax+0x10] */
    assert_int_equal(i.op_size, 1);
    expect_mem(&i, 0, NONE, 1, 0x10);
    i = dec(M32, "66 8b 58 f0");                        /* mov bx, [eax-0x10] */
    assert_int_equal(i.op_size, 2);
    assert_true(i.opsize_prefix);
    expect_mem(&i, 0, NONE, 1, -0x10);
    i = dec(M16, "8b 00");
    assert_int_equal(i.op_size, 2);
    i = dec(M16, "66 8b 00");
    assert_int_equal(i.op_size, 4);

    i = dec(M64, "4c 89 44 24 08");                     /* mov [rsp+8], r8 */
    assert_int_equal(i.rex, 0x4c);
    assert_int_equal(i.op_size, 8);
    assert_int_equal(i.addr_size, 8);
    assert_int_equal(i.modrm_reg, 8);
    expect_mem(&i, 4, NONE, 1, 8);
    i = dec(M64, "89 18");
    assert_int_equal(i.op_size, 4);
    i = dec(M64, "66 89 18");
    assert_int_equal(i.op_size, 2);
    i = dec(M64, "66 48 89 18");                        /* REX.W beats 66 */
    assert_int_equal(i.op_size, 8);

    i = dec(M32, "c6 00 12");                           /* mov byte [eax], 0x12 */
    assert_int_equal(i.op_size, 1);
    assert_int_equal(i.imm, 0x12);
    assert_int_equal(i.imm_size, 1);
    i = dec(M64, "48 c7 00 fe ff ff ff");               /* mov qword [rax], -2: imm32 */
    assert_int_equal(i.op_size, 8);
    assert_int_equal(i.imm_size, 4);
    assert_true(i.imm == 0xfffffffe);
    i = dec(M64, "66 c7 00 34 12");
    assert_int_equal(i.op_size, 2);
    assert_int_equal(i.imm_size, 2);
    assert_int_equal(i.imm, 0x1234);
}

static void test_fields_movzx(void **state)
{
    struct x86_insn i = dec(M32, "0f b6 00");           /* movzx eax, byte [eax] */

    assert_int_equal(i.map, 1);
    assert_int_equal(i.opcode, 0xb6);
    assert_int_equal(i.op_size, 4);                     /* the destination */
    assert_true(i.mem);
    i = dec(M32, "66 0f b6 00");                        /* movzx ax, byte [eax] */
    assert_int_equal(i.op_size, 2);
    i = dec(M64, "48 0f b7 08");                        /* movzx rcx, word [rax] */
    assert_int_equal(i.op_size, 8);
    assert_int_equal(i.modrm_reg, 1);
    i = dec(M64, "4c 0f be c1");                        /* movsx r8, cl */
    assert_int_equal(i.op_size, 8);
    assert_false(i.mem);
    assert_int_equal(i.modrm_mod, 3);
    assert_int_equal(i.modrm_reg, 8);
    assert_int_equal(i.modrm_rm, 1);
    i = dec(M16, "0f bf 07");                           /* movsx ax, word [bx] */
    assert_int_equal(i.op_size, 2);
    expect_mem(&i, 3, NONE, 1, 0);
}

static void test_fields_moffs(void **state)
{
    struct x86_insn i = dec(M16, "a1 34 12");

    assert_int_equal(i.op_size, 2);
    assert_int_equal(i.addr_size, 2);
    assert_false(i.has_modrm);
    expect_mem(&i, NONE, NONE, 1, 0x1234);
    assert_int_equal(i.imm_size, 0);
    i = dec(M16, "67 a0 78 56 34 12");
    assert_int_equal(i.op_size, 1);
    assert_int_equal(i.addr_size, 4);
    expect_mem(&i, NONE, NONE, 1, 0x12345678);
    i = dec(M32, "a3 78 56 34 f2");                     /* offsets are not sign-extended */
    assert_int_equal(i.addr_size, 4);
    expect_mem(&i, NONE, NONE, 1, 0xf2345678);
    i = dec(M32, "67 a2 34 12");
    assert_int_equal(i.addr_size, 2);
    assert_int_equal(i.op_size, 1);
    expect_mem(&i, NONE, NONE, 1, 0x1234);
    i = dec(M64, "48 a1 88 77 66 55 44 33 22 11");
    assert_int_equal(i.op_size, 8);
    assert_int_equal(i.addr_size, 8);
    expect_mem(&i, NONE, NONE, 1, 0x1122334455667788);
    i = dec(M64, "a2 ff ff ff ff ff ff ff ff");
    expect_mem(&i, NONE, NONE, 1, -1);
    i = dec(M64, "67 a1 78 56 34 12");
    assert_int_equal(i.addr_size, 4);
    assert_int_equal(i.op_size, 4);
    expect_mem(&i, NONE, NONE, 1, 0x12345678);
}

static void test_fields_addressing32(void **state)
{
    struct x86_insn i = dec(M32, "8b 44 8e 10");        /* mov eax, [esi+ecx*4+0x10] */

    expect_mem(&i, 6, 1, 4, 0x10);
    i = dec(M32, "8b 04 25 78 56 34 12");               /* SIB without base or index */
    expect_mem(&i, NONE, NONE, 1, 0x12345678);
    i = dec(M32, "8b 05 78 56 34 12");                  /* absolute outside 64-bit mode */
    expect_mem(&i, NONE, NONE, 1, 0x12345678);
    assert_false(i.rip_relative);
    i = dec(M32, "8b 04 cd 00 10 00 00");               /* [ecx*8+0x1000] */
    expect_mem(&i, NONE, 1, 8, 0x1000);
    i = dec(M32, "8b 45 00");                           /* [ebp+0] */
    expect_mem(&i, 5, NONE, 1, 0);
    i = dec(M32, "8b 04 24");                           /* [esp] */
    expect_mem(&i, 4, NONE, 1, 0);
    i = dec(M32, "8b 84 24 00 00 00 80");               /* [esp-0x80000000] */
    expect_mem(&i, 4, NONE, 1, -0x80000000LL);
    i = dec(M32, "8b 44 65 80");                        /* [ebp+0*2-0x80]: index 4 is none */
    expect_mem(&i, 5, NONE, 2, -0x80);
    i = dec(M32, "3e 8b 00");
    assert_int_equal(i.seg, X86_SEG_DS);
    i = dec(M32, "26 64 8b 00");                        /* the last override counts */
    assert_int_equal(i.seg, X86_SEG_FS);
}

static void test_fields_addressing64(void **state)
{
    struct x86_insn i = dec(M64, "48 8b 05 78 56 34 12");   /* mov rax, [rip+0x12345678] */

    assert_true(i.rip_relative);
    expect_mem(&i, NONE, NONE, 1, 0x12345678);
    i = dec(M64, "41 8b 05 00 00 00 80");               /* REX.B does not stop RIP-relative */
    assert_true(i.rip_relative);
    expect_mem(&i, NONE, NONE, 1, -0x80000000LL);
    i = dec(M64, "67 8b 05 10 00 00 00");               /* EIP-relative */
    assert_true(i.rip_relative);
    assert_int_equal(i.addr_size, 4);
    i = dec(M64, "8b 04 25 78 56 34 12");               /* absolute */
    assert_false(i.rip_relative);
    expect_mem(&i, NONE, NONE, 1, 0x12345678);
    i = dec(M64, "42 8b 04 20");                        /* [rax+r12]: REX.X makes index 4 real */
    expect_mem(&i, 0, 12, 1, 0);
    i = dec(M64, "41 8b 04 24");                        /* [r12] needs a SIB */
    expect_mem(&i, 12, NONE, 1, 0);
    assert_int_equal(i.modrm_rm, 12);
    i = dec(M64, "41 8b 45 08");                        /* [r13+8] */
    expect_mem(&i, 13, NONE, 1, 8);
    assert_int_equal(i.modrm_rm, 13);
    i = dec(M64, "41 8b 04 25 78 56 34 12");            /* SIB base 5, mod 0: no base, any REX.B */
    expect_mem(&i, NONE, NONE, 1, 0x12345678);
    i = dec(M64, "4b 8b 84 ec 00 01 00 00");            /* [r12+r13*8+0x100] */
    expect_mem(&i, 12, 13, 8, 0x100);
    i = dec(M64, "4e 8b 3c 6d 00 00 00 00");            /* mov r15, [r13*2+0] */
    expect_mem(&i, NONE, 13, 2, 0);
    assert_int_equal(i.modrm_reg, 15);
    i = dec(M64, "41 48 8b 00");                        /* only the last REX counts */
    assert_int_equal(i.rex, 0x48);
    expect_mem(&i, 0, NONE, 1, 0);
    assert_int_equal(i.op_size, 8);
    i = dec(M64, "48 66 8b 00");                        /* REX before a legacy prefix is ignored */
    assert_int_equal(i.rex, 0);
    assert_int_equal(i.op_size, 2);
    i = dec(M64, "49 3e 8b 00");
    assert_int_equal(i.rex, 0);
    expect_mem(&i, 0, NONE, 1, 0);
    assert_int_equal(i.op_size, 4);
    i = dec(M64, "67 8b 00");
    assert_int_equal(i.addr_size, 4);
}

static void test_fields_addressing16(void **state)
{
    static const uint8_t base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
    static const uint8_t index[8] = { 6, 7, 6, 7, NONE, NONE, NONE, NONE };
    char hex[32];
    struct x86_insn i;

    for (unsigned int rm = 0; rm < 8; rm++) {
        snprintf(hex, sizeof(hex), "8b %02x 10", 0x40 | rm);     /* disp8 */
        i = dec(M16, hex);
        assert_int_equal(i.addr_size, 2);
        expect_mem(&i, base[rm], index[rm], 1, 0x10);
        snprintf(hex, sizeof(hex), "8b %02x 00 80", 0x80 | rm);  /* disp16, sign-extended */
        i = dec(M16, hex);
        expect_mem(&i, base[rm], index[rm], 1, -0x8000);
    }
    i = dec(M16, "8b 06 34 12");                        /* mod 0, rm 6: disp16 alone */
    expect_mem(&i, NONE, NONE, 1, 0x1234);
    i = dec(M16, "8b 00");
    expect_mem(&i, 3, 6, 1, 0);
    i = dec(M32, "67 8b 46 fe");                        /* 16-bit addressing from 32-bit code */
    assert_int_equal(i.addr_size, 2);
    expect_mem(&i, 5, NONE, 1, -2);
    i = dec(M16, "67 8b 44 88 04");                     /* 32-bit addressing from 16-bit code */
    assert_int_equal(i.addr_size, 4);
    expect_mem(&i, 0, 1, 4, 4);
}

static void test_fields_immediates(void **state)
{
    struct x86_insn i = dec(M64, "48 b8 88 77 66 55 44 33 22 11");

    assert_int_equal(i.op_size, 8);
    assert_int_equal(i.imm_size, 8);
    assert_true(i.imm == 0x1122334455667788ULL);
    i = dec(M64, "41 bf 78 56 34 12");                  /* mov r15d, imm32 */
    assert_int_equal(i.op_size, 4);
    assert_int_equal(i.imm_size, 4);
    i = dec(M64, "48 05 ff ff ff ff");                  /* iz is never 8 bytes */
    assert_int_equal(i.imm_size, 4);
    assert_true(i.imm == 0xffffffff);
    i = dec(M64, "c8 10 00 02");                        /* enter 0x10, 2 */
    assert_int_equal(i.imm, 0x10);
    assert_int_equal(i.imm_size, 3);
    assert_int_equal(i.op_size, 8);
    i = dec(M32, "9a 78 56 34 12 08 00");               /* call far 0x8:0x12345678 */
    assert_int_equal(i.imm, 0x12345678);
    assert_int_equal(i.imm_size, 6);
    i = dec(M16, "ea 00 7c 00 00");
    assert_int_equal(i.imm, 0x7c00);
    assert_int_equal(i.imm_size, 4);
    i = dec(M64, "66 e8 10 00 00 00");                  /* Intel: 66 does not shorten rel32 */
    assert_int_equal(i.imm_size, 4);
    assert_int_equal(i.op_size, 8);
    i = dec(M64, "66 0f 85 10 00 00 00");
    assert_int_equal(i.imm_size, 4);
    i = dec(M32, "66 e9 10 00");
    assert_int_equal(i.imm_size, 2);
    i = dec(M64, "f6 00 12");                           /* test byte [rax], 0x12 */
    assert_int_equal(i.imm_size, 1);
    assert_int_equal(i.op_size, 1);
    i = dec(M64, "f6 18");                              /* neg byte [rax] */
    assert_int_equal(i.imm_size, 0);
    i = dec(M64, "48 f7 c8 78 56 34 12");               /* test rax, imm32 (/1 alias) */
    assert_int_equal(i.imm_size, 4);
    assert_int_equal(i.op_size, 8);
    i = dec(M64, "66 f7 00 34 12");
    assert_int_equal(i.imm_size, 2);
    i = dec(M64, "c2 08 00");
    assert_int_equal(i.imm, 8);
    assert_int_equal(i.imm_size, 2);
    i = dec(M64, "66 6a ff");                           /* push imm8 as a word */
    assert_int_equal(i.op_size, 2);
    i = dec(M64, "6a ff");
    assert_int_equal(i.op_size, 8);
    assert_int_equal(i.imm, 0xff);
    i = dec(M64, "ff 30");                              /* push [rax]: 64-bit */
    assert_int_equal(i.op_size, 8);
    i = dec(M64, "ff 10");                              /* call [rax] */
    assert_int_equal(i.op_size, 8);
    i = dec(M64, "66 ff 20");                           /* jmp [rax]: 66 ignored (Intel) */
    assert_int_equal(i.op_size, 8);
    i = dec(M64, "ff 00");                              /* inc dword [rax] */
    assert_int_equal(i.op_size, 4);
    i = dec(M64, "66 0f 78 c1 04 08");                  /* extrq xmm1, 4, 8 */
    assert_int_equal(i.imm, 4);
    assert_int_equal(i.imm_size, 2);
}

static void test_fields_system(void **state)
{
    static const char *const step_over[] = {
        "0f 01 d8", "0f 01 d9", "0f 01 da", "0f 01 db", "0f 01 dc", "0f 01 dd", "0f 01 de",
        "0f 01 df", "0f 01 c1", "0f 01 d1", "0f 01 f9", "0f 01 c8", "0f 01 c9",
    };
    struct x86_insn i;

    for (size_t k = 0; k < ARRAY_SIZE(step_over); k++) {
        for (int mode = M16; mode <= M64; mode++) {
            i = dec(mode, step_over[k]);
            assert_int_equal(i.len, 3);
            assert_int_equal(i.map, 1);
            assert_int_equal(i.opcode, 1);
            assert_int_equal(i.modrm_mod, 3);
            assert_false(i.mem);
        }
    }
    i = dec(M64, "0f 01 d8");
    assert_int_equal(i.modrm_reg, 3);
    assert_int_equal(i.modrm_rm, 0);
    i = dec(M64, "0f 20 d8");                           /* mov rax, cr3 */
    assert_int_equal(i.modrm_reg, 3);
    assert_int_equal(i.modrm_rm, 0);
    assert_int_equal(i.op_size, 8);
    i = dec(M64, "45 0f 22 c1");                        /* mov cr8, r9 */
    assert_int_equal(i.modrm_reg, 8);
    assert_int_equal(i.modrm_rm, 9);
    i = dec(M32, "0f 20 44");                           /* mod is ignored: still mov esp, cr0 */
    assert_int_equal(i.len, 3);
    assert_int_equal(i.modrm_mod, 3);
    assert_int_equal(i.modrm_rm, 4);
    assert_false(i.mem);
    assert_int_equal(i.op_size, 4);
    i = dec(M16, "0f 22 c0");
    assert_int_equal(i.op_size, 4);
    i = dec(M32, "f0 0f 20 c0");                        /* AMD's alias for CR8 */
    assert_true(i.lock);
    i = dec(M64, "0f 23 f8");                           /* mov dr7, rax */
    assert_int_equal(i.modrm_reg, 7);
    i = dec(M32, "e5 60");
    assert_int_equal(i.op_size, 4);
    assert_int_equal(i.imm, 0x60);
    i = dec(M64, "48 ed");                              /* REX.W does not make port I/O 64-bit */
    assert_int_equal(i.op_size, 4);
    i = dec(M64, "66 ef");
    assert_int_equal(i.op_size, 2);
    i = dec(M16, "ec");
    assert_int_equal(i.op_size, 1);
    i = dec(M32, "f3 66 6d");                           /* rep insw */
    assert_true(i.rep);
    assert_int_equal(i.op_size, 2);
    i = dec(M32, "f3 6e");
    assert_int_equal(i.op_size, 1);
    i = dec(M16, "f3 6f");
    assert_int_equal(i.op_size, 2);
    i = dec(M32, "f3 90");                              /* pause */
    assert_true(i.rep);
    assert_false(i.has_modrm);
    assert_int_equal(i.len, 2);
}

static void test_fields_prefixes(void **state)
{
    struct x86_insn i = dec(M32, "f0 f2 f3 66 67 2e 36 89 00");

    assert_true(i.lock);
    assert_true(i.rep);                                 /* F3 came after F2 */
    assert_false(i.repne);
    assert_true(i.opsize_prefix);
    assert_int_equal(i.addr_size, 2);
    assert_int_equal(i.seg, X86_SEG_SS);
    assert_int_equal(i.op_size, 2);
    i = dec(M32, "f3 f2 a6");
    assert_true(i.repne);
    assert_false(i.rep);
    i = dec(M64, "65 48 8b 04 25 28 00 00 00");         /* mov rax, gs:[0x28] */
    assert_int_equal(i.seg, X86_SEG_GS);
    i = dec(M16, "26 8b 05");
    assert_int_equal(i.seg, X86_SEG_ES);
    i = dec(M16, "2e 8b 05");
    assert_int_equal(i.seg, X86_SEG_CS);
    i = dec(M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90");
    assert_int_equal(i.len, 15);
}

static void test_fields_vex(void **state)
{
    struct x86_insn i = dec(M64, "c5 f8 77");           /* vzeroupper */

    assert_true(i.vex);
    assert_false(i.has_modrm);
    assert_int_equal(i.map, 1);
    assert_int_equal(i.opcode, 0x77);
    i = dec(M64, "c4 41 3c 58 08");                     /* vaddps ymm9, ymm8, [r8] */
    assert_true(i.vex);
    assert_int_equal(i.map, 1);
    assert_int_equal(i.modrm_reg, 9);
    expect_mem(&i, 8, NONE, 1, 0);
    assert_int_equal(i.rex, 0);
    i = dec(M64, "c4 e3 7d 18 c1 01");                  /* vinsertf128 */
    assert_int_equal(i.map, 3);
    assert_int_equal(i.opcode, 0x18);
    assert_int_equal(i.imm, 1);
    assert_int_equal(i.imm_size, 1);
    i = dec(M64, "c4 e2 e0 f2 c8");                     /* andn rcx, rbx, rax */
    assert_int_equal(i.map, 2);
    assert_int_equal(i.op_size, 8);
    i = dec(M32, "c4 e2 e0 f2 c8");                     /* andn ecx, ebx, eax: W does not widen */
    assert_int_equal(i.op_size, 4);
    i = dec(M64, "c5 78 10 05 00 01 00 00");            /* vmovups xmm8, [rip+0x100] */
    assert_true(i.rip_relative);
    assert_int_equal(i.modrm_reg, 8);
    i = dec(M32, "c5 fc 58 c1");
    assert_true(i.vex);
    i = dec(M32, "c5 46 00");                           /* lds eax, [esi+0] */
    assert_false(i.vex);
    assert_int_equal(i.opcode, 0xc5);
    expect_mem(&i, 6, NONE, 1, 0);
    i = dec(M16, "62 06 34 12");                        /* bound ax, [0x1234] */
    assert_false(i.vex);
    assert_int_equal(i.opcode, 0x62);

    i = dec(M64, "62 f1 7c 48 58 40 01");               /* vaddps zmm0, zmm0, [rax+0x40] */
    assert_true(i.vex);
    assert_int_equal(i.map, 1);
    assert_int_equal(i.opcode, 0x58);
    expect_mem(&i, 0, NONE, 1, 1);                      /* disp8 as encoded, before scaling */
    i = dec(M64, "62 f3 75 48 25 c2 ff");               /* vpternlogd */
    assert_int_equal(i.map, 3);
    assert_int_equal(i.imm, 0xff);
    i = dec(M64, "62 f5 7c 48 58 c1");                  /* vaddph: map 5 */
    assert_int_equal(i.map, 5);
    i = dec(M64, "62 d2 7d 41 90 14 88");               /* vpgatherdd zmm2{k1}, [r8+zmm1*4] */
    assert_int_equal(i.map, 2);
    assert_int_equal(i.base, 8);
    assert_int_equal(i.scale, 4);
}

static void test_fields_3dnow(void **state)
{
    struct x86_insn i = dec(M32, "0f 0f 4c 24 08 9e");  /* pfadd mm1, [esp+8] */

    assert_int_equal(i.map, 1);
    assert_int_equal(i.opcode, 0x0f);
    assert_int_equal(i.imm, 0x9e);
    assert_int_equal(i.imm_size, 1);
    assert_int_equal(i.modrm_reg, 1);
    expect_mem(&i, 4, NONE, 1, 8);
    i = dec(M64, "0f 3a 0f c1 08");                     /* palignr */
    assert_int_equal(i.map, 3);
    assert_int_equal(i.opcode, 0x0f);
    assert_int_equal(i.imm, 8);
    i = dec(M64, "66 0f 38 00 c1");                     /* pshufb */
    assert_int_equal(i.map, 2);
    assert_int_equal(i.opcode, 0);
    assert_int_equal(i.imm_size, 0);
}

/* --- properties on random bytes -------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/*
 * Whatever the bytes: no read past avail (ASan), a result of 0, -EAGAIN or -EINVAL; a length of
 * 1..15 within avail; the same decode from exactly that many bytes; -EAGAIN below it.
 */
static void test_random_bytes(void **state)
{
    static const uint8_t interesting[] = { 0x0f, 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x48, 0x41,
                                           0xc4, 0xc5, 0x62, 0x8f, 0x38, 0x3a, 0x04, 0x05,
                                           0x24, 0x25, 0x44, 0x84 };
    unsigned int ok = 0;

    for (unsigned int iter = 0; iter < 60000; iter++) {
        uint8_t b[16];
        struct x86_insn a, t;
        enum x86_cpu_mode mode = (enum x86_cpu_mode)(iter % 3);
        size_t avail = rng() % 17;
        int rc;

        for (size_t k = 0; k < sizeof(b); k++)
            b[k] = rng() & 1 ? interesting[rng() % sizeof(interesting)] : (uint8_t)rng();
        rc = decode_exact(b, avail, mode, &a);
        assert_true(rc == 0 || rc == -EAGAIN || rc == -EINVAL);
        if (rc == -EAGAIN)
            assert_true(avail < X86_MAX_INSN_LEN);
        if (rc)
            continue;
        ok++;
        assert_true(a.len >= 1 && a.len <= X86_MAX_INSN_LEN && a.len <= avail);
        assert_true(a.imm_size <= 8 && a.op_size >= 1 && a.op_size <= 8);
        assert_int_equal(decode_exact(b, a.len, mode, &t), 0);
        assert_true(same_insn(&a, &t));
        assert_int_equal(decode_exact(b, a.len - 1, mode, &t), -EAGAIN);
    }
    assert_true(ok > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objdump_table),
        cmocka_unit_test(test_hand_table),
        cmocka_unit_test(test_invalid_truncated),
        cmocka_unit_test(test_fields_mov),
        cmocka_unit_test(test_fields_movzx),
        cmocka_unit_test(test_fields_moffs),
        cmocka_unit_test(test_fields_addressing32),
        cmocka_unit_test(test_fields_addressing64),
        cmocka_unit_test(test_fields_addressing16),
        cmocka_unit_test(test_fields_immediates),
        cmocka_unit_test(test_fields_system),
        cmocka_unit_test(test_fields_prefixes),
        cmocka_unit_test(test_fields_vex),
        cmocka_unit_test(test_fields_3dnow),
        cmocka_unit_test(test_random_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
