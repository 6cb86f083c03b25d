"""Crontab expressions to APScheduler 3 cron triggers, with crontab's weekday numbers.

APScheduler 3 numbers weekdays from Monday (0 = mon), crontab from Sunday (0 or 7 = sun), so
`0 2 * * 0` would mean Monday there. Weekday numbers are translated to names here. A sixth
field in front, seconds, is accepted as an extension (`30 0 2 * * *` = 02:00:30).

Going backwards (the slot a late run reports as) is croniter's `get_prev`: APScheduler 3 only
walks forwards.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger
from croniter import croniter

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_ITEM = re.compile(r"^(\*|\w+)(?:-(\w+))?(?:/(\d+))?$")


def _day(token: str) -> int:
    """0-7 as written (7 stays 7 so that `5-7` is a range), names as 0-6."""
    token = token.lower()
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token in _DAY_NAMES:
        return _DAY_NAMES.index(token)
    raise ValueError(f"'{token}' is not a weekday (0-7 or sun-sat, 0 and 7 are Sunday)")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler weekday names: `1-5` -> `mon,...,fri`."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        match = _ITEM.match(item)
        if not match:
            raise ValueError(f"cannot parse weekday field '{field}'")
        first, last, step = match.groups()
        if first == "*":
            start, end = 0, 6
        else:
            start = _day(first)
            end = _day(last) if last else (6 if step else start)
        if end < start:
            raise ValueError(f"weekday range '{item}' runs backwards")
        days.update(d % 7 for d in range(start, end + 1, int(step or 1)))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def cron_trigger(expression: str, zone: tzinfo) -> CronTrigger:
    """A CronTrigger in `zone` from a 5-field crontab line (or 6 with seconds first)."""
    fields = expression.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(
            f"'{expression}' has {len(fields)} fields; expected 5 "
            "(minute hour day-of-month month day-of-week), or 6 with seconds first"
        )
    second, minute, hour, day, month, weekday = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(weekday),
        timezone=zone,
    )


def latest_fire_time(
    expression: str, zone: tzinfo, now: datetime, lookback: timedelta
) -> datetime | None:
    """The last time at or before `now` (within `lookback`) that `expression` fired in `zone`.

    croniter walks backwards with the trigger's reading of the line: crontab weekday numbers,
    seconds first when there are six fields, and day-of-month AND day-of-week when both are
    given (APScheduler's rule; crontab's own is OR). Time is whole seconds, so starting one
    second after `now` makes `now` itself count.
    """
    start = (now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)).astimezone(zone)
    fields = len(expression.split())
    fire: datetime = croniter(
        expression, start, day_or=False, second_at_beginning=fields == 6
    ).get_prev(datetime)
    return fire if fire >= now - lookback else None
