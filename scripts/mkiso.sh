#!/bin/sh
# mkiso.sh OUT.iso KEEL.ELF "CMDLINE" [MODULE "MODULE STRING"]...
# Builds a GRUB2 rescue image that boots Keel under both BIOS and UEFI.
set -eu
out=$1 elf=$2 cmdline=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub" "$(dirname "$out")"
cp "$elf" "$dir/boot/keel.elf"
{
    echo 'set timeout=0'
    echo 'set default=0'
    echo 'serial --unit=0 --speed=115200'
    echo 'terminal_input serial console'
    echo 'terminal_output console'
    echo 'menuentry "Keel" {'
    echo "    multiboot2 /boot/keel.elf $cmdline"
    n=0
    while [ $# -ge 2 ]; do
        cp "$1" "$dir/boot/mod$n"
        echo "    module2 /boot/mod$n $2"
        n=$((n + 1))
        shift 2
    done
    echo '    boot'
    echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >"$dir.log" 2>&1 || { cat "$dir.log"; rm -f "$dir.log"; exit 1; }
rm -f "$dir.log"
echo "  ISO     $out"
