"""firmware/linux.c over Debian's real kernel (build/linux/vmlinuz), checked by independent code:
this file reads the setup header with Python's struct at the offsets of the Linux/x86 boot
protocol document, takes the kernel release from the package apt chose (build/linux/VERSION), and
checks the zero page build/fw/fw_bzimage_info fills for a 256 MiB guest field by field."""
import os
import re
import struct
import subprocess

import pytest

from emulators import BUILD, image

VMLINUZ = os.path.join(BUILD, "linux", "vmlinuz")
INITRD = os.path.join(BUILD, "linux", "initramfs.cpio.gz")
MIB = 1 << 20
# The guest map for 256 MiB as firmware/README.md describes it: (address, size, type).
MAP_256M = [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xe0000, 0x20000, 2),
            (MIB, 256 * MIB - MIB, 1),
            (0xfec00000, 0x1000, 2), (0xfed00000, 0x1000, 2), (0xfee00000, 0x1000, 2)]
CMDLINE_GPA, CMDLINE_LEN, RSDP_GPA = 0x20000, 13, 0xe0000     # as fw_bzimage_info passes them


def header(img):
    """The setup header fields, straight from the documented offsets."""
    u8, u16, u32, u64 = (lambda off, f=f: struct.unpack_from(f, img, off)[0]
                         for f in ("<B", "<H", "<I", "<Q"))
    sects = u8(0x1f1) or 4
    version_ptr = u16(0x20e)
    version_string = img[version_ptr + 0x200:].split(b"\0", 1)[0].decode() if version_ptr else ""
    return {
        "magic": img[0x202:0x206], "boot_flag": u16(0x1fe), "loadflags": u8(0x211),
        "syssize": u32(0x1f4), "version": u16(0x206), "setup_sects": sects,
        "hdr_end": 0x202 + img[0x201], "pm_offset": (sects + 1) * 512,
        "pm_size": len(img) - (sects + 1) * 512, "pref_address": u64(0x258),
        "init_size": u32(0x260), "kernel_alignment": u32(0x230), "relocatable": u8(0x234),
        "cmdline_size": u32(0x238), "initrd_addr_max": u32(0x22c), "xloadflags": u16(0x236),
        "kernel_version": version_string,
    }


def released_as():
    with open(os.path.join(BUILD, "linux", "VERSION")) as f:
        return re.search(r"^linux-image-(\d\S*) ", f.read(), re.M).group(1)


@pytest.mark.tier("unit")
def test_fw_linux_real_bzimage():
    if not os.path.exists(VMLINUZ):
        pytest.skip("no build/linux/vmlinuz: `make linux-kit` builds it")
    with open(VMLINUZ, "rb") as f:
        img = f.read()
    want = header(img)
    initrd_size = os.path.getsize(INITRD)
    zero_page = os.path.join(BUILD, "fw", "linux-zero-page.bin")
    proc = subprocess.run([image("fw/fw_bzimage_info"), VMLINUZ, str(initrd_size), zero_page],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout
    got = dict(line.split("=", 1) for line in proc.stdout.splitlines())

    # It is a protocol 2.12+ bzImage, and the parser says what struct reads.
    assert (want["magic"], want["boot_flag"], want["loadflags"] & 1) == (b"HdrS", 0xaa55, 1)
    assert want["version"] >= 0x020c and want["syssize"] * 16 <= want["pm_size"]
    for key in ("version", "setup_sects", "hdr_end", "pm_offset", "pm_size", "pref_address",
                "init_size", "kernel_alignment", "relocatable", "cmdline_size",
                "initrd_addr_max", "xloadflags"):
        assert int(got[key], 0) == want[key], f"{key}: parsed {got[key]}, header has {want[key]:#x}"
    assert got["kernel_version"] == want["kernel_version"]
    assert got["kernel_version"].startswith(released_as() + " "), got["kernel_version"]

    # A relocatable kernel loads where it prefers; the initrd at the top of RAM, above it.
    kernel = int(got["kernel_gpa"], 0)
    assert want["relocatable"] and kernel == want["pref_address"]
    initrd = int(got["initrd_gpa"], 0)
    assert initrd == (min(want["initrd_addr_max"] + 1, 256 * MIB) - initrd_size) & ~0xfff
    assert initrd >= kernel + want["init_size"]
    check_zero_page(zero_page, img, want, kernel, initrd, initrd_size)


def check_zero_page(path, img, want, kernel, initrd, initrd_size):
    with open(path, "rb") as f:
        zp = f.read()
    assert len(zp) == 4096
    u8 = lambda off: zp[off]
    u16, u32, u64 = (lambda off, f=f: struct.unpack_from(f, zp, off)[0] for f in ("<H", "<I", "<Q"))
    written = {0x210: 1, 0x211: 1, 0x214: 4, 0x218: 4, 0x21c: 4, 0x224: 2, 0x228: 4, 0x23c: 4}
    for off in range(0x1f1, want["hdr_end"]):         # the rest of the header is the image's
        if not any(start <= off < start + n for start, n in written.items()):
            assert zp[off] == img[off], f"zero page byte {off:#x} differs from the image"
    assert (u8(0x210), u8(0x211), u16(0x224)) == (0xff, want["loadflags"] | 0x81, 0xde00)
    assert (u32(0x214), u32(0x23c)) == (kernel, 0)
    assert (u32(0x228), u32(0x0c8)) == (CMDLINE_GPA, 0)
    assert (u32(0x218), u32(0x0c0), u32(0x21c), u32(0x0c4)) == (initrd, 0, initrd_size, 0)
    assert u64(0x070) == RSDP_GPA
    assert u8(0x1e8) == len(MAP_256M)
    table = [struct.unpack_from("<QQI", zp, 0x2d0 + 20 * i) for i in range(len(MAP_256M))]
    assert table == MAP_256M
    assert zp[0x2d0 + 20 * len(MAP_256M):] == bytes(4096 - 0x2d0 - 20 * len(MAP_256M))
    assert zp[want["hdr_end"]:0x2d0] == bytes(0x2d0 - want["hdr_end"])
    others = [(0, 0x70), (0x78, 0xc0), (0xcc, 0x1e8), (0x1e9, 0x1f1)]
    assert all(zp[a:b] == bytes(b - a) for a, b in others), "bytes the loader does not own"
