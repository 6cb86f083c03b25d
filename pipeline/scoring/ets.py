"""Exponential smoothing for the forecast: additive ETS models fitted and simulated in numpy.

The window's samples are averaged into blocks of `block` grid steps (at most MAX_FIT_BLOCKS
blocks seen so far and MAX_STEPS blocks to simulate), and every series of a goal is fitted at
once, vectorised over series and over a grid of smoothing parameters:

- `mean`: a constant level (white noise around it), forecast by the mean of the blocks so far;
- `level`: simple exponential smoothing, ETS(A,N,N), alpha on a grid (alpha 1 is a random walk);
- `trend`: Holt's damped trend, ETS(A,Ad,N), alpha, beta and phi on a grid.

Each candidate's one-step-ahead errors (out of sample: a block's forecast uses only the blocks
before it) give its AICc, and the lowest wins, per series; errors count by a Huber loss (a
jump counts linearly), the trend models start from the line through the first blocks, and
blocks before a clear level shift (a step, not a drift) are left out of the fit. A series
with fewer than MIN_SELECT errors is a random walk (`level` with alpha 1) with the spread of
its block changes seen; one with fewer than two blocks that have a value has no fit. Draws
follow the chosen model's state-space form with Gaussian innovations of the one-step errors'
spread (as statsmodels' ETSModel.simulate does); samples are the simulated block means plus
deviations within a block drawn from those seen (a bootstrap: skew and tails are kept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MAX_FIT_BLOCKS = 256
MAX_STEPS = 64
BURN = 2  # blocks seen before a one-step error counts
MIN_SELECT = 8  # one-step errors needed to choose among the models
KINDS = ("none", "mean", "level", "trend")

_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
_HOLT = tuple(
    (a, b, p)
    for a in (0.02, 0.05, 0.1, 0.3, 0.6, 1.0)
    for b in (0.001, 0.01, 0.05, 0.2)
    for p in (0.9, 0.98, 1.0)
    if b <= a
)
_INIT = 10  # blocks whose least-squares line starts the trend models' level and trend
_SHIFT = 6.0  # a level shift: the CUSUM split's statistic in robust spreads
_JUMP = 5.0  # ... made in one change of this many robust spreads of the changes
_AFTER_SHIFT = 16  # blocks after a shift needed to fit on them alone
_HUBER = 3.0  # one-step errors beyond this many robust deviations count linearly (a step)
_ALPHA = np.array([*_ALPHAS, *(h[0] for h in _HOLT)])
_BETA = np.array([0.0] * len(_ALPHAS) + [h[1] for h in _HOLT])
_PHI = np.array([1.0] * len(_ALPHAS) + [h[2] for h in _HOLT])
_PARAMS = np.array([2] * len(_ALPHAS) + [4] * len(_HOLT))  # alpha, l0; alpha, beta, phi, l0
_RANDOM_WALK = len(_ALPHAS) - 1


@dataclass(frozen=True, eq=False)
class Blocks:
    """Series (rows) of a goal on the window's grid so far, averaged into blocks."""

    block: int  # grid steps per block
    means: NDArray[np.float64]  # series x blocks; NaN: no finite sample in the block
    deviations: tuple[NDArray[np.float64], ...]  # per series: each sample minus its block's mean
    highs: tuple[NDArray[np.float64], ...]  # per series: each full block's max minus its mean
    lows: tuple[NDArray[np.float64], ...]  # ... and its min minus its mean


def block_size(seen: int, remaining: int) -> int:
    """Grid steps per block: at most MAX_FIT_BLOCKS blocks seen and MAX_STEPS to simulate."""
    return max(1, math.ceil(seen / MAX_FIT_BLOCKS), math.ceil(remaining / MAX_STEPS))


def to_blocks(values: NDArray[np.float64], block: int) -> Blocks:
    """Block means of `values` (series x grid points; NaN and infinities are left out)."""
    series, seen = values.shape
    count = math.ceil(seen / block)
    padded = np.full((series, count * block), np.nan)
    padded[:, :seen] = np.where(np.isfinite(values), values, np.nan)
    shaped = padded.reshape(series, count, block)
    present = ~np.isnan(shaped)
    n = present.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(present, shaped, 0.0).sum(axis=2) / n
    means[n == 0] = np.nan
    inside = shaped - means[:, :, None]
    full = n == block
    with np.errstate(invalid="ignore"):
        high = np.where(present, inside, -np.inf).max(axis=2)
        low = np.where(present, inside, np.inf).min(axis=2)
    return Blocks(
        block=block,
        means=means,
        deviations=tuple(row[~np.isnan(row)] for row in inside.reshape(series, -1)),
        highs=tuple(h[f] for h, f in zip(high, full, strict=True)),
        lows=tuple(m[f] for m, f in zip(low, full, strict=True)),
    )


@dataclass(frozen=True, eq=False)
class Fit:
    """The chosen model of each series, and its state at the last block seen."""

    kind: NDArray[np.int8]  # index in KINDS
    level: NDArray[np.float64]
    trend: NDArray[np.float64]
    alpha: NDArray[np.float64]
    beta: NDArray[np.float64]
    phi: NDArray[np.float64]
    sigma: NDArray[np.float64]  # the one-step errors' standard deviation
    mean_sd: NDArray[np.float64]  # `mean`: the standard error of the level


def fit(means: NDArray[np.float64]) -> Fit:
    """Fit and choose a model per series (rows of block `means`, NaN: missing)."""
    series, count = means.shape
    means = _since_shift(means)
    present = ~np.isnan(means)
    seen_before = np.cumsum(present, axis=1) - present  # blocks with a value before each block
    counted = present & (seen_before >= BURN)
    errors = counted.sum(axis=1)

    # mean: each block forecast by the mean of the blocks before it
    sums = np.cumsum(np.where(present, means, 0.0), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        expanding = (sums - np.where(present, means, 0.0)) / seen_before
        spread = _HUBER * _robust_spread(means, present)[:, None]
        mean_sse = np.where(counted, _huber(means - expanding, spread), 0.0).sum(axis=1)
        level_of_mean = sums[:, -1] / present.sum(axis=1)

    # level and trend: every candidate of the grid at once, (series, candidates)
    first_level, first_trend = _start(means, present)
    level = np.full((series, _ALPHA.size), np.nan)
    trend = np.zeros((series, _ALPHA.size))
    slope = np.where(_BETA > 0, first_trend[:, None], 0.0)
    cut = _HUBER * _robust_spread(means, present)[:, None]
    sse = np.zeros((series, _ALPHA.size))
    with np.errstate(invalid="ignore"):
        for t in range(count):
            z = means[:, t, None]
            forecast = level + _PHI * trend
            error = z - forecast
            update = present[:, t, None] & ~np.isnan(level)
            sse += np.where(counted[:, t, None], _huber(error, cut), 0.0)
            start = present[:, t, None] & np.isnan(level)
            level = np.where(
                update, forecast + _ALPHA * error, np.where(start, first_level[:, None], forecast)
            )
            trend = np.where(
                update, _PHI * trend + _BETA * error, np.where(start, slope, _PHI * trend)
            )

    m = np.maximum(errors, 1)[:, None].astype(np.float64)
    loss = np.concatenate([mean_sse[:, None], sse], axis=1)
    k = np.concatenate([[1], _PARAMS])[None, :].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        aicc = m * np.log(np.maximum(loss / m, 1e-300)) + 2 * k
        aicc += np.where(m - k - 1 > 0, 2 * k * (k + 1) / (m - k - 1), np.inf)
    choice = np.argmin(np.where(np.isnan(aicc), np.inf, aicc), axis=1)
    few = errors < MIN_SELECT
    choice[few] = _RANDOM_WALK + 1
    pick = np.maximum(choice - 1, 0)
    rows = np.arange(series)
    is_mean = choice == 0

    # the random walk of a series with few blocks: the spread of its changes seen
    blocks_seen = present.sum(axis=1)
    walk_sigma = _change_spread(means, present)
    sigma = np.sqrt(np.where(is_mean, mean_sse, sse[rows, pick]) / m[:, 0])
    sigma = np.where(few, walk_sigma, sigma)
    kind = np.where(is_mean, 1, np.where(_BETA[pick] > 0, 3, 2)).astype(np.int8)
    kind[(blocks_seen < 2) | ~np.isfinite(sigma)] = 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_sd = sigma / np.sqrt(blocks_seen)
    return Fit(
        kind=kind,
        level=np.where(is_mean, level_of_mean, level[rows, pick]),
        trend=np.where(is_mean, 0.0, trend[rows, pick]),
        alpha=np.where(is_mean, 0.0, _ALPHA[pick]),
        beta=np.where(is_mean, 0.0, _BETA[pick]),
        phi=np.where(is_mean, 1.0, _PHI[pick]),
        sigma=np.nan_to_num(sigma),
        mean_sd=np.nan_to_num(mean_sd),
    )


def _since_shift(means: NDArray[np.float64]) -> NDArray[np.float64]:
    """Block means with the blocks before a clear level shift left out (NaN): the split that
    best separates two means (the CUSUM statistic, in robust spreads of the blocks) counts
    when it exceeds _SHIFT, is made in one jump (a change near it beyond _JUMP spreads of the
    changes: a drift or a random walk is not a step) and leaves _AFTER_SHIFT blocks after it.
    ETS would read one step as a level that moves a lot and widen every draw; the data since
    the step is the level's own."""
    out = means.copy()
    spreads = _robust_spread(means, ~np.isnan(means)) / math.sqrt(2)
    for i, row in enumerate(means):
        at = np.flatnonzero(~np.isnan(row))
        n = at.size
        if n < 2 * _AFTER_SHIFT or not math.isfinite(spreads[i]):
            continue
        values = row[at]
        k = np.arange(1, n)
        before = np.cumsum(values)[:-1] / k
        after = (values.sum() - np.cumsum(values)[:-1]) / (n - k)
        statistic = np.abs(after - before) * np.sqrt(k * (n - k) / n) / spreads[i]
        statistic[n - k < _AFTER_SHIFT] = 0.0
        split = int(np.argmax(statistic))
        # a step, not a drift: one change near the split far outside the changes' spread
        near = np.abs(np.diff(values[max(split - 2, 0) : split + 4]))
        jump = near.size > 0 and float(near.max()) > _JUMP * spreads[i] * math.sqrt(2)
        if statistic[split] > _SHIFT and jump:
            out[i, : at[split + 1]] = np.nan
    return out


def _huber(error: NDArray[np.float64], cut: NDArray[np.float64]) -> NDArray[np.float64]:
    """Squared error up to `cut`, linear beyond: one step in the data does not decide the
    model, nor blow up the spread of every future draw."""
    size = np.abs(error)
    loss: NDArray[np.float64] = np.where(size <= cut, error**2, 2 * cut * size - cut**2)
    return loss


def _robust_spread(means: NDArray[np.float64], present: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per series, the spread of one-step changes between blocks from their median absolute
    value (a normal's standard deviation), ignoring a rare jump; inf when it is 0 (no cut)."""
    out = np.full(means.shape[0], np.inf)
    for i, (row, seen) in enumerate(zip(means, present, strict=True)):
        changes = np.diff(row[seen])
        if changes.size:
            spread = 1.4826 * float(np.median(np.abs(changes - np.median(changes))))
            out[i] = spread if spread > 0 else np.inf
    return out


def _start(
    means: NDArray[np.float64], present: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Level and trend to start from: the least-squares line through the first _INIT blocks
    that have a value, at the first of them (the level alone: that block's value)."""
    level = np.full(means.shape[0], np.nan)
    trend = np.zeros(means.shape[0])
    for i, (row, seen) in enumerate(zip(means, present, strict=True)):
        at = np.flatnonzero(seen)[:_INIT]
        if at.size == 0:
            continue
        level[i] = row[at[0]]
        if at.size >= 3:
            slope, intercept = np.polyfit(at.astype(np.float64), row[at], 1)
            trend[i] = slope
            level[i] = intercept + slope * at[0]
    return level, trend


def _change_spread(means: NDArray[np.float64], present: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Root mean square change between consecutive blocks that have a value, per series."""
    out = np.full(means.shape[0], np.nan)
    for i, (row, seen) in enumerate(zip(means, present, strict=True)):
        changes = np.diff(row[seen])
        if changes.size:
            out[i] = math.sqrt(float(np.mean(changes**2)))
    return out


def simulate(
    model: Fit, rows: NDArray[np.intp], draws: int, steps: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Block means of the next `steps` blocks of series `rows`: (rows, draws, steps)."""
    sel = rows
    shape = (sel.size, draws, steps)
    e = rng.standard_normal(shape) * model.sigma[sel, None, None]
    alpha = model.alpha[sel, None, None]
    beta = model.beta[sel, None, None]
    phi = model.phi[sel, None, None]
    h = np.arange(1, steps + 1, dtype=np.float64)
    damped = phi < 1.0
    safe = np.where(damped, phi, 0.5)
    power = safe ** np.arange(steps, dtype=np.float64)  # phi^j, j from 0
    # S(h) = phi + ... + phi^h, the trend's reach h steps ahead
    reach = np.where(damped, safe * (1 - safe * power) / (1 - safe), h)
    path = model.level[sel, None, None] + reach * model.trend[sel, None, None] + e
    inclusive = np.cumsum(e, axis=2)
    before = inclusive - e  # sum of the innovations before step h
    path += alpha * before
    if np.any(beta > 0):
        # sum over j < h of S(h - j) e_j: undamped, the sum of the cumulative sums before h
        straight = np.cumsum(inclusive, axis=2) - inclusive
        scaled = np.cumsum(e / power, axis=2) - e / power
        bent = safe / (1 - safe) * (before - power * scaled)
        path += beta * np.where(damped, bent, straight)
    means = model.kind[sel] == 1
    if np.any(means):
        shift = rng.standard_normal((sel.size, draws, 1)) * model.mean_sd[sel, None, None]
        path += np.where(means[:, None, None], shift, 0.0)
    return path
