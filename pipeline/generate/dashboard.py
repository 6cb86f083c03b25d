"""`python -m pipeline dashboard`: a Grafana dashboard (classic JSON model, Grafana 10+).

One row for the sprint and one per agent: a stat panel with the score and verdict of the week
(from the pushed metrics, see pipeline/outputs/metrics.py), then one time-series panel per goal with
its query, and its target and warning drawn as thresholds.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, time
from typing import Any

from pipeline.core.outcomes import Status
from pipeline.core.settings import GoalSpec, Settings
from pipeline.core.targets import Target
from pipeline.generate import promql
from pipeline.outputs.metrics import PREFIX
from pipeline.scoring.score import judge

SCHEMA_VERSION = 39  # Grafana 10.4; later versions migrate it on load
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
COLORS = {Status.MET: "green", Status.AT_RISK: "orange", Status.MISSED: "red"}
_UNITS = {"%": "percent", "ms": "ms", "s": "s", "seconds": "s", "days": "d", "bytes": "bytes"}
STAT_WIDTH, GOAL_WIDTH, HEIGHT = 6, 9, 8


def threshold_steps(target: Target, warning: Target | None) -> list[dict[str, Any]]:
    """Grafana threshold steps (each colours values >= its own) that match the statuses exactly:
    the colour of each step is the status scoring's `judge` gives a value there.

    Each bound b is a step at b and at the next float above it, so strict and inclusive bounds
    both come out right; then neighbours of the same colour are merged.
    """
    bounds = [b for t in (target, warning) if t for b in {t.low, t.high}]
    points = sorted({p for b in bounds for p in (b, math.nextafter(b, math.inf))})
    steps: list[dict[str, Any]] = [
        {"color": COLORS[judge(-math.inf, target, warning)], "value": None}
    ]
    for point in points:
        color = COLORS[judge(point, target, warning)]
        if color != steps[-1]["color"]:
            steps.append({"color": color, "value": point})
    return steps


def grafana_unit(unit: str) -> str:
    """A Grafana unit id for the goal's unit; any other unit is shown as a suffix."""
    return _UNITS.get(unit, f"suffix: {unit}" if unit else "none")


def _selector(sprint: str, **labels: str) -> str:
    pairs = [("sprint", sprint), *labels.items()]
    return "{" + ",".join(f"{k}={promql.string(v)}" for k, v in pairs) + ',week="$week"}'


def _instant(ref: str, expr: str, legend: str) -> dict[str, Any]:
    """A query of a stat panel, evaluated once at the dashboard's time."""
    return {
        "refId": ref,
        "datasource": DATASOURCE,
        "expr": expr,
        "legendFormat": legend,
        "instant": True,
    }


def score_panel(
    title: str, score: str, verdict: str, pass_score: float, warning_score: float
) -> dict[str, Any]:
    """A stat panel: the week's score (coloured by the verdict's thresholds) and its verdict."""
    steps = [
        {"color": "red", "value": None},
        {"color": "orange", "value": warning_score},
        {"color": "green", "value": pass_score},
    ]
    verdict_shown = {"type": "value", "options": {"1": {"text": "verdict", "index": 0}}}
    return {
        "type": "stat",
        "title": title,
        "datasource": DATASOURCE,
        "targets": [
            _instant("A", score, "score"),
            _instant("B", f"{verdict} == 1", "{{verdict}}"),
        ],
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": "value_and_name",
            "colorMode": "background",
            "graphMode": "none",
        },
        "fieldConfig": {
            "defaults": {
                "min": 0,
                "max": 100,
                "decimals": 1,
                "thresholds": {"mode": "absolute", "steps": steps},
            },
            "overrides": [
                {
                    "matcher": {"id": "byFrameRefID", "options": "B"},
                    "properties": [
                        {"id": "mappings", "value": [verdict_shown]},
                        {"id": "color", "value": {"mode": "fixed", "fixedColor": "text"}},
                    ],
                }
            ],
        },
    }


def goal_panel(spec: GoalSpec) -> dict[str, Any]:
    """A time-series panel of the goal's query, its target and warning as thresholds."""
    if spec.sample_target is not None:  # the panel shows samples: colour by the samples' target
        steps = threshold_steps(spec.sample_target, None)
        bounds = f"each sample {spec.sample_target}; target {spec.target} of the samples"
    else:
        steps = threshold_steps(spec.target, spec.warning)
        bounds = f"target {spec.target}" + (f", warning {spec.warning}" if spec.warning else "")
    return {
        "type": "timeseries",
        "title": spec.name,
        "description": f"{bounds}. The report scores the week's {spec.aggregate}.",
        "datasource": DATASOURCE,
        "targets": [
            {"refId": "A", "datasource": DATASOURCE, "expr": spec.query, "legendFormat": "__auto"}
        ],
        "fieldConfig": {
            "defaults": {
                "unit": grafana_unit(spec.unit),
                "color": {"mode": "palette-classic"},
                "custom": {"thresholdsStyle": {"mode": "line+area"}},
                "thresholds": {"mode": "absolute", "steps": steps},
            },
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
    }


def _row(title: str, y: int) -> dict[str, Any]:
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "panels": [],
        "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
    }


def _layout(panels: list[dict[str, Any]], y: int) -> int:
    """Place a stat panel and its goal panels on the grid from row `y`; return the next row."""
    panels[0]["gridPos"] = {"h": HEIGHT, "w": STAT_WIDTH, "x": 0, "y": y}
    per_line = (24 - STAT_WIDTH) // GOAL_WIDTH
    for i, panel in enumerate(panels[1:]):
        line, column = divmod(i, per_line)
        x = STAT_WIDTH + column * GOAL_WIDTH
        panel["gridPos"] = {"h": HEIGHT, "w": GOAL_WIDTH, "x": x, "y": y + line * HEIGHT}
    lines = max(1, math.ceil((len(panels) - 1) / per_line))
    return y + lines * HEIGHT


def build_dashboard(loaded: Settings) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model."""
    sprint = loaded.sprint.name
    specs = {s.id: s for s in loaded.goals}
    scoring = loaded.scoring
    sections: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
        (
            "Sprint",
            score_panel(
                f"{sprint}: score and verdict",
                f"{PREFIX}score{_selector(sprint, scope='overall')}",
                f"{PREFIX}verdict{_selector(sprint, scope='overall')}",
                scoring.pass_score,
                scoring.warning_score,
            ),
            [],
        )
    ]
    for agent in loaded.agents:
        stat = score_panel(
            f"{agent.name}: score and verdict",
            f"{PREFIX}agent_score{_selector(sprint, agent=agent.id)}",
            f"{PREFIX}agent_verdict{_selector(sprint, agent=agent.id)}",
            scoring.pass_score,
            scoring.warning_score,
        )
        sections.append((agent.name, stat, [goal_panel(specs[g]) for g in agent.goals]))
    panels: list[dict[str, Any]] = []
    y = 0
    for title, stat, goals in sections:
        panels.append(_row(title, y))
        y = _layout([stat, *goals], y + 1)
        panels.extend([stat, *goals])
    for number, panel in enumerate(panels, start=1):
        panel["id"] = number
    start = datetime.combine(loaded.sprint.start, time(), loaded.sprint.zone)
    return {
        "uid": "sprint-" + hashlib.sha256(sprint.encode()).hexdigest()[:12],
        "title": f"Sprint convergence: {sprint}",
        "tags": ["sprint-convergence"],
        "timezone": loaded.sprint.timezone,
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "to": "now"},
        "refresh": "5m",
        "templating": {"list": [_datasource_variable(), _week_variable(sprint)]},
        "annotations": {"list": []},
        "panels": panels,
    }


def _datasource_variable() -> dict[str, Any]:
    return {
        "type": "datasource",
        "name": "datasource",
        "label": "Prometheus",
        "query": "prometheus",
        "refresh": 1,
        "hide": 0,
        "current": {},
    }


def _week_variable(sprint: str) -> dict[str, Any]:
    """The week shown by the stat panels: the latest pushed, or any other."""
    query = f"label_values({PREFIX}score{{sprint={promql.string(sprint)}}}, week)"
    return {
        "type": "query",
        "name": "week",
        "label": "Week",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": "week"},
        "definition": query,
        "refresh": 2,
        "sort": 4,  # numerical, descending: the latest week is the default
        "current": {},
        "hide": 0,
    }


def dashboard_json(loaded: Settings) -> str:
    """The dashboard's JSON text."""
    return json.dumps(build_dashboard(loaded), indent=2, ensure_ascii=False) + "\n"
