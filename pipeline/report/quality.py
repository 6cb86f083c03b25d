"""Data-quality notes, one line per cause: the goals it touches are counted, not listed apart.

`customer="hooli" has no samples before Tue 12:00 (4 goals, 1,440 of 10,080 samples each).`
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipeline.core.exclusions import free_bounds, grid_points
from pipeline.core.model import GoalResult, SeriesScore, WeekResult, Window
from pipeline.core.outcomes import NoDataPolicy, Status
from pipeline.report import baselines
from pipeline.report import formatting as fmt
from pipeline.report.spans import Sentence, join, message, sentence, strong

MAX_GAP_NOTES = 10  # series lines; the rest are counted in one line


@dataclass(frozen=True)
class _Gap:
    """Missing samples of one series of one goal."""

    goal: str  # its name
    missing: int


def quality_notes(result: WeekResult) -> tuple[Sentence, ...]:
    """Query errors, no data, partial responses and missing samples, grouped by cause."""
    return (
        *_grouped(result.goals, lambda g: _causes(g, result)),
        *_gap_notes(result),
        *baselines.invalidated_notes(result),
    )


def _causes(goal: GoalResult, result: WeekResult) -> list[Sentence]:
    causes = [sentence("partial response, the server warned: ", message(w)) for w in goal.warnings]
    if goal.status == Status.ERROR:
        causes.insert(0, sentence("query failed: ", message(goal.message)))
    elif goal.status == Status.NO_DATA:
        effect = (
            "scored 0" if result.no_data_policy == NoDataPolicy.FAIL else "left out of the weights"
        )
        policy = f"({result.no_data_policy} policy: {effect})."
        if goal.baseline is not None and not goal.baseline.resolved and goal.series:
            causes.insert(0, sentence(message(baselines.lack_note(goal)), " ", policy))
        else:
            causes.insert(0, sentence(f"no samples in the window {policy}"))
    return causes


def _grouped(
    goals: tuple[GoalResult, ...], causes: Callable[[GoalResult], list[Sentence]]
) -> list[Sentence]:
    """**A**, **B**: cause, for each distinct cause, in goal order."""
    grouped: dict[Sentence, list[str]] = defaultdict(list)
    for goal in goals:
        for cause in causes(goal):
            grouped[cause].append(goal.spec.name)
    return [sentence(_names(names), ": ", cause) for cause, names in grouped.items()]


def _names(names: list[str]) -> Sentence:
    """**A**, **B**: goal names in bold."""
    return join([strong(n) for n in names], ", ")


def _gap_notes(result: WeekResult) -> list[Sentence]:
    """One line per reason a series lacks samples (late start, early end, gaps).

    Series of multi-series goals are named by their labels, so one customer's late start reads
    once for all its goals; a goal with one series is named by the goal. Time an exclusion
    leaves out is not missing.
    """
    window = result.window
    grouped: dict[tuple[str, str], list[_Gap]] = defaultdict(list)
    for goal in result.goals:
        keep = fmt.varying_labels([s.labels for s in goal.series])
        left = window.expected - _excluded(goal, window, window.first_ts, window.expected)
        for series in goal.series:
            missing = left - series.present
            if series.present and missing > 0:
                who = fmt.labels_text(series.labels, keep) if len(goal.series) > 1 else ""
                reason = _gap_reason(series, window, goal)
                grouped[(who, reason)].append(_Gap(goal.spec.name, missing))
    ranked = sorted(grouped.items(), key=lambda kv: -len(kv[1]))
    lines = []
    for (who, reason), gaps in ranked[:MAX_GAP_NOTES]:
        if who:
            lines.append(sentence(f"{who} has {reason} ({_gap_counts(gaps, window)})."))
        else:
            counts = _gap_counts(gaps, window, per_goal=False)
            lines.append(sentence(_names([g.goal for g in gaps]), f": {reason} ({counts})."))
    rest = ranked[MAX_GAP_NOTES:]
    if rest:
        count = sum(len(g) for _, g in rest)
        lines.append(sentence(f"{fmt.count(count)} more series lack samples for other reasons."))
    return lines


def _excluded(goal: GoalResult, window: Window, first_ts: float, count: int) -> int:
    """Grid points from `first_ts` (`count` of them) that the goal's exclusions leave out."""
    return grid_points(goal.exclusions, first_ts, window.step_s, count) if goal.exclusions else 0


def _gap_reason(series: SeriesScore, window: Window, goal: GoalResult) -> str:
    first, last = series.first_ts, series.last_ts
    assert first is not None and last is not None
    bounds = free_bounds(goal.exclusions, window.first_ts, window.step_s, window.expected)
    expect_first, expect_last = bounds or (window.first_ts, window.last_ts)
    late = first > expect_first
    early = last < expect_last
    span = round((last - first) / window.step_s) + 1
    inside = span - series.present - _excluded(goal, window, first, span)
    if late and early:
        reason = f"samples only from {_when(first, window)} to {_when(last, window)}"
    elif late:
        reason = f"no samples before {_when(first, window)}"
    elif early:
        reason = f"no samples after {_when(last, window)}"
    else:
        reason = "gaps"
    if inside > 0 and (late or early):
        reason += ", and gaps"
    return reason


def _gap_counts(gaps: list[_Gap], window: Window, per_goal: bool = True) -> str:
    counts = sorted({g.missing for g in gaps})
    missing = fmt.count(counts[0])
    if len(counts) > 1:
        missing += f" to {fmt.count(counts[-1])}"
    text = f"{missing} of {fmt.count(window.expected)} samples missing"
    if len(gaps) == 1:
        return text
    return f"{len(gaps)} goals, {text} each" if per_goal else f"{text} each"


def _when(ts: float, window: Window) -> str:
    """`Tue 12:00`; with the date when a weekday could name two days of the window."""
    longer = window.end - window.start > timedelta(days=7)
    return datetime.fromtimestamp(ts, window.start.tzinfo).strftime(
        "%a %d %b %H:%M" if longer else "%a %H:%M"
    )
