"""Exclusion windows: which apply to a goal in a window, and which timestamps they cover.

A window is half-open, [start, end). A recurrence is an RFC 5545 RRULE (python-dateutil's
rrule) that repeats from the sprint's start (local midnight of `sprint.start`) in the sprint's
time zone, in local wall-clock time: `FREQ=DAILY;BYHOUR=1` is 01:00 local on both sides of a
DST change. Each occurrence lasts `duration` of elapsed time. Everything here is pure: no clock,
no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from dateutil.rrule import rrule, rrulestr
from numpy.typing import NDArray

from pipeline.core.model import AppliedExclusion, GoalResult, QueryResult, Series
from pipeline.core.settings import Exclusion, Sprint

# RRULE parts that python-dateutil reads (RFC 5545 section 3.3.10)
_PARTS = frozenset(
    {
        *("FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY"),
        *("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST"),
    }
)
_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY")  # not SECONDLY

Span = tuple[float, float]  # [start, end) in unix seconds


def rule_parts(text: str) -> dict[str, str]:
    """The parts of an RRULE value (`FREQ=DAILY;BYHOUR=1`, `RRULE:` allowed before it), keys in
    upper case; ValueError says what is wrong with its shape."""
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:]
    if not body or any(c in body for c in "\r\n:"):
        raise ValueError(
            f"'{text}' is not one RRULE value such as 'FREQ=DAILY;BYHOUR=1' (no DTSTART or "
            "other lines: it recurs from the sprint's start, in sprint.timezone)"
        )
    parts: dict[str, str] = {}
    for part in filter(str.strip, body.split(";")):  # a trailing `;` is harmless
        key, equals, value = part.partition("=")
        key = key.strip().upper()
        if not equals or key not in _PARTS:
            raise ValueError(f"'{text}': unknown part '{part.strip()}'")
        if key in parts:
            raise ValueError(f"'{text}': {key} is given twice")
        parts[key] = value.strip().upper()
    if parts.get("FREQ") not in _FREQS:
        raise ValueError(f"'{text}': FREQ must be one of {', '.join(_FREQS)}")
    return parts


def parse_rule(text: str, dtstart: datetime) -> rrule:
    """The recurrence `text` from `dtstart` (time-zone aware); ValueError says what is wrong."""
    parts = rule_parts(text)
    body = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rule = rrulestr(body, dtstart=dtstart)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"'{text}': {exc}") from None
    if not isinstance(rule, rrule):  # pragma: no cover (one RRULE value gives one rrule)
        raise ValueError(f"'{text}' is not one recurrence")
    return rule


def origin(sprint: Sprint) -> datetime:
    """Where recurrences start: local midnight of the sprint's first day."""
    return datetime.combine(sprint.start, time(0), tzinfo=sprint.zone)


def occurrences(exclusion: Exclusion, sprint: Sprint, start: float, end: float) -> list[Span]:
    """The exclusion's windows that overlap [start, end) (unix seconds), whole, in order."""
    if exclusion.start is not None and exclusion.end is not None:
        span = (exclusion.start.timestamp(), exclusion.end.timestamp())
        return [span] if span[0] < end and span[1] > start else []
    if exclusion.rrule is None:
        return []
    duration = exclusion.duration_s
    rule = parse_rule(exclusion.rrule, origin(sprint))
    # Local wall-clock bounds with a day's margin (a DST change moves them an hour at most);
    # the occurrences are then kept by their instants, never by comparing local times.
    zone = sprint.zone
    lo = datetime.fromtimestamp(start - duration, zone) - timedelta(days=1)
    hi = datetime.fromtimestamp(end, zone) + timedelta(days=1)
    found = []
    for when in rule.between(lo, hi, inc=True):
        at = _instant(when, zone)
        if at < end and at + duration > start:
            found.append((at, at + duration))
    return found


def _instant(when: datetime, zone: ZoneInfo) -> float:
    """Unix seconds of a local wall-clock time (an hour skipped by DST reads as the hour after,
    one repeated reads as its first occurrence)."""
    return when.replace(tzinfo=zone, fold=0).timestamp()


def in_window(
    exclusions: Iterable[Exclusion], sprint: Sprint, start: float, end: float
) -> tuple[AppliedExclusion, ...]:
    """The exclusions that overlap [start, end) (unix seconds), each with its windows there (in
    the sprint's time zone), in the order given: expanded once for all the goals."""
    zone = sprint.zone
    applied = []
    for exclusion in exclusions:
        spans = occurrences(exclusion, sprint, start, end)
        if spans:
            shown = tuple(
                (datetime.fromtimestamp(a, zone), datetime.fromtimestamp(b, zone)) for a, b in spans
            )
            applied.append(AppliedExclusion(exclusion, shown))
    return tuple(applied)


def for_goal(applied: Iterable[AppliedExclusion], goal_id: str) -> tuple[AppliedExclusion, ...]:
    """Those of `applied` that cover the goal `goal_id`."""
    return tuple(a for a in applied if a.exclusion.covers(goal_id))


def merged(applied: Sequence[AppliedExclusion]) -> list[Span]:
    """Every window of `applied` in unix seconds, overlapping ones joined, in order."""
    spans = sorted((a.timestamp(), b.timestamp()) for x in applied for a, b in x.spans)
    joined: list[Span] = []
    for a, b in spans:
        if joined and a <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], b))
        else:
            joined.append((a, b))
    return joined


def excluded(
    applied: Sequence[AppliedExclusion], timestamps: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Which of `timestamps` (unix seconds) fall in a window of `applied`."""
    spans = merged(applied)
    if not spans:
        return np.zeros(timestamps.shape, dtype=bool)
    starts = np.array([a for a, _ in spans])
    ends = np.array([b for _, b in spans])
    at = np.searchsorted(starts, timestamps, side="right") - 1
    return (at >= 0) & (timestamps < ends[np.maximum(at, 0)])


def grid_points(
    applied: Sequence[AppliedExclusion], first_ts: float, step_s: float, count: int
) -> int:
    """How many of the `count` grid points `first_ts + k * step_s` fall in a window of
    `applied` (counted span by span: a week at 1s holds 604,800 points)."""
    total = 0
    for a, b in merged(applied):
        lo = max(0, _ceil_steps(a - first_ts, step_s))
        hi = min(count, _ceil_steps(b - first_ts, step_s))
        total += max(0, hi - lo)
    return total


def _ceil_steps(offset: float, step_s: float) -> int:
    """The first k with k * step_s >= offset."""
    k = int(offset // step_s)
    return k if k * step_s >= offset else k + 1


def without(result: QueryResult, applied: Sequence[AppliedExclusion]) -> QueryResult:
    """`result` less the samples inside a window of `applied` (the same result if none)."""
    if not applied or not result.series:
        return result
    kept = []
    for series in result.series:
        inside = excluded(applied, series.timestamps)
        if inside.any():
            series = Series(series.labels, series.timestamps[~inside], series.values[~inside])
        kept.append(series)
    return QueryResult(
        result.query,
        tuple(kept),
        result.error,
        result.rejected,
        result.warnings,
        result.requests,
    )


def scored_samples(goal: GoalResult, results: Mapping[str, QueryResult]) -> QueryResult:
    """The samples `goal` was scored from: its query's result less its exclusions (what the
    forecast and the chart see)."""
    return without(results[goal.spec.query], goal.exclusions)


def free_bounds(
    applied: Sequence[AppliedExclusion], first_ts: float, step_s: float, count: int
) -> tuple[float, float] | None:
    """The first and the last of the `count` grid points `first_ts + k * step_s` outside every
    window of `applied` (None: all of them are inside one)."""
    spans = [
        (_ceil_steps(a - first_ts, step_s), _ceil_steps(b - first_ts, step_s))
        for a, b in merged(applied)
    ]  # grid points k inside: lo <= k < hi; disjoint, in order
    low, high = 0, count - 1
    for lo, hi in spans:
        if lo <= low < hi:
            low = hi
    for lo, hi in reversed(spans):
        if lo <= high < hi:
            high = lo - 1
    if low > high:
        return None
    return first_ts + low * step_s, first_ts + high * step_s
