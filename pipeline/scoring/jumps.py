"""Step series for the forecast: a value that holds, then jumps (pilots signed, a share of flags).

Smoothing models read such a series as a level with Gaussian noise: a count that sits on its
target then has even odds of falling below it, though it never moved down. Here the next
jumps are drawn as the series made them: how many, a Poisson count at a rate drawn from its
posterior (Gamma, from the jumps seen over the samples seen; Jeffreys' prior), and how large,
each one of the jumps seen (a bootstrap), its sign turned with probability 1 / (2 (n + 1))
after n jumps seen: one jump down is weak evidence that the next goes down too, ten are
strong (a count that only rose keeps rising). A series that never moved stays where it is.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MAX_LEVELS = 16  # distinct values a step series shows at most
MAX_CHANGE_SHARE = 0.02  # ... and the share of its consecutive samples that differ, at most


def step_rows(values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which series (rows; NaN: missing) hold still, with a few distinct values."""
    count = values.shape[1]
    finite = np.isfinite(values)
    last_seen = np.maximum.accumulate(np.where(finite, np.arange(count), -1), axis=1)
    filled = np.take_along_axis(values, np.maximum(last_seen, 0), axis=1)  # NaN: carried over
    pairs = finite[:, 1:] & (last_seen[:, :-1] >= 0)  # a sample with one seen before it
    changed = (filled[:, 1:] != filled[:, :-1]) & pairs
    n = pairs.sum(axis=1)
    found: NDArray[np.bool_] = (n > 0) & (changed.sum(axis=1) <= MAX_CHANGE_SHARE * n)
    for row in np.flatnonzero(found):  # few rows: the distinct values of those only
        found[row] = np.unique(values[row][finite[row]]).size <= MAX_LEVELS
    return found


def simulate(
    row: NDArray[np.float64], ends: NDArray[np.int64], draws: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """The value at each of `ends` (grid points after the last seen, increasing) per draw:
    draws x ends.size."""
    seen = row[np.isfinite(row)]
    changes = np.diff(seen)
    sizes = changes[changes != 0]
    path = np.full((draws, ends.size), seen[-1])
    if sizes.size == 0:
        return path
    rate = rng.gamma(sizes.size + 0.5, 1.0 / changes.size, draws)  # per grid step
    spans = np.diff(ends, prepend=0).astype(np.float64)
    counts = rng.poisson(rate[:, None] * spans[None, :])
    most = int(counts.max())
    if most == 0:
        return path
    drawn = rng.choice(sizes, (draws, ends.size, most))
    turned = rng.random(drawn.shape) < 0.5 / (sizes.size + 1)
    drawn[turned] *= -1.0
    drawn[np.arange(most)[None, None, :] >= counts[:, :, None]] = 0.0
    path += np.cumsum(drawn.sum(axis=2), axis=1)
    return path
