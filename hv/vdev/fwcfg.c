/*
 * QEMU's fw_cfg device. Every item, fixed or published, is looked up as a byte string so that
 * the data port and DMA share one path; guest memory is only reached through the env's copy
 * functions, in chunks of at most FWCFG_DMA_CHUNK bytes, with every address checked for wrap.
 */
#include <keel/vdev_fwcfg.h>
#include <keel/string.h>

#define FWCFG_SAVE_MAGIC 0x47434746u    /* "FGCG" */
#define FWCFG_SAVE_VERSION 1u
#define FWCFG_DMA_DESC_SIZE 16

struct fwcfg_item {
    const uint8_t *data;
    uint32_t len;
};

static const uint8_t fwcfg_signature[4] = { 'Q', 'E', 'M', 'U' };
static const uint8_t fwcfg_id[4] = { FW_CFG_VERSION | FW_CFG_VERSION_DMA, 0, 0, 0 };
/* Firmware checks the DMA register for this to tell fw_cfg DMA from an unrelated device. */
static const uint8_t fwcfg_dma_signature[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };
static const uint8_t fwcfg_zeros[FWCFG_DMA_CHUNK];

static const struct {
    uint16_t key;
    uint8_t width;
} fwcfg_num_items[FWCFG_NUM_ITEMS] = {
    { FW_CFG_RAM_SIZE, 8 },
    { FW_CFG_NB_CPUS, 2 },
    { FW_CFG_MAX_CPUS, 2 },
};

static uint32_t fwcfg_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fwcfg_put_be(uint8_t *p, uint64_t v, unsigned int width)
{
    unsigned int i;

    for (i = 0; i < width; i++)
        p[i] = v >> (8 * (width - 1 - i));
}

static uint32_t fwcfg_bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

static int fwcfg_num_index(uint16_t key)
{
    unsigned int i;

    for (i = 0; i < FWCFG_NUM_ITEMS; i++)
        if (fwcfg_num_items[i].key == key)
            return i;
    return -1;
}

/* The bytes behind a selector; false if there is no such item (it then reads as zeros). */
static bool fwcfg_item(const struct fwcfg *fw, uint16_t key, struct fwcfg_item *it)
{
    int n = fwcfg_num_index(key);

    if (key == FW_CFG_SIGNATURE) {
        *it = (struct fwcfg_item){ fwcfg_signature, sizeof(fwcfg_signature) };
    } else if (key == FW_CFG_ID) {
        *it = (struct fwcfg_item){ fwcfg_id, sizeof(fwcfg_id) };
    } else if (key == FW_CFG_FILE_DIR) {
        *it = (struct fwcfg_item){ fw->dir, 4 + fw->nr_files * FWCFG_DIR_ENTRY_SIZE };
    } else if (n >= 0 && (fw->num_set & 1u << n)) {
        *it = (struct fwcfg_item){ fw->num[n], fwcfg_num_items[n].width };
    } else if (key >= FW_CFG_FILE_FIRST && key < FW_CFG_FILE_FIRST + fw->nr_files) {
        const struct fwcfg_file *f = &fw->files[key - FW_CFG_FILE_FIRST];

        /* An empty file may live in a device with no arena: no pointer arithmetic on NULL. */
        *it = (struct fwcfg_item){ f->len ? fw->arena + f->data : NULL, f->len };
    } else {
        return false;
    }
    return true;
}

/* Bytes of the selected item from the current offset on. */
static uint32_t fwcfg_remaining(const struct fwcfg *fw, struct fwcfg_item *it)
{
    if (!fwcfg_item(fw, fw->s.selector, it) || fw->s.offset >= it->len)
        return 0;
    return it->len - fw->s.offset;
}

static void fwcfg_select(struct fwcfg *fw, uint16_t key)
{
    fw->s.selector = key;
    fw->s.offset = 0;
}

static uint8_t fwcfg_data_read(struct fwcfg *fw)
{
    struct fwcfg_item it;

    if (!fwcfg_remaining(fw, &it))
        return 0;
    return it.data[fw->s.offset++];
}

/*
 * Copies src (or zeros if src is NULL) to guest memory, one chunk per call so that neither the
 * copy nor a bounce buffer ever depends on the guest's length. *done counts what landed.
 */
static int fwcfg_copy_out(const struct fwcfg *fw, uint64_t gpa, const uint8_t *src,
                          uint32_t len, uint32_t *done)
{
    const struct fwcfg_env *env = fw->env;

    *done = 0;
    while (*done < len) {
        uint32_t n = MIN(len - *done, FWCFG_DMA_CHUNK);
        const uint8_t *p = src ? src + *done : fwcfg_zeros;

        if (gpa + *done < gpa || gpa + *done > UINT64_MAX - n)
            return -EFAULT;
        if (env->write_gpa(env->base.ctx, gpa + *done, p, n) < 0)
            return -EFAULT;
        *done += n;
    }
    return 0;
}

/* Read or skip: the item's bytes first, then (for a read) zeros for the part past its end. */
static uint32_t fwcfg_dma_transfer(struct fwcfg *fw, bool read, uint32_t length, uint64_t addr)
{
    struct fwcfg_item it;
    uint32_t n = MIN(length, fwcfg_remaining(fw, &it));
    uint32_t done = n;
    int rc = 0;

    if (read && n)
        rc = fwcfg_copy_out(fw, addr, it.data + fw->s.offset, n, &done);
    fw->s.offset += done;
    if (rc < 0)
        return FW_CFG_DMA_CTL_ERROR;
    if (!read || length == n)
        return 0;
    if (length - n > FWCFG_DMA_ZERO_MAX || addr + n < addr)
        return FW_CFG_DMA_CTL_ERROR;
    rc = fwcfg_copy_out(fw, addr + n, NULL, length - n, &done);
    return rc < 0 ? FW_CFG_DMA_CTL_ERROR : 0;
}

/* Runs one control structure; returns the control word to write back. */
static uint32_t fwcfg_dma_run(struct fwcfg *fw, uint32_t control, uint32_t length, uint64_t addr)
{
    if (control & FW_CFG_DMA_CTL_SELECT)
        fwcfg_select(fw, control >> 16);
    if (length == 0)
        return 0;
    if (control & FW_CFG_DMA_CTL_READ)
        return fwcfg_dma_transfer(fw, true, length, addr);
    if (control & FW_CFG_DMA_CTL_WRITE)
        return FW_CFG_DMA_CTL_ERROR;        /* no item accepts writes */
    if (control & FW_CFG_DMA_CTL_SKIP)
        return fwcfg_dma_transfer(fw, false, length, addr);
    return 0;
}

static void fwcfg_dma_start(struct fwcfg *fw)
{
    const struct fwcfg_env *env = fw->env;
    uint64_t desc = fw->s.dma_addr;
    uint8_t raw[FWCFG_DMA_DESC_SIZE], ctl[4];
    uint32_t result = FW_CFG_DMA_CTL_ERROR;

    /* The latch is consumed whatever happens: the next operation starts from a clean high half. */
    fw->s.dma_addr = 0;
    if (desc > UINT64_MAX - FWCFG_DMA_DESC_SIZE)
        return;
    if (env->read_gpa(env->base.ctx, desc, raw, sizeof(raw)) == 0)
        result = fwcfg_dma_run(fw, fwcfg_get_be32(raw), fwcfg_get_be32(raw + 4),
                               (uint64_t)fwcfg_get_be32(raw + 8) << 32 | fwcfg_get_be32(raw + 12));
    fwcfg_put_be(ctl, result, sizeof(ctl));
    /* If even this fails the guest pointed us at non-RAM; it only loses its own status. */
    env->write_gpa(env->base.ctx, desc, ctl, sizeof(ctl));
}

/* The "QEMU CFG" bytes at ports 0x514-0x51b, in port order like any little-endian read. */
static uint32_t fwcfg_dma_sig_read(uint16_t port)
{
    const uint8_t *p = fwcfg_dma_signature + (port - FWCFG_PORT_DMA_HI);

    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t fwcfg_io_read(struct fwcfg *fw, uint16_t port, unsigned int size)
{
    if (port == FWCFG_PORT_DATA && size == 1)
        return fwcfg_data_read(fw);
    if ((port == FWCFG_PORT_DMA_HI || port == FWCFG_PORT_DMA_LO) && size == 4)
        return fwcfg_dma_sig_read(port);
    return 0xffffffffu;
}

void fwcfg_io_write(struct fwcfg *fw, uint16_t port, unsigned int size, uint32_t val)
{
    if (port == FWCFG_PORT_SEL && size == 2) {
        fwcfg_select(fw, (uint16_t)val);
    } else if (port == FWCFG_PORT_DMA_HI && size == 4) {
        fw->s.dma_addr = (uint64_t)fwcfg_bswap32(val) << 32;
    } else if (port == FWCFG_PORT_DMA_LO && size == 4) {
        fw->s.dma_addr |= fwcfg_bswap32(val);
        fwcfg_dma_start(fw);
    }
}

/* Rebuilds FW_CFG_FILE_DIR; files[] is already in name order, which is the selector order. */
static void fwcfg_build_dir(struct fwcfg *fw)
{
    unsigned int i;

    memset(fw->dir, 0, sizeof(fw->dir));
    fwcfg_put_be(fw->dir, fw->nr_files, 4);
    for (i = 0; i < fw->nr_files; i++) {
        uint8_t *e = fw->dir + 4 + i * FWCFG_DIR_ENTRY_SIZE;

        fwcfg_put_be(e, fw->files[i].len, 4);
        fwcfg_put_be(e + 4, FW_CFG_FILE_FIRST + i, 2);
        memcpy(e + 8, fw->files[i].name, FWCFG_NAME_LEN);
    }
}

/* Where name belongs in files[], or -EEXIST. */
static int fwcfg_file_slot(const struct fwcfg *fw, const char *name)
{
    unsigned int i;

    for (i = 0; i < fw->nr_files; i++) {
        int c = strcmp(name, fw->files[i].name);

        if (c == 0)
            return -EEXIST;
        if (c < 0)
            break;
    }
    return i;
}

int fwcfg_add_file(struct fwcfg *fw, const char *name, const void *data, uint32_t len)
{
    size_t name_len = strnlen(name, FWCFG_NAME_LEN);
    struct fwcfg_file *f;
    int slot;

    if (name_len == 0 || name_len >= FWCFG_NAME_LEN || (len && !data))
        return -EINVAL;
    slot = fwcfg_file_slot(fw, name);
    if (slot < 0)
        return slot;
    if (fw->nr_files == FWCFG_MAX_FILES || len > fw->arena_size - fw->arena_used)
        return -ENOSPC;
    f = &fw->files[slot];
    memmove(f + 1, f, (fw->nr_files - slot) * sizeof(*f));
    memset(f, 0, sizeof(*f));
    memcpy(f->name, name, name_len);
    f->data = fw->arena_used;
    f->len = len;
    if (len)
        memcpy(fw->arena + fw->arena_used, data, len);
    fw->arena_used += len;
    fw->nr_files++;
    fwcfg_build_dir(fw);
    return 0;
}

static int fwcfg_set_num(struct fwcfg *fw, uint16_t key, uint64_t v, unsigned int width)
{
    int n = fwcfg_num_index(key);
    unsigned int i;

    if (n < 0 || fwcfg_num_items[n].width != width)
        return -EINVAL;
    /* Little-endian, as QEMU stores these items. */
    for (i = 0; i < width; i++)
        fw->num[n][i] = v >> (8 * i);
    fw->num_set |= 1u << n;
    return 0;
}

int fwcfg_set_u64(struct fwcfg *fw, uint16_t key, uint64_t v)
{
    return fwcfg_set_num(fw, key, v, 8);
}

int fwcfg_set_u16(struct fwcfg *fw, uint16_t key, uint16_t v)
{
    return fwcfg_set_num(fw, key, v, 2);
}

void fwcfg_reset(struct fwcfg *fw)
{
    memset(&fw->s, 0, sizeof(fw->s));
}

void fwcfg_init(struct fwcfg *fw, const struct fwcfg_env *env, void *arena, size_t arena_size)
{
    memset(fw, 0, sizeof(*fw));
    fw->env = env;
    fw->arena = arena;
    fw->arena_size = arena ? arena_size : 0;
    fwcfg_build_dir(fw);
}

size_t fwcfg_save(const struct fwcfg *fw, void *buf, size_t len)
{
    uint32_t hdr[2] = { FWCFG_SAVE_MAGIC, FWCFG_SAVE_VERSION };

    if (len < FWCFG_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &fw->s, sizeof(fw->s));
    return FWCFG_SAVE_SIZE;
}

/*
 * The latch only ever holds a high half (writing the low half consumes it), and reads and skips
 * never move the offset past the end of the selected item.
 */
static bool fwcfg_valid(const struct fwcfg *fw, const struct fwcfg_state *s)
{
    struct fwcfg_item it;
    uint32_t len = fwcfg_item(fw, s->selector, &it) ? it.len : 0;

    return s->pad == 0 && (uint32_t)s->dma_addr == 0 && s->offset <= len;
}

int fwcfg_load(struct fwcfg *fw, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct fwcfg_state s;

    if (len != FWCFG_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != FWCFG_SAVE_MAGIC || hdr[1] != FWCFG_SAVE_VERSION || !fwcfg_valid(fw, &s))
        return -EINVAL;
    fw->s = s;
    return 0;
}
