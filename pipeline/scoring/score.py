"""Pure scoring: series -> values -> statuses -> goal, category and overall scores, verdicts;
score_week does it for a whole week."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from pipeline.core.exclusions import for_goal, grid_points, in_window, without
from pipeline.core.model import (
    AgentResult,
    AppliedExclusion,
    CategoryScore,
    GoalResult,
    Labels,
    QueryResult,
    RawOutcome,
    Scorecard,
    Series,
    SeriesScore,
    WeekResult,
    Window,
)
from pipeline.core.outcomes import NoDataPolicy, Status, Verdict
from pipeline.core.relative import Baseline
from pipeline.core.settings import GoalSpec, ScoringRules, Settings
from pipeline.core.targets import Target
from pipeline.scoring.baseline import lack_text

STATUS_SCORE = {Status.MET: 100.0, Status.AT_RISK: 50.0, Status.MISSED: 0.0}
QUANTILES = {"median": 0.5, "p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


def reduce_values(
    values: NDArray[np.float64], aggregate: str, sample_target: Target | None = None
) -> float | None:
    """Reduce one series' samples to a value; NaN samples are ignored; None when none are left."""
    samples = values[~np.isnan(values)]
    if samples.size == 0:
        return None
    if aggregate == "last":
        return float(samples[-1])
    if aggregate == "min":
        return float(samples.min())
    if aggregate == "max":
        return float(samples.max())
    if aggregate == "mean":
        with np.errstate(invalid="ignore"):
            return float(samples.mean())
    if aggregate in QUANTILES:
        return _quantile(samples, QUANTILES[aggregate])
    if aggregate == "compliance":
        if sample_target is None:
            raise ValueError("aggregate 'compliance' needs a sample_target")
        return float(100.0 * sample_target.mask(samples).mean())
    raise ValueError(f"unknown aggregate '{aggregate}'")


def _quantile(samples: NDArray[np.float64], q: float) -> float:
    """Linear-interpolation quantile; between two equal infinities it is that infinity.

    numpy computes inf + (inf - inf) * frac = NaN there: a p95 of latencies whose top 10 % are
    +Inf (what histogram_quantile gives past the last bucket) must read +Inf, as max does.
    """
    with np.errstate(invalid="ignore"):
        value = float(np.quantile(samples, q, method="linear"))
    if math.isnan(value):
        low = float(np.quantile(samples, q, method="lower"))
        high = float(np.quantile(samples, q, method="higher"))
        if low == high:
            return low
    return value


def judge(value: float, target: Target, warning: Target | None) -> Status:
    """`met` if value meets target, else `at_risk` if it meets warning, else `missed`
    (docs/configuration.md: How a week is scored, step 3); the dashboard colours by it too."""
    if target.met(value):
        return Status.MET
    if warning is not None and warning.met(value):
        return Status.AT_RISK
    return Status.MISSED


def _series_score(spec: GoalSpec, series: Series, expected: int) -> SeriesScore | None:
    value = reduce_values(series.values, spec.aggregate, spec.sample_target)
    if value is None:
        return None
    seen = series.timestamps[~np.isnan(series.values)]
    present = int(seen.size)
    status = judge(value, spec.target, spec.warning)
    coverage = min(1.0, present / expected) if expected else 0.0
    return SeriesScore(
        series.labels,
        value,
        status,
        STATUS_SCORE[status],
        coverage,
        present,
        float(seen[0]) if present else None,
        float(seen[-1]) if present else None,
    )


def score_goal(
    spec: GoalSpec, result: QueryResult, expected: int, no_data: NoDataPolicy
) -> GoalResult:
    """Score one goal from its query result; the worst series decides."""
    failed_score = 0.0 if no_data is NoDataPolicy.FAIL else None
    if result.error is not None:
        return GoalResult(
            spec, Status.ERROR, failed_score, None, 0.0, result.error, result.warnings
        )
    scored = [s for s in (_series_score(spec, x, expected) for x in result.series) if s]
    if not scored:
        return GoalResult(
            spec,
            Status.NO_DATA,
            failed_score,
            None,
            0.0,
            "the query returned no samples in the window",
            result.warnings,
        )
    scored.sort(key=lambda s: worst_first(spec, s))
    worst = scored[0]
    return GoalResult(
        spec=spec,
        status=worst.status,
        score=worst.score,
        value=worst.value,
        coverage=min(s.coverage for s in scored),
        message=None,
        warnings=result.warnings,
        series=tuple(scored),
    )


def score_excluding(
    spec: GoalSpec,
    result: QueryResult,
    window: Window,
    no_data: NoDataPolicy,
    applied: Sequence[AppliedExclusion] = (),
) -> GoalResult:
    """Score one goal without its samples inside `applied`, whose grid points are not expected
    either; the outcome with them is kept as `raw` (None when nothing applied)."""
    if not applied:
        return score_goal(spec, result, window.expected, no_data)
    left = window.expected - grid_points(applied, window.first_ts, window.step_s, window.expected)
    goal = score_goal(spec, without(result, applied), left, no_data)
    raw = score_goal(spec, result, window.expected, no_data)
    if goal.status is Status.NO_DATA and raw.status.measured:  # not scored, whatever no_data says
        message = "every sample in the window falls in an exclusion: left out of the scores"
        goal = replace(goal, score=None, message=message)
    return replace(
        goal, exclusions=tuple(applied), raw=RawOutcome(raw.value, raw.status, raw.score)
    )


def unjudged_goal(
    spec: GoalSpec, result: QueryResult, expected: int, no_data: NoDataPolicy, message: str
) -> GoalResult:
    """A goal with nothing to judge its values against (a relative target without a bound):
    `no_data` with `message`, scored by the `no_data` policy. Its series keep their values
    (status no_data), worst first by the target's side (the highest first for `<`, `<=`), and
    its value is the worst one's: recorded, it makes a later week's baseline. A query that
    failed or returned nothing says so instead."""
    scored = score_goal(spec, result, expected, no_data)
    if not scored.series:
        return scored
    series = [
        replace(s, status=Status.NO_DATA, score=0.0)
        for s in sorted(scored.series, key=lambda s: _highest_first(spec, s))
    ]
    return replace(
        scored,
        status=Status.NO_DATA,
        score=0.0 if no_data is NoDataPolicy.FAIL else None,
        value=series[0].value,
        message=message,
        series=tuple(series),
    )


def _highest_first(spec: GoalSpec, series: SeriesScore) -> tuple[float, Labels]:
    value = math.nan if series.value is None else series.value
    worst = -value if spec.target.op in ("<", "<=") else value
    return (math.inf if math.isnan(worst) else worst, series.labels)


def worst_first(spec: GoalSpec, series: SeriesScore) -> tuple[float, float, Labels]:
    """Sort key, worst series first: lowest score, then least margin to the target, then labels."""
    value = math.nan if series.value is None else series.value
    return (series.score, spec.target.margin(value), series.labels)


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Mean of scores by weight, leaving out None scores; None when nothing is left.

    Weights are scaled by the largest first, so large ones cannot overflow to inf (and inf/inf
    to NaN); a result that is not finite anyway is None, never a score.
    """
    kept = [(s, w) for s, w in pairs if s is not None]
    largest = max((w for _, w in kept), default=0.0)
    if not kept or not largest > 0 or not math.isfinite(largest):
        return None
    total = sum(w / largest for _, w in kept)
    mean = sum(s * (w / largest) for s, w in kept) / total
    return mean if math.isfinite(mean) else None


def scorecard(
    goals: Sequence[GoalResult],
    categories: Mapping[str, float],
    pass_score: float,
    warning_score: float,
    no_data: NoDataPolicy,
) -> Scorecard:
    """Category and overall scores and the verdict over `goals` (all, or one agent's)."""
    cats = tuple(
        CategoryScore(
            name,
            weight,
            weighted_mean((g.score, g.spec.weight) for g in goals if g.spec.category == name),
        )
        for name, weight in categories.items()
    )
    overall = weighted_mean((c.score, c.weight) for c in cats)
    vetoed = tuple(g.spec.id for g in goals if g.spec.key and _vetoes(g, no_data))
    if overall is None:
        verdict = Verdict.NO_DATA
    elif vetoed or overall < warning_score:
        verdict = Verdict.MISSED
    elif overall < pass_score:
        verdict = Verdict.AT_RISK
    else:
        verdict = Verdict.ACHIEVED
    return Scorecard(score=overall, verdict=verdict, categories=cats, vetoed_by=vetoed)


def _vetoes(goal: GoalResult, no_data: NoDataPolicy) -> bool:
    """A key goal forces MISSED when missed, or when unmeasured under `no_data: fail`."""
    unmeasured = goal.status in (Status.NO_DATA, Status.ERROR) and not goal.wholly_excluded
    return goal.status is Status.MISSED or (unmeasured and no_data is NoDataPolicy.FAIL)


def score_week(
    settings: Settings,
    window: Window,
    results: Mapping[str, QueryResult],
    generated_at: datetime,
    as_of: datetime | None = None,
    baselines: Mapping[str, Baseline] | None = None,
) -> WeekResult:
    """Score every goal, the sprint and each agent from the query results, as seen at `as_of`
    (by default when the run ran, `generated_at`). A relative goal's targets are those
    `settings` holds, resolved against its entry in `baselines` (scoring/baseline.py)."""
    rules = settings.scoring
    excluded = in_window(
        settings.exclusions, settings.sprint, window.start.timestamp(), window.end.timestamp()
    )
    goals = tuple(
        _score(
            spec,
            results[spec.query],
            window,
            rules.no_data,
            for_goal(excluded, spec.id),
            (baselines or {}).get(spec.id),
        )
        for spec in settings.goals
    )
    by_id = {g.spec.id: g for g in goals}
    agents = tuple(
        AgentResult(
            id=a.id,
            name=a.name,
            goal_ids=a.goals,
            scorecard=_card(rules, [by_id[g] for g in a.goals]),
            email=a.email,
        )
        for a in settings.agents
    )
    return WeekResult(
        sprint=settings.sprint.name,
        window=window,
        generated_at=generated_at,
        as_of=as_of or generated_at,
        config_digest=settings.digest,
        no_data_policy=rules.no_data,
        pass_score=rules.pass_score,
        warning_score=rules.warning_score,
        scorecard=_card(rules, goals),
        goals=goals,
        agents=agents,
        ui_url=settings.source.graph_url,
        sprint_weeks=settings.sprint.weeks,
    )


def _score(
    spec: GoalSpec,
    result: QueryResult,
    window: Window,
    no_data: NoDataPolicy,
    applied: Sequence[AppliedExclusion],
    baseline: Baseline | None,
) -> GoalResult:
    """A goal without its excluded samples; a relative one without a bound is unjudged."""
    if baseline is not None and not baseline.resolved:
        grid = grid_points(applied, window.first_ts, window.step_s, window.expected)
        kept = without(result, applied) if applied else result
        unjudged = unjudged_goal(spec, kept, window.expected - grid, no_data, lack_text(baseline))
        return replace(unjudged, baseline=baseline, exclusions=tuple(applied))
    scored = score_excluding(spec, result, window, no_data, applied)
    return scored if baseline is None else replace(scored, baseline=baseline)


def _card(rules: ScoringRules, goals: Sequence[GoalResult]) -> Scorecard:
    return scorecard(goals, rules.categories, rules.pass_score, rules.warning_score, rules.no_data)
