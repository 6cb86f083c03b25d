"""The scheduler on a bad night: a second scheduler on the same job store, a failing run."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.schedule.scheduler
from pipeline.cli import main
from pipeline.demo.promserver import free_port
from pipeline.errors import SourceUnavailable
from pipeline.schedule.scheduler import scheduled_run
from tests.support.configs import shipped_config
from tests.support.logs import pipeline_log
from tests.support.scheduler import Scheduler
from tests.support.setups import schedule_config


def test_a_second_scheduler_on_the_same_job_store_exits_2_naming_the_first(
    tmp_path: Path,
) -> None:
    config = schedule_config(tmp_path, f"http://127.0.0.1:{free_port()}", "0 2 * * *", free_port())
    store = tmp_path / "reports" / "scheduler.sqlite"
    command = [sys.executable, "-m", "pipeline", "schedule", "--config", str(config)]
    first = Scheduler(config, tmp_path / "first.log")
    try:
        first.wait_for("scheduler started")
        second = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 2
        holder = f"pid {first.process.pid} on host {re.escape(socket.gethostname())}"
        assert re.fullmatch(
            f"error: another scheduler already uses the job store {re.escape(str(store))} "
            rf"\({holder} since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); stop it first "
            rf"\(the lock is {re.escape(str(store))}\.lock\)\n",
            second.stderr,
        ), second.stderr
        assert first.process.poll() is None  # the first goes on
    finally:
        assert first.stop() == 0
    # once the first has stopped, the lock is free again
    third = Scheduler(config, tmp_path / "third.log")
    try:
        third.wait_for("scheduler started")
    finally:
        assert third.stop() == 0


@pytest.mark.parametrize(
    ("debug", "raised", "logged"),
    [
        ("", RuntimeError("boom"), "scheduled run failed (exit code 1): RuntimeError: boom"),
        (
            "",
            SourceUnavailable("Prometheus at http://x: connection refused (1 tries)"),
            "scheduled run failed (exit code 3): SourceUnavailable: Prometheus at http://x: "
            "connection refused (1 tries)",
        ),
        ("1", RuntimeError("boom"), "scheduled run failed (exit code 1): RuntimeError: boom\n"),
    ],
)
def test_a_failed_scheduled_run_logs_code_type_and_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug: str,
    raised: Exception,
    logged: str,
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(pipeline.schedule.scheduler, "run_week", failing)
    monkeypatch.setenv("PIPELINE_DEBUG", debug)
    with pipeline_log(logging.ERROR) as log:
        scheduled_run(str(shipped_config(tmp_path)))  # returns: the next slot will run
    [message] = log.messages
    assert message.startswith(logged)
    assert ("Traceback (most recent call last)" in message) == bool(debug)


@pytest.mark.parametrize("kind", ["corrupt", "directory"])
def test_a_job_store_sqlite_cannot_use_names_the_file_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    config = schedule_config(tmp_path, f"http://127.0.0.1:{free_port()}", "0 2 * * *", free_port())
    store = tmp_path / "reports" / "scheduler.sqlite"
    store.parent.mkdir()
    if kind == "directory":
        store.mkdir()
        what = "it is a directory"
    else:
        store.write_bytes(b"not a database " * 100)
        what = "file is not a database"
    assert main(["schedule", "--config", str(config)]) == 1
    assert capsys.readouterr().err == (
        f"error: {store} cannot be used as the scheduler's job store ({what}); move it aside "
        f"(mv {store} {store}.broken): the scheduler starts a new one, and its first run is "
        "the next cron slot (a slot missed while it was down is not caught up)\n"
    )
    assert kind == "directory" or store.read_bytes() == b"not a database " * 100
    # nothing but the store and the scheduler's locks (its job store's, its output folder's)
    left = sorted(p.name for p in store.parent.iterdir())
    assert left == [".scheduler.lock", store.name, f"{store.name}.lock"]
