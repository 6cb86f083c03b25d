"""`python -m pipeline rules`: Prometheus alerting and recording rules from the goals.

The rule groups are built as data first (frozen values), then dumped as a rule file or wrapped
in a Prometheus Operator `PrometheusRule`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.settings import GoalSpec, Rules, Settings
from pipeline.errors import ConfigError
from pipeline.generate import promql

RECORD_PREFIX = "sprint_convergence:goal_value:"
LAST_SUCCESS = "sprint_convergence_last_success_timestamp_seconds"
STALE_ALERT = "SprintConvergenceRunStale"
VALUE = '{{ printf "%.7g" $value }}'  # 1000000 stays 1000000 (plain $value prints 1e+06)
_TEMPLATE_BRACES = re.compile(r"\{\{|\}\}")


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"record": self.record, "expr": self.expr, "labels": dict(self.labels)}


@dataclass(frozen=True)
class AlertingRule:
    alert: str
    expr: str
    for_: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.alert, "expr": self.expr}
        if self.for_:
            rule["for"] = self.for_
        # Prometheus expands templates in an alert's label values too: they are written so
        # that they expand to themselves (a sprint named `A {{ $value }}` stays that).
        labels = {k: literal(v) for k, v in self.labels.items()}
        return {**rule, "labels": labels, "annotations": dict(self.annotations)}


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[RecordingRule | AlertingRule, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rules": [r.as_dict() for r in self.rules]}


def alert_name(goal_id: str, state: str) -> str:
    """`event_throughput` + `Missed` -> `EventThroughputMissed`."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[_-]+", goal_id))
    return ("Goal" + name if name[:1].isdigit() else name) + state


def record_name(goal_id: str) -> str:
    """The recording rule's metric name (`-` is not allowed in metric names)."""
    return RECORD_PREFIX + goal_id.replace("-", "_")


def literal(text: str) -> str:
    """`text` shown as is by Prometheus's annotation templates (`{{` would start an action)."""
    return _TEMPLATE_BRACES.sub(lambda m: '{{ "' + m.group() + '" }}', text)


def _with_unit(value: str, unit: str) -> str:
    return f"{value}{unit}" if unit in ("", "%") else f"{value} {unit}"


def build_groups(loaded: Settings) -> tuple[RuleGroup, ...]:
    """One group per category (its recording rules first, then its alerts), then the run's."""
    settings = loaded.rules
    specs = loaded.goals
    sprint_name = loaded.sprint.name
    _check_record_names(loaded, specs)
    agents = {s.id: ",".join(a.id for a in loaded.agents if s.id in a.goals) for s in specs}
    groups = []
    for category in dict.fromkeys(s.category for s in specs):
        rules: list[RecordingRule | AlertingRule] = []
        for spec in (s for s in specs if s.category == category and s.alert):
            value = promql.group(spec.query)
            if settings.record and not promql.is_selector(spec.query):
                sprint = {"sprint": sprint_name}
                rules.append(RecordingRule(record_name(spec.id), spec.query, sprint))
                value = f"{record_name(spec.id)}{{sprint={promql.string(sprint_name)}}}"
            labels = {"sprint": sprint_name, "goal": spec.id, "category": spec.category}
            if agents[spec.id]:  # an empty label is no label: leave it out
                labels["agent"] = agents[spec.id]
            labels |= settings.labels
            rules.extend(goal_alerts(spec, value, labels, settings))
        if rules:
            groups.append(RuleGroup(f"sprint_convergence_{category}", tuple(rules)))
    groups.append(RuleGroup("sprint_convergence_run", (stale_alert(sprint_name, settings),)))
    return tuple(groups)


def _check_record_names(loaded: Settings, specs: tuple[GoalSpec, ...]) -> None:
    seen: dict[str, str] = {}
    for spec in specs:
        name = record_name(spec.id)
        if name in seen and loaded.rules.record:
            raise ConfigError(
                str(loaded.path),
                [f"goals: '{seen[name]}' and '{spec.id}' both record as {name}; rename one"],
            )
        seen[name] = spec.id


def _alert(
    spec: GoalSpec,
    state: str,
    expr: str,
    severity: Severity,
    texts: tuple[str, str],
    labels: Mapping[str, str],
    settings: Rules,
) -> AlertingRule:
    """One alert of a goal; `texts` is its summary (a template) and where the value has been."""
    summary, where = texts
    for_ = spec.rules_for or settings.for_
    described = (
        f"{spec.query} has been {where} for {for_}. This alert judges the query's current "
        f"value; the weekly report judges the {_aggregate(spec)}."
    )
    annotations = {"summary": summary, "description": literal(described)}
    if settings.runbook_url:
        annotations["runbook_url"] = literal(settings.runbook_url)
    severity_label = {**labels, "severity": str(severity)}
    return AlertingRule(alert_name(spec.id, state), expr, for_, severity_label, annotations)


def goal_alerts(
    spec: GoalSpec, value: str, labels: Mapping[str, str], settings: Rules
) -> list[AlertingRule]:
    """`<Goal>AtRisk` and `<Goal>Missed` on the query's current value (docs/operations.md).

    A compliance goal's target counts samples, so its alert is on each sample's own target:
    `<Goal>AtRisk` while the current value is outside `sample_target`.
    """
    mild = Severity.CRITICAL if spec.key else Severity.WARNING
    shown = _with_unit(VALUE, literal(spec.unit))
    name = literal(spec.name)
    if spec.sample_target is not None:
        where = f"outside the samples' target {spec.sample_target}"
        expr = promql.outside(value, spec.sample_target)
        texts = (f"{name}: {shown}, {literal(where)}", where)
        return [_alert(spec, "AtRisk", expr, mild, texts, labels, settings)]
    target, warning = spec.target, spec.warning
    if warning is None:
        texts = (
            f"{name} missed: {shown} (target {literal(str(target))})",
            f"outside the target {target}",
        )
        expr = promql.outside(value, target)
        return [_alert(spec, "Missed", expr, Severity.CRITICAL, texts, labels, settings)]
    bounds = literal(f"target {target}, warning {warning}")
    at_risk = promql.inside(f"({promql.outside(value, target)})", warning)
    if promql.contains(warning, target):
        missed = promql.outside(value, warning)
    else:
        missed = f"({promql.outside(value, target)}) and ({promql.outside(value, warning)})"
    risk_texts = (
        f"{name} at risk: {shown} ({bounds})",
        f"outside the target {target} but within the warning {warning}",
    )
    missed_texts = (
        f"{name} missed: {shown} ({bounds})",
        f"outside both the target {target} and the warning {warning}",
    )
    return [
        _alert(spec, "AtRisk", at_risk, mild, risk_texts, labels, settings),
        _alert(spec, "Missed", missed, Severity.CRITICAL, missed_texts, labels, settings),
    ]


def _aggregate(spec: GoalSpec) -> str:
    if spec.aggregate == "compliance":
        return f"share of the week's samples that meet it (target {spec.target})"
    if spec.aggregate == "last":
        return "last value of the week (the same value, once the week ends)"
    return f"{spec.aggregate} over the week"


def stale_alert(sprint: str, settings: Rules) -> AlertingRule:
    """Fires when no run of this sprint has succeeded for `rules.stale_after`."""
    after = settings.stale_after_s
    selector = f"{LAST_SUCCESS}{{sprint={promql.string(sprint)}}}"
    return AlertingRule(
        STALE_ALERT,
        f"time() - max by (sprint) ({selector}) > {promql.number(after)}",
        "",
        {"sprint": sprint, "severity": str(Severity.WARNING), **settings.labels},
        {
            "summary": literal(f"{sprint}: no successful report run for ")
            + "{{ $value | humanizeDuration }}",
            "description": literal(
                f"The last run that pushed its results ({LAST_SUCCESS}) is older than "
                f"{settings.stale_after}: is the scheduler running?"
            ),
        },
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:200] or "sprint"


def rules_document(
    loaded: Settings, groups: tuple[RuleGroup, ...], operator: bool = False
) -> dict[str, Any]:
    """The rule file (`groups:`), or a PrometheusRule wrapping the same groups."""
    body = {"groups": [g.as_dict() for g in groups]}
    if not operator:
        return body
    metadata: dict[str, Any] = {"name": "sprint-convergence-" + _slug(loaded.sprint.name)}
    if loaded.rules.labels:
        metadata["labels"] = dict(loaded.rules.labels)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": body,
    }


def rules_yaml(loaded: Settings, operator: bool = False) -> str:
    """The generated rules as YAML text, with a header naming their source."""
    document = rules_document(loaded, build_groups(loaded), operator)
    header = (
        f"# Generated by `python -m pipeline rules` from {loaded.path.name} "
        f"(digest {loaded.digest}); edit the goals, not this file.\n"
    )
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000_000)
    return header + ("---\n" if operator else "") + text


def promtool_check(text: str) -> tuple[bool | None, str]:
    """`promtool check rules` on `text`: (True, its output) when it passes, (False, why) when
    not, (None, why) when promtool is not installed."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return None, "not checked: promtool is not installed (apt-get install prometheus)"
    with tempfile.TemporaryDirectory(prefix="pipeline-rules-") as folder:
        path = Path(folder) / "rules.yml"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
        )
    output = (done.stdout + done.stderr).replace(str(path), "rules.yml")
    return done.returncode == 0, output.replace("Checking rules.yml", "", 1).strip()
