"""How a range query is cut into requests and its answers joined: requests sized by the series
the query returns, every grid point asked exactly once, and series that fill the grid sharing
one array of times."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.query.chunks import ANSWER_BYTES, SAMPLE_BYTES, Chunks
from pipeline.query.grid import Grid, Merger, TooManySeries


def _points(bounds: tuple[float, float], step: float = 1.0) -> int:
    return round((bounds[1] - bounds[0]) / step) + 1


def test_requests_are_sized_by_the_bytes_a_point_within_the_points_limits() -> None:
    chunks = Chunks(0.0, 10**6, 1.0, (60, 11_000), max_series=10_000)
    first = chunks.take()
    assert first is not None  # sized for 10,000 series with a sample at every point
    assert _points(first) == ANSWER_BYTES // (10_000 * SAMPLE_BYTES)
    chunks.answered(first, 5_000 * _points(first) * SAMPLE_BYTES, samples=True)  # 5,000 dense
    assert chunks.size() == ANSWER_BYTES // (5_000 * SAMPLE_BYTES)
    chunks.answered((0.0, 999.0), 3 * 1000 * SAMPLE_BYTES, samples=True)  # 3: as many as allowed
    assert chunks.size() == 11_000
    chunks.answered((0.0, 99.0), 10**9, samples=True)  # a flood: never below the floor
    assert chunks.size() == 60
    chunks.answered((0.0, 99.0), 100, samples=False)  # an empty answer after samples: no change
    assert chunks.size() == 60


def test_empty_answers_before_any_sample_double_the_range() -> None:
    chunks = Chunks(0.0, 10**6, 1.0, (60, 11_000), max_series=10_000)
    sizes = []
    for _ in range(8):
        bounds = chunks.take()
        assert bounds is not None
        sizes.append(_points(bounds))
        chunks.answered(bounds, 60, samples=False)
    first = ANSWER_BYTES // (10_000 * SAMPLE_BYTES)
    assert sizes == [min(first * 2**i, 11_000) for i in range(8)]


def test_chunks_cover_every_point_once_whatever_the_answers() -> None:
    chunks = Chunks(1000.0, 1000.0 + 9_999 * 10, 10.0, (60, 5_000), max_series=50_000)
    taken = []
    answers = iter([0, 7_000 * SAMPLE_BYTES, 0, 10**9, 3])
    while bounds := chunks.take():
        taken.append(bounds)
        size = next(answers, 1)
        chunks.answered(bounds, size, samples=size > 0)
    points = np.concatenate([np.arange(a, b + 1, 10.0) for a, b in taken])
    np.testing.assert_array_equal(points, 1000.0 + 10 * np.arange(10_000))
    sizes = [_points(b, 10.0) for b in taken]
    # sized for 50,000 series, then (empty) 25,000: the floor twice; 7,000 samples: the cap
    assert sizes == [60, 60, 5_000, 10_000 - 5_120]


def test_refused_halves_come_before_the_rest() -> None:
    chunks = Chunks(0.0, 99.0, 1.0, (10, 40), max_series=1)
    assert chunks.take() == (0.0, 39.0)
    chunks.refused([(0.0, 19.0), (20.0, 39.0)])
    taken = [chunks.take() for _ in range(4)]
    assert taken == [(0.0, 19.0), (20.0, 39.0), (40.0, 79.0), (80.0, 99.0)]
    assert chunks.take() is None


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


def test_a_probe_is_dropped_when_the_whole_range_fits_one_request() -> None:
    chunks = Chunks(0.0, 9_999.0, 1.0, (60, 11_000), max_series=10_000)
    probe = chunks.take()
    assert probe is not None and probe[1] < 9_999.0
    assert not chunks.answered(probe, _points(probe) * SAMPLE_BYTES, samples=True)  # one series
    assert chunks.take() == (0.0, 9_999.0)  # asked as one request would be
    assert chunks.answered((0.0, 9_999.0), 10_000 * SAMPLE_BYTES, samples=True)
    assert chunks.take() is None


def test_a_probe_is_kept_when_the_range_does_not_fit_or_was_refused() -> None:
    big = Chunks(0.0, 99_999.0, 1.0, (60, 11_000), max_series=10_000)
    probe = big.take()
    assert probe is not None
    assert big.answered(probe, _points(probe) * SAMPLE_BYTES, samples=True)  # 100,000 points
    refused = Chunks(0.0, 9_999.0, 1.0, (60, 11_000), max_series=10_000)
    probe = refused.take()
    assert probe is not None
    half = (probe[0], probe[0] + _points(probe) // 2 - 1)
    refused.refused([half, (half[1] + 1, probe[1])])
    assert refused.take() == half
    assert refused.answered(half, _points(half) * SAMPLE_BYTES, samples=True)
