"""A range query's `data.result` checked, merged across chunks and put on the window's grid.

Anything malformed (a `metric` that is not an object, `values` that are not a list, a sample
that is not a number) raises Malformed with where it is; more series than allowed raises
TooManySeries. Samples off the step grid or outside [first, last] are dropped, so coverage
counts grid points that have a sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pipeline.core.model import Labels, Series
from pipeline.core.text import cap, one_line, valid_text

GRID_TOLERANCE_S = 1e-3  # Prometheus times have millisecond precision


class Malformed(ValueError):
    """The answer is a Prometheus success, but its data cannot be read."""


RawSeries = tuple[Labels, NDArray[np.float64], NDArray[np.float64]]  # as the answer has it


# a series' samples from one answer: (first grid position, values) when on consecutive points,
# else (grid positions, values)
_Piece = tuple[int | NDArray[np.int64], NDArray[np.float64]]


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


def shown(value: object) -> str:
    """A value from the answer, short and on one line, for a message."""
    return one_line(cap(repr(value), 60))


def series_labels(item: object, index: int) -> Labels:
    """The labels of `item`, the index-th series of data.result."""
    if not isinstance(item, dict):
        raise Malformed(f"series {index + 1} is not an object: {shown(item)}")
    metric = item.get("metric")
    if not isinstance(metric, dict):
        raise Malformed(f"the metric of series {index + 1} is not an object: {shown(metric)}")
    return tuple(sorted((valid_text(str(k)), valid_text(str(v))) for k, v in metric.items()))


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError
    try:
        return float(value)
    except OverflowError:  # only an integer past float's range: inf, as json reads 1e400
        return math.inf if int(value) > 0 else -math.inf


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
                    f"sample {i} of series {where} is not a {name}: {shown(part)}"
                ) from None
    raise Malformed(f"series {where} has unreadable samples")  # pragma: no cover


def read_series(item: object, index: int) -> RawSeries:
    """Labels, times and values of `item`, the index-th series of data.result."""
    labels = series_labels(item, index)
    assert isinstance(item, dict)  # series_labels checked it
    values = item.get("values")
    if not isinstance(values, list):
        raise Malformed(
            f"the values of series {labels_text(labels)} are not a list: {shown(values)}"
        )
    return (labels, *_samples(values, labels))


def _on_grid(ts: NDArray[np.float64], vs: NDArray[np.float64], grid: Grid) -> _Piece:
    """The samples on a grid point, as a piece: (first position, values) when they sit on
    consecutive points (most do), else (positions, values). The values are a copy, so the
    answer they came from can go."""
    k = np.rint((ts - grid.first_ts) / grid.step_s)
    on = (
        (np.abs(ts - (grid.first_ts + k * grid.step_s)) <= GRID_TOLERANCE_S)
        & (k >= 0)
        & (k < grid.points)
    )
    at = k[on].astype(np.int64)
    values = vs[on]
    if at.size and at[-1] - at[0] == at.size - 1 and bool(np.all(np.diff(at) == 1)):
        return int(at[0]), values
    return at, values


def _positions(piece: _Piece) -> NDArray[np.int64]:
    at, values = piece
    return np.arange(at, at + values.size, dtype=np.int64) if isinstance(at, int) else at


class Merger:
    """Each series' samples joined across a query's chunks, on the grid, as chunks arrive: a
    chunk's answer can be dropped once added (about 8 bytes a sample are kept). Series that
    fill the grid share one array of times (the grid's); the others keep the times they have."""

    def __init__(self, grid: Grid, max_series: int) -> None:
        self.grid = grid
        self.max_series = max_series
        self._pieces: dict[Labels, list[_Piece]] = {}

    def add(self, series: Iterable[RawSeries]) -> None:
        """Add one chunk's series; TooManySeries past max_series."""
        for labels, ts, vs in series:
            self._pieces.setdefault(labels, []).append(_on_grid(ts, vs, self.grid))
            if len(self._pieces) > self.max_series:
                raise TooManySeries(
                    f"the query returned more than {self.max_series:,} series "
                    "(raise prometheus.max_series_per_goal to allow more)"
                )

    def series(self) -> tuple[Series, ...]:
        """Every series with samples on the grid, sorted by labels; the pieces are let go."""
        grid = self.grid
        times = grid.first_ts + grid.step_s * np.arange(grid.points, dtype=np.float64)
        times.flags.writeable = False
        merged = []
        for labels in sorted(self._pieces):
            pieces = self._pieces.pop(labels)
            at = np.concatenate([_positions(p) for p in pieces])
            at, first = np.unique(at, return_index=True)  # a time twice: its first sample
            if at.size:
                values = np.concatenate([v for _, v in pieces])[first]
                merged.append(
                    Series(labels, times if at.size == grid.points else times[at], values)
                )
        return tuple(merged)
