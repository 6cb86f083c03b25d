"""The forecast as people read it: the likely verdict with its chance, a goal's chance of being
met with the range its value is likely to end in, and the goals likely to cost the most points.

Shared by the reports, the e-mail and chat; plain values here, sentences in `narrative.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pipeline.core.model import GoalOdds, GoalResult, Horizons, VerdictOdds, WeekResult
from pipeline.core.outcomes import Status, Verdict
from pipeline.report import formatting as fmt
from pipeline.scoring.score import STATUS_SCORE

T = TypeVar("T", GoalOdds, VerdictOdds)


@dataclass(frozen=True)
class Expected:
    """A scorecard's most likely verdict at one horizon: `at the week's end: ACHIEVED (72 %)`."""

    horizon: str  # `at the week's end`, `at the sprint's end (week 4)`
    verdict: Verdict
    chance: str  # `72 %`


def chance(p: float) -> str:
    """0.72 -> `72 %` (formatting.chance)."""
    return fmt.chance(p)


def likely(odds: VerdictOdds) -> tuple[Verdict, float]:
    """The most likely verdict and its probability; of two as likely, the worse."""
    options = (
        (Verdict.MISSED, odds.p_missed),
        (Verdict.AT_RISK, odds.p_at_risk),
        (Verdict.ACHIEVED, odds.p_achieved),
    )
    return max(options, key=lambda o: o[1])  # max keeps the first of equals: the worse


def likely_status(odds: GoalOdds) -> Status:
    """A goal's most likely status at the horizon; of two as likely, the worse."""
    options = (
        (Status.MISSED, odds.p_missed),
        (Status.AT_RISK, odds.p_at_risk),
        (Status.MET, odds.p_met),
    )
    return max(options, key=lambda o: o[1])[0]  # max keeps the first of equals: the worse


def week_end_text() -> str:
    return "at the week's end"


def sprint_end_text(result: WeekResult) -> str:
    """`at the sprint's end (week 4)`; without the week when it is not known; `..., from this
    week alone` when no earlier week told how the goals move from week to week."""
    alone = ", from this week alone" if result.outlook.blind else ""
    if result.sprint_weeks is None:
        return f"at the sprint's end{alone}"
    return f"at the sprint's end (week {result.sprint_weeks}{alone})"


def expected(result: WeekResult, odds: Horizons[VerdictOdds]) -> tuple[Expected, ...]:
    """The likely verdict at each horizon that has odds, the week's end first."""
    found = []
    horizons = ((week_end_text(), odds.week_end), (sprint_end_text(result), odds.sprint_end))
    for horizon, at in horizons:
        if at is not None:
            verdict, p = likely(at)
            found.append(Expected(horizon, verdict, chance(p)))
    return tuple(found)


def week_end_expected(odds: Horizons[VerdictOdds]) -> str | None:
    """`ACHIEVED (72 %)`: the likely verdict at the end of the week in progress, if forecast."""
    if odds.week_end is None:
        return None
    verdict, p = likely(odds.week_end)
    return f"{verdict.text} ({chance(p)})"


def shown(result: WeekResult, odds: Horizons[T]) -> T | None:
    """The odds a goal row shows: at the week's end while the week is in progress, at the
    sprint's end once it is complete (None when there are none)."""
    return odds.sprint_end if result.window.complete else odds.week_end


def shown_horizon(result: WeekResult) -> str:
    """The horizon of the odds `shown`."""
    return sprint_end_text(result) if result.window.complete else week_end_text()


def goal_range(goal: GoalResult, odds: GoalOdds) -> str:
    """`91.2 to 98.1 ms`: where the goal's value likely ends (p10 to p90), shown as its value is."""
    spec = goal.spec
    bounds = fmt.goal_bounds(spec)
    low, high = fmt.number(odds.p10, bounds), fmt.number(odds.p90, bounds)
    text = low if low == high else f"{low} to {high}"
    return f"{text} {spec.unit}" if spec.unit else text


def expected_score(odds: GoalOdds) -> float:
    """The goal's expected score at the horizon: met 100, at risk 50, missed 0."""
    return (
        STATUS_SCORE[Status.MET] * odds.p_met
        + STATUS_SCORE[Status.AT_RISK] * odds.p_at_risk
        + STATUS_SCORE[Status.MISSED] * odds.p_missed
    )
