"""Week N of the sprint as a time window, and which week contains a given instant."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from pipeline.core.model import Window
from pipeline.core.settings import Sprint
from pipeline.errors import UsageError


def _week_start(sprint: Sprint, week: int) -> datetime:
    day = sprint.start + timedelta(days=(week - 1) * sprint.week_days)
    # Local midnight, so a week that crosses a DST change is 167 or 169 hours long.
    return datetime.combine(day, time(0), tzinfo=sprint.zone)


def week_end(sprint: Sprint, week: int) -> datetime:
    """When week `week` ends (the next one's local midnight), in the sprint's time zone."""
    return _week_start(sprint, week + 1)


def current_week(sprint: Sprint, now: datetime, as_of: bool = False) -> int:
    """The number of the week that contains `now` (the --as-of the user gave, if `as_of`)."""
    if now < _week_start(sprint, 1):
        when = f"at --as-of {now.isoformat()}" if as_of else "yet"
        raise UsageError(
            f"the sprint starts on {sprint.start.isoformat()}: there is no current week {when}"
        )
    week = 1
    while _week_start(sprint, week + 1) <= now:
        week += 1
    return week


def week_window(sprint: Sprint, week: int, now: datetime, as_of: bool = False) -> Window:
    """The window of week `week`; a week still in progress ends at `now` and is incomplete.
    `as_of`: `now` is the --as-of the user gave (messages say so)."""
    if week < 1:
        raise UsageError(f"--week must be 1 or more, not {week}")
    try:
        start = _week_start(sprint, week)
        end = _week_start(sprint, week + 1)
    except OverflowError:
        raise UsageError(
            f"--week {week}: that week would end after the year 9999 (the sprint starts on "
            f"{sprint.start.isoformat()}, {sprint.week_days} days a week)"
        ) from None
    if start >= now:
        after = f"after --as-of {now.isoformat()}" if as_of else "which is in the future"
        raise UsageError(f"week {week} starts on {start.date().isoformat()}, {after}")
    complete = end <= now
    if not complete:
        end = now
    step = sprint.step_s
    first = math.ceil(start.timestamp() / step) * step
    expected = max(0, math.ceil((end.timestamp() - first) / step))
    return Window(
        week=week,
        start=start,
        end=end.astimezone(sprint.zone),
        complete=complete,
        timezone=sprint.timezone,
        step_s=step,
        first_ts=first,
        expected=expected,
    )


def data_window(sprint: Sprint, now: datetime) -> Window | None:
    """The window `validate` looks for data in: the week that contains `now`, so far; the
    sprint's last week once it is over (`sprint.weeks`); the week before while the current one
    has no step yet. None before the sprint has a step."""
    if now < _week_start(sprint, 1):
        return None
    week = current_week(sprint, now)
    if sprint.weeks is not None and week > sprint.weeks:
        week = sprint.weeks
    window = week_window(sprint, week, now)
    if window.expected == 0:
        return week_window(sprint, week - 1, now) if week > 1 else None
    return window
