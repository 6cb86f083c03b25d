"""A run behind another process's week or site lock: it says who holds it and waits a bounded
time, then ends with exit 1 naming the holder, instead of waiting forever in silence."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import pipeline.outputs.folder
from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from pipeline.outputs.folder import week_lock
from tests.support.configs import shipped_config
from tests.support.logs import pipeline_log

SINCE = r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
HOLD = """
import sys, time
from pathlib import Path
from pipeline.outputs.folder import site_lock, week_lock
out, which, seconds = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
with week_lock(out, 1) if which == "week" else site_lock(out):
    print("held", flush=True)
    time.sleep(seconds)
"""


@contextmanager
def _held(out: Path, which: str, seconds: float = 600) -> Iterator[subprocess.Popen[str]]:
    """Another pipeline process holding `which` lock ("week" 1 or "site") for `seconds`."""
    command = [sys.executable, "-c", HOLD, str(out), which, str(seconds)]
    holder = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=30)


def _holder(process: subprocess.Popen[str]) -> str:
    return f"pid {process.pid} on host {re.escape(socket.gethostname())} {SINCE}"


def _bounded_main(args: list[str], limit_s: float = 30) -> tuple[int | None, float]:
    """main(args) in a thread: its exit code (None if still waiting after `limit_s`) and how
    long it took."""
    codes: list[int] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: codes.append(main(args)), daemon=True)
    thread.start()
    thread.join(limit_s)
    return (codes[0] if codes else None), time.monotonic() - started


@pytest.mark.prometheus
def test_a_week_locked_by_a_stuck_process_ends_with_exit_1_naming_it(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(pipeline.outputs.folder, "LOCK_WAIT_S", 2.0, raising=False)
    config, out = shipped_config(tmp_path, prometheus.url), tmp_path / "out"
    args = ["--week", "1", "--config", str(config), "--output", str(out), "-q", "--format", "md"]
    with _held(out, "week") as holder:
        code, took = _bounded_main(args)
        assert code == 1
        assert 2 <= took < 30
        waited, error = capsys.readouterr().err.splitlines()
        assert re.fullmatch(f"week 1 is locked by {_holder(holder)}; waiting up to 2s", waited)
        assert re.fullmatch(
            f"error: week 1 is still locked by {_holder(holder)} after 2s of waiting; nothing "
            "was replaced, recorded or sent: if that process is stuck, stop it, then run again "
            f"\\(the lock is {re.escape(str(out / '.week-01.lock'))}\\)",
            error,
        )
        assert not (out / "week-01").exists() and not (out / "history.sqlite").exists()
    # the holder gone, the lock is free and carries no one's name
    assert main(args) == 0
    assert (out / ".week-01.lock").read_text() == ""


@pytest.mark.prometheus
def test_a_site_index_locked_by_a_stuck_process_is_a_warning_the_week_is_written(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(pipeline.outputs.folder, "LOCK_WAIT_S", 1.0, raising=False)
    config, out = shipped_config(tmp_path, prometheus.url), tmp_path / "out"
    args = ["--week", "1", "--config", str(config), "--output", str(out), "-q", "--format", "md"]
    with _held(out, "site") as holder:
        code, _ = _bounded_main(args)
        assert code == 0
        err = capsys.readouterr().err
        assert re.search(
            f"the site's index was not updated: the site's index is still locked by "
            f"{_holder(holder)} after 1s of waiting; it was not rewritten: if that process is "
            "stuck, stop it",
            err,
        ), err
    assert (out / "week-01" / "summary.json").is_file()


def test_a_run_waits_for_a_holder_that_finishes_and_says_so(tmp_path: Path) -> None:
    with _held(tmp_path, "week", seconds=1) as holder, pipeline_log(logging.WARNING) as log:
        started = time.monotonic()
        with week_lock(tmp_path, 1):  # the default bound: far longer than the holder's second
            took = time.monotonic() - started
            mine = (tmp_path / ".week-01.lock").read_text()
    assert 0.2 < took < 30
    assert holder.returncode is not None
    [waited] = log.messages
    assert re.fullmatch(f"week 1 is locked by {_holder(holder)}; waiting up to 1800s", waited)
    assert re.fullmatch(
        f"pid {os.getpid()} on host {re.escape(socket.gethostname())} {SINCE}\n", mine
    )
