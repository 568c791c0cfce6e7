"""The guest tier: every test guest of tests/guests/manifest.txt runs as a domain under the
hypervisor on each test host, and each guest's verdict (as the hypervisor judged it) is one test.
One emulator run per host serves all guests; its log is kept for the failure report."""
import os
import re

import pytest

from emulators import image, run_bochs, run_qemu

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def manifest_names():
    with open(os.path.join(ROOT, "tests", "guests", "manifest.txt")) as f:
        return [l.split()[2] for l in f if l.strip() and not l.startswith("#")]


GUESTS = manifest_names()
_runs = {}


def host_run(host):
    if host not in _runs:
        if host == "qemu-svm":
            _runs[host] = run_qemu("guests-qemu", image("iso/guests-qemu.iso"), smp=4, mem="1G",
                                   timeout=900)
        elif host == "bochs-vmx":
            _runs[host] = run_bochs("guests-bochs", image("iso/guests-bochs.iso"), cpus=2, megs=512,
                                    timeout=1500)
        elif host == "bochs-vmx-1cpu":
            _runs[host] = run_bochs("guests-bochs-1cpu", image("iso/guests-bochs.iso"), cpus=1,
                                    megs=512, timeout=1500)
    return _runs[host]


def guest_evidence(run, name):
    lines = [l for l in run.serial.splitlines() if f" {name}" in l or "guest-test" in l]
    return "\n".join(lines[-60:]) + "\n" + run.evidence(20)


def check_guest(host, name):
    run = host_run(host)
    m = re.search(rf"guest-test: (PASS|FAIL) {re.escape(name)}\b(.*)$", run.serial, re.M)
    assert m, f"no verdict for guest {name}\n{guest_evidence(run, name)}"
    assert m.group(1) == "PASS", f"guest {name} failed:{m.group(2)}\n{guest_evidence(run, name)}"


def check_summary(host):
    run = host_run(host)
    m = run.expect(r"guest-tests: (\d+) passed, (\d+) failed", "the guest summary")
    assert int(m.group(1)) + int(m.group(2)) == len(GUESTS), run.evidence()
    assert "were not returned" not in run.serial, run.evidence()
    assert not run.lines(r"PANIC|crash on CPU"), run.evidence()
    if host == "qemu-svm":
        assert run.rc == (1 if m.group(2) == "0" else 3), run.evidence()
        # The image limits AMD-V to 2 ASIDs, so that reuse (with its TLB flush) is exercised.
        run.expect(r"svm: CPU \d+ used all 2 ASIDs; reusing them", "ASID reuse")


# Every guest on every test host: QEMU with AMD-V, Bochs with VT-x on 2 CPUs and on 1.
HOSTS = [pytest.param("qemu-svm", id="qemu-svm"),
         pytest.param("bochs-vmx", id="bochs-vmx", marks=pytest.mark.slow),
         pytest.param("bochs-vmx-1cpu", id="bochs-vmx-1cpu", marks=pytest.mark.slow)]


@pytest.mark.tier("guest")
@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("name", GUESTS)
def test_guest(host, name):
    check_guest(host, name)


@pytest.mark.tier("guest")
@pytest.mark.parametrize("host", HOSTS)
def test_guests_summary(host):
    check_summary(host)


@pytest.mark.tier("guest")
@pytest.mark.parametrize("host", HOSTS)
def test_console_write_reaches_the_log(host):
    """The evtchn guest writes one line through KEEL_HC_CONSOLE_WRITE only (never on a port): it
    must be in the log as that domain's console output, whole."""
    if "evtchn" not in GUESTS:
        pytest.skip("the evtchn guest is not in this manifest")
    host_run(host).expect(r"d\d+ evtchn: PASS evtchn-console-write-reached-the-log\s*$",
                          "the line the evtchn guest wrote with CONSOLE_WRITE")


@pytest.mark.slow
@pytest.mark.where("bochs-vmx")
@pytest.mark.parametrize("variant,iso,message", [
    ("cpu-refuses", "break-vmcs-bochs.iso", r"VM entry refused: invalid guest state: guest TR: type must be 11"),
    ("checked-first", "break-vmcs-check-bochs.iso", r"guest state check before VM entry: guest TR: type must be 11"),
], ids=["cpu-refuses", "checked-first"])
def test_broken_vmcs_is_explained(variant, iso, message):
    """A test-only switch gives the guest an invalid TR: the entry must fail (refused by the CPU,
    or caught by vmx_check before it) with a message that names TR, the domain must crash (not
    hang), and the hypervisor must finish the run."""
    run = run_bochs(f"break-vmcs-{variant}", image(f"iso/{iso}"), cpus=1, megs=256, timeout=600)
    run.expect(rf"crashed: v0: {message}", "an explanation naming TR")
    run.expect(r"guest-test: FAIL cpuid", "the runner finishing the guest")
    run.expect(r"guest-tests: 0 passed, 1 failed", "the run ending")
    assert not run.lines(r"PANIC|crash on CPU"), run.evidence()
