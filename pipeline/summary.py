"""summary.json: the machine-readable result of a run (schema 1, see SPEC.md)."""

from __future__ import annotations

import json
import math
from typing import Any

from pipeline.model import GoalResult, Scorecard, WeekResult
from pipeline.trend import GoalTrend, Trend

SCHEMA = 1
WEEK_FILES = ("goals.csv", "series.csv", "index.html")  # written beside summary.json each run


def _number(value: float | None) -> float | str | None:
    # JSON has no NaN or infinities; write them as Prometheus does in its own API.
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _goal(goal: GoalResult, trend: GoalTrend) -> dict[str, Any]:
    spec = goal.spec
    previous = trend.previous
    projection = trend.projection
    return {
        "id": spec.id,
        "name": spec.name,
        "category": spec.category,
        "query": spec.query,
        "aggregate": spec.aggregate,
        "sample_target": str(spec.sample_target) if spec.sample_target else None,
        "target": str(spec.target),
        "warning": str(spec.warning) if spec.warning else None,
        "weight": spec.weight,
        "key": spec.key,
        "unit": spec.unit,
        "value": _number(goal.value),
        "status": goal.status,
        "score": goal.score,
        "coverage": goal.coverage,
        "message": goal.message,
        "partial": bool(goal.warnings),
        "warnings": list(goal.warnings),
        "previous": None
        if previous is None
        else {
            "week": previous.week,
            "value": previous.value,
            "status": previous.status,
            "score": previous.score,
        },
        "change": _number(trend.change),
        "projection": None
        if projection is None
        else {"rate_per_week": _number(projection.rate), "met_in_week": projection.week},
        "series": [
            {
                "labels": dict(s.labels),
                "value": _number(s.value),
                "status": s.status,
                "score": s.score,
                "coverage": s.coverage,
            }
            for s in goal.series
        ],
    }


def _card(card: Scorecard) -> dict[str, Any]:
    return {"score": card.score, "verdict": card.verdict, "vetoed_by": list(card.vetoed_by)}


def summary_dict(
    result: WeekResult, trend: Trend, files: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """The summary document; `files` maps agent id -> {format: file name} written this run."""
    window = result.window
    return {
        "schema": SCHEMA,
        "sprint": result.sprint,
        "week": window.week,
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "complete": window.complete,
        },
        "generated_at": result.generated_at.isoformat(timespec="seconds"),
        "config_digest": result.config_digest,
        "files": list(WEEK_FILES),
        "no_data": result.no_data_policy,
        "overall": _card(result.scorecard),
        "categories": {
            c.name: {"weight": c.weight, "score": c.score} for c in result.scorecard.categories
        },
        "trend": [
            {"week": w.week, "score": w.score, "verdict": w.verdict, "complete": w.complete}
            for w in trend.weeks
        ],
        "goals": [_goal(g, trend.goals[g.spec.id]) for g in result.goals],
        "agents": [
            {
                "id": a.id,
                "name": a.name,
                "goals": list(a.goal_ids),
                **_card(a.scorecard),
                "categories": {
                    c.name: {"weight": c.weight, "score": c.score} for c in a.scorecard.categories
                },
                "files": files.get(a.id, {}),
            }
            for a in result.agents
        ],
    }


def summary_json(result: WeekResult, trend: Trend, files: dict[str, dict[str, str]]) -> str:
    """summary.json's text."""
    return (
        json.dumps(
            summary_dict(result, trend, files), indent=2, ensure_ascii=False, allow_nan=False
        )
        + "\n"
    )
