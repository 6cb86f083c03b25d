"""Goal targets (`>= X`, `< X`, `A..B`, ...) and Prometheus durations: parsing and checks."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_NUMBER = r"[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_COMPARISON = re.compile(rf"^\s*(>=|<=|==|>|<)\s*({_NUMBER})\s*$")
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Target:
    """A condition a value must meet: a comparison with one bound, or an inclusive range."""

    text: str
    op: str  # one of _OPS, or ".." for a range
    low: float
    high: float

    @property
    def resolved(self) -> bool:
        """False for the stand-in of a relative target without a baseline (core/relative.py):
        its bound is NaN and no value meets it."""
        return not math.isnan(self.low)

    def met(self, value: float) -> bool:
        """Whether `value` meets the condition (NaN never does)."""
        if math.isnan(value):
            return False
        if self.op == "..":
            return self.low <= value <= self.high
        return _OPS[self.op](value, self.low)

    def mask(self, values: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Element-wise `met` over an array (NaN never meets)."""
        if self.op == "..":
            return (values >= self.low) & (values <= self.high)
        compare: Callable[[NDArray[np.float64], float], NDArray[np.bool_]] = _OPS[self.op]  # type: ignore[assignment]
        return compare(values, self.low)

    def margin(self, value: float) -> float:
        """Signed room to the target: > 0 inside it, < 0 short of it; the lowest is the worst.

        `>`/`>=`: value - bound (the lowest value is worst); `<`/`<=`: bound - value (the
        highest); `A..B`: the distance to the nearer end (negative past it); `== X`: minus the
        distance from X, so the farthest is worst. NaN is worse than any value.
        """
        if math.isnan(value):
            return -math.inf
        if self.op in (">", ">="):
            return value - self.low
        if self.op in ("<", "<="):
            return self.low - value
        if self.op == "..":
            return min(value - self.low, self.high - value)
        return -abs(value - self.low)

    def __str__(self) -> str:
        return self.text


def parse_target(text: str) -> Target:
    """Parse `>= X`, `> X`, `<= X`, `< X`, `== X` or `A..B`; ValueError says what was wrong."""
    match = _COMPARISON.match(text)
    if match:
        op, number = match.groups()
        value = float(number.replace("_", ""))
        return Target(text.strip(), op, value, value)
    match = _RANGE.match(text)
    if match:
        low, high = (float(n.replace("_", "")) for n in match.groups())
        if low > high:
            raise ValueError(f"range '{text}' has its low end above its high end")
        return Target(text.strip(), "..", low, high)
    raise ValueError(
        f"cannot parse '{text}' (expected '>= X', '> X', '<= X', '< X', '== X' or 'A..B')"
    )


@dataclass(frozen=True)
class _Interval:
    low: float
    low_closed: bool
    high: float
    high_closed: bool


def _interval(target: Target) -> _Interval:
    op, x = target.op, target.low
    if op == "..":
        return _Interval(target.low, True, target.high, True)
    if op == "==":
        return _Interval(x, True, x, True)
    if op in (">", ">="):
        return _Interval(x, op == ">=", math.inf, False)
    return _Interval(-math.inf, False, x, op == "<=")


def contains(outer: Target, inner: Target) -> bool:
    """Whether every value that meets `inner` also meets `outer`."""
    o, i = _interval(outer), _interval(inner)
    low_ok = o.low < i.low or (o.low == i.low and (o.low_closed or not i.low_closed))
    high_ok = i.high < o.high or (o.high == i.high and (o.high_closed or not i.high_closed))
    return low_ok and high_ok


_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
_DURATION_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def parse_duration(text: str) -> float:
    """Parse a Prometheus duration such as `1m`, `30s` or `1h30m` into seconds."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(f"cannot parse duration '{text}' (expected e.g. '30s', '1m', '1h30m')")
    seconds = sum(
        int(g) * unit for g, unit in zip(match.groups(), _DURATION_UNITS, strict=True) if g
    )
    if seconds <= 0:
        raise ValueError(f"duration '{text}' must be greater than zero")
    return float(seconds)
