"""How a range query is cut into requests and its answers joined: requests sized by the series
the query returns, every grid point asked exactly once, and series that fill the grid sharing
one array of times."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.parse import Grid, Merger, TooManySeries
from pipeline.ranges import SAMPLES_PER_REQUEST, Chunks, points_per_request


def test_requests_are_sized_by_the_series_within_the_points_limits() -> None:
    assert points_per_request(1, 60, 11_000) == 11_000
    assert points_per_request(5_000, 60, 11_000) == SAMPLES_PER_REQUEST // 5_000
    assert points_per_request(10**9, 60, 11_000) == 60
    assert points_per_request(0, 60, 11_000) == 11_000


def test_chunks_cover_every_point_once_whatever_the_sizes() -> None:
    chunks = Chunks(1000.0, 1000.0 + 99 * 10, 10.0)
    taken = []
    sizes = iter([7, 1, 50, 13])
    while bounds := chunks.take(next(sizes, 30)):
        taken.append(bounds)
    points = np.concatenate([np.arange(a, b + 1, 10.0) for a, b in taken])
    np.testing.assert_array_equal(points, 1000.0 + 10 * np.arange(100))
    assert [round((b - a) / 10) + 1 for a, b in taken] == [7, 1, 50, 13, 29]


def test_refused_halves_come_before_the_rest() -> None:
    chunks = Chunks(0.0, 99.0, 1.0)
    assert chunks.take(40) == (0.0, 39.0)
    chunks.refused([(0.0, 19.0), (20.0, 39.0)])
    assert [chunks.take(40) for _ in range(4)] == [
        (0.0, 19.0),
        (20.0, 39.0),
        (40.0, 79.0),
        (80.0, 99.0),
    ]
    assert chunks.take(40) is None


def test_merged_series_share_the_grid_when_full_and_keep_their_times_when_not() -> None:
    grid = Grid(0.0, 90.0, 10.0)
    merger = Merger(grid, max_series=5)
    full = (("s", "full"),)
    gappy = (("s", "gappy"),)
    times = np.arange(0.0, 100.0, 10.0)
    merger.add([(full, times[:4], np.arange(0.0, 4.0)), (gappy, times[:2], np.full(2, 1.0))])
    merger.add(
        [(full, times[4:], np.arange(4.0, 10.0)), (gappy, np.array([55.0, 60.0]), np.full(2, 1.0))]
    )
    other = Merger(grid, max_series=5)
    other.add([(full, times, np.arange(0.0, 10.0))])
    (a, b), (c,) = merger.series(), other.series()
    np.testing.assert_array_equal(a.values, c.values)  # the chunks joined as one answer
    assert a.labels == full and b.labels == gappy
    np.testing.assert_array_equal(a.timestamps, times)
    np.testing.assert_array_equal(a.values, np.arange(10.0))
    np.testing.assert_array_equal(b.timestamps, [0.0, 10.0, 60.0])  # 55 is off the grid
    assert not a.timestamps.flags.writeable


def test_one_query_shares_one_array_of_times() -> None:
    grid = Grid(0.0, 9.0, 1.0)
    merger = Merger(grid, max_series=100)
    merger.add([((("i", str(i)),), np.arange(10.0), np.full(10, float(i))) for i in range(50)])
    series = merger.series()
    assert len({id(s.timestamps) for s in series}) == 1


def test_a_time_twice_keeps_its_first_sample_and_too_many_series_is_refused() -> None:
    merger = Merger(Grid(0.0, 2.0, 1.0), max_series=1)
    merger.add([((), np.array([0.0, 1.0, 1.0]), np.array([5.0, 6.0, 7.0]))])
    (series,) = merger.series()
    np.testing.assert_array_equal(series.values, [5.0, 6.0])
    with pytest.raises(TooManySeries, match="more than 1 series"):
        merger.add(
            [((("a", "1"),), np.zeros(1), np.zeros(1)), ((("a", "2"),), np.zeros(1), np.zeros(1))]
        )
