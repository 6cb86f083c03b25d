"""The time ranges of a range query: chunks of at most max_points_per_request, and the halves
of a chunk the server refused for loading too many samples."""

from __future__ import annotations


def chunk_bounds(
    first_ts: float, last_ts: float, step_s: float, max_points: int
) -> list[tuple[float, float]]:
    """Split [first, last] (both sample times) into consecutive ranges of at most max_points."""
    bounds = []
    start = first_ts
    while start <= last_ts:
        end = min(start + (max_points - 1) * step_s, last_ts)
        bounds.append((start, end))
        start = end + step_s
    return bounds


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
