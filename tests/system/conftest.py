"""pytest set-up for Keel's system tests: every test names where it ran (the `where` marker),
which tests/run.py prints next to its result."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    config.addinivalue_line("markers", "where(host): the emulated test host, e.g. qemu-svm")
    config.addinivalue_line("markers", "slow: left out of `make test-quick`")
    config.addinivalue_line("markers", "tier(name): the tier a test reports under (default system)")


@pytest.fixture(autouse=True)
def _name_and_host(request, record_property):
    marker = request.node.get_closest_marker("where")
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params if callspec else {}
    record_property("where", params.get("host") or (marker.args[0] if marker else "host"))
    tier = request.node.get_closest_marker("tier")
    name = request.node.name.removeprefix("test_").replace("_", "-")
    if "name" in params:
        name = params["name"]
    elif "host" in params:              # the host is printed as where it ran, not in the name
        name = request.node.originalname.removeprefix("test_").replace("_", "-")
    record_property("name", f"{tier.args[0] if tier else 'system'}/{name}")
