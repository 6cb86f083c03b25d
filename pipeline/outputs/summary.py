"""summary.json: the machine-readable result of a run, filled into summary_model.py."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Literal

from pipeline.core.checkins import GoalCheckin
from pipeline.core.model import (
    AgentResult,
    GoalOdds,
    GoalResult,
    Horizons,
    Scorecard,
    VerdictOdds,
    WeekResult,
)
from pipeline.core.relative import Baseline
from pipeline.outputs.layout import WEEK_FILES
from pipeline.outputs.summary_model import (
    AgentSummary,
    BaselineSummary,
    Card,
    CardForecast,
    CategorySummary,
    CheckinSummary,
    GoalForecast,
    GoalOddsSummary,
    GoalSummary,
    InvalidatedWeek,
    PreviousWeek,
    RawResult,
    SeriesSummary,
    Summary,
    TrendWeek,
    VerdictOddsSummary,
    WindowSummary,
)
from pipeline.scoring.trend import GoalTrend, Trend


def _number(value: float | None) -> float | Literal["NaN", "+Inf", "-Inf"] | None:
    # JSON has no NaN or infinities; write them as Prometheus does in its own API.
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _text(value: object | None) -> str | None:
    return str(value) if value else None


def _goal_odds(odds: GoalOdds | None) -> GoalOddsSummary | None:
    if odds is None:
        return None
    return GoalOddsSummary(
        at=odds.at.isoformat(),
        p_met=odds.p_met,
        p_at_risk=odds.p_at_risk,
        p_missed=odds.p_missed,
        p10=_number(odds.p10),
        p50=_number(odds.p50),
        p90=_number(odds.p90),
        method=odds.method,
    )


def _card_odds(odds: VerdictOdds | None) -> VerdictOddsSummary | None:
    if odds is None:
        return None
    return VerdictOddsSummary(
        at=odds.at.isoformat(),
        p_achieved=odds.p_achieved,
        p_at_risk=odds.p_at_risk,
        p_missed=odds.p_missed,
        score_p50=odds.score_p50,
    )


def _card_forecast(odds: Horizons[VerdictOdds]) -> CardForecast:
    return CardForecast(week_end=_card_odds(odds.week_end), sprint_end=_card_odds(odds.sprint_end))


def _checkin(checkin: GoalCheckin | None) -> CheckinSummary | None:
    if checkin is None:
        return None
    return CheckinSummary(
        author=checkin.author,
        confidence=checkin.confidence,
        note=checkin.note,
        at=checkin.at.isoformat(),
        stale=checkin.stale,
        disagrees=checkin.disagrees,
    )


def _goal(
    goal: GoalResult,
    trend: GoalTrend,
    odds: Horizons[GoalOdds],
    checkin: GoalCheckin | None = None,
) -> GoalSummary:
    spec, previous = goal.spec, trend.previous
    return GoalSummary(
        id=spec.id,
        name=spec.name,
        category=spec.category,
        query=spec.query,
        aggregate=spec.aggregate,
        sample_target=_text(spec.sample_target),
        target=str(spec.target),
        warning=_text(spec.warning),
        weight=spec.weight,
        key=spec.key,
        unit=spec.unit,
        value=_number(goal.value),
        status=goal.status,
        score=goal.score,
        coverage=goal.coverage,
        message=goal.message,
        partial=bool(goal.warnings),
        warnings=list(goal.warnings),
        previous=None
        if previous is None
        else PreviousWeek(
            week=previous.week, value=previous.value, status=previous.status, score=previous.score
        ),
        change=_number(trend.change),
        forecast=GoalForecast(
            week_end=_goal_odds(odds.week_end), sprint_end=_goal_odds(odds.sprint_end)
        ),
        owner=spec.owner,
        checkin=_checkin(checkin),
        baseline=_baseline(goal.baseline),
        series=[
            SeriesSummary(
                labels=dict(s.labels),
                value=_number(s.value),
                status=s.status,
                score=s.score,
                coverage=s.coverage,
            )
            for s in goal.series
        ],
        exclusions=[x.exclusion.id for x in goal.exclusions],
        raw=None
        if goal.raw is None
        else RawResult(value=_number(goal.raw.value), status=goal.raw.status, score=goal.raw.score),
    )


def _baseline(baseline: Baseline | None) -> BaselineSummary | None:
    if baseline is None:
        return None
    return BaselineSummary(
        relative=baseline.relative.target.text,
        weeks=list(baseline.weeks),
        value=_number(baseline.value),
        bound=_number(baseline.bound),
    )


def _categories(card: Scorecard) -> dict[str, CategorySummary]:
    return {c.name: CategorySummary(weight=c.weight, score=c.score) for c in card.categories}


def _agent(agent: AgentResult, files: dict[str, str], odds: Horizons[VerdictOdds]) -> AgentSummary:
    card = agent.scorecard
    return AgentSummary(
        id=agent.id,
        name=agent.name,
        goals=list(agent.goal_ids),
        score=card.score,
        verdict=card.verdict,
        vetoed_by=list(card.vetoed_by),
        categories=_categories(card),
        files=files,
        forecast=_card_forecast(odds),
    )


def summary(result: WeekResult, trend: Trend, files: Mapping[str, Mapping[str, str]]) -> Summary:
    """The summary document; `files` maps agent id -> {format: file name} written this run."""
    window, card, outlook = result.window, result.scorecard, result.outlook
    return Summary(
        sprint=result.sprint,
        week=window.week,
        window=WindowSummary(
            start=window.start.isoformat(), end=window.end.isoformat(), complete=window.complete
        ),
        generated_at=result.generated_at.isoformat(timespec="seconds"),
        as_of=result.as_of.isoformat(),
        config_digest=result.config_digest,
        files=list(WEEK_FILES),
        no_data=result.no_data_policy,
        overall=Card(
            score=card.score,
            verdict=card.verdict,
            vetoed_by=list(card.vetoed_by),
            forecast=_card_forecast(outlook.overall),
        ),
        categories=_categories(card),
        trend=[
            TrendWeek(week=w.week, score=w.score, verdict=w.verdict, complete=w.complete)
            for w in trend.weeks
        ],
        goals=[
            _goal(
                g,
                trend.goals[g.spec.id],
                outlook.goal(g.spec.id),
                result.checkins.goals.get(g.spec.id),
            )
            for g in result.goals
        ],
        agents=[_agent(a, dict(files.get(a.id, {})), outlook.agent(a.id)) for a in result.agents],
        invalidated=[
            InvalidatedWeek(week=i.week, reason=i.reason, at=i.at) for i in result.invalidated
        ],
    )


def summary_text(document: Summary) -> str:
    """summary.json's text."""
    values = document.model_dump(mode="json", by_alias=True)  # enums as their text
    return json.dumps(values, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
