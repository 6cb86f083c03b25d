"""`python -m pipeline dashboard`: the JSON's structure (no Grafana server runs here)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.targets import parse_target
from pipeline.generate.dashboard import threshold_steps
from tests.support import ROOT
from tests.support.configs import shipped_config

UP = math.nextafter  # the first value above a strict bound


def _dashboard(tmp_path: Path, capsys: pytest.CaptureFixture[str], *replace: str) -> Any:
    config = shipped_config(tmp_path, replace=dict([replace]) if replace else None)
    assert main(["dashboard", "--config", str(config)]) == 0
    return json.loads(capsys.readouterr().out)


def _color(steps: list[dict[str, Any]], value: float) -> str:
    """The colour Grafana gives `value`: that of the last step whose value it reaches."""
    color = steps[0]["color"]
    for step in steps[1:]:
        if value >= step["value"]:
            color = step["color"]
    return str(color)


def test_one_row_per_agent_with_its_score_and_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = _dashboard(tmp_path, capsys)
    cfg = load_config(ROOT / "config.yaml")
    assert board["schemaVersion"] >= 38  # Grafana 10's model
    assert board["timezone"] == "UTC" and board["time"]["from"] == "2026-11-02T00:00:00.000Z"
    rows = [p for p in board["panels"] if p["type"] == "row"]
    assert [r["title"] for r in rows] == ["Sprint"] + [a.name for a in cfg.agents]
    panels = board["panels"]
    for agent in cfg.agents:
        start = next(
            i for i, p in enumerate(panels) if p["type"] == "row" and p["title"] == agent.name
        )
        stat = panels[start + 1]
        assert stat["type"] == "stat"
        sprint = f'sprint="{cfg.sprint.name}",agent="{agent.id}",week="$week"'
        assert [t["expr"] for t in stat["targets"]] == [
            f"sprint_convergence_agent_score{{{sprint}}}",
            f"sprint_convergence_agent_verdict{{{sprint}}} == 1",
        ]
        goals = panels[start + 2 : start + 2 + len(agent.goals)]
        assert [g["title"] for g in goals] == [
            next(x.name for x in cfg.goals if x.id == gid) for gid in agent.goals
        ]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    week = next(v for v in board["templating"]["list"] if v["name"] == "week")
    assert week["sort"] == 4  # numerical descending: the latest pushed week by default


def test_every_goal_panel_queries_the_goal_and_draws_its_target_and_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = _dashboard(tmp_path, capsys)
    goals = {g.name: g for g in load_config(ROOT / "config.yaml").goals}
    series = [p for p in board["panels"] if p["type"] == "timeseries"]
    assert {p["title"] for p in series} == set(goals)
    for panel in series:
        goal = goals[panel["title"]]
        assert [t["expr"] for t in panel["targets"]] == [goal.query]
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        for value in (-1e9, goal.target.low, goal.target.high, 0, 50, 99.9, 1e5, 1e9):
            for probe in (value, UP(value, math.inf), UP(value, -math.inf)):
                met = goal.target.met(probe)
                risky = goal.warning is not None and goal.warning.met(probe)
                want = "green" if met else "orange" if risky else "red"
                assert _color(steps, probe) == want, (goal.id, probe)
    by_title = {p["title"]: p["fieldConfig"]["defaults"] for p in series}
    assert by_title["Event Throughput"]["thresholds"]["steps"] == [
        {"color": "red", "value": None},
        {"color": "orange", "value": 900000.0},
        {"color": "green", "value": 1000000.0},
    ]
    assert by_title["System Uptime"]["thresholds"]["steps"] == [
        {"color": "red", "value": None},
        {"color": "orange", "value": 99.5},
        {"color": "green", "value": UP(99.9, math.inf)},  # > 99.9: strictly above
    ]
    assert by_title["P95 Latency"]["unit"] == "ms"
    assert by_title["Event Throughput"]["unit"] == "suffix: events/s"
    assert by_title["System Uptime"]["unit"] == "percent"


def test_ranges_and_equality_as_steps() -> None:
    assert threshold_steps(parse_target("30..50"), parse_target("25..55")) == [
        {"color": "red", "value": None},
        {"color": "orange", "value": 25.0},
        {"color": "green", "value": 30.0},
        {"color": "orange", "value": UP(50.0, math.inf)},
        {"color": "red", "value": UP(55.0, math.inf)},
    ]
    assert threshold_steps(parse_target("== 1"), None) == [
        {"color": "red", "value": None},
        {"color": "green", "value": 1.0},
        {"color": "red", "value": UP(1.0, math.inf)},
    ]
    assert threshold_steps(parse_target("< 100"), parse_target("< 120")) == [
        {"color": "green", "value": None},
        {"color": "orange", "value": 100.0},
        {"color": "red", "value": 120.0},
    ]


def test_a_compliance_goal_draws_its_samples_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = '    aggregate: p95\n    target: "< 100"\n    warning: "< 120"'
    new = '    aggregate: compliance\n    sample_target: "< 100"\n    target: ">= 95"'
    board = _dashboard(tmp_path, capsys, old, new)
    panel = next(p for p in board["panels"] if p["title"] == "P95 Latency")
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"color": "green", "value": None},
        {"color": "red", "value": 100.0},
    ]
    assert panel["description"].startswith("each sample < 100; target >= 95 of the samples")


def test_dashboard_command_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path)
    out = tmp_path / "grafana" / "sprint.json"
    assert main(["dashboard", "--config", str(config), "--output", str(out)]) == 0
    assert (
        json.loads(out.read_text())["title"] == "Sprint convergence: UnMoGrowP Attribution Platform"
    )
    assert capsys.readouterr().err == f"wrote {out}\n"
