#!/usr/bin/env python3
"""Keel benchmarks: figures and ratios, never pass/fail.

For now: how long the hypervisor takes from the loader to `boot complete` on each emulated test
host, as the hypervisor measures it (its own TSC timestamps) and as the wall clock sees the whole
emulator run, over a few runs each.
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.environ["KEEL_BUILD"] = os.path.abspath(args.build)
    import emulators  # noqa: E402  (reads KEEL_BUILD)

    hosts = [
        ("qemu-svm, 4 CPUs", lambda: emulators.run_qemu("bench-qemu", emulators.image("iso/test-qemu.iso"))),
        ("bochs-vmx, 2 CPUs", lambda: emulators.run_bochs("bench-bochs", emulators.image("iso/test-bochs.iso"))),
    ]
    print(f"{'host':<20} {'keel boot (s)':>14} {'emulator run (s)':>17} {'boot/run':>9}")
    for name, run in hosts:
        inside, outside = [], []
        for _ in range(args.runs):
            start = time.monotonic()
            r = run()
            outside.append(time.monotonic() - start)
            m = re.search(r"^\[\s*(\d+\.\d+)\] Keel: boot complete", r.serial, re.M)
            if not m:
                print(f"{name}: boot did not complete (logs in {r.logdir})")
                break
            inside.append(float(m.group(1)))
        if inside:
            k, o = statistics.median(inside), statistics.median(outside)
            print(f"{name:<20} {k:>14.3f} {o:>17.2f} {k / o:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
