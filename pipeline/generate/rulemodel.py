"""The rule file's parts as frozen values, and the names and texts every rule family shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RECORD_PREFIX = "sprint_convergence:goal_value:"
SAMPLE_PREFIX = "sprint_convergence:goal_sample_met:"
WEEK_PREFIX = "sprint_convergence:goal_week:"
VALUE = '{{ printf "%.7g" $value }}'  # 1000000 stays 1000000 (plain $value prints 1e+06)
_TEMPLATE_BRACES = re.compile(r"\{\{|\}\}")


class Severity(StrEnum):
    """How loud an alert is: critical pages (missed, or any alert of a key goal), warning is for
    the working day (at risk, likely to miss), info is a trend worth a look."""

    INFO = "info"
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
    keep_firing_for: str = ""

    def as_dict(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.alert, "expr": self.expr}
        if self.for_:
            rule["for"] = self.for_
        if self.keep_firing_for:
            rule["keep_firing_for"] = self.keep_firing_for
        # Prometheus expands templates in an alert's label values too: they are written so
        # that they expand to themselves (a sprint named `A {{ $value }}` stays that).
        labels = {k: literal(v) for k, v in self.labels.items()}
        return {**rule, "labels": labels, "annotations": dict(self.annotations)}


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[RecordingRule | AlertingRule, ...]
    interval: str = ""  # [the global evaluation_interval]

    def as_dict(self) -> dict[str, Any]:
        group: dict[str, Any] = {"name": self.name}
        if self.interval:
            group["interval"] = self.interval
        return {**group, "rules": [r.as_dict() for r in self.rules]}


def alert_name(goal_id: str, state: str) -> str:
    """`event_throughput` + `Missed` -> `EventThroughputMissed`."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[_-]+", goal_id))
    return ("Goal" + name if name[:1].isdigit() else name) + state


def record_name(goal_id: str, prefix: str = RECORD_PREFIX) -> str:
    """A recording rule's metric name (`-` is not allowed in metric names)."""
    return prefix + goal_id.replace("-", "_")


def literal(text: str) -> str:
    """`text` shown as is by Prometheus's annotation templates (`{{` would start an action)."""
    return _TEMPLATE_BRACES.sub(lambda m: '{{ "' + m.group() + '" }}', text)


def with_unit(value: str, unit: str) -> str:
    """A value template followed by the goal's unit."""
    return f"{value}{unit}" if unit in ("", "%") else f"{value} {unit}"
