"""One PNG chart per goal: the metric over the week against its target and warning band.

matplotlib `Figure` objects on the Agg canvas only (no pyplot state), so runs are thread-safe
and leave nothing behind. Each goal is drawn once per run and shared by every agent's report;
`jobs.py` decides which charts to draw (not the ones in the cache) and draws them in a pool.
A goal with a forecast band (a week in progress) also shows the band up to the week's end
(band.py); without one, the chart is what it always was.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from numpy.typing import NDArray

from pipeline.core.exclusions import merged
from pipeline.core.history import WeekPoint
from pipeline.core.model import GoalResult, QueryResult, Series, Window
from pipeline.core.outcomes import Status
from pipeline.core.targets import Target
from pipeline.core.text import one_line
from pipeline.report import formatting as fmt
from pipeline.report import palette
from pipeline.report.charts.band import draw_band
from pipeline.report.charts.data import ChartBand, ordered_series
from pipeline.report.charts.png import save_png

DPI = 150
SIZE_IN = (7.2, 2.8)
MAX_LINES = 6  # more series than this: the worst few as lines, all of them as a band
WORST_SHOWN = 3
COLORS = palette.SERIES  # Okabe-Ito: the palette module says why
TARGET_COLOR = palette.TARGET
WARNING_COLOR = palette.AT_RISK
VIOLATION_COLOR = palette.MISSED
# the fills' opacity: pale, yet apart for a deuteranope too (tests/test_colour_vision.py)
MET_ALPHA, AT_RISK_ALPHA, MISSED_ALPHA = 0.25, 0.45, 0.2
EXCLUDED_ALPHA = 0.2
EXCLUDED_LABEL = "excluded"


def draw_goal_chart(
    goal: GoalResult, data: QueryResult, window: Window, path: Path, band: ChartBand | None = None
) -> None:
    """Draw `goal`'s chart into `path` (PNG), with the week's forecast `band` if it has one."""
    save_png(goal_figure(goal, data, window, band), path, DPI)


def goal_figure(
    goal: GoalResult, data: QueryResult, window: Window, band: ChartBand | None = None
) -> Figure:
    """The chart of `goal` as a matplotlib Figure; with `band`, the time axis goes on to the
    week's end and the forecast band is shaded from the last observed point."""
    fig = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    grid = window.first_ts + window.step_s * np.arange(window.expected, dtype=np.float64)
    times = grid.astype("datetime64[s]")
    _time_axis(ax, times, window, band)
    ax.set_ylabel(plain(goal.spec.unit or "value"), fontsize=7)
    _shade_excluded(ax, goal, window, band)
    ordered = ordered_series(goal, data)
    if not ordered:
        _say_why_empty(ax, goal)
        return fig
    values, spread = _draw_series(ax, goal, ordered, grid, times)
    forecast = draw_band(ax, band, ordered, window)[1:] if band else ()
    bounds: list[Target] = []
    if goal.spec.target.resolved:  # a relative target without a baseline has no line
        _draw_target(ax, goal.spec.target, goal.spec.warning)
        _shade_off_target(ax, goal, values[0], times)
        bounds = [t for t in (goal.spec.target, goal.spec.warning) if t is not None]
    drawn = np.concatenate([*values, *spread, *forecast])
    _fit_y(ax, drawn, bounds)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v)))
    handles = len(ax.get_legend_handles_labels()[0])
    ax.legend(
        fontsize=6,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncols=min(4, handles),
        frameon=False,
    )
    return fig


def _time_axis(
    ax: Axes, times: NDArray[np.datetime64], window: Window, band: ChartBand | None
) -> None:
    """The week along x, in the sprint's time zone, to the window's end (as of now in a week in
    progress) or with a forecast band to the week's end; a light grid, no top or right frame."""
    end = np.datetime64(int((band.until if band else window.end).timestamp()), "s")
    ax.set_xlim(times[0] if times.size else end, end)  # type: ignore[arg-type]
    ax.xaxis.set_major_locator(
        AutoDateLocator(  # type: ignore[no-untyped-call]
            tz=window.start.tzinfo, maxticks=9
        )
    )
    ax.xaxis.set_major_formatter(
        DateFormatter(  # type: ignore[no-untyped-call]
            "%a %d %H:%M", tz=window.start.tzinfo
        )
    )
    ax.set_xlabel(f"time ({window.timezone})", fontsize=7)
    ax.tick_params(labelsize=6.5)
    ax.grid(True, linewidth=0.3, alpha=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _say_why_empty(ax: Axes, goal: GoalResult) -> None:
    """A chart with no line says why: the query failed, or there was no data."""
    if goal.status == Status.ERROR:
        reason = "Query failed: " + (goal.message or "")
    elif goal.raw is not None and goal.raw.status != Status.NO_DATA:
        reason = "Every sample in this window is excluded"
    else:
        reason = "No data in this window"
    ax.text(
        0.5,
        0.5,
        plain(reason[:120]),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9,
        color="#555555",
    )
    ax.set_yticks([])


def _draw_series(
    ax: Axes,
    goal: GoalResult,
    ordered: list[Series],
    grid: NDArray[np.float64],
    times: NDArray[np.datetime64],
) -> tuple[list[NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """The series as lines, worst first; past MAX_LINES the worst few, and all as a band.

    Returns the values drawn as lines (on the grid) and the band's low and high (empty if none).
    """
    keep = fmt.varying_labels([s.labels for s in ordered])
    if len(ordered) > MAX_LINES:
        shown = ordered[:WORST_SHOWN]
        low, high = _band(ordered, grid)
        ax.fill_between(
            times,
            low,
            high,
            color=palette.SPREAD,
            alpha=0.45,
            linewidth=0,
            label=f"all {fmt.count(len(ordered))} series (min to max)",
        )
    else:
        shown = ordered
        low = high = np.empty(0)
    # only the series drawn as lines are laid on the grid: never series x grid
    values = [_on_grid(s, grid) for s in shown]
    for i, line in enumerate(values):
        label = fmt.labels_text(shown[i].labels, keep) if shown[i].labels else goal.spec.name
        ax.plot(
            times,
            line,
            linewidth=0.8,
            color=COLORS[i % len(COLORS)],
            label=plain(label[:60] + ("…" if len(label) > 60 else "")),
        )
    return values, (low, high)


def _shade_excluded(ax: Axes, goal: GoalResult, window: Window, band: ChartBand | None) -> None:
    """Hatch the time the goal's exclusions leave out, within the chart's time axis."""
    first = window.first_ts
    last = (band.until if band else window.end).timestamp()
    label: str | None = EXCLUDED_LABEL
    for start, end in merged(goal.exclusions):
        start, end = max(start, first), min(end, last)
        if start >= end:
            continue
        ax.axvspan(
            np.datetime64(round(start * 1000), "ms"),  # type: ignore[arg-type]
            np.datetime64(round(end * 1000), "ms"),  # type: ignore[arg-type]
            facecolor=(*to_rgb(palette.EXCLUDED), EXCLUDED_ALPHA),
            edgecolor="none",
            hatch="\\\\",
            hatchcolor=palette.EXCLUDED_HATCH,
            hatch_linewidth=0.6,
            linewidth=0,
            label=label,
            zorder=1.1,  # over the at-risk band, under the lines
        )
        label = None  # one legend entry for them all


def _shade_off_target(
    ax: Axes, goal: GoalResult, worst: NDArray[np.float64], times: NDArray[np.datetime64]
) -> None:
    """Shade the times the worst series misses the per-sample rule (or the target)."""
    sample_rule = goal.spec.sample_target or goal.spec.target
    violating = ~np.isnan(worst) & ~sample_rule.mask(np.nan_to_num(worst, nan=0.0))
    if violating.any():
        ax.fill_between(
            times,
            0,
            1,
            where=violating,
            transform=ax.get_xaxis_transform(),
            color=VIOLATION_COLOR,
            alpha=MISSED_ALPHA,
            linewidth=0,
            label="worst series off target",
        )


def plain(text: str) -> str:
    """External text as matplotlib shows it literally: one line, `$` never starting mathtext."""
    return one_line(text).replace("$", r"\$")


def _grid_index(
    series: Series, grid: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    index = np.searchsorted(grid, series.timestamps)
    inside = (index < grid.size) & (grid[np.minimum(index, grid.size - 1)] == series.timestamps)
    return index[inside], inside


def _on_grid(series: Series, grid: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(grid.size, np.nan)
    index, inside = _grid_index(series, grid)
    out[index] = series.values[inside]
    return out


def _band(
    series: Sequence[Series], grid: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lowest and highest value at each grid point, in one pass (NaN where no series has one)."""
    low = np.full(grid.size, np.nan)
    high = np.full(grid.size, np.nan)
    for s in series:
        index, inside = _grid_index(s, grid)  # each time once per series: no repeated index
        low[index] = np.fmin(low[index], s.values[inside])
        high[index] = np.fmax(high[index], s.values[inside])
    return low, high


def _bounds(target: Target) -> list[float]:
    return [target.low, target.high] if target.op == ".." else [target.low]


def _draw_target(ax: Axes, target: Target, warning: Target | None) -> None:
    for i, bound in enumerate(_bounds(target)):
        ax.axhline(
            bound,
            color=TARGET_COLOR,
            linewidth=1.1,
            linestyle="--",
            label=f"target {fmt.target(target)}" if i == 0 else None,
        )
    if warning is None:
        return
    if target.op == ".." and warning.op == "..":
        spans = [(warning.low, target.low), (target.high, warning.high)]
    else:
        spans = [(min(warning.low, target.low), max(warning.low, target.low))]
    for i, (a, b) in enumerate(spans):
        if a < b:
            _at_risk_band(ax, a, b, f"at risk {fmt.target(warning)}" if i == 0 else None)
            _name_band(ax, a, b, "at risk")


def _at_risk_band(ax: Axes, low: float, high: float, label: str | None) -> None:
    """The at-risk band between `low` and `high`: hatched, not told by its colour alone."""
    ax.axhspan(
        low,
        high,
        facecolor=(*to_rgb(WARNING_COLOR), AT_RISK_ALPHA),
        edgecolor="none",
        hatch="///",
        hatchcolor=palette.AT_RISK_HATCH,
        hatch_linewidth=0.6,
        linewidth=0,
        label=label,
    )


def _name_band(ax: Axes, low: float, high: float, name: str, outside: bool = False) -> None:
    """`name` written at the right of the band from `low` to `high`, inside or past the axes."""
    ax.text(
        1.01 if outside else 0.995,
        (low + high) / 2,
        name,
        transform=ax.get_yaxis_transform(),
        ha="left" if outside else "right",
        va="center",
        fontsize=5.5 if outside else 6,
        color="#333333",
        bbox=None if outside else {"facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        clip_on=not outside,
    )


def _fit_y(ax: Axes, values: NDArray[np.float64], targets: Sequence[Target]) -> None:
    finite = values[np.isfinite(values)]
    points = [*finite.tolist()[:1], *(b for t in targets for b in _bounds(t))]
    if not points:
        return  # nothing finite to fit: matplotlib's own limits
    if finite.size:
        points += [float(finite.min()), float(finite.max())]
    low, high = min(points), max(points)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    ax.set_ylim(low - pad, high + pad)


def draw_trend_chart(
    weeks: Sequence[WeekPoint], pass_score: float, warning_score: float, path: Path
) -> None:
    """The overall score of each week so far, against the verdict thresholds."""
    fig = Figure(figsize=(3.6, 1.9), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.axhspan(pass_score, 100, color=palette.MET, alpha=MET_ALPHA, linewidth=0)
    _at_risk_band(ax, warning_score, pass_score, None)
    ax.axhspan(0, warning_score, color=VIOLATION_COLOR, alpha=MISSED_ALPHA, linewidth=0)
    bands = ((pass_score, 100), (warning_score, pass_score), (0, warning_score))
    for (low, high), name in zip(bands, ("achieved", "at risk", "missed"), strict=True):
        if low < high:
            _name_band(ax, low, high, name, outside=True)
    scored = [(w.week, float(w.score)) for w in weeks if w.score is not None]
    ax.plot(
        [week for week, _ in scored],
        [score for _, score in scored],
        marker="o",
        markersize=3.5,
        linewidth=1.2,
        color=COLORS[0],
    )
    for week, score in scored:
        ax.annotate(
            fmt.score(score),
            (week, score),
            textcoords="offset points",
            xytext=(0, 5),
            ha="center",
            fontsize=6,
        )
    ax.set_xticks([w.week for w in weeks])
    ax.set_xlabel("week", fontsize=7)
    ax.set_ylabel("overall score", fontsize=7)
    ax.set_ylim(0, 105)
    ax.tick_params(labelsize=6.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    save_png(fig, path, DPI)
