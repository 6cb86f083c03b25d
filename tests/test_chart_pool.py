"""Charts drawn in the pool: the same bytes as drawn in order, and a failure is the run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.history import Past, WeekPoint
from pipeline.core.outcomes import Verdict
from pipeline.errors import OutputError
from pipeline.report.charts import jobs as chartjobs
from pipeline.report.charts.cache import ChartCache
from pipeline.report.charts.data import TREND_CHART
from pipeline.report.charts.jobs import ChartJob, WeekCharts, chart_jobs
from pipeline.report.pool import run_all
from pipeline.scoring.trend import build_trend
from tests.support.chartweek import run, scored_week
from tests.support.poolwork import HELD, WithPid, die_on_lat, raise_on_lat, rss_kib, worker_state


def _with_pid(job: ChartJob) -> ChartJob:
    """The job, also writing the id of the process that drew it beside the chart."""
    return ChartJob(job.name, job.key, WithPid(job.draw))


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


def test_a_chart_that_raises_fails_the_run_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chartjobs, "workers_for", lambda jobs: 2)
    monkeypatch.setattr(chartjobs, "_draw_goal", raise_on_lat)  # pickled by name
    with pytest.raises(ValueError, match="no room on the canvas"):
        run(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out" / "week-01").exists()


def test_a_chart_worker_that_dies_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chartjobs, "workers_for", lambda jobs: 2)
    monkeypatch.setattr(chartjobs, "_draw_goal", die_on_lat)
    with pytest.raises(OutputError, match="a process drawing the charts stopped without an answer"):
        run(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out" / "week-01").exists()


RUN_THAT_GETS_KILLED = """
import sys
from pathlib import Path
from pipeline.report.pool import Batch
from tests.support.poolwork import note_and_sleep

folder = Path(sys.argv[1])
Batch(note_and_sleep, [folder / "a", folder / "b"], "sleeping", 2).results()
"""


def _alive(pid: int) -> bool:
    """Running, neither gone nor a zombie (it can go between any two looks: gone is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


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


def test_a_worker_does_not_hold_the_runs_data() -> None:
    """Workers forked from the run after the queries held its query data: 2,000 goals took
    about 1.4 GB over the run and two chart workers (issue 20)."""
    big = np.ones(200 * 2**20 // 8)  # 200 MiB, every page written
    HELD.append(big)
    try:
        run_rss = rss_kib()
        states = run_all(worker_state, [0, 1], "measuring", 2)
    finally:
        HELD.clear()
    for pid, worker_rss, held in states:
        assert pid != os.getpid() and not held
        assert worker_rss < run_rss - big.nbytes // 1024 // 2, (worker_rss, run_rss)
