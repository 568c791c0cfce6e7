/*
 * The multiboot test kernel's checks: the boot magic, the machine state the specification
 * promises, the boot information (memory sizes, the map, the command line, the loader's name)
 * against the domain the manifest describes (16 MiB, cmdline "mb-test one=1 two=2"), and
 * that the loader copied the data and zeroed the bss.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <keel/abi.h>

#define MB_BOOT_MAGIC 0x2badb002u
#define EXPECT_CMDLINE "mb-test one=1 two=2"
#define RAM_MIB 16

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
    uint32_t boot_loader_name;
};

struct mb_mmap {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

uint32_t entry_esp, entry_eflags, entry_cr0;
static volatile uint32_t initialised = 0x5eed1234;     /* .data: copied from the file */
static volatile uint32_t zeroed[1024];                  /* .bss: zeroed by the loader */
static unsigned int passed, failed;

void mb_main(uint32_t magic, const struct mb_info *mi);

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static void puts_(const char *s)
{
    while (*s)
        outb(KEEL_DEBUG_PORT, (uint8_t)*s++);
}

static void put_hex(uint32_t v)
{
    char buf[11] = "0x";

    for (int i = 0; i < 8; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xf];
    buf[10] = 0;
    puts_(buf);
}

static void put_dec(uint32_t v)
{
    char buf[11];
    int i = 10;

    buf[i] = 0;
    do
        buf[--i] = (char)('0' + v % 10);
    while ((v /= 10) && i);
    puts_(buf + i);
}

static bool check(bool ok, const char *name, uint32_t value)
{
    puts_(ok ? "PASS " : "FAIL ");
    puts_(name);
    if (!ok) {
        puts_(": value ");
        put_hex(value);
    }
    puts_("\n");
    if (ok)
        passed++;
    else
        failed++;
    return ok;
}

static bool streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool is_amd(void)
{
    uint32_t a = 0, b, c, d;

    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return b == 0x68747541 || b == 0x6f677948;          /* "Auth"enticAMD, "Hygo"nGenuine */
}

static void shutdown(void)
{
    uint32_t nr = KEEL_HC_SHUTDOWN, reason = KEEL_SHUTDOWN_POWEROFF, code = 0;

    if (is_amd())
        __asm__ volatile("vmmcall" : "+a"(nr) : "D"(reason), "S"(code) : "memory");
    else
        __asm__ volatile("vmcall" : "+a"(nr) : "D"(reason), "S"(code) : "memory");
}

static void check_map(const struct mb_info *mi)
{
    const uint8_t *p = (const uint8_t *)mi->mmap_addr, *end = p + mi->mmap_length;
    uint64_t ram = 0;
    bool low = false, sane = true;

    for (; p < end; p += ((const struct mb_mmap *)p)->size + 4) {
        const struct mb_mmap *m = (const void *)p;

        sane &= m->size >= 20;
        if (m->type == 1) {
            ram += m->len;
            low |= m->addr == 0;
        }
    }
    check(sane && low, "mmap-entries", mi->mmap_length);
    /* RAM in the map: 639 KiB below the EBDA, and everything from 1 MiB to the domain's end. */
    check(ram == 0x9fc00 + ((uint64_t)(RAM_MIB - 1) << 20), "mmap-ram-total", (uint32_t)ram);
}

void mb_main(uint32_t magic, const struct mb_info *mi)
{
    bool ok;

    puts_("mbkernel: booted, info at ");
    put_hex((uint32_t)mi);
    puts_("\n");
    check(magic == MB_BOOT_MAGIC, "boot-magic", magic);
    check((entry_cr0 & 0x80000001u) == 1, "protected-mode-no-paging", entry_cr0);
    check(!(entry_eflags & (1u << 9)) && !(entry_eflags & (1u << 17)), "eflags-if-vm-clear", entry_eflags);
    check(initialised == 0x5eed1234, "data-loaded", initialised);
    ok = true;
    for (unsigned int i = 0; i < 1024; i++)
        ok &= zeroed[i] == 0;
    check(ok, "bss-zeroed", 0);
    if (!check((mi->flags & 0x245) == 0x245, "info-flags", mi->flags))  /* mem, cmdline, mmap, name */
        goto out;
    check(mi->mem_lower >= 600 && mi->mem_lower <= 640, "mem-lower", mi->mem_lower);
    check(mi->mem_upper == (RAM_MIB - 1) * 1024, "mem-upper", mi->mem_upper);
    check_map(mi);
    puts_("mbkernel: cmdline \"");
    puts_((const char *)mi->cmdline);
    puts_("\"\n");
    check(streq((const char *)mi->cmdline, EXPECT_CMDLINE), "cmdline", mi->cmdline);
    check(streq((const char *)mi->boot_loader_name, "Keel"), "loader-name", mi->boot_loader_name);
out:
    puts_(KEEL_TEST_DONE_PREFIX);
    put_dec(passed);
    puts_(" passed, ");
    put_dec(failed);
    puts_(" failed\n");
    shutdown();
}
