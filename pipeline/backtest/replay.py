"""Replay the nights: one dry run per night as of its midnight, and one per complete week for
what happened. Nothing is written, sent or recorded in history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pipeline.backtest.predict import Finals, Horizon, Prediction, finals, night_predictions
from pipeline.backtest.weeks import complete, nights
from pipeline.core.model import WeekResult
from pipeline.core.settings import Settings
from pipeline.run import RunRequest, run_week
from pipeline.scoring.weekly import Earlier

Runner = Callable[
    [int, datetime | None, Earlier], WeekResult
]  # (week, as_of, earlier) -> a dry run


@dataclass(frozen=True)
class Replay:
    """Every night replayed and its predictions."""

    weeks: tuple[int, ...]
    nights: tuple[datetime, ...]
    goals: tuple[str, ...]
    sprint_week: int | None  # the week the sprint's end is judged on; None: not complete
    predictions: tuple[Prediction, ...]


def dry_runner(loaded: Settings, now: datetime) -> Runner:
    """Week `week` as a dry run of `pipeline.run` as of `as_of` (None: complete, at `now`)."""

    def run(week: int, as_of: datetime | None, earlier: Earlier) -> WeekResult:
        request = RunRequest(week, loaded.output_dir, as_of=as_of, dry_run=True, earlier=earlier)
        return run_week(loaded, request, now).result

    return run


def replay(loaded: Settings, weeks: Sequence[int], now: datetime, runner: Runner) -> Replay:
    """Run each night of `weeks` and each complete week needed to judge them."""
    sprint = loaded.sprint
    done: dict[int, Finals] = {}

    def final(week: int) -> Finals:
        if week not in done:
            done[week] = finals(runner(week, None, {}))
        return done[week]

    def earlier(week: int) -> Earlier:
        """The goals' final values of the weeks before `week`, as the history would hold them."""
        found: dict[str, list[tuple[int, float]]] = {}
        for before in range(1, week):
            for goal, value in final(before).values.items():
                if value is not None:
                    found.setdefault(goal, []).append((before, value))
        return found

    last = sprint.weeks
    sprint_week = last if last is not None and complete(sprint, last, now) else None
    predictions: list[Prediction] = []
    seen: list[datetime] = []
    for week in weeks:
        outcomes = {Horizon.WEEK_END: final(week)}
        if sprint_week is not None:
            outcomes[Horizon.SPRINT_END] = final(sprint_week)
        previous = final(week - 1) if week > 1 else None
        for night in nights(sprint, week):
            predictions += night_predictions(runner(week, night, earlier(week)), previous, outcomes)
            seen.append(night)
    return Replay(
        weeks=tuple(weeks),
        nights=tuple(seen),
        goals=tuple(g.id for g in loaded.goals),
        sprint_week=sprint_week,
        predictions=tuple(predictions),
    )
