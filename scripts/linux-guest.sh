#!/bin/sh
# linux-guest.sh OUT_DIR
# Builds the Linux test guest from Debian's own packages:
#   OUT_DIR/vmlinuz             the bzImage of the kernel package that linux-image-amd64 depends on
#   OUT_DIR/initramfs.cpio.gz   static busybox, tests/linux/init as /init, the power button's
#                               modules and what acpid runs when it is pressed
#   OUT_DIR/VERSION             the exact packages and versions used
# The .debs are kept in OUT_DIR/debs and reused while they are still the candidate version.
set -eu
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-/usr/bin/python3}
debs=$out/debs
work=$out/work

. "$root/scripts/debs.sh"

mkdir -p "$debs" "$work"
kpkg=$(kernel_package)
if [ -z "$kpkg" ]; then
    echo "linux-guest: apt-cache does not know linux-image-amd64; updating the apt lists" >&2
    "$root/scripts/deps.sh" >&2 || true
    kpkg=$(kernel_package)
fi
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 with apt-cache: run 'apt-get update' as root"
kdeb=$(fetch "$kpkg")
bbdeb=$(fetch busybox-static)
release=${kpkg#linux-image-}

extract "$kdeb" "boot/vmlinuz-$release" "$work/vmlinuz"
extract "$bbdeb" bin/busybox "$work/busybox"
chmod 755 "$work/busybox"
# The ACPI power button and the input events busybox's acpid reads it through; the panic
# notifier's driver (a kernel panic then crashes the domain at once).
for m in drivers/acpi/button.ko drivers/input/evdev.ko drivers/misc/pvpanic/pvpanic.ko \
         drivers/misc/pvpanic/pvpanic-mmio.ko; do
    extract "$kdeb" "lib/modules/$release/kernel/$m" "$work/$(basename "$m")"
done

"$python" "$root/scripts/mkcpio.py" "$work/initramfs.cpio" <<SPEC
dir   /bin 755
dir   /dev 755
dir   /proc 555
dir   /sys 555
dir   /root 700
nod   /dev/console 600 c 5 1
file  /bin/busybox $work/busybox 755
slink /bin/sh busybox 777
dir   /lib 755
dir   /lib/modules 755
file  /lib/modules/button.ko $work/button.ko 644
file  /lib/modules/evdev.ko $work/evdev.ko 644
file  /lib/modules/pvpanic.ko $work/pvpanic.ko 644
file  /lib/modules/pvpanic-mmio.ko $work/pvpanic-mmio.ko 644
dir   /etc 755
dir   /etc/acpi 755
dir   /etc/acpi/PWRF 755
file  /etc/acpi/PWRF/00000080 $root/tests/linux/power-button 755
file  /init $root/tests/linux/init 755
SPEC
gzip -9 -n -f "$work/initramfs.cpio"

{
    echo "linux-image-amd64 $(candidate linux-image-amd64)"
    echo "$kpkg $(dpkg-deb -f "$kdeb" Version)"
    echo "busybox-static $(dpkg-deb -f "$bbdeb" Version)"
} > "$work/VERSION"
mv "$work/vmlinuz" "$work/initramfs.cpio.gz" "$work/VERSION" "$out/"
rm -rf "$work"
echo "  LINUX   $out: $(sed -n 2p "$out/VERSION")"
