"""The forecast against hostile input: infinite samples, huge week-to-week values, absurd
--weeks. Pure functions on arrays, no servers."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pytest

from pipeline.backtest.weeks import choose_weeks
from pipeline.core.settings import GoalSpec, Sprint
from pipeline.core.targets import parse_target
from pipeline.errors import UsageError
from pipeline.scoring.draws import reduce_draws
from pipeline.scoring.forecast import forecast_samples
from pipeline.scoring.score import reduce_values
from pipeline.scoring.weekly import drift

END = datetime(2026, 11, 9, tzinfo=UTC)


def goal(aggregate: str, target: str) -> GoalSpec:
    return GoalSpec(
        "g", "G", "technical", "q", "ms", aggregate, parse_target(target), None, None, 1.0, False
    )


def test_a_max_already_infinite_forecasts_infinite_quantiles_not_nan() -> None:
    """A latency max that has seen +Inf (histogram_quantile past the last bucket) is +Inf in
    every draw: its p10, p50 and p90 are +Inf, as its value is, not NaN."""
    rng = np.random.default_rng(1)
    row = rng.normal(50, 5, 1008)
    row[500] = np.inf
    spec = goal("max", "<= 100")
    assert reduce_values(row, "max") == math.inf
    found = forecast_samples(spec, [(("s", "a"),)], row[None], 1008, END, 100, period=288)
    assert found is not None and found.p_missed == 1.0
    assert (found.p10, found.p50, found.p90) == (math.inf, math.inf, math.inf)


@pytest.mark.parametrize(
    ("aggregate", "observed", "simulated", "weights"),
    [
        ("p50", [math.inf], [0.5], [2]),  # sorted 0.5 0.5 inf: the median is 0.5
        ("median", [-math.inf, math.nan, 2.0, -math.inf], [2.0, -1.0, -math.inf], [1, 2, 3]),
        ("p90", [*range(9), math.inf], [5.0], [1]),  # rank 9 of 0..10 exactly: 8, then inf
    ],
)
def test_a_quantile_landing_on_a_sample_beside_an_infinity_is_that_sample(
    aggregate: str, observed: list[float], simulated: list[float], weights: list[int]
) -> None:
    """reduce_draws gives exactly score.reduce_values of the merged samples: a rank that
    lands on a sample exactly (no interpolation) is that sample, even when its neighbour is
    infinite (numpy's lerp would make inf * 0 = NaN)."""
    obs = np.array(observed, dtype=np.float64)
    sim = np.array([simulated], dtype=np.float64)
    counts = np.array(weights, dtype=np.int64)
    want = reduce_values(np.concatenate([obs, np.repeat(sim[0], counts)]), aggregate)
    assert want is not None and not math.isnan(want)
    assert reduce_draws(obs, sim, counts, aggregate)[0] == want


def test_huge_week_to_week_values_do_not_crash_the_drift() -> None:
    """Values near 1e300 overflow a squared change: the drift is none (not finite), not an
    OverflowError that ends the run."""
    found = drift([(1, 1e300), (2, -1e300)], 3, 1e300, 2)
    assert found is None or (math.isfinite(found.mean) and math.isfinite(found.sd))


def test_a_week_too_far_to_have_a_date_is_a_usage_error() -> None:
    """--weeks 99999999999999999999 without sprint.weeks: not complete (exit 2), not an
    OverflowError (exit 1)."""
    unbounded = Sprint("s", date(2026, 11, 2), 7, "UTC", 60.0)
    now = datetime(2026, 11, 26, tzinfo=UTC)
    for last in (10**6, 10**20):
        with pytest.raises(UsageError, match="not complete"):
            choose_weeks(unbounded, (1, last), now)
