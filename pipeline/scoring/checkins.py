"""Each goal's check-in of a report's week: the latest one people wrote for that week (up to
the instant the run sees), flagged when stale or at odds with the forecast."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.core.checkins import CheckinEntry, GoalCheckin, WeekCheckins, read_checkins
from pipeline.core.model import GoalOdds, Horizons, WeekResult
from pipeline.errors import CheckinsError

log = logging.getLogger("pipeline")

STALE_AFTER = timedelta(days=7)
CONFIDENT = 8  # a confidence of 8 or more disagrees with a forecast below UNLIKELY
DOUBTFUL = 3  # one of 3 or less with a forecast above LIKELY
UNLIKELY = 0.3
LIKELY = 0.7


def with_checkins(result: WeekResult, path: Path | None) -> WeekResult:
    """`result` with its goals' check-ins from the file at `path` (none when it is missing). A
    file that cannot be read is a warning: the reports are written without check-ins and say
    why (the file is only read, never touched)."""
    if path is None:
        return result
    try:
        entries = read_checkins(path)
    except CheckinsError as exc:
        first, *rest = str(exc).splitlines()
        more = f" (and {len(rest)} more problems)" if rest else ""
        problem = f"{first}{more}"
        log.warning("check-ins not shown: %s", problem)
        return replace(result, checkins=WeekCheckins(problem=problem))
    return replace(result, checkins=week_checkins(result, entries))


def week_checkins(result: WeekResult, entries: Sequence[CheckinEntry]) -> WeekCheckins:
    """Each goal's latest check-in of the week, judged at the end of the report's window (the
    run's as_of while the week is in progress; the week's end once complete, so that a rerun
    of a past week reads as it did then)."""
    found = {}
    for goal in result.goals:
        written_by = min(result.as_of, result.window.end)  # a rerun: not after the week closed
        entry = latest(entries, goal.spec.id, result.window.week, written_by)
        if entry is not None:
            odds = result.outlook.goal(goal.spec.id)
            found[goal.spec.id] = judged(entry, result.window.end, odds)
    return WeekCheckins(goals=found)


def latest(
    entries: Sequence[CheckinEntry], goal_id: str, week: int, as_of: datetime
) -> CheckinEntry | None:
    """The goal's check-in of `week` written last, at or before `as_of`; of two written at the
    same instant, the one later in the file."""
    mine = [(e.at, i, e) for i, e in enumerate(entries) if e.goal == goal_id and e.week == week]
    seen = [m for m in mine if m[0] <= as_of]
    return max(seen, key=lambda m: (m[0], m[1]))[2] if seen else None


def judged(entry: CheckinEntry, end: datetime, odds: Horizons[GoalOdds]) -> GoalCheckin:
    """`entry` with its age at `end` and its flags: stale when older than STALE_AFTER;
    disagreeing when confident (>= 8) while the forecast's p_met is below 0.3, or doubtful
    (<= 3) while it is above 0.7. The forecast is the week's end's, else the sprint's end's;
    without one there is nothing to disagree with."""
    age = end - entry.at
    shown = odds.week_end or odds.sprint_end
    p_met = shown.p_met if shown else None
    return GoalCheckin(
        author=entry.author,
        confidence=entry.confidence,
        note=entry.note,
        at=entry.at,
        age=age,
        stale=age > STALE_AFTER,
        disagrees=disagrees(entry.confidence, p_met),
        p_met=p_met,
    )


def disagrees(confidence: int, p_met: float | None) -> bool:
    """Whether a confidence (1 to 10) contradicts a forecast's chance of being met."""
    if p_met is None:
        return False
    return (confidence >= CONFIDENT and p_met < UNLIKELY) or (
        confidence <= DOUBTFUL and p_met > LIKELY
    )
