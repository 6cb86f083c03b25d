"""Between weeks: how far a goal's value may move by a later week, from how it moved before.

The samples of the week in progress say how a series moves within a week; they cannot say
what the team ships next week. A forecast that looks past the week in progress adds, per
draw, a shift of the goal's value drawn from its week-to-week changes so far (the earlier
weeks' values and this week's so far, consecutive weeks only): their mean carried over the
weeks ahead, with a spread that grows with them. With a single change, the change itself is
the spread: one week's move is weak evidence that the next is alike. Without an earlier
week there is no shift, and the forecast assumes the week's dynamics go on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pipeline.core.history import Past

Earlier = Mapping[str, Sequence[tuple[int, float]]]  # goal id -> (week, value) before this one


@dataclass(frozen=True)
class Drift:
    """The normal shift of a goal's value by the horizon's week: mean and standard deviation."""

    mean: float
    sd: float

    def draw(self, draws: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """One shift per draw."""
        return self.mean + self.sd * rng.standard_normal(draws)


def earlier_of(past: Past) -> dict[str, tuple[tuple[int, float], ...]]:
    """Each goal's recorded values of earlier weeks (weeks without a value left out)."""
    return {
        goal: tuple((p.week, p.value) for p in points if p.value is not None)
        for goal, points in past.goals.items()
    }


def drift(
    earlier: Sequence[tuple[int, float]], week: int, value: float | None, weeks_ahead: int
) -> Drift | None:
    """The shift `weeks_ahead` weeks after `week`, whose value so far is `value` (None: no
    change known, or nothing ahead)."""
    if value is None or weeks_ahead <= 0:
        return None
    values = {w: v for w, v in earlier if w < week}
    values[week] = value
    changes = [
        b - a
        for (wa, a), (wb, b) in itertools.pairwise(sorted(values.items()))
        if wb == wa + 1 and math.isfinite(a) and math.isfinite(b)
    ]
    if not changes:
        return None
    n = len(changes)
    mean = sum(changes) / n
    # squares as products: `**` raises OverflowError past 1e154, `*` gives inf
    dispersion = sum((c - mean) * (c - mean) for c in changes) / (n - 1) if n > 1 else 0.0
    k = weeks_ahead
    found = Drift(k * mean, math.sqrt(k * dispersion + k * k * (dispersion + mean * mean) / n))
    if not (math.isfinite(found.mean) and math.isfinite(found.sd)):
        return None  # values too large for a float's arithmetic: no shift known
    return found
