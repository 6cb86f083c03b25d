"""Which weeks a backtest replays, and the nights of each: pure calendar arithmetic."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from pipeline.core.settings import Sprint
from pipeline.errors import UsageError
from pipeline.scoring.window import week_end

_RANGE = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def parse_weeks(text: str) -> tuple[int, int]:
    """`--weeks 2` or `--weeks 1-3`: the first and last week (UsageError otherwise)."""
    match = _RANGE.fullmatch(text)
    if match is None:
        raise UsageError(f"--weeks {text}: expected a week (2) or a range of weeks (1-3)")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first < 1 or last < first:
        raise UsageError(f"--weeks {text}: weeks start at 1 and a range goes up (like 1-3)")
    return first, last


def complete(sprint: Sprint, week: int, now: datetime) -> bool:
    """Whether week `week` had ended at `now`."""
    return week_end(sprint, week) <= now


def choose_weeks(sprint: Sprint, wanted: tuple[int, int] | None, now: datetime) -> range:
    """The weeks to replay: `wanted`, each of which must be in the sprint and complete at `now`;
    by default every complete week (of the sprint's sprint.weeks, when set)."""
    if wanted is None:
        last = 0
        while (sprint.weeks is None or last < sprint.weeks) and complete(sprint, last + 1, now):
            last += 1
        if last == 0:
            raise UsageError(
                f"no week of the sprint is complete yet (week 1 ends on "
                f"{week_end(sprint, 1).isoformat()}): nothing to backtest (--weeks)"
            )
        return range(1, last + 1)
    first, last = wanted
    shown = f"{first}-{last}" if last > first else str(first)
    if sprint.weeks is not None and last > sprint.weeks:
        raise UsageError(f"--weeks {shown}: the sprint has {sprint.weeks} weeks (sprint.weeks)")
    try:
        ends = week_end(sprint, last)
    except OverflowError:  # past the year 9999: not complete either
        raise UsageError(
            f"--weeks {shown}: week {last} is not complete yet (it would end after the year "
            "9999); a backtest needs each week's outcome"
        ) from None
    if not ends <= now:
        raise UsageError(
            f"--weeks {shown}: week {last} is not complete yet (it ends on "
            f"{ends.isoformat()}); a backtest needs each week's outcome"
        )
    return range(first, last + 1)


def nights(sprint: Sprint, week: int) -> tuple[datetime, ...]:
    """The instants a backtest sees week `week` at: each local midnight strictly inside it
    (the week's start plus 1 .. week_days - 1 days, in sprint.timezone)."""
    first = sprint.start + timedelta(days=(week - 1) * sprint.week_days)
    return tuple(
        datetime.combine(first + timedelta(days=k), time(0), tzinfo=sprint.zone)
        for k in range(1, sprint.week_days)
    )
