"""`python -m pipeline dashboard`: the JSON's structure, and its queries run against a real
Prometheus (the demo's goals) and a real Pushgateway's metrics (no Grafana server runs here)."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.settings import PushSettings, Settings
from pipeline.core.targets import parse_target
from pipeline.demo.generate import SPRINT_START
from pipeline.demo.promserver import PrometheusServer
from pipeline.generate.dashboard import UNOWNED, build_dashboard
from pipeline.generate.panels import threshold_steps
from pipeline.outputs.metrics import push, week_registry
from tests.support import ROOT
from tests.support.chartweek import CONFIG, scored_week
from tests.support.configs import ABSOLUTE_P95, shipped_config, write_config
from tests.support.forecast import charts_outlook, mid_week
from tests.support.pushgateway import Gateways, gateways_fixture  # noqa: F401 (fixture)

UP = math.nextafter  # the first value above a strict bound
DEVOPS = "goals: [system_uptime, error_rate, event_throughput, time_to_launch]"
Panel = dict[str, Any]


def _dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], replace: dict[str, str] | None = None
) -> Any:
    config = shipped_config(tmp_path, replace=replace)
    assert main(["dashboard", "--config", str(config)]) == 0
    return json.loads(capsys.readouterr().out)


def _rows(board: Any) -> dict[str, list[Panel]]:
    """Each row's title and the panels under it, in order."""
    rows: dict[str, list[Panel]] = {}
    for panel in board["panels"]:
        if panel["type"] == "row":
            current = rows.setdefault(panel["title"], [])
        else:
            current.append(panel)
    return rows


def _goal_panels(board: Any) -> list[Panel]:
    return [p for p in board["panels"] if p["type"] == "timeseries"]


def _targets(board: Any) -> Iterator[tuple[Panel, dict[str, Any]]]:
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield panel, target


def _color(steps: list[dict[str, Any]], value: float) -> str:
    """The colour Grafana gives `value`: that of the last step whose value it reaches."""
    color = steps[0]["color"]
    for step in steps[1:]:
        if value >= step["value"]:
            color = step["color"]
    return str(color)


def _owners(loaded: Settings) -> dict[str, str]:
    """Each goal's row: the first agent that lists it, else the last row."""
    owner: dict[str, str] = {}
    for agent in loaded.agents:
        for goal in agent.goals:
            owner.setdefault(goal, agent.name)
    return {g.id: owner.get(g.id, UNOWNED) for g in loaded.goals}


def _check_goals_once_and_links(board: Any, loaded: Settings) -> None:
    rows = _rows(board)
    names = {g.id: g.name for g in loaded.goals}
    owners = _owners(loaded)
    shown = [p["title"] for p in _goal_panels(board)]
    assert sorted(shown) == sorted(names.values())  # every goal, exactly once
    ids = {p["title"]: p["id"] for p in _goal_panels(board)}
    for goal, row in owners.items():
        assert names[goal] in [p["title"] for p in rows[row]], (goal, row)
    sprint = loaded.sprint.name
    for agent in loaded.agents:
        panels = rows[agent.name]
        stat = panels[0]
        assert stat["type"] == "stat"
        labels = f'sprint="{sprint}",agent="{agent.id}",week="$week"'
        assert [t["expr"] for t in stat["targets"]] == [
            f"sprint_convergence_agent_score{{{labels}}}",
            f"sprint_convergence_agent_verdict{{{labels}}} == 1",
        ]
        elsewhere = [g for g in agent.goals if owners[g] != agent.name]
        texts = [p for p in panels if p["type"] == "text"]
        if not elsewhere:
            assert texts == []
            continue
        [text] = texts
        content = text["options"]["content"]
        links = re.findall(r"- \[([^]]+)\]\(\?viewPanel=(\d+)&[^)]*\) \(under ([^)]+)\)", content)
        assert links == [(names[g], str(ids[names[g]]), owners[g]) for g in elsewhere]


def test_every_goal_once_under_the_first_agent_that_lists_it_with_links_from_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = _dashboard(tmp_path, capsys)
    loaded = load_config(ROOT / "config.yaml")
    assert list(_rows(board)) == ["Sprint"] + [a.name for a in loaded.agents]
    _check_goals_once_and_links(board, loaded)
    # the shipped config: Testing Agent's Event Throughput is under DevOps Agent
    testing = _rows(board)["Testing Agent"]
    assert [p["title"] for p in testing if p["type"] == "timeseries"] == ["P95 Latency"]


def test_a_goal_no_agent_lists_has_its_panel_in_the_last_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace = {DEVOPS: DEVOPS.replace(", time_to_launch", "")}
    board = _dashboard(tmp_path, capsys, replace)
    loaded = load_config(tmp_path / "config.yaml")
    assert list(_rows(board))[-1] == UNOWNED
    assert [p["title"] for p in _rows(board)[UNOWNED]] == ["Time to Launch"]
    _check_goals_once_and_links(board, loaded)


def test_the_sprint_row_has_the_verdict_the_forecast_the_weeks_and_a_goal_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = _dashboard(tmp_path, capsys)
    loaded = load_config(ROOT / "config.yaml")
    sprint = _rows(board)["Sprint"]
    assert [p["type"] for p in sprint] == ["stat", "stat", "barchart", "table"]
    assert sprint[0]["targets"][0]["expr"] == (
        'sprint_convergence_score{sprint="UnMoGrowP Attribution Platform",scope="overall",'
        'week="$week"}'
    )
    assert "$week" not in sprint[2]["targets"][0]["expr"]  # every week's score
    assert sprint[2]["options"]["xField"] == "week"
    table = sprint[3]
    assert [t["format"] for t in table["targets"]] == ["table"] * 5
    mapped = next(o for o in table["fieldConfig"]["overrides"] if o["matcher"]["options"] == "goal")
    names = mapped["properties"][0]["value"][0]["options"]
    assert {k: v["text"] for k, v in names.items()} == {g.id: g.name for g in loaded.goals}


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_the_json_is_well_formed_ids_unique_panels_apart_variables_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = _dashboard(tmp_path, capsys, {DEVOPS: DEVOPS.replace(", time_to_launch", "")})
    assert board["schemaVersion"] == 41  # Grafana 11.6's model
    assert board["timezone"] == "UTC" and board["time"]["from"] == "2026-11-02T00:00:00.000Z"
    # read back into the SDK's model and written again: nothing lost or changed
    again = json.loads(json.dumps(Dashboard.from_json(board), cls=JSONEncoder))
    assert again == board
    assert not [k for k, v in _walk(board) if k == "current" and not v]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["current"]["value"] == "prometheus"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["week"]["sort"] == 4  # numerical descending: the latest week first
    assert "current" not in variables["week"]  # Grafana picks the first option
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        mine = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not mine & cells, panel["title"]
        cells |= mine


def test_every_goal_panel_queries_the_goal_and_draws_its_target_and_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = _dashboard(tmp_path, capsys)
    goals = {g.name: g for g in load_config(ROOT / "config.yaml").goals}
    for panel in _goal_panels(board):
        goal = goals[panel["title"]]
        refs = {t["refId"]: t["expr"] for t in panel["targets"]}
        assert refs["A"] == goal.query
        assert f'goal="{goal.id}",bound=~"target_.+"' in refs["T"]
        for n, quantile in enumerate(("0.1", "0.5", "0.9")):
            assert f'goal="{goal.id}",horizon="week_end",quantile="{quantile}"' in refs[f"F{n}"]
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        if goal.relative is not None:  # its bound moves each week: only the pushed one, dashed
            assert steps == [{"value": None, "color": "transparent"}], goal.id
            continue
        for value in (-1e9, goal.target.low, goal.target.high, 0, 50, 99.9, 1e5, 1e9):
            for probe in (value, UP(value, math.inf), UP(value, -math.inf)):
                met = goal.target.met(probe)
                risky = goal.warning is not None and goal.warning.met(probe)
                want = "green" if met else "orange" if risky else "red"
                assert _color(steps, probe) == want, (goal.id, probe)
        overrides = panel["fieldConfig"]["overrides"]
        band = next(o for o in overrides if o["matcher"]["options"] == "forecast p90")
        assert {"id": "custom.fillBelowTo", "value": "forecast p10"} in band["properties"]
    by_title = {p["title"]: p["fieldConfig"]["defaults"] for p in _goal_panels(board)}
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


def _steps(target: str, warning: str | None) -> list[dict[str, object]]:
    parsed = parse_target(warning) if warning else None
    return [s.to_json() for s in threshold_steps(parse_target(target), parsed)]


def test_ranges_and_equality_as_steps() -> None:
    assert _steps("30..50", "25..55") == [
        {"color": "red", "value": None},
        {"color": "orange", "value": 25.0},
        {"color": "green", "value": 30.0},
        {"color": "orange", "value": UP(50.0, math.inf)},
        {"color": "red", "value": UP(55.0, math.inf)},
    ]
    assert _steps("== 1", None) == [
        {"color": "red", "value": None},
        {"color": "green", "value": 1.0},
        {"color": "red", "value": UP(1.0, math.inf)},
    ]
    assert _steps("< 100", "< 120") == [
        {"color": "green", "value": None},
        {"color": "orange", "value": 100.0},
        {"color": "red", "value": 120.0},
    ]


def test_a_compliance_goal_draws_its_samples_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = '    aggregate: p95\n    target: "< 100"\n    warning: "< 120"\n'
    new = '    aggregate: compliance\n    sample_target: "< 100"\n    target: ">= 95"\n'
    board = _dashboard(tmp_path, capsys, {**ABSOLUTE_P95, old: new})
    panel = next(p for p in board["panels"] if p["title"] == "P95 Latency")
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"color": "green", "value": None},
        {"color": "red", "value": 100.0},
    ]
    assert panel["description"].startswith("each sample < 100; target >= 95 of the samples")
    # its pushed target and forecast are of the share of samples: not drawn over the samples
    assert [t["refId"] for t in panel["targets"]] == ["A"]


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


def _instant(url: str, expr: str, at: float | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"query": expr.replace("$week", "1")}
    if at is not None:
        params["time"] = at
    answer = requests.get(f"{url}/api/v1/query", params=params, timeout=10)
    body: dict[str, Any] = answer.json()
    assert answer.status_code == 200 and body["status"] == "success", (expr, body)
    return body


@pytest.mark.prometheus
def test_every_query_runs_and_the_goal_queries_have_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer
) -> None:
    board = _dashboard(tmp_path, capsys)
    at = (SPRINT_START + timedelta(days=3, hours=12)).timestamp()  # mid week 1 of the demo
    for panel, target in _targets(board):
        result = _instant(prometheus.url, target["expr"], at)["data"]["result"]
        if panel["type"] == "timeseries" and target["refId"] == "A":
            assert result, panel["title"]


@pytest.mark.prometheus
@pytest.mark.pushgateway
def test_the_panels_read_the_pushed_metrics(tmp_path: Path, gateways: Gateways) -> None:
    """Every query of the pushed metrics finds them: a week in progress with a forecast."""
    result, _, _ = scored_week(tmp_path)
    result = mid_week(result, charts_outlook(result))
    registry = week_registry(result, 1.0, 2.0)
    settings = PushSettings(gateways.pushgateway.url, "sprint_convergence", 10, None, None)
    assert push(registry, result, settings, env={}) is None
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    board = json.loads(json.dumps(build_dashboard(loaded), cls=JSONEncoder))
    deadline = time.monotonic() + 30
    while not gateways.query('sprint_convergence_goal_forecast{sprint="Charts"}'):
        assert time.monotonic() < deadline, "the push was not scraped"
        time.sleep(0.5)
    for panel, target in _targets(board):
        if panel["type"] == "timeseries" and target["refId"] == "A":
            continue  # the goal's own query: the demo's Prometheus has its data
        expr = target["expr"]
        assert _instant(gateways.prometheus.url, expr)["data"]["result"], (panel["title"], expr)
    week = next(v for v in board["templating"]["list"] if v["name"] == "week")
    selector = re.fullmatch(r"label_values\((.+), week\)", week["query"]["query"])
    assert selector is not None
    weeks = gateways.query(f"count by (week) ({selector[1]})")
    assert [w["metric"]["week"] for w in weeks] == ["1"]
