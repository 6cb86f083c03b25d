"""The real parts tests start need their binaries: missing, a test skips, or fails under
CI=true (integration tests must run there, not skip)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The binaries tests run, and the Debian package scripts/setup.sh installs each from
# (tests/test_binaries.py checks that it does): the package a missing one's message names.
PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-pushgateway": "prometheus-pushgateway",
    "victoria-metrics": "victoria-metrics",
    "pdftoppm": "poppler-utils",
    "chromium": "chromium",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


def require_binary(name: str, *alternatives: str, package: str | None = None) -> str:
    """The path of `name`, or else of the first of `alternatives` found (other names of the
    same binary); a skip or, under CI=true, a failure when none is installed. `package` is the
    Debian package that installs it [PACKAGES[name], else `name`]."""
    for candidate in (name, *alternatives):
        path = shutil.which(candidate)
        if path:
            return path
    reason = f"{name} not installed (apt-get install {package or PACKAGES.get(name, name)})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}: integration tests must run, not skip")
    pytest.skip(reason)


def require_file(path: Path, installed_by: str) -> Path:
    """`path`, a file a set-up step installs (axe-core from npm); a skip or, under CI=true, a
    failure when it is absent. `installed_by` says what puts it there."""
    if path.is_file():
        return path
    reason = f"{path} is missing ({installed_by})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}: integration tests must run, not skip")
    pytest.skip(reason)
