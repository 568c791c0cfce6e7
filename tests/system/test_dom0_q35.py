"""dom0 on QEMU's q35 machine, whose ACPI tables have MCFG: Linux reads PCI configuration space
through MMCONFIG there, so the hypervisor must answer for the Keel interface device in memory as
well as at the ports. keel.ko must find the device and `keel info` must work."""
import os

import pexpect
import pytest

from emulators import image
from linux_session import BUILD
from dom0_session import Dom0Session

LOGDIR = os.path.join(BUILD, "test-logs", "dom0-q35")


@pytest.mark.where("qemu-svm")
@pytest.mark.slow
def test_dom0_on_q35_finds_its_interface_device():
    os.makedirs(LOGDIR, exist_ok=True)
    hv_log = os.path.join(LOGDIR, "hv.log")
    args = ["-M", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "2G", "-display", "none",
            "-no-reboot", "-nic", "none", "-boot", "d", "-cdrom", image("iso/dom0-run.iso"),
            "-serial", f"file:{hv_log}", "-serial", "stdio", "-monitor", "none"]
    child = pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8", codec_errors="replace")
    session = Dom0Session(child, os.path.join(LOGDIR, "console.log"))
    try:
        session.expect(r"keel-dom0: ready: [^\r\n]*\r*\n", 600, "dom0's ready line")
        banner = session.child.match.group(0)
        session.expect(r"keel-dom0# ", 60, "dom0's prompt")
        assert "keel.ko ready" in banner, banner + "\n" + session.evidence()
        assert "MMCONFIG" in session.run("dmesg | grep -i mmconfig")
        out = session.run("keel info")
        assert "hypervisor: Keel" in out and "dom0 cpus:  0" in out, out
    finally:
        if child.isalive():
            child.terminate(force=True)
    with open(hv_log, encoding="utf-8", errors="replace") as f:
        assert "MMCONFIG pages at" in f.read()
