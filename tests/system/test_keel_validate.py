"""`keel validate` as a user runs it, on this machine: every file of the bad corpus
(tests/unit/data/domxml/bad, each with its expected line and message in NAME.expect) must make it
print that error as FILE:LINE: error: ... and exit 1; every good file and examples/demo.xml must
be valid (exit 0). The files' @DATA@ is replaced by the test data directory, as the unit test
does; the host is described with --host-* as the unit test's is (8 CPUs, 16 vCPUs, 4 GiB). The
two files about names and UUIDs already taken need defined domains: keeld's test covers those."""
import glob
import os
import re
import subprocess

import pytest

from emulators import BUILD

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DATA = os.path.abspath(os.path.join(ROOT, "tests", "unit", "data", "domxml"))
HOST = ["--host-cpus", "8", "--host-max-vcpus", "16", "--host-memory", "4096"]
NEEDS_DEFINED = {"25-name-taken", "26-uuid-taken"}
BAD = sorted(p for p in glob.glob(os.path.join(DATA, "bad", "*.xml"))
             if os.path.basename(p)[:-4] not in NEEDS_DEFINED)


def keel():
    path = os.path.join(BUILD, "toolstack", "keel")
    assert os.access(path, os.X_OK), f"{path} is missing: run make"
    return path


def with_data(src, tmp_path):
    dst = tmp_path / os.path.basename(src)
    with open(src, encoding="utf-8", errors="surrogateescape") as f:
        dst.write_text(f.read().replace("@DATA@", os.path.join(DATA, "files")),
                       encoding="utf-8", errors="surrogateescape")
    return str(dst)


def validate(*files):
    return subprocess.run([keel(), "validate", *HOST, *files], capture_output=True, text=True,
                          errors="replace", timeout=60)


@pytest.mark.tier("unit")
@pytest.mark.parametrize("src", BAD, ids=[os.path.basename(p)[:-4] for p in BAD])
def test_keel_validate_bad_file(src, tmp_path):
    with open(src[:-4] + ".expect", encoding="utf-8") as f:
        line, message = f.read().strip().split(" ", 1)
    path = with_data(src, tmp_path)
    r = validate(path)
    assert r.returncode == 1, r.stdout + r.stderr
    where = re.escape(path) + ("" if line == "0" else f":{line}")    # 0: the file as a whole
    want = rf"^{where}: error: .*{re.escape(message)}"
    assert re.search(want, r.stderr, re.M), f"wanted {want!r} in:\n{r.stderr}"
    assert "valid" not in r.stdout


@pytest.mark.tier("unit")
def test_keel_validate_good_files(tmp_path):
    files = [with_data(p, tmp_path) for p in sorted(glob.glob(os.path.join(DATA, "good", "*.xml")))]
    demo = tmp_path / "demo.xml"
    with open(os.path.join(ROOT, "examples", "demo.xml"), encoding="utf-8") as f:
        demo.write_text(f.read().replace("/usr/share/keel/", os.path.join(DATA, "files") + "/"))
    r = validate(*files, str(demo))
    assert r.returncode == 0, r.stdout + r.stderr
    for path in files + [str(demo)]:
        assert re.search(rf"^{re.escape(path)}: valid \(domain \S+\)$", r.stdout, re.M), r.stdout
    assert "comes later" in r.stdout


@pytest.mark.tier("unit")
def test_keel_validate_usage():
    assert validate().returncode == 2
    r = subprocess.run([keel(), "validate", "--host-cpus", "x", "f.xml"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "usage" in r.stderr
