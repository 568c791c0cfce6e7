/*
 * A synthetic Linux bzImage (protocol 2.15, relocatable, 64-bit entry) for unit tests of the
 * direct-boot code, and a stand-in for firmware/entry32.S (40 bytes of NOPs, then the parameter
 * block). Include once per test program.
 */
#ifndef KEEL_FAKE_BZIMAGE_H
#define KEEL_FAKE_BZIMAGE_H

#include <stdint.h>
#include <string.h>

__asm__(".section .rodata\n.globl fw_entry32_start, fw_entry32_params, fw_entry32_end\n"
        "fw_entry32_start: .fill 40, 1, 0x90\nfw_entry32_params: .fill 20, 1, 0\n"
        "fw_entry32_end:\n.previous");

#define FAKE_SECTS 4
#define FAKE_PM_OFF ((FAKE_SECTS + 1) * 512)
#define FAKE_PM_SIZE 0x2000
#define FAKE_PREF 0x1000000ull
#define FAKE_INIT_SIZE 0x400000u
#define FAKE_ENTRY_PARAMS 40            /* offset of the parameter block in the blob */

static uint8_t fake_img[FAKE_PM_OFF + FAKE_PM_SIZE];

static void fake_put16(size_t off, uint16_t v)
{
    fake_img[off] = (uint8_t)v;
    fake_img[off + 1] = (uint8_t)(v >> 8);
}

static void fake_put32(size_t off, uint32_t v)
{
    fake_put16(off, (uint16_t)v);
    fake_put16(off + 2, (uint16_t)(v >> 16));
}

static void fake_make_bzimage(void)
{
    memset(fake_img, 0, sizeof(fake_img));
    fake_img[0x1f1] = FAKE_SECTS;
    fake_put32(0x1f4, FAKE_PM_SIZE / 16);
    fake_put16(0x1fe, 0xaa55);
    fake_img[0x200] = 0xeb;
    fake_img[0x201] = 0x26c - 0x202;
    memcpy(fake_img + 0x202, "HdrS", 4);
    fake_put16(0x206, 0x020f);
    fake_img[0x211] = 0x01;
    fake_put32(0x214, 0x100000);
    fake_put32(0x22c, 0x7fffffff);
    fake_put32(0x230, 0x200000);
    fake_img[0x234] = 1;
    fake_put16(0x236, 0x0001);
    fake_put32(0x238, 2047);
    fake_put32(0x258, (uint32_t)FAKE_PREF);
    fake_put32(0x260, FAKE_INIT_SIZE);
    for (size_t i = FAKE_PM_OFF; i < sizeof(fake_img); i++)
        fake_img[i] = (uint8_t)(i * 5 + 1);
}

#endif
