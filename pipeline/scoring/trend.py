"""Week-over-week movement: the previous week's value per goal, and when a goal would be met."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.core.history import GoalPoint, Past, WeekPoint
from pipeline.core.model import GoalResult, WeekResult
from pipeline.core.outcomes import Status
from pipeline.core.targets import Target

HORIZON_WEEKS = 52  # a projection further away than this is reported as not converging


@dataclass(frozen=True)
class Projection:
    """Where a goal that is not met is heading at its latest weekly rate of change."""

    rate: float  # change of the value per week
    week: int | None  # the week it would be met; None: not converging


@dataclass(frozen=True)
class GoalTrend:
    """A goal's previous week and its projection (None when unknown or already met)."""

    previous: GoalPoint | None
    change: float | None
    projection: Projection | None


@dataclass(frozen=True)
class Trend:
    """Every recorded week of the sprint so far, this one last, and each goal's movement."""

    weeks: tuple[WeekPoint, ...]
    goals: dict[str, GoalTrend]

    @property
    def has_history(self) -> bool:
        """Whether any earlier week is known."""
        return len(self.weeks) > 1


def build_trend(result: WeekResult, past: Past) -> Trend:
    """Combine the recorded earlier weeks with this run."""
    week = result.window.week
    now = WeekPoint(week, result.scorecard.score, result.scorecard.verdict, result.window.complete)
    return Trend(
        weeks=(*past.weeks, now),
        goals={
            g.spec.id: _goal_trend(g, past.goals.get(g.spec.id, ()), week) for g in result.goals
        },
    )


def _goal_trend(goal: GoalResult, points: tuple[GoalPoint, ...], week: int) -> GoalTrend:
    previous = next((p for p in reversed(points) if p.week == week - 1), None)
    change = None
    if previous and previous.value is not None and goal.value is not None:
        change = goal.value - previous.value
    projection = None
    if goal.status not in (Status.MET, Status.NO_DATA, Status.ERROR) and goal.value is not None:
        known = [p for p in points if p.value is not None]
        if known:
            last = known[-1]
            assert last.value is not None
            rate = (goal.value - last.value) / (week - last.week)
            projection = Projection(rate, project(goal.value, rate, goal.spec.target, week))
    return GoalTrend(previous, change, projection)


def project(value: float, rate: float, target: Target, week: int) -> int | None:
    """The first week in which `value`, moving by `rate` a week, meets `target`; else None."""
    if not math.isfinite(value) or rate == 0 or not math.isfinite(rate):
        return None
    bound = target.high if target.op == ".." and value > target.high else target.low
    steps = (bound - value) / rate
    if steps <= 0 and not target.met(value):
        return None  # moving away from the target
    weeks = max(1, math.ceil(steps))
    if not target.met(value + rate * weeks):  # a strict bound hit exactly: one more week
        weeks += 1
    if weeks > HORIZON_WEEKS or not target.met(value + rate * weeks):
        return None
    return week + weeks
