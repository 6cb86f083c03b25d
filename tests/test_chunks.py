"""How a range query is cut into requests and its answers joined: one request when the range
fits, smaller ranges sized by what a too-big answer showed, every grid point asked exactly once,
and series that fill the grid sharing one array of times."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.query.chunks import ANSWER_BYTES, Chunks, is_result
from pipeline.query.grid import Grid, Merger, TooManySeries

SAMPLE = 25  # `[1793577600,"100.125"],`: a sample in an answer


def _points(bounds: tuple[float, float], step: float = 1.0) -> int:
    return round((bounds[1] - bounds[0]) / step) + 1


CAP = 256 * 2**20  # the default max_response_bytes


def test_a_range_that_fits_max_points_is_one_request() -> None:
    chunks = Chunks(0.0, 9_999.0, 1.0, (60, 11_000), CAP)
    assert chunks.take() == (0.0, 9_999.0)  # no smaller first range: the answer is the answer
    chunks.answered((0.0, 9_999.0), 10_000 * 3 * SAMPLE, samples=True)
    assert chunks.take() is None


def test_later_ranges_are_sized_by_the_bytes_a_point_within_the_points_limits() -> None:
    chunks = Chunks(0.0, 10**6, 1.0, (60, 11_000), CAP)
    first = chunks.take()
    assert first == (0.0, 10_999.0)  # max_points before anything is known
    chunks.answered(first, 3 * 11_000 * SAMPLE, samples=True)  # 3 series: as many as allowed
    assert chunks.size() == 11_000
    chunks.answered(first, 5_000 * 11_000 * SAMPLE, samples=True)  # 5,000 dense series
    assert chunks.size() == ANSWER_BYTES // (5_000 * SAMPLE)
    chunks.answered((0.0, 99.0), 10**9, samples=True)  # a flood: never below the floor
    assert chunks.size() == 60
    chunks.answered((0.0, 99.0), 100, samples=False)  # an empty answer after samples: no change
    assert chunks.size() == 60
    small = Chunks(0.0, 10**6, 1.0, (60, 11_000), 400_000)  # under 4 x ANSWER_BYTES
    small.answered((0.0, 99.0), 100 * 10 * SAMPLE, samples=True)
    assert small.size() == 100_000 // (10 * SAMPLE)  # a quarter of the cap an answer


def test_an_answer_past_the_cap_is_asked_again_in_ranges_sized_by_what_it_reached() -> None:
    chunks = Chunks(0.0, 10_079.0, 1.0, (60, 11_000), CAP)
    whole = chunks.take()
    assert whole == (0.0, 10_079.0)
    assert chunks.too_big(whole)
    # more than the cap for 10,080 points: ranges that would take ANSWER_BYTES at that rate
    again = chunks.take()
    assert again == (0.0, ANSWER_BYTES * 10_080 // CAP - 1.0)
    chunks.answered(again, 125_000 * _points(again), samples=True)  # 5,000 series: 125 kB a point
    taken = [again]
    while bounds := chunks.take():
        taken.append(bounds)
    assert _points(taken[1]) == ANSWER_BYTES // 125_000  # then as measured
    points = np.concatenate([np.arange(a, b + 1) for a, b in taken])
    np.testing.assert_array_equal(points, np.arange(10_080.0))  # every point once


def test_past_a_small_cap_the_range_is_cut_to_a_quarter_down_to_the_floor() -> None:
    chunks = Chunks(0.0, 1_439.0, 1.0, (60, 11_000), 2**20)
    sizes = []
    while (bounds := chunks.take()) and chunks.too_big(bounds):  # every answer too big
        sizes.append(_points(bounds))
    assert sizes == [1_440, 360, 90]
    assert bounds == (0.0, 59.0)  # the floor: it stays too big


def test_empty_answers_before_any_sample_double_the_range() -> None:
    chunks = Chunks(0.0, 10**6, 1.0, (60, 11_000), CAP)
    bounds = chunks.take()
    assert bounds is not None and chunks.too_big(bounds)
    sizes = []
    for _ in range(3):
        bounds = chunks.take()
        assert bounds is not None
        sizes.append(_points(bounds))
        chunks.answered(bounds, 60, samples=False)
    first = ANSWER_BYTES * 11_000 / CAP
    assert sizes == [int(first * 2**i) for i in range(3)]


def test_chunks_cover_every_point_once_whatever_the_answers() -> None:
    chunks = Chunks(1000.0, 1000.0 + 9_999 * 10, 10.0, (60, 5_000), 2**30)
    taken = []
    answers = iter([None, 0, 7_000 * SAMPLE, 10**10, 3])  # None: past the cap
    sizes = []
    while bounds := chunks.take():
        sizes.append(_points(bounds, 10.0))
        size = next(answers, 1)
        if size is None:
            assert chunks.too_big(bounds)  # asked again
        else:
            taken.append(bounds)
            chunks.answered(bounds, size, samples=size > 0)
    points = np.concatenate([np.arange(a, b + 1, 10.0) for a, b in taken])
    np.testing.assert_array_equal(np.sort(points), 1000.0 + 10 * np.arange(10_000))
    assert len(np.unique(points)) == len(points)
    # 5,000 points too big for a 1 GB cap: 5,000 x 32 MB / 1 GB; empty: twice that; 7,000
    # samples in 298 points: the rest of those 5,000; a flood: the floor; 3 bytes: the rest
    first = ANSWER_BYTES * 5_000 // 2**30
    assert sizes == [5_000, first, 2 * first, 5_000 - 3 * first, 60, 5_000 - 60]


def test_a_refused_half_is_cut_to_what_its_other_half_showed() -> None:
    """The whole range refused (too many samples), its first half too big: the second half is
    asked in the smaller ranges too, not whole (it would be too big as well)."""
    chunks = Chunks(0.0, 10_079.0, 1.0, (60, 11_000), CAP)
    whole = chunks.take()
    assert whole == (0.0, 10_079.0)
    chunks.refused([(0.0, 5_039.0), (5_040.0, 10_079.0)])
    half = chunks.take()
    assert half == (0.0, 5_039.0) and chunks.too_big(half)
    taken = []
    while bounds := chunks.take():
        taken.append(bounds)
    size = ANSWER_BYTES * 5_040 // CAP
    assert {_points(b) for b in taken} <= {size, 5_040 % size}
    assert (5_040.0, 5_040.0 + size - 1) in taken


def test_refused_halves_come_before_the_rest() -> None:
    chunks = Chunks(0.0, 99.0, 1.0, (10, 40), CAP)
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


@pytest.mark.parametrize(
    ("head", "result"),
    [
        (b'{"status":"success","data":{"resultType":"matrix","result":[', True),  # Prometheus
        (b'{ "status": "success", "data": {', True),  # a front end that spaces it out
        (b'\n{\n  "status" : "success",\n  "data"', True),  # or indents it
        (b'{"status":"error","errorType":"bad_data"', False),
        (b"<html><body>Too large</body></html>", False),
        (b" " * 256, False),  # a gzip bomb of spaces
        (b'{"data":' + b"[" * 100 + b'"status":"success"', False),  # not among the first 64
    ],
)
def test_only_an_answer_that_begins_as_a_result_is_asked_again_in_pieces(
    head: bytes, result: bool
) -> None:
    assert is_result(head) is result
