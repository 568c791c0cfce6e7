#!/usr/bin/env python3
"""Keel benchmarks: figures and ratios, never pass/fail.

1. Exit round trips on each test host: CPUID, a no-op hypercall and an OUT to a port the
   hypervisor handles, measured in the bench guest with RDTSC, in µs and as a ratio to the same
   loop run natively by the hypervisor; and guest compute speed against native (expect about 1.0).
2. Boot time: from the loader to `boot complete`, as the hypervisor measures it and as the wall
   clock sees the whole emulator run.
3. Linux boot to a shell: Debian's kernel and the busybox initramfs (build/linux) booted directly
   by QEMU (-kernel) and as a 2-vCPU domain under Keel on QEMU, wall-clock seconds from starting
   QEMU to the shell prompt, and their ratio, measured in one run.
4. dom0: boot time and an xz workload, under Keel and directly in QEMU (bench/dom0.py).
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))

HOSTS = [("qemu-svm", "AMD-V on QEMU TCG"), ("bochs-vmx", "VT-x on Bochs")]


def run_host(emulators, host, iso):
    if host == "qemu-svm":
        return emulators.run_qemu(f"bench-{iso}", emulators.image(f"iso/{iso}-qemu.iso"), timeout=600)
    return emulators.run_bochs(f"bench-{iso}", emulators.image(f"iso/{iso}-bochs.iso"), timeout=900)


def exits_table(emulators):
    print("Exit round trips (best of 5 rounds of 2000; cycles from RDTSC)")
    print(f"{'host':<20} {'operation':<12} {'guest µs':>9} {'native µs':>10} {'ratio':>8}")
    for host, label in HOSTS:
        r = run_host(emulators, host, "bench")
        figures = dict(((m.group(1), m.group(2)), int(m.group(3))) for m in
                       re.finditer(r"bench: (guest|native) (\w+) (\d+)", r.serial))
        khz = re.search(r"bench: tsc_khz (\d+)", r.serial)
        if not khz or ("guest", "cpuid") not in figures:
            print(f"{label}: no figures (logs in {r.logdir})")
            continue
        us = lambda cycles: cycles / int(khz.group(1)) * 1000
        for op in ("cpuid", "hypercall", "out"):
            g, n = figures[("guest", op)], figures[("native", op)]
            print(f"{label:<20} {op:<12} {us(g):>9.2f} {us(n):>10.3f} {g / max(n, 1):>8.1f}")
        g, n = figures[("guest", "compute")], figures[("native", "compute")]
        print(f"{label:<20} {'compute':<12} {us(g) / 1000:>8.1f}ms {us(n) / 1000:>9.1f}ms {g / max(n, 1):>8.2f}")
    print("(native: CPUID and OUT executed by the hypervisor itself, the hypercall against a plain call)")


def boot_table(emulators, runs):
    print(f"\n{'boot':<20} {'keel boot (s)':>14} {'emulator run (s)':>17}")
    for host, label in HOSTS:
        inside, outside = [], []
        for _ in range(runs):
            start = time.monotonic()
            r = (emulators.run_qemu("bench-boot", emulators.image("iso/test-qemu.iso")) if host == "qemu-svm"
                 else emulators.run_bochs("bench-boot", emulators.image("iso/test-bochs.iso")))
            outside.append(time.monotonic() - start)
            m = re.search(r"^\[\s*(\d+\.\d+)\] Keel: boot complete", r.serial, re.M)
            if m:
                inside.append(float(m.group(1)))
        if inside:
            print(f"{label:<20} {statistics.median(inside):>14.3f} {statistics.median(outside):>17.2f}")


def linux_boot_once(under_keel):
    import pexpect
    from linux_session import LinuxSession, kit_file
    from emulators import image

    common = ["-accel", "tcg", "-cpu", "max", "-smp", "2", "-nographic", "-no-reboot", "-nic", "none"]
    if under_keel:
        args = common + ["-m", "1G", "-boot", "d", "-cdrom", image("iso/linux-qemu.iso"),
                         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    else:
        args = common + ["-m", "256M", "-kernel", kit_file("vmlinuz"), "-initrd",
                         kit_file("initramfs.cpio.gz"), "-append", "console=ttyS0 panic=-1"]
    child = pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8", codec_errors="replace")
    logdir = os.path.join(os.environ["KEEL_BUILD"], "test-logs", "bench-linux")
    os.makedirs(logdir, exist_ok=True)
    session = LinuxSession(child, os.path.join(logdir, "keel.log" if under_keel else "direct.log"))
    try:
        return session.wait_ready(timeout=900)
    except AssertionError as e:
        print(f"  (no prompt: {str(e).splitlines()[0]})")
        return None
    finally:
        child.terminate(force=True)


def linux_table(runs):
    print(f"\n{'Linux boot to shell':<28} {'direct QEMU (s)':>16} {'under Keel (s)':>15} {'ratio':>7}")
    direct = [t for t in (linux_boot_once(False) for _ in range(runs)) if t]
    keel = [t for t in (linux_boot_once(True) for _ in range(runs)) if t]
    if not direct or not keel:
        print("  no figures (build/linux and build/iso/linux-qemu.iso come from `make linux-kit`)")
        return
    d, k = statistics.median(direct), statistics.median(keel)
    print(f"{'QEMU TCG, 2 vCPUs, 256 MiB':<28} {d:>16.1f} {k:>15.1f} {k / d:>7.2f}")
    print("(medians of %d runs; under Keel the time includes GRUB and the hypervisor's own boot)" % runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.environ["KEEL_BUILD"] = os.path.abspath(args.build)
    import emulators  # noqa: E402  (reads KEEL_BUILD)

    exits_table(emulators)
    boot_table(emulators, args.runs)
    linux_table(args.runs)
    sys.path.insert(0, os.path.dirname(__file__))
    import dom0  # noqa: E402
    dom0.table(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
