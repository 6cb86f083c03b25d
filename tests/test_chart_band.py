"""The week's forecast band on a goal's chart: shaded from the last observed point to the
week's end, in the chart's cache key, and nothing of it on a chart without a band."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from pipeline.config import load_config
from pipeline.core.history import Past
from pipeline.core.model import ForecastBand, Horizons, Outlook, QueryResult, WeekResult
from pipeline.query.ask import query_all
from pipeline.report.charts import jobs as chartjobs
from pipeline.report.charts.band import BAND_LABEL
from pipeline.report.charts.cache import ChartCache, goal_key
from pipeline.report.charts.data import ChartBand, chart_band
from pipeline.report.charts.draw import draw_goal_chart, goal_figure
from pipeline.report.charts.jobs import WeekCharts, chart_jobs
from pipeline.scoring.score import score_week
from pipeline.scoring.trend import build_trend
from pipeline.scoring.window import week_window
from tests.support.chartweek import ANSWERS, CONFIG
from tests.support.configs import write_config
from tests.support.fakes import FakeSource
from tests.support.forecast import goal_odds

MIDDAY = datetime(2026, 11, 2, 12, tzinfo=UTC)  # half way through week 1 (one day, hourly)
WEEK_END = datetime(2026, 11, 3, tzinfo=UTC)
WORST_LAT = (("c", "x"),)  # q_lat's series at 120 ms: the one most often the worst


def _band(shift: float = 0.0) -> ForecastBand:
    """A band for `lat` over the week's last twelve hours, in three-hour blocks."""
    hours = np.array([13.5, 16.5, 19.5, 22.5])
    return ForecastBand(
        labels=WORST_LAT,
        timestamps=MIDDAY.timestamp() + (hours - 12.0) * 3600.0,
        low=np.array([112.0, 104.0, 98.0, 95.0]) + shift,
        high=np.array([128.0, 145.0, 160.0, 172.0]) + shift,  # past the at-risk bound
    )


def _week(tmp_path: Path, band: ForecastBand | None) -> tuple[WeekResult, dict[str, QueryResult]]:
    """Week 1 of chartweek.py's sprint scored at midday, with `band` for `lat` (if any)."""
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    window = week_window(loaded.sprint, 1, MIDDAY)
    results = dict(query_all(FakeSource(ANSWERS), [g.query for g in loaded.goals], window))
    result = score_week(loaded, window, results, MIDDAY)
    if band is not None:
        odds = goal_odds(WEEK_END, 0.2, 0.5, 100.0, 120.0, 150.0)
        outlook = Outlook(goals={"lat": Horizons(week_end=odds)}, bands={"lat": band})
        result = dataclasses.replace(result, outlook=outlook)
    return result, results


def _figure(result: WeekResult, results: dict[str, QueryResult], goal_id: str) -> Figure:
    goal = result.goal(goal_id)
    return goal_figure(goal, results[goal.spec.query], result.window, chart_band(result, goal_id))


def _forecast(fig: Figure) -> list[Collection]:
    return [c for c in fig.axes[0].collections if c.get_label() == BAND_LABEL]


def test_the_band_runs_from_the_last_observed_point_to_the_weeks_end(tmp_path: Path) -> None:
    band = _band()
    result, results = _week(tmp_path, band)
    assert not result.window.complete and result.window.end == MIDDAY
    fig = _figure(result, results, "lat")
    ax = fig.axes[0]
    assert ax.get_xlim()[1] == pytest.approx(date2num(WEEK_END))  # not as of midday
    (shaded,) = _forecast(fig)
    points = {(round(x, 6), round(y, 6)) for x, y in shaded.get_paths()[0].vertices}
    last_seen = MIDDAY - timedelta(hours=1)  # the last hourly sample before midday, 120 ms
    at = [date2num(last_seen), *date2num(band.timestamps.astype("datetime64[s]"))]
    for x, low, high in zip(at, [120.0, *band.low], [120.0, *band.high], strict=True):
        assert (round(x, 6), low) in points and (round(x, 6), high) in points
    xs = [x for x, _ in points]
    assert min(xs) == pytest.approx(date2num(last_seen)) and max(xs) == pytest.approx(at[-1])
    assert ax.get_ylim()[1] > band.high.max()  # the y axis shows the whole band
    assert BAND_LABEL in ax.get_legend_handles_labels()[1]


def test_a_chart_without_a_band_has_nothing_of_it(tmp_path: Path) -> None:
    with_band, results = _week(tmp_path, _band())
    without, _ = _week(tmp_path, None)
    assert chart_band(without, "lat") is None and chart_band(with_band, "up") is None
    plain, banded = _figure(without, results, "lat"), _figure(with_band, results, "lat")
    assert _forecast(plain) == []
    assert len(banded.axes[0].collections) == len(plain.axes[0].collections) + 1
    assert len(banded.axes[0].lines) == len(plain.axes[0].lines) + 2  # the dashed edges
    assert plain.axes[0].get_xlim()[1] == pytest.approx(date2num(MIDDAY))  # as of now, as before
    up = _figure(with_band, results, "up")  # another goal of the same week: no band
    assert _forecast(up) == [] and up.axes[0].get_xlim()[1] == pytest.approx(date2num(MIDDAY))


def test_the_cache_key_follows_the_band(tmp_path: Path) -> None:
    result, results = _week(tmp_path, _band())
    goal, data = result.goal("lat"), results["q_lat"]

    def key(band: ForecastBand | None, until: datetime = WEEK_END) -> str:
        return goal_key(goal, data, result.window, band and ChartBand(band, until))

    assert key(_band()) == key(_band())  # equal bands, other arrays: the same key
    keys = {
        key(None),
        key(_band()),
        key(_band(shift=0.5)),
        key(dataclasses.replace(_band(), low=_band().low - 1)),
        key(dataclasses.replace(_band(), timestamps=_band().timestamps + 60)),
        key(dataclasses.replace(_band(), labels=(("c", "y"),))),
        key(_band(), until=WEEK_END + timedelta(hours=1)),
    }
    assert len(keys) == 7
    without, _ = _week(tmp_path, None)
    _, plain_jobs = chart_jobs(without, results, without.agents, build_trend(without, _past()))
    _, band_jobs = chart_jobs(result, results, result.agents, build_trend(result, _past()))
    plain_keys = {job.name: job.key for job in plain_jobs}
    band_keys = {job.name: job.key for job in band_jobs}
    assert plain_keys["charts/goals/lat.png"] == key(None)
    assert band_keys["charts/goals/lat.png"] == key(_band())
    assert {n: k for n, k in band_keys.items() if "lat" not in n} == {
        n: k for n, k in plain_keys.items() if "lat" not in n
    }


def test_the_band_changes_the_picture_and_the_pool_draws_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, results = _week(tmp_path, _band())
    goal, data = result.goal("lat"), results["q_lat"]
    draw_goal_chart(goal, data, result.window, tmp_path / "plain.png")
    draw_goal_chart(goal, data, result.window, tmp_path / "band.png", chart_band(result, "lat"))
    banded = (tmp_path / "band.png").read_bytes()
    assert banded != (tmp_path / "plain.png").read_bytes()
    monkeypatch.setattr(chartjobs, "workers_for", lambda jobs: 2)  # the band goes to a worker
    _, jobs = chart_jobs(result, results, result.agents, build_trend(result, _past()))
    with WeekCharts(jobs, tmp_path / "week", ChartCache(tmp_path / "cache")) as charts:
        charts.finish()
    assert (tmp_path / "week" / "charts/goals/lat.png").read_bytes() == banded


def _past() -> Past:
    return Past(weeks=(), goals={})
