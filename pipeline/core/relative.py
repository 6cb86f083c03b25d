"""Relative targets (`<= +10%`, `>= -5`): a bound computed each run from a baseline of earlier
weeks' values (`last_week`, or listed weeks and an aggregate), and what a run compared with."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from pipeline.core.targets import Target, contains

_AMOUNT = r"(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"  # unsigned, as targets.py reads
_RELATIVE = re.compile(rf"^\s*(>=|<=|>|<)\s*([-+])\s*({_AMOUNT})\s*(%)?\s*$")
_SIGNED = re.compile(r"^\s*(>=|<=|==|>|<)\s*[-+]")
_UNSIGNED_PERCENT = re.compile(rf"^\s*(>=|<=|>|<)\s*{_AMOUNT}\s*%\s*$")
REFERENCE = 100.0  # a baseline > 0 to compare two relative targets on (order holds for any > 0)
# A bound is read at 12 significant digits when that only drops float noise (82.5 +10 % is
# 90.75, not 90.75000000000001); a baseline with more digits keeps them (+0 % of 1/3 is 1/3).
SIGNIFICANT = 12
NOISE = 1e-14  # relative: a few units in the last place of a float


class Aggregate(StrEnum):
    """How the values of a baseline's weeks become one."""

    MEDIAN = "median"
    MEAN = "mean"
    MIN = "min"
    MAX = "max"


@dataclass(frozen=True)
class RelativeTarget:
    """`<= +10%` (percent: the baseline times 1 + amount / 100) or `>= -5` (the baseline plus
    the amount), as written."""

    text: str
    op: str  # >=, >, <= or <
    amount: float  # signed
    percent: bool

    def bound(self, baseline: float) -> float:
        """The absolute bound against `baseline`, without float noise (may be non-finite: the
        caller checks)."""
        raw = baseline * (1 + self.amount / 100) if self.percent else baseline + self.amount
        if not math.isfinite(raw):
            return raw
        clean = float(f"{raw:.{SIGNIFICANT}g}") + 0.0  # + 0.0: never -0
        return clean if math.isclose(raw, clean, rel_tol=NOISE) else raw

    def resolve(self, baseline: float) -> Target:
        """The absolute target against `baseline`: `<= 90.75`."""
        bound = self.bound(baseline)
        return Target(f"{self.op} {plain_number(bound)}", self.op, bound, bound)

    def unresolved(self) -> Target:
        """The stand-in of a goal without a baseline: no value meets it (its bound is NaN);
        its text is the relative target as written."""
        return Target(self.text, self.op, math.nan, math.nan)

    def __str__(self) -> str:
        return self.text


def plain_number(value: float) -> str:
    """`90.75`, `100`, `1e+20`: a number as a target's text holds it (reads back exactly)."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def is_relative_syntax(text: str) -> bool:
    """Whether `text` is written as a relative target: a percent, or a signed amount."""
    return "%" in text or bool(_SIGNED.match(text))


def parse_relative(text: str) -> RelativeTarget:
    """Parse `<= +10%`, `>= -5`, `< +5%`, `> -2.5%`; ValueError says what was wrong."""
    match = _RELATIVE.match(text)
    if match is None:
        if _SIGNED.match(text) and text.lstrip().startswith("=="):
            raise ValueError(f"'{text}': a relative target takes >=, >, <= or <, not ==")
        if _UNSIGNED_PERCENT.match(text):
            raise ValueError(
                f"'{text}': give the amount a sign, '+' above the baseline or '-' below it "
                "(like '<= +10%')"
            )
        raise ValueError(
            f"cannot parse '{text}' as a relative target (expected an operator and a signed "
            "amount, optionally a percent: '<= +10%', '>= -5', '< +5%')"
        )
    op, sign, number, percent = match.groups()
    amount = float(sign + number.replace("_", ""))
    if not math.isfinite(amount):
        raise ValueError(f"'{text}': the amount must be a finite number")
    return RelativeTarget(text.strip(), op, amount, percent is not None)


def warning_problem(warning: RelativeTarget, target: RelativeTarget) -> str | None:
    """Why a relative warning cannot widen a relative target whatever the baseline (both
    percents or both amounts, and holding every value that meets the target), or None."""
    if warning.percent != target.percent:
        return (
            f"'{warning.text}' and the target '{target.text}' must both be percents or both "
            "amounts (then the warning holds the target whatever the baseline)"
        )
    if not contains(warning.resolve(REFERENCE), target.resolve(REFERENCE)):
        return (
            f"'{warning.text}' does not contain the target '{target.text}' (the warning must "
            "hold every value that meets the target)"
        )
    return None


@dataclass(frozen=True)
class BaselineRule:
    """Which earlier weeks a relative goal compares with: the latest one (`last_week`), or the
    listed `weeks` reduced by `aggregate`."""

    weeks: tuple[int, ...] = ()  # empty: last_week
    aggregate: Aggregate = Aggregate.MEDIAN

    @property
    def last_week(self) -> bool:
        """`baseline: last_week`."""
        return not self.weeks


@dataclass(frozen=True)
class Relative:
    """A goal's relative target and warning (None: no warning) and its baseline rule."""

    target: RelativeTarget
    warning: RelativeTarget | None
    baseline: BaselineRule


@dataclass(frozen=True)
class Invalidation:
    """A week left out of every baseline (`history invalidate`): why, and when it was said."""

    week: int
    reason: str  # the user's text, shown as text only
    at: str  # ISO 8601


@dataclass(frozen=True)
class LeftOut:
    """A week the baseline could not use, and why: invalidated (the user's reason), not before
    the reported week (`later`), or else no value recorded."""

    week: int
    invalidated: str | None = None  # the reason given to `history invalidate`
    later: bool = False


class Lack(StrEnum):
    """Why a relative goal has no bound in a run (it is then no_data)."""

    NO_WEEK = "no_week"  # no week it may use has a recorded value
    NOT_POSITIVE = "not_positive"  # a percent of a baseline <= 0
    NOT_FINITE = "not_finite"  # the baseline or a bound is not a finite number
    NO_HISTORY = "no_history"  # the history could not be read (a dry run)


@dataclass(frozen=True)
class Baseline:
    """What a relative goal was compared with in a run: the weeks and their value and the bound
    it gave, or why there is none (`lack`)."""

    relative: Relative
    week: int  # the week it is the baseline of (the reported week)
    weeks: tuple[int, ...]  # the weeks whose values made the baseline, oldest first
    value: float | None
    bound: float | None  # the target's bound; None when there is none
    left_out: tuple[LeftOut, ...] = ()  # the weeks it passed over, or could not use
    lack: Lack | None = None
    problem: str | None = None  # with NO_HISTORY: why the history could not be read

    @property
    def resolved(self) -> bool:
        """Whether the goal has a bound to be judged against."""
        return self.lack is None
