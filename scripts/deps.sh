#!/bin/sh
# Installs the Debian packages Keel needs to build, run and test, if any are missing.
# As root it runs `apt-get update` once and `apt-get install -y`; otherwise it prints the command.
# It also updates the apt lists when they do not know the kernel package the Linux guest uses.
set -eu
PACKAGES="build-essential binutils make git python3 python3-pytest python3-pexpect
  grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
  qemu-system-x86 ovmf seabios bochs bochsbios vgabios
  libcmocka-dev clang libclang-rt-14-dev acpica-tools xz-utils cpio libc6-dev"
# The toolstack's domain definitions (toolstack/config/) are read with libxml2.
PACKAGES="$PACKAGES libxml2-dev pkg-config"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        "install ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done
# The Linux test guest (scripts/linux-guest.sh) downloads Debian's kernel: the apt lists must
# know it, and a fresh machine may have none.
lists="current"
apt-cache show linux-image-amd64 >/dev/null 2>&1 || lists="missing"
[ -z "$missing" ] && [ "$lists" = current ] && exit 0

[ -z "$missing" ] || echo "deps: missing Debian packages:$missing"
[ "$lists" = current ] || echo "deps: the apt lists do not know linux-image-amd64"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root:  apt-get update${missing:+ && apt-get install -y$missing}"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
