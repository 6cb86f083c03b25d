"""Daily seasonality for the forecast: an additive profile by time of day, when the data shows one.

A series' samples so far are cut into whole days of `period` grid points (the window starts at
a day's start, but any alignment works: the profile is periodic in the grid index), averaged
into about 24 bins a day, and each day's own mean is taken away, so a trend or a level shift
between days does not count as a shape. The profile is the median shape over the days seen.

A profile is used only when the days agree: the bin-to-bin changes of the even days and of
the odd days correlate above MIN_AGREEMENT. Changes, not levels, because two random walks'
levels often correlate by chance, and their changes do not; a diurnal cycle's do, day after
day. It needs MIN_DAYS whole days seen, so a week's first nights have no profile.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.typing import NDArray

MIN_DAYS = 2
MIN_AGREEMENT = 0.5
BINS = 24  # about an hour each


def daily_profile(observed: NDArray[np.float64], period: int) -> NDArray[np.float64] | None:
    """Each series' profile (series x `period`, 0 for a series without one) to add at grid
    index i as profile[:, i % period]; None when no series shows a daily cycle."""
    series, seen = observed.shape
    days = seen // period if period > 0 else 0
    if period < BINS or days < MIN_DAYS:
        return None
    width = math.ceil(period / BINS)
    bins = math.ceil(period / width)
    cut = np.full((series, days, bins * width), np.nan)
    cut[:, :, :period] = observed[:, : days * period].reshape(series, days, period)
    cut[~np.isfinite(cut)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an empty bin or day is NaN
        hours = np.nanmean(cut.reshape(series, days, bins, width), axis=3)
        shape = hours - np.nanmean(hours, axis=2, keepdims=True)
        binned = np.nan_to_num(np.nanmedian(shape, axis=1))
    binned -= binned.mean(axis=1, keepdims=True)
    agree = _agreement(np.diff(hours, axis=2))
    binned[~(agree > MIN_AGREEMENT)] = 0.0
    if not binned.any():
        return None
    return np.repeat(binned, width, axis=1)[:, :period]


def _agreement(changes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per series, the correlation of the mean bin-to-bin changes of even and odd days."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        even = np.nanmean(changes[:, 0::2], axis=1)
        odd = np.nanmean(changes[:, 1::2], axis=1)
    both = np.isfinite(even) & np.isfinite(odd)
    even, odd = np.where(both, even, 0.0), np.where(both, odd, 0.0)
    even -= even.sum(axis=1, keepdims=True) / np.maximum(both.sum(axis=1, keepdims=True), 1)
    odd -= odd.sum(axis=1, keepdims=True) / np.maximum(both.sum(axis=1, keepdims=True), 1)
    even, odd = np.where(both, even, 0.0), np.where(both, odd, 0.0)
    scale = np.sqrt((even**2).sum(axis=1) * (odd**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        found: NDArray[np.float64] = (even * odd).sum(axis=1) / scale
    return np.nan_to_num(found)


def at(profile: NDArray[np.float64], start: int, count: int) -> NDArray[np.float64]:
    """The profile at grid indexes start .. start + count - 1 (series x count)."""
    index = np.arange(start, start + count) % profile.shape[1]
    return profile[:, index]
