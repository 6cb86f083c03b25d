"""Charts drawn in the forked pool: the same bytes as drawn in order, and a failure is the run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.errors import OutputError
from pipeline.history import Past, WeekPoint
from pipeline.model import GoalResult, QueryResult, Window
from pipeline.outcomes import Verdict
from pipeline.report import chartjobs, charts
from pipeline.report.chartcache import ChartCache
from pipeline.report.chartdata import TREND_CHART
from pipeline.report.chartjobs import ChartJob, WeekCharts, chart_jobs
from pipeline.trend import build_trend
from tests.chartweek import run, scored_week


def _with_pid(job: ChartJob) -> ChartJob:
    """The job, also writing the id of the process that drew it beside the chart."""

    def draw(path: Path) -> None:
        job.draw(path)
        path.with_suffix(".pid").write_text(str(os.getpid()))

    return ChartJob(job.name, job.key, draw)


def _draw(tmp_path: Path, name: str, workers: int, monkeypatch: pytest.MonkeyPatch) -> Path:
    result, results, _ = scored_week(tmp_path)
    past = Past(weeks=(WeekPoint(0, 55.0, Verdict.AT_RISK, True),), goals={})
    trend = build_trend(result, past)  # an earlier week: the trend chart too
    _, jobs = chart_jobs(result, results, result.agents, trend)
    monkeypatch.setattr(chartjobs, "workers_for", lambda jobs: workers)
    folder = tmp_path / name
    with WeekCharts([_with_pid(j) for j in jobs], folder, ChartCache(tmp_path / name / "c")) as w:
        w.finish()
    return folder


def test_the_pool_draws_the_bytes_drawing_in_order_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled = _draw(tmp_path, "pool", 2, monkeypatch)
    ordered = _draw(tmp_path, "order", 1, monkeypatch)
    names = ["charts/goals/up.png", "charts/goals/lat.png", "charts/goals/err.png", TREND_CHART]
    for name in names:
        assert (pooled / name).read_bytes() == (ordered / name).read_bytes(), name
    pool_pids = {int((pooled / n).with_suffix(".pid").read_text()) for n in names}
    order_pids = {int((ordered / n).with_suffix(".pid").read_text()) for n in names}
    assert os.getpid() not in pool_pids and order_pids == {os.getpid()}


def _broken(kind: str) -> Callable[[GoalResult, QueryResult, Window, Path], None]:
    """draw_goal_chart, except for the `lat` goal, which raises or stops the process dead."""
    real = charts.draw_goal_chart

    def draw(goal: GoalResult, data: QueryResult, window: Window, path: Path) -> None:
        if goal.spec.id == "lat":
            if kind == "die":
                os._exit(9)  # killed, out of memory
            raise ValueError("no room on the canvas")
        real(goal, data, window, path)

    return draw


def test_a_chart_that_raises_fails_the_run_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chartjobs, "workers_for", lambda jobs: 2)
    monkeypatch.setattr(charts, "draw_goal_chart", _broken("raise"))
    with pytest.raises(ValueError, match="no room on the canvas"):
        run(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out" / "week-01").exists()


def test_a_chart_worker_that_dies_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chartjobs, "workers_for", lambda jobs: 2)
    monkeypatch.setattr(charts, "draw_goal_chart", _broken("die"))
    with pytest.raises(OutputError, match="a process drawing the charts stopped without an answer"):
        run(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out" / "week-01").exists()


RUN_THAT_GETS_KILLED = """
import os, sys, time
from pathlib import Path
from pipeline.report.pool import Batch

def work(path: Path) -> None:
    path.write_text(str(os.getpid()))
    time.sleep(120)

folder = Path(sys.argv[1])
Batch(work, [folder / "a", folder / "b"], "sleeping", 2).results()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_the_workers_of_a_killed_run_die_with_it(tmp_path: Path) -> None:
    """A killed run's workers would hold its files, the week lock among them, and keep the next
    run of that week waiting."""
    run = subprocess.Popen([sys.executable, "-c", RUN_THAT_GETS_KILLED, str(tmp_path)])
    deadline = time.monotonic() + 60
    while not ((tmp_path / "a").exists() and (tmp_path / "b").exists()):
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    workers = [int((tmp_path / name).read_text()) for name in ("a", "b")]
    run.send_signal(signal.SIGKILL)
    run.wait()
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its run"
        time.sleep(0.02)
