"""The alerts of one goal, by family (docs/operations.md, "Alert rules"):

- weekly: `<Goal>Missed` / `<Goal>AtRisk` judge the goal's aggregate over the last week, as the
  report does; `<Goal>NoData` when the week has no sample and `no_data: fail` counts that as
  missed; `<Goal>Slipping` (info) when a met goal lost half its margin to the target in a week;
- forecast: `<Goal>LikelyToMiss` when the last run's forecast gives it under an even chance of
  being met at the week's end;
- realtime (opt-in, `rules.realtime`): `<Goal>RealtimeMissed` / `<Goal>RealtimeAtRisk` on the
  query's current value, with `for` and `keep_firing_for` so a sustained breach is one alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.core.settings import GoalSpec, Rules
from pipeline.generate import promql
from pipeline.generate.rulemodel import VALUE, AlertingRule, Severity, alert_name, literal
from pipeline.generate.rulemodel import with_unit as _with_unit
from pipeline.generate.windows import described

LIKELY_BELOW = 0.5  # `<Goal>LikelyToMiss`: the forecast's chance of meeting it by the week's end
P_MET = "sprint_convergence_goal_p_met"
LAST_SUCCESS = "sprint_convergence_last_success_timestamp_seconds"
TARGET = "sprint_convergence_goal_target"
_GROWS = {">=": True, ">": True, "<=": False, "<": False}  # the side of a one-sided target


@dataclass(frozen=True)
class Goal:
    """One goal as its alerts see it: the labels every one carries, and where they read it."""

    spec: GoalSpec
    labels: Mapping[str, str]
    settings: Rules
    window: str  # the sprint's week as a Prometheus duration
    week: str  # the goal's aggregate over the last week, atomic (recorded, or computed)
    week_before: str  # the same, a week earlier
    absent: str  # returns a series when the goal had no sample over the last week

    @property
    def for_(self) -> str:
        return self.spec.rules_for or self.settings.for_

    def alert(
        self,
        state: str,
        expr: str,
        severity: Severity,
        texts: tuple[str, str],
        keep_firing_for: str = "",
    ) -> AlertingRule:
        """One alert; `texts` are its summary (a template) and its description (plain)."""
        summary, description = texts
        annotations = {"summary": summary, "description": literal(description)}
        if self.settings.runbook_url:
            annotations["runbook_url"] = literal(self.settings.runbook_url)
        labels = {**self.labels, "severity": str(severity)}
        return AlertingRule(
            alert_name(self.spec.id, state), expr, self.for_, labels, annotations, keep_firing_for
        )


@dataclass(frozen=True)
class Judged:
    """A value expression judged against the goal: when it is missed, and at risk."""

    state: str  # "Missed" or "AtRisk"
    expr: str
    where: str  # "outside the target ..." in words


def judged(spec: GoalSpec, value: str, sprint: str) -> list[Judged]:
    """`value` (atomic) outside the target: `AtRisk` (the goal is not met, missed included),
    and `Missed` when it is outside the warning too. AtRisk holds through a missed spell, so a
    value that wavers between at risk and missed does not make it flap; Alertmanager's inhibit
    rule (`rules --alertmanager`) silences it while the goal's Missed fires.

    A comparison with NaN is false, so a NaN value raises no alert (the report ignores NaN).
    A relative target is judged against the bounds the latest run of `sprint` pushed."""
    if spec.relative is not None:
        return _judged_relative(spec, value, sprint)
    target, warning = spec.target, spec.warning
    if warning is None:
        return [Judged("Missed", promql.outside(value, target), f"outside the target {target}")]
    if promql.contains(warning, target):
        missed = promql.outside(value, warning)
    else:
        missed = f"({promql.outside(value, target)}) and ({promql.outside(value, warning)})"
    return [
        Judged(
            "AtRisk",
            promql.outside(value, target),
            f"outside the target {target} (at risk, or missed when also outside the warning "
            f"{warning})",
        ),
        Judged("Missed", missed, f"outside both the target {target} and the warning {warning}"),
    ]


def latest_run(sprint: str) -> str:
    """The latest successful run's `sprint_convergence_last_success_timestamp_seconds` (one
    series, with its `week`): `and on (sprint, week)` it keeps what that run pushed."""
    this = f"{LAST_SUCCESS}{{sprint={promql.string(sprint)}}}"
    return f"{this} == on (sprint) group_left () max by (sprint) ({this})"


def pushed_bound(sprint: str, goal_id: str, bound: str) -> str:
    """The `bound` (target_max, warning_min, ...) of `goal_target` that the latest run pushed,
    as a scalar: a relative target's bound is resolved by each run. NaN when it pushed none (no
    baseline yet, or no run), and a comparison with NaN raises no alert."""
    labels = ",".join(
        f"{k}={promql.string(v)}"
        for k, v in (("sprint", sprint), ("goal", goal_id), ("bound", bound))
    )
    return f"scalar(max({TARGET}{{{labels}}} and on (sprint, week) ({latest_run(sprint)})))"


def _judged_relative(spec: GoalSpec, value: str, sprint: str) -> list[Judged]:
    """A relative target's (and warning's) one-sided bound, as the latest run resolved it."""
    relative = spec.relative
    assert relative is not None

    def outside(kind: str, op: str) -> str:
        end = "max" if op in ("<", "<=") else "min"
        return promql.outside_bound(value, op, pushed_bound(sprint, spec.id, f"{kind}_{end}"))

    pushed = "as the latest run computed it from its baseline (sprint_convergence_goal_target)"
    target, warning = relative.target, relative.warning
    missed_target = outside("target", target.op)
    if warning is None:
        return [Judged("Missed", missed_target, f"outside the target {target}, {pushed}")]
    return [
        Judged(
            "AtRisk",
            missed_target,
            f"outside the target {target} (at risk, or missed when also outside the warning "
            f"{warning}), {pushed}",
        ),
        Judged(
            "Missed",
            outside("warning", warning.op),
            f"outside both the target {target} and the warning {warning}, {pushed}",
        ),
    ]


def _severity(spec: GoalSpec, state: str) -> Severity:
    return Severity.CRITICAL if state == "Missed" or spec.key else Severity.WARNING


def _bounds(spec: GoalSpec) -> str:
    return f"target {spec.target}" + (f", warning {spec.warning}" if spec.warning else "")


def weekly_alerts(goal: Goal, no_data_fails: bool) -> list[AlertingRule]:
    """The alerts that judge what the report judges: the week's aggregate."""
    spec = goal.spec
    value = goal.week
    shown = _with_unit(VALUE, literal(spec.unit))
    name, bounds = literal(spec.name), literal(_bounds(spec))
    judging = described(spec, goal.window)
    alerts = [
        goal.alert(
            j.state,
            j.expr,
            _severity(spec, j.state),
            (
                f"{name} {'missed' if j.state == 'Missed' else 'not met'} over the last "
                f"{goal.window}: {shown} ({bounds})",
                f"The goal's value, {judging}, is {j.where}.",
            ),
            goal.settings.keep_firing_for,
        )
        for j in judged(spec, value, goal.labels["sprint"])
    ]
    if no_data_fails:
        alerts.append(
            goal.alert(
                "NoData",
                goal.absent,
                Severity.CRITICAL,
                (
                    f"{name}: no data over the last {goal.window}",
                    f"{spec.query} returned no sample over the last {goal.window}; the report "
                    "counts a goal without data as missed (scoring.no_data: fail).",
                ),
            )
        )
    slipping = _slipping(goal, value)
    return alerts if slipping is None else [*alerts, slipping]


def _slipping(goal: Goal, value: str) -> AlertingRule | None:
    """`<Goal>Slipping` (info): met, but half its margin to a one-sided target gone in a week."""
    spec = goal.spec
    target = spec.target
    if target.op not in _GROWS or spec.relative is not None:  # its bound moves every week
        return None
    before = goal.week_before
    bound = promql.number(target.low)
    if _GROWS[target.op]:
        margin, margin_before = f"({value} - {bound})", f"({before} - {bound})"
    else:
        margin, margin_before = f"({bound} - {value})", f"({bound} - {before})"
    expr = f"{promql.inside(value, target)} and {margin} < 0.5 * {margin_before}"
    shown = _with_unit(VALUE, literal(spec.unit))
    return goal.alert(
        "Slipping",
        expr,
        Severity.INFO,
        (
            f"{literal(spec.name)} slipping: {shown}, still {literal(str(target))}",
            f"The goal is met, but {described(spec, goal.window)} lost more than half of its "
            f"margin to the target {target} since the same window a week earlier.",
        ),
    )


def likely_to_miss(goal: Goal, sprint: str) -> AlertingRule:
    """`<Goal>LikelyToMiss` (warning), from the forecast the last successful run pushed."""
    spec = goal.spec
    this = f"sprint={promql.string(sprint)}"
    chance = f'{P_MET}{{{this},goal={promql.string(spec.id)},horizon="week_end"}}'
    return goal.alert(
        "LikelyToMiss",
        f"{chance} < {promql.number(LIKELY_BELOW)} and on (sprint, week) ({latest_run(sprint)})",
        Severity.WARNING,
        (
            f"{literal(spec.name)} likely to miss by the week's end: "
            + "{{ $value | humanizePercentage }} chance of meeting "
            + literal(str(spec.target)),
            "The forecast of the last successful run (sprint_convergence_goal_p_met, "
            f"horizon week_end) gives the goal less than a {LIKELY_BELOW:.0%} chance of being "
            "met when the week in progress ends.",
        ),
    )


def realtime_alerts(goal: Goal, value: str) -> list[AlertingRule]:
    """Guards on the query's current value (`value`, atomic): opt-in, `rules.realtime`.

    A compliance goal's target counts samples, so its guard is on each sample's own target."""
    spec = goal.spec
    keep = goal.settings.keep_firing_for
    shown = _with_unit(VALUE, literal(spec.unit))
    note = (
        f"for {goal.for_}. This guard judges the query's current value; the weekly alerts and "
        "the report judge the week's aggregate."
    )
    if spec.sample_target is not None:
        where = f"outside the samples' target {spec.sample_target}"
        return [
            goal.alert(
                "RealtimeAtRisk",
                promql.outside(value, spec.sample_target),
                Severity.CRITICAL if spec.key else Severity.WARNING,
                (
                    f"{literal(spec.name)} now: {shown}, {literal(where)}",
                    f"{spec.query} has been {where} {note}",
                ),
                keep,
            )
        ]
    return [
        goal.alert(
            "Realtime" + j.state,
            j.expr,
            _severity(spec, j.state),
            (
                f"{literal(spec.name)} now: {shown} ({literal(_bounds(spec))})",
                f"{spec.query} has been {j.where} {note}",
            ),
            keep,
        )
        for j in judged(spec, value, goal.labels["sprint"])
    ]
