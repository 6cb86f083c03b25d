"""`python -m pipeline rules`: the generated rules pass `promtool check rules`, and
`promtool test rules` with generated input series fires exactly the alerts each case calls for,
family by family (weekly, no data, slipping, likely to miss, realtime guards, the stale run).

The replay of the demo weeks in a real Prometheus is tests/test_alert_replay.py."""

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
from pipeline.generate.rulemodel import VALUE, AlertingRule, alert_name, literal
from pipeline.generate.rules import STALE_ALERT, build_groups, rules_yaml
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
    "at_most": {  # a strict warning: its bound is missed
        "goal": {"target": "<= 10", "warning": "< 15"},
        "cases": {"met": (10, None), "at_risk": (14.5, "AtRisk"), "missed": (15, "Missed")},
    },
    "key_goal": {  # a key goal's AtRisk is critical too
        "goal": {"target": ">= 5", "warning": ">= 4", "key": True},
        "cases": {"met": (5, None), "at_risk": (4, "AtRisk"), "missed": (3, "Missed")},
    },
    "latency_compliance": {  # every sample misses `< 100`: 0 % of the week's samples meet it
        "goal": {"aggregate": "compliance", "sample_target": "< 100", "target": ">= 99"},
        "cases": {"met": (80, None), "missed": (150, "Missed")},
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
    folder: Path,
    record: bool = False,
    stale_after: str = "26h",
    sprint: str = SPRINT,
    **rules: Any,
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
        }
        | rules,
    }
    doc["goals"][1]["rules_for"] = "2m"  # `below` fires sooner
    return write_config(folder / "config.yaml", yaml.safe_dump(doc, sort_keys=False))


def _series(kind: str, case: str) -> str:
    if kind == "throughput":
        return f'throughput_bytes_total{{case="{case}"}}'
    return f'{kind}_metric{{case="{case}"}}'


# A guard judges each sample: a compliance goal's guard is AtRisk while a sample misses.
GUARD_STATE = {("latency_compliance", "Missed"): "AtRisk"}
# The weekly alert's value of a compliance goal is the share of samples that meet it.
WEEKLY_SHOWN = {("latency_compliance", "missed"): 0.0}


def _expected_alerts(rules: dict[str, dict[str, Any]], prefix: str = "") -> list[dict[str, Any]]:
    """One alert_rule_test per alert of each kind (`prefix`: "" the weekly alerts, "Realtime"
    the guards): the cases it must fire for, with labels and annotations as Prometheus renders
    them."""
    tests = []
    for kind, spec in KINDS.items():
        for state in ("AtRisk", "Missed"):
            name = alert_name(kind, prefix + state)
            if name not in rules:
                continue
            rule = rules[name]
            alerts = []
            for case, (value, fires) in spec["cases"].items():
                if prefix:
                    fires = GUARD_STATE.get((kind, fires), fires)
                # AtRisk fires whenever the goal is not met, missed included
                if fires is None or (fires != state and state != "AtRisk"):
                    continue
                shown = value if prefix else WEEKLY_SHOWN.get((kind, case), value)
                annotations = _rendered(rule["annotations"], shown)
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


@pytest.mark.parametrize(
    ("record", "prefix"),
    [(False, ""), (True, ""), (True, "Realtime")],
    ids=["weekly-queries", "weekly-recorded", "realtime-guards"],
)
def test_promtool_test_rules_fires_exactly_the_alerts_each_case_calls_for(
    tmp_path: Path, record: bool, prefix: str
) -> None:
    """Constant series: the week's aggregate is the value, so each case is judged as is."""
    text = rules_yaml(load_config(_config(tmp_path, record=record, realtime=bool(prefix))))
    (tmp_path / "rules.yml").write_text(text)
    assert _promtool("check", "rules", "rules.yml", cwd=tmp_path).returncode == 0
    rules = _alerting_rules(text)
    tests = _expected_alerts(rules, prefix)
    # every non-met case of every kind fires its Missed or AtRisk; with a warning, a missed case
    # fires both (Alertmanager's inhibit rule then silences AtRisk)
    assert sum(len(t["exp_alerts"]) for t in tests) == 26
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
        {
            "exp_labels": {
                **rules[alert_name("at_least", prefix + "AtRisk")]["labels"],
                "case": "met",
            }
        }
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
    description = (
        f"The last run that pushed its results ({metric}) is older than 2h, or no run ever "
        "pushed them: is the scheduler running?"
    )

    def fired(summary: str) -> list[dict[str, Any]]:
        return [
            {
                "exp_labels": labels,
                "exp_annotations": {"summary": summary, "description": description},
            }
        ]

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
                        "exp_alerts": fired(f"{sprint}: no successful report run for 2h 10m 0s"),
                    },
                ],
            },
            {  # nothing of this sprint was ever pushed: the alert fires at once
                "interval": "10m",
                "input_series": [
                    {"series": f'{metric}{{sprint="Other",week="1"}}', "values": "0+0x20"}
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "1m",
                        "alertname": STALE_ALERT,
                        "exp_alerts": fired(f"{sprint}: no successful report run for 2h or more"),
                    },
                ],
            },
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    done = _promtool("test", "rules", "test.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def _fires(rules: dict[str, dict[str, Any]], name: str, **labels: str) -> dict[str, Any]:
    """An expected alert of rule `name` with the rule's labels and `labels` (annotations as the
    rule renders them with a value that the summary does not show)."""
    rule = rules[name]
    return {"exp_labels": {**rule["labels"], **labels}}


def _unit_test(
    tmp_path: Path,
    text: str,
    series: list[dict[str, str]],
    tests: list[dict[str, Any]],
    interval: str = "1m",
) -> subprocess.CompletedProcess[str]:
    """`promtool test rules` on `text` with annotations left out (only labels are compared)."""
    doc = yaml.safe_load(text)
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    unit = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": interval,
        "tests": [{"interval": interval, "input_series": series, "alert_rule_test": tests}],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    return _promtool("test", "rules", "test.yml", cwd=tmp_path)


@pytest.mark.parametrize("record", [False, True], ids=["queries", "recorded"])
def test_no_data_fires_for_a_goal_without_samples_under_no_data_fail(
    tmp_path: Path, record: bool
) -> None:
    """Only `at_least` has samples: every other goal's NoData fires, at_least's does not."""
    text = rules_yaml(load_config(_config(tmp_path, record=record)))
    rules = _alerting_rules(text)
    series = [{"series": _series("at_least", "met"), "values": "100+0x15"}]
    recorded_labels = {"sprint": SPRINT} if record else {}
    tests = [
        {"eval_time": "10m", "alertname": "AtLeastNoData", "exp_alerts": []},
        {
            "eval_time": "10m",
            "alertname": "BelowNoData",
            "exp_alerts": [_fires(rules, "BelowNoData")],
        },
        {  # not a bare selector: read from its recorded series, which carries the sprint
            "eval_time": "10m",
            "alertname": "ThroughputNoData",
            "exp_alerts": [_fires(rules, "ThroughputNoData", **recorded_labels)],
        },
        {  # its samples' verdicts are always recorded
            "eval_time": "10m",
            "alertname": "LatencyComplianceNoData",
            "exp_alerts": [_fires(rules, "LatencyComplianceNoData", sprint=SPRINT)],
        },
        {"eval_time": "3m", "alertname": "AtLeastNoData", "exp_alerts": []},
    ]
    done = _unit_test(tmp_path, text, series, tests)
    assert done.returncode == 0, done.stdout + done.stderr
    assert rules["BelowNoData"]["labels"]["severity"] == "critical"
    skipped = _config(tmp_path).read_text().replace("categories:", "no_data: skip\n  categories:")
    (tmp_path / "skip.yaml").write_text(skipped)
    assert not any(
        n.endswith("NoData")
        for n in _alerting_rules(rules_yaml(load_config(tmp_path / "skip.yaml")))
    )


def test_slipping_fires_when_half_the_margin_went_in_a_week(tmp_path: Path) -> None:
    """at_least (>= 100): a week at 200, then a week at 120 (margin 100 -> 20) slips; below
    (< 10): a week at 2 then at 5 (margin 8 -> 5) does not; a missed goal is not slipping."""
    text = rules_yaml(load_config(_config(tmp_path)))
    rules = _alerting_rules(text)
    assert rules["AtLeastSlipping"]["labels"]["severity"] == "info"
    assert "InRangeSlipping" not in rules and "ExactlySlipping" not in rules  # two-sided
    series = [
        {"series": _series("at_least", "slips"), "values": "200+0x168 120+0x170"},
        {"series": _series("at_least", "falls"), "values": "200+0x168 80+0x170"},
        {"series": _series("below", "holds"), "values": "2+0x168 5+0x170"},
    ]
    tests = [
        {"eval_time": "1d", "alertname": "AtLeastSlipping", "exp_alerts": []},
        {
            "eval_time": "14d",
            "alertname": "AtLeastSlipping",
            "exp_alerts": [_fires(rules, "AtLeastSlipping", case="slips")],
        },
        {"eval_time": "14d", "alertname": "BelowSlipping", "exp_alerts": []},
    ]
    done = _unit_test(tmp_path, text, series, tests, interval="1h")
    assert done.returncode == 0, done.stdout + done.stderr


def test_likely_to_miss_reads_the_latest_runs_forecast(tmp_path: Path) -> None:
    """Week 2's forecast gives at_least a 30 % chance: it fires while week 2's run is the
    latest; once a rerun of week 1 (90 %) is the latest push, it stops."""
    text = rules_yaml(load_config(_config(tmp_path)))
    rules = _alerting_rules(text)
    p_met = "sprint_convergence_goal_p_met"
    success = "sprint_convergence_last_success_timestamp_seconds"
    pushed = f'sprint="{SPRINT}",job="sprint_convergence",instance="pushgateway"'
    series = [
        {
            "series": f'{p_met}{{{pushed},week="1",goal="at_least",horizon="week_end"}}',
            "values": "0.9+0x40",
        },
        {
            "series": f'{p_met}{{{pushed},week="2",goal="at_least",horizon="week_end"}}',
            "values": "0.3+0x40",
        },
        {
            "series": f'{p_met}{{{pushed},week="2",goal="below",horizon="week_end"}}',
            "values": "0.8+0x40",
        },
        {
            "series": f'{p_met}{{{pushed},week="2",goal="at_least",horizon="sprint_end"}}',
            "values": "0.1+0x40",
        },
        {"series": f'{success}{{{pushed},week="1"}}', "values": "100+0x19 3000+0x20"},
        {"series": f'{success}{{{pushed},week="2"}}', "values": "200+0x40"},
    ]
    week_two = {
        "week": "2",
        "horizon": "week_end",
        "job": "sprint_convergence",
        "instance": "pushgateway",
    }
    tests = [
        {
            "eval_time": "10m",
            "alertname": "AtLeastLikelyToMiss",
            "exp_alerts": [_fires(rules, "AtLeastLikelyToMiss", **week_two)],
        },
        {"eval_time": "10m", "alertname": "BelowLikelyToMiss", "exp_alerts": []},
        {"eval_time": "30m", "alertname": "AtLeastLikelyToMiss", "exp_alerts": []},
    ]
    done = _unit_test(tmp_path, text, series, tests)
    assert done.returncode == 0, done.stdout + done.stderr
    assert rules["AtLeastLikelyToMiss"]["labels"]["severity"] == "warning"


def test_a_sustained_breach_is_one_guard_alert(tmp_path: Path) -> None:
    """The realtime guards keep firing through a short recovery (keep_firing_for 30m)."""
    text = rules_yaml(load_config(_config(tmp_path, realtime=True, keep_firing_for="30m")))
    rules = _alerting_rules(text)
    assert rules["AtLeastRealtimeMissed"]["keep_firing_for"] == "30m"
    assert rules["AtLeastMissed"]["keep_firing_for"] == "30m"  # the weekly alerts too
    assert "keep_firing_for" not in rules["AtLeastNoData"]
    # missed for 20m, fine for 10m, missed again: one alert throughout
    series = [{"series": _series("at_least", "dips"), "values": "50+0x19 150+0x9 50+0x30"}]
    firing = [_fires(rules, "AtLeastRealtimeMissed", case="dips")]
    tests = [
        {"eval_time": "25m", "alertname": "AtLeastRealtimeMissed", "exp_alerts": firing},
        {"eval_time": "45m", "alertname": "AtLeastRealtimeMissed", "exp_alerts": firing},
    ]
    done = _unit_test(tmp_path, text, series, tests)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_demo_rules_pass_promtool_and_count_by_severity(tmp_path: Path) -> None:
    loaded = load_config(ROOT / "config.yaml")
    groups = build_groups(loaded)
    alerts = [r for g in groups for r in g.rules if isinstance(r, AlertingRule)]
    severities = Counter(r.labels["severity"] for r in alerts)
    # 10 goals: Missed and NoData (critical), AtRisk (warning; critical for the 2 key goals),
    # LikelyToMiss (warning), Slipping (info) for the 8 with a fixed one-sided target (not the
    # relative P95 Latency: its bound moves each week); the stale run
    assert severities == {"critical": 22, "warning": 19, "info": 8}
    assert [g.name for g in groups] == [
        "sprint_convergence_record",
        "sprint_convergence_technical",
        "sprint_convergence_customer",
        "sprint_convergence_run",
    ]
    assert groups[0].interval == "1m"  # the sprint's step
    throughput = next(r for r in alerts if r.alert == "EventThroughputAtRisk")
    assert throughput.labels == {  # one routing label per agent that lists the goal
        "sprint": "UnMoGrowP Attribution Platform",
        "goal": "event_throughput",
        "category": "technical",
        "agent_devops": "true",
        "agent_testing": "true",
        "agent_go_code": "true",
        "severity": "critical",
    }
    (tmp_path / "rules.yml").write_text(rules_yaml(loaded))
    done = _promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert done.returncode == 0 and "SUCCESS: 64 rules found" in done.stdout


def test_opt_out_record_labels_and_runbook(tmp_path: Path) -> None:
    loaded = load_config(_config(tmp_path, record=True))
    text = rules_yaml(loaded)
    doc = yaml.safe_load(text)
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert not any(r.get("labels", {}).get("goal") == "quiet" for r in rules)  # alert: false
    records = {r["record"]: r["expr"] for r in rules if "record" in r}
    assert all(r["labels"] == {"sprint": SPRINT} for r in rules if "record" in r)
    # the queries first, then each goal's week, which reads them (one group, in order)
    assert list(records)[:2] == [
        "sprint_convergence:goal_sample_met:latency_compliance",
        "sprint_convergence:goal_value:throughput",
    ]
    assert records["sprint_convergence:goal_sample_met:latency_compliance"] == (
        "(latency_compliance_metric) < bool 100"
    )
    assert records["sprint_convergence:goal_value:throughput"] == (
        "sum by (case) (throughput_bytes_total)"
    )
    assert records["sprint_convergence:goal_week:throughput"] == (
        'last_over_time(sprint_convergence:goal_value:throughput{sprint="Test Sprint"}[7d])'
    )
    assert records["sprint_convergence:goal_week:at_least"] == "last_over_time(at_least_metric[7d])"
    assert records["sprint_convergence:goal_week:latency_compliance"] == (
        "100 * avg_over_time(sprint_convergence:goal_sample_met:latency_compliance"
        '{sprint="Test Sprint"}[7d])'
    )
    assert "sprint_convergence:goal_week:quiet" not in records  # alert: false
    alerts = _alerting_rules(text)
    week = 'sprint_convergence:goal_week:{}{{sprint="Test Sprint"}}'.format
    assert alerts["ThroughputMissed"]["expr"] == f"{week('throughput')} < 900000"
    assert alerts["AtLeastAtRisk"]["expr"] == f"{week('at_least')} < 100"  # not met
    assert alerts["InRangeMissed"]["expr"] == (
        f"({week('in_range')} < 25 or {week('in_range')} > 55)"
    )
    assert alerts["AtLeastNoData"]["expr"] == f"absent({week('at_least')})"
    assert alerts["AtLeastSlipping"]["expr"] == (
        f"{week('at_least')} >= 100 and ({week('at_least')} - 100) < 0.5 * "
        f"({week('at_least')} offset 7d - 100)"
    )
    # without recording, the alerts compute the week: a query that is not a bare selector
    # as a subquery of the whole week
    plain = _alerting_rules(rules_yaml(load_config(_config(tmp_path, record=False))))
    assert plain["ThroughputMissed"]["expr"] == (
        "(last_over_time((sum by (case) (throughput_bytes_total))[7d:1m])) < 900000"
    )
    assert plain["AtLeastAtRisk"]["expr"] == "(last_over_time(at_least_metric[7d])) < 100"
    assert plain["AtLeastNoData"]["expr"] == "absent_over_time(at_least_metric[7d])"
    assert plain["LatencyComplianceMissed"]["expr"] == (
        "(100 * avg_over_time(sprint_convergence:goal_sample_met:latency_compliance"
        '{sprint="Test Sprint"}[7d])) < 99'
    )
    # a runbook URL with braces reaches the annotation as text, not as a template
    assert alerts["AtLeastMissed"]["annotations"]["runbook_url"] == (
        'https://runbooks.example/{{ "{{" }} goal {{ "}}" }}'
    )
    assert alerts["AtLeastMissed"]["labels"]["team"] == "platform"
    assert alerts["AtLeastMissed"]["labels"]["agent_ops"] == "true"
    assert alerts["AtLeastMissed"]["labels"]["agent_qa"] == "true"
    assert "agent_ops" not in alerts["ExactlyMissed"]["labels"]
    assert alerts["AtLeastAtRisk"]["labels"]["severity"] == "warning"
    assert alerts["KeyGoalAtRisk"]["labels"]["severity"] == "critical"


@pytest.mark.parametrize(
    ("quantile", "function"),
    [
        ("mean", "avg_over_time(m[7d])"),
        ("min", "min_over_time(m[7d])"),
        ("max", "max_over_time(m[7d])"),
        ("median", "quantile_over_time(0.5, m[7d])"),
        ("p95", "quantile_over_time(0.95, m[7d])"),
        ("p50", "quantile_over_time(0.5, m[7d])"),
    ],
)
def test_each_aggregate_has_its_over_time_function(
    tmp_path: Path, quantile: str, function: str
) -> None:
    doc = yaml.safe_load(_config(tmp_path).read_text())
    doc["goals"] = [_goal("exactly") | {"query": "m", "aggregate": quantile}]
    doc["agents"] = [{"id": "ops", "name": "Ops", "goals": ["exactly"]}]
    config = write_config(tmp_path / "one.yaml", yaml.safe_dump(doc))
    alerts = _alerting_rules(rules_yaml(load_config(config)))
    assert alerts["ExactlyMissed"]["expr"] == f"({function}) != 1"  # record: false


def test_the_teams_own_rule_files_are_merged_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = {"groups": [{"name": "team", "rules": [{"alert": "QueueDeep", "expr": "queue > 10"}]}]}
    (tmp_path / "team.yml").write_text(yaml.safe_dump(own))
    config = shipped_config(tmp_path)
    config.write_text(config.read_text() + "\nrules: {extra_files: [team.yml]}\n")
    assert main(["rules", "--config", str(config), "--output", str(tmp_path / "all.yml")]) == 0
    merged = yaml.safe_load((tmp_path / "all.yml").read_text())["groups"]
    assert merged[-1] == own["groups"][0]
    assert _promtool("check", "rules", "all.yml", cwd=tmp_path).returncode == 0
    capsys.readouterr()
    # each way a team's file can be wrong is a config error naming it
    bad = {
        "team.yml": "groups: [{name: sprint_convergence_run, rules: []}, {name: t, rules: []}]",
        "other.yml": "groups: [{name: t, rules: []}]",
        "broken.yml": "groups: [",
        "list.yml": "- not a rule file",
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
    files = "[team.yml, other.yml, broken.yml, list.yml, missing.yml]"
    config.write_text(config.read_text().replace("[team.yml]", files))
    assert main(["rules", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert (
        "rules.extra_files[0] (team.yml): group 'sprint_convergence_run' is also in the "
        "generated rules" in err
    )
    assert "(other.yml): group 't' is also in rules.extra_files[0] (team.yml)" in err
    assert "rules.extra_files[2] (broken.yml): not YAML" in err
    assert "rules.extra_files[3] (list.yml): not a Prometheus rule file" in err
    assert "rules.extra_files[4] (missing.yml): cannot read it" in err


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
        {"id": "below", "target": "< 10", "warning": "<= 20"},
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
