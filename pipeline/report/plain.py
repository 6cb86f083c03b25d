"""The report's sentences as plain text, for the places that are not a report: e-mail bodies,
chat messages and the CI gate's message."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.core.model import GoalResult
from pipeline.core.outcomes import Status
from pipeline.core.text import cap, one_line
from pipeline.report import formatting as fmt
from pipeline.report import narrative
from pipeline.report.owners import NO_OWNER, owner_name
from pipeline.report.spans import to_plain
from pipeline.scoring.trend import Trend


def moved_lines(trend: Trend, goals: Sequence[GoalResult], series: bool = True) -> list[str]:
    """What changed since last week among `goals`: the report's sentences, as plain text;
    `series`: with the labels of the series each value came from."""
    return [to_plain(line) for line in narrative.changes(trend, goals, series)]


def open_goal_lines(
    goals: Sequence[GoalResult], why: bool = True, owners: bool = False
) -> list[str]:
    """`Time to Launch: at risk, 15 days against < 14 days`, for each goal not met; for one
    without a value, with `why`, the reason (`Pilot Customers: no data, the query returned no
    samples ...`; a server's message is data, so chat leaves it out). With `owners`, when
    some of them has an owner, each line starts with it: `Dana: P95 Latency at risk, ...`
    (`No owner: ...`)."""
    shown = [goal for goal in goals if goal.status is not Status.MET]
    named = owners and any(goal.spec.owner for goal in shown)
    return [_open_goal(goal, why, named) for goal in shown]


def _open_goal(goal: GoalResult, why: bool, named: bool = False) -> str:
    spec = goal.spec
    head = f"{one_line(spec.name)}: {goal.status.text.lower()}"
    if named:
        owner = one_line(owner_name(spec) or NO_OWNER)
        head = f"{owner}: {one_line(spec.name)} {goal.status.text.lower()}"
    if goal.value is None:
        return f"{head}, {one_line(cap(goal.message or 'no value'))}" if why else head
    value = fmt.goal_quantity(goal.value, spec)
    return f"{head}, {value} against {fmt.target(spec.target, spec.unit)}"
