/*
 * The words each enumerated value is written as, in libvirt's spelling. The first word of a
 * value is the one the canonical writer uses.
 */
#include <stdio.h>
#include <string.h>

#include "domconfig_priv.h"

const struct word words_dom_type[] = {
    { "keel", KEEL_DOMTYPE_KEEL }, { "kvm", KEEL_DOMTYPE_KVM }, { "xen", KEEL_DOMTYPE_XEN },
    { NULL, 0 } };
const struct word words_arch[] = { { "x86_64", KEEL_ARCH_X86_64 }, { "i686", KEEL_ARCH_I686 },
                                   { NULL, 0 } };
const struct word words_boot[] = {
    { "hd", KEEL_BOOT_HD }, { "cdrom", KEEL_BOOT_CDROM }, { "network", KEEL_BOOT_NETWORK },
    { "fd", KEEL_BOOT_FD }, { NULL, 0 } };
const struct word words_loader_type[] = { { "rom", KEEL_LOADER_ROM },
                                          { "pflash", KEEL_LOADER_PFLASH }, { NULL, 0 } };
const struct word words_clock[] = { { "utc", KEEL_CLOCK_UTC },
                                    { "localtime", KEEL_CLOCK_LOCALTIME }, { NULL, 0 } };
const struct word words_lifecycle[] = {
    { "destroy", KEEL_LC_DESTROY }, { "restart", KEEL_LC_RESTART },
    { "preserve", KEEL_LC_PRESERVE }, { NULL, 0 } };
const struct word words_disk_type[] = { { "file", KEEL_DISK_FILE }, { "block", KEEL_DISK_BLOCK },
                                        { NULL, 0 } };
const struct word words_disk_device[] = { { "disk", KEEL_DISK_DISK },
                                          { "cdrom", KEEL_DISK_CDROM }, { NULL, 0 } };
const struct word words_disk_format[] = { { "raw", KEEL_DISK_RAW }, { "qcow2", KEEL_DISK_QCOW2 },
                                          { NULL, 0 } };
const struct word words_disk_bus[] = {
    { "virtio", KEEL_BUS_VIRTIO }, { "ide", KEEL_BUS_IDE }, { "sata", KEEL_BUS_SATA },
    { "scsi", KEEL_BUS_SCSI }, { NULL, 0 } };
const struct word words_net_type[] = {
    { "network", KEEL_NET_NETWORK }, { "bridge", KEEL_NET_BRIDGE }, { "user", KEEL_NET_USER },
    { NULL, 0 } };
const struct word words_net_model[] = {
    { "virtio", KEEL_NET_VIRTIO }, { "e1000", KEEL_NET_E1000 }, { "e1000e", KEEL_NET_E1000E },
    { "rtl8139", KEEL_NET_RTL8139 }, { NULL, 0 } };
const struct word words_chr_type[] = {
    { "pty", KEEL_CHR_PTY }, { "file", KEEL_CHR_FILE }, { "stdio", KEEL_CHR_STDIO },
    { NULL, 0 } };
const struct word words_chr_target[] = { { "serial", KEEL_CHR_TARGET_SERIAL },
                                         { "virtio", KEEL_CHR_TARGET_VIRTIO }, { NULL, 0 } };
const struct word words_gfx_type[] = {
    { "vnc", KEEL_GFX_VNC }, { "spice", KEEL_GFX_SPICE }, { "none", KEEL_GFX_NONE },
    { NULL, 0 } };
const struct word words_video_model[] = {
    { "vga", KEEL_VIDEO_VGA }, { "cirrus", KEEL_VIDEO_CIRRUS }, { "virtio", KEEL_VIDEO_VIRTIO },
    { "qxl", KEEL_VIDEO_QXL }, { "bochs", KEEL_VIDEO_BOCHS }, { "none", KEEL_VIDEO_NONE },
    { NULL, 0 } };
const struct word words_input_type[] = {
    { "mouse", KEEL_INPUT_MOUSE }, { "tablet", KEEL_INPUT_TABLET },
    { "keyboard", KEEL_INPUT_KEYBOARD }, { NULL, 0 } };
const struct word words_input_bus[] = {
    { "ps2", KEEL_INPUT_PS2 }, { "usb", KEEL_INPUT_USB }, { "virtio", KEEL_INPUT_VIRTIO },
    { NULL, 0 } };

int word_lookup(const struct word *words, const char *name)
{
    for (; name && words->name; words++)
        if (!strcmp(words->name, name))
            return words->value;
    return -1;
}

const char *word_name(const struct word *words, int value)
{
    for (; words->name; words++)
        if (words->value == value)
            return words->name;
    return "?";
}

void word_list(const struct word *words, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = 0;
    for (const struct word *w = words; w->name && n < size; w++)
        n += snprintf(buf + n, size - n, "%s'%s'", w == words ? "" : w[1].name ? ", " : " or ",
                      w->name);
}
