"""The backtest as text: Markdown tables for people (and the README), JSON for programs."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from pipeline.backtest.predict import Horizon, Prediction
from pipeline.backtest.summary import Backtest, Group, Score, Subjects
from pipeline.report import formatting as fmt


def markdown(backtest: Backtest) -> str:
    """A header line, then per group a Brier table and (goals) a reliability table."""
    replay = backtest.replay
    lines = [_header(backtest)]
    for group in backtest.groups:
        lines += ["", f"**{_title(group, replay.sprint_week)}**", ""]
        lines += _brier_table(group)
        if group.subjects is Subjects.GOALS:
            lines += ["", *_reliability_table(group)]
    return "\n".join(lines) + "\n"


def _header(backtest: Backtest) -> str:
    replay = backtest.replay
    weeks = replay.weeks
    shown = f"week {weeks[0]}" if len(weeks) == 1 else f"weeks {weeks[0]}-{weeks[-1]}"
    goals = [g for g in backtest.groups if g.subjects is Subjects.GOALS]
    counts = ", ".join(f"{g.scores[0].count} at {g.horizon.text}" for g in goals)
    predictions = sum(g.scores[0].count for g in goals)
    text = (
        f"Backtest of {shown}: {len(replay.nights)} nights (each midnight inside a week), "
        f"{len(replay.goals)} goals, {predictions} goal predictions"
    )
    if counts:
        text += f" ({counts})"
    return text + ". Brier score: 0 is perfect, 0.25 a coin toss."


def _title(group: Group, sprint_week: int | None) -> str:
    horizon = group.horizon.text
    if group.horizon is Horizon.SPRINT_END:
        horizon += f" (week {sprint_week})"
    if group.subjects is Subjects.GOALS:
        return f"Goals met at {horizon}"
    return f"Verdicts ACHIEVED (the sprint's and each agent's) at {horizon}"


def _brier_table(group: Group) -> list[str]:
    rows = [
        f"| {s.method} | {fmt.fixed(s.brier, 3)} | {fmt.count(s.count)} |" for s in group.scores
    ]
    return ["| Method | Brier | predictions |", "|---|---:|---:|", *rows]


def _reliability_table(group: Group) -> list[str]:
    forecast, projection = group.scores
    lines = [
        "| p (predicted) | forecast n | forecast mean p | observed | projection n "
        "| projection observed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for mine, old in zip(forecast.bins, projection.bins, strict=True):
        lines.append(
            f"| {fmt.fixed(mine.low, 1)}–{fmt.fixed(mine.high, 1)} | {fmt.count(mine.count)} "
            f"| {_share(mine.predicted)} | {_share(mine.observed)} | {fmt.count(old.count)} "
            f"| {_share(old.observed)} |"
        )
    return lines


def _share(value: float | None) -> str:
    return fmt.fixed(value, 2)


def json_text(backtest: Backtest) -> str:
    """Every prediction and every group's scores."""
    replay = backtest.replay
    document = {
        "weeks": list(replay.weeks),
        "nights": [n.isoformat() for n in replay.nights],
        "goals": list(replay.goals),
        "sprint_end_week": replay.sprint_week,
        "summary": [_score(group, s) for group in backtest.groups for s in group.scores],
        "predictions": [_prediction(p) for p in replay.predictions],
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def _score(group: Group, score: Score) -> dict[str, Any]:
    return {
        "subjects": group.subjects.value,
        "horizon": group.horizon.value,
        "method": score.method.value,
        "brier": score.brier,
        "predictions": score.count,
        "reliability": [asdict(b) for b in score.bins],
    }


def _prediction(p: Prediction) -> dict[str, Any]:
    return {
        "week": p.week,
        "night": p.night.isoformat(),
        "subject": p.subject.value,
        "id": p.id,
        "horizon": p.horizon.value,
        "forecast": p.forecast,
        "projection": p.projection,
        "outcome": p.outcome,
        "so_far": p.so_far,
        "value": _finite(p.value),
        "previous": _finite(p.previous),
        "odds": p.odds,
    }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
