"""require_binary: the one way a test asks for a binary; a missing one skips, or fails under
CI=true, where integration tests must run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.binaries import PACKAGES, require_binary


def _on_path(monkeypatch: pytest.MonkeyPatch, folder: Path, *names: str) -> None:
    """PATH holds only `folder`, with an executable for each of `names`."""
    for name in names:
        tool = folder / name
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))


def test_the_first_name_found_is_returned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _on_path(monkeypatch, tmp_path, "tool-b", "tool-c")
    assert require_binary("tool-a", "tool-b", "tool-c") == str(tmp_path / "tool-b")
    assert require_binary("tool-c", "tool-b") == str(tmp_path / "tool-c")


def test_a_missing_binary_skips_outside_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _on_path(monkeypatch, tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"^promtool not installed \(apt-get install prometheus\)$"
    ):
        require_binary("promtool", package="prometheus")


def test_a_missing_binary_fails_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _on_path(monkeypatch, tmp_path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install poppler-utils\): integ"):
        require_binary("pdftoppm", package="poppler-utils")


def test_setup_installs_every_binary_the_tests_run() -> None:
    """scripts/setup.sh installs each binary of PACKAGES from its package when it is missing:
    under CI=true a binary it forgets would fail the suite."""
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    for name, package in PACKAGES.items():
        assert f"command -v {name} >/dev/null || need+=({package})" in setup, name


def test_a_missing_binary_names_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _on_path(monkeypatch, tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install prometheus-alertmanager\)$"):
        require_binary("amtool")
