"""Booting GRUB -> Keel -> dom0 under QEMU/AMD-V (TCG, -cpu max -smp 2 -m 3G) and driving dom0's
shell on COM2 (the hypervisor's console, COM1, goes to a file): Debian's kernel and the dom0
initramfs (build/dom0) with an e1000 NIC on QEMU's user network and a virtio-blk disk."""
import os

import pexpect

from emulators import image
from linux_session import LinuxSession


class Dom0Session(LinuxSession):
    ready, prompt = "keel-dom0: ready", "keel-dom0# "


def boot_dom0(logdir, iso="iso/dom0-qemu.iso"):
    """Yields a Dom0Session at dom0's first prompt; the hypervisor's log is logdir/hv.log."""
    os.makedirs(logdir, exist_ok=True)
    hv_log = os.path.join(logdir, "hv.log")
    if os.path.exists(hv_log):
        os.remove(hv_log)
    args = ["-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "3G", "-display", "none",
            "-no-reboot", "-boot", "d", "-cdrom", image(iso),
            "-serial", f"file:{hv_log}", "-serial", "stdio", "-monitor", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
            "-drive", f"file={image('dom0/disk.img')},if=virtio,format=raw,readonly=on"]
    child = pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8", codec_errors="replace")
    session = Dom0Session(child, os.path.join(logdir, "console.log"))
    try:
        session.wait_ready(timeout=600)
        yield session
    finally:
        if child.isalive():
            child.terminate(force=True)
