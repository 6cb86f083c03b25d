"""The forecast engine (pipeline/scoring/forecast.py) against series whose odds are known.

Each synthetic case draws one week of samples from a known process, cuts it mid-week, and
compares the forecast's p_met with the truth: the probability that the goal is met given the
samples so far and the TRUE process (in closed form, or by brute-force Monte Carlo of that
process from the state at the cut). The engine must be within TOLERANCE of it and order the
cases of a family as the truth does. No servers: pure functions on arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

import numpy as np
import pytest
from numpy.typing import NDArray

from pipeline.core.model import QueryResult, Series, Window
from pipeline.core.settings import GoalSpec
from pipeline.core.targets import parse_target
from pipeline.scoring import jumps, season, weekly
from pipeline.scoring.draws import reduce_draws, worst_of_draws
from pipeline.scoring.forecast import (
    GoalForecast,
    brier,
    forecast_goal,
    forecast_samples,
    reliability,
)
from pipeline.scoring.score import reduce_values, score_goal

TOLERANCE = 0.15
STEP = 300.0  # 5 m: 2,016 samples a week
WEEK = 2016
CUT = WEEK // 2  # mid-week
REMAINING = WEEK - CUT
START = datetime(2026, 11, 2, tzinfo=UTC)
END = START + timedelta(days=7)
PHI = NormalDist()
DAY = 288  # samples a day at 5 m


def goal(
    aggregate: str,
    target: str,
    warning: str | None = None,
    unit: str = "",
    sample_target: str | None = None,
) -> GoalSpec:
    return GoalSpec(
        "g",
        "G",
        "technical",
        "q",
        unit,
        aggregate,
        parse_target(target),
        parse_target(warning) if warning else None,
        parse_target(sample_target) if sample_target else None,
        1.0,
        False,
    )


def forecast(spec: GoalSpec, *rows: NDArray[np.float64]) -> GoalForecast:
    labels = [(("series", f"s{i}"),) for i in range(len(rows))]
    result = forecast_samples(spec, labels, np.vstack(rows), REMAINING, END, period=DAY)
    assert result is not None
    return result


def monte_carlo(
    spec: GoalSpec,
    seen: NDArray[np.float64],
    future: Callable[[np.random.Generator, int], NDArray[np.float64]],
    runs: int = 4000,
) -> float:
    """P(met) by brute force: `future(rng, runs)` draws the rest of the week from the true
    process (runs x REMAINING), reduced with score.reduce_values as a run would."""
    rows = future(np.random.default_rng(99), runs)
    met = [spec.target.met(reduce_values(np.concatenate([seen, r]), spec.aggregate)) for r in rows]
    return float(np.mean(met))


# -- the families of synthetic cases: (name, spec, seen samples, truth) ------------------------


def white_noise(offset: float) -> tuple[GoalSpec, NDArray[np.float64], float]:
    """Samples N(100, 5), `last >= 100 + offset * 5`: P = 1 - Phi(offset) whatever was seen."""
    rng = np.random.default_rng(1)
    seen = 100 + rng.normal(0, 5, CUT)
    return goal("last", f">= {100 + offset * 5}"), seen, 1 - PHI.cdf(offset)


def random_walk(distance: float) -> tuple[GoalSpec, NDArray[np.float64], float]:
    """A random walk (steps N(0, 0.2)) whose last sample is `distance` standard deviations of
    its end-of-week value above the target: P(last >= target) = Phi(distance)."""
    rng = np.random.default_rng(2)
    seen = np.cumsum(rng.normal(0, 0.2, CUT))
    seen += 50 - seen[-1]
    bound = 50 - distance * 0.2 * math.sqrt(REMAINING)
    return goal("last", f">= {bound}"), seen, PHI.cdf(distance)


def ramp(end_gap: float, aggregate: str) -> tuple[GoalSpec, NDArray[np.float64], float]:
    """A line from 80 rising 30 over the week plus N(0, 2) noise; the target is at the line's
    end minus `end_gap`: it is crossed later in the week (below it for now)."""
    rng = np.random.default_rng(3)
    line = 80 + 30 * np.arange(WEEK) / WEEK
    seen = line[:CUT] + rng.normal(0, 2, CUT)
    bound = line[-1] - end_gap
    spec = goal(aggregate, f">= {bound}", f">= {bound - 5}")
    future = lambda r, n: line[CUT:] + r.normal(0, 2, (n, REMAINING))  # noqa: E731
    return spec, seen, monte_carlo(spec, seen, future)


def step(after: float) -> tuple[GoalSpec, NDArray[np.float64], float]:
    """Level 90 then, a third into the week, 105; N(0, 3) noise; `last >= 105 - after`."""
    rng = np.random.default_rng(4)
    level = np.where(np.arange(WEEK) < WEEK // 3, 90.0, 105.0)
    seen = level[:CUT] + rng.normal(0, 3, CUT)
    bound = 105 - after
    return goal("last", f">= {bound}"), seen, 1 - PHI.cdf(-after / 3)


def diurnal(d: float) -> tuple[GoalSpec, NDArray[np.float64], float]:
    """100 minus a daily cycle of 10 (lowest at each midnight, where the week ends) plus N(0, 2)
    noise: the last sample is 90 + N(0, 2), so P(last >= 90 - 2 d) = Phi(d). Only a forecast
    that sees the cycle knows the week ends in a trough."""
    rng = np.random.default_rng(7)
    cycle = 100 - 10 * np.cos(2 * np.pi * np.arange(CUT) / DAY)
    seen = cycle + rng.normal(0, 2, CUT)
    return goal("last", f">= {90 - 2 * d}"), seen, PHI.cdf(d)


def pilots(short: int) -> tuple[GoalSpec, NDArray[np.float64], float]:
    """A count that rose three times in the first half-week (1 to 4) and goes on rising by
    one at that rate (a Poisson process: 3 expected in the rest of the week); `last >= 4 +
    short`: P = P(N >= short). The forecast knows the rate only from the three jumps seen."""
    seen = 1.0 + np.floor(np.arange(CUT) * 4 / CUT)
    mean = 3.0
    truth = 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(short))
    return goal("last", f">= {4 + short}"), seen, truth


CASES = {
    "white noise, last, target 1 sd below": lambda: white_noise(-1.0),
    "white noise, last, target at the level": lambda: white_noise(0.0),
    "white noise, last, target 1 sd above": lambda: white_noise(1.0),
    "random walk, 1.5 sd above": lambda: random_walk(1.5),
    "random walk, 0.5 sd above": lambda: random_walk(0.5),
    "random walk, at the target": lambda: random_walk(0.0),
    "random walk, 0.5 sd below": lambda: random_walk(-0.5),
    "random walk, 1.5 sd below": lambda: random_walk(-1.5),
    "ramp, last, target 4 below its end": lambda: ramp(4.0, "last"),
    "ramp, last, target at its end": lambda: ramp(0.0, "last"),
    "ramp, mean, target 5 above the week's mean": lambda: ramp(10.0, "mean"),
    "step before the cut, last, 3 below": lambda: step(3.0),
    "step before the cut, last, at": lambda: step(0.0),
    "daily cycle, last, target 1 sd below the trough": lambda: diurnal(1.0),
    "daily cycle, last, target 1 sd above the trough": lambda: diurnal(-1.0),
    "count rising in steps, last, at the target": lambda: pilots(0),
    "count rising in steps, last, one step short": lambda: pilots(1),
    "count rising in steps, last, two steps short": lambda: pilots(2),
    "count rising in steps, last, four steps short": lambda: pilots(4),
}


def calibration_table() -> list[tuple[str, float, float]]:
    """(case, truth, forecast p_met) for every case; `python -m tests.test_forecast_calibration`
    prints it."""
    table = []
    for name, make in CASES.items():
        spec, seen, truth = make()
        table.append((name, truth, forecast(spec, seen).p_met))
    return table


@pytest.mark.parametrize("name", list(CASES))
def test_p_met_is_within_tolerance_of_the_truth(name: str) -> None:
    spec, seen, truth = CASES[name]()
    result = forecast(spec, seen)
    assert abs(result.p_met - truth) <= TOLERANCE, (name, truth, result.p_met, result.method)
    assert math.isclose(result.p_met + result.p_at_risk + result.p_missed, 1.0)
    assert result.p10 <= result.p50 <= result.p90


@pytest.mark.parametrize(
    "family",
    [
        [random_walk(d) for d in (1.5, 0.5, 0.0, -0.5, -1.5)],
        [white_noise(k) for k in (-1.0, 0.0, 1.0)],
        [ramp(g, "last") for g in (8.0, 4.0, 0.0, -4.0)],
        [diurnal(d) for d in (1.5, 0.0, -1.5)],
        [pilots(k) for k in (0, 1, 2, 3, 4)],
    ],
    ids=[
        "random walks at distances",
        "white noise at offsets",
        "ramps at gaps",
        "daily cycles at offsets",
        "step counts short by",
    ],
)
def test_forecast_orders_cases_as_the_truth(
    family: list[tuple[GoalSpec, NDArray[np.float64], float]],
) -> None:
    truths = [t for _, _, t in family]
    forecasts = [forecast(s, seen).p_met for s, seen, _ in family]
    assert truths == sorted(truths, reverse=True)
    assert forecasts == sorted(forecasts, reverse=True), (truths, forecasts)
    assert forecasts[0] > forecasts[-1]


@pytest.mark.parametrize("aggregate", ["mean", "p95"])
def test_white_noise_mean_and_p95_are_calibrated_over_many_weeks(aggregate: str) -> None:
    """Where the week's value hardly varies (the mean or p95 of 2,016 samples of white noise),
    the odds given the TRUE level are a knife-edge no forecaster reaches: its error on the
    level is as large as the value's own spread. Over many weeks, though, it is calibrated:
    the mean p_met is the frequency of weeks met, and it beats a coin (Brier < 0.25)."""
    rng = np.random.default_rng(10)
    predicted, outcomes = [], []
    bound = reduce_values(100 + rng.normal(0, 5, 200_000), aggregate)
    assert bound is not None
    spec = goal(aggregate, f">= {bound}")
    for _ in range(150):
        week = 100 + rng.normal(0, 5, WEEK)
        predicted.append(forecast(spec, week[:CUT]).p_met)
        outcomes.append(spec.target.met(reduce_values(week, aggregate) or math.nan))
    assert abs(np.mean(predicted) - np.mean(outcomes)) <= TOLERANCE, (predicted, outcomes)
    assert brier(predicted, outcomes) < 0.25


# -- the engine's contract ---------------------------------------------------------------------


def window_at(as_of: datetime) -> Window:
    expected = math.ceil((as_of - START).total_seconds() / STEP)
    return Window(1, START, as_of, False, "UTC", STEP, START.timestamp(), expected)


def test_a_step_after_the_cut_off_is_never_seen() -> None:
    rng = np.random.default_rng(5)
    ts = START.timestamp() + STEP * np.arange(WEEK)
    quiet = 100 + rng.normal(0, 1, WEEK)
    stepped = quiet + np.where(np.arange(WEEK) >= CUT + 10, 50.0, 0.0)
    spec = goal("max", "<= 110")
    window = window_at(START + timedelta(seconds=STEP * CUT))
    seen = forecast_goal(spec, QueryResult("q", (Series((), ts[:CUT], quiet[:CUT]),)), window, END)
    told = forecast_goal(spec, QueryResult("q", (Series((), ts, stepped),)), window, END)
    assert seen is not None and told is not None
    assert seen == told
    assert np.array_equal(seen.draws.values, told.draws.values)


def test_a_complete_window_has_no_forecast() -> None:
    ts = START.timestamp() + STEP * np.arange(WEEK)
    result = QueryResult("q", (Series((), ts, np.ones(WEEK)),))
    complete = Window(1, START, END, True, "UTC", STEP, START.timestamp(), WEEK)
    assert forecast_goal(goal("mean", ">= 1"), result, complete, END) is None
    # nor one whose query failed, or that has no series
    window = window_at(START + timedelta(days=3))
    assert forecast_goal(goal("mean", ">= 1"), QueryResult("q", error="x"), window, END) is None
    assert forecast_goal(goal("mean", ">= 1"), QueryResult("q"), window, END) is None


def test_too_few_samples_to_fit() -> None:
    """One block with a value: no forecast; two: a random walk with the change seen."""
    one = np.full(CUT, np.nan)
    one[5] = 3.0
    assert forecast_samples(goal("last", ">= 1"), [()], one[None], REMAINING, END) is None
    two = np.full(CUT, np.nan)
    two[[0, -1]] = (3.0, 4.0)
    result = forecast_samples(goal("last", ">= 1"), [()], two[None], REMAINING, END)
    assert result is not None and "level 1" in result.method


def test_forecast_is_reproducible() -> None:
    spec, seen, _ = random_walk(0.0)
    first, second = forecast(spec, seen), forecast(spec, seen)
    assert first == second
    assert np.array_equal(first.draws.values, second.draws.values)
    assert np.array_equal(first.draws.codes, second.draws.codes)


def test_bounds_hold() -> None:
    """A % goal stays within 0..100 and counts stay >= 0, however wild the walk."""
    rng = np.random.default_rng(6)
    uptime = np.clip(99.5 + np.cumsum(rng.normal(0, 0.05, CUT)), 0, 100)
    uptime[-50:] = 100.0
    for aggregate in ("last", "max", "mean", "p99"):
        result = forecast(goal(aggregate, ">= 99.9", unit="%"), uptime)
        assert np.all((result.draws.values >= 0) & (result.draws.values <= 100)), aggregate
    errors = np.abs(np.cumsum(rng.normal(0, 1, CUT)))
    errors[-20:] = 0.0
    for aggregate in ("last", "min", "mean"):
        result = forecast(goal(aggregate, "<= 1", unit="errors"), errors)
        assert np.all(result.draws.values >= 0), aggregate
        assert result.p10 >= 0


def test_a_goal_is_its_worst_series_in_each_draw() -> None:
    """A safe series and a risky one: every draw's value and status are the risky one's, as
    score_goal would have it, and the odds are the risky series' own."""
    rng = np.random.default_rng(7)
    safe = 10 + rng.normal(0, 0.1, CUT)
    _, risky, truth = random_walk(0.0)
    spec = goal("last", f">= {50.0}", ">= 45")
    both = forecast(spec, safe, risky)
    alone = forecast(spec, risky)
    assert {labels for labels in both.draws.worst} <= {(("series", "s0"),), (("series", "s1"),)}
    assert both.p_met < 0.05  # s0 (10) never meets >= 50: the goal never does
    spec = goal("last", "<= 50.0", "<= 55")
    both = forecast(spec, safe, risky)
    assert set(both.draws.worst) == {(("series", "s1"),)}
    assert abs(both.p_met - alone.p_met) <= 0.1
    assert abs(both.p_met - truth) <= TOLERANCE


def test_worst_of_draws_matches_score_goal() -> None:
    """Status first, then margin, then labels: draw by draw, as score_goal picks (a draw's
    value is never NaN: it always has simulated samples)."""
    spec = goal("last", ">= 10", ">= 5")
    values = np.array(
        [
            [12.0, 7.0, 3.0, 11.0, 7.0],
            [11.0, 6.0, 4.0, 11.0, 1.0],
            [13.0, 8.0, 2.0, 12.0, 2.0],
        ]
    )
    codes, worst_values, worst = worst_of_draws(spec, values)
    for d in range(values.shape[1]):
        series = tuple(
            Series(((("s", str(i)),)), np.array([0.0]), np.array([values[i, d]]))
            for i in range(values.shape[0])
        )
        scored = score_goal(spec, QueryResult("q", series), 1, "fail")  # type: ignore[arg-type]
        assert scored.value == worst_values[d]
        assert scored.status.value == ("met", "at_risk", "missed")[codes[d]]
    assert list(worst) == [1, 1, 2, 0, 1]  # ties on status and margin go to the first label


AGGREGATES = ["last", "min", "max", "mean", "median", "p50", "p90", "p95", "p99", "compliance"]


@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_reduce_draws_equals_reduce_values_on_each_draw(aggregate: str) -> None:
    rng = np.random.default_rng(8)
    observed = np.round(rng.normal(10, 3, 97), 1)  # rounded: ties between observed and simulated
    observed[[3, 50]] = np.nan
    observed[7] = np.inf
    simulated = np.round(rng.normal(11, 4, (40, 13)), 1)
    simulated[0, 2] = np.inf
    weights = np.full(13, 5, dtype=np.int64)
    weights[-1] = 2
    sample_target = parse_target("<= 12")
    got = reduce_draws(observed, simulated, weights, aggregate, sample_target)
    for d in range(simulated.shape[0]):
        expanded = np.concatenate([observed, np.repeat(simulated[d], weights)])
        want = reduce_values(expanded, aggregate, sample_target)
        assert want is not None
        assert got[d] == pytest.approx(want, rel=1e-12, abs=1e-12) or (want == got[d]), d
    # any weights at all (not only the forecast's: equal but the last)
    uneven = np.arange(1, 14, dtype=np.int64)
    got = reduce_draws(observed, simulated, uneven, aggregate, sample_target)
    for d in range(simulated.shape[0]):
        expanded = np.concatenate([observed, np.repeat(simulated[d], uneven)])
        want = reduce_values(expanded, aggregate, sample_target)
        assert want is not None and got[d] == pytest.approx(want, rel=1e-12, abs=1e-12)
    # nothing observed yet
    empty = reduce_draws(np.full(4, np.nan), simulated, weights, aggregate, sample_target)
    for d in range(simulated.shape[0]):
        want = reduce_values(np.repeat(simulated[d], weights), aggregate, sample_target)
        assert want is not None and empty[d] == pytest.approx(want, rel=1e-12)


def test_brier_and_reliability() -> None:
    assert brier([1.0, 0.0], [True, False]) == 0.0
    assert brier([0.5] * 4, [True, False, True, False]) == 0.25
    assert brier([0.8, 0.3], [False, True]) == pytest.approx((0.64 + 0.49) / 2)
    with pytest.raises(ValueError):
        brier([0.5], [])
    table = reliability([0.05, 0.15, 0.12, 0.95, 1.0], [False, True, False, True, True], bins=10)
    assert len(table) == 10
    assert (table[0].count, table[0].observed) == (1, 0.0)
    assert table[1].count == 2 and table[1].predicted == pytest.approx(0.135)
    assert table[1].observed == 0.5
    assert table[5].count == 0 and table[5].observed is None
    assert table[9].count == 2 and table[9].observed == 1.0  # 1.0 falls in the last bin


if __name__ == "__main__":
    print("| case | truth | forecast p_met |\n|---|---|---|")
    for case, truth, p in calibration_table():
        print(f"| {case} | {truth:.3f} | {p:.3f} |")


def test_a_daily_profile_only_where_the_days_agree() -> None:
    """A daily cycle is found and given back (its trough at midnight); random walks and white
    noise, whose days do not repeat, are left without a profile (at most 1 of 40 by chance)."""
    _, seen, _ = diurnal(0.0)
    profile = season.daily_profile(seen[None], DAY)
    assert profile is not None
    assert profile[0].argmin() < DAY // 24 and profile[0].max() - profile[0].min() > 15
    rng = np.random.default_rng(11)
    walks = np.cumsum(rng.normal(0, 0.2, (20, CUT)), axis=1)
    noise = 100 + rng.normal(0, 5, (20, CUT))
    found = season.daily_profile(np.vstack([walks, noise]), DAY)
    assert found is None or np.count_nonzero(found.any(axis=1)) <= 1
    # under two whole days, no profile
    assert season.daily_profile(seen[None, : 2 * DAY - 1], DAY) is None


def test_a_step_series_keeps_its_values_and_a_still_one_stays() -> None:
    """Jumps are drawn from those seen: a count stays on whole numbers; one that never moved
    stays where it is in every draw."""
    _, seen, _ = pilots(1)
    result = forecast(goal("last", ">= 5"), seen)
    assert "steps 1" in result.method
    assert np.array_equal(result.draws.values, np.round(result.draws.values))
    still = forecast(goal("last", ">= 5"), np.full(CUT, 4.0))
    assert still.p_met == 0.0 and still.p10 == still.p90 == 4.0
    gaps = seen.copy()
    gaps[::7] = np.nan  # missing samples do not make changes
    noisy = 100 + np.random.default_rng(13).normal(0, 1, CUT)
    many = np.floor(np.arange(CUT) / 60)  # holds an hour at a time, but through 17 values
    assert list(jumps.step_rows(np.vstack([seen, gaps, noisy, many]))) == [
        True,
        True,
        False,
        False,
    ]


def test_the_sprint_end_moves_by_the_weeks_seen() -> None:
    """Past the week in progress, the goal's week-to-week changes move the forecast: two weeks
    that rose by 10 each carry it 10 further a week ahead, with a spread; none leave it."""
    assert weekly.drift([], 2, 50.0, 1) is None
    assert weekly.drift([(1, 40.0)], 2, 50.0, 0) is None
    assert weekly.drift([(1, 40.0)], 3, 50.0, 1) is None  # week 2 missing: no change known
    one = weekly.drift([(1, 40.0)], 2, 50.0, 1)
    assert one == weekly.Drift(10.0, 10.0)  # one change: as wide as it is long
    two = weekly.drift([(1, 30.0), (2, 40.0)], 3, 50.0, 2)
    assert two is not None and two.mean == 20.0 and 0 < two.sd < 20.0
    rng = np.random.default_rng(12)
    seen = 100 + rng.normal(0, 1, CUT)
    spec = goal("mean", ">= 105")
    labels = [(("series", "s0"),)]
    later = REMAINING + WEEK  # the end of next week; its own week's points only

    def at_sprint_end(shift: weekly.Drift | None) -> GoalForecast:
        found = forecast_samples(spec, labels, seen[None], later, END, skip=REMAINING, shift=shift)
        assert found is not None
        return found

    still, moved = at_sprint_end(None), at_sprint_end(weekly.Drift(10.0, 2.0))
    assert abs(still.p50 - 100) < 2 and still.p_met < 0.05
    assert abs(moved.p50 - 110) < 2 and moved.p_met > 0.95
