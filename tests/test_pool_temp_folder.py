"""The fork server's socket lives in TMPDIR, and Linux allows its path 107 bytes: a TMPDIR that
leaves the socket room starts the workers; a longer one is a clear exit 1, not an OSError."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.report.pool import TEMP_ROOM

START = "from pipeline.report.pool import start_early; start_early(); print('started')"


@pytest.fixture
def short_base() -> Iterator[Path]:
    """A folder directly in /tmp (pytest's own are already long under xdist)."""
    base = Path(tempfile.mkdtemp(prefix="pool-", dir="/tmp"))
    yield base
    shutil.rmtree(base)


def _folder(base: Path, length: int) -> Path:
    folder = base / ("d" * (length - len(str(base)) - 1))
    folder.mkdir()
    assert len(os.fsencode(str(folder))) == length
    return folder


def _env(folder: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(folder)}


def test_the_longest_temp_folder_allowed_starts_the_workers(short_base: Path) -> None:
    folder = _folder(short_base, TEMP_ROOM)
    done = subprocess.run(
        [sys.executable, "-c", START], env=_env(folder), capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "started\n", "")


def test_a_longer_temp_folder_is_exit_1_naming_tmpdir(short_base: Path, tmp_path: Path) -> None:
    folder = _folder(short_base, TEMP_ROOM + 1)
    output = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "--week", "1", "--output", str(output)],
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: the temporary folder {folder} is too long for the chart and PDF workers' "
        f"socket ({TEMP_ROOM + 1} bytes, at most {TEMP_ROOM}): set TMPDIR to a shorter "
        "folder, e.g. /tmp\n"
    )
    assert not output.exists()
    assert list(folder.iterdir()) == []
