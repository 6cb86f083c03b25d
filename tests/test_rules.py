"""`python -m pipeline rules`: the generated rules pass `promtool check rules`, and
`promtool test rules` with generated input series fires exactly the alerts each case calls for."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.generate.rules import (
    STALE_ALERT,
    VALUE,
    alert_name,
    build_groups,
    literal,
    rules_yaml,
)
from tests.support import ROOT
from tests.support.binaries import require_binary
from tests.support.configs import shipped_config, write_config

SPRINT = "Test Sprint"
# Each goal kind, with its cases: the value of a series labelled case=<name>, and the alert
# that case must fire (None: no alert).
KINDS: dict[str, dict[str, Any]] = {
    "at_least": {
        "goal": {"target": ">= 100", "warning": ">= 90"},
        "cases": {"met": (100, None), "at_risk": (95, "AtRisk"), "missed": (80, "Missed")},
    },
    "below": {
        "goal": {"target": "< 10", "warning": "<= 20"},
        "cases": {"met": (9.5, None), "at_risk": (20, "AtRisk"), "missed": (20.5, "Missed")},
    },
    "above_strict": {
        "goal": {"target": "> 99.9", "warning": ">= 99.5"},
        "cases": {"met": (99.95, None), "at_risk": (99.9, "AtRisk"), "missed": (99.4, "Missed")},
    },
    "in_range": {
        "goal": {"target": "30..50", "warning": "25..55"},
        "cases": {
            "met": (30, None),
            "at_risk_low": (27, "AtRisk"),
            "at_risk_high": (52, "AtRisk"),
            "missed_low": (-3, "Missed"),
            "missed_high": (60, "Missed"),
        },
    },
    "exactly": {
        "goal": {"target": "== 1"},
        "cases": {"met": (1, None), "missed": (0, "Missed")},
    },
    "odd_warning": {  # a warning that does not contain the target: missed is outside both
        "goal": {"target": ">= 10", "warning": "<= 5"},
        "cases": {"met": (12, None), "at_risk": (4, "AtRisk"), "missed": (7, "Missed")},
    },
    "key_goal": {  # a key goal's AtRisk is critical too
        "goal": {"target": ">= 5", "warning": ">= 4", "key": True},
        "cases": {"met": (5, None), "at_risk": (4, "AtRisk"), "missed": (3, "Missed")},
    },
    "latency_compliance": {  # the alert is on each sample's own target
        "goal": {"aggregate": "compliance", "sample_target": "< 100", "target": ">= 99"},
        "cases": {"met": (80, None), "at_risk": (150, "AtRisk")},
    },
    "throughput": {  # not a bare selector: recorded when rules.record is on
        "query": "sum by (case) (throughput_bytes_total)",
        "goal": {"target": ">= 1000000", "warning": ">= 900000", "unit": "B/s"},
        "cases": {"met": (1200000, None), "at_risk": (950000, "AtRisk"), "missed": (5, "Missed")},
    },
}


def _goal(kind: str) -> dict[str, Any]:
    spec = KINDS[kind]
    goal = {"id": kind, "name": kind.replace("_", " ").title(), "category": "technical"}
    goal |= {"query": spec.get("query", f"{kind}_metric"), "aggregate": "last"}
    return goal | spec["goal"]


def _config(
    folder: Path, record: bool = False, stale_after: str = "26h", sprint: str = SPRINT
) -> Path:
    doc = {
        "sprint": {"name": sprint, "start": "2026-11-02"},
        "scoring": {"categories": {"technical": {"weight": 1.0}}},
        "goals": [_goal(kind) for kind in KINDS]
        + [_goal("at_least") | {"id": "quiet", "alert": False}],
        "agents": [
            {"id": "ops", "name": "Ops", "goals": ["at_least", "below", "quiet"]},
            {"id": "qa", "name": "QA", "goals": ["at_least", "exactly"]},
        ],
        "rules": {
            "for": "5m",
            "labels": {"team": "platform"},
            "runbook_url": "https://runbooks.example/{{ goal }}",
            "record": record,
            "stale_after": stale_after,
        },
    }
    doc["goals"][1]["rules_for"] = "2m"  # `below` fires sooner
    return write_config(folder / "config.yaml", yaml.safe_dump(doc, sort_keys=False))


def _series(kind: str, case: str) -> str:
    if kind == "throughput":
        return f'throughput_bytes_total{{case="{case}"}}'
    return f'{kind}_metric{{case="{case}"}}'


def _expected_alerts(rules: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One alert_rule_test per alert of each kind: the cases it must fire for, with labels and
    annotations as Prometheus renders them."""
    tests = []
    for kind, spec in KINDS.items():
        for state in ("AtRisk", "Missed"):
            name = alert_name(kind, state)
            if name not in rules:
                continue
            rule = rules[name]
            alerts = []
            for case, (value, fires) in spec["cases"].items():
                if fires != state:
                    continue
                annotations = _rendered(rule["annotations"], value)
                alerts.append(
                    {"exp_labels": {**rule["labels"], "case": case}, "exp_annotations": annotations}
                )
            tests.append({"eval_time": "10m", "alertname": name, "exp_alerts": alerts})
    return tests


def _rendered(annotations: dict[str, str], value: float) -> dict[str, str]:
    """The annotations as Prometheus expands them for `value` (Go's %.7g is Python's)."""
    quoted = {literal("{{"): "{{", literal("}}"): "}}"}
    shown = {}
    for key, text in annotations.items():
        text = text.replace(VALUE, f"{value:.7g}")
        for template, plain in quoted.items():
            text = text.replace(template, plain)
        shown[key] = text
    return shown


def _input_series() -> list[dict[str, str]]:
    return [
        {"series": _series(kind, case), "values": f"{value}+0x15"}
        for kind, spec in KINDS.items()
        for case, (value, _) in spec["cases"].items()
    ]


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    promtool = require_binary("promtool", package="prometheus")
    return subprocess.run([promtool, *args], capture_output=True, text=True, cwd=cwd, check=False)


def _alerting_rules(text: str) -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(text)["groups"]
    return {r["alert"]: r for g in groups for r in g["rules"] if "alert" in r}


@pytest.mark.parametrize("record", [False, True], ids=["queries", "recorded"])
def test_promtool_test_rules_fires_exactly_the_alerts_each_case_calls_for(
    tmp_path: Path, record: bool
) -> None:
    text = rules_yaml(load_config(_config(tmp_path, record=record)))
    (tmp_path / "rules.yml").write_text(text)
    assert _promtool("check", "rules", "rules.yml", cwd=tmp_path).returncode == 0
    rules = _alerting_rules(text)
    tests = _expected_alerts(rules)
    assert sum(len(t["exp_alerts"]) for t in tests) == 18  # every non-met case of every kind
    unit = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": _input_series(), "alert_rule_test": tests}],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    done = _promtool("test", "rules", "test.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # the harness can fail: expect the met case of `at_least` to fire as well
    tests[0]["exp_alerts"].append(
        {"exp_labels": {**rules["AtLeastAtRisk"]["labels"], "case": "met"}}
    )
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    assert _promtool("test", "rules", "test.yml", cwd=tmp_path).returncode == 1


def test_for_is_honoured_per_goal(tmp_path: Path) -> None:
    """`below` has rules_for: 2m: at 3m it fires, `at_least` (5m) does not yet."""
    text = rules_yaml(load_config(_config(tmp_path)))
    rules = _alerting_rules(text)
    assert rules["BelowMissed"]["for"] == "2m" and rules["AtLeastMissed"]["for"] == "5m"
    (tmp_path / "rules.yml").write_text(text)
    missed = {"exp_labels": {**rules["BelowMissed"]["labels"], "case": "missed"}}
    missed["exp_annotations"] = _rendered(rules["BelowMissed"]["annotations"], 20.5)
    unit = {
        "rule_files": ["rules.yml"],
        "tests": [
            {
                "interval": "1m",
                "input_series": _input_series(),
                "alert_rule_test": [
                    {"eval_time": "3m", "alertname": "BelowMissed", "exp_alerts": [missed]},
                    {"eval_time": "3m", "alertname": "AtLeastMissed", "exp_alerts": []},
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    done = _promtool("test", "rules", "test.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


# a sprint name with template actions: Prometheus expands alert labels and annotations, and
# both must still read the name as written (a changing label would break routing and silences)
@pytest.mark.parametrize("sprint", [SPRINT, "Sp {{ $value }} {{ $labels.week }}"])
def test_the_stale_run_alert_fires_when_no_run_succeeded_for_stale_after(
    tmp_path: Path, sprint: str
) -> None:
    text = rules_yaml(load_config(_config(tmp_path, stale_after="2h", sprint=sprint)))
    (tmp_path / "rules.yml").write_text(text)
    labels = {"sprint": sprint, "severity": "warning", "team": "platform"}
    metric = "sprint_convergence_last_success_timestamp_seconds"
    unit = {
        "rule_files": ["rules.yml"],
        "tests": [
            {  # the last success at t=0 (week 1) and t=600 s (week 2): stale after 2h10m
                "interval": "10m",
                "input_series": [
                    {"series": f'{metric}{{sprint="{sprint}",week="1"}}', "values": "0+0x20"},
                    {"series": f'{metric}{{sprint="{sprint}",week="2"}}', "values": "_ 600+0x20"},
                    {"series": f'{metric}{{sprint="Other",week="1"}}', "values": "0+0x20"},
                ],
                "alert_rule_test": [
                    {"eval_time": "2h", "alertname": STALE_ALERT, "exp_alerts": []},
                    {
                        "eval_time": "2h20m",
                        "alertname": STALE_ALERT,
                        "exp_alerts": [
                            {
                                "exp_labels": labels,
                                "exp_annotations": {
                                    "summary": f"{sprint}: no successful report run for 2h 10m 0s",
                                    "description": (
                                        f"The last run that pushed its results ({metric}) is "
                                        "older than 2h: is the scheduler running?"
                                    ),
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    done = _promtool("test", "rules", "test.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_demo_rules_pass_promtool_and_count_by_severity(tmp_path: Path) -> None:
    loaded = load_config(ROOT / "config.yaml")
    groups = build_groups(loaded)
    alerts = [r for g in groups for r in g.rules]
    severities = Counter(r.labels["severity"] for r in alerts)  # type: ignore[union-attr]
    # 10 goals with a warning: 10 Missed (critical) and 10 AtRisk, of which the 2 key goals'
    # are critical; plus the stale-run alert (warning)
    assert severities == {"critical": 12, "warning": 9}
    assert [g.name for g in groups] == [
        "sprint_convergence_technical",
        "sprint_convergence_customer",
        "sprint_convergence_run",
    ]
    throughput = next(r for r in alerts if r.alert == "EventThroughputAtRisk")  # type: ignore[union-attr]
    assert throughput.labels == {  # type: ignore[union-attr]
        "sprint": "UnMoGrowP Attribution Platform",
        "goal": "event_throughput",
        "category": "technical",
        "agent": "devops,testing,go-code",
        "severity": "critical",
    }
    (tmp_path / "rules.yml").write_text(rules_yaml(loaded))
    done = _promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert done.returncode == 0 and "SUCCESS: 21 rules found" in done.stdout


def test_opt_out_record_labels_and_runbook(tmp_path: Path) -> None:
    loaded = load_config(_config(tmp_path, record=True))
    text = rules_yaml(loaded)
    doc = yaml.safe_load(text)
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert not any(r.get("labels", {}).get("goal") == "quiet" for r in rules)  # alert: false
    records = [r for r in rules if "record" in r]
    assert records == [
        {
            "record": "sprint_convergence:goal_value:throughput",
            "expr": "sum by (case) (throughput_bytes_total)",
            "labels": {"sprint": SPRINT},
        }
    ]
    alerts = _alerting_rules(text)
    assert alerts["ThroughputMissed"]["expr"] == (
        'sprint_convergence:goal_value:throughput{sprint="Test Sprint"} < 900000'
    )
    assert alerts["AtLeastAtRisk"]["expr"] == "((at_least_metric) < 100) >= 90"
    assert alerts["InRangeMissed"]["expr"] == "((in_range_metric) < 25 or (in_range_metric) > 55)"
    assert (
        alerts["OddWarningMissed"]["expr"]
        == "((odd_warning_metric) < 10) and ((odd_warning_metric) > 5)"
    )
    # a runbook URL with braces reaches the annotation as text, not as a template
    assert alerts["AtLeastMissed"]["annotations"]["runbook_url"] == (
        'https://runbooks.example/{{ "{{" }} goal {{ "}}" }}'
    )
    assert alerts["AtLeastMissed"]["labels"]["team"] == "platform"
    assert alerts["AtLeastMissed"]["labels"]["agent"] == "ops,qa"
    assert alerts["LatencyComplianceAtRisk"]["labels"]["severity"] == "warning"
    assert alerts["KeyGoalAtRisk"]["labels"]["severity"] == "critical"


def test_the_operator_format_wraps_the_same_groups(tmp_path: Path) -> None:
    loaded = load_config(ROOT / "config.yaml")
    plain = yaml.safe_load(rules_yaml(loaded))
    wrapped = yaml.safe_load(rules_yaml(loaded, operator=True))
    assert wrapped["apiVersion"] == "monitoring.coreos.com/v1"
    assert wrapped["kind"] == "PrometheusRule"
    assert wrapped["metadata"] == {"name": "sprint-convergence-unmogrowp-attribution-platform"}
    assert wrapped["spec"] == plain


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        (
            {"labels": {"severity": "page"}},
            "rules.labels: 'severity' is set by the generated rules",
        ),
        ({"labels": {"bad-name": "x"}}, "rules.labels.bad-name: string should match pattern"),
        ({"for": "soon"}, "rules.for: cannot parse duration 'soon'"),
    ],
)
def test_bad_rules_settings_are_config_errors(
    tmp_path: Path, rules: dict[str, Any], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path)
    config.write_text(config.read_text() + "\n" + yaml.safe_dump({"rules": rules}))
    assert main(["rules", "--config", str(config)]) == 2
    assert problem in capsys.readouterr().err


def test_rules_command_writes_the_file_or_prints_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path)
    assert main(["rules", "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Generated by `python -m pipeline rules` from config.yaml")
    out = tmp_path / "deep" / "rules.yml"
    assert main(["rules", "--config", str(config), "--output", str(out)]) == 0
    assert out.read_text() == printed and capsys.readouterr().err == f"wrote {out}\n"
    assert main(["rules", "--config", str(config), "--format", "yaml"]) == 2
    assert "argument --format: invalid choice: 'yaml'" in capsys.readouterr().err


# Every query shape a goal may have: each must give rules `promtool check rules` accepts.
SHAPES = {
    "comment-at-end": "sum(rate(shape_metric[5m])) # events per second",
    "comment-with-paren": 'shape_metric # not ) nor "closed',
    "comment-own-line": "sum by (case) (\n  # every case\n  shape_metric\n)",
    "hash-in-string": 'shape_metric{case!="#1"}',
    "newlines": "sum(\n  shape_metric\n)\n",
    "offset": "shape_metric offset 1h",
    "at": "shape_metric @ 1700000000",
    "at-end": "rate(shape_metric[5m] @ end())",
    "subquery": "max_over_time(rate(shape_metric[5m])[1h:5m])",
    "subquery-offset": "max_over_time(shape_metric[1h:5m] offset 1d) # worst hour",
    "unary-minus": "-shape_metric",
    "bool": "shape_metric > bool 0",
}


@pytest.mark.parametrize("record", [False, True], ids=["queries", "recorded"])
@pytest.mark.parametrize("query", SHAPES.values(), ids=SHAPES.keys())
def test_every_query_shape_gives_rules_promtool_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str, record: bool
) -> None:
    goals = [
        {"id": "plain", "target": ">= 100", "warning": ">= 90"},
        {"id": "range", "target": "30..50", "warning": "25..55"},
        {"id": "odd", "target": ">= 10", "warning": "<= 5"},
        {"id": "exact", "target": "== 1"},
        {"id": "share", "aggregate": "compliance", "sample_target": "< 100", "target": ">= 99"},
    ]
    doc = {
        "sprint": {"name": SPRINT, "start": "2026-11-02"},
        "scoring": {"categories": {"technical": {"weight": 1.0}}},
        "goals": [
            {"name": g["id"], "category": "technical", "query": query, "aggregate": "last"} | g
            for g in goals
        ],
        "agents": [{"id": "ops", "name": "Ops", "goals": [g["id"] for g in goals]}],
        "rules": {"record": record},
    }
    config = write_config(tmp_path / "config.yaml", yaml.safe_dump(doc, sort_keys=False))
    assert main(["rules", "--config", str(config), "--output", str(tmp_path / "rules.yml")]) == 0
    done = _promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    groups = yaml.safe_load((tmp_path / "rules.yml").read_text())["groups"]
    found = sum(len(g["rules"]) for g in groups)
    assert found >= 9 and f"SUCCESS: {found} rules found" in done.stdout
    # the Grafana dashboard embeds the queries too: each of its expressions must parse as well
    assert main(["dashboard", "--config", str(config), "--output", str(tmp_path / "d.json")]) == 0
    panels = json.loads((tmp_path / "d.json").read_text())["panels"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", []) if "$" not in t["expr"]]
    assert query in exprs
    records = [{"record": f"dashboard:expr{i}", "expr": e} for i, e in enumerate(exprs)]
    (tmp_path / "exprs.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "d", "rules": records}]})
    )
    done = _promtool("check", "rules", "exprs.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    capsys.readouterr()
