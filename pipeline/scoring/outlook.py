"""The week's forecast: each goal's odds at the week's and the sprint's end, and the same draws
pushed through scoring for the sprint and each agent.

Goals are forecast apart (scoring/forecast.py), so draw i of one goal and draw i of another are
independent: agent and sprint odds ignore any correlation between goals. A goal without a
forecast (an error, no data, no series with enough samples) keeps its status in every draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from pipeline.core.exclusions import scored_samples
from pipeline.core.model import (
    ForecastBand,
    GoalOdds,
    GoalResult,
    Horizons,
    Outlook,
    QueryResult,
    VerdictOdds,
    WeekResult,
    Window,
)
from pipeline.core.outcomes import NoDataPolicy, Status, Verdict
from pipeline.core.settings import ScoringRules, Settings
from pipeline.scoring.draws import STATUS_CODES, score_of
from pipeline.scoring.forecast import (
    DRAWS,
    GoalForecast,
    day_steps,
    forecast_samples,
    on_grid,
    remaining_steps,
)
from pipeline.scoring.weekly import Earlier, drift
from pipeline.scoring.window import week_end

_MISSED = STATUS_CODES.index(Status.MISSED)


@dataclass(frozen=True)
class Horizon:
    """A point the forecast looks at: `at`, `remaining` grid points to simulate up to it, of
    which the first `skip` lie before the horizon's own week (0: the window's week)."""

    at: datetime
    remaining: int
    skip: int
    weeks_ahead: int = 0  # whole weeks between the window's week and the horizon's


def horizons(settings: Settings, window: Window) -> tuple[Horizon | None, Horizon | None]:
    """The week's end (None once the week is complete) and the sprint's end (None without
    sprint.weeks, or once the sprint is over)."""
    sprint = settings.sprint
    week = None
    if not window.complete:
        at = week_end(sprint, window.week)
        week = Horizon(at, remaining_steps(window, at), 0)
    if sprint.weeks is None or window.week > sprint.weeks:
        return week, None
    if window.week == sprint.weeks:
        return week, week
    at = week_end(sprint, sprint.weeks)
    last_start = week_end(sprint, sprint.weeks - 1)
    return week, Horizon(
        at,
        remaining_steps(window, at),
        remaining_steps(window, last_start),
        sprint.weeks - window.week,
    )


def build_outlook(
    settings: Settings,
    result: WeekResult,
    results: Mapping[str, QueryResult],
    earlier: Earlier | None = None,
    draws: int = DRAWS,
) -> Outlook:
    """The week's forecast from the samples the run already has (no query is sent) and, for
    the sprint's end, the goals' values in `earlier` weeks (pipeline/scoring/weekly.py)."""
    week, sprint = horizons(settings, result.window)
    day = day_steps(result.window)
    grids = {
        g.spec.id: on_grid(scored_samples(g, results), result.window)
        for g in result.goals
        if (week or sprint) and results[g.spec.query].error is None and g.spec.target.resolved
    }

    def forecasts(horizon: Horizon | None) -> dict[str, GoalForecast]:
        if horizon is None:
            return {}
        found = {}
        for goal in result.goals:
            if goal.spec.id not in grids or not _bound_holds(goal, result.window, horizon):
                continue
            labels, grid = grids[goal.spec.id]
            shift = None
            if horizon.weeks_ahead:
                before = (earlier or {}).get(goal.spec.id, ())
                shift = drift(before, result.window.week, goal.value, horizon.weeks_ahead)
            forecast = forecast_samples(
                goal.spec,
                labels,
                grid,
                horizon.remaining,
                horizon.at,
                draws,
                horizon.skip,
                day,
                shift,
            )
            if forecast is not None:
                found[goal.spec.id] = forecast
        return found

    at_week = forecasts(week)
    at_sprint = at_week if sprint is week else forecasts(sprint)
    rules = settings.scoring

    def cards(goals: Sequence[GoalResult]) -> Horizons[VerdictOdds]:
        return Horizons(
            week_end=_card_odds(goals, at_week, week, rules, draws),
            sprint_end=_card_odds(goals, at_sprint, sprint, rules, draws),
        )

    by_id = {g.spec.id: g for g in result.goals}
    return Outlook(
        goals={
            g.spec.id: Horizons(
                week_end=_odds(at_week.get(g.spec.id)), sprint_end=_odds(at_sprint.get(g.spec.id))
            )
            for g in result.goals
        },
        overall=cards(result.goals),
        agents={a.id: cards([by_id[g] for g in a.goal_ids]) for a in result.agents},
        bands={goal_id: _band(forecast, result.window) for goal_id, forecast in at_week.items()},
        blind=bool(sprint and sprint.weeks_ahead)
        and not any(
            w < result.window.week for points in (earlier or {}).values() for w, _ in points
        ),
    )


def _bound_holds(goal: GoalResult, window: Window, horizon: Horizon) -> bool:
    """Whether the goal's bound is the one it is judged against at `horizon`: a relative
    target's moves with its baseline in a later week (last_week, or listed weeks not all
    before this one), which no forecast knows, so it is forecast for this week only."""
    baseline = goal.baseline
    if baseline is None or not horizon.weeks_ahead:
        return True
    weeks = baseline.relative.baseline.weeks
    return bool(weeks) and max(weeks) < window.week


def _odds(forecast: GoalForecast | None) -> GoalOdds | None:
    if forecast is None:
        return None
    return GoalOdds(**{f.name: getattr(forecast, f.name) for f in fields(GoalOdds)})  # no draws


def _band(forecast: GoalForecast, window: Window) -> ForecastBand:
    band = forecast.band
    assert band is not None  # every forecast draws its band
    return ForecastBand(
        labels=band.labels,
        timestamps=window.first_ts + (window.expected + band.steps) * window.step_s,
        low=band.low,
        high=band.high,
    )


def _card_odds(
    goals: Sequence[GoalResult],
    forecasts: Mapping[str, GoalForecast],
    horizon: Horizon | None,
    rules: ScoringRules,
    draws: int,
) -> VerdictOdds | None:
    """The scorecard over `goals` in each draw (scoring.scorecard's rules, on arrays)."""
    if horizon is None or not any(g.spec.id in forecasts for g in goals):
        return None
    scores, vetoes = _goal_draws(goals, forecasts, rules.no_data, draws)
    overall = card_scores(goals, scores, rules.categories)
    if overall is None:
        return None
    verdicts = verdicts_of(overall, vetoes, rules.pass_score, rules.warning_score)
    return VerdictOdds(
        at=horizon.at,
        p_achieved=float(np.mean(verdicts == _VERDICTS.index(Verdict.ACHIEVED))),
        p_at_risk=float(np.mean(verdicts == _VERDICTS.index(Verdict.AT_RISK))),
        p_missed=float(np.mean(verdicts == _VERDICTS.index(Verdict.MISSED))),
        score_p50=float(np.median(overall)),
    )


def _goal_draws(
    goals: Sequence[GoalResult],
    forecasts: Mapping[str, GoalForecast],
    no_data: NoDataPolicy,
    draws: int,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each goal's score in each draw (goals x draws, NaN: not scored) and whether any key
    goal vetoes the draw."""
    scores = np.empty((len(goals), draws))
    vetoes = np.zeros(draws, dtype=bool)
    for i, goal in enumerate(goals):
        forecast = forecasts.get(goal.spec.id)
        if forecast is not None:
            scores[i] = score_of(forecast.draws.codes)
            if goal.spec.key:
                vetoes |= forecast.draws.codes == _MISSED
            continue
        scores[i] = math.nan if goal.score is None else goal.score
        unmeasured = goal.status in (Status.NO_DATA, Status.ERROR)
        if goal.spec.key and (
            goal.status is Status.MISSED or (unmeasured and no_data is NoDataPolicy.FAIL)
        ):
            vetoes[:] = True
    return scores, vetoes


def card_scores(
    goals: Sequence[GoalResult], scores: NDArray[np.float64], categories: Mapping[str, float]
) -> NDArray[np.float64] | None:
    """The overall score of each draw: categories' weighted means of their scored goals, then
    their weighted mean (None: no category has a scored goal, in any draw)."""
    cats: list[tuple[NDArray[np.float64], float]] = []
    for name, weight in categories.items():
        rows = [i for i, g in enumerate(goals) if g.spec.category == name]
        weights = np.array([goals[i].spec.weight for i in rows], dtype=np.float64)
        block = scores[rows]
        kept = ~np.isnan(block[:, 0]) if rows else np.zeros(0, dtype=bool)
        if not kept.any() or not weights[kept].max() > 0:
            continue
        w = weights[kept] / weights[kept].max()
        cats.append((w @ block[kept] / w.sum(), weight))
    largest = max((w for _, w in cats), default=0.0)
    if not cats or not largest > 0:
        return None
    total = sum(w / largest for _, w in cats)
    return sum(((w / largest) * s for s, w in cats), np.zeros(scores.shape[1])) / total


_VERDICTS = (Verdict.ACHIEVED, Verdict.AT_RISK, Verdict.MISSED)


def verdicts_of(
    overall: NDArray[np.float64], vetoes: NDArray[np.bool_], pass_score: float, warning: float
) -> NDArray[np.int8]:
    """Each draw's verdict as an index of _VERDICTS: vetoed or under `warning` is MISSED,
    under `pass_score` AT RISK, else ACHIEVED."""
    codes = np.zeros(overall.size, dtype=np.int8)
    codes[overall < pass_score] = 1
    codes[vetoes | (overall < warning)] = 2
    return codes
