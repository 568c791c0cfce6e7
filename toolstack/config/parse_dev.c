/*
 * The semantic pass over <devices>. Every device is read and checked now; the device model
 * that realises them comes later, and the loader says so in a note per kind of device.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "domconfig_priv.h"

#define LATER "the device model that provides it comes later"

/* An optional enumerated attribute: dflt when absent, -1 after an error. */
static int attr_word(struct load_ctx *c, xmlNodePtr n, const char *attr, const char *what,
                     const struct word *words, int dflt)
{
    const char *s = ctx_attr(c, n, attr);

    return s ? ctx_word(c, n, what, s, words) : dflt;
}

/* A required one: -1 after an error. */
static int need_word(struct load_ctx *c, xmlNodePtr n, const char *attr, const char *what,
                     const struct word *words)
{
    const char *s = ctx_attr(c, n, attr);
    char list[160], hint[200];

    if (s)
        return ctx_word(c, n, what, s, words);
    word_list(words, list, sizeof(list));
    snprintf(hint, sizeof(hint), "write %s= one of %s", attr, list);
    ctx_error(c, n, hint, "<%s> has no %s attribute", (const char *)n->name, attr);
    return -1;
}

/* --- disks ---------------------------------------------------------------------------------- */

static bool target_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 3 || n > 8 || !strchr("vhs", s[0]) || s[1] != 'd')
        return false;
    for (size_t i = 2; i < n; i++)
        if (!islower((unsigned char)s[i]))
            return false;
    return true;
}

static void disk_source(struct load_ctx *c, xmlNodePtr n, struct keel_disk *d)
{
    const char *attr = d->type == KEEL_DISK_FILE ? "file" : "dev";
    xmlNodePtr src = child(n, "source");
    const char *path = ctx_attr(c, src, attr);
    char hint[96];

    snprintf(hint, sizeof(hint), "write <source %s='/path'/>", attr);
    if (src && !path)
        ctx_error(c, src, hint, "a %s disk's <source> needs %s=", word_name(words_disk_type,
                  d->type), attr);
    else if (!src && d->device == KEEL_DISK_DISK)
        ctx_error(c, n, hint, "the disk has no <source>");
    if (!path)
        return;
    check_file(c, src, "disk source", path, d->type == KEEL_DISK_FILE ? FILE_DISK : FILE_BLOCK);
    d->source = ctx_strdup(c, path);
}

static void disk_target(struct load_ctx *c, xmlNodePtr n, struct keel_disk *d, unsigned int idx)
{
    xmlNodePtr t = child(n, "target");
    const char *dev = ctx_attr(c, t, "dev");
    int v;

    if (!t || !dev) {
        ctx_error(c, t ? t : n, "write e.g. <target dev='vda' bus='virtio'/>",
                  "the disk has no target dev");
        return;
    }
    if (!target_name_ok(dev)) {
        ctx_error(c, t, "write vd, hd or sd and a letter: vda, hdc, sdb",
                  "target dev '%s' is not a disk name", dev);
        return;
    }
    for (unsigned int i = 0; i < idx; i++)
        if (c->cfg->disks[i].target && !strcmp(c->cfg->disks[i].target, dev))
            ctx_error(c, t, "give each disk its own target dev",
                      "target dev '%s' is already used by another disk", dev);
    d->target = ctx_strdup(c, dev);
    /* As in libvirt, the name's prefix chooses the bus when none is given. */
    v = dev[0] == 'v' ? KEEL_BUS_VIRTIO : dev[0] == 'h' ? KEEL_BUS_IDE : KEEL_BUS_SCSI;
    if ((v = attr_word(c, t, "bus", "disk bus", words_disk_bus, v)) >= 0)
        d->bus = v;
}

static void parse_disk(struct load_ctx *c, xmlNodePtr n, struct keel_disk *d, unsigned int idx)
{
    xmlNodePtr drv = child(n, "driver");
    const char *dname = ctx_attr(c, drv, "name");
    int v;

    if ((v = attr_word(c, n, "type", "disk type", words_disk_type, KEEL_DISK_FILE)) >= 0)
        d->type = v;
    if ((v = attr_word(c, n, "device", "disk device", words_disk_device, KEEL_DISK_DISK)) >= 0)
        d->device = v;
    if (dname && strcmp(dname, "qemu"))
        ctx_error(c, drv, "write <driver name='qemu' type='raw'/> or leave the name out",
                  "driver name '%s' is not supported", dname);
    if ((v = attr_word(c, drv, "type", "disk format", words_disk_format, KEEL_DISK_RAW)) >= 0)
        d->format = v;
    disk_source(c, n, d);
    disk_target(c, n, d, idx);
    d->readonly = child(n, "readonly") || d->device == KEEL_DISK_CDROM;
}

/* --- network interfaces ----------------------------------------------------------------------- */

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
            (i < 5 ? s[2] != ':' : s[2] != 0))
            return -1;
        mac[i] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
        s += 3;
    }
    return 0;
}

static void net_source(struct load_ctx *c, xmlNodePtr n, struct keel_net *net)
{
    xmlNodePtr src = child(n, "source");
    const char *attr = net->type == KEEL_NET_NETWORK ? "network" : "bridge";
    const char *name = ctx_attr(c, src, attr);
    char hint[96];

    if (net->type == KEEL_NET_USER) {
        if (src)
            ctx_error(c, src, "remove the <source>", "a user interface takes no <source>");
        return;
    }
    snprintf(hint, sizeof(hint), "write <source %s='%s'/>", attr,
             net->type == KEEL_NET_NETWORK ? "default" : "br0");
    if (!name || !*name) {
        ctx_error(c, src ? src : n, hint, "a %s interface needs <source %s=...>", attr, attr);
        return;
    }
    net->source = ctx_strdup(c, name);
}

static void parse_net(struct load_ctx *c, xmlNodePtr n, struct keel_net *net)
{
    xmlNodePtr mac = child(n, "mac");
    const char *addr = ctx_attr(c, mac, "address");
    int v;

    if ((v = need_word(c, n, "type", "interface type", words_net_type)) < 0)
        return;
    net->type = v;
    net_source(c, n, net);
    if ((v = attr_word(c, child(n, "model"), "type", "network model", words_net_model,
                       KEEL_NET_VIRTIO)) >= 0)
        net->model = v;
    if (!mac)
        return;
    if (!addr || parse_mac(addr, net->mac))
        ctx_error(c, mac, "write six hex pairs: <mac address='52:54:00:12:34:56'/>",
                  "'%s' is not a MAC address", addr ? addr : "");
    else if (net->mac[0] & 1)
        ctx_error(c, mac, "clear the lowest bit of the first byte, e.g. 52:54:00:...",
                  "%s is a multicast address", addr);
    else
        net->has_mac = true;
}

/* --- serial ports and consoles ----------------------------------------------------------------- */

static void parse_chr(struct load_ctx *c, xmlNodePtr n, struct keel_chardev *ch, bool console)
{
    xmlNodePtr src = child(n, "source"), tgt = child(n, "target");
    const char *path = ctx_attr(c, src, "path"), *port = ctx_attr(c, tgt, "port");
    int v;

    if ((v = need_word(c, n, "type", console ? "console type" : "serial type",
                       words_chr_type)) < 0)
        return;
    ch->type = v;
    if (ch->type == KEEL_CHR_FILE && !path)
        ctx_error(c, src ? src : n, "write <source path='/var/log/keel/name.log'/>",
                  "a file %s needs <source path=...>", (const char *)n->name);
    else if (ch->type == KEEL_CHR_FILE)
        check_file(c, src, "output file", path, FILE_OUTPUT);
    else if (src)
        ctx_error(c, src, "remove the <source>", "a %s %s takes no <source>",
                  word_name(words_chr_type, ch->type), (const char *)n->name);
    ch->path = ch->type == KEEL_CHR_FILE ? ctx_strdup(c, path) : NULL;
    if (port && parse_uint(port, console ? 0xffff : 3, &ch->port))
        ctx_error(c, tgt, console ? "write a port number" : "serial ports are 0 to 3",
                  "target port '%s' is not supported", port);
    if (console && (v = attr_word(c, tgt, "type", "console target", words_chr_target,
                                  KEEL_CHR_TARGET_SERIAL)) >= 0)
        ch->target = v;
}

static void check_serial_ports(struct load_ctx *c, xmlNodePtr devices)
{
    unsigned int i = 0;

    for (xmlNodePtr n = devices->children; n; n = n->next) {
        if (!is_element(n, "serial"))
            continue;
        for (unsigned int j = 0; j < i; j++)
            if (c->cfg->serials[j].port == c->cfg->serials[i].port)
                ctx_error(c, n, "give each serial its own <target port='N'/>",
                          "serial port %u is already used", c->cfg->serials[i].port);
        i++;
    }
}

/* --- graphics, video, input -------------------------------------------------------------------- */

static void parse_graphics(struct load_ctx *c, xmlNodePtr n, struct keel_graphics *g)
{
    const char *port = ctx_attr(c, n, "port"), *autoport = ctx_attr(c, n, "autoport");
    const char *listen = ctx_attr(c, n, "listen");
    unsigned int p;
    int v;

    g->port = -1;
    if ((v = need_word(c, n, "type", "graphics type", words_gfx_type)) < 0)
        return;
    g->type = v;
    if (g->type == KEEL_GFX_NONE && (port || autoport || listen)) {
        ctx_error(c, n, "remove port, autoport and listen", "type='none' takes no other attribute");
        return;
    }
    if (autoport && strcmp(autoport, "yes") && strcmp(autoport, "no"))
        ctx_error(c, n, "write autoport='yes' or autoport='no'",
                  "autoport='%s' is neither yes nor no", autoport);
    if (port && strcmp(port, "-1") && (parse_uint(port, 65535, &p) || p < 5900))
        ctx_error(c, n, "write a port from 5900 to 65535, or port='-1' for any free one",
                  "port '%s' is not supported", port);
    else if (port && strcmp(port, "-1"))
        g->port = (int)p;
    if (g->port >= 0 && autoport && !strcmp(autoport, "yes"))
        ctx_error(c, n, "remove the port, or write autoport='no'",
                  "port %d and autoport='yes' disagree", g->port);
    if (autoport && !strcmp(autoport, "no") && g->port < 0)
        ctx_error(c, n, "give a port, or write autoport='yes'", "autoport='no' needs a port");
    if (listen && (!*listen || strpbrk(listen, " \t'\"<>&")))
        ctx_error(c, n, "write an address such as 127.0.0.1", "listen '%s' is not an address",
                  listen);
    else if (listen)
        g->listen = ctx_strdup(c, listen);
}

static void parse_video(struct load_ctx *c, xmlNodePtr n, struct keel_video *vd)
{
    xmlNodePtr m = child(n, "model");
    const char *vram = ctx_attr(c, m, "vram"), *heads = ctx_attr(c, m, "heads");
    int v;

    vd->heads = 1;
    if ((v = attr_word(c, m, "type", "video model", words_video_model, KEEL_VIDEO_VGA)) >= 0)
        vd->model = v;
    if (vram && (parse_uint(vram, 1u << 20, &vd->vram_kib) || vd->vram_kib < 1024))
        ctx_error(c, m, "give video memory in KiB, from 1024 to 1048576, e.g. vram='16384'",
                  "vram '%s' is not supported", vram);
    if (heads && (parse_uint(heads, 4, &vd->heads) || !vd->heads))
        ctx_error(c, m, "give 1 to 4 heads", "heads '%s' is not supported", heads);
}

static void parse_input(struct load_ctx *c, xmlNodePtr n, struct keel_input *in)
{
    int v;

    if ((v = need_word(c, n, "type", "input type", words_input_type)) < 0)
        return;
    in->type = v;
    v = in->type == KEEL_INPUT_TABLET ? KEEL_INPUT_USB : KEEL_INPUT_PS2;
    if ((v = attr_word(c, n, "bus", "input bus", words_input_bus, v)) < 0)
        return;
    in->bus = v;
    if (in->type == KEEL_INPUT_TABLET && in->bus == KEEL_INPUT_PS2)
        ctx_error(c, n, "write bus='usb' or bus='virtio'", "a tablet cannot be on the ps2 bus");
}

/* --- the walk ------------------------------------------------------------------------------------ */

#define ALLOC(c, devices, name, ptr, nr)                                        \
    do {                                                                        \
        (nr) = count_children(devices, name);                                   \
        if ((nr) && !((ptr) = calloc((nr), sizeof(*(ptr)))))                    \
            (c)->oom = 1, (nr) = 0;                                             \
    } while (0)

static void alloc_devices(struct load_ctx *c, xmlNodePtr devices)
{
    struct keel_domconfig *cfg = c->cfg;

    ALLOC(c, devices, "disk", cfg->disks, cfg->nr_disks);
    ALLOC(c, devices, "interface", cfg->nets, cfg->nr_nets);
    ALLOC(c, devices, "serial", cfg->serials, cfg->nr_serials);
    ALLOC(c, devices, "console", cfg->consoles, cfg->nr_consoles);
    ALLOC(c, devices, "graphics", cfg->graphics, cfg->nr_graphics);
    ALLOC(c, devices, "video", cfg->videos, cfg->nr_videos);
    ALLOC(c, devices, "input", cfg->inputs, cfg->nr_inputs);
}

/* One note per kind of device: the first of each kind carries it. */
static void note_later(struct load_ctx *c, xmlNodePtr n, unsigned int idx)
{
    const char *name = (const char *)n->name;

    if (idx)
        return;
    if (!strcmp(name, "serial") || !strcmp(name, "console"))
        ctx_note(c, n, NULL, "<%s> is parsed and checked; the guest's console is its COM1 now "
                 "(keel console NAME), whatever the element says; %s", name, LATER);
    else
        ctx_note(c, n, NULL, "<%s> is parsed and checked; %s", name, LATER);
}

static const char *const device_kinds[] = { "disk", "interface", "serial", "console",
                                            "graphics", "video", "input" };
#define NR_KINDS (sizeof(device_kinds) / sizeof(device_kinds[0]))

static void parse_one(struct load_ctx *c, xmlNodePtr n, unsigned int idx[NR_KINDS])
{
    struct keel_domconfig *cfg = c->cfg;
    const unsigned int nr[NR_KINDS] = { cfg->nr_disks, cfg->nr_nets, cfg->nr_serials,
                                        cfg->nr_consoles, cfg->nr_graphics, cfg->nr_videos,
                                        cfg->nr_inputs };
    unsigned int k = 0, i;

    while (k < NR_KINDS && !is_element(n, device_kinds[k]))
        k++;
    if (k == NR_KINDS || idx[k] >= nr[k])
        return;
    i = idx[k]++;
    note_later(c, n, i);
    switch (k) {
    case 0: parse_disk(c, n, &cfg->disks[i], i); break;
    case 1: parse_net(c, n, &cfg->nets[i]); break;
    case 2: parse_chr(c, n, &cfg->serials[i], false); break;
    case 3: parse_chr(c, n, &cfg->consoles[i], true); break;
    case 4: parse_graphics(c, n, &cfg->graphics[i]); break;
    case 5: parse_video(c, n, &cfg->videos[i]); break;
    default: parse_input(c, n, &cfg->inputs[i]); break;
    }
}

void parse_devices(struct load_ctx *c, xmlNodePtr devices)
{
    xmlNodePtr emu = child(devices, "emulator");
    unsigned int idx[NR_KINDS] = { 0 };

    if (emu) {
        ctx_note(c, emu, NULL, "<emulator> is checked and recorded; %s", LATER);
        check_file(c, emu, "emulator", ctx_text(c, emu), FILE_EXEC);
        c->cfg->emulator = ctx_strdup(c, ctx_text(c, emu));
    }
    alloc_devices(c, devices);
    for (xmlNodePtr n = devices->children; n; n = n->next)
        parse_one(c, n, idx);
    if (c->cfg->serials)
        check_serial_ports(c, devices);
}
