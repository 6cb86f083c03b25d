"""Hand-made forecasts: a scored week given odds, as the forecast engine would, to test what
people see of them (reports, e-mail, chat, metrics) apart from how they are computed."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TypeVar

from pipeline.core.model import GoalOdds, Horizons, Outlook, VerdictOdds, WeekResult

T = TypeVar("T", GoalOdds, VerdictOdds)


def goal_odds(
    at: datetime, p_met: float, p_at_risk: float, p10: float, p50: float, p90: float
) -> GoalOdds:
    """A goal's odds; p_missed is what is left."""
    return GoalOdds(at, p_met, p_at_risk, 1 - p_met - p_at_risk, p10, p50, p90, "hand-made")


def verdict_odds(at: datetime, achieved: float, at_risk: float, score: float) -> VerdictOdds:
    """A scorecard's odds; p_missed is what is left."""
    return VerdictOdds(at, achieved, at_risk, 1 - achieved - at_risk, score)


def mid_week(result: WeekResult, outlook: Outlook, sprint_weeks: int | None = 4) -> WeekResult:
    """`result` as a week in progress (half way through) with `outlook`."""
    window = result.window
    middle = window.start + (window.end - window.start) / 2
    return dataclasses.replace(
        result,
        window=dataclasses.replace(window, complete=False, end=middle),
        outlook=outlook,
        sprint_weeks=sprint_weeks,
    )


def charts_outlook(result: WeekResult, sprint_end: bool = True) -> Outlook:
    """Odds for tests/support/chartweek.py's week (goals up, lat, err; agents one, two): at the
    week's end, and at the sprint's end (week 4) when `sprint_end` (agent two has none)."""
    at = result.window.start + timedelta(days=1)
    end = at + timedelta(days=3)

    def both(now: T, later: T) -> Horizons[T]:
        return Horizons(week_end=now, sprint_end=later if sprint_end else None)

    return Outlook(
        goals={
            "up": both(goal_odds(at, 0.30, 0.42, 0, 0, 1), goal_odds(end, 0.5, 0.2, 0, 1, 1)),
            "lat": both(
                goal_odds(at, 0.72, 0.17, 91.2, 95, 98.1), goal_odds(end, 0.81, 0.1, 80, 90, 99)
            ),
            "err": both(goal_odds(at, 0.95, 0.03, 1, 2, 3.5), goal_odds(end, 0.9, 0.05, 1, 2, 4)),
        },
        overall=both(verdict_odds(at, 0.72, 0.2, 88.0), verdict_odds(end, 0.3, 0.5, 80.0)),
        agents={
            "one": both(verdict_odds(at, 0.1, 0.3, 40.0), verdict_odds(end, 0.2, 0.3, 60.0)),
            "two": Horizons(week_end=verdict_odds(at, 0.5, 0.5, 75.0)),
        },
    )


def sprint_end_only(outlook: Outlook) -> Outlook:
    """`outlook` as a complete week has it: no odds at the week's end."""

    def later(odds: Horizons[T]) -> Horizons[T]:
        return Horizons(sprint_end=odds.sprint_end)

    return Outlook(
        goals={k: later(v) for k, v in outlook.goals.items()},
        overall=later(outlook.overall),
        agents={k: later(v) for k, v in outlook.agents.items()},
    )
