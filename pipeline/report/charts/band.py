"""The week's forecast on a goal's chart: the p10 to p90 of the deciding series' simulated level
(scoring/outlook.py), shaded from its last observed point to the week's end.

The band is drawn as the forecast made it: its values are already within the goal's known
bounds (a ratio between 0 and 1, a count at or above 0), so nothing is clipped here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from pipeline.core.model import ForecastBand, Series, Window
from pipeline.report import palette
from pipeline.report.charts.data import ChartBand

BAND_COLOR = palette.FORECAST  # apart from the min-to-max band, the target, at risk, off target
BAND_LABEL = "forecast p10–p90"

Points = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def draw_band(ax: Axes, chart: ChartBand, ordered: Sequence[Series], window: Window) -> Points:
    """Shade `chart`'s band, its edges dashed; returns its times (unix seconds), lows, highs."""
    times, low, high = joined(chart.band, ordered, window)
    when = np.rint(times * 1000).astype("datetime64[ms]")
    ax.fill_between(
        when, low, high, color=BAND_COLOR, alpha=0.2, linewidth=0, label=BAND_LABEL, zorder=1.5
    )
    for edge in (low, high):
        ax.plot(when, edge, color=BAND_COLOR, linewidth=0.6, linestyle=(0, (3, 2)), alpha=0.8)
    return times, low, high


def joined(band: ForecastBand, ordered: Sequence[Series], window: Window) -> Points:
    """The band's points, led by the deciding series' last observed sample (low = high = its
    value) when the chart has that series; else the band alone, from its first block."""
    last = last_observed(band.labels, ordered, window)
    if last is None:
        return band.timestamps, band.low, band.high
    at, value = last
    return (
        np.concatenate([[at], band.timestamps]),
        np.concatenate([[value], band.low]),
        np.concatenate([[value], band.high]),
    )


def last_observed(
    labels: tuple[tuple[str, str], ...], ordered: Sequence[Series], window: Window
) -> tuple[float, float] | None:
    """The time and value of the last finite sample in the window of the series `labels`."""
    for series in ordered:
        if series.labels != labels:
            continue
        seen = np.isfinite(series.values) & (series.timestamps < window.end.timestamp())
        where = np.flatnonzero(seen)
        if where.size:
            return float(series.timestamps[where[-1]]), float(series.values[where[-1]])
    return None
