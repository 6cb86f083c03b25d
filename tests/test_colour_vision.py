"""Colour-blind safe: a deuteranope (Machado et al. 2009, severity 1.0) still tells met, at risk,
missed and the target apart, in the palette and in the pixels of real charts (CIEDE2000)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from numpy.typing import NDArray
from PIL import Image

from pipeline.config import load_config
from pipeline.core.history import WeekPoint
from pipeline.core.model import QueryResult, Series
from pipeline.core.outcomes import Status, Verdict
from pipeline.query.ask import query_all
from pipeline.report import palette
from pipeline.report.charts import draw
from pipeline.report.charts.data import ordered_series
from pipeline.report.charts.png import save_png
from pipeline.scoring.score import score_week
from pipeline.scoring.window import week_window
from tests.support import colourvision as cv
from tests.support.chartweek import ANSWERS, CONFIG, NOW
from tests.support.configs import write_config
from tests.support.fakes import FakeSource

MIN_APART = 20.0  # CIEDE2000 between colours a reader must tell apart: about 9 "just noticeable"
MIN_APART_FILL = 10.0  # between a chart's pale fills, which are also hatched or named
MIN_PIXELS = 60  # a colour the chart uses covers at least this many pixels

STATUS_COLOURS = {"met": palette.MET, "at risk": palette.AT_RISK, "missed": palette.MISSED}


def _pairs(colours: dict[str, str]) -> list[tuple[str, str, float]]:
    return [
        (a, b, cv.seen_apart(colours[a], colours[b])) for a, b in itertools.combinations(colours, 2)
    ]


def test_the_simulation_matches_published_values() -> None:
    # Sharma, Wu and Dalal (2005), CIEDE2000 test data, pairs 1, 7 and 17
    assert cv.ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, 1e-4)
    assert cv.ciede2000((50, 0, 0), (50, -1, 2)) == pytest.approx(2.3669, 1e-4)
    assert cv.ciede2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, 1e-4)
    # Machado's deuteranope: white and greys unchanged, red and green alike in hue
    assert cv.deuteranopia([1.0, 1.0, 1.0]) == pytest.approx([1.0, 1.0, 1.0], abs=1e-3)
    assert cv.apart("#808080", "#808080") == 0


def test_the_old_palette_is_what_the_user_saw() -> None:
    """The check would have caught it: the old green target and red series, met and missed."""
    assert cv.seen_apart("#1e8449", "#c0392b") < 10  # target line vs the second series
    assert cv.apart("#1e8449", "#c0392b") > 40  # yet far apart to normal colour vision


def test_the_status_colours_and_the_target_stay_apart() -> None:
    colours = {**STATUS_COLOURS, "target": palette.TARGET}
    for a, b, seen in _pairs(colours):
        assert seen >= MIN_APART, f"{a} and {b}: {seen:.1f}"


def test_the_target_stays_apart_from_every_series_colour() -> None:
    assert draw.COLORS == palette.SERIES and draw.TARGET_COLOR == palette.TARGET
    for colour in palette.SERIES:
        seen = cv.seen_apart(palette.TARGET, colour)
        assert seen >= MIN_APART, f"target and {colour}: {seen:.1f}"
        assert cv.seen_apart("#ffffff", colour) >= MIN_APART  # and every line shows on white


def test_the_statuses_as_the_pages_show_them_stay_apart() -> None:
    """Badges, pills and matrix cells: every status colour, black text readable on each."""
    shown = {code: palette.STATUS[code] for code in ("met", "at_risk", "missed", "no_data")}
    for a, b, seen in _pairs(shown):
        assert seen >= MIN_APART_FILL, f"{a} and {b}: {seen:.1f}"
    for code in (s.value for s in Status):
        assert _contrast(palette.ON_STATUS, palette.STATUS[code]) >= 4.5, code


class _Wave(FakeSource):
    """q_lat's series: one met until midday then missed, one at risk, two met."""

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        if query != "q_lat":
            return super().query_range(query, first_ts, last_ts, step_s)
        ts = np.arange(first_ts, last_ts + step_s, step_s)
        late = ts >= ts[ts.size // 2]
        values = {"a": np.where(late, 175.0, 90.0), "b": 125.0, "c": 60.0, "d": 30.0}
        return QueryResult(
            query,
            tuple(
                Series((("c", k),), ts, np.broadcast_to(v, ts.shape).astype(np.float64))
                for k, v in values.items()
            ),
        )


def _png(tmp_path: Path, fig: Figure) -> NDArray[np.float64]:
    """The figure as the reports get it (save_png), read back: pixels, sRGB in 0..1."""
    save_png(fig, tmp_path / "chart.png", draw.DPI)
    with Image.open(tmp_path / "chart.png") as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64).reshape(-1, 3) / 255


def _used(pixels: NDArray[np.float64], colour: NDArray[np.float64] | str) -> NDArray[np.float64]:
    """The colour the chart really painted for `colour`: the mean of its pixels within a small
    difference of it (thin lines are antialiased); fails if it is not in the picture."""
    unique, counts = np.unique(pixels, axis=0, return_counts=True)
    near = cv.ciede2000(cv.lab(unique), cv.lab(cv.over_white(colour, 1.0))) <= 8
    assert counts[near].sum() >= MIN_PIXELS, f"{colour} is not in the chart"
    return np.average(unique[near], axis=0, weights=counts[near])


def _assert_apart(
    used: dict[str, NDArray[np.float64]], pairs: list[tuple[str, str]], least: float
) -> None:
    for a, b in pairs:
        seen = cv.seen_apart(used[a], used[b])
        assert seen >= least, f"{a} and {b} look alike to a deuteranope: {seen:.1f}"


def test_a_real_goal_chart_keeps_its_colours_apart(tmp_path: Path) -> None:
    """The latency chart with four series, the target, the at-risk band and the times off
    target: the colours in its PNG stay apart once seen as a deuteranope sees them."""
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    window = week_window(loaded.sprint, 1, NOW)
    results = dict(query_all(_Wave(ANSWERS), [g.query for g in loaded.goals], window))
    result = score_week(loaded, window, results, NOW)
    goal = result.goal("lat")
    assert goal.status is Status.MISSED and len(ordered_series(goal, results["q_lat"])) == 4
    fig = draw.goal_figure(goal, results["q_lat"], window)
    ax = fig.axes[0]
    target = [line for line in ax.get_lines() if line.get_label().startswith("target")]
    assert target and target[0].get_linestyle() == "--"  # dashed: not told by colour alone
    (band,) = [p for p in ax.patches if p.get_label().startswith("at risk")]
    assert band.get_hatch() and "at risk" in [t.get_text() for t in ax.texts]  # and named
    pixels = _png(tmp_path, fig)
    series = {f"series {i}": to_rgb(c) for i, c in enumerate(draw.COLORS[:4])}
    used = {
        "target": _used(pixels, palette.TARGET),
        **{name: _used(pixels, np.array(c)) for name, c in series.items()},
        "at risk": _used(pixels, cv.over_white(palette.AT_RISK, draw.AT_RISK_ALPHA)),
        "off target": _used(pixels, cv.over_white(palette.MISSED, draw.MISSED_ALPHA)),
    }
    _assert_apart(used, [("target", name) for name in series], MIN_APART)
    _assert_apart(used, [("at risk", "off target")], MIN_APART_FILL)


def test_the_trend_chart_keeps_its_bands_apart(tmp_path: Path) -> None:
    """Achieved, at risk and missed behind the score line: apart, and each named."""
    weeks = [WeekPoint(1, 46.0, Verdict.MISSED, True), WeekPoint(2, 76.0, Verdict.AT_RISK, True)]
    draw.draw_trend_chart(weeks, 90, 75, tmp_path / "trend.png")
    with Image.open(tmp_path / "trend.png") as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.float64).reshape(-1, 3) / 255
    used = {
        "achieved": _used(pixels, cv.over_white(palette.MET, draw.MET_ALPHA)),
        "at risk": _used(pixels, cv.over_white(palette.AT_RISK, draw.AT_RISK_ALPHA)),
        "missed": _used(pixels, cv.over_white(palette.MISSED, draw.MISSED_ALPHA)),
        "score": _used(pixels, draw.COLORS[0]),
    }
    bands = ["achieved", "at risk", "missed"]
    _assert_apart(used, list(itertools.combinations(bands, 2)), MIN_APART_FILL)
    _assert_apart(used, [("score", band) for band in bands], MIN_APART)


def _contrast(text: str, background: str) -> float:
    """WCAG 2 contrast ratio of two colours."""

    def luminance(colour: str) -> float:
        return float(np.dot(cv.to_linear(cv.hex_rgb(colour)), [0.2126, 0.7152, 0.0722]))

    light, dark = sorted((luminance(text), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
