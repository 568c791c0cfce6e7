/*
 * fw_cfg as firmware uses it: the signature, the interface ID (with DMA), the RAM size item, the
 * file directory, and a file read through the data port and by DMA; a DMA to an address outside
 * RAM must end with the error bit, not hurt anyone.
 */
#include "guest.h"

#define SEL 0x510
#define DATA 0x511
#define DMA_HI 0x514
#define DMA_LO 0x518
#define DMA_ERROR 0x01
#define DMA_READ 0x02
#define DMA_SELECT 0x08

struct dma_access {
    uint32_t control, length;           /* big-endian */
    uint64_t address;
} __attribute__((aligned(16)));

static uint32_t be32(uint32_t v)
{
    return __builtin_bswap32(v);
}

static void select_item(uint16_t key)
{
    outw(SEL, key);
}

static void read_bytes(void *buf, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = inb(DATA);
}

static bool pattern_ok(const uint8_t *b, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        if (b[i] != (uint8_t)(i * 7 + 1))
            return false;
    return true;
}

/* The selector of the named file from the directory, or -1. */
static int find_file(const char *name, uint32_t *size)
{
    uint32_t count;
    struct { uint32_t size; uint16_t select, reserved; char name[56]; } e;

    select_item(0x19);
    read_bytes(&count, 4);
    for (uint32_t i = 0; i < be32(count) && i < 64; i++) {
        read_bytes(&e, sizeof(e));
        if (!strcmp(e.name, name)) {
            *size = be32(e.size);
            return __builtin_bswap16(e.select);
        }
    }
    return -1;
}

static uint32_t dma(uint16_t key, void *buf, uint32_t len)
{
    static struct dma_access d;
    uint64_t a = (uintptr_t)&d;

    d.control = be32(((uint32_t)key << 16) | DMA_SELECT | DMA_READ);
    d.length = be32(len);
    d.address = __builtin_bswap64((uintptr_t)buf);
    outl(DMA_HI, be32((uint32_t)(a >> 32)));
    outl(DMA_LO, be32((uint32_t)a));                /* starts the transfer */
    asm volatile("" ::: "memory");                  /* the device wrote d and buf meanwhile */
    return be32(d.control);
}

void guest_main(const struct keel_start_info *si)
{
    static uint8_t buf[KEEL_TEST_FWCFG_LEN];
    char sig[5] = { 0 };
    uint32_t id, size = 0, ctl;
    uint64_t ram;
    int sel;

    select_item(0);
    read_bytes(sig, 4);
    report(!strcmp(sig, "QEMU"), "fwcfg-signature", "signature \"%s\"", sig);
    select_item(1);
    read_bytes(&id, 4);
    report(id & 2, "fwcfg-id-dma", "ID 0x%x", id);
    select_item(3);
    read_bytes(&ram, 8);
    report(ram == si->mem_bytes, "fwcfg-ram-size", "RAM size item 0x%lx", (unsigned long)ram);
    sel = find_file(KEEL_TEST_FWCFG_FILE, &size);
    report(sel >= 0x20 && size == KEEL_TEST_FWCFG_LEN, "fwcfg-directory", "selector %d, size %u", sel,
           size);
    select_item((uint16_t)sel);
    read_bytes(buf, sizeof(buf));
    report(pattern_ok(buf, sizeof(buf)), "fwcfg-file-by-port", "file contents differ");
    memset(buf, 0, sizeof(buf));
    ctl = dma((uint16_t)sel, buf, sizeof(buf));
    report(ctl == 0 && pattern_ok(buf, sizeof(buf)), "fwcfg-file-by-dma", "control 0x%x after DMA", ctl);
    ctl = dma((uint16_t)sel, (void *)(uintptr_t)(si->mem_bytes + 0x1000), sizeof(buf));
    report(ctl & DMA_ERROR, "fwcfg-dma-outside-ram-fails", "control 0x%x", ctl);
}
