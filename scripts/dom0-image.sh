#!/bin/sh
# dom0-image.sh OUT_DIR LINUX_DIR
# Builds dom0's image from Debian's packages, next to the Linux kit in LINUX_DIR (its kernel):
#   OUT_DIR/keel.ko      the driver, built against linux-headers of the kit's kernel version
#   OUT_DIR/initrd.gz    busybox, the kernel's NIC and disk drivers, keel.ko, the toolstack
#                        (keel; keel-evtchn-echo and keel-peek for the tests), xz, and
#                        toolstack/dom0/init as /init
#   OUT_DIR/disk.img     8 MiB whose first sector holds "KEEL-DISK-MARKER" (the system test's disk)
#   OUT_DIR/VERSION      the packages used
# The headers are unpacked under OUT_DIR/headers; nothing is installed on the build machine.
set -eu
out=$1 kit=$2
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-/usr/bin/python3}
debs=$kit/debs
work=$out/work

. "$root/scripts/debs.sh"

kpkg=$(kernel_package)
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 with apt-cache: run 'apt-get update' as root"
release=${kpkg#linux-image-}                # 6.1.0-56-amd64
flavour=${release##*-}                      # amd64
abi=${release%-"$flavour"}                  # 6.1.0-56
kbuild=linux-kbuild-$(echo "$abi" | cut -d. -f1-2)
mkdir -p "$debs" "$work"

# The headers, unpacked where they can be used in place (one absolute include to fix).
headers=$out/headers
hdir=$headers/usr/src/linux-headers-$release
if [ ! -f "$hdir/.keel-ready" ]; then
    rm -rf "$headers"
    mkdir -p "$headers"
    for p in "linux-headers-$release" "linux-headers-$abi-common" "$kbuild"; do
        dpkg-deb -x "$(fetch "$p")" "$headers"
    done
    sed -i "s|^include /usr/src/|include $(cd "$headers" && pwd)/usr/src/|" "$hdir/Makefile"
    touch "$hdir/.keel-ready"
fi

# keel.ko, built out of the source tree.
rm -rf "$work/kmod"
cp -r "$root/devmodel/linux" "$work/kmod"
make -s -C "$hdir" M="$(cd "$work/kmod" && pwd)" KEEL_PUBLIC="$root/hv/include/public" modules >&2 ||
    die "building keel.ko against $hdir failed"
cp "$work/kmod/keel.ko" "$out/keel.ko"

# The kernel's drivers for the NICs and disks QEMU and common machines have.
kdeb=$(fetch "$kpkg")
bbdeb=$(fetch busybox-static)
mods="drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko drivers/virtio/virtio_pci.ko
      drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko
      drivers/block/virtio_blk.ko net/core/failover.ko drivers/net/net_failover.ko
      drivers/net/virtio_net.ko drivers/net/ethernet/intel/e1000/e1000.ko"
rm -rf "$work/root"
mkdir -p "$work/root"
for m in $mods; do
    dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work/root" "./lib/modules/$release/kernel/$m" ||
        die "$kdeb has no $m"
done
dpkg-deb --fsys-tarfile "$bbdeb" | tar -x -C "$work/root" ./bin/busybox

# The toolstack: keel and keeld, one static program the Makefile built (dom0 has no libc of its
# own; $KEEL_BIN), the test programs, and xz with its libraries (for `make bench`).
[ -x "${KEEL_BIN:-}" ] || die "KEEL_BIN (the static keel the Makefile builds) is not set"
cp "$KEEL_BIN" "$work/keel"
ts="-std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I$root/hv/include -static"
fw="$root/firmware"
gcc -D__ASSEMBLY__ -I"$fw/include" -I"$root/hv/include" -Wa,--noexecstack -c "$fw/entry32.S" \
    -o "$work/entry32.o" || die "assembling the entry blob failed"
gcc $ts -I"$fw/include" -o "$work/keel-boot" "$root/tests/dom0/boot.c" "$root/toolstack/builder/builder.c" \
    "$root/toolstack/lib/libkeel.c" "$fw/kboot.c" "$fw/linux.c" "$fw/e820.c" "$fw/acpi.c" "$fw/aml.c" \
    "$work/entry32.o" || die "building keel-boot failed"
for t in evtchn-echo peek; do
    gcc $ts -o "$work/keel-$t" "$root/tests/dom0/$t.c" "$root/toolstack/lib/libkeel.c" ||
        die "building keel-$t failed"
done
xz=$(command -v xz) || die "xz is not installed (package xz-utils)"

spec=$work/spec
{
    for d in /bin /sbin /dev /proc /sys /root /tmp /run /etc /lib /lib64 /usr /usr/bin /usr/sbin /usr/share \
             /usr/share/udhcpc /var /var/lib /lib/modules "/lib/modules/$release"; do
        echo "dir $d 755"
    done
    echo "nod /dev/console 600 c 5 1"
    echo "file /bin/busybox $work/root/bin/busybox 755"
    echo "slink /bin/sh busybox 777"
    echo "file /init $root/toolstack/dom0/init 755"
    echo "file /usr/share/udhcpc/default.script $root/toolstack/dom0/udhcpc.script 755"
    echo "file /usr/bin/keel $work/keel 755"
    echo "file /usr/bin/keel-evtchn-echo $work/keel-evtchn-echo 755"
    echo "file /usr/bin/keel-peek $work/keel-peek 755"
    echo "file /usr/bin/keel-boot $work/keel-boot 755"
    echo "dir /usr/share/keel 755"
    echo "file /usr/share/keel/vmlinuz $kit/vmlinuz 644"
    echo "file /usr/share/keel/guest-initrd.gz $kit/initramfs.cpio.gz 644"
    echo "slink /usr/sbin/keeld /usr/bin/keel 777"
    echo "dir /usr/share/keel/examples 755"
    echo "file /usr/share/keel/examples/demo.xml $root/examples/demo.xml 644"
    echo "slink /usr/share/keel/initrd.img guest-initrd.gz 777"
    echo "file /usr/bin/xz $xz 755"
    echo "file /lib/modules/$release/keel.ko $out/keel.ko 644"
    for m in $mods; do
        echo "file /lib/modules/$release/$(basename "$m") $work/root/lib/modules/$release/kernel/$m 644"
    done
    ldd "$xz" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/lib64\/[^ ]*\) .*/\1/p' |
        while read -r lib; do
            echo "dir $(dirname "$lib") 755"
            echo "file $lib $(readlink -f "$lib") 755"
        done
} > "$spec"
"$python" "$root/scripts/mkcpio.py" "$work/initrd.cpio" < "$spec"
gzip -9 -n -f "$work/initrd.cpio"
mv "$work/initrd.cpio.gz" "$out/initrd.gz"

# The test disk.
{ printf 'KEEL-DISK-MARKER: the first sector of the dom0 test disk\n'; } > "$work/disk.img"
truncate -s 8M "$work/disk.img"
mv "$work/disk.img" "$out/disk.img"

{
    echo "$kpkg $(dpkg-deb -f "$kdeb" Version)"
    echo "linux-headers-$release $(candidate "linux-headers-$release")"
    echo "busybox-static $(dpkg-deb -f "$bbdeb" Version)"
} > "$out/VERSION"
rm -rf "$work"
echo "  DOM0    $out: keel.ko and initrd.gz for $release"
