"""Starting the built Keel images in the emulated test hosts and collecting what they print.

Each run writes its serial log and the emulator's own log into a directory under
build/test-logs/, and returns them. Nothing here builds anything: `make` has built the images.
"""
import os
import re
import selectors
import subprocess
import time
from dataclasses import dataclass

BUILD = os.environ.get("KEEL_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
OVMF = "/usr/share/ovmf/OVMF.fd"


@dataclass
class Run:
    rc: object          # exit status, or "timeout"
    serial: str         # what Keel printed on COM1
    emulator_log: str   # the emulator's own log
    logdir: str

    def lines(self, pattern):
        return [l for l in self.serial.splitlines() if re.search(pattern, l)]

    def evidence(self, lines=40):
        tail = lambda text: "\n".join(text.splitlines()[-lines:])
        return (f"exit status: {self.rc}; logs in {self.logdir}\n"
                f"--- serial (last {lines} lines) ---\n{tail(self.serial)}\n"
                f"--- emulator log (last {lines // 2} lines) ---\n{tail(self.emulator_log)}")

    def expect(self, pattern, what=None):
        """Returns the first match of pattern in the serial log, or fails with the evidence."""
        m = re.search(pattern, self.serial, re.M)
        assert m, f"{what or 'expected output'} not found: /{pattern}/\n{self.evidence()}"
        return m


def image(name):
    path = os.path.join(BUILD, name)
    assert os.path.exists(path), f"{path} is missing: run `make` first"
    return path


def _logdir(name):
    d = os.path.join(BUILD, "test-logs", name)
    os.makedirs(d, exist_ok=True)
    return d


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace").replace("\r", "")
    except FileNotFoundError:
        return ""


def run_qemu(name, iso, smp=4, mem="1G", firmware="bios", timeout=300, cpu="max"):
    d = _logdir(name)
    serial, qlog = os.path.join(d, "serial.log"), os.path.join(d, "qemu.log")
    for p in (serial, qlog):
        if os.path.exists(p):
            os.remove(p)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", cpu, "-smp", str(smp), "-m", mem,
           "-nographic", "-no-reboot", "-boot", "d", "-cdrom", iso,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-serial", f"file:{serial}", "-monitor", "none", "-display", "none",
           "-d", "cpu_reset,guest_errors", "-D", qlog]
    if firmware == "uefi":
        cmd += ["-bios", OVMF]
    try:
        rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    return Run(rc, _read(serial), _read(qlog), d)


BOCHSRC = """\
display_library: rfb, options="timeout=0"
megs: {megs}
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: model={model}, count={cpus}, ips=100000000, reset_on_triple_fault=0
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev={serial}
log: {log}
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
clock: sync=none, time0=local
mouse: enabled=0
sound: driver=dummy
speaker: enabled=0
"""


def run_bochs(name, iso, cpus=2, megs=512, model="corei7_skylake_x", timeout=600):
    d = _logdir(name)
    serial, blog = os.path.join(d, "serial.log"), os.path.join(d, "bochs.log")
    for p in (serial, blog):
        if os.path.exists(p):
            os.remove(p)
    rc_path, dbg = os.path.join(d, "bochsrc"), os.path.join(d, "dbg.rc")
    with open(rc_path, "w") as f:
        f.write(BOCHSRC.format(megs=megs, model=model, cpus=cpus, iso=os.path.abspath(iso),
                               serial=serial, log=blog))
    with open(dbg, "w") as f:
        f.write("continue\nquit\n")
    try:
        rc = subprocess.run(["bochs", "-q", "-f", rc_path, "-rc", dbg], cwd=d,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    return Run(rc, _read(serial), _read(blog), d)


def run_qemu_typing(name, iso, script, smp=2, mem="512M", timeout=300, cpu="max"):
    """Like run_qemu, with the serial port on a pipe both ways: for each (pattern, text) of
    script in turn, text (bytes) is typed once pattern appears in what Keel printed after the
    previous step's match."""
    d = _logdir(name)
    serial, qlog = os.path.join(d, "serial.log"), os.path.join(d, "qemu.log")
    if os.path.exists(qlog):
        os.remove(qlog)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", cpu, "-smp", str(smp), "-m", mem,
           "-display", "none", "-no-reboot", "-boot", "d", "-cdrom", iso,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-serial", "stdio", "-monitor", "none", "-d", "cpu_reset,guest_errors", "-D", qlog]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    out, steps, pos = bytearray(), list(script), 0
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=0.2):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
            text = out.decode(errors="replace")
            m = steps and re.search(steps[0][0], text[pos:], re.M)
            if m:
                pos += m.end()
                proc.stdin.write(steps.pop(0)[1])
                proc.stdin.flush()
    try:
        rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = "timeout"
    with open(serial, "wb") as f:
        f.write(out)
    return Run(rc, out.decode(errors="replace").replace("\r", ""), _read(qlog), d)
