"""The clock the suite runs under: `make test-shifted` moves the wall clock of every Python
process (this one and those it starts) PIPELINE_CLOCK_SHIFT_DAYS ahead and leaves the monotonic
clock alone; `make test` runs on the real clock. Either way this proves which one is in force."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.clock
SHIFT_S = float(os.environ.get("PIPELINE_CLOCK_SHIFT_DAYS", "0")) * 86400
SLACK_S = 60


def _kernel_now(folder: Path) -> float:
    """The kernel's wall clock, which no patch in Python moves: a new file's modification time."""
    probe = folder / "probe"
    probe.touch()
    return probe.stat().st_mtime


def test_this_process_runs_on_the_clock_of_the_run(tmp_path: Path) -> None:
    real = _kernel_now(tmp_path)
    assert abs(time.time() - real - SHIFT_S) < SLACK_S
    assert abs(datetime.now(UTC).timestamp() - real - SHIFT_S) < SLACK_S


def test_a_child_python_runs_on_the_same_clock(tmp_path: Path) -> None:
    code = "import datetime; print(datetime.datetime.now(datetime.UTC).timestamp())"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert abs(float(done.stdout) - _kernel_now(tmp_path) - SHIFT_S) < SLACK_S


def test_the_monotonic_clock_and_sleep_are_real() -> None:
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    assert abs(time.monotonic() - uptime) < SLACK_S  # CLOCK_MONOTONIC counts from boot
    before_wall, before = time.time(), time.monotonic()
    time.sleep(0.2)
    assert 0.2 <= time.monotonic() - before < 5
    assert 0.15 <= time.time() - before_wall < 5  # the shifted wall clock still ticks
