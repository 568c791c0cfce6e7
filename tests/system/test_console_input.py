"""Console input: what is typed at the hypervisor's serial console reaches COM1 of the domain
with the console focus, the most recently started one created with console=input, and nothing
typed while no domain has the focus does. The image runs the uart guest twice: first without
the focus, then with it (arg=input), where it waits for one line and echoes it through THR."""
import re

import pytest

from emulators import image, run_qemu_typing

LINE = "keel console input: the quick brown fox jumps over the lazy dog 0123456789"


@pytest.mark.where("qemu-svm")
def test_typed_line_reaches_the_focused_guest():
    run = run_qemu_typing("console-input", image("iso/console-input-qemu.iso"), [
        # Before any domain exists: the hypervisor must drop these bytes.
        (r"console: input polled every", b"typed with no focus\r"),
        (r"uart-input: ready for a line", (LINE + "\r").encode()),
    ])
    run.expect(r"guest-test: PASS uart \(", "the uart guest passing without the focus")
    run.expect(r"console: input goes to d2 \(uart-input\)", "the focus given on start")
    run.expect(r"d2 uart-input: PASS uart-input-line$", "exactly the line, nothing typed before it")
    run.expect(rf"d2 uart-input: uart-input: echo {re.escape(LINE)}$", "the echo through THR")
    run.expect(r"guest-test: PASS uart-input \(", "the input guest's verdict")
    run.expect(r"console: d2 \(uart-input\) gone, input goes nowhere", "the focus dropped")
    run.expect(r"guest-tests: 2 passed, 0 failed", "the summary")
    assert run.rc == 1, run.evidence()
