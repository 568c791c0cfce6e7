"""dom0 (dom0_session.py) as a user at its console sees it. One boot serves every check, in order;
the last one reboots dom0, which must reset the machine through the hypervisor.

The ISO's dom0 command line has iomem=relaxed, so that Linux itself lets /dev/mem reach the
hypervisor's memory: what stops it there is dom0's p2m, which is what is tested."""
import json
import os
import re
import time

import pexpect
import pytest

from dom0_session import boot_dom0
from emulators import image
from linux_session import BUILD

LOGDIR = os.path.join(BUILD, "test-logs", "dom0")
HV_LOG = os.path.join(LOGDIR, "hv.log")
HV_IMAGE_PA = 0x200000                  # where keel.elf is loaded (hv/arch/keel.ld)
MARKER = "KEEL-DISK-MARKER"

pytestmark = [pytest.mark.where("qemu-svm"), pytest.mark.slow]


def hv_log():
    with open(HV_LOG, encoding="utf-8", errors="replace") as f:
        return f.read()


@pytest.fixture(scope="module")
def dom0():
    yield from boot_dom0(LOGDIR)


def test_dom0_keel_info(dom0):
    out = dom0.run("keel info")
    log = hv_log()
    version = re.search(r"Keel hypervisor (\S+)", log).group(1)
    assert re.search(rf"^hypervisor\s*:?\s*Keel {re.escape(version)}\b", out, re.M | re.I), out
    assert re.search(r"^cpus\b.*\b2 online\b", out, re.M | re.I), out
    assert re.search(r"dom0 cpus\s*:?\s*0\s*$", out, re.M | re.I), out
    m = re.search(r"dom0\s*:?\s*(\d+) MiB", out, re.I)
    assert m and 1020 <= int(m.group(1)) <= 1030, out
    assert re.search(r"^\s*0\s+dom0\s+running\b", out, re.M), out


def test_dom0_sees_only_its_cpus(dom0):
    assert dom0.run("nproc").strip() == "1"
    assert dom0.run("cat /sys/devices/system/cpu/possible").strip() == "0"
    assert dom0.run("grep -c ^processor /proc/cpuinfo").strip() == "1"


def test_dom0_network_by_dhcp(dom0):
    out = dom0.run("ip -4 addr show dev eth0")
    assert "inet 10.0.2.15/24" in out, out


def test_dom0_disk_is_readable(dom0):
    out = dom0.run("dd if=/dev/vda bs=512 count=1 2>/dev/null | grep -c " + MARKER)
    assert out.strip() == "1", out


def peer_port():
    m = re.search(r"evtchn-peer: domain (\d+) port (\d+)", hv_log())
    assert m, "the evtchn-peer guest did not print its port:\n" + hv_log()[-2000:]
    return int(m.group(1)), int(m.group(2))


def test_dom0_maps_a_guest_frame(dom0):
    """keel-peek maps the evtchn-peer guest's frame at 0x10000 (where its image was loaded) and
    must read the image's first bytes; a frame that is not the guest's RAM must be refused."""
    domid, _ = peer_port()
    with open(image("guests/evtchn-peer.bin"), "rb") as f:
        want = f.read(16).hex()
    assert dom0.run(f"keel-peek {domid} 0x10 16").strip() == want
    out = dom0.run(f"keel-peek {domid} 0x7fffff 16; echo rc=$?")
    assert "rc=1" in out and "Invalid argument" in out, out


def test_dom0_event_channels_both_ways(dom0):
    """The evtchn-peer guest sends 20 events to dom0's keel-evtchn-echo, which answers each."""
    domid, port = peer_port()
    out = dom0.run(f"keel-evtchn-echo {domid} {port} 20", timeout=300)
    assert "evtchn-echo: 20 events echoed" in out, out
    deadline = time.monotonic() + 120
    while "guest-test: " not in hv_log() and time.monotonic() < deadline:
        time.sleep(1)
    assert "guest-test: PASS evtchn-peer" in hv_log(), hv_log()[-3000:]


GUEST = ("/usr/share/keel/vmlinuz /usr/share/keel/guest-initrd.gz {mem} {vcpus} "
         "'console=ttyS0 panic=-1'")


def free_mib(dom0):
    return json.loads(dom0.run("keel info --json"))["memory_mib"]["free"]


def listed(dom0):
    return {d["name"]: d for d in json.loads(dom0.run("keel list --json"))}


def cpu_seconds(dom0, name):
    return json.loads(dom0.run(f"keel dominfo {name} --json"))["cpu_seconds"]


def test_dom0_builds_runs_pauses_and_destroys_a_guest(dom0):
    """The toolstack's builder makes a 2-vCPU Linux guest from dom0 (hypercalls and foreign
    mappings); its console, pause and resume, and destroy, which returns all its memory."""
    free0 = free_mib(dom0)
    out = dom0.run("keel-boot linux1 " + GUEST.format(mem=256, vcpus=2), timeout=300)
    assert re.search(r"linux1 is domain \d+", out), out
    deadline = time.monotonic() + 600
    while "keel-guest: init ready" not in dom0.run("keel console linux1 --dump"):
        assert time.monotonic() < deadline, dom0.run("keel console linux1 --dump")
        time.sleep(5)
    d = listed(dom0)["linux1"]
    assert d["state"] == "running" and d["vcpus"] == 2 and d["memory_mib"] == 256, d
    # Its console, attached from dom0: a line typed there comes back.
    dom0.child.sendline("keel console linux1")
    dom0.expect(r"attached to linux1", 60, "keel console attaching")
    dom0.child.send("echo from-dom0-$((6*7))\r")
    dom0.expect(r"from-dom0-42", 120, "the guest's shell answering through keel console")
    dom0.child.send("while :; do :; done &\r")     # keeps a vCPU busy: CPU time grows
    dom0.expect(r"done &", 60, "the busy loop's command echoed")
    time.sleep(2)
    dom0.child.send("\x1d")
    dom0.expect(r"detached from linux1", 60, "keel console detaching")
    dom0.run("true")
    # Paused, it gets no CPU time; resumed, it does again.
    assert "paused" in dom0.run("keel pause linux1")
    assert listed(dom0)["linux1"]["state"] == "paused"
    t0 = cpu_seconds(dom0, "linux1")
    time.sleep(3)
    assert cpu_seconds(dom0, "linux1") == t0
    dom0.run("keel resume linux1")
    time.sleep(3)
    assert cpu_seconds(dom0, "linux1") > t0 + 0.5
    assert listed(dom0)["linux1"]["state"] == "running"
    out = dom0.run("keel destroy dom0; echo rc=$?")
    assert "rc=1" in out and "not a domain the toolstack created" in out, out
    dom0.run("keel destroy linux1")
    assert "linux1" not in listed(dom0)
    assert free_mib(dom0) == free0


def test_dom0_failed_builds_leave_nothing(dom0):
    """A failure injected at several steps of building (creating, giving RAM, loading the
    kernel, starting) leaves no domain and no memory behind; then 20 builds and destroys
    return the hypervisor's free memory to where it was."""
    free0 = free_mib(dom0)
    for n in range(1, 80):              # every operation in turn, until one build succeeds
        out = dom0.run(f"KEEL_BUILD_FAIL_AT={n} keel-boot fail{n} " + GUEST.format(mem=128, vcpus=1)
                       + "; echo rc=$?", timeout=300)
        if "rc=0" in out:
            dom0.run(f"keel destroy fail{n}")
            break
        assert "rc=1" in out and "Input/output error" in out, out
        assert not [name for name in listed(dom0) if name.startswith("fail")]
        assert free_mib(dom0) == free0
    assert 5 < n < 80, f"a build took {n - 1} operations"
    assert free_mib(dom0) == free0
    dom0.run("(for i in $(seq 20); do keel-boot cycle " + GUEST.format(mem=128, vcpus=1)
             + " >/dev/null && keel destroy cycle >/dev/null || exit 1; done)", timeout=900)
    assert free_mib(dom0) == free0


def test_dom0_cannot_reach_hypervisor_memory(dom0):
    page = HV_IMAGE_PA // 4096
    before = dom0.run(f"dd if=/dev/mem bs=4096 skip={page} count=1 2>/dev/null | od -An -tx1 | sort -u")
    assert "ff" in before.split() and set(before.split()) <= {"ff", "*"}, before
    dom0.run(f"dd if=/dev/zero of=/dev/mem bs=4096 seek={page} count=64 2>/dev/null; true")
    assert "Keel hypervisor" in hv_log()
    # The hypervisor still answers, and logged no damage.
    dom0.run("keel info >/dev/null")
    assert not re.search(r"PANIC|page fault|crashed", hv_log()), hv_log()[-3000:]


def test_dom0_reboot_resets_the_machine(dom0):
    dom0.child.sendline("reboot -f")
    dom0.expect(pexpect.EOF, 120, "QEMU exiting after dom0's reboot (-no-reboot)")
    log = hv_log()
    assert re.search(r"dom0: reset through .*\n.*Keel: restarting the machine", log), log[-2000:]
