"""A goal's exclusions in the generated rules: a PromQL condition on the evaluation time that the
rules' reading of its query is `unless`-ed by, so the recorded samples, the week's aggregate and
the alerts leave out what the report leaves out.

A one-off window is `vector(time()) >= S < E` (unix seconds, [S, E)). A recurrence becomes a
time-of-day condition (FREQ=DAILY) or a time-of-week one (FREQ=WEEKLY, or DAILY with BYDAY) when
PromQL can say it: the sprint's time zone keeps one UTC offset (UTC, `Etc/GMT-2`, a zone without
DST) for two years from the sprint's start, INTERVAL is 1, there is no COUNT or UNTIL, and its
other parts are only BYDAY (plain weekdays), BYHOUR, BYMINUTE, BYSECOND and WKST. Any other
recurrence is left out of the rules (`unexpressed`), and the rule file's header names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.core.exclusions import origin, parse_rule, rule_parts
from pipeline.core.settings import Exclusion, Settings, Sprint
from pipeline.generate import promql

DAY, WEEK = 86_400.0, 604_800.0
# 1970-01-01 (unix time 0) was a Thursday: three days after a Monday 00:00
_MONDAY = 3 * DAY
_PLAIN_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYHOUR", "BYMINUTE", "BYSECOND", "WKST"})
_WEEKDAYS = frozenset({"MO", "TU", "WE", "TH", "FR", "SA", "SU"})
_FIXED_FOR_DAYS = 2 * 366


def read(query: str, condition: str | None) -> str:
    """`query` as the rules read it: without the times `condition` holds (none: as it is)."""
    if condition is None:
        return query
    return f"{promql.group(query)} unless on () ({condition})"


def condition(loaded: Settings, goal_id: str) -> str | None:
    """When the goal's exclusions that the rules can express hold, in PromQL (None: never)."""
    parts = [
        c
        for x in loaded.exclusions
        if x.covers(goal_id) and (c := _condition(x, loaded.sprint)) is not None
    ]
    return " or ".join(parts) if parts else None


def unexpressed(loaded: Settings) -> tuple[Exclusion, ...]:
    """The exclusions the rules leave out: recurrences PromQL cannot say (see the docstring)."""
    return tuple(x for x in loaded.exclusions if _condition(x, loaded.sprint) is None)


def _condition(exclusion: Exclusion, sprint: Sprint) -> str | None:
    if exclusion.start is not None and exclusion.end is not None:
        start, end = exclusion.start.timestamp(), exclusion.end.timestamp()
        return f"vector(time()) >= {promql.number(start)} < {promql.number(end)}"
    if exclusion.rrule is None:
        return None
    return _recurrence(exclusion.rrule, exclusion.duration_s, sprint)


def _recurrence(text: str, duration: float, sprint: Sprint) -> str | None:
    """A daily or weekly recurrence as a condition on local time of day or week, else None."""
    parts = rule_parts(text)
    offset = fixed_offset(sprint.zone, origin(sprint))
    if (
        offset is None
        or not set(parts) <= _PLAIN_PARTS
        or parts.get("INTERVAL", "1") != "1"
        or parts["FREQ"] not in ("DAILY", "WEEKLY")
        or not set(parts.get("BYDAY", "MO").split(",")) <= _WEEKDAYS
    ):
        return None
    weekly = parts["FREQ"] == "WEEKLY" or "BYDAY" in parts
    period = WEEK if weekly else DAY
    if duration >= period:
        return None
    first = origin(sprint)
    starts = sorted(
        _phase(when, weekly)
        for when in parse_rule(text, first).between(
            first, first + timedelta(seconds=period), inc=True
        )
        if when < first + timedelta(seconds=period)
    )
    shift = offset + (_MONDAY if weekly else 0)
    local = f"(time() + {promql.number(shift)})" if shift else "time()"
    now = f"vector({local} % {promql.number(period)})"
    ranges: list[tuple[float, float]] = []
    for start in dict.fromkeys(starts):
        end = start + duration
        ranges += [(start, min(end, period))] + ([(0.0, end - period)] if end > period else [])
    return " or ".join(f"{now} >= {promql.number(a)} < {promql.number(b)}" for a, b in ranges)


def _phase(when: datetime, weekly: bool) -> float:
    """Seconds since local midnight, or since local Monday 00:00."""
    seconds = when.hour * 3600 + when.minute * 60 + when.second
    return float(seconds + (when.weekday() * DAY if weekly else 0))


def fixed_offset(zone: ZoneInfo, since: datetime) -> float | None:
    """The zone's UTC offset in seconds if it keeps one for two years from `since`, else None."""
    offsets = {
        (since + timedelta(days=d)).astimezone(zone).utcoffset() for d in range(_FIXED_FOR_DAYS)
    }
    if len(offsets) != 1:
        return None
    (only,) = offsets
    return only.total_seconds() if only is not None else None


def header(loaded: Settings) -> Sequence[str]:
    """Comment lines for the rule file: the exclusions its rules cannot know."""
    return [
        f"# exclusion {x.id} ({x.rrule}, {loaded.sprint.timezone}) is not in these rules: "
        "PromQL cannot say when it holds; the reports leave it out, the alerts do not.\n"
        for x in unexpressed(loaded)
    ]
