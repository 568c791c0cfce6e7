/*
 * Unit tests for domain definitions (toolstack/config/, linked in by the Makefile's rule for this
 * test): the good files load to the expected config and survive a round trip through the
 * canonical writer; every file of the bad corpus fails with the error its .expect file names
 * (line and message); the value parsers on their own.
 * The files name the test data directory as @DATA@ (and examples/demo.xml /usr/share/keel): the
 * tests put the real path in before loading, which moves no line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libxml/parser.h>

#include "../../toolstack/config/domconfig.h"

#define DATA "tests/unit/data/domxml"

static const struct keel_domconfig_id existing[] = {
    { "taken", { 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44, 0x55, 0x55, 0x55,
                 0x55, 0x55, 0x55 } },
};

static const struct keel_host_limits host = {
    .max_vcpus = 16, .nr_cpus = 8, .free_bytes = 4ull << 30,
    .existing = existing, .nr_existing = 1,
};

/* --- loading with the data directory put in -------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    char chunk[4096];
    size_t n;

    assert_non_null(f);
    assert_non_null(m);
    while ((n = fread(chunk, 1, sizeof(chunk), f)))
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return buf;
}

/* Every `from` in text replaced by `to`. */
static char *replace(const char *text, const char *from, const char *to)
{
    char *out = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&out, &cap);
    const char *p = text, *q;

    while ((q = strstr(p, from))) {
        fwrite(p, 1, (size_t)(q - p), m);
        fputs(to, m);
        p = q + strlen(from);
    }
    fputs(p, m);
    fclose(m);
    return out;
}

static char *data_dir(void)
{
    static char dir[4096];
    char cwd[3800];

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(dir, sizeof(dir), "%s/" DATA "/files", cwd);
    return dir;
}

static int load_subst(const char *path, const char *from, const char *to,
                      struct keel_domconfig *cfg, struct keel_diag *diag)
{
    size_t len;
    char *raw = read_all(path, &len), *text = replace(raw, from, to);
    int r = keel_domconfig_load_mem(text, strlen(text), path, &host, cfg, diag);

    free(raw);
    free(text);
    return r;
}

static int load(const char *path, struct keel_domconfig *cfg, struct keel_diag *diag)
{
    return load_subst(path, "@DATA@", data_dir(), cfg, diag);
}

static void load_good(const char *name, struct keel_domconfig *cfg)
{
    struct keel_diag diag;
    char path[256];
    int r;

    snprintf(path, sizeof(path), DATA "/good/%s", name);
    keel_diag_init(&diag);
    r = load(path, cfg, &diag);
    if (r || diag.errors)
        keel_diag_print(&diag, stderr);
    assert_int_equal(r, 0);
    assert_int_equal(diag.errors, 0);
    keel_diag_free(&diag);
}

static char *write_str(const struct keel_domconfig *cfg)
{
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);

    assert_int_equal(keel_domconfig_write(cfg, m), 0);
    fclose(m);
    return out;
}

static char *data_path(const char *file)
{
    static char p[4200];

    snprintf(p, sizeof(p), "%s/%s", data_dir(), file);
    return p;
}

/* --- good files --------------------------------------------------------------------------------- */

static void test_good_minimal(void **state)
{
    struct keel_domconfig c;
    static const uint8_t zero[16];

    load_good("01-minimal.xml", &c);
    assert_string_equal(c.name, "minimal");
    assert_int_equal(c.type, KEEL_DOMTYPE_KEEL);
    assert_memory_not_equal(c.uuid, zero, 16);
    assert_int_equal(c.uuid[6] >> 4, 4);        /* a generated (version 4) UUID */
    assert_int_equal(c.uuid[8] >> 6, 2);
    assert_int_equal(c.memory, 64ull << 20);
    assert_int_equal(c.current_memory, 64ull << 20);
    assert_int_equal(c.vcpus, 1);
    assert_int_equal(c.cpuset, 0);
    assert_int_equal(c.os.arch, KEEL_ARCH_X86_64);
    assert_string_equal(c.os.machine, "pc");
    assert_null(c.os.kernel);
    assert_int_equal(c.os.nr_boot, 1);
    assert_int_equal(c.os.boot[0], KEEL_BOOT_HD);
    assert_int_equal(c.features, KEEL_FEAT_HPET);
    assert_int_equal(c.sockets, 0);
    assert_int_equal(c.clock, KEEL_CLOCK_UTC);
    assert_int_equal(c.on_poweroff, KEEL_LC_DESTROY);
    assert_int_equal(c.on_reboot, KEEL_LC_RESTART);
    assert_int_equal(c.on_crash, KEEL_LC_DESTROY);
    assert_int_equal(c.nr_disks + c.nr_nets + c.nr_serials + c.nr_consoles + c.nr_graphics +
                     c.nr_videos + c.nr_inputs, 0);
    assert_null(c.emulator);
    keel_domconfig_free(&c);
}

static void test_good_direct_kernel(void **state)
{
    static const uint8_t uuid[16] = { 0x4d, 0xea, 0x22, 0xb3, 0x1d, 0x52, 0xd8, 0xf3,
                                      0x25, 0x16, 0x78, 0x2e, 0x98, 0xab, 0x3f, 0xa0 };
    struct keel_domconfig c;

    load_good("02-direct-kernel.xml", &c);
    assert_int_equal(c.type, KEEL_DOMTYPE_KVM);
    assert_memory_equal(c.uuid, uuid, 16);
    assert_int_equal(c.memory, 256ull << 20);
    assert_int_equal(c.current_memory, 128ull << 20);
    assert_int_equal(c.vcpus, 2);
    assert_int_equal(c.cpuset, 0x2b);           /* 0-3,^2,5 */
    assert_string_equal(c.os.kernel, data_path("vmlinuz"));
    assert_string_equal(c.os.initrd, data_path("initrd.img"));
    assert_string_equal(c.os.cmdline, "console=ttyS0 root=/dev/vda rw quiet &<>'\"");
    assert_int_equal(c.os.nr_boot, 0);         /* a kernel boots; no default boot device */
    assert_int_equal(c.features, KEEL_FEAT_ACPI | KEEL_FEAT_APIC | KEEL_FEAT_PAE |
                                 KEEL_FEAT_HPET);
    assert_int_equal(c.on_crash, KEEL_LC_PRESERVE);
    keel_domconfig_free(&c);
}

static void test_good_units(void **state)
{
    struct keel_domconfig c;

    load_good("03-units.xml", &c);
    assert_string_equal(c.name, "units_1.0+x");
    assert_int_equal(c.memory, 1ull << 30);
    assert_int_equal(c.current_memory, 524288ull << 10);   /* 536870000 bytes, rounded up */
    assert_int_equal(c.os.arch, KEEL_ARCH_I686);
    assert_int_equal(c.os.boot[0], KEEL_BOOT_CDROM);
    keel_domconfig_free(&c);
}

static void test_good_cpu_clock(void **state)
{
    struct keel_domconfig c;

    load_good("04-cpu-clock.xml", &c);
    assert_int_equal(c.uuid[0], 0x01);
    assert_int_equal(c.uuid[15], 0xef);
    assert_int_equal(c.memory, 1024000ull * 1000);      /* KB are 1000 bytes */
    assert_int_equal(c.vcpus, 8);
    assert_int_equal(c.sockets, 2);
    assert_int_equal(c.cores, 2);
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.clock, KEEL_CLOCK_LOCALTIME);
    assert_int_equal(c.features, 0);            /* HPET turned off */
    assert_int_equal(c.on_poweroff, KEEL_LC_PRESERVE);
    assert_int_equal(c.on_reboot, KEEL_LC_DESTROY);
    assert_int_equal(c.on_crash, KEEL_LC_RESTART);
    assert_int_equal(c.os.boot[0], KEEL_BOOT_NETWORK);
    keel_domconfig_free(&c);
}

static void test_good_disks(void **state)
{
    struct keel_domconfig c;
    const struct keel_disk *d;

    load_good("05-disks.xml", &c);
    assert_string_equal(c.os.machine, "q35");
    assert_int_equal(c.os.nr_boot, 2);
    assert_int_equal(c.os.boot[0], KEEL_BOOT_CDROM);
    assert_int_equal(c.os.boot[1], KEEL_BOOT_HD);
    assert_string_equal(c.emulator, data_path("emulator"));
    assert_int_equal(c.nr_disks, 4);
    d = &c.disks[0];
    assert_int_equal(d->device, KEEL_DISK_DISK);
    assert_int_equal(d->format, KEEL_DISK_RAW);
    assert_string_equal(d->source, data_path("disk.img"));
    assert_string_equal(d->target, "vda");
    assert_int_equal(d->bus, KEEL_BUS_VIRTIO);
    assert_false(d->readonly);
    d = &c.disks[1];
    assert_int_equal(d->format, KEEL_DISK_QCOW2);
    assert_int_equal(d->bus, KEEL_BUS_SATA);
    assert_true(d->readonly);
    d = &c.disks[2];
    assert_int_equal(d->device, KEEL_DISK_CDROM);
    assert_int_equal(d->bus, KEEL_BUS_IDE);     /* from the name hdc */
    assert_true(d->readonly);                   /* every cdrom */
    d = &c.disks[3];
    assert_null(d->source);                     /* a cdrom drive with no medium */
    assert_string_equal(d->target, "hdd");
    keel_domconfig_free(&c);
}

static void test_good_network(void **state)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0x01 };
    struct keel_domconfig c;

    load_good("06-network.xml", &c);
    assert_int_equal(c.nr_nets, 4);
    assert_int_equal(c.nets[0].type, KEEL_NET_NETWORK);
    assert_string_equal(c.nets[0].source, "default");
    assert_true(c.nets[0].has_mac);
    assert_memory_equal(c.nets[0].mac, mac, 6);
    assert_int_equal(c.nets[0].model, KEEL_NET_VIRTIO);
    assert_int_equal(c.nets[1].type, KEEL_NET_BRIDGE);
    assert_string_equal(c.nets[1].source, "br0");
    assert_false(c.nets[1].has_mac);
    assert_int_equal(c.nets[1].model, KEEL_NET_E1000);
    assert_int_equal(c.nets[2].type, KEEL_NET_USER);
    assert_null(c.nets[2].source);
    assert_int_equal(c.nets[2].model, KEEL_NET_RTL8139);
    assert_int_equal(c.nets[3].model, KEEL_NET_VIRTIO);
    keel_domconfig_free(&c);
}

static void test_good_serial_console(void **state)
{
    struct keel_domconfig c;

    load_good("07-serial-console.xml", &c);
    assert_int_equal(c.nr_serials, 3);
    assert_int_equal(c.serials[0].type, KEEL_CHR_PTY);
    assert_int_equal(c.serials[0].port, 0);
    assert_null(c.serials[0].path);
    assert_int_equal(c.serials[1].type, KEEL_CHR_FILE);
    assert_string_equal(c.serials[1].path, data_path("serial1.log"));
    assert_int_equal(c.serials[1].port, 1);
    assert_int_equal(c.serials[2].type, KEEL_CHR_STDIO);
    assert_int_equal(c.serials[2].port, 3);
    assert_int_equal(c.nr_consoles, 2);
    assert_int_equal(c.consoles[0].target, KEEL_CHR_TARGET_SERIAL);
    assert_int_equal(c.consoles[1].target, KEEL_CHR_TARGET_VIRTIO);
    assert_int_equal(c.consoles[1].port, 1);
    assert_string_equal(c.os.cmdline, "console=ttyS0");
    keel_domconfig_free(&c);
}

static void test_good_display(void **state)
{
    struct keel_domconfig c;

    load_good("08-display.xml", &c);
    assert_int_equal(c.nr_graphics, 3);
    assert_int_equal(c.graphics[0].type, KEEL_GFX_VNC);
    assert_int_equal(c.graphics[0].port, -1);
    assert_string_equal(c.graphics[0].listen, "127.0.0.1");
    assert_int_equal(c.graphics[1].type, KEEL_GFX_SPICE);
    assert_int_equal(c.graphics[1].port, 5901);
    assert_null(c.graphics[1].listen);
    assert_int_equal(c.graphics[2].type, KEEL_GFX_NONE);
    assert_int_equal(c.nr_videos, 2);
    assert_int_equal(c.videos[0].model, KEEL_VIDEO_QXL);
    assert_int_equal(c.videos[0].vram_kib, 65536);
    assert_int_equal(c.videos[0].heads, 2);
    assert_int_equal(c.videos[1].model, KEEL_VIDEO_VGA);
    assert_int_equal(c.videos[1].vram_kib, 0);
    assert_int_equal(c.videos[1].heads, 1);
    assert_int_equal(c.nr_inputs, 3);
    assert_int_equal(c.inputs[0].type, KEEL_INPUT_TABLET);
    assert_int_equal(c.inputs[0].bus, KEEL_INPUT_USB);
    assert_int_equal(c.inputs[1].type, KEEL_INPUT_KEYBOARD);
    assert_int_equal(c.inputs[1].bus, KEEL_INPUT_VIRTIO);
    assert_int_equal(c.inputs[2].type, KEEL_INPUT_MOUSE);
    assert_int_equal(c.inputs[2].bus, KEEL_INPUT_PS2);
    keel_domconfig_free(&c);
}

static void test_good_firmware(void **state)
{
    struct keel_domconfig c;

    load_good("09-firmware.xml", &c);
    assert_int_equal(c.type, KEEL_DOMTYPE_XEN);
    assert_int_equal(c.memory, 2ull << 30);
    assert_string_equal(c.os.machine, "pc-q35-7.2");
    assert_string_equal(c.os.loader, data_path("OVMF_CODE.fd"));
    assert_int_equal(c.os.loader_type, KEEL_LOADER_PFLASH);
    assert_true(c.os.loader_readonly);
    assert_int_equal(c.os.nr_boot, 4);
    assert_int_equal(c.os.boot[3], KEEL_BOOT_FD);
    assert_int_equal(c.sockets * c.cores * c.threads, 4);
    keel_domconfig_free(&c);
}

static void test_good_everything(void **state)
{
    struct keel_domconfig c;

    load_good("10-everything.xml", &c);
    assert_int_equal(c.cpuset, 0x6);
    assert_int_equal(c.current_memory, 512ull << 20);
    assert_false(c.os.loader_readonly);
    assert_int_equal(c.os.loader_type, KEEL_LOADER_ROM);
    assert_int_equal(c.os.nr_boot, 1);
    assert_int_equal(c.nr_disks, 2);
    assert_int_equal(c.disks[1].bus, KEEL_BUS_SCSI);
    assert_int_equal(c.nets[0].model, KEEL_NET_E1000E);
    assert_int_equal(c.graphics[0].port, 5900);
    assert_int_equal(c.videos[0].model, KEEL_VIDEO_VIRTIO);
    assert_int_equal(c.nr_inputs, 2);
    keel_domconfig_free(&c);
}

/* Notes: a kvm type, and one per kind of device that is realised later. */
static void test_notes(void **state)
{
    struct keel_domconfig c;
    struct keel_diag diag;
    char buf[512];
    unsigned int later = 0;

    keel_diag_init(&diag);
    assert_int_equal(load(DATA "/good/02-direct-kernel.xml", &c, &diag), 0);
    assert_int_equal(diag.errors, 0);
    assert_int_equal(diag.notes, 1);
    assert_string_equal(keel_diag_format(&diag.items[0], buf, sizeof(buf)),
                        DATA "/good/02-direct-kernel.xml:2: note: <domain>: domain type 'kvm' "
                        "is accepted and the domain runs on Keel (hint: write type='keel' to "
                        "silence this note)");
    keel_domconfig_free(&c);
    keel_diag_free(&diag);

    assert_int_equal(load(DATA "/good/10-everything.xml", &c, &diag), 0);
    for (size_t i = 0; i < diag.count; i++)
        later += strstr(diag.items[i].message, "the device model that provides it comes later")
                 != NULL;
    assert_int_equal(later, 8);     /* emulator, disk, interface, serial, console, graphics,
                                       video, input: once each */
    assert_int_equal(diag.notes, 8);
    keel_domconfig_free(&c);
    keel_diag_free(&diag);
}

/* --- round trip ---------------------------------------------------------------------------------- */

static void round_trip(const char *path, const char *from, const char *to)
{
    struct keel_domconfig a, b, c;
    struct keel_diag diag;
    char *w1, *w2;

    keel_diag_init(&diag);
    assert_int_equal(load_subst(path, from, to, &a, &diag), 0);
    w1 = write_str(&a);
    assert_int_equal(keel_domconfig_load_mem(w1, strlen(w1), "written", &host, &b, &diag), 0);
    if (!keel_domconfig_equal(&a, &b))
        fail_msg("%s: the canonical form loads to another config:\n%s", path, w1);
    w2 = write_str(&b);
    assert_string_equal(w1, w2);
    /* Loading again changes nothing either (the UUID now comes from the text). */
    assert_int_equal(keel_domconfig_load_mem(w2, strlen(w2), "written", &host, &c, &diag), 0);
    assert_true(keel_domconfig_equal(&b, &c));
    assert_int_equal(diag.errors, 0);
    free(w1);
    free(w2);
    keel_domconfig_free(&a);
    keel_domconfig_free(&b);
    keel_domconfig_free(&c);
    keel_diag_free(&diag);
}

static void test_round_trip(void **state)
{
    unsigned int n = 0;
    struct dirent **list;
    int count = scandir(DATA "/good", &list, NULL, alphasort);

    assert_true(count > 0);
    for (int i = 0; i < count; i++) {
        char path[512];

        if (strstr(list[i]->d_name, ".xml")) {
            snprintf(path, sizeof(path), DATA "/good/%s", list[i]->d_name);
            round_trip(path, "@DATA@", data_dir());
            n++;
        }
        free(list[i]);
    }
    free(list);
    assert_true(n >= 8);
}

/* The writer's fixed form, for one config. */
static void test_canonical_form(void **state)
{
    struct keel_domconfig c;
    char *w;

    load_good("04-cpu-clock.xml", &c);
    w = write_str(&c);
    assert_string_equal(w,
        "<domain type='keel'>\n"
        "  <name>cpu-clock</name>\n"
        "  <uuid>01234567-89ab-cdef-0123-456789abcdef</uuid>\n"
        "  <memory unit='KiB'>1000000</memory>\n"
        "  <currentMemory unit='KiB'>1000000</currentMemory>\n"
        "  <vcpu placement='static'>8</vcpu>\n"
        "  <os>\n"
        "    <type arch='x86_64' machine='pc'>hvm</type>\n"
        "    <boot dev='network'/>\n"
        "  </os>\n"
        "  <cpu>\n"
        "    <topology sockets='2' cores='2' threads='2'/>\n"
        "  </cpu>\n"
        "  <clock offset='localtime'>\n"
        "    <timer name='hpet' present='no'/>\n"
        "  </clock>\n"
        "  <on_poweroff>preserve</on_poweroff>\n"
        "  <on_reboot>destroy</on_reboot>\n"
        "  <on_crash>restart</on_crash>\n"
        "  <devices>\n"
        "  </devices>\n"
        "</domain>\n");
    free(w);
    keel_domconfig_free(&c);
}

/* examples/demo.xml, with its kernel and initrd where the test data is. */
static void test_demo_example(void **state)
{
    struct keel_domconfig c;
    struct keel_diag diag;
    char dir[4200];

    snprintf(dir, sizeof(dir), "%s/", data_dir());
    keel_diag_init(&diag);
    assert_int_equal(load_subst("examples/demo.xml", "/usr/share/keel/", dir, &c, &diag), 0);
    assert_int_equal(c.vcpus, 2);
    assert_int_equal(c.memory, 256ull << 20);
    assert_string_equal(c.os.kernel, data_path("vmlinuz"));
    assert_string_equal(c.os.initrd, data_path("initrd.img"));
    assert_int_equal(c.nr_serials, 1);
    assert_int_equal(c.nr_consoles, 1);
    keel_domconfig_free(&c);
    round_trip("examples/demo.xml", "/usr/share/keel/", dir);
    keel_diag_free(&diag);
}

/* --- the bad corpus ----------------------------------------------------------------------------- */

static void read_expect(const char *xml, long *line, char *msg, size_t size)
{
    char path[512], *nl;
    FILE *f;
    int off = 0;

    snprintf(path, sizeof(path), "%.*s.expect", (int)(strlen(xml) - 4), xml);
    assert_non_null(f = fopen(path, "r"));
    assert_int_equal(fscanf(f, "%ld %n", line, &off), 1);
    assert_non_null(fgets(msg, (int)size, f));
    if ((nl = strchr(msg, '\n')))
        *nl = 0;
    fclose(f);
}

/* True when the load failed as the .expect file says; otherwise why not, on stderr. */
static bool bad_file_fails(const char *path)
{
    static const struct keel_domconfig zero;
    struct keel_domconfig c;
    struct keel_diag diag;
    char msg[256], buf[1024];
    long line;
    bool found = false;
    int r;

    read_expect(path, &line, msg, sizeof(msg));
    keel_diag_init(&diag);
    r = load(path, &c, &diag);
    for (size_t i = 0; i < diag.count; i++) {
        const struct keel_diag_item *it = &diag.items[i];

        found |= it->severity == KEEL_DIAG_ERROR && it->line == line &&
                 strstr(keel_diag_format(it, buf, sizeof(buf)), msg);
    }
    /* A failed load leaves nothing in the config (and ASan checks nothing leaked). */
    found &= r == -EINVAL && diag.errors > 0 && !memcmp(&c, &zero, sizeof(c));
    if (!found) {
        fprintf(stderr, "%s: wanted line %ld '%s', load returned %d with:\n", path, line, msg, r);
        keel_diag_print(&diag, stderr);
    }
    if (!r)
        keel_domconfig_free(&c);
    keel_diag_free(&diag);
    return found;
}

static void test_bad_corpus(void **state)
{
    unsigned int n = 0, failed = 0;
    struct dirent **list;
    int count = scandir(DATA "/bad", &list, NULL, alphasort);

    assert_true(count > 0);
    for (int i = 0; i < count; i++) {
        size_t len = strlen(list[i]->d_name);
        char path[512];

        if (len > 4 && !strcmp(list[i]->d_name + len - 4, ".xml")) {
            snprintf(path, sizeof(path), DATA "/bad/%s", list[i]->d_name);
            failed += !bad_file_fails(path);
            n++;
        }
        free(list[i]);
    }
    free(list);
    assert_true(n >= 50);
    assert_int_equal(failed, 0);
}

/* The first pass reports every unsupported element, each on its line, and stops there. */
static void test_all_unsupported_named(void **state)
{
    static const char xml[] =
        "<domain type='keel'>\n"
        "  <name>x</name>\n"
        "  <blkiotune/>\n"
        "  <memoryBacking/>\n"
        "  <vcpu>0</vcpu>\n"
        "</domain>\n";
    struct keel_domconfig c;
    struct keel_diag diag;
    char buf[512];

    keel_diag_init(&diag);
    assert_int_equal(keel_domconfig_load_mem(xml, sizeof(xml) - 1, "t.xml", &host, &c, &diag),
                     -EINVAL);
    assert_int_equal(diag.errors, 2);           /* not the vCPU count: later passes never ran */
    assert_string_equal(keel_diag_format(&diag.items[0], buf, sizeof(buf)),
                        "t.xml:3: error: <blkiotune>: element <blkiotune> is not supported by "
                        "Keel");
    assert_int_equal(diag.items[1].line, 4);
    assert_string_equal(diag.items[1].path, "/domain/memoryBacking");
    keel_diag_free(&diag);
}

static void test_missing_file(void **state)
{
    struct keel_domconfig c;
    struct keel_diag diag;

    keel_diag_init(&diag);
    assert_int_equal(keel_domconfig_load(DATA "/no-such.xml", &host, &c, &diag), -ENOENT);
    assert_int_equal(diag.errors, 1);
    assert_non_null(strstr(diag.items[0].message, "cannot open"));
    keel_diag_free(&diag);
}

/* The file loader and the memory loader agree. */
static void test_load_file(void **state)
{
    struct keel_domconfig c;
    struct keel_diag diag;

    keel_diag_init(&diag);
    assert_int_equal(keel_domconfig_load(DATA "/good/01-minimal.xml", NULL, &c, &diag), 0);
    assert_string_equal(c.name, "minimal");
    keel_domconfig_free(&c);
    assert_int_equal(keel_domconfig_load(DATA "/bad/05-unsupported-element.xml", NULL, &c,
                                         &diag), -EINVAL);
    assert_int_equal(diag.items[diag.count - 1].line, 5);
    keel_diag_free(&diag);
}

/* --- value syntax --------------------------------------------------------------------------------- */

static void check_mem(const char *v, const char *unit, uint64_t want)
{
    uint64_t got = 0;

    assert_int_equal(keel_parse_memory(v, unit, &got), 0);
    assert_int_equal(got, want);
}

static void test_memory_units(void **state)
{
    uint64_t b;

    check_mem("2048", NULL, 2048ull << 10);
    check_mem("2048", "b", 2048);
    check_mem("2048", "bytes", 2048);
    check_mem("1", "b", 1024);                  /* whole KiB, rounded up */
    check_mem("3", "KB", 3072);                 /* 3000 bytes -> 3 KiB */
    check_mem("4", "k", 4096);
    check_mem("4", "KiB", 4096);
    check_mem("1", "MB", 1000448);              /* 1000000 rounded up to KiB */
    check_mem("5", "M", 5ull << 20);
    check_mem("5", "MiB", 5ull << 20);
    check_mem("2", "GB", 2000000000ull);
    check_mem("2", "G", 2ull << 30);
    check_mem("2", "GiB", 2ull << 30);
    check_mem("1", "TB", 1000000000000ull);
    check_mem("1", "T", 1ull << 40);
    check_mem("1", "TiB", 1ull << 40);
    assert_int_equal(keel_parse_memory("1", "kib", &b), -EINVAL);
    assert_int_equal(keel_parse_memory("1", "", &b), -EINVAL);
    assert_int_equal(keel_parse_memory("", "KiB", &b), -EINVAL);
    assert_int_equal(keel_parse_memory("1 ", "KiB", &b), -EINVAL);
    assert_int_equal(keel_parse_memory("+1", "KiB", &b), -EINVAL);
    assert_int_equal(keel_parse_memory("18446744073709551616", "b", &b), -ERANGE);
    assert_int_equal(keel_parse_memory("16777216", "TiB", &b), -ERANGE);
    assert_int_equal(keel_parse_memory("18446744073709551615", "b", &b), -ERANGE);
}

static void test_cpuset(void **state)
{
    uint64_t m;
    char buf[256];

    assert_int_equal(keel_parse_cpuset("0-3,^2,5", 8, &m), 0);
    assert_int_equal(m, 0x2b);
    assert_int_equal(keel_parse_cpuset("7", 8, &m), 0);
    assert_int_equal(m, 0x80);
    assert_int_equal(keel_parse_cpuset("0-63", 64, &m), 0);
    assert_int_equal(m, UINT64_MAX);
    assert_int_equal(keel_parse_cpuset("0-63,^0-1", 100, &m), -EINVAL);    /* ^ takes one CPU */
    assert_int_equal(keel_parse_cpuset("1, 3", 8, &m), 0);
    assert_int_equal(m, 0xa);
    assert_int_equal(keel_parse_cpuset("8", 8, &m), -ERANGE);
    assert_int_equal(keel_parse_cpuset("64", 100, &m), -ERANGE);
    assert_int_equal(keel_parse_cpuset("", 8, &m), -EINVAL);
    assert_int_equal(keel_parse_cpuset(",1", 8, &m), -EINVAL);
    assert_int_equal(keel_parse_cpuset("1,", 8, &m), -EINVAL);
    assert_int_equal(keel_parse_cpuset("a", 8, &m), -EINVAL);
    assert_int_equal(keel_parse_cpuset("2-1", 8, &m), -EINVAL);
    assert_int_equal(keel_parse_cpuset("99999999999", 8, &m), -ERANGE);
    keel_format_cpuset(0x2b, buf, sizeof(buf));
    assert_string_equal(buf, "0-1,3,5");
    keel_format_cpuset(UINT64_MAX, buf, sizeof(buf));
    assert_string_equal(buf, "0-63");
    keel_format_cpuset(0x8000000000000001ull, buf, sizeof(buf));
    assert_string_equal(buf, "0,63");
    keel_format_cpuset(0, buf, sizeof(buf));
    assert_string_equal(buf, "");
}

static void test_uuid(void **state)
{
    uint8_t u[16];
    char buf[37];

    assert_int_equal(keel_parse_uuid("4dea22b3-1d52-d8f3-2516-782e98ab3fa0", u), 0);
    keel_format_uuid(u, buf);
    assert_string_equal(buf, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
    assert_int_equal(keel_parse_uuid("4DEA22B31D52D8F32516782E98AB3FA0", u), 0);
    keel_format_uuid(u, buf);
    assert_string_equal(buf, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
    assert_int_equal(keel_parse_uuid("4dea22b3-1d52-d8f3-2516-782e98ab3fa", u), -EINVAL);
    assert_int_equal(keel_parse_uuid("4dea22b31-d52-d8f3-2516-782e98ab3fa0", u), -EINVAL);
    assert_int_equal(keel_parse_uuid("4dea22b3-1d52-d8f3-2516-782e98ab3fag", u), -EINVAL);
    assert_int_equal(keel_parse_uuid("4dea22b3-1d52-d8f3-2516+782e98ab3fa0", u), -EINVAL);
    assert_int_equal(keel_parse_uuid("", u), -EINVAL);
}

static int teardown_all(void **state)
{
    keel_domconfig_cleanup();
    xmlCleanupParser();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_minimal),
        cmocka_unit_test(test_good_direct_kernel),
        cmocka_unit_test(test_good_units),
        cmocka_unit_test(test_good_cpu_clock),
        cmocka_unit_test(test_good_disks),
        cmocka_unit_test(test_good_network),
        cmocka_unit_test(test_good_serial_console),
        cmocka_unit_test(test_good_display),
        cmocka_unit_test(test_good_firmware),
        cmocka_unit_test(test_good_everything),
        cmocka_unit_test(test_notes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_canonical_form),
        cmocka_unit_test(test_demo_example),
        cmocka_unit_test(test_bad_corpus),
        cmocka_unit_test(test_all_unsupported_named),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_memory_units),
        cmocka_unit_test(test_cpuset),
        cmocka_unit_test(test_uuid),
    };

    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
