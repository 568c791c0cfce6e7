"""dom0 with two vCPUs on a three-CPU machine (QEMU/AMD-V, TCG): each vCPU is pinned to its own
physical CPU and started by dom0's own INIT and SIPI, which the hypervisor turns into a start of
that vCPU; the third CPU stays the hypervisor's. The dom0 here is the Linux test kit (build/linux),
which is quick to boot; its console is COM2."""
import os
import re

import pexpect
import pytest

from emulators import image
from linux_session import BUILD, LinuxSession

LOGDIR = os.path.join(BUILD, "test-logs", "dom0-smp")


@pytest.mark.where("qemu-svm")
@pytest.mark.slow
def test_dom0_two_vcpus():
    os.makedirs(LOGDIR, exist_ok=True)
    hv_log = os.path.join(LOGDIR, "hv.log")
    args = ["-accel", "tcg", "-cpu", "max", "-smp", "3", "-m", "1G", "-display", "none",
            "-no-reboot", "-nic", "none", "-boot", "d", "-cdrom", image("iso/dom0-smp-qemu.iso"),
            "-serial", f"file:{hv_log}", "-serial", "stdio", "-monitor", "none"]
    child = pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8", codec_errors="replace")
    session = LinuxSession(child, os.path.join(LOGDIR, "console.log"))
    try:
        session.wait_ready(timeout=600)
        assert session.run("nproc").strip() == "2"
        assert session.run("cat /sys/devices/system/cpu/online").strip() == "0-1"
        out = session.run("for c in 0 1; do (taskset -c $c sh -c 'i=0; while [ $i -lt 20000 ]; do "
                          "i=$((i+1)); done' && echo cpu$c done) & done; wait", timeout=300)
        assert "cpu0 done" in out and "cpu1 done" in out, out
        dmesg = session.run("dmesg")
        assert not re.search(r"soft lockup|stuck|BUG", dmesg), dmesg[-3000:]
        session.child.sendline("poweroff -f")
        session.expect(pexpect.EOF, 120, "QEMU exiting when dom0 powers the machine off")
    finally:
        if child.isalive():
            child.terminate(force=True)
    with open(hv_log, encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert "dom0: v1 started at" in log, log[-2000:]
    assert "IPI to a CPU that is not dom0's" not in log, log[-2000:]
