"""The guest ACPI tables (firmware/acpi.c) checked by an independent implementation: ACPICA's
iasl disassembles each table, the fields it decodes must say what Keel's platform is, and its
compiler must rebuild the same bytes from its own disassembly. The tables are written by
build/fw/fw_acpi_dump into build/fw/<case>/ so they can be inspected after a failure."""
import os
import re
import shutil
import subprocess

import pytest

from emulators import BUILD, image

DATA_TABLES = ["XSDT", "FACP", "FACS", "APIC"]


def run(cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=60)
    return proc.returncode, proc.stdout


def field(dsl, name):
    """The value iasl printed for a field or a decoded flag, e.g. `PM Timer Block Address : 0000B008`."""
    m = re.search(rf"^(?:\[[^]]*\])?\s*{re.escape(name)} : (\S+)", dsl, re.M)
    assert m, f"iasl output has no field {name!r}"
    return m.group(1)


def asl_integer(text):
    """An integer as the disassembler prints it: Zero, One or hexadecimal."""
    return {"Zero": 0, "One": 1}[text] if text in ("Zero", "One") else int(text, 16)


def dump(case, cpus, hpet):
    assert shutil.which("iasl"), "iasl is missing: `make deps` installs acpica-tools"
    out = os.path.join(BUILD, "fw", case)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rc, text = run([image("fw/fw_acpi_dump"), out, str(cpus), "1" if hpet else "0"], out)
    assert rc == 0, text
    return out


def disassemble(out, sig):
    rc, text = run(["iasl", "-d", f"{sig}.dat"], out)
    assert rc == 0 and not re.search(r"\b(Error|Warning)\b", text), f"iasl -d {sig}:\n{text}"
    with open(os.path.join(out, f"{sig}.dsl")) as f:
        return f.read()


def recompile(out, sig, flags):
    """iasl compiles its own disassembly; returns (original bytes, recompiled bytes)."""
    rc, text = run(["iasl", *flags, "-p", f"re-{sig}", f"{sig}.dsl"], out)
    assert rc == 0 and "0 Errors, 0 Warnings" in text, f"iasl {sig}.dsl:\n{text}"
    with open(os.path.join(out, f"{sig}.dat"), "rb") as a, \
         open(os.path.join(out, f"re-{sig}.aml"), "rb") as b:
        return a.read(), b.read()


CASES = [("1cpu", 1, False), ("4cpus-hpet", 4, True), ("64cpus-hpet", 64, True),
         ("255cpus", 255, False)]


@pytest.mark.tier("unit")
@pytest.mark.parametrize("case,cpus,hpet", CASES, ids=[c[0] for c in CASES])
def test_fw_acpi_iasl(case, cpus, hpet):
    out = dump(case, cpus, hpet)
    sigs = DATA_TABLES + (["HPET"] if hpet else [])
    dsl = {sig: disassemble(out, sig) for sig in sigs + ["DSDT"]}

    # Data tables: the compiler rebuilds them byte for byte, checksums included.
    for sig in sigs:
        orig, again = recompile(out, sig, ["-z"])
        assert orig == again, f"{sig}: iasl rebuilt different bytes from its disassembly"

    # The DSDT's AML, recompiled without optimisations, is the same after the header (whose
    # compiler ID iasl replaces with its own).
    orig, again = recompile(out, "DSDT", ["-oa"])
    assert orig[36:] == again[36:], "DSDT: iasl encodes the same ASL differently"
    assert "Name (_S5, Package (0x04)" in dsl["DSDT"]
    assert len(re.findall(r'Device \(C[0-9A-F]{3}\)\s*\{\s*Name \(_HID, "ACPI0007"',
                          dsl["DSDT"])) == cpus

    facp = dsl["FACP"]
    assert field(facp, "PM1A Event Block Address") == "0000B000"
    assert field(facp, "PM1A Control Block Address") == "0000B004"
    assert field(facp, "PM Timer Block Address") == "0000B008"
    assert field(facp, "SCI Interrupt") == "0009"
    assert field(facp, "RTC Century Index") == "32"
    assert field(facp, "Hardware Reduced (V5)") == "0"
    assert field(facp, "Legacy Devices Supported (V2)") == "1"

    apic = dsl["APIC"]
    assert len(re.findall(r"Subtable Type : 00 \[Processor Local APIC\]", apic)) == cpus
    assert len(re.findall(r"Processor Enabled : 1", apic)) == cpus
    assert field(apic, "Local Apic Address") == "FEE00000"
    assert field(apic, "PC-AT Compatibility") == "1"
    assert "Subtable Type : 01 [I/O APIC]" in apic
    assert len(re.findall(r"Subtable Type : 02 \[Interrupt Source Override\]", apic)) == 2
    assert "Subtable Type : 04 [Local APIC NMI]" in apic
    lapics = re.findall(r"Processor ID : (\w+)\n[^\n]*Local Apic ID : (\w+)", apic)
    assert [(int(u, 16), int(i, 16)) for u, i in lapics] == [(n, n) for n in range(cpus)]
    # Each processor's DSDT object carries the UID of its MADT entry.
    uids = re.findall(r"Name \(_UID, (\w+)\)", dsl["DSDT"])
    assert [asl_integer(u) for u in uids] == list(range(cpus))

    if hpet:                            # the dump adds the panic notifier with the HPET
        assert "Address : 00000000FED00000" in dsl["HPET"]
        assert re.search(r'Device \(PEVT\)\s*\{\s*Name \(_HID, "QEMU0001"\)', dsl["DSDT"])
        assert re.search(r"IO \(Decode16,\s*0x0505,\s*// Range Minimum\s*0x0505,", dsl["DSDT"])
    assert len(re.findall(r"ACPI Table Address\s+\d+ :", dsl["XSDT"])) == (3 if hpet else 2)
