"""The time ranges of a range query: the whole range in one request when it fits, smaller
ranges after an answer that was too big (sized by what it showed), and the halves of a range
the server refused."""

from __future__ import annotations

import re

ANSWER_BYTES = 32_000_000  # what a range after the first may take (~1.4 M samples of JSON)
SHARES = 4  # nor more than a quarter of the cap (bounded_http.READER_SHARES: never waits)


class Chunks:
    """The ranges a query over [first, last] (both sample times) is asked in, one at a time.

    The first range is the whole range, or its first `max_points` points: a query that fits
    one request is asked in one, answered as one request answers it on any backend
    (VictoriaMetrics, unlike Prometheus, fills sparse series from the samples inside the range
    asked, so chunk edges can change its answer). Its answer may take a quarter of the cap
    (source.py stops it there, bounded_http.Lane's free share), a range of min_points the cap.

    Later ranges are sized by bytes: as many points as keep an answer under `target`
    (ANSWER_BYTES, or a quarter of the cap if less) at the bytes a point of the last answer with
    samples took, within min/max_points; each empty answer before one with samples doubles it.
    An answer too big (`too_big`) is asked again first, in ranges sized as if it had taken the
    whole cap (a quarter of its points at most, an eighth by default), down to min_points; a
    range the server refused is asked again as its two halves (`refused`), before the rest.
    Every range still to ask is cut to the size known when it is asked.
    """

    def __init__(
        self,
        first_ts: float,
        last_ts: float,
        step_s: float,
        points: tuple[int, int],
        cap_bytes: int,
    ) -> None:
        self.step_s = step_s
        self.min_points, self.max_points = points
        self.cap_bytes = cap_bytes
        self.target = min(ANSWER_BYTES, cap_bytes // SHARES)  # bytes an answer after the first
        self.per_point = 0.0  # an answer's bytes a point; 0: not known yet
        self._measured = False
        self._todo = [(first_ts, last_ts)]  # ranges not yet asked, in order, cut to size()

    def size(self) -> int:
        """Points the next new range covers."""
        if not self.per_point:
            return self.max_points
        fit = int(self.target / self.per_point + 1e-6)
        return max(self.min_points, min(self.max_points, fit))

    def take(self) -> tuple[float, float] | None:
        """The next range to ask for; None when all are asked."""
        if not self._todo:
            return None
        start, last = self._todo.pop(0)
        end = min(start + (self.size() - 1) * self.step_s, last)
        if end < last:
            self._todo.insert(0, (end + self.step_s, last))
        return start, end

    def answered(self, bounds: tuple[float, float], size: int, samples: bool) -> None:
        """The answer for `bounds` took `size` bytes (with or without `samples`): size the
        next ranges by it."""
        if samples:
            self.per_point = size / self._points(bounds)
            self._measured = True
        elif not self._measured:
            self.per_point /= 2  # an empty answer: the next range may be longer

    def too_big(self, bounds: tuple[float, float]) -> bool:
        """The answer for `bounds` was too big: ask the range again in shorter ranges, first of
        all. False when it is no longer than min_points (it stays too big)."""
        points = self._points(bounds)
        if points <= self.min_points:
            return False
        # as if the cap came for `points` (it may have been cut at a quarter of it): the next
        # ranges are a quarter of it at most, the ones already queued too (a refused half)
        self.per_point = max(self.per_point, self.cap_bytes / points)
        self._todo.insert(0, bounds)
        return True

    def _points(self, bounds: tuple[float, float]) -> int:
        return round((bounds[1] - bounds[0]) / self.step_s) + 1

    def refused(self, halves: list[tuple[float, float]]) -> None:
        """Ask these before anything else (each cut to size() too, never joined)."""
        self._todo[:0] = halves


TOO_MANY_SAMPLES = "query processing would load too many samples"
TOO_MANY_POINTS = "exceeded maximum resolution of"  # Prometheus: 11,000 points a series
SPLIT_REFUSALS = (TOO_MANY_SAMPLES, TOO_MANY_POINTS)


def split_refused(
    refusal: str, start: float, end: float, step_s: float, floor: int
) -> list[tuple[float, float]] | None:
    """The two halves of a range the server refused (`refusal`) for too many samples or
    points, on the step grid; None for any other refusal, or when a half would have fewer than
    `floor` points."""
    points = round((end - start) / step_s) + 1
    if not any(text in refusal for text in SPLIT_REFUSALS) or points // 2 < floor:
        return None
    middle = start + (points // 2 - 1) * step_s
    return [(start, middle), (middle + step_s, end)]


def too_many_text(refusal: str, floor: int) -> str:
    """The refusal, with what to change when even the smallest ranges are refused."""
    if TOO_MANY_SAMPLES in refusal:
        return (
            f"{refusal} (split down to {floor:,} points a request; lower "
            "prometheus.min_points_per_request, or raise the server's --query.max-samples)"
        )
    if TOO_MANY_POINTS in refusal:
        return (
            f"{refusal} (split down to {floor:,} points a request; lower "
            "prometheus.max_points_per_request, or raise sprint.step)"
        )
    return refusal


# How a query result begins: Prometheus and VictoriaMetrics write `{"status":"success",` first;
# a front end that re-encodes the answer may space it out.
RESULT_STATUS = re.compile(rb'"status"\s*:\s*"success"')


def is_result(head: bytes) -> bool:
    """Whether an answer that begins with `head` is a query result (its status among its first
    64 bytes), so a shorter range may fit the cap."""
    return RESULT_STATUS.search(head.lstrip()[:64]) is not None


def too_large_text(message: str, floor: int, split: bool) -> str:
    """What to change for an answer too large: after splitting down to `floor` points a
    request, say so."""
    done = f"split down to {floor:,} points a request; " if split else ""
    return f"{message} ({done}raise prometheus.max_response_bytes to allow more)"
