/* Unit tests for hv/vdev/fwcfg.c: items by port and DMA, the file directory, faults, save/load. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/vdev/fwcfg.c"

/* Fake guest RAM: [GBASE, GBASE + GSIZE); anything else fails like an unmapped gpa. */
#define GBASE 0x100000ull
#define GSIZE (FWCFG_DMA_ZERO_MAX + 0x20000)
#define DESC (GBASE + 0x100)
#define BUF (GBASE + 0x1000)
#define ARENA_SIZE 4096

static uint8_t guest[GSIZE];
static uint8_t arena[ARENA_SIZE];
static unsigned int gpa_calls;
static size_t max_copy;

static bool gpa_ok(uint64_t gpa, size_t len)
{
    return gpa >= GBASE && gpa - GBASE <= GSIZE && len <= GSIZE - (gpa - GBASE);
}

static int fake_read_gpa(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    gpa_calls++;
    max_copy = MAX(max_copy, len);
    if (!gpa_ok(gpa, len))
        return -EFAULT;
    memcpy(buf, guest + (gpa - GBASE), len);
    return 0;
}

static int fake_write_gpa(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    gpa_calls++;
    max_copy = MAX(max_copy, len);
    if (!gpa_ok(gpa, len))
        return -EFAULT;
    memcpy(guest + (gpa - GBASE), buf, len);
    return 0;
}

static const struct fwcfg_env fake_env = {
    { NULL, NULL, NULL }, fake_read_gpa, fake_write_gpa,
};

static void setup(struct fwcfg *fw)
{
    memset(guest, 0, sizeof(guest));
    gpa_calls = 0;
    max_copy = 0;
    fwcfg_init(fw, &fake_env, arena, sizeof(arena));
}

static uint8_t *gmem(uint64_t gpa)
{
    return guest + (gpa - GBASE);
}

static void put_be(uint8_t *p, uint64_t v, unsigned int width)
{
    unsigned int i;

    for (i = 0; i < width; i++)
        p[i] = v >> (8 * (width - 1 - i));
}

static uint64_t get_be(const uint8_t *p, unsigned int width)
{
    uint64_t v = 0;
    unsigned int i;

    for (i = 0; i < width; i++)
        v = v << 8 | p[i];
    return v;
}

/* Starts a DMA operation at desc the way a guest driver does: both halves as big-endian. */
static void kick(struct fwcfg *fw, uint64_t desc)
{
    fwcfg_io_write(fw, FWCFG_PORT_DMA_HI, 4, __builtin_bswap32(desc >> 32));
    fwcfg_io_write(fw, FWCFG_PORT_DMA_LO, 4, __builtin_bswap32((uint32_t)desc));
}

/* Writes a control structure at DESC, runs it and returns the control word written back. */
static uint32_t dma(struct fwcfg *fw, uint32_t control, uint32_t length, uint64_t addr)
{
    put_be(gmem(DESC), control, 4);
    put_be(gmem(DESC) + 4, length, 4);
    put_be(gmem(DESC) + 8, addr, 8);
    kick(fw, DESC);
    assert_int_equal(fw->s.dma_addr, 0);
    return get_be(gmem(DESC), 4);
}

static uint32_t sel_read(uint16_t key)
{
    return (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
}

static void port_select(struct fwcfg *fw, uint16_t key)
{
    fwcfg_io_write(fw, FWCFG_PORT_SEL, 2, key);
}

static void port_read(struct fwcfg *fw, uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = fwcfg_io_read(fw, FWCFG_PORT_DATA, 1);
}

static const char kernel_data[] = "0123456789abcdefghijklmnopqrstuvwxyz";   /* 36 bytes */

static void add_three(struct fwcfg *fw)
{
    assert_int_equal(fwcfg_add_file(fw, "etc/z", "zz", 2), 0);
    assert_int_equal(fwcfg_add_file(fw, "opt/kernel", kernel_data, 36), 0);
    assert_int_equal(fwcfg_add_file(fw, "bootorder", "/pci@i0cf8/ide@1,1\n", 19), 0);
}

static void test_signature_and_id(void **state)
{
    struct fwcfg fw;
    uint8_t b[6];

    setup(&fw);
    port_select(&fw, FW_CFG_SIGNATURE);
    port_read(&fw, b, 6);
    assert_memory_equal(b, "QEMU\0\0", 6);
    port_select(&fw, FW_CFG_ID);
    port_read(&fw, b, 5);
    assert_memory_equal(b, "\3\0\0\0\0", 5);
    /* Selecting rewinds. */
    port_select(&fw, FW_CFG_SIGNATURE);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 'Q');
    /* The DMA register reads "QEMU CFG" in port order. */
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DMA_HI, 4), 0x554d4551u);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DMA_LO, 4), 0x47464320u);
    /* Wrong ports and sizes. */
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 2), 0xffffffffu);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_SEL, 2), 0xffffffffu);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DMA_HI, 1), 0xffffffffu);
    assert_int_equal(fwcfg_io_read(&fw, 0x512, 1), 0xffffffffu);
    fwcfg_io_write(&fw, FWCFG_PORT_SEL, 1, FW_CFG_ID);
    fwcfg_io_write(&fw, FWCFG_PORT_SEL, 4, FW_CFG_ID);
    fwcfg_io_write(&fw, FWCFG_PORT_DATA, 1, 0);         /* data writes are ignored */
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 'E');
    fwcfg_io_write(&fw, FWCFG_PORT_DMA_HI, 2, 0x1234);
    fwcfg_io_write(&fw, FWCFG_PORT_DMA_LO, 1, 0x12);
    assert_int_equal(fw.s.dma_addr, 0);
    assert_int_equal(gpa_calls, 0);
    /* A selector that names nothing reads zeros. */
    port_select(&fw, 0x0002);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 0);
    port_select(&fw, 0x8000);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 0);
}

static void test_numeric_items(void **state)
{
    struct fwcfg fw;
    uint8_t b[9];

    setup(&fw);
    port_select(&fw, FW_CFG_NB_CPUS);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 0);      /* not set yet */
    assert_int_equal(fwcfg_set_u64(&fw, FW_CFG_RAM_SIZE, 0x0123456789abcdefull), 0);
    assert_int_equal(fwcfg_set_u16(&fw, FW_CFG_NB_CPUS, 0x0102), 0);
    assert_int_equal(fwcfg_set_u16(&fw, FW_CFG_MAX_CPUS, 288), 0);
    assert_int_equal(fwcfg_set_u16(&fw, FW_CFG_RAM_SIZE, 1), -EINVAL);
    assert_int_equal(fwcfg_set_u64(&fw, FW_CFG_NB_CPUS, 1), -EINVAL);
    assert_int_equal(fwcfg_set_u64(&fw, FW_CFG_ID, 7), -EINVAL);
    assert_int_equal(fwcfg_set_u16(&fw, FW_CFG_FILE_FIRST, 7), -EINVAL);
    port_select(&fw, FW_CFG_RAM_SIZE);
    port_read(&fw, b, 9);
    assert_memory_equal(b, "\xef\xcd\xab\x89\x67\x45\x23\x01\0", 9);
    port_select(&fw, FW_CFG_NB_CPUS);
    port_read(&fw, b, 3);
    assert_memory_equal(b, "\x02\x01\0", 3);
    assert_int_equal(dma(&fw, sel_read(FW_CFG_MAX_CPUS), 2, BUF), 0);
    assert_memory_equal(gmem(BUF), "\x20\x01", 2);
    /* Setting again replaces the value. */
    assert_int_equal(fwcfg_set_u16(&fw, FW_CFG_MAX_CPUS, 4), 0);
    assert_int_equal(dma(&fw, sel_read(FW_CFG_MAX_CPUS), 2, BUF), 0);
    assert_memory_equal(gmem(BUF), "\x04\x00", 2);
}

static void check_dir_entry(const uint8_t *e, uint32_t size, uint16_t sel, const char *name)
{
    char padded[FWCFG_NAME_LEN] = { 0 };

    memcpy(padded, name, strlen(name));
    assert_int_equal(get_be(e, 4), size);
    assert_int_equal(get_be(e + 4, 2), sel);
    assert_int_equal(get_be(e + 6, 2), 0);
    assert_memory_equal(e + 8, padded, FWCFG_NAME_LEN);
}

static void test_file_dir(void **state)
{
    struct fwcfg fw;
    uint8_t dir[4 + 3 * 64 + 1], b[20];

    setup(&fw);
    port_select(&fw, FW_CFG_FILE_DIR);
    port_read(&fw, b, 5);
    assert_memory_equal(b, "\0\0\0\0\0", 5);                   /* empty: count 0 only */
    add_three(&fw);
    port_select(&fw, FW_CFG_FILE_DIR);
    port_read(&fw, dir, sizeof(dir));
    assert_int_equal(get_be(dir, 4), 3);
    check_dir_entry(dir + 4, 19, 0x20, "bootorder");
    check_dir_entry(dir + 4 + 64, 2, 0x21, "etc/z");
    check_dir_entry(dir + 4 + 128, 36, 0x22, "opt/kernel");
    assert_int_equal(dir[sizeof(dir) - 1], 0);
    /* The selectors in the directory name the files' contents. */
    port_select(&fw, 0x20);
    port_read(&fw, b, 20);
    assert_memory_equal(b, "/pci@i0cf8/ide@1,1\n\0", 20);
    port_select(&fw, 0x21);
    port_read(&fw, b, 3);
    assert_memory_equal(b, "zz\0", 3);
    port_select(&fw, 0x23);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 0);
    /* DMA sees the same directory. */
    assert_int_equal(dma(&fw, sel_read(FW_CFG_FILE_DIR), 4 + 3 * 64, BUF), 0);
    assert_memory_equal(gmem(BUF), dir, 4 + 3 * 64);
}

static void test_dma_read(void **state)
{
    struct fwcfg fw;

    setup(&fw);
    add_three(&fw);
    /* Select and read part of the file, then carry on from where it stopped. */
    assert_int_equal(dma(&fw, sel_read(0x22), 10, BUF), 0);
    assert_memory_equal(gmem(BUF), kernel_data, 10);
    assert_int_equal(dma(&fw, FW_CFG_DMA_CTL_SKIP, 6, 0), 0);
    assert_int_equal(fw.s.offset, 16);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 'g');
    assert_int_equal(dma(&fw, FW_CFG_DMA_CTL_READ, 4, BUF + 100), 0);
    assert_memory_equal(gmem(BUF + 100), "hijk", 4);
    /* Past the end: the rest of the file, then zeros; the offset stops at the end. */
    memset(gmem(BUF), 0xaa, 64);
    assert_int_equal(dma(&fw, FW_CFG_DMA_CTL_READ, 40, BUF), 0);
    assert_memory_equal(gmem(BUF), kernel_data + 21, 15);
    assert_int_equal(gmem(BUF)[15], 0);
    assert_int_equal(gmem(BUF)[39], 0);
    assert_int_equal(gmem(BUF)[40], 0xaa);
    assert_int_equal(fw.s.offset, 36);
    assert_int_equal(dma(&fw, FW_CFG_DMA_CTL_SKIP, 100, 0), 0);
    assert_int_equal(fw.s.offset, 36);
}

static void test_dma_select(void **state)
{
    struct fwcfg fw;

    setup(&fw);
    add_three(&fw);
    /* Zero length: only the select happens, no guest memory besides the descriptor. */
    assert_int_equal(dma(&fw, sel_read(0x20), 0, 0), 0);
    assert_int_equal(fw.s.selector, 0x20);
    assert_int_equal(fw.s.offset, 0);
    assert_int_equal(gpa_calls, 2);
    /* Select with no operation; select-and-skip. */
    assert_int_equal(dma(&fw, 0x21u << 16 | FW_CFG_DMA_CTL_SELECT, 5, BUF), 0);
    assert_int_equal(fw.s.selector, 0x21);
    assert_int_equal(fw.s.offset, 0);
    assert_int_equal(dma(&fw, 0x22u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 35, 0), 0);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 'z');
    /* A missing item reads as zeros. */
    memset(gmem(BUF), 0xaa, 8);
    assert_int_equal(dma(&fw, sel_read(0x30), 8, BUF), 0);
    assert_memory_equal(gmem(BUF), "\0\0\0\0\0\0\0\0", 8);
}

static void test_dma_bad_guest_address(void **state)
{
    struct fwcfg fw;

    setup(&fw);
    add_three(&fw);
    /* Destination outside RAM, straddling its end, and wrapping past 2^64. */
    assert_int_equal(dma(&fw, sel_read(0x22), 4, 0x1000), FW_CFG_DMA_CTL_ERROR);
    assert_int_equal(dma(&fw, sel_read(0x22), 8, GBASE + GSIZE - 4), FW_CFG_DMA_CTL_ERROR);
    assert_int_equal(dma(&fw, sel_read(0x22), 8, UINT64_MAX - 3), FW_CFG_DMA_CTL_ERROR);
    assert_int_equal(dma(&fw, sel_read(0x22), 40, UINT64_MAX - 37), FW_CFG_DMA_CTL_ERROR);
    /* Zero fill that leaves RAM fails too. */
    assert_int_equal(dma(&fw, sel_read(0x21), 10, GBASE + GSIZE - 4), FW_CFG_DMA_CTL_ERROR);
    assert_int_equal(gmem(GBASE + GSIZE - 4)[0], 'z');
    /* A descriptor outside RAM: nothing to report to, the latch is still consumed. */
    gpa_calls = 0;
    kick(&fw, 0x2000);
    assert_int_equal(fw.s.dma_addr, 0);
    assert_int_equal(gpa_calls, 2);
    kick(&fw, UINT64_MAX - 7);
    assert_int_equal(fw.s.dma_addr, 0);
    assert_int_equal(gpa_calls, 2);
    /* A descriptor whose last bytes are outside RAM: error written to the control word. */
    put_be(gmem(GBASE + GSIZE - 8), sel_read(0x22), 4);
    kick(&fw, GBASE + GSIZE - 8);
    assert_int_equal(get_be(gmem(GBASE + GSIZE - 8), 4), FW_CFG_DMA_CTL_ERROR);
    /* The device still works. */
    assert_int_equal(dma(&fw, sel_read(0x21), 2, BUF), 0);
    assert_memory_equal(gmem(BUF), "zz", 2);
}

static void test_dma_oversized(void **state)
{
    static uint8_t big[ARENA_SIZE];
    struct fwcfg fw;
    uint32_t small = 3;

    setup(&fw);
    add_three(&fw);
    /* A 4 GiB read: the file lands, the zero fill is refused, no copy exceeds a chunk. */
    memset(gmem(BUF), 0xaa, 64);
    assert_int_equal(dma(&fw, sel_read(0x21), UINT32_MAX, BUF), FW_CFG_DMA_CTL_ERROR);
    assert_memory_equal(gmem(BUF), "zz\xaa", 3);
    assert_int_equal(fw.s.offset, 2);
    /* The largest zero fill allowed goes through in chunks. */
    gpa_calls = 0;
    memset(gmem(BUF), 0xaa, FWCFG_DMA_ZERO_MAX + 4);
    assert_int_equal(dma(&fw, sel_read(0x21), FWCFG_DMA_ZERO_MAX + 2, BUF), 0);
    assert_memory_equal(gmem(BUF), "zz\0", 3);
    assert_int_equal(gmem(BUF)[FWCFG_DMA_ZERO_MAX + 1], 0);
    assert_int_equal(gmem(BUF)[FWCFG_DMA_ZERO_MAX + 2], 0xaa);
    assert_int_equal(gpa_calls, 2 + 1 + FWCFG_DMA_ZERO_MAX / FWCFG_DMA_CHUNK);
    assert_int_equal(max_copy, FWCFG_DMA_CHUNK);
    assert_int_equal(dma(&fw, sel_read(0x21), FWCFG_DMA_ZERO_MAX + 3, BUF),
                     FW_CFG_DMA_CTL_ERROR);
    /* Skipping any length is free: nothing is copied. */
    gpa_calls = 0;
    assert_int_equal(dma(&fw, 0x22u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP,
                         UINT32_MAX, 0), 0);
    assert_int_equal(fw.s.offset, 36);
    assert_int_equal(gpa_calls, 2);
    /* A file larger than a chunk is copied in chunks. */
    setup(&fw);
    memset(big, 0x5a, sizeof(big));
    assert_int_equal(fwcfg_add_file(&fw, "big", big, ARENA_SIZE - small), 0);
    assert_int_equal(dma(&fw, sel_read(0x20), ARENA_SIZE, BUF), 0);
    assert_int_equal(gmem(BUF)[ARENA_SIZE - small - 1], 0x5a);
    assert_int_equal(gmem(BUF)[ARENA_SIZE - small], 0);
    assert_true(max_copy <= FWCFG_DMA_CHUNK);
}

static void test_write_unsupported(void **state)
{
    struct fwcfg fw;

    setup(&fw);
    add_three(&fw);
    memcpy(gmem(BUF), "xx", 2);
    assert_int_equal(dma(&fw, 0x21u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 2, BUF),
                     FW_CFG_DMA_CTL_ERROR);
    assert_memory_equal(arena, "zz", 2);
    /* Read wins over write when both are set. */
    assert_int_equal(dma(&fw, sel_read(0x21) | FW_CFG_DMA_CTL_WRITE, 2, BUF), 0);
    assert_memory_equal(gmem(BUF), "zz", 2);
    /* A write channel selector names nothing: reads are zeros, writes fail. */
    port_select(&fw, FW_CFG_WRITE_CHANNEL | 0x21);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 0);
    assert_int_equal(dma(&fw, sel_read(FW_CFG_WRITE_CHANNEL | 0x21), 2, BUF), 0);
    assert_memory_equal(gmem(BUF), "\0\0", 2);
    assert_int_equal(dma(&fw, (FW_CFG_WRITE_CHANNEL | 0x21u) << 16 | FW_CFG_DMA_CTL_SELECT |
                              FW_CFG_DMA_CTL_WRITE, 2, BUF), FW_CFG_DMA_CTL_ERROR);
    assert_int_equal(dma(&fw, FW_CFG_DMA_CTL_WRITE, 0, BUF), 0);     /* nothing to write */
    assert_memory_equal(arena, "zz", 2);
}

static void test_add_file_errors(void **state)
{
    struct fwcfg fw, before;
    char name[FWCFG_NAME_LEN + 1];
    static uint8_t big[ARENA_SIZE + 1];

    setup(&fw);
    memset(name, 'n', sizeof(name));
    name[FWCFG_NAME_LEN] = 0;
    assert_int_equal(fwcfg_add_file(&fw, name, "x", 1), -EINVAL);
    name[FWCFG_NAME_LEN - 1] = 0;
    assert_int_equal(fwcfg_add_file(&fw, name, "x", 1), 0);     /* 55 bytes fits */
    assert_int_equal(fwcfg_add_file(&fw, "", "x", 1), -EINVAL);
    assert_int_equal(fwcfg_add_file(&fw, "null", NULL, 1), -EINVAL);
    assert_int_equal(fwcfg_add_file(&fw, "empty", NULL, 0), 0);
    assert_int_equal(fwcfg_add_file(&fw, "a", "y", 1), 0);
    before = fw;
    assert_int_equal(fwcfg_add_file(&fw, "a", "z", 1), -EEXIST);
    assert_int_equal(fwcfg_add_file(&fw, "huge", big, ARENA_SIZE - 1), -ENOSPC);
    assert_memory_equal(&fw, &before, sizeof(fw));
    assert_int_equal(fwcfg_add_file(&fw, "fill", big, ARENA_SIZE - 2), 0);
    assert_int_equal(fwcfg_add_file(&fw, "more", "m", 1), -ENOSPC);
    assert_int_equal(fwcfg_add_file(&fw, "zero", "m", 0), 0);
    /* A device without an arena only takes empty files. */
    fwcfg_init(&fw, &fake_env, NULL, 100);
    assert_int_equal(fwcfg_add_file(&fw, "a", "x", 1), -ENOSPC);
    assert_int_equal(fwcfg_add_file(&fw, "a", NULL, 0), 0);
}

static void test_dir_full(void **state)
{
    struct fwcfg fw;
    unsigned int i;

    setup(&fw);
    assert_int_equal(fwcfg_add_file(&fw, "zero", "m", 1), 0);
    /* The directory holds 64 files at most, in name order whatever the order they came in. */
    for (i = 1; i < FWCFG_MAX_FILES; i++) {
        char n[8] = { 'f', (char)('9' - i / 10), (char)('9' - i % 10), 0 };

        assert_int_equal(fwcfg_add_file(&fw, n, NULL, 0), 0);
    }
    assert_int_equal(fwcfg_add_file(&fw, "last", NULL, 0), -ENOSPC);
    assert_int_equal(fw.nr_files, FWCFG_MAX_FILES);
    assert_int_equal(dma(&fw, sel_read(FW_CFG_FILE_DIR), FWCFG_DIR_SIZE, BUF), 0);
    assert_int_equal(get_be(gmem(BUF), 4), FWCFG_MAX_FILES);
    for (i = 1; i < FWCFG_MAX_FILES; i++)
        assert_true(strcmp((char *)gmem(BUF) + 4 + 64 * (i - 1) + 8,
                           (char *)gmem(BUF) + 4 + 64 * i + 8) < 0);
    assert_int_equal(get_be(gmem(BUF) + 4 + 64 * (FWCFG_MAX_FILES - 1) + 4, 2),
                     FW_CFG_FILE_FIRST + FWCFG_MAX_FILES - 1);
    assert_string_equal((char *)gmem(BUF) + 4 + 64 * (FWCFG_MAX_FILES - 1) + 8, "zero");
    port_select(&fw, FW_CFG_FILE_FIRST + FWCFG_MAX_FILES - 1);
    assert_int_equal(fwcfg_io_read(&fw, FWCFG_PORT_DATA, 1), 'm');
}

static void test_save_load(void **state)
{
    struct fwcfg a, b;
    uint8_t buf[FWCFG_SAVE_SIZE];

    setup(&a);
    add_three(&a);
    port_select(&a, 0x22);
    port_read(&a, buf, 5);
    fwcfg_io_write(&a, FWCFG_PORT_DMA_HI, 4, 0);
    assert_int_equal(fwcfg_save(&a, buf, sizeof(buf) - 1), 0);
    assert_int_equal(fwcfg_save(&a, buf, sizeof(buf)), sizeof(buf));
    fwcfg_init(&b, &fake_env, arena + 0, sizeof(arena));
    /* Before the toolstack publishes the files again the offset names nothing. */
    assert_int_equal(fwcfg_load(&b, buf, sizeof(buf)), -EINVAL);
    add_three(&b);
    assert_int_equal(fwcfg_load(&b, buf, sizeof(buf) + 1), -EINVAL);
    assert_int_equal(fwcfg_load(&b, buf, sizeof(buf)), 0);
    assert_memory_equal(&a.s, &b.s, sizeof(a.s));
    assert_int_equal(fwcfg_io_read(&b, FWCFG_PORT_DATA, 1), '5');
    /* The latched high half survives: the low half alone completes the address. */
    put_be(gmem(DESC), FW_CFG_DMA_CTL_READ, 4);
    put_be(gmem(DESC) + 4, 3, 4);
    put_be(gmem(DESC) + 8, BUF, 8);
    fwcfg_io_write(&b, FWCFG_PORT_DMA_LO, 4, __builtin_bswap32((uint32_t)DESC));
    assert_int_equal(get_be(gmem(DESC), 4), 0);
    assert_memory_equal(gmem(BUF), "678", 3);
    fwcfg_reset(&b);
    assert_int_equal(b.s.selector, 0);
    assert_int_equal(fwcfg_io_read(&b, FWCFG_PORT_DATA, 1), 'Q');
}

static void test_load_rejects(void **state)
{
#define ST(f) (8 + offsetof(struct fwcfg_state, f))
    static const struct { size_t off; uint8_t val; } bad[] = {
        { 0, 0 }, { 3, 0 }, { 4, 2 }, { 7, 1 },
        { ST(pad), 1 }, { ST(pad) + 1, 0x80 },
        { ST(dma_addr), 0x10 }, { ST(dma_addr) + 3, 0x80 },   /* a low half is never latched */
        { ST(offset), 37 }, { ST(offset) + 3, 1 },           /* past the end of opt/kernel */
        { ST(selector), 0x30 },                              /* no such item, offset not 0 */
        { ST(selector), 0x21 },                              /* etc/z is 2 bytes long */
    };
    struct fwcfg a, before;
    uint8_t buf[FWCFG_SAVE_SIZE], bad_buf[FWCFG_SAVE_SIZE];
    size_t i;

    setup(&a);
    add_three(&a);
    port_select(&a, 0x22);
    port_read(&a, buf, 5);
    fwcfg_io_write(&a, FWCFG_PORT_DMA_HI, 4, __builtin_bswap32(0x12));
    assert_int_equal(fwcfg_save(&a, buf, sizeof(buf)), sizeof(buf));
    port_select(&a, FW_CFG_ID);
    before = a;
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(bad_buf, buf, sizeof(buf));
        bad_buf[bad[i].off] = bad[i].val;
        assert_int_equal(fwcfg_load(&a, bad_buf, sizeof(bad_buf)), -EINVAL);
        assert_memory_equal(&a, &before, sizeof(a));
    }
    /* The offset may rest exactly at the end. */
    memcpy(bad_buf, buf, sizeof(buf));
    bad_buf[ST(offset)] = 36;
    assert_int_equal(fwcfg_load(&a, bad_buf, sizeof(bad_buf)), 0);
    assert_int_equal(fwcfg_io_read(&a, FWCFG_PORT_DATA, 1), 0);
#undef ST
}

static uint32_t rng_state = 4242;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* Addresses near the edges of guest RAM and of the address space, or anywhere in RAM. */
static uint64_t rnd_gpa(void)
{
    switch (rng() % 6) {
    case 0: return GBASE + GSIZE - rng() % 64;
    case 1: return GBASE - rng() % 64;
    case 2: return UINT64_MAX - rng() % 64;
    case 3: return (uint64_t)rng() << 32 | rng();
    default: return GBASE + rng() % GSIZE;
    }
}

static uint32_t rnd_len(void)
{
    switch (rng() % 5) {
    case 0: return UINT32_MAX - rng() % 4;
    case 1: return rng() % (2 * FWCFG_DMA_ZERO_MAX);
    default: return rng() % 300;
    }
}

static uint16_t rnd_key(void)
{
    static const uint16_t keys[] = {
        0, 1, 3, 5, 0xf, 0x19, 0x20, 0x21, 0x22, 0x23, 0x4020, 0x8000,
    };

    return rng() & 7 ? keys[rng() % ARRAY_SIZE(keys)] : (uint16_t)rng();
}

static void fuzz_dma(struct fwcfg *fw)
{
    uint64_t desc = rng() % 4 ? GBASE + rng() % (GSIZE - 16) : rnd_gpa();
    uint32_t control = (uint32_t)rnd_key() << 16 | (rng() & 0x1f);

    if (gpa_ok(desc, 16)) {
        put_be(gmem(desc), control, 4);
        put_be(gmem(desc) + 4, rnd_len(), 4);
        put_be(gmem(desc) + 8, rnd_gpa(), 8);
    }
    kick(fw, desc);
    if (gpa_ok(desc, 16))
        assert_true(get_be(gmem(desc), 4) <= FW_CFG_DMA_CTL_ERROR);
}

static void fuzz_port(struct fwcfg *fw)
{
    static const unsigned int sizes[] = { 1, 2, 4, 3, 0, 8 };
    uint16_t port = 0x50e + rng() % 14;
    unsigned int size = sizes[rng() % ARRAY_SIZE(sizes)];

    if (port == FWCFG_PORT_DMA_LO && size == 4)
        return;                     /* DMA is driven with a descriptor in fuzz_dma */
    if (rng() & 1)
        fwcfg_io_write(fw, port, size, rng() & 1 ? rnd_key() : rng());
    else
        fwcfg_io_read(fw, port, size);
}

static void test_fuzz(void **state)
{
    uint8_t buf[FWCFG_SAVE_SIZE];
    struct fwcfg fw, q;
    struct fwcfg_item it;
    int i;

    setup(&fw);
    add_three(&fw);
    fwcfg_set_u64(&fw, FW_CFG_RAM_SIZE, 1ull << 30);
    fwcfg_set_u16(&fw, FW_CFG_NB_CPUS, 2);
    setup(&q);
    add_three(&q);
    fwcfg_set_u64(&q, FW_CFG_RAM_SIZE, 1ull << 30);
    fwcfg_set_u16(&q, FW_CFG_NB_CPUS, 2);
    for (i = 0; i < 20000; i++) {
        if (rng() % 3)
            fuzz_port(&fw);
        else
            fuzz_dma(&fw);
        assert_true(fw.s.offset <= (fwcfg_item(&fw, fw.s.selector, &it) ? it.len : 0));
        assert_int_equal((uint32_t)fw.s.dma_addr, 0);
        assert_true(max_copy <= FWCFG_DMA_CHUNK);
        assert_memory_equal(arena, "zz", 2);
        assert_int_equal(fwcfg_save(&fw, buf, sizeof(buf)), sizeof(buf));
        assert_int_equal(fwcfg_load(&q, buf, sizeof(buf)), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_and_id),
        cmocka_unit_test(test_numeric_items),
        cmocka_unit_test(test_file_dir),
        cmocka_unit_test(test_dma_read),
        cmocka_unit_test(test_dma_select),
        cmocka_unit_test(test_dma_bad_guest_address),
        cmocka_unit_test(test_dma_oversized),
        cmocka_unit_test(test_write_unsupported),
        cmocka_unit_test(test_add_file_errors),
        cmocka_unit_test(test_dir_full),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests_name("vdev_fwcfg", tests, NULL, NULL);
}
