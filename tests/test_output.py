"""Atomic week folders: a failed or killed run never leaves half-written reports."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from pipeline.demo.promserver import PrometheusServer
from pipeline.errors import OutputError
from pipeline.outputs.folder import staged_week_dir, week_lock
from pipeline.report.charts.cache import is_whole_png
from tests.support.command import pipeline_command
from tests.support.configs import shipped_config


def _previous(out: Path) -> Path:
    folder = out / "week-01"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("previous")
    return folder


def test_success_replaces_the_folder(tmp_path: Path) -> None:
    folder = _previous(tmp_path)
    with week_lock(tmp_path, 1), staged_week_dir(tmp_path, 1) as staging:
        (staging / "b.md").write_text("new")
        assert not (folder / "b.md").exists()  # nothing visible until the swap
    assert sorted(p.name for p in folder.iterdir()) == ["b.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".week-01.lock", "week-01"]


def test_failure_leaves_the_previous_folder_and_no_litter(tmp_path: Path) -> None:
    folder = _previous(tmp_path)
    with pytest.raises(RuntimeError), week_lock(tmp_path, 1), staged_week_dir(tmp_path, 1) as st:
        (st / "a.md").write_text("half")
        raise RuntimeError("renderer crashed")
    assert (folder / "a.md").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".week-01.lock", "week-01"]


def test_leftovers_of_a_killed_run_are_cleaned_and_the_previous_restored(tmp_path: Path) -> None:
    # a run killed between its two renames leaves the previous folder aside and a staging one
    (tmp_path / ".week-01.old-123").mkdir()
    (tmp_path / ".week-01.old-123" / "a.md").write_text("previous")
    (tmp_path / ".week-01.tmp-abc").mkdir()
    with week_lock(tmp_path, 1), staged_week_dir(tmp_path, 1, keep_previous=True) as staging:
        assert (staging / "a.md").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".week-01.lock", "week-01"]


def test_unwritable_output_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError) as info, week_lock(blocker / "out", 1):
        pass
    assert str(info.value).startswith(f"cannot write to {blocker / 'out'}: ")


def test_the_lock_serialises_runs_of_one_week(tmp_path: Path) -> None:
    events: list[str] = []

    def run(name: str) -> None:
        with week_lock(tmp_path, 1):
            events.append(f"{name} in")
            time.sleep(0.2)
            events.append(f"{name} out")

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert events[0][0] == events[1][0] and events[2][0] == events[3][0]


@pytest.mark.prometheus
def test_two_processes_for_one_week_both_end_complete(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    cmd = pipeline_command(1, config, tmp_path / "out", "-q", "--format", "md,html")
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    folder = tmp_path / "out" / "week-01"
    assert len(list(folder.glob("*.md"))) == 4 and (folder / "summary.json").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".cache",  # the chart cache: both wrote the same entries, each whole, none left half
        ".site.lock",
        ".week-01.lock",
        "history.sqlite",
        "index.html",  # the site's index: rewritten by both, whole, no temporary file left
        "week-01",
    ]
    cached = list((tmp_path / "out" / ".cache" / "charts").iterdir())
    assert cached and all(p.suffix == ".png" and is_whole_png(p.read_bytes()) for p in cached)
