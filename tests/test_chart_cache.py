"""The chart cache: a rerun of a week reuses its charts, new data draws them again, and a
damaged entry never reaches a report."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.core.model import GoalResult, QueryResult, Window
from pipeline.report.charts import cache as chartcache
from pipeline.report.charts import draw as charts
from pipeline.report.charts import jobs as chartjobs
from pipeline.report.charts.cache import CACHE_DIR, ChartCache, goal_key, is_whole_png
from pipeline.report.charts.data import ChartBand
from tests.support.chartweek import ANSWERS, run, scored_week

CHARTS = ("up", "lat", "err")


def _count_drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Draw in this process and note which goals' charts were drawn."""
    drawn: list[str] = []
    real: Callable[[GoalResult, QueryResult, Window, Path, ChartBand | None], None]
    real = charts.draw_goal_chart

    def draw(
        goal: GoalResult, data: QueryResult, window: Window, path: Path, band: ChartBand | None
    ) -> None:
        drawn.append(goal.spec.id)
        real(goal, data, window, path, band)

    monkeypatch.setattr(chartjobs, "workers_for", lambda jobs: 1)
    monkeypatch.setattr(charts, "draw_goal_chart", draw)
    return drawn


def _pictures(out: Path) -> dict[str, bytes]:
    return {g: (out / "week-01" / "charts/goals" / f"{g}.png").read_bytes() for g in CHARTS}


def test_a_rerun_of_the_week_takes_every_chart_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    drawn = _count_drawn(monkeypatch)
    out = tmp_path / "out"
    run(tmp_path, out)
    first = _pictures(out)
    assert sorted(drawn) == sorted(CHARTS)
    assert len(list((out / CACHE_DIR).glob("*.png"))) == 3
    drawn.clear()
    with caplog.at_level(logging.INFO, logger="pipeline"):
        run(tmp_path, out)
    assert drawn == []
    assert "charts: 3 from the cache, 0 to draw" in caplog.text
    assert _pictures(out) == first


def test_new_data_draws_that_goals_chart_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = _count_drawn(monkeypatch)
    out = tmp_path / "out"
    run(tmp_path, out)
    drawn.clear()
    run(tmp_path, out, answers={**ANSWERS, "q_lat": [({"c": "x"}, 121.0), ({"c": "y"}, 80.0)]})
    assert drawn == ["lat"]
    fresh = tmp_path / "fresh"  # what a run without a cache draws from the new data
    run(tmp_path, fresh, answers={**ANSWERS, "q_lat": [({"c": "x"}, 121.0), ({"c": "y"}, 80.0)]})
    assert _pictures(out) == _pictures(fresh)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # a copy cut short
        lambda data: data[:100] + bytes([data[100] ^ 1]) + data[101:],  # one bit flipped
        lambda data: b"",
    ],
    ids=["truncated", "bit-flip", "empty"],
)
def test_a_damaged_entry_is_drawn_again_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Callable[[bytes], bytes]
) -> None:
    drawn = _count_drawn(monkeypatch)
    out = tmp_path / "out"
    run(tmp_path, out)
    first = _pictures(out)
    result, results, _ = scored_week(tmp_path)
    goal = result.goal("lat")
    entry = out / CACHE_DIR / f"{goal_key(goal, results[goal.spec.query], result.window, None)}.png"
    entry.write_bytes(damage(entry.read_bytes()))
    drawn.clear()
    run(tmp_path, out)
    assert drawn == ["lat"]
    assert _pictures(out) == first
    assert entry.read_bytes() == first["lat"]  # the entry is whole again


def test_whole_png_checks_every_chunk(tmp_path: Path) -> None:
    run(tmp_path, tmp_path / "out")
    data = _pictures(tmp_path / "out")["up"]
    assert is_whole_png(data)
    assert not is_whole_png(data[:-1])
    assert not is_whole_png(data + b"\0")
    assert not is_whole_png(data[:-12])  # without IEND
    assert not is_whole_png(b"GIF89a" + data[6:])


def test_the_key_changes_with_the_drawing_code_and_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, results, _ = scored_week(tmp_path)
    goal = result.goal("up")
    before = goal_key(goal, results["q_up"], result.window, None)
    assert goal_key(goal, results["q_up"], result.window, None) == before
    monkeypatch.setattr(chartcache, "drawing_version", lambda: b"matplotlib=9.9")
    assert goal_key(goal, results["q_up"], result.window, None) != before


def test_a_matplotlibrc_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    chartcache.drawing_version.cache_clear()
    plain = chartcache.drawing_version()
    (tmp_path / "matplotlibrc").write_text("lines.linewidth: 4\n")  # where a run starts
    chartcache.drawing_version.cache_clear()
    here = chartcache.drawing_version()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "matplotlibrc").write_text("axes.grid: False\n")
    chartcache.drawing_version.cache_clear()
    assert len({plain, here, chartcache.drawing_version()}) == 3
    chartcache.drawing_version.cache_clear()


def test_the_cache_keeps_the_most_recently_used_entries(tmp_path: Path) -> None:
    cache = ChartCache(tmp_path / "cache")
    source = tmp_path / "chart.png"
    source.write_bytes(b"picture")
    for i in range(5):
        cache.store(f"k{i}", source)
        os.utime(tmp_path / "cache" / f"k{i}.png", (1000 + i, 1000 + i))  # k4 used last
    stale = tmp_path / "cache" / ".tmp-left-by-a-killed-run.png"
    stale.write_bytes(b"half")
    os.utime(stale, (1000, 1000))
    cache.prune(keep=2)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["k3.png", "k4.png"]
