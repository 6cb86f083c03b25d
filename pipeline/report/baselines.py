"""What a relative goal was compared with, in words: `92.1 ms against <= 90.75 ms: last week's
82.5 ms +10 %`, the goal table's `<= 90.75 ms (last week +10 %)`, and the weeks left out of
baselines (`Week 2 is left out of baselines: <reason>.`)."""

from __future__ import annotations

from pipeline.core.model import GoalResult, WeekResult
from pipeline.core.relative import Baseline, RelativeTarget
from pipeline.report import formatting as fmt
from pipeline.report.spans import Sentence, message, sentence
from pipeline.scoring.baseline import lack_text, left_out_text, weeks_text


def amount(relative: RelativeTarget, unit: str) -> str:
    """`+10 %`, `-5 ms`, `+2.5`: how far from the baseline the bound lies."""
    sign = "-" if relative.amount < 0 else "+"
    size = fmt.number(abs(relative.amount))
    if relative.percent:
        return f"{sign}{size} %"
    return f"{sign}{size} {unit}" if unit else f"{sign}{size}"


def _source(baseline: Baseline) -> str:
    """`last week`, `week 2`, `the median of weeks 1 and 2`: where the baseline comes from."""
    used = baseline.weeks
    if baseline.relative.baseline.last_week:
        return "last week" if used == (baseline.week - 1,) else weeks_text(used)
    if len(used) == 1:
        return weeks_text(used)
    return f"the {baseline.relative.baseline.aggregate} of {weeks_text(used)}"


def _rule(baseline: Baseline) -> str:
    """`last week's value`, `the median of weeks 1 and 2`: the rule, before any week is known."""
    rule = baseline.relative.baseline
    if rule.last_week:
        return "last week's value"
    if len(rule.weeks) == 1:
        return f"week {rule.weeks[0]}'s value"
    return f"the {rule.aggregate} of {weeks_text(rule.weeks)}"


def target_cell(goal: GoalResult) -> tuple[str, str]:
    """The goal table's target of a relative goal and where it comes from: `<= 90.75 ms`,
    `last week +10 %`; without a baseline `<= +10 %`, `no baseline`."""
    baseline, spec = goal.baseline, goal.spec
    assert baseline is not None
    shift = amount(baseline.relative.target, spec.unit)
    if not baseline.resolved:
        return f"{baseline.relative.target.op} {shift}", "no baseline"
    return fmt.target(spec.target, spec.unit), f"{_source(baseline)} {shift}"


def compared(goal: GoalResult) -> str:
    """The goal details' baseline line: `92.1 ms against <= 90.75 ms: last week's 82.5 ms
    +10 %`, the weeks passed over after it; without a bound, why (`<= +10 % of last week's
    value: no baseline yet: week 1 has no week before it`)."""
    baseline, spec = goal.baseline, goal.spec
    assert baseline is not None
    shift = amount(baseline.relative.target, spec.unit)
    if not baseline.resolved:
        why = lack_text(baseline, lambda v: fmt.quantity(v, spec.unit))
        return f"{baseline.relative.target.op} {shift} of {_rule(baseline)}: {why}"
    assert baseline.value is not None
    value = fmt.goal_quantity(goal.value, spec)
    source = _source(baseline)
    of = f"{source}'s {fmt.quantity(baseline.value, spec.unit)}"
    if source.startswith("the "):
        of = f"{source}, {fmt.quantity(baseline.value, spec.unit)},"
    text = f"{value} against {fmt.target(spec.target, spec.unit)}: {of} {shift}"
    passed = left_out_text(baseline.left_out, baseline.week)  # weeks it could not use
    return f"{text} ({passed})" if passed else text


def lack_note(goal: GoalResult) -> str:
    """Why a relative goal has no bound, numbers as the report writes them."""
    assert goal.baseline is not None
    return lack_text(goal.baseline, lambda v: fmt.quantity(v, goal.spec.unit))


def invalidated_notes(result: WeekResult) -> tuple[Sentence, ...]:
    """`Week 2 is left out of baselines: <reason>.`, for each week up to this one."""
    return tuple(
        sentence(f"Week {i.week} is left out of baselines: ", message(i.reason), ".")
        for i in result.invalidated
    )
