"""Debian's stock kernel and the busybox initramfs (build/linux) as a domain with 2 vCPUs and
256 MiB under Keel on QEMU/AMD-V: the first unmodified operating system on the hypervisor. The
test talks to the guest's shell through the hypervisor's serial console (the domain has the
console's input and its UART output), like a user at `make run`."""
import os
import re
import time

import pexpect
import pytest

from emulators import image
from linux_session import BUILD, LinuxSession, check_guest

CPUS, MEM_MIB = 2, 256


def boot(name):
    logdir = os.path.join(BUILD, "test-logs", name)
    os.makedirs(logdir, exist_ok=True)
    args = ["-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "1G", "-nographic", "-no-reboot",
            "-nic", "none", "-boot", "d", "-cdrom", image("iso/linux-qemu.iso"),
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    child = pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8", codec_errors="replace")
    return child, LinuxSession(child, os.path.join(logdir, "console.log"))


@pytest.mark.where("qemu-svm")
@pytest.mark.slow
def test_linux_guest_on_keel():
    child, session = boot("linux-keel")
    try:
        ready = session.wait_ready(timeout=900)
        facts = check_guest(session, CPUS, MEM_MIB)
        dmesg = session.run("dmesg")
        bad = [l for l in dmesg.splitlines()
               if re.search(r"APIC|clocksource", l, re.I) and re.search(r"error|fail|bug|broken|unstable", l, re.I)]
        assert not bad, "dmesg complains about the APIC or clocksource:\n" + "\n".join(bad)
        # A short CPU-bound loop on each vCPU must finish: both vCPUs run.
        out = session.run("for c in 0 1; do (taskset -c $c sh -c 'i=0; while [ $i -lt 20000 ]; do "
                          "i=$((i+1)); done' && echo cpu$c done) & done; wait", timeout=300)
        assert "cpu0 done" in out and "cpu1 done" in out, out
        session.child.sendline("poweroff -f")
        session.expect(re.escape("reboot: Power down"), 120, "the kernel powering down")
        session.expect(r"guest-test: (PASS|FAIL) linux[^\n]*", 120, "the hypervisor's verdict")
        verdict = session.child.match.group(0)
        session.expect(pexpect.EOF, 60, "QEMU exiting")
        total = time.monotonic() - session.started
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert "PASS" in verdict, f"{verdict}\n{session.evidence()}"
    with open(os.path.join(BUILD, "test-logs", "linux-keel", "timing.txt"), "w") as f:
        f.write(f"prompt after {ready:.1f} s, powered off after {total:.1f} s; "
                f"MemTotal {facts['mem_total_kib']} kB\n")
