"""Week-over-week movement: the previous week's value per goal; `project`, the two-point
projection the backtest compares the forecast with."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.core.history import GoalPoint, Past, WeekPoint
from pipeline.core.model import GoalResult, WeekResult
from pipeline.core.targets import Target

HORIZON_WEEKS = 52  # a projection further away than this counts as not converging


@dataclass(frozen=True)
class GoalTrend:
    """A goal's previous week and its change since (None when unknown)."""

    previous: GoalPoint | None
    change: float | None


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
    return GoalTrend(previous, change)


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
