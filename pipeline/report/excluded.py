"""What a goal's details say about its exclusions: the outcome with and without them, and each
exclusion that applied (its id, when, its reason and author), ready to print.

`met, 1 exclusion: planned database migration; without it: at risk, 250 ms (score 50.0)`
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.core.model import AppliedExclusion, GoalResult, Window
from pipeline.core.text import cap, one_line
from pipeline.report import formatting as fmt
from pipeline.report.spans import Sentence, sentence

REASONS_NAMED = 3  # in the outcome line; the others are counted
MAX_AUTHOR_CHARS = 200


@dataclass(frozen=True)
class ExcludedLine:
    """One exclusion that applied to the goal."""

    id: str
    when: str  # `2026-11-10 02:00 to 04:00 UTC`, or the recurrence and its windows this week
    reason: str
    author: str | None


@dataclass(frozen=True)
class ExcludedNote:
    """The goal's outcome with and without its exclusions, and the exclusions."""

    outcome: Sentence
    lines: tuple[ExcludedLine, ...]


def excluded_note(goal: GoalResult, window: Window) -> ExcludedNote | None:
    """The note on `goal`'s exclusions; None when none applied."""
    if not goal.exclusions or goal.raw is None:
        return None
    return ExcludedNote(
        outcome=outcome(goal),
        lines=tuple(_line(x, window) for x in goal.exclusions),
    )


def outcome(goal: GoalResult) -> Sentence:
    """`met, 1 exclusion: planned database migration; without it: at risk, 250 ms (score
    50.0)`."""
    raw = goal.raw
    assert raw is not None
    count = len(goal.exclusions)
    reasons = [_reason(x) for x in goal.exclusions[:REASONS_NAMED]]
    parts = [goal.status.text.lower(), f", {_exclusions(count)}: "]
    for i, reason in enumerate(reasons):
        parts += [", " if i else "", reason]  # text, never markup: each output escapes it
    if count > REASONS_NAMED:
        parts.append(f" and {fmt.count(count - REASONS_NAMED)} more")
    without = raw.status.text.lower()
    if raw.value is not None:
        without += f", {fmt.goal_quantity(raw.value, goal.spec)}"
    without += f" (score {fmt.score(raw.score)})"
    parts.append(f"; without {'it' if count == 1 else 'them'}: {without}")
    return sentence(*parts)


def _exclusions(count: int) -> str:
    return f"{fmt.count(count)} exclusion" + ("" if count == 1 else "s")


def _reason(applied: AppliedExclusion) -> str:
    return cap(one_line(applied.exclusion.reason))


def _line(applied: AppliedExclusion, window: Window) -> ExcludedLine:
    exclusion = applied.exclusion
    author = exclusion.author
    return ExcludedLine(
        id=exclusion.id,
        when=_when(applied, window),
        reason=_reason(applied),
        author=cap(one_line(author), MAX_AUTHOR_CHARS) if author else None,
    )


def _when(applied: AppliedExclusion, window: Window) -> str:
    """A one-off window as `2026-11-10 02:00 to 04:00 UTC`; a recurrence as its rule, the
    length of each window, and its windows this week (`FREQ=DAILY;BYHOUR=1, 30m each
    (Europe/Berlin): 7 windows this week, the first 2026-11-16 01:00 to 01:30`)."""
    zone = window.start.tzinfo
    spans = [(a.astimezone(zone), b.astimezone(zone)) for a, b in applied.spans]
    exclusion = applied.exclusion
    if exclusion.rrule is None:
        start, end = spans[0]
        return f"{_span(start, end)} {window.timezone}"
    count = len(spans)
    first = _span(*spans[0])
    windows = f"{fmt.count(count)} window{'' if count == 1 else 's'} this week"
    lead = "the first " if count > 1 else ""
    return (
        f"{exclusion.rrule}, {exclusion.duration} each ({window.timezone}): {windows}, "
        f"{lead}{first}"
    )


def _span(start: datetime, end: datetime) -> str:
    """`2026-11-10 02:00 to 04:00`; the end's date too when it is another day."""
    with_seconds = start.second or end.second
    clock = "%H:%M:%S" if with_seconds else "%H:%M"
    day = "%Y-%m-%d "
    until = clock if start.date() == end.date() else day + clock
    return f"{start.strftime(day + clock)} to {end.strftime(until)}"
