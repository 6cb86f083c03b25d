"""The time ranges of a range query: chunks sized by the series it returns, within
min/max_points_per_request, and the halves of a chunk the server refused for loading too many
samples."""

from __future__ import annotations

SAMPLES_PER_REQUEST = 2_000_000  # ~50 MB of JSON: what one answer may hold in memory at once


def points_per_request(series: int, min_points: int, max_points: int) -> int:
    """Points one request may cover when the query has `series` series: as many as keep its
    samples within SAMPLES_PER_REQUEST, between min_points and max_points."""
    return max(min_points, min(max_points, SAMPLES_PER_REQUEST // max(series, 1)))


class Chunks:
    """The ranges a query over [first, last] (both sample times) is asked in, one at a time.

    The first request is sized for the most series a goal may have; later ones for the series
    seen so far, so a query of 5,000 series is asked in small ranges and one of 5 in few.
    A range the server refused is asked again as its two halves (`refused`), before the rest.
    """

    def __init__(self, first_ts: float, last_ts: float, step_s: float) -> None:
        self.next_ts = first_ts
        self.last_ts = last_ts
        self.step_s = step_s
        self._again: list[tuple[float, float]] = []

    def take(self, points: int) -> tuple[float, float] | None:
        """The next range to ask for, of at most `points` points; None when all are asked."""
        if self._again:
            return self._again.pop(0)
        if self.next_ts > self.last_ts:
            return None
        start = self.next_ts
        end = min(start + (points - 1) * self.step_s, self.last_ts)
        self.next_ts = end + self.step_s
        return start, end

    def refused(self, halves: list[tuple[float, float]]) -> None:
        """Ask these before anything else."""
        self._again[:0] = halves


TOO_MANY_SAMPLES = "query processing would load too many samples"


def split_refused(
    refusal: str, start: float, end: float, step_s: float, floor: int
) -> list[tuple[float, float]] | None:
    """The two halves of a range the server refused (`refusal`) for too many samples, on the
    step grid; None for any other refusal, or when a half would have fewer than `floor` points."""
    points = round((end - start) / step_s) + 1
    if TOO_MANY_SAMPLES not in refusal or points // 2 < floor:
        return None
    middle = start + (points // 2 - 1) * step_s
    return [(start, middle), (middle + step_s, end)]


def too_many_text(refusal: str, floor: int) -> str:
    """The refusal, with what to change when even the smallest ranges load too many samples."""
    if TOO_MANY_SAMPLES not in refusal:
        return refusal
    return (
        f"{refusal} (split down to {floor:,} points a request; lower "
        "prometheus.min_points_per_request, or raise the server's --query.max-samples)"
    )
