"""Scoring by the rules of docs/configuration.md (How a week is scored), checked against
hand-worked cases (no server involved)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.core.model import GoalResult, QueryResult, Series
from pipeline.core.outcomes import NoDataPolicy, Status
from pipeline.core.settings import GoalSpec
from pipeline.core.targets import parse_target
from pipeline.scoring.score import reduce_values, score_goal, scorecard, weighted_mean

RAMP = np.arange(1440, dtype=float)  # 0..1439, as tests/support/handmade.py's tst_ramp


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        ("last", 1439.0),
        ("min", 0.0),
        ("max", 1439.0),
        ("mean", 719.5),
        ("median", 719.5),
        ("p50", 719.5),
        ("p90", 1295.1),  # 0.90 * 1439, linear interpolation between ranks
        ("p95", 1367.05),
        ("p99", 1424.61),
    ],
)
def test_aggregates_of_a_ramp(aggregate: str, expected: float) -> None:
    assert reduce_values(RAMP, aggregate) == pytest.approx(expected)


def test_quantile_interpolates_linearly() -> None:
    # p90 of [1, 2, 3, 4]: rank 0.9 * 3 = 2.7 -> 3 + 0.7 * (4 - 3) = 3.7
    assert reduce_values(np.array([4.0, 1.0, 3.0, 2.0]), "p90") == pytest.approx(3.7)


def test_compliance_is_the_percent_of_samples_meeting_sample_target() -> None:
    assert reduce_values(RAMP, "compliance", parse_target("< 720")) == 50.0
    assert reduce_values(RAMP, "compliance", parse_target("< 144")) == 10.0


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [("p90", math.inf), ("p95", math.inf), ("p99", math.inf), ("median", 50.0), ("max", math.inf)],
)
def test_quantiles_among_infinities_are_infinite(aggregate: str, expected: float) -> None:
    # histogram_quantile gives +Inf past the last bucket; numpy's linear quantile gives NaN
    values = np.array([50.0] * 90 + [math.inf] * 10)
    assert reduce_values(values, aggregate) == expected


def test_nan_samples_are_ignored() -> None:
    values = np.array([1.0, math.nan, 3.0, math.nan])
    assert reduce_values(values, "mean") == 2.0
    assert reduce_values(values, "last") == 3.0
    assert reduce_values(np.array([math.nan]), "mean") is None


def _spec(
    target: str = ">= 10",
    warning: str | None = ">= 8",
    category: str = "technical",
    weight: float = 1,
    key: bool = False,
    gid: str = "g",
    aggregate: str = "last",
) -> GoalSpec:
    return GoalSpec(
        id=gid,
        name=gid.title(),
        category=category,
        query="q",
        unit="",
        aggregate=aggregate,
        target=parse_target(target),
        warning=parse_target(warning) if warning else None,
        sample_target=None,
        weight=weight,
        key=key,
    )


def _series(value: float, n: int = 4, job: str = "a") -> Series:
    return Series((("job", job),), np.arange(n, dtype=float), np.full(n, value))


@pytest.mark.parametrize(
    ("values", "status", "score", "value"),
    [
        ([12.0], "met", 100.0, 12.0),
        ([9.0], "at_risk", 50.0, 9.0),
        ([5.0], "missed", 0.0, 5.0),
        ([12.0, 9.0, 15.0], "at_risk", 50.0, 9.0),  # the worst series decides
        ([9.0, 8.5], "at_risk", 50.0, 8.5),  # same status: largest shortfall is worst
        ([12.0, 5.0, 9.0], "missed", 0.0, 5.0),
    ],
)
def test_goal_takes_its_worst_series(
    values: list[float], status: str, score: float, value: float
) -> None:
    result = QueryResult("q", tuple(_series(v, job=f"j{i}") for i, v in enumerate(values)))
    goal = score_goal(_spec(), result, expected=4, no_data=NoDataPolicy.FAIL)
    assert (goal.status, goal.score, goal.value) == (status, score, value)
    assert len(goal.series) == len(values)
    assert goal.series[0].value == value  # worst first


# Hand-worked: each series' value, then the order a report lists them in (worst first).
# Status first (missed, at risk, met); within a status the least margin to the target.
@pytest.mark.parametrize(
    ("target", "warning", "values", "order"),
    [
        # >= : the lowest value is worst, met ones included (93.86 vs 90.99 against > 90)
        ("> 90", ">= 85", [93.86, 90.99, 95.0], [90.99, 93.86, 95.0]),
        (">= 10", ">= 8", [12.0, 9.0, 8.5, 5.0, 11.0], [5.0, 8.5, 9.0, 11.0, 12.0]),
        # <= : the highest value is worst
        ("< 14", "<= 16", [11.0, 8.0, 15.0, 13.0, 16.0], [16.0, 15.0, 13.0, 11.0, 8.0]),
        ("<= 100", None, [100.0, 80.0, 120.0, 101.0], [120.0, 101.0, 100.0, 80.0]),
        # A..B : nearest either end among met ones, farthest past an end among the others
        (
            "30..50",
            "25..55",
            [40.0, 31.0, 49.5, 52.0, 27.0, 60.0],
            [60.0, 27.0, 52.0, 49.5, 31.0, 40.0],
        ),
        # == X : the farthest from X
        ("== 7", None, [7.0, 9.0, 4.0, 6.5], [4.0, 9.0, 6.5, 7.0]),
    ],
)
def test_series_are_ranked_by_margin_to_the_target(
    target: str, warning: str | None, values: list[float], order: list[float]
) -> None:
    result = QueryResult("q", tuple(_series(v, job=f"j{i}") for i, v in enumerate(values)))
    goal = score_goal(_spec(target, warning), result, expected=4, no_data=NoDataPolicy.FAIL)
    assert [s.value for s in goal.series] == order
    assert goal.value == order[0]


def test_ties_between_met_series_fall_back_to_label_order() -> None:
    result = QueryResult(
        "q", (_series(12.0, job="b"), _series(12.0, job="a"), _series(11.0, job="c"))
    )
    goal = score_goal(_spec(">= 10"), result, expected=4, no_data=NoDataPolicy.FAIL)
    assert [dict(s.labels)["job"] for s in goal.series] == ["c", "a", "b"]


def test_coverage_is_that_of_the_least_covered_series() -> None:
    full = _series(12.0, n=4)
    half = Series((("job", "b"),), np.arange(2, dtype=float), np.array([12.0, math.nan]))
    goal = score_goal(
        _spec(), QueryResult("q", (full, half)), expected=4, no_data=NoDataPolicy.FAIL
    )
    assert goal.coverage == 0.25
    assert [s.coverage for s in sorted(goal.series, key=lambda s: s.labels)] == [1.0, 0.25]


@pytest.mark.parametrize(("policy", "score"), [(NoDataPolicy.FAIL, 0.0), (NoDataPolicy.SKIP, None)])
def test_no_data_and_error_follow_the_policy(policy: NoDataPolicy, score: float | None) -> None:
    empty = score_goal(_spec(), QueryResult("q"), expected=4, no_data=policy)
    assert (empty.status, empty.score, empty.coverage) == ("no_data", score, 0.0)
    failed = score_goal(_spec(), QueryResult("q", error="bad_data: parse error"), 4, policy)
    assert (failed.status, failed.score, failed.message) == (
        "error",
        score,
        "bad_data: parse error",
    )


def _goal(
    gid: str,
    category: str,
    score: float | None,
    weight: float = 1,
    key: bool = False,
    status: str | None = None,
) -> GoalResult:
    status = status or {100.0: "met", 50.0: "at_risk", 0.0: "missed", None: "no_data"}[score]
    spec = _spec(gid=gid, category=category, weight=weight, key=key)
    return GoalResult(spec, Status(status), score, None, 1.0)


CATS = {"technical": 0.4, "customer": 0.6}


def test_spec_example_scores_88_at_risk() -> None:
    # a hand-worked week: technical 90, customer 86.67 -> 0.4*90 + 0.6*86.67 = 88.0, AT_RISK
    goals = [
        _goal("t1", "technical", 100.0, weight=4),
        _goal("t2", "technical", 50.0, weight=1),  # (400 + 50) / 5 = 90
        _goal("c1", "customer", 100.0, weight=2.75),
        _goal("c2", "customer", 50.0, weight=1),  # (275 + 50) / 3.75 = 86.67
    ]
    card = scorecard(goals, CATS, 90, 75, NoDataPolicy.FAIL)
    assert card.categories[0].score == pytest.approx(90.0)
    assert card.categories[1].score == pytest.approx(86.6667, abs=1e-4)
    assert card.score == pytest.approx(88.0)
    assert card.verdict == "AT_RISK"


@pytest.mark.parametrize(
    ("goals", "policy", "score", "verdict"),
    [
        # all met
        ([("t", "technical", 100.0), ("c", "customer", 100.0)], "fail", 100.0, "ACHIEVED"),
        # 0.4*100 + 0.6*50 = 70 -> below warning 75
        ([("t", "technical", 100.0), ("c", "customer", 50.0)], "fail", 70.0, "MISSED"),
        # 0.4*50 + 0.6*100 = 80 -> AT_RISK
        ([("t", "technical", 50.0), ("c", "customer", 100.0)], "fail", 80.0, "AT_RISK"),
        # no_data under fail scores 0: customer (100+0)/2 = 50 -> 0.4*100 + 0.6*50 = 70
        (
            [("t", "technical", 100.0), ("c", "customer", 100.0), ("n", "customer", None)],
            "fail",
            70.0,
            "MISSED",
        ),
        # category with no scored goal is left out and weights renormalised: technical alone
        ([("t", "technical", 50.0), ("n", "customer", None)], "skip", 50.0, "MISSED"),
        ([("t", "technical", 100.0), ("n", "customer", None)], "skip", 100.0, "ACHIEVED"),
        # nothing scored at all
        ([("n", "customer", None)], "skip", None, "NO_DATA"),
    ],
)
def test_overall_score_and_verdict(
    goals: list[tuple[str, str, float | None]], policy: str, score: float | None, verdict: str
) -> None:
    results = [
        _goal(
            g,
            c,
            0.0 if s is None and policy == "fail" else s,
            status="no_data" if s is None else None,
        )
        for g, c, s in goals
    ]
    card = scorecard(results, CATS, 90, 75, NoDataPolicy(policy))
    assert card.score == (pytest.approx(score) if score is not None else None)
    assert card.verdict == verdict


def test_a_missed_key_goal_vetoes_the_verdict() -> None:
    goals = [_goal(f"t{i}", "technical", 100.0) for i in range(9)]
    goals.append(_goal("k", "technical", 0.0, key=True))
    goals.append(_goal("c", "customer", 100.0))
    card = scorecard(goals, CATS, 90, 75, NoDataPolicy.FAIL)
    assert card.score == pytest.approx(0.4 * 90 + 0.6 * 100)  # 96: would be ACHIEVED
    assert (card.verdict, card.vetoed_by) == ("MISSED", ("k",))


def test_an_at_risk_key_goal_does_not_veto() -> None:
    goals = [_goal("k", "technical", 50.0, key=True), _goal("c", "customer", 100.0)]
    assert scorecard(goals, CATS, 90, 75, NoDataPolicy.FAIL).vetoed_by == ()


@pytest.mark.parametrize(("policy", "vetoed"), [("fail", ("k",)), ("skip", ())])
def test_an_unmeasured_key_goal_vetoes_only_under_fail(policy: str, vetoed: tuple[str]) -> None:
    score = 0.0 if policy == "fail" else None
    goals = [
        _goal("k", "technical", score, key=True, status="no_data"),
        _goal("c", "customer", 100.0),
    ]
    assert scorecard(goals, CATS, 90, 75, NoDataPolicy(policy)).vetoed_by == vetoed


def test_weighted_mean() -> None:
    assert weighted_mean([(100, 3), (0, 1)]) == 75
    assert weighted_mean([(None, 3), (40, 1)]) == 40
    assert weighted_mean([]) is None
