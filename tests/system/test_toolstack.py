"""The toolstack in dom0 (dom0_session.py) as a user drives it: domains defined from libvirt XML
with `keel`, carried out by keeld. One boot serves every check, in order: validation of bad
files, define and start of a 2-vCPU Linux guest (the test kit's kernel and initramfs, booted
directly), its console, pause and resume, dumpxml, keeld restarting, on_reboot, on_crash,
shutdown, a guest that ignores its power button, failed creates, 20 create/destroy cycles and
undefine."""
import json
import os
import re
import time

import pytest

from dom0_session import boot_dom0
from linux_session import BUILD

LOGDIR = os.path.join(BUILD, "test-logs", "toolstack")
HV_LOG = os.path.join(LOGDIR, "hv.log")

pytestmark = [pytest.mark.where("qemu-svm"), pytest.mark.slow]


def domain_xml(name, mem_mib=256, vcpus=2, extra=""):
    return f"""<domain type='keel'>
  <name>{name}</name>
  <memory unit='MiB'>{mem_mib}</memory>
  <vcpu>{vcpus}</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>/usr/share/keel/vmlinuz</kernel>
    <initrd>/usr/share/keel/guest-initrd.gz</initrd>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>restart</on_crash>
  {extra}
  <devices>
    <serial type='pty'><target port='0'/></serial>
  </devices>
</domain>
"""


def put_file(dom0, path, text):
    """Writes text to path in dom0, a line at a time (printf keeps every character)."""
    dom0.run(f": > {path}")
    for line in text.splitlines():
        quoted = line.replace("'", "'\\''")
        dom0.run(f"printf '%s\\n' '{quoted}' >> {path}")


def hv_log():
    with open(HV_LOG, encoding="utf-8", errors="replace") as f:
        return f.read()


def listed(dom0, all_=True):
    return {d["name"]: d for d in json.loads(dom0.run("keel list --json" + (" --all" if all_ else "")))}


def free_mib(dom0):
    return json.loads(dom0.run("keel info --json"))["memory_mib"]["free"]


def rc_of(dom0, command, timeout=120):
    out = dom0.run(f"{command}; echo rc=$?", timeout=timeout)
    return int(re.search(r"rc=(\d+)\s*$", out).group(1)), out


def wait_ready(dom0, name, count=1, timeout=600):
    """Waits until the guest's console shows its init's marker count times."""
    deadline = time.monotonic() + timeout
    while True:
        out = dom0.run(f"keel console {name} --dump 2>&1 | grep -c 'keel-guest: init ready'; true")
        if int(out.strip() or 0) >= count:
            return
        assert time.monotonic() < deadline, dom0.run(f"keel console {name} --dump | tail -n 30; "
                                                     "cat /var/log/keel/keeld.log")
        time.sleep(5)


def in_guest(dom0, name, command, pattern, timeout=120):
    """Types command into the guest's shell through keel console and waits for pattern."""
    dom0.child.sendline(f"keel console {name}")
    dom0.expect(rf"attached to {name}", 60, "keel console attaching")
    dom0.child.send(command + "\r")
    m = dom0.expect(pattern, timeout, f"the guest's answer to '{command}'")
    dom0.child.send("\x1d")
    dom0.expect(rf"detached from {name}", 60, "keel console detaching")
    dom0.run("true")
    return m


def counter(dom0, name):
    out = dom0.run(f"keel console {name} --dump | grep -o 'count=[0-9]*' | tail -n 1")
    return int(out.strip().split("=")[1])


def keeld_log(dom0):
    return dom0.run("cat /var/log/keel/keeld.log")


@pytest.fixture(scope="module")
def dom0():
    yield from boot_dom0(LOGDIR)


def test_keeld_runs_in_dom0(dom0):
    assert "keeld running" in open(dom0.log_path, encoding="utf-8", errors="replace").read()
    assert "keeld: ready on /run/keel/keeld.sock" in keeld_log(dom0)


def test_validate_reports_bad_files_and_creates_nothing(dom0):
    before = listed(dom0)
    bad = {
        "unsupported": (domain_xml("b1").replace("<vcpu>", "<blkiotune/>\n  <vcpu>"),
                        r"/tmp/unsupported\.xml:4: error: <blkiotune>: element <blkiotune> is "
                        r"not supported by Keel"),
        "toomuch": (domain_xml("b2", mem_mib=64 << 20),
                    r"/tmp/toomuch\.xml:3: error: <memory>: .*more memory than the host"),
        "nokernel": (domain_xml("b3").replace("/usr/share/keel/vmlinuz", "/nonexistent/vmlinuz"),
                     r"/tmp/nokernel\.xml:7: error: <kernel>: .*/nonexistent/vmlinuz"),
        "vcpus": (domain_xml("b4", vcpus=0), r"/tmp/vcpus\.xml:4: error: <vcpu>"),
    }
    for name, (text, pattern) in bad.items():
        put_file(dom0, f"/tmp/{name}.xml", text)
        rc, out = rc_of(dom0, f"keel validate /tmp/{name}.xml 2>&1")
        assert rc == 1 and re.search(pattern, out), out
        rc, out = rc_of(dom0, f"keel define /tmp/{name}.xml 2>&1")
        assert rc == 1 and re.search(pattern, out), out
        rc, out = rc_of(dom0, f"keel create /tmp/{name}.xml 2>&1")
        assert rc == 1 and re.search(pattern, out), out
    assert listed(dom0) == before
    rc, out = rc_of(dom0, "keel validate /tmp/nosuchfile.xml 2>&1")
    assert rc == 1 and "nosuchfile.xml" in out, out
    rc, out = rc_of(dom0, "keel frobnicate 2>&1")
    assert rc == 2 and "unknown verb" in out, out
    assert "Presses the domain's ACPI power button" in dom0.run("keel help shutdown")


def test_define_start_console_pause_resume(dom0):
    put_file(dom0, "/tmp/t1.xml", domain_xml("t1"))
    out = dom0.run("keel validate /tmp/t1.xml")
    assert "/tmp/t1.xml: valid" in out and "comes later" in out, out
    assert "Domain t1 defined" in dom0.run("keel define /tmp/t1.xml")
    assert listed(dom0)["t1"]["state"] == "shut-off"
    assert "t1" not in listed(dom0, all_=False)
    assert "State:          shut off" in dom0.run("keel dominfo t1")
    assert "Domain t1 started" in dom0.run("keel start t1", timeout=300)
    rc, out = rc_of(dom0, "keel start t1 2>&1")
    assert rc == 1 and "already running" in out, out
    wait_ready(dom0, "t1")
    info = json.loads(dom0.run("keel dominfo t1 --json"))
    assert info["state"] == "running" and info["vcpus"] == 2 and info["memory_mib"] == 256, info
    in_guest(dom0, "t1", "grep -c ^processor /proc/cpuinfo", r"\n2\r*\n")
    in_guest(dom0, "t1", "(i=0; while :; do i=$((i+1)); echo count=$i; sleep 1; done) &",
             r"count=2\b")
    assert "paused" in dom0.run("keel pause t1")
    assert listed(dom0)["t1"]["state"] == "paused"
    c0 = counter(dom0, "t1")
    time.sleep(5)
    assert counter(dom0, "t1") == c0
    dom0.run("keel resume t1")
    time.sleep(8)
    assert counter(dom0, "t1") > c0
    assert listed(dom0)["t1"]["state"] == "running"


def test_dumpxml_round_trips(dom0):
    xml = dom0.run("keel dumpxml t1")
    assert "<name>t1</name>" in xml and re.search(r"<uuid>[0-9a-f-]{36}</uuid>", xml), xml
    assert "<memory unit='KiB'>262144</memory>" in xml, xml
    dom0.run("keel dumpxml t1 > /tmp/t1-dump.xml && keel validate /tmp/t1-dump.xml")
    assert dom0.run("keel dumpxml t1") == xml
    assert dom0.run("cat /var/lib/keel/t1.xml") == xml


def test_top(dom0):
    """Two screens; the guest's busy counter loop makes it use CPU and exit to the hypervisor."""
    out = dom0.run("keel top -n 2 -d 1")
    assert out.count("EXITS/s") == 2, out
    rows = re.findall(r"^\s*\d+\s+t1\s+running\s+2\s+([\d.]+)\s+256\s+(\d+)$", out, re.M)
    assert len(rows) == 2 and float(rows[1][0]) > 0 and int(rows[1][1]) > 0, out


def test_keeld_restart_keeps_definitions_and_domains(dom0):
    domid = listed(dom0)["t1"]["id"]
    dom0.run("killall keeld; sleep 1")
    rc, out = rc_of(dom0, "keel start t1 2>&1")
    assert rc == 1 and "keeld is not running" in out, out
    assert listed(dom0, all_=False)["t1"]["state"] == "running"   # read-only verbs still work
    dom0.run("keeld --test-faults")
    assert listed(dom0)["t1"]["id"] == domid
    assert "t1: running as domain" in keeld_log(dom0)


def new_domain(dom0, name, old, timeout=300):
    """Waits until name runs as a domain other than old; returns its ID."""
    deadline = time.monotonic() + timeout
    while listed(dom0)[name]["id"] in (old, None):
        assert time.monotonic() < deadline, keeld_log(dom0)
        time.sleep(3)
    return listed(dom0)[name]["id"]


def ended_from_inside(dom0, name, command):
    """Types command into the guest's shell, which ends the domain and with it the console; waits
    for the domain keeld starts in its place."""
    domid = listed(dom0)[name]["id"]
    dom0.child.sendline(f"keel console {name}")
    dom0.expect(rf"attached to {name}", 60, "keel console attaching")
    dom0.child.send(command + "\r")
    dom0.expect(rf"detached from {name}", 120, "keel console ending with the domain")
    dom0.run("true")
    new_domain(dom0, name, domid)


def test_guest_reboot_restarts_it(dom0):
    """The guest resets itself (reboot -f: the keyboard controller's reset): on_reboot=restart."""
    ended_from_inside(dom0, "t1", "reboot -f")
    assert re.search(r"t1: domain \d+ stopped \(reboot\): on_reboot=restart", keeld_log(dom0))
    wait_ready(dom0, "t1")


def test_keel_reboot(dom0):
    domid = listed(dom0)["t1"]["id"]
    wait_ready(dom0, "t1")
    assert "is being rebooted" in dom0.run("keel reboot t1")
    new_domain(dom0, "t1", domid)
    assert re.search(r"t1: domain \d+ stopped \(poweroff\): keel reboot=restart", keeld_log(dom0))
    wait_ready(dom0, "t1")


def test_on_crash_restart(dom0):
    """A kernel panic in the guest (its pvpanic driver tells the hypervisor) crashes the domain;
    keeld starts it again."""
    ended_from_inside(dom0, "t1", "echo c > /proc/sysrq-trigger")
    assert re.search(r"t1: domain \d+ stopped \(v\d+: the guest kernel panicked \(pvpanic\)\): "
                     r"on_crash=restart", keeld_log(dom0)), keeld_log(dom0)
    assert re.search(r"Kernel panic", dom0.run("cat /var/log/keel/t1.log")), "no panic logged"
    wait_ready(dom0, "t1")


def test_shutdown_powers_off(dom0):
    out = dom0.run("keel shutdown t1", timeout=200)
    assert "Domain t1 has powered off" in out, out
    time.sleep(2)
    assert listed(dom0)["t1"]["state"] == "shut-off"
    assert "t1" not in listed(dom0, all_=False)
    assert re.search(r"t1: domain \d+ stopped \(poweroff\): on_poweroff=destroy", keeld_log(dom0))


def test_guest_ignoring_shutdown_is_destroyed_only_when_asked(dom0):
    dom0.run("keel start t1", timeout=300)
    wait_ready(dom0, "t1")
    in_guest(dom0, "t1", "killall acpid; echo acpid-$((40+2))", r"acpid-42")
    rc, out = rc_of(dom0, "keel shutdown t1 --timeout 15 2>&1", timeout=200)
    assert rc == 1 and "did not power off within 15 s; it is still running" in out, out
    assert listed(dom0)["t1"]["state"] == "running"
    assert "destroyed" in dom0.run("keel destroy t1")
    time.sleep(2)
    assert listed(dom0)["t1"]["state"] == "shut-off"


def test_failed_creates_leave_nothing_and_cycles_return_memory(dom0):
    """keeld (restarted with --test-faults above) fails the Nth hypervisor operation of a
    create; each failure leaves no domain and no memory behind. Then 20 creates and destroys."""
    put_file(dom0, "/tmp/cyc.xml", domain_xml("cyc", mem_mib=128, vcpus=1))
    free0 = free_mib(dom0)
    for n in (1, 2, 3, 5, 8):
        rc, out = rc_of(dom0, f"KEEL_BUILD_FAIL_AT={n} keel create /tmp/cyc.xml 2>&1", timeout=300)
        assert rc == 1 and "cannot start cyc" in out and "Input/output error" in out, out
        assert "cyc" not in listed(dom0)
        assert free_mib(dom0) == free0
    dom0.run("(for i in $(seq 20); do keel create /tmp/cyc.xml >/dev/null && "
             "keel destroy cyc >/dev/null || exit 1; done)", timeout=1200)
    time.sleep(2)
    assert "cyc" not in listed(dom0)
    assert free_mib(dom0) == free0


def test_undefine(dom0):
    assert "Domain t1 undefined" in dom0.run("keel undefine t1")
    assert "t1" not in listed(dom0)
    rc, out = rc_of(dom0, "ls /var/lib/keel/t1.xml 2>&1")
    assert rc != 0, out
    rc, out = rc_of(dom0, "keel start t1 2>&1")
    assert rc == 1 and "no domain t1" in out, out
    assert not re.search(r"PANIC|page fault", hv_log())
