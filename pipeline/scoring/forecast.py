"""Where a goal's aggregate will stand at a horizon (the week's or the sprint's end), with odds.

Each series of the goal is fitted on its samples so far (pipeline/scoring/ets.py: exponential
smoothing, chosen per series by AICc, on the samples less their daily profile when the days
show one, pipeline/scoring/season.py; a series that holds and jumps draws its jumps as seen,
pipeline/scoring/jumps.py), and DRAWS futures of the rest of the window are simulated (past
the week in progress, shifted by the goal's week-to-week changes, pipeline/scoring/weekly.py);
the goal's own aggregate over observed plus simulated samples gives each draw's value per
series (pipeline/scoring/draws.py), the worst series decides the draw, as in score_goal, and
the draws give the odds of met / at risk / missed and the value's p10, p50 and p90. The draws
are kept (GoalForecast.draws) to push through scoring for agents and sprints.

Draws are seeded from the data (never the clock): the same samples give the same forecast.
Known bounds hold: draws stay >= 0 when every sample seen is (counts), and within 0..100 for a
goal in % whose samples are. A series without two blocks that have a value has no forecast
and is left out; a goal none of whose series has one has none (None), nor has a window with
nothing left to simulate.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from pipeline.core.model import GoalOdds, Labels, QueryResult, Window
from pipeline.core.outcomes import Status
from pipeline.core.settings import GoalSpec
from pipeline.scoring import ets, jumps, season
from pipeline.scoring.draws import STATUS_CODES, reduce_draws, worst_of_draws
from pipeline.scoring.weekly import Drift

DRAWS = 500
_CHUNK = 64  # series simulated at once (memory: chunk x draws x steps floats)


@dataclass(frozen=True, eq=False)
class GoalDraws:
    """Each draw's outcome: the worst series' status (draws.STATUS_CODES), value and labels."""

    codes: NDArray[np.int8]
    values: NDArray[np.float64]
    worst: tuple[Labels, ...]  # per draw


@dataclass(frozen=True)
class GoalForecast(GoalOdds):
    """A goal's odds with the draws they came from (for agents' and the sprint's odds) and the
    chart's band."""

    draws: GoalDraws = field(compare=False, repr=False, kw_only=True)
    band: Band | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, eq=False)
class Band:
    """Where the series that is most often the worst is heading: the p10 and p90 of its
    simulated level (block means) at each simulated block's middle, in grid steps after the
    last observed point (a chart turns them into times)."""

    labels: Labels
    steps: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


def remaining_steps(window: Window, horizon: datetime) -> int:
    """Grid points after the window's last one (as of its end) up to `horizon` (excluded)."""
    end = math.ceil((horizon.timestamp() - window.first_ts) / window.step_s)
    return max(0, end - window.expected)


def on_grid(result: QueryResult, window: Window) -> tuple[tuple[Labels, ...], NDArray[np.float64]]:
    """The series' samples on the window's grid so far (series x window.expected, NaN missing),
    sorted by labels; a sample off the grid or at or after the window's end is not seen."""
    rows = sorted(result.series, key=lambda s: s.labels)
    grid = np.full((len(rows), window.expected), np.nan)
    for i, series in enumerate(rows):
        index = np.rint((series.timestamps - window.first_ts) / window.step_s).astype(np.int64)
        keep = (index >= 0) & (index < window.expected)
        keep &= series.timestamps < window.end.timestamp()
        grid[i, index[keep]] = series.values[keep]
    return tuple(s.labels for s in rows), grid


def forecast_goal(
    spec: GoalSpec,
    result: QueryResult,
    window: Window,
    horizon: datetime,
    draws: int = DRAWS,
) -> GoalForecast | None:
    """The goal's forecast at `horizon` from the query result of `window` (None: nothing to
    forecast: an error, no series, or a window already at the horizon)."""
    if result.error is not None or not result.series:
        return None
    labels, grid = on_grid(result, window)
    remaining = remaining_steps(window, horizon)
    return forecast_samples(spec, labels, grid, remaining, horizon, draws, period=day_steps(window))


def day_steps(window: Window) -> int:
    """Grid points in a day, for the daily profile (0: the step does not divide a day)."""
    return int(86400 // window.step_s) if 86400 % window.step_s == 0 else 0


def forecast_samples(
    spec: GoalSpec,
    labels: Sequence[Labels],
    observed: NDArray[np.float64],
    remaining: int,
    at: datetime,
    draws: int = DRAWS,
    skip: int = 0,
    period: int = 0,
    shift: Drift | None = None,
) -> GoalForecast | None:
    """The forecast from `observed` (series x grid points so far, in score_goal's label order,
    NaN missing) with `remaining` grid points to simulate up to `at`.

    `skip` > 0: the horizon is a later week's end; the aggregate is over the last
    `remaining - skip` simulated grid points only (that week's), not over what was observed.
    `period`: grid points in a day, for a daily profile (pipeline/scoring/season.py; 0: none).
    `shift`: how far the goal may move by the horizon's week beyond the week's own dynamics
    (pipeline/scoring/weekly.py), added to every series' blocks in that week.
    """
    if remaining - skip <= 0 or observed.shape[0] == 0 or observed.shape[1] == 0:
        return None
    steppy = jumps.step_rows(observed)
    profile = season.daily_profile(observed, period)
    if profile is not None:
        profile[steppy] = 0.0
        observed_flat = observed - season.at(profile, 0, observed.shape[1])
    else:
        observed_flat = observed
    block = ets.block_size(observed.shape[1], remaining)
    blocks = ets.to_blocks(observed_flat, block)
    steps = math.ceil(remaining / block)
    model = ets.fit(blocks.means)
    fitted = np.flatnonzero((model.kind > 0) | steppy)
    if fitted.size == 0:
        return None
    # simulated by model, so that a chunk without a trend skips the trend's algebra
    rows = fitted[np.argsort(model.kind[fitted], kind="stable")]
    starts = np.arange(steps, dtype=np.int64) * block
    ends = np.minimum(starts + block, remaining)
    weights = ends - np.maximum(starts, skip)  # grid points of each block in the horizon's week
    counted = weights > 0
    weights = weights[counted]
    shape = _block_profile(profile, observed, starts, ends)
    seen = observed if skip == 0 else np.empty((observed.shape[0], 0))
    seed = _seed(spec, observed, remaining, draws)
    rng = np.random.default_rng(seed)
    low, high = _bounds(spec, observed)
    moved = np.zeros((draws, steps))
    if shift is not None:
        moved[:, ends > skip] = shift.draw(draws, rng)[:, None]

    def level_of(
        row: int, path: NDArray[np.float64], gen: np.random.Generator
    ) -> NDArray[np.float64]:
        """A series' simulated block levels (draws x blocks): jumps for a step series, else
        its smoothing path and daily profile; then the week-to-week shift."""
        base = jumps.simulate(observed[row], ends, draws, gen) if steppy[row] else path + shape[row]
        level: NDArray[np.float64] = base + moved
        return level

    values = np.empty((rows.size, draws))
    for start in range(0, rows.size, _CHUNK):
        chunk = rows[start : start + _CHUNK]
        paths = ets.simulate(model, chunk, draws, steps, rng)
        for j, row in enumerate(chunk):
            level = level_of(int(row), paths[j], rng)
            if steppy[row]:
                samples = level.copy()
            else:
                samples = _samples(spec.aggregate, level, blocks, int(row), rng)
            np.clip(samples, low, high, out=samples)
            values[start + j] = reduce_draws(
                seen[row], samples[:, counted], weights, spec.aggregate, spec.sample_target
            )
    order = np.argsort(rows, kind="stable")  # back to label order
    rows, values = rows[order], values[order]
    codes, worst_values, worst = worst_of_draws(spec, values)
    # the band: the series most often the worst, drawn again for its quantiles (the draws
    # above are not kept per series: 1,000 series would hold 250 MB)
    shown = int(rows[np.bincount(worst, minlength=rows.size).argmax()])
    again = np.random.default_rng([seed, shown])
    path = ets.simulate(model, np.array([shown]), draws, steps, again)[0]
    spread = np.quantile(np.clip(level_of(shown, path, again), low, high), (0.1, 0.9), axis=0)
    band = Band(labels=labels[shown], steps=(starts + ends) / 2.0, low=spread[0], high=spread[1])
    met, at_risk, missed = (float(np.mean(codes == c)) for c in range(len(STATUS_CODES)))
    p10, p50, p90 = _quantiles(worst_values, (0.1, 0.5, 0.9))
    return GoalForecast(
        at=at,
        p_met=met,
        p_at_risk=at_risk,
        p_missed=missed,
        p10=p10,
        p50=p50,
        p90=p90,
        method=_method(model, rows, steppy, profile, block, draws),
        draws=GoalDraws(codes, worst_values, tuple(labels[rows[w]] for w in worst)),
        band=band,
    )


def _samples(
    aggregate: str,
    paths: NDArray[np.float64],
    blocks: ets.Blocks,
    row: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """A block's simulated samples for `aggregate`: its mean for `mean` (a block's samples
    average to it exactly), its highest or lowest sample for `max`/`min`, and one sample drawn
    (mean plus a deviation seen) for the rest, standing for the whole block."""
    if aggregate == "mean" or blocks.block == 1:
        return paths.copy()
    pool = {"max": blocks.highs[row], "min": blocks.lows[row]}.get(aggregate)
    if pool is None or pool.size == 0:
        pool = blocks.deviations[row]
    if pool.size == 0:
        return paths.copy()
    return paths + pool[rng.integers(0, pool.size, paths.shape)]


def _quantiles(values: NDArray[np.float64], qs: tuple[float, ...]) -> tuple[float, ...]:
    """numpy's linear quantiles, except as score._quantile: where they are NaN between equal
    "lower" and "higher" values (every draw +Inf: a max that has seen +Inf), that value."""
    with np.errstate(invalid="ignore"):
        linear = np.quantile(values, qs)
    lower = np.quantile(values, qs, method="lower")
    higher = np.quantile(values, qs, method="higher")
    kept = np.where(np.isnan(linear) & (lower == higher), lower, linear)
    return tuple(float(v) for v in kept)


def _bounds(spec: GoalSpec, observed: NDArray[np.float64]) -> tuple[float, float]:
    """Counts (every sample seen >= 0) stay >= 0; a % goal's samples seen within 0..100 stay."""
    seen = observed[~np.isnan(observed)]
    low = 0.0 if seen.size and bool(np.all(seen >= 0)) else -math.inf
    high = 100.0 if spec.unit == "%" and seen.size and bool(np.all(seen <= 100)) else math.inf
    return low, high


def _seed(spec: GoalSpec, observed: NDArray[np.float64], remaining: int, draws: int) -> int:
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{spec.id}|{spec.aggregate}|{remaining}|{draws}|{observed.shape}".encode())
    digest.update(np.ascontiguousarray(observed, dtype=np.float64).tobytes())
    return int.from_bytes(digest.digest(), "big")


def _block_profile(
    profile: NDArray[np.float64] | None,
    observed: NDArray[np.float64],
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
) -> NDArray[np.float64]:
    """The daily profile's mean over each simulated block (series x blocks; 0 without one)."""
    series, seen = observed.shape
    if profile is None:
        return np.zeros((series, starts.size))
    ahead = season.at(profile, seen, int(ends[-1]))
    return np.stack([ahead[:, a:b].mean(axis=1) for a, b in zip(starts, ends, strict=True)], axis=1)


def _method(
    model: ets.Fit,
    rows: NDArray[np.intp],
    steppy: NDArray[np.bool_],
    profile: NDArray[np.float64] | None,
    block: int,
    draws: int,
) -> str:
    """`ets(level 3, trend 1; daily 2; steps 1) on 5-step blocks, 500 draws`: the models chosen,
    by series (daily: with a daily profile; steps: jumps drawn as seen)."""
    smooth = rows[~steppy[rows]]
    kinds = np.bincount(model.kind[smooth], minlength=len(ets.KINDS))
    parts = [
        ", ".join(
            f"{name} {n}" for name, n in zip(ets.KINDS, kinds, strict=True) if n and name != "none"
        )
    ]
    daily = 0 if profile is None else int(np.count_nonzero(profile[smooth].any(axis=1)))
    parts += [f"daily {daily}"] if daily else []
    parts += [f"steps {int(steppy[rows].sum())}"] if steppy[rows].any() else []
    return f"ets({'; '.join(p for p in parts if p)}) on {block}-step blocks, {draws} draws"


def status_of(code: int) -> Status:
    """The Status of a draw's code."""
    return STATUS_CODES[code]


def brier(predicted: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mean squared error of probabilities against what happened (0 is perfect, 0.25 a coin)."""
    if len(predicted) != len(outcomes) or not predicted:
        raise ValueError("brier needs as many outcomes as predictions, and at least one")
    p = np.asarray(predicted, dtype=np.float64)
    o = np.asarray(outcomes, dtype=np.float64)
    return float(np.mean((p - o) ** 2))


@dataclass(frozen=True)
class ReliabilityBin:
    """Predictions in [low, high) (the last bin includes 1): how many, their mean, and how
    often the event happened (None for an empty bin)."""

    low: float
    high: float
    count: int
    predicted: float | None
    observed: float | None


def reliability(
    predicted: Sequence[float], outcomes: Sequence[bool], bins: int = 10
) -> tuple[ReliabilityBin, ...]:
    """The reliability table: predicted-probability bins against observed frequency."""
    if len(predicted) != len(outcomes):
        raise ValueError("reliability needs as many outcomes as predictions")
    p = np.asarray(predicted, dtype=np.float64)
    o = np.asarray(outcomes, dtype=np.float64)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    table = []
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        table.append(
            ReliabilityBin(
                low=b / bins,
                high=(b + 1) / bins,
                count=count,
                predicted=float(p[inside].mean()) if count else None,
                observed=float(o[inside].mean()) if count else None,
            )
        )
    return tuple(table)
