#!/bin/sh
# Installs the Debian packages Keel needs to build, run and test, if any are missing.
# As root it runs `apt-get update` once and `apt-get install -y`; otherwise it prints the command.
set -eu
PACKAGES="build-essential binutils make git python3 python3-pytest python3-pexpect
  grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
  qemu-system-x86 ovmf seabios bochs bochsbios vgabios
  libcmocka-dev clang libclang-rt-14-dev acpica-tools"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        "install ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root:  apt-get update && apt-get install -y$missing"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
