/*
 * Runs firmware/linux.c over a real bzImage, for tests/system/test_fw_linux.py, which reads the
 * same header with its own code. Usage: fw_bzimage_info <bzImage> <initrd bytes> <zero page out>
 * Prints what fw_bzimage_parse found, one `name=value` a line, where the kernel and an initrd of
 * that size go in a 256 MiB guest (the map of firmware/e820.c), and writes the zero page
 * fw_linux_boot_params fills for that guest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../firmware/e820.c"
#include "../../firmware/linux.c"

#define RAM (256ull << 20)
#define CMDLINE_GPA 0x20000ull
#define CMDLINE_LEN 13                  /* "console=ttyS0" */
#define RSDP_GPA 0xe0000ull

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long size;

    if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        perror(path);
        exit(1);
    }
    buf = malloc(size ? (size_t)size : 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        perror(path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static void print_facts(const uint8_t *img, const struct fw_bzimage *bz)
{
    printf("version=%#x\nsetup_sects=%u\nhdr_end=%#x\npm_offset=%#x\npm_size=%#x\n",
           bz->version, bz->setup_sects, bz->hdr_end, bz->pm_offset, bz->pm_size);
    printf("pref_address=%#llx\ninit_size=%#x\nkernel_alignment=%#x\nrelocatable=%d\n",
           (unsigned long long)bz->pref_address, bz->init_size, bz->kernel_alignment,
           bz->relocatable);
    printf("cmdline_size=%#x\ninitrd_addr_max=%#x\nxloadflags=%#x\n", bz->cmdline_size,
           bz->initrd_addr_max, bz->xloadflags);
    printf("kernel_version=%s\n", bz->version_string ? (const char *)img + bz->version_string : "");
    printf("kernel_gpa=%#llx\n", (unsigned long long)fw_linux_kernel_gpa(bz));
}

int main(int argc, char **argv)
{
    struct fw_e820_entry map[FW_E820_MAX_ENTRIES];
    static uint8_t zero_page[FW_LINUX_ZERO_PAGE_SIZE];
    struct fw_bzimage bz;
    uint64_t initrd_size, initrd_gpa;
    size_t len;
    uint8_t *img;
    int n, rc;
    FILE *out;

    if (argc != 4) {
        fprintf(stderr, "usage: fw_bzimage_info <bzImage> <initrd bytes> <zero page out>\n");
        return 2;
    }
    img = read_file(argv[1], &len);
    initrd_size = strtoull(argv[2], NULL, 0);
    rc = fw_bzimage_parse(img, len, &bz);
    if (rc) {
        printf("parse=%d\n", rc);
        return 1;
    }
    print_facts(img, &bz);
    n = fw_e820_build(RAM, map, FW_E820_MAX_ENTRIES);
    rc = n < 0 ? n : fw_linux_initrd_gpa(&bz, initrd_size, map, (unsigned int)n, &initrd_gpa);
    printf("initrd_gpa=%#llx\n", rc ? 0ull : (unsigned long long)initrd_gpa);
    if (rc == 0)
        rc = fw_linux_boot_params(zero_page, img, len, &bz, CMDLINE_GPA, CMDLINE_LEN, initrd_gpa,
                                  initrd_size, RSDP_GPA, map, (unsigned int)n);
    printf("boot_params=%d\n", rc);
    out = fopen(argv[3], "wb");
    if (!out || fwrite(zero_page, 1, sizeof(zero_page), out) != sizeof(zero_page) || fclose(out)) {
        perror(argv[3]);
        return 1;
    }
    free(img);
    return rc ? 1 : 0;
}
