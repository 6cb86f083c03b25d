"""Numbers at the edge: weeks past the calendar's end, weights that would overflow a sum."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.model import GoalResult
from pipeline.core.outcomes import NoDataPolicy
from pipeline.core.settings import GoalSpec
from pipeline.core.targets import parse_target
from pipeline.scoring.score import scorecard, weighted_mean
from tests.support.configs import shipped_config


def test_week_past_the_year_9999_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path)
    out = tmp_path / "out"
    code = main(["--week", "600000", "--config", str(config), "--output", str(out), "--dry-run"])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: --week 600000: that week would end after the year 9999 "
        "(the sprint starts on 2026-11-02, 7 days a week)\n"
    )
    assert not out.exists()


def test_huge_weights_give_a_finite_mean() -> None:
    assert weighted_mean([(100.0, 1e308), (0.0, 1e308)]) == 50.0
    assert weighted_mean([(100.0, 1e308), (0.0, 5e-324)]) == 100.0
    assert weighted_mean([(100.0, math.inf)]) is None
    assert weighted_mean([(100.0, math.nan)]) is None


def _goal(goal_id: str, status: str, score: float, weight: float) -> GoalResult:
    spec = GoalSpec(
        id=goal_id,
        name=goal_id,
        category="technical",
        query="up",
        unit="",
        aggregate="min",
        target=parse_target(">= 1"),
        warning=None,
        sample_target=None,
        weight=weight,
        key=False,
    )
    return GoalResult(spec, status, score, 1.0, 1.0)


def test_a_score_is_finite_or_none_and_nan_is_never_achieved() -> None:
    goals = [_goal("a", "met", 100.0, 1e308), _goal("b", "missed", 0.0, 1e308)]
    card = scorecard(goals, {"technical": 1.0}, 90, 75, NoDataPolicy.FAIL)
    assert card.score == 50.0 and card.verdict == "MISSED"
    unweighable = [_goal("a", "met", 100.0, math.inf)]
    card = scorecard(unweighable, {"technical": 1.0}, 90, 75, NoDataPolicy.FAIL)
    assert card.score is None and card.verdict == "NO_DATA"
