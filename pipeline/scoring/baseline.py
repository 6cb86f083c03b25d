"""Relative targets resolved for one run: each relative goal's baseline from the earlier weeks'
recorded values (invalidated weeks left out), and the absolute target it gives, which then
drives scoring, the forecast, charts, metrics and every output unchanged.

`last_week` is the latest week before the reported one that has a recorded value and is not
invalidated (normally the week before; the weeks passed over are named). Listed weeks use
those before the reported one, reduced by the aggregate. No usable week, a percent of a
baseline that is not above 0, or a bound that is not a finite number: no bound, and the goal
is no_data with that reason (its value is still recorded, so a later week has a baseline).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pipeline.core.history import Past
from pipeline.core.relative import Aggregate, Baseline, Lack, LeftOut, Relative, plain_number
from pipeline.core.settings import GoalSpec
from pipeline.scoring.weekly import Earlier, earlier_of


@dataclass(frozen=True)
class Record:
    """What baselines read of earlier weeks: each goal's recorded values (finite ones only,
    the latest run of each week) and the weeks left out of baselines, with their reasons."""

    values: Earlier = field(default_factory=dict)
    invalidated: Mapping[int, str] = field(default_factory=dict)
    unreadable: str | None = None  # why the history could not be read (a dry run's)


def record_of(past: Past, earlier: Earlier | None = None) -> Record:
    """The record of `past`; `earlier` (a backtest's values) instead of its values if given."""
    values = earlier if earlier is not None else earlier_of(past)
    return Record(values, {i.week: i.reason for i in past.invalidated})


@dataclass(frozen=True)
class Resolved:
    """The goals of a run with their targets resolved, and each relative goal's baseline."""

    goals: tuple[GoalSpec, ...]
    baselines: Mapping[str, Baseline]


def resolve_goals(goals: Sequence[GoalSpec], week: int, record: Record) -> Resolved:
    """Every goal of week `week`: absolute ones as they are, relative ones resolved (one
    without a bound keeps its stand-in targets, which nothing meets)."""
    specs, baselines = [], {}
    for spec in goals:
        if spec.relative is None:
            specs.append(spec)
            continue
        baseline = baseline_of(spec, week, record)
        baselines[spec.id] = baseline
        if not baseline.resolved:
            specs.append(spec)
            continue
        assert baseline.value is not None
        relative = spec.relative
        warning = relative.warning.resolve(baseline.value) if relative.warning else None
        specs.append(replace(spec, target=relative.target.resolve(baseline.value), warning=warning))
    return Resolved(tuple(specs), baselines)


def baseline_of(spec: GoalSpec, week: int, record: Record) -> Baseline:
    """Goal `spec`'s baseline in week `week` (its `lack` says why it has no bound)."""
    relative = spec.relative
    assert relative is not None
    if record.unreadable is not None:
        return Baseline(relative, week, (), None, None, (), Lack.NO_HISTORY, record.unreadable)
    values = dict(record.values.get(spec.id, ()))
    used, left_out = _weeks(relative, week, values, record.invalidated)
    if not used:
        return Baseline(relative, week, (), None, None, left_out, Lack.NO_WEEK)
    value = _aggregate([values[w] for w in used], relative.baseline.aggregate)
    lacking = Baseline(relative, week, used, value, None, left_out, Lack.NOT_FINITE)
    if not math.isfinite(value):
        return lacking
    if relative.target.percent and value <= 0:
        return replace(lacking, lack=Lack.NOT_POSITIVE)
    bounds = [relative.target.bound(value)]
    if relative.warning is not None:
        bounds.append(relative.warning.bound(value))
    if not all(math.isfinite(b) for b in bounds):
        return lacking
    return Baseline(relative, week, used, value, bounds[0], left_out)


def _weeks(
    relative: Relative, week: int, values: Mapping[int, float], invalidated: Mapping[int, str]
) -> tuple[tuple[int, ...], tuple[LeftOut, ...]]:
    """The weeks the baseline uses (oldest first), and those it passed over or lacked."""
    left_out: list[LeftOut] = []

    def usable(w: int) -> bool:
        if w >= week:
            left_out.append(LeftOut(w, None, later=True))
        elif w in invalidated:
            left_out.append(LeftOut(w, invalidated[w]))
        elif w not in values:
            left_out.append(LeftOut(w, None))
        else:
            return True
        return False

    if relative.baseline.last_week:
        for w in range(week - 1, 0, -1):
            if usable(w):
                return (w,), tuple(left_out)
        return (), tuple(left_out)
    used = tuple(w for w in sorted(relative.baseline.weeks) if usable(w))
    return used, tuple(left_out)


def _aggregate(values: Sequence[float], how: Aggregate) -> float:
    if how is Aggregate.MIN:
        return min(values)
    if how is Aggregate.MAX:
        return max(values)
    if how is Aggregate.MEDIAN:
        return statistics.median(values)
    try:
        return math.fsum(values) / len(values)
    except OverflowError:  # values near the float's limit: not finite, said so, not raised
        return math.inf


Number = Callable[[float], str]


def weeks_text(weeks: Sequence[int]) -> str:
    """`week 2`, `weeks 1 and 2`, `weeks 1, 2 and 4`."""
    names = [str(w) for w in weeks]
    if len(names) == 1:
        return f"week {names[0]}"
    return f"weeks {', '.join(names[:-1])} and {names[-1]}"


def left_out_text(left_out: Sequence[LeftOut], week: int) -> str:
    """`week 3 is left out of baselines, week 2 has no recorded value`."""
    parts = []
    ordered = sorted(left_out, key=lambda x: x.week)
    invalid = [x.week for x in ordered if x.invalidated is not None]
    missing = [x.week for x in ordered if x.invalidated is None and not x.later]
    this = [x.week for x in ordered if x.later and x.week == week]
    later = [x.week for x in ordered if x.later and x.week > week]
    if invalid:
        parts.append(f"{weeks_text(invalid)} {_be(invalid)} left out of baselines")
    if missing:
        has = "has" if len(missing) == 1 else "have"
        parts.append(f"{weeks_text(missing)} {has} no recorded value")
    if this:
        parts.append(f"week {week} is this week")
    if later:
        parts.append(f"{weeks_text(later)} {_be(later)} still to come")
    return ", ".join(parts)


def _be(weeks: Sequence[int]) -> str:
    return "is" if len(weeks) == 1 else "are"


def lack_text(baseline: Baseline, number: Number = plain_number) -> str:
    """Why a relative goal has no bound, its no_data message: `no baseline yet: week 2 has no
    recorded value`; numbers written by `number` (the report's, or plain)."""
    lack, week = baseline.lack, baseline.week
    assert lack is not None
    if lack is Lack.NO_HISTORY:
        return f"no baseline: {baseline.problem}"
    if lack is Lack.NO_WEEK:
        if week == 1 and baseline.relative.baseline.last_week:
            return "no baseline yet: week 1 has no week before it"
        return "no baseline yet: " + left_out_text(baseline.left_out, week)
    value = baseline.value
    assert value is not None
    of = f"{weeks_text(baseline.weeks)}'s baseline {number(value)}"
    if lack is Lack.NOT_POSITIVE:
        return (
            f"no bound: {of} is not above 0, and a percent of it gives no bound (an amount, "
            "like '<= +5', does)"
        )
    return f"no bound: {of} gives a bound that is not a finite number"
