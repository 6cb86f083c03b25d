"""A goal's aggregate and status over many simulated futures at once (the forecast's draws).

Each draw is one possible rest of the window: the samples observed so far plus simulated ones,
where simulated sample j stands for `weights[j]` grid points (the forecast simulates at a
coarser step than the window's). `reduce_draws` gives, per draw, exactly what
`score.reduce_values` gives for the observed samples followed by each simulated one repeated
`weights[j]` times, without building those arrays; `worst_of_draws` picks each draw's worst
series as `score.score_goal` does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pipeline.core.outcomes import Status
from pipeline.core.settings import GoalSpec
from pipeline.core.targets import Target
from pipeline.scoring.score import QUANTILES, STATUS_SCORE

# A draw's status as a small integer, worst highest: the order of score_goal's worst_first.
STATUS_CODES = (Status.MET, Status.AT_RISK, Status.MISSED)


def reduce_draws(
    observed: NDArray[np.float64],
    simulated: NDArray[np.float64],
    weights: NDArray[np.int64],
    aggregate: str,
    sample_target: Target | None = None,
) -> NDArray[np.float64]:
    """The aggregate of each draw (row of `simulated`, shape draws x K) after `observed` (1-D,
    NaN = missing, left out), simulated sample j counting `weights[j]` times (>= 1)."""
    obs = observed[~np.isnan(observed)]
    draws = simulated.shape[0]
    if simulated.shape[1] == 0:
        raise ValueError("nothing simulated: a complete window has no draws")
    total = obs.size + int(weights.sum())
    if aggregate == "last":
        return simulated[:, -1].copy()
    if aggregate == "min":
        low: NDArray[np.float64] = simulated.min(axis=1)
        return np.minimum(low, obs.min()) if obs.size else low
    if aggregate == "max":
        high: NDArray[np.float64] = simulated.max(axis=1)
        return np.maximum(high, obs.max()) if obs.size else high
    if aggregate == "mean":
        with np.errstate(invalid="ignore"):
            mean: NDArray[np.float64] = (obs.sum() + simulated @ weights.astype(np.float64)) / total
            return mean
    if aggregate in QUANTILES:
        return _merged_quantile(np.sort(obs), simulated, weights, QUANTILES[aggregate])
    if aggregate == "compliance":
        if sample_target is None:
            raise ValueError("aggregate 'compliance' needs a sample_target")
        met = int(sample_target.mask(obs).sum()) + sample_target.mask(simulated) @ weights
        return np.asarray(100.0 * (met / total), dtype=np.float64).reshape(draws)
    raise ValueError(f"unknown aggregate '{aggregate}'")


def _merged_quantile(
    obs: NDArray[np.float64], simulated: NDArray[np.float64], weights: NDArray[np.int64], q: float
) -> NDArray[np.float64]:
    """numpy's linear quantile of sorted `obs` merged with each row's weighted samples."""
    total = obs.size + int(weights.sum())
    position = q * (total - 1)
    low = int(np.floor(position))
    high = min(low + 1, total - 1)
    if np.any(weights[:-1] != weights[0]):  # not the forecast's layout: sort the weights too
        order = np.argsort(simulated, axis=1, kind="stable")
        values = np.take_along_axis(simulated, order, axis=1)
        counts = weights[order]
    else:  # all equal but the last (a part block): only where it lands needs finding
        values = np.sort(simulated, axis=1)
        counts = np.full(values.shape, weights[0], dtype=np.int64)
        # among equal values any of them may carry its weight: the merged samples are the same
        landed = (simulated[:, :-1] < simulated[:, -1:]).sum(axis=1)
        counts[np.arange(values.shape[0]), landed] = weights[-1]
    after = np.cumsum(counts, axis=1)  # simulated samples up to and including j
    v_low = _at_rank(obs, values, counts, after, low)
    v_high = _at_rank(obs, values, counts, after, high)
    fraction = position - low
    with np.errstate(invalid="ignore"):
        # numpy's _lerp, so that the result is the same to the last bit
        diff = v_high - v_low
        result = np.where(fraction >= 0.5, v_high - diff * (1 - fraction), v_low + diff * fraction)
    # score._quantile: where numpy's NaN has equal "lower" and "higher" samples, it is that
    # sample: two equal infinities, or a rank landed on exactly (fraction 0) beside an infinity
    equal = np.isnan(result) & ((v_low == v_high) | (fraction == 0))
    return np.where(equal, v_low, result)


def _at_rank(
    obs: NDArray[np.float64],
    values: NDArray[np.float64],
    counts: NDArray[np.int64],
    after: NDArray[np.int64],
    rank: int,
) -> NDArray[np.float64]:
    """The sample at `rank` (from 0) of each draw's merged, expanded, sorted samples.

    Simulated sample j's run starts at searchsorted(obs, value_j) + (simulated samples before
    it), which never decreases with j: a binary search per row finds the last run starting at
    or before `rank`, with a few searches of `obs` per row rather than one per sample."""
    rows = np.arange(values.shape[0])
    lo = np.zeros(rows.size, dtype=np.int64)  # runs known to start at or before rank
    hi = np.full(rows.size, values.shape[1], dtype=np.int64)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        probe = np.minimum(mid, values.shape[1] - 1)
        start = np.searchsorted(obs, values[rows, probe]) + after[rows, probe] - counts[rows, probe]
        before = (start <= rank) & (lo < hi)
        lo = np.where(before, mid + 1, lo)
        hi = np.where(~before & (lo < hi), mid, hi)
    begun = lo - 1  # the last run starting at or before rank; -1: none
    last = np.maximum(begun, 0)
    start = np.searchsorted(obs, values[rows, last]) + after[rows, last] - counts[rows, last]
    inside = (begun >= 0) & (rank < start + counts[rows, last])
    simulated_before = np.where(begun >= 0, after[rows, last], 0)
    index = np.clip(rank - simulated_before, 0, max(obs.size - 1, 0))
    from_obs = obs[index] if obs.size else np.full(values.shape[0], np.nan)
    return np.where(inside, values[rows, last], from_obs)


def margins(target: Target, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Target.margin over an array (NaN is worse than any value)."""
    with np.errstate(invalid="ignore"):
        if target.op in (">", ">="):
            room = values - target.low
        elif target.op in ("<", "<="):
            room = target.low - values
        elif target.op == "..":
            room = np.minimum(values - target.low, target.high - values)
        else:
            room = -np.abs(values - target.low)
    return np.where(np.isnan(values), -np.inf, room)


def statuses(spec: GoalSpec, values: NDArray[np.float64]) -> NDArray[np.int8]:
    """score.judge over an array: 0 met, 1 at risk, 2 missed (STATUS_CODES)."""
    code = np.full(values.shape, 2, dtype=np.int8)
    if spec.warning is not None:
        code[spec.warning.mask(values)] = 1
    code[spec.target.mask(values)] = 0
    return code


def worst_of_draws(
    spec: GoalSpec, values: NDArray[np.float64]
) -> tuple[NDArray[np.int8], NDArray[np.float64], NDArray[np.intp]]:
    """Each draw's worst series (`values`: series x draws, series in score_goal's label order):
    highest status code, then least margin, then the first; its status, value and index."""
    codes = statuses(spec, values)
    room = margins(spec.target, values)
    rank = np.broadcast_to(np.arange(values.shape[0])[:, None], values.shape)
    worst = np.lexsort((rank, room, -codes), axis=0)[0]
    draws = np.arange(values.shape[1])
    return codes[worst, draws], values[worst, draws], worst


def score_of(codes: NDArray[np.int8]) -> NDArray[np.float64]:
    """The points of each status code (score.STATUS_SCORE)."""
    points = np.array([STATUS_SCORE[s] for s in STATUS_CODES])
    return points[codes]
