"""Talking to the Linux test guest on its serial console.

The guest is the kit that `make linux-kit` builds in build/linux (scripts/linux-guest.sh): Debian's
kernel and a busybox initramfs whose /init (tests/linux/init) prints READY and keeps a shell with
the prompt PROMPT on the console. LinuxSession drives any pexpect child whose output is that
console: QEMU booting the kernel directly, or Keel running it as a domain.
"""
import os
import re
import time

import pexpect

BUILD = os.environ.get("KEEL_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
KIT = os.path.join(BUILD, "linux")
READY = "keel-guest: init ready"
PROMPT = "keel-guest# "
POWER_DOWN = "reboot: Power down"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")    # busybox's line editor asks for the cursor
OUTPUT = re.compile(r"KEEL-OUT-BEGIN\r*\n(.*?)KEEL-OUT-END rc=(\d+)", re.S)


def kit_file(name):
    path = os.path.join(KIT, name)
    assert os.path.exists(path), f"{path} is missing: run `make linux-kit` first"
    return path


class LinuxSession:
    """One boot of the guest. Every byte the console printed is kept in log_path. ready and
    prompt are what its /init prints (another image, dom0's, has its own)."""

    ready, prompt = READY, PROMPT

    def __init__(self, child, log_path):
        self.child = child
        self.log_path = log_path
        self.started = time.monotonic()
        self.ready_seconds = None
        child.logfile_read = open(log_path, "w", encoding="utf-8", errors="replace")

    def evidence(self, lines=40):
        self.child.logfile_read.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            text = ESCAPES.sub("", f.read()).replace("\r", "")
        tail = "\n".join(text.splitlines()[-lines:])
        return f"console log {self.log_path} (last {lines} lines):\n{tail}"

    def expect(self, pattern, timeout, what):
        try:
            self.child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            raise AssertionError(f"no {what} within {timeout} s\n{self.evidence()}") from None
        except pexpect.EOF:
            raise AssertionError(f"the console closed before {what}\n{self.evidence()}") from None
        return self.child.match

    def wait_ready(self, timeout):
        """Waits for /init's marker and the first prompt; returns the seconds since the start."""
        self.expect(re.escape(self.ready), timeout, f"'{self.ready}' line")
        self.expect(re.escape(self.prompt), 60, "shell prompt")
        self.ready_seconds = time.monotonic() - self.started
        return self.ready_seconds

    def run(self, command, timeout=60):
        """Runs command in the guest's shell; returns its output (no escapes, '\\n' line ends).
        Fails unless the command exits with 0. The quotes keep the echoed command line from
        matching the markers."""
        self.child.sendline(f"echo KEEL-OUT-''BEGIN; {command}; echo KEEL-OUT-END rc=$?")
        m = self.expect(OUTPUT, timeout, f"output of '{command}'")
        self.expect(re.escape(self.prompt), timeout, f"prompt after '{command}'")
        out = ESCAPES.sub("", m.group(1)).replace("\r", "")
        assert m.group(2) == "0", f"'{command}' exited with {m.group(2)}:\n{out}\n{self.evidence()}"
        return out

    def poweroff(self, timeout=60):
        """`poweroff -f`: the kernel must say it powers down and the console must close."""
        self.child.sendline("poweroff -f")
        self.expect(re.escape(POWER_DOWN), timeout, f"'{POWER_DOWN}'")
        self.expect(pexpect.EOF, timeout, "end of the console after power-down")
        self.child.close()


def meminfo_kib(session, field):
    out = session.run(f"grep '^{field}:' /proc/meminfo")
    m = re.search(rf"^{field}:\s+(\d+) kB$", out, re.M)
    assert m, f"no {field} in /proc/meminfo output:\n{out}"
    return int(m.group(1))


def check_guest(session, cpus, mem_mib):
    """The checks every Linux guest boot makes: the CPUs and the memory it was given.
    MemTotal is what remains after the kernel's own reservations (its image, page structures),
    so it is below the RAM given but not far below: at least 3/4 of it for 256 MiB and up."""
    out = session.run("nproc")
    assert out.strip() == str(cpus), f"nproc printed {out.strip()!r}, expected {cpus}"
    total = meminfo_kib(session, "MemTotal")
    given = mem_mib * 1024
    assert given * 3 // 4 <= total <= given, \
        f"MemTotal {total} kB, given {given} KiB: expected between 3/4 of it and all of it"
    return {"cpus": cpus, "mem_total_kib": total}
