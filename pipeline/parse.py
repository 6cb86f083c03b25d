"""A range query's `data.result` checked, merged across chunks and put on the window's grid.

Anything malformed (a `metric` that is not an object, `values` that are not a list, a sample
that is not a number) raises Malformed with where it is; more series than allowed raises
TooManySeries. Samples off the step grid or outside [first, last] are dropped, so coverage
counts grid points that have a sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pipeline.model import Labels, Series
from pipeline.text import cap, one_line, valid_text

GRID_TOLERANCE_S = 1e-3  # Prometheus times have millisecond precision


class Malformed(ValueError):
    """The answer is a Prometheus success, but its data cannot be read."""


class TooManySeries(ValueError):
    """The query returned more series than prometheus.max_series_per_goal."""


@dataclass(frozen=True)
class Grid:
    """The sample times a range query asks for: first_ts, first_ts + step_s, ..., last_ts."""

    first_ts: float
    last_ts: float
    step_s: float

    @property
    def points(self) -> int:
        """How many grid points there are."""
        return round((self.last_ts - self.first_ts) / self.step_s) + 1


def labels_text(labels: Labels) -> str:
    """`{job="a", env="x"}`, as Prometheus writes a series."""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}"


def _shown(value: object) -> str:
    return one_line(cap(repr(value), 60))


def series_labels(item: object, index: int) -> Labels:
    """The labels of `item`, the index-th series of data.result."""
    if not isinstance(item, dict):
        raise Malformed(f"series {index + 1} is not an object: {_shown(item)}")
    metric = item.get("metric")
    if not isinstance(metric, dict):
        raise Malformed(f"the metric of series {index + 1} is not an object: {_shown(metric)}")
    return tuple(sorted((valid_text(str(k)), valid_text(str(v))) for k, v in metric.items()))


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError
    return float(value)


def _samples(values: list[Any], labels: Labels) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Times and values of `values` ([[time, "value"], ...]); Malformed names the first bad one."""
    try:
        ts = np.fromiter((_number(v[0]) for v in values), dtype=np.float64, count=len(values))
        vs = np.fromiter((_number(v[1]) for v in values), dtype=np.float64, count=len(values))
        return ts, vs
    except (TypeError, ValueError, IndexError, KeyError):
        pass
    where = labels_text(labels)
    for i, sample in enumerate(values, start=1):
        if not isinstance(sample, list | tuple) or len(sample) != 2:
            raise Malformed(f"sample {i} of series {where} is not a [time, value] pair")
        for part, name in ((sample[0], "time"), (sample[1], "number")):
            try:
                _number(part)
            except (TypeError, ValueError):
                raise Malformed(
                    f"sample {i} of series {where} is not a {name}: {_shown(part)}"
                ) from None
    raise Malformed(f"series {where} has unreadable samples")  # pragma: no cover


def _on_grid(
    ts: NDArray[np.float64], vs: NDArray[np.float64], grid: Grid
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Only the samples on a grid point, one per point, times snapped to the grid."""
    k = np.rint((ts - grid.first_ts) / grid.step_s)
    on = (
        (np.abs(ts - (grid.first_ts + k * grid.step_s)) <= GRID_TOLERANCE_S)
        & (k >= 0)
        & (k < grid.points)
    )
    snapped = grid.first_ts + k[on] * grid.step_s
    unique_ts, index = np.unique(snapped, return_index=True)
    return unique_ts, vs[on][index]


def parse_range(parts: Sequence[object], grid: Grid, max_series: int) -> tuple[Series, ...]:
    """Join each series' chunks (`parts` are data.result of each request) on the grid."""
    pieces: dict[Labels, list[Any]] = {}
    for part in parts:
        if not isinstance(part, list):
            raise Malformed(f"data.result is not a list of series: {_shown(part)}")
        for i, item in enumerate(part):
            labels = series_labels(item, i)
            values = item.get("values")
            if not isinstance(values, list):
                raise Malformed(
                    f"the values of series {labels_text(labels)} are not a list: {_shown(values)}"
                )
            pieces.setdefault(labels, []).extend(values)
            if len(pieces) > max_series:
                raise TooManySeries(
                    f"the query returned more than {max_series:,} series "
                    "(raise prometheus.max_series_per_goal to allow more)"
                )
    merged = []
    for labels, values in pieces.items():
        ts, vs = _on_grid(*_samples(values, labels), grid)
        if ts.size:
            merged.append(Series(labels=labels, timestamps=ts, values=vs))
    return tuple(sorted(merged, key=lambda s: s.labels))
