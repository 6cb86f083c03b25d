"""The time ranges of a range query: chunks sized by the series it returns, within
min/max_points_per_request, and the halves of a chunk the server refused for loading too many
samples."""

from __future__ import annotations

ANSWER_BYTES = 32_000_000  # what one answer may take in memory at once (~1.4 M samples of JSON)
SAMPLE_BYTES = 25  # `[1793577600,"100.125"],`: a sample in an answer


class Chunks:
    """The ranges a query over [first, last] (both sample times) is asked in, one at a time.

    Each range holds as many points as keep its answer near ANSWER_BYTES, within min/max_points:
    before any answer, for `max_series` series with a sample at every point; then for the bytes
    a point of the last answer with samples took (so 5,000 dense series are asked ~400 points
    at a time, 5 series 11,000, sparse ones more). Each empty answer before the first one with
    samples doubles the next range. A range the server refused is asked again as its two
    halves (`refused`), before the rest.

    The first range is a probe: when its answer shows the whole range fits one request, it is
    dropped and the whole range asked instead, so a query that fits is answered as one request
    would be, on any backend (VictoriaMetrics, unlike Prometheus, fills sparse series from the
    samples inside the range asked, so chunk edges can change its answer).
    """

    def __init__(
        self,
        first_ts: float,
        last_ts: float,
        step_s: float,
        points: tuple[int, int],
        max_series: int,
    ) -> None:
        self.next_ts = first_ts
        self.last_ts = last_ts
        self.step_s = step_s
        self.min_points, self.max_points = points
        self.per_point = float(max(1, max_series) * SAMPLE_BYTES)  # an answer's bytes a point
        self._measured = False
        self._again: list[tuple[float, float]] = []
        self._probe: tuple[float, float] | None = None
        self._first_ts = first_ts

    def size(self) -> int:
        """Points the next new range covers."""
        fit = int(ANSWER_BYTES / self.per_point)
        return max(self.min_points, min(self.max_points, fit))

    def take(self) -> tuple[float, float] | None:
        """The next range to ask for; None when all are asked."""
        if self._again:
            return self._again.pop(0)
        if self.next_ts > self.last_ts:
            return None
        start = self.next_ts
        end = min(start + (self.size() - 1) * self.step_s, self.last_ts)
        self.next_ts = end + self.step_s
        if start == self._first_ts and end < self.last_ts:
            self._probe = (start, end)
        return start, end

    def answered(self, bounds: tuple[float, float], size: int, samples: bool) -> bool:
        """The answer for `bounds` took `size` bytes (with or without `samples`): size the
        next ranges by it. False: drop this answer, the whole range is asked next instead."""
        if samples:
            self.per_point = size / self._points(bounds)
            self._measured = True
        elif not self._measured:
            self.per_point = max(float(SAMPLE_BYTES), self.per_point / 2)
        probe, self._probe = self._probe, None
        if bounds != probe or self.size() < self._points((self._first_ts, self.last_ts)):
            return True
        self.next_ts = self._first_ts
        return False

    def _points(self, bounds: tuple[float, float]) -> int:
        return round((bounds[1] - bounds[0]) / self.step_s) + 1

    def refused(self, halves: list[tuple[float, float]]) -> None:
        """Ask these before anything else."""
        self._probe = None
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
