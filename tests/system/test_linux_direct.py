"""The Linux guest kit (build/linux) boots: QEMU loads Debian's kernel and the busybox initramfs
itself, with no Keel, so a failure here is the kit's and not the hypervisor's."""
import os
import re
import time

import pexpect
import pytest

from linux_session import BUILD, LinuxSession, check_guest, kit_file

CPUS, MEM_MIB = 2, 256
# console=ttyS0: the console the session reads. panic=-1: a panic reboots at once, and QEMU's
# -no-reboot turns that into an exit, so a broken kit fails in seconds, not at the timeout.
# Options tried for speed under TCG (mitigations=off, tsc=reliable, 8250.nr_uarts=1) changed the
# time to /init by less than the run-to-run noise (about 0.2 s), so none is used.
CMDLINE = "console=ttyS0 panic=-1"


def kernel_release():
    """The release the kit's kernel must report: its package is linux-image-<release>."""
    with open(kit_file("VERSION")) as f:
        m = re.search(r"^linux-image-(\d\S*) ", f.read(), re.M)
    assert m, "build/linux/VERSION names no kernel package"
    return m.group(1)


@pytest.mark.where("qemu-tcg")
def test_linux_direct():
    logdir = os.path.join(BUILD, "test-logs", "linux-direct")
    os.makedirs(logdir, exist_ok=True)
    # -nic none: no network card, so SeaBIOS runs no iPXE option ROM.
    args = ["-accel", "tcg", "-cpu", "max", "-smp", str(CPUS), "-m", f"{MEM_MIB}M",
            "-nographic", "-no-reboot", "-nic", "none",
            "-kernel", kit_file("vmlinuz"), "-initrd", kit_file("initramfs.cpio.gz"),
            "-append", CMDLINE]
    child = pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8", codec_errors="replace")
    session = LinuxSession(child, os.path.join(logdir, "console.log"))
    try:
        ready = session.wait_ready(timeout=300)
        assert session.run("uname -r").strip() == kernel_release()
        # Job control needs a controlling terminal: cttyhack gave the shell the serial line.
        assert session.run("tty").strip() == "/dev/ttyS0"
        assert "job control turned off" not in session.evidence(lines=1000)
        facts = check_guest(session, CPUS, MEM_MIB)
        session.poweroff()
        total = time.monotonic() - session.started
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert child.exitstatus == 0, f"QEMU exited with {child.exitstatus}\n{session.evidence()}"
    with open(os.path.join(logdir, "timing.txt"), "w") as f:
        f.write(f"prompt after {ready:.1f} s, powered off after {total:.1f} s; "
                f"MemTotal {facts['mem_total_kib']} kB\n")
