/* Multiboot (v1) kernels: header search, load plans (ELF32 and address fields), boot info. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shim.h"

#include "../../firmware/multiboot.c"

static uint8_t img[16384];

static void put32(size_t off, uint32_t v)
{
    memcpy(img + off, &v, 4);
}

static void header(size_t off, uint32_t flags)
{
    put32(off, FW_MB1_MAGIC);
    put32(off + 4, flags);
    put32(off + 8, -(FW_MB1_MAGIC + flags));
}

/* An ELF32 executable: PT_LOAD segments (paddr, vaddr, offset, filesz, memsz), entry. */
static void elf(uint32_t entry, unsigned int n, const uint32_t (*segs)[5])
{
    struct elf32_ehdr eh = { .type = ET_EXEC, .machine = EM_386, .version = 1, .entry = entry,
                             .phoff = 52, .ehsize = 52, .phentsize = 32, .phnum = (uint16_t)n };

    memcpy(eh.ident, "\177ELF\1\1\1", 7);
    memcpy(img, &eh, sizeof(eh));
    for (unsigned int i = 0; i < n; i++) {
        struct elf32_phdr ph = { PT_LOAD, segs[i][2], segs[i][1], segs[i][0], segs[i][3], segs[i][4], 5, 4096 };

        memcpy(img + 52 + 32 * i, &ph, sizeof(ph));
    }
}

static int setup(void **state)
{
    memset(img, 0, sizeof(img));
    return 0;
}

static void test_no_header(void **state)
{
    struct fw_mb1_kernel k;

    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -ENOENT);
    header(8192, 0);                                /* beyond the first 8 KiB */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -ENOENT);
    header(0x102, 0);                               /* not 4-byte aligned */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -ENOENT);
    put32(0x200, FW_MB1_MAGIC);                     /* bad checksum */
    put32(0x204, 3);
    put32(0x208, 0);
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -ENOENT);
}

static void test_elf_plan(void **state)
{
    static const uint32_t segs[2][5] = {
        /* paddr,   vaddr,       offset, filesz, memsz */
        { 0x100000, 0xc0100000, 0x1000, 0x800, 0x800 },
        { 0x200000, 0xc0200000, 0x2000, 0x100, 0x3000 },
    };
    struct fw_mb1_kernel k;

    elf(0xc0100010, 2, segs);
    header(0x1000, FW_MB1_PAGE_ALIGN | FW_MB1_MEMORY_INFO);
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), 0);
    assert_int_equal(k.nr_segs, 2);
    assert_int_equal(k.entry, 0x100010);            /* the virtual entry, made physical */
    assert_int_equal(k.lowest, 0x100000);
    assert_int_equal(k.highest, 0x203000);
    assert_int_equal(k.segs[1].paddr, 0x200000);
    assert_int_equal(k.segs[1].offset, 0x2000);
    assert_int_equal(k.segs[1].filesz, 0x100);
    assert_int_equal(k.segs[1].memsz, 0x3000);
}

static void test_elf_rejects(void **state)
{
    static const uint32_t low[1][5] = { { 0x8000, 0x8000, 0x1000, 0x100, 0x100 } };
    static const uint32_t big[1][5] = { { 0x100000, 0x100000, 0x1000, 0x10000, 0x100 } };
    static const uint32_t past[1][5] = { { 0x100000, 0x100000, 0x3f00, 0x200, 0x200 } };
    static const uint32_t ovl[2][5] = { { 0x100000, 0x100000, 0x1000, 0x100, 0x2000 },
                                        { 0x101000, 0x101000, 0x1000, 0x100, 0x100 } };
    static const uint32_t ok[1][5] = { { 0x100000, 0x100000, 0x1000, 0x100, 0x100 } };
    struct fw_mb1_kernel k;

    elf(0x8000, 1, low);                            /* below 1 MiB */
    header(0x1000, 0);
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
    elf(0x100000, 1, big);                          /* filesz > memsz */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
    elf(0x100000, 1, past);                         /* file bytes beyond the image */
    assert_int_equal(fw_mb1_parse(img, 0x4000, &k), -EINVAL);
    elf(0x100000, 2, ovl);                          /* overlapping segments */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
    elf(0x900000, 1, ok);                           /* entry outside what is loaded */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
    elf(0x100000, 1, ok);
    img[4] = 2;                                     /* ELF64 */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
    img[4] = 1;
    header(0x1000, 1u << 5);                        /* an unknown required flag */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
    header(0x1000, FW_MB1_VIDEO_MODE);              /* a wish, not a requirement */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), 0);
    put32(52 + 4, 0xfffffff0);                      /* phoff-relative garbage: offset huge */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
}

static void test_aout_plan(void **state)
{
    struct fw_mb1_kernel k;

    /* The header at file offset 0x40 says it lives at 0x100040: the file loads at 0x100000. */
    header(0x40, FW_MB1_AOUT_KLUDGE);
    put32(0x4c, 0x100040);                          /* header_addr */
    put32(0x50, 0x100000);                          /* load_addr */
    put32(0x54, 0x102000);                          /* load_end_addr */
    put32(0x58, 0x105000);                          /* bss_end_addr */
    put32(0x5c, 0x100100);                          /* entry_addr */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), 0);
    assert_int_equal(k.nr_segs, 1);
    assert_int_equal(k.segs[0].offset, 0);
    assert_int_equal(k.segs[0].filesz, 0x2000);
    assert_int_equal(k.segs[0].memsz, 0x5000);
    assert_int_equal(k.entry, 0x100100);
    put32(0x54, 0);                                 /* load_end 0: the rest of the file */
    put32(0x58, 0);
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), 0);
    assert_int_equal(k.segs[0].filesz, sizeof(img));
    put32(0x4c, 0x100100);                          /* header_addr says more than its offset */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
    put32(0x4c, 0x100040);
    put32(0x54, 0x102000);
    put32(0x58, 0x101000);                          /* bss ends before the load does */
    assert_int_equal(fw_mb1_parse(img, sizeof(img), &k), -EINVAL);
}

static const struct fw_e820_entry map[] = {
    { 0, 0x9fc00, FW_E820_RAM },
    { 0x9fc00, 0x400, FW_E820_RESERVED },
    { 0xe0000, 0x20000, FW_E820_RESERVED },
    { 0x100000, 0xff00000, FW_E820_RAM },           /* to 256 MiB */
};

static void test_info(void **state)
{
    static uint8_t buf[1024];
    static const struct fw_mb1_mod_desc mods[] = { { 0x2000000, 0x2001000, "initrd x" } };
    long n = fw_mb1_build_info(buf, sizeof(buf), 0x9000, map, 4, "console=ttyS0", mods, 1);
    struct fw_mb1_info mi;
    struct fw_mb1_mmap_entry mm[4];
    struct fw_mb1_module mo;

    assert_true(n > 0);
    memcpy(&mi, buf, sizeof(mi));
    assert_int_equal(mi.flags, FW_MB1_INFO_MEMORY | FW_MB1_INFO_CMDLINE | FW_MB1_INFO_MODS |
                     FW_MB1_INFO_MMAP | FW_MB1_INFO_LOADER_NAME);
    assert_int_equal(mi.mem_lower, 639);
    assert_int_equal(mi.mem_upper, 255 * 1024);
    assert_int_equal(mi.mmap_length, 4 * 24);
    memcpy(mm, buf + (mi.mmap_addr - 0x9000), sizeof(mm));
    assert_int_equal(mm[0].size, 20);
    assert_true(mm[3].addr == 0x100000 && mm[3].len == 0xff00000 && mm[3].type == 1);
    assert_string_equal((char *)buf + (mi.cmdline - 0x9000), "console=ttyS0");
    assert_string_equal((char *)buf + (mi.boot_loader_name - 0x9000), "Keel");
    assert_int_equal(mi.mods_count, 1);
    memcpy(&mo, buf + (mi.mods_addr - 0x9000), sizeof(mo));
    assert_int_equal(mo.mod_start, 0x2000000);
    assert_int_equal(mo.mod_end, 0x2001000);
    assert_string_equal((char *)buf + (mo.string - 0x9000), "initrd x");
    assert_true((size_t)n <= sizeof(buf));
    for (size_t len = 0; len < (size_t)n; len += 7)
        assert_int_equal(fw_mb1_build_info(buf, len, 0x9000, map, 4, "console=ttyS0", mods, 1), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_header, setup),
        cmocka_unit_test_setup(test_elf_plan, setup),
        cmocka_unit_test_setup(test_elf_rejects, setup),
        cmocka_unit_test_setup(test_aout_plan, setup),
        cmocka_unit_test_setup(test_info, setup),
    };

    return cmocka_run_group_tests_name("fw_multiboot", tests, NULL, NULL);
}
