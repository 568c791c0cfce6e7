#!/bin/sh
# run-qemu.sh [--debug] ISO
# Boots Keel in QEMU on this terminal (serial console; Ctrl-A X quits). KVM with -cpu host when
# /dev/kvm works and this CPU offers VT-x or AMD-V to guests (nested); otherwise TCG with
# -cpu max, which emulates AMD-V with nested paging.
set -eu
debug=0
if [ "${1:-}" = "--debug" ]; then debug=1; shift; fi
iso=$1
elf=$(dirname "$iso")/keel.elf
[ -f "$elf" ] || elf=$(dirname "$iso")/../keel.elf

accel="-accel tcg -cpu max"
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qE '^flags.* (vmx|svm)( |$)' /proc/cpuinfo; then
    accel="-accel kvm -cpu host"
fi
echo "run: $accel; Ctrl-A X quits, Ctrl-A C switches to the QEMU monitor"
extra=""
if [ "$debug" = 1 ]; then
    extra="-s -S"
    accel="-accel tcg -cpu max"          # gdb breakpoints are reliable under TCG
    echo "debug: QEMU waits for gdb on :1234. In another terminal:"
    echo "  gdb $elf -ex 'target remote :1234' -ex 'break kmain' -ex continue"
    echo "  (keel.elf starts in 32-bit code; break at kmain or later for 64-bit symbols)"
fi
# shellcheck disable=SC2086
exec qemu-system-x86_64 $accel -smp 4 -m 1G -nographic -no-reboot -boot d -cdrom "$iso" \
    -serial mon:stdio $extra
