"""One night's predictions: what the forecast and the old two-point projection said about each
goal (met?) and each scorecard (ACHIEVED?) at a horizon, beside what happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from pipeline.core.model import GoalOdds, GoalResult, Horizons, Scorecard, VerdictOdds, WeekResult
from pipeline.core.outcomes import Status, Verdict
from pipeline.scoring.trend import project

T = TypeVar("T", GoalOdds, VerdictOdds)


class Horizon(StrEnum):
    """When a prediction is about: the end of the night's week, or of the sprint."""

    WEEK_END = "week_end"
    SPRINT_END = "sprint_end"

    @property
    def text(self) -> str:
        return "the week's end" if self is Horizon.WEEK_END else "the sprint's end"


class Subject(StrEnum):
    """What a prediction is about: a goal (met?), the sprint or an agent (ACHIEVED?)."""

    GOAL = "goal"
    SPRINT = "sprint"
    AGENT = "agent"


SPRINT_ID = "sprint"  # the id of the sprint's own scorecard among the predictions


@dataclass(frozen=True)
class Prediction:
    """Both methods' probability that `id` is met (ACHIEVED) at the horizon, as of `night`."""

    week: int
    night: datetime  # the --as-of the night's run saw the world at
    subject: Subject
    id: str
    horizon: Horizon
    forecast: float  # the forecast's p_met (p_achieved)
    projection: float  # the two-point projection: 1.0 or 0.0
    outcome: bool  # met (ACHIEVED) when the horizon's week was complete
    so_far: str  # the status (verdict) as of the night
    value: float | None  # the value (score) as of the night
    previous: float | None = None  # a goal's value at the end of the previous week
    odds: bool = True  # False: no forecast that night; its status so far stood in


@dataclass(frozen=True)
class Finals:
    """What happened in a complete week: the goals met and the scorecards ACHIEVED."""

    week: int
    met: frozenset[str]
    achieved: frozenset[str]  # SPRINT_ID and agent ids
    values: Mapping[str, float | None]  # each goal's final value


def finals(result: WeekResult) -> Finals:
    """The outcomes of a complete week's run."""
    cards = {SPRINT_ID: result.scorecard, **{a.id: a.scorecard for a in result.agents}}
    return Finals(
        week=result.window.week,
        met=frozenset(g.spec.id for g in result.goals if g.status is Status.MET),
        achieved=frozenset(k for k, c in cards.items() if c.verdict is Verdict.ACHIEVED),
        values={g.spec.id: g.value for g in result.goals},
    )


def projected(goal: GoalResult, previous: float | None, week: int, by_week: int) -> float:
    """The two-point projection's p(met by the end of `by_week`), as of a night of `week`:
    1.0 if the goal is met so far, or if its value so far, moving by its change since the end
    of the previous week each week, meets the target by `by_week` (trend.project); else 0.0.
    project() names a later week than `week`, so at the week's end this is the status so far."""
    if goal.status is Status.MET:
        return 1.0
    if previous is None or goal.value is None or not goal.status.measured:
        return 0.0
    when = project(goal.value, goal.value - previous, goal.spec.target, week)
    return 1.0 if when is not None and when <= by_week else 0.0


@dataclass(frozen=True)
class _Ask:
    """One night's question: the night, and the horizon with what happened there."""

    week: int
    night: datetime
    horizon: Horizon
    final: Finals


def night_predictions(
    result: WeekResult,
    previous: Finals | None,
    outcomes: Mapping[Horizon, Finals],
) -> list[Prediction]:
    """The predictions of one night's dry run for each horizon with a known outcome."""
    found: list[Prediction] = []
    outlook = result.outlook
    for horizon, final in outcomes.items():
        ask = _Ask(result.window.week, result.as_of, horizon, final)
        for goal in result.goals:
            odds = _at(outlook.goals.get(goal.spec.id, Horizons()), horizon)
            before = previous.values.get(goal.spec.id) if previous else None
            found.append(_goal(ask, goal, odds, before))
        found.append(_card(ask, Subject.SPRINT, SPRINT_ID, result.scorecard, outlook.overall))
        for agent in result.agents:
            odds_of = outlook.agents.get(agent.id, Horizons())
            found.append(_card(ask, Subject.AGENT, agent.id, agent.scorecard, odds_of))
    return found


def _goal(ask: _Ask, goal: GoalResult, odds: GoalOdds | None, before: float | None) -> Prediction:
    """A goal's prediction; without odds, its status so far stands in (as in the outlook)."""
    return Prediction(
        week=ask.week,
        night=ask.night,
        subject=Subject.GOAL,
        id=goal.spec.id,
        horizon=ask.horizon,
        forecast=odds.p_met if odds else float(goal.status is Status.MET),
        projection=projected(goal, before, ask.week, ask.final.week),
        outcome=goal.spec.id in ask.final.met,
        so_far=goal.status.value,
        value=goal.value,
        previous=before,
        odds=odds is not None,
    )


def _card(
    ask: _Ask, subject: Subject, key: str, card: Scorecard, horizons: Horizons[VerdictOdds]
) -> Prediction:
    """A scorecard's prediction; the projection's baseline is the verdict so far."""
    odds = _at(horizons, ask.horizon)
    achieved = float(card.verdict is Verdict.ACHIEVED)
    return Prediction(
        week=ask.week,
        night=ask.night,
        subject=subject,
        id=key,
        horizon=ask.horizon,
        forecast=odds.p_achieved if odds else achieved,
        projection=achieved,
        outcome=key in ask.final.achieved,
        so_far=card.verdict.value,
        value=card.score,
        odds=odds is not None,
    )


def _at(horizons: Horizons[T], horizon: Horizon) -> T | None:
    return horizons.week_end if horizon is Horizon.WEEK_END else horizons.sprint_end
