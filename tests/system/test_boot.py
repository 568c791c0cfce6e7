"""Boot tests: GRUB2 loads keel.elf on each emulated test host, every CPU comes up, memory and the
virtualisation capabilities are reported correctly, and the boot self-checks pass."""
import pytest

from emulators import image, run_qemu, run_bochs

GIB_KIB = 1024 * 1024


def check_common(run, cpus):
    run.expect(r"Keel hypervisor \S+ \(x86-64\)", "boot banner")
    run.expect(rf"smp: {cpus} of {cpus} CPUs online", f"all {cpus} CPUs online")
    run.expect(rf"selftest: cross-CPU calls ok on {cpus} CPUs", "cross-CPU calls on every CPU")
    run.expect(rf"selftest: timers ok on {cpus} of {cpus} CPUs", "a timer firing on every CPU")
    run.expect(rf"selftest: a timer re-armed \d+ times from {cpus} CPUs fired [1-9]\d* times$",
               "one timer re-armed from every CPU at once, lists intact")
    run.expect(r"Keel: boot complete", "boot completion")
    assert not run.lines(r"PANIC|crash on CPU|did not start"), run.evidence()


def check_memory(run, given_kib):
    ram = int(run.expect(r"memory: (\d+) KiB RAM", "memory report").group(1))
    assert abs(ram - given_kib) <= given_kib / 100, \
        f"reported {ram} KiB RAM, given {given_kib} KiB (more than 1% apart)\n{run.evidence()}"


def check_svm(run):
    run.expect(r"svm: AMD-V revision 1, 16 ASIDs", "SVM revision and ASIDs")
    run.expect(r"svm: NPT yes, NRIP save no, decode assists no", "SVM features as QEMU TCG offers them")


@pytest.mark.where("qemu-svm")
def test_bios_boot_4_cpus():
    run = run_qemu("bios-boot", image("iso/test-qemu.iso"), smp=4, mem="1G")
    check_common(run, 4)
    check_memory(run, GIB_KIB)
    check_svm(run)
    run.expect(r"boot: loaded by GRUB .*\(BIOS\)", "BIOS GRUB")
    run.expect(r"acpi: RSDP rev 0 .* 4 CPUs, 1 IOAPICs", "ACPI 1.0 tables from SeaBIOS")
    assert run.rc == 1, f"QEMU should exit with 1 (Keel wrote 0 to isa-debug-exit)\n{run.evidence()}"


@pytest.mark.slow
@pytest.mark.where("qemu-svm-uefi")
def test_uefi_boot_4_cpus():
    run = run_qemu("uefi-boot", image("iso/test-qemu.iso"), smp=4, mem="1G", firmware="uefi")
    check_common(run, 4)
    check_memory(run, GIB_KIB)
    check_svm(run)
    run.expect(r"boot: loaded by GRUB .*\(UEFI\)", "EFI GRUB")
    run.expect(r"boot: EFI system table at [0-9a-f]+ \(boot services exited\)", "EFI system table")
    run.expect(r"acpi: RSDP rev 2 ", "ACPI 2.0 tables from OVMF")
    assert run.rc == 1, run.evidence()


@pytest.mark.where("qemu-svm")
def test_one_cpu_boot():
    run = run_qemu("one-cpu", image("iso/test-qemu.iso"), smp=1, mem="256M")
    check_common(run, 1)
    check_memory(run, 256 * 1024)


@pytest.mark.slow
@pytest.mark.where("bochs-vmx")
def test_bochs_vmx_2_cpus():
    run = run_bochs("bochs-vmx", image("iso/test-bochs.iso"), cpus=2, megs=512)
    check_common(run, 2)
    check_memory(run, 512 * 1024)
    run.expect(r"cpu: GenuineIntel family 6", "an Intel CPU")
    run.expect(r"vmx: Intel VT-x, VMCS revision \d+, TRUE controls", "VMX basic capabilities")
    run.expect(r"vmx: EPT yes, VPID yes, unrestricted guest yes", "EPT, VPID, unrestricted guest")
    run.expect(r"apic: local APIC in x2APIC mode, timer TSC-deadline", "x2APIC and TSC-deadline")


@pytest.mark.parametrize("kind,what,iso", [
    ("pf", r"#PF page fault \(vector 14\), error code 0x0", "iso/test-crash.iso"),
    ("ud", r"#UD invalid opcode \(vector 6\), error code 0x0", "iso/test-crash-ud.iso"),
], ids=["pf", "ud"])
@pytest.mark.where("qemu-svm")
def test_crash_dump(kind, what, iso):
    run = run_qemu(f"crash-{kind}", image(iso), smp=2, mem="512M")
    run.expect(rf"\*\*\* Keel crash on CPU 0: {what}", "the crash header")
    if kind == "pf":
        run.expect(r"page fault at 0000000000000010: not present, read, data", "the faulting address")
    run.expect(r"RIP: ffffffff8[0-9a-f]+ crash_test\+0x[0-9a-f]+", "RIP named as crash_test")
    for reg in ("RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R8", "R15", "CR2", "CR3", "RSP"):
        run.expect(rf"\b{reg}: *[0-9a-f]{{4,16}}\b", f"register {reg} in the dump")
    trace = run.serial.split("Backtrace:", 1)
    assert len(trace) == 2, f"no backtrace\n{run.evidence()}"
    assert "crash_test+" in trace[1] and "kmain+" in trace[1], \
        f"backtrace does not name crash_test and kmain\n{run.evidence()}"
    run.expect(r"\*\*\* CPU 0 stopped", "the CPU stopping")
    assert "Keel: boot complete" not in run.serial, run.evidence()
    assert run.rc == 3, f"QEMU should exit with 3 (Keel reported failure)\n{run.evidence()}"
