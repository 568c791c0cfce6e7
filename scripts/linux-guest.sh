#!/bin/sh
# linux-guest.sh OUT_DIR
# Builds the Linux test guest from Debian's own packages:
#   OUT_DIR/vmlinuz             the bzImage of the kernel package that linux-image-amd64 depends on
#   OUT_DIR/initramfs.cpio.gz   static busybox and tests/linux/init as /init
#   OUT_DIR/VERSION             the exact packages and versions used
# The .debs are kept in OUT_DIR/debs and reused while they are still the candidate version.
set -eu
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-/usr/bin/python3}
debs=$out/debs
work=$out/work

die() {
    echo "linux-guest: $*" >&2
    exit 1
}

kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1
}

candidate() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

# fetch PACKAGE: prints the path of PACKAGE's candidate .deb in $debs, downloading it if needed.
fetch() {
    pkg=$1
    ver=$(candidate "$pkg")
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "apt knows no version of $pkg"
    for f in "$debs/$pkg"_*.deb; do
        if [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
            echo "$f"
            return
        fi
    done
    rm -f "$debs/$pkg"_*.deb
    echo "linux-guest: downloading $pkg $ver" >&2
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver") >&2 ||
        die "apt-get download $pkg=$ver failed: is the network up and are the apt lists current (apt-get update)?"
    for f in "$debs/$pkg"_*.deb; do
        [ -f "$f" ] && { echo "$f"; return; }
    done
    die "apt-get download $pkg=$ver left no .deb in $debs"
}

# extract DEB PATH DEST: copies one file out of a package without unpacking the rest of it.
extract() {
    dpkg-deb --fsys-tarfile "$1" | tar -x -O -f - "./$2" > "$3" ||
        die "$1 has no /$2"
    [ -s "$3" ] || die "/$2 from $1 is empty"
}

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

"$python" "$root/scripts/mkcpio.py" "$work/initramfs.cpio" <<SPEC
dir   /bin 755
dir   /dev 755
dir   /proc 555
dir   /sys 555
dir   /root 700
nod   /dev/console 600 c 5 1
file  /bin/busybox $work/busybox 755
slink /bin/sh busybox 777
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
