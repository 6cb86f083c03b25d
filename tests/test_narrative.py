"""The report's sentences built from a scored week: why the verdict, and the next steps."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import load_config
from pipeline.core.model import GoalOdds, Horizons, Outlook, WeekResult
from pipeline.query.ask import query_all
from pipeline.report import narrative
from pipeline.report.spans import Sentence, to_plain
from pipeline.scoring.score import score_week
from pipeline.scoring.window import week_window
from tests.support.configs import write_config
from tests.support.fakes import FakeSource

NOW = datetime(2026, 11, 26, tzinfo=UTC)
# shares of the score: technical 0.4 / 2 = 0.2 each, customer 0.6 / 2 = 0.3 each
CONFIG = """
sprint: {name: Words, start: 2026-11-02, week_days: 1, step: 1h}
scoring: {categories: {technical: {weight: 0.4}, customer: {weight: 0.6}}}
goals:
  - {id: thr, name: Throughput, category: technical, query: q_thr, aggregate: last,
     target: ">= 100", warning: ">= 90"}
  - {id: lat, name: Latency, category: technical, query: q_lat, aggregate: last,
     target: "<= 100", unit: ms}
  - {id: sat, name: Satisfaction, category: customer, query: q_sat, aggregate: last,
     target: "> 90", warning: ">= 85", unit: "%", key: true}
  - {id: acc, name: Accuracy, category: customer, query: q_acc, aggregate: last,
     target: ">= 99", warning: ">= 95", unit: "%"}
agents:
  - {id: one, name: Agent One, goals: [thr, lat, sat, acc]}
"""
# throughput at risk (50), latency met, satisfaction missed (a veto), accuracy met
VALUES = {"q_thr": 95.0, "q_lat": 50.0, "q_sat": 80.0, "q_acc": 99.5}


def _week(tmp_path: Path, values: dict[str, float] = VALUES) -> WeekResult:
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    window = week_window(loaded.sprint, 1, NOW)
    source = FakeSource({q: [({}, v)] for q, v in values.items()})
    results = query_all(source, [g.query for g in loaded.goals], window)
    return score_week(loaded, window, results, NOW)


def _odds(p_met: float, p_at_risk: float, p_missed: float) -> Horizons[GoalOdds]:
    odds = GoalOdds(NOW, p_met, p_at_risk, p_missed, 0.0, 0.0, 0.0, "test")
    return Horizons(sprint_end=odds)  # the odds a complete week shows


def _plain(lines: tuple[Sentence, ...]) -> list[str]:
    return [to_plain(line) for line in lines]


def test_the_sprints_why_names_what_held_the_score_up_after_the_veto(tmp_path: Path) -> None:
    result = _week(tmp_path)
    assert _plain(narrative.reasons(result)) == [
        "Key goal Satisfaction (missed, 80 % against > 90 %) costs 30.0 points and makes the "
        "sprint's verdict MISSED whatever the score.",
        "Held up by: Accuracy (met, 30.0 points), Latency (met, 20.0 points), Throughput (at "
        "risk, 10.0 points).",
        "Throughput (at risk, 95 against >= 100) costs 10.0 points.",
    ]


def test_held_up_counts_the_goals_past_the_third(tmp_path: Path) -> None:
    result = _week(tmp_path, VALUES | {"q_sat": 95.0})
    assert to_plain(narrative.reasons(result)[0]) == (
        "Held up by: Satisfaction (met, 30.0 points), Accuracy (met, 30.0 points), Latency "
        "(met, 20.0 points) and 1 more goal (10.0 points)."
    )


def test_an_agent_with_every_goal_met_is_still_told_what_held_it_up(tmp_path: Path) -> None:
    result = _week(tmp_path, VALUES | {"q_thr": 100.0, "q_sat": 95.0})
    lines = narrative.agent_reasons(result, result.agents[0])
    assert lines[1:] == (narrative.ALL_MET,)
    assert to_plain(lines[0]).startswith("Held up by: Satisfaction (met, 30.0 points), ")


def test_next_steps_put_the_vetoing_key_goal_first(tmp_path: Path) -> None:
    result = _week(tmp_path)
    assert _plain(narrative.next_steps(result, result.agents[0])) == [
        "Raise Satisfaction from 80 % to > 90 %; as a key goal, missed it makes the verdict "
        "MISSED.",
        "Raise Throughput from 95 to >= 100.",
    ]


def test_next_steps_follow_the_forecasts_points_at_stake(tmp_path: Path) -> None:
    """Ranked as "What to watch" ranks them: share x (100 - expected score)."""
    result = _week(tmp_path, VALUES | {"q_sat": 95.0, "q_acc": 96.0})
    goals = {
        "thr": _odds(0.0, 0.0, 1.0),  # at risk, likely missed: 0.2 x 100 = 20 points
        "acc": _odds(0.9, 0.1, 0.0),  # at risk, likely met: 0.3 x 5 = 1.5
        "sat": _odds(0.2, 0.3, 0.5),  # a key goal met so far, likely missed: first anyway
        "lat": _odds(1.0, 0.0, 0.0),
    }
    result = dataclasses.replace(result, outlook=Outlook(goals=goals))
    agent = result.agents[0]
    stakes = [(s.goal.spec.id, round(s.points, 2)) for s in narrative.at_stake(result, agent)]
    # satisfaction's expected score: 100 x 0.2 + 50 x 0.3 = 35, so 0.3 x 65
    assert stakes == [("thr", 20.0), ("sat", 19.5), ("acc", 1.5), ("lat", 0.0)]
    assert _plain(narrative.next_steps(result, agent)) == [
        "Keep Satisfaction at > 90 %: met so far (95 %), but likely missed at the sprint's end; "
        "as a key goal, missed it makes the verdict MISSED.",
        "Raise Throughput from 95 to >= 100.",
        "Raise Accuracy from 96 % to >= 99 %.",
    ]
    watched = [line.split(" may cost")[0] for line in _plain(narrative.watch(result, agent))]
    assert watched == ["Throughput", "Satisfaction", "Accuracy", "Latency"]
