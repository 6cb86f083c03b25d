"""The forecast against hostile input: infinite samples, huge week-to-week values, absurd
--weeks. Pure functions on arrays, no servers."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from pipeline.core.settings import GoalSpec
from pipeline.core.targets import parse_target
from pipeline.scoring.forecast import forecast_samples
from pipeline.scoring.score import reduce_values

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
