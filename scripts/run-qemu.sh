#!/bin/sh
# run-qemu.sh [--debug | --dom0 LOG] ISO
# Boots Keel in QEMU on this terminal (serial console; Ctrl-A X quits). KVM with -cpu host when
# /dev/kvm works and this CPU offers VT-x or AMD-V to guests (nested); otherwise TCG with
# -cpu max, which emulates AMD-V with nested paging. With --dom0, the terminal is dom0's console
# (COM2), the hypervisor's console (COM1) goes to LOG, and the machine has a NIC on QEMU's user
# network.
set -eu
debug=0 dom0_log=""
if [ "${1:-}" = "--debug" ]; then debug=1; shift; fi
if [ "${1:-}" = "--dom0" ]; then dom0_log=$2; shift 2; fi
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
if [ -n "$dom0_log" ]; then
    mkdir -p "$(dirname "$dom0_log")"
    echo "run: the hypervisor's log goes to $dom0_log (also: keel dmesg in dom0)"
    # shellcheck disable=SC2086
    exec qemu-system-x86_64 $accel -smp 2 -m 3G -nographic -no-reboot -boot d -cdrom "$iso" \
        -serial "file:$dom0_log" -serial mon:stdio -netdev user,id=n0 -device e1000,netdev=n0
fi
# shellcheck disable=SC2086
exec qemu-system-x86_64 $accel -smp 4 -m 1G -nographic -no-reboot -boot d -cdrom "$iso" \
    -serial mon:stdio $extra
