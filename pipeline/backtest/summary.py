"""The backtest's scores: each method's Brier score and reliability table, per horizon, for
goals (met?) and for scorecards (the sprint's and the agents': ACHIEVED?)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pipeline.backtest.predict import Horizon, Prediction, Subject
from pipeline.backtest.replay import Replay
from pipeline.scoring.forecast import ReliabilityBin, brier, reliability

BINS = 5  # reliability bins of 0.2


class Method(StrEnum):
    FORECAST = "forecast"
    PROJECTION = "two-point projection"


class Subjects(StrEnum):
    """Which predictions a group scores."""

    GOALS = "goals"  # each goal met
    VERDICTS = "verdicts"  # the sprint's and each agent's verdict ACHIEVED

    def holds(self, prediction: Prediction) -> bool:
        return (prediction.subject is Subject.GOAL) == (self is Subjects.GOALS)


@dataclass(frozen=True)
class Score:
    """One method on one group of predictions: its Brier score and reliability table."""

    method: Method
    brier: float
    count: int
    bins: tuple[ReliabilityBin, ...]


@dataclass(frozen=True)
class Group:
    """The predictions about `subjects` at `horizon`, scored by each method."""

    subjects: Subjects
    horizon: Horizon
    scores: tuple[Score, ...]  # in Method order


@dataclass(frozen=True)
class Backtest:
    """The replay and its scores, ready to render."""

    replay: Replay
    groups: tuple[Group, ...]

    def group(self, subjects: Subjects, horizon: Horizon) -> Group | None:
        return next(
            (g for g in self.groups if g.subjects is subjects and g.horizon is horizon), None
        )


def score(predicted: Sequence[float], outcomes: Sequence[bool], method: Method) -> Score:
    return Score(
        method=method,
        brier=brier(predicted, outcomes),
        count=len(predicted),
        bins=reliability(predicted, outcomes, BINS),
    )


def build_backtest(replay: Replay) -> Backtest:
    """Score every group that has predictions (no sprint's end before it is complete)."""
    groups = []
    for subjects in Subjects:
        for horizon in Horizon:
            chosen = [p for p in replay.predictions if p.horizon is horizon and subjects.holds(p)]
            if not chosen:
                continue
            outcomes = [p.outcome for p in chosen]
            scores = (
                score([p.forecast for p in chosen], outcomes, Method.FORECAST),
                score([p.projection for p in chosen], outcomes, Method.PROJECTION),
            )
            groups.append(Group(subjects, horizon, scores))
    return Backtest(replay, tuple(groups))
