/*
 * QEMU's firmware configuration device (fw_cfg) as firmware sees it on x86. SeaBIOS, OVMF and
 * Linux's qemu_fw_cfg driver find their tables, CPU count and RAM size through it.
 *   0x510  selector (16-bit write): picks an item and rewinds it to offset 0
 *   0x511  data (8-bit read): the next byte of the selected item, 0 past its end
 *   0x514  DMA address, high 32 bits (32-bit write, big-endian: the guest writes
 *          cpu_to_be32(addr >> 32)); a 32-bit read returns "QEMU"
 *   0x518  DMA address, low 32 bits (32-bit write, big-endian); writing it starts the
 *          operation and clears the latch; a 32-bit read returns " CFG"
 * x86 has no 8-byte port access, so the 64-bit write to 0x514 that MMIO fw_cfg accepts cannot
 * reach this device. Any other port or size reads as all ones and ignores writes.
 *
 * A DMA operation is described by a control structure in guest memory (all fields big-endian):
 * control (u32), length (u32), address (u64). Control bits: select (bit 3, with the selector in
 * bits 31-16) happens first, then one of read (bit 1), write (bit 4) or skip (bit 2), tested in
 * that order. When done the device writes the control word back as 0, or with the error bit
 * (bit 0) set if a guest access failed or the operation is unsupported. No item is writable, so
 * a write of a non-zero length fails; so does selecting a write channel (selector bit 14),
 * which otherwise behaves as an item that does not exist. A read past the end of the item
 * stores zeros, up to FWCFG_DMA_ZERO_MAX bytes per operation: a longer one is refused with the
 * error bit so that a guest cannot keep the hypervisor zeroing gigabytes in one exit.
 *
 * Items: the signature "QEMU", the ID (traditional and DMA interfaces), the file directory
 * (a big-endian count, then FWCFG_MAX_FILES entries at most, sorted by name) and the numeric
 * items the hypervisor sets (RAM size u64, CPU counts u16, little-endian like QEMU's). Files get
 * selectors from FW_CFG_FILE_FIRST in name order, so publish them all before the domain runs:
 * adding one renumbers those after it. File contents are copied into an arena the caller gives
 * fwcfg_init; the model never allocates.
 *
 * Only the selector, its offset and the DMA address latch change at run time; the items are
 * configuration that the toolstack publishes again before it loads the saved state.
 */
#ifndef KEEL_VDEV_FWCFG_H
#define KEEL_VDEV_FWCFG_H

#include <keel/vdev.h>

#define FWCFG_PORT_SEL 0x510
#define FWCFG_PORT_DATA 0x511
#define FWCFG_PORT_DMA_HI 0x514
#define FWCFG_PORT_DMA_LO 0x518

#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_MAX_CPUS 0x000f
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_FIRST 0x0020
#define FW_CFG_WRITE_CHANNEL 0x4000

#define FW_CFG_VERSION 0x01                /* FW_CFG_ID: the traditional interface */
#define FW_CFG_VERSION_DMA 0x02            /* FW_CFG_ID: the DMA interface */

#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

#define FWCFG_MAX_FILES 64
#define FWCFG_NAME_LEN 56                  /* with the terminating NUL */
#define FWCFG_DIR_ENTRY_SIZE 64
#define FWCFG_DIR_SIZE (4 + FWCFG_MAX_FILES * FWCFG_DIR_ENTRY_SIZE)
#define FWCFG_NUM_ITEMS 3
/* Bytes moved per guest-memory call: keeps each copy bounded whatever length the guest asks. */
#define FWCFG_DMA_CHUNK 4096u
#define FWCFG_DMA_ZERO_MAX (1u << 20)

struct fwcfg_env {
    struct vdev_env base;
    /* Copy to or from guest-physical memory; 0, or negative if any byte is not guest RAM. */
    int (*read_gpa)(void *ctx, uint64_t gpa, void *buf, size_t len);
    int (*write_gpa)(void *ctx, uint64_t gpa, const void *buf, size_t len);
};

struct fwcfg_state {
    uint64_t dma_addr;      /* the high half written to 0x514, waiting for the low half */
    uint32_t offset;        /* the next byte of the selected item */
    uint16_t selector;      /* as written, even if no such item exists */
    uint16_t pad;
};

struct fwcfg_file {
    char name[FWCFG_NAME_LEN];
    size_t data;            /* offset of the contents in the arena */
    uint32_t len;
};

struct fwcfg {
    struct fwcfg_state s;
    const struct fwcfg_env *env;
    uint8_t *arena;
    size_t arena_size;
    size_t arena_used;
    unsigned int nr_files;
    struct fwcfg_file files[FWCFG_MAX_FILES];      /* sorted by name */
    uint8_t dir[FWCFG_DIR_SIZE];                   /* FW_CFG_FILE_DIR as the guest reads it */
    uint8_t num[FWCFG_NUM_ITEMS][8];
    uint8_t num_set;                               /* bit i: num[i] has been set */
};

#define FWCFG_SAVE_SIZE (8 + sizeof(struct fwcfg_state))

/* arena/arena_size: storage for file contents, owned by the caller for the device's lifetime. */
void fwcfg_init(struct fwcfg *fw, const struct fwcfg_env *env, void *arena, size_t arena_size);
/* Rewinds the run-time state; the published items stay. */
void fwcfg_reset(struct fwcfg *fw);
/*
 * Publishes a file: copies len bytes of data. -EINVAL for an empty name or one of
 * FWCFG_NAME_LEN bytes or more, -EEXIST if the name is taken, -ENOSPC if the arena or the
 * directory is full. Nothing changes on failure.
 */
int fwcfg_add_file(struct fwcfg *fw, const char *name, const void *data, uint32_t len);
/* Sets a numeric item (FW_CFG_RAM_SIZE for u64, FW_CFG_NB_CPUS or FW_CFG_MAX_CPUS for u16);
 * -EINVAL for any other key or the wrong width. */
int fwcfg_set_u64(struct fwcfg *fw, uint16_t key, uint64_t v);
int fwcfg_set_u16(struct fwcfg *fw, uint16_t key, uint16_t v);
uint32_t fwcfg_io_read(struct fwcfg *fw, uint16_t port, unsigned int size);
void fwcfg_io_write(struct fwcfg *fw, uint16_t port, unsigned int size, uint32_t val);
size_t fwcfg_save(const struct fwcfg *fw, void *buf, size_t len);
/* Call after the items have been published again: the offset is checked against the item. */
int fwcfg_load(struct fwcfg *fw, const void *buf, size_t len);

#endif
