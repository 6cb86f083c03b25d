"""history.sqlite on a bad night: corrupt, locked by another process, from an older version;
the week folder and the history stay consistent."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

import pipeline.core.history
import pipeline.outputs.folder
from pipeline.cli import main
from pipeline.core.history import SCHEMA_VERSION, History
from pipeline.demo.promserver import PrometheusServer
from tests.support.command import cli_args
from tests.support.setups import timed_email_config
from tests.support.smtp import Inbox, SmtpServer

pytestmark = pytest.mark.prometheus


def _run(config: Path, out: Path, week: int = 1, *extra: str) -> int:
    return main(cli_args(week, config, out, "--format", "md", *extra))


def _tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        return [str(r[0]) for r in rows]


def test_a_corrupt_history_names_the_file_and_the_fix(
    demo_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "week-01").mkdir(parents=True)
    (out / "week-01" / "go-code.md").write_text("last night's report")
    history = out / "history.sqlite"
    history.write_bytes(b"this is not a database, it is a note\n" * 200)
    assert _run(demo_config, out, 1, "-q") == 1
    assert capsys.readouterr().err == (
        f"error: {history} cannot be used as the run history (file is not a database); "
        f"move it aside (mv {history} {history}.broken): the next run starts a new history\n"
    )
    assert (out / "week-01" / "go-code.md").read_text() == "last night's report"
    assert sorted(p.name for p in out.iterdir()) == ["history.sqlite", "week-01"]
    # a dry run does not need the history at all
    assert _run(demo_config, out, 1, "-q", "--dry-run") == 0
    # the fix the message gives works, and the next run says it starts a new history
    history.rename(out / "history.sqlite.broken")
    assert _run(demo_config, out, 1) == 0
    assert f"{history}: no history yet, starting a new one" in capsys.readouterr().err
    assert History(history).runs() == 1


def test_a_locked_history_fails_before_anything_is_replaced_or_sent(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(pipeline.core.history, "BUSY_TIMEOUT_S", 1.0)
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        assert _run(config, out, 1, "-q") == 0  # a first run: history and week-01 exist
        report = out / "week-01" / "go-code.md"
        report.write_text("the report as it was")
        history = out / "history.sqlite"
        holder = sqlite3.connect(history, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process is writing: readers may go on
        try:
            started = time.monotonic()
            assert _run(config, out, 1, "-q", "--email") == 1
            elapsed = time.monotonic() - started
        finally:
            holder.rollback()
            holder.close()
    assert capsys.readouterr().err == (
        f"error: {history} is locked by another process (waited 1s); nothing was replaced: "
        "run again when it is done\n"
    )
    assert elapsed < 60  # a bounded wait, not the 30 s (or forever) per statement of before
    assert report.read_text() == "the report as it was"
    assert inbox.messages == []
    assert History(history).runs() == 1
    assert not list(out.glob(".week-01.*-*"))


def test_a_run_is_recorded_only_if_its_folder_is_swapped_in(
    demo_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert _run(demo_config, out, 1, "-q") == 0

    def full(staging: Path, final: Path, old: Path) -> None:
        raise OSError(28, "No space left on device", str(final))

    monkeypatch.setattr(pipeline.outputs.folder, "_swap", full)
    assert _run(demo_config, out, 1, "-q") == 1
    assert capsys.readouterr().err == (
        f"error: cannot write {out / 'week-01'}: No space left on device; "
        "the previous week-01 is unchanged\n"
    )
    assert History(out / "history.sqlite").runs() == 1


def test_an_old_history_is_upgraded_and_unread_tables_dropped(
    demo_config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert _run(demo_config, out, 1, "-q") == 0
    history = out / "history.sqlite"
    with sqlite3.connect(history) as db:  # as 0.1 left it: no version, two tables nobody read
        db.execute("CREATE TABLE category_scores (run_id INTEGER, category TEXT, score REAL)")
        db.execute("CREATE TABLE agent_scores (run_id INTEGER, agent_id TEXT, score REAL)")
        db.execute("PRAGMA user_version = 0")
    assert _run(demo_config, out, 2, "-q") == 0
    tables = ["deliveries", "goal_scores", "invalidations", "runs", "series_values"]
    assert _tables(history) == tables
    with sqlite3.connect(history) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert History(history).runs() == 2
    assert [w.week for w in History(history).before(3).weeks] == [1, 2]


def test_a_history_from_a_newer_version_is_left_alone(
    demo_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert _run(demo_config, out, 1, "-q") == 0
    history = out / "history.sqlite"
    with sqlite3.connect(history) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    assert _run(demo_config, out, 2, "-q") == 1
    assert capsys.readouterr().err == (
        f"error: {history} was written by a newer version of the pipeline (schema "
        f"{SCHEMA_VERSION + 1}, this one knows {SCHEMA_VERSION}); upgrade, or move the file aside\n"
    )
    assert not (out / "week-02").exists()


def test_a_full_disk_is_not_called_a_broken_history(tmp_path: Path) -> None:
    """The file is fine when SQLite cannot write for lack of space: moving it would lose it."""
    history = History(tmp_path / "history.sqlite")
    error = history._error(sqlite3.OperationalError("database or disk is full"))
    assert str(error) == (
        f"cannot write {tmp_path / 'history.sqlite'}: the disk is full; nothing was replaced: "
        "free some space and run again"
    )
    assert "move it aside" not in str(error)
