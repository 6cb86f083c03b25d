"""The CI gate (exit 5) and the JUnit file, on the demo weeks against a real Prometheus."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from tests.support.command import cli_args
from tests.support.configs import ABSOLUTE_P95, shipped_config

pytestmark = pytest.mark.prometheus


def _run(config: Path, out: Path, week: int, *extra: str) -> int:
    """One week as the CLI runs it; Markdown only: the gate reads the scores, not the pages."""
    return main(cli_args(week, config, out, "--format", "md", "-q", *extra))


def _summary(out: Path, week: int) -> dict:  # type: ignore[type-arg]
    return json.loads((out / f"week-{week:02d}" / "summary.json").read_text())


def test_a_missed_week_fails_the_gate_naming_the_failed_goals(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url, ABSOLUTE_P95)
    assert _run(config, tmp_path / "out", 1, "--gate") == 5
    err = capsys.readouterr().err
    summary = _summary(tmp_path / "out", 1)  # the reports are written all the same
    assert summary["overall"]["verdict"] == "MISSED"
    assert "week 1 fails the gate: MISSED 50.0/100, vetoed by key goal customer_satisfaction" in err
    failed = [g["name"] for g in summary["goals"] if g["status"] == "missed"]
    assert failed == ["Customer Satisfaction", "Success Rate"]
    for name in failed:
        assert f"{name}: missed, " in err
    assert "System Uptime" not in err  # at risk: it costs points, but it did not fail


def test_without_gate_the_same_week_exits_0(tmp_path: Path, prometheus: PrometheusServer) -> None:
    assert _run(shipped_config(tmp_path, prometheus.url, ABSOLUTE_P95), tmp_path / "out", 1) == 0


def test_an_achieved_week_passes_unless_below_fail_under(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url, ABSOLUTE_P95)
    assert _run(config, tmp_path / "out", 3, "--gate") == 0
    assert "week 3 passes the gate: ACHIEVED 94.0/100" in capsys.readouterr().out
    assert _run(config, tmp_path / "out", 3, "--gate", "--fail-under", "95") == 5
    assert "below --fail-under 95" in capsys.readouterr().err
    assert _run(config, tmp_path / "out", 3, "--gate", "--fail-under", "94") == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--fail-under", "90"],
        ["--gate", "--fail-under", "101"],
        ["--junit", "x.xml", "--dry-run"],
        ["--gate", "--dry-run"],
    ],
)
def test_gate_options_misused_are_usage_errors(
    tmp_path: Path, prometheus: PrometheusServer, args: list[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url, ABSOLUTE_P95)
    assert _run(config, tmp_path / "out", 1, *args) == 2
    assert not (tmp_path / "out").exists()


def test_the_junit_file_has_a_case_per_goal_matching_summary_json(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url, ABSOLUTE_P95)
    junit = tmp_path / "ci" / "goals.xml"
    assert _run(config, tmp_path / "out", 1, "--gate", "--junit", str(junit)) == 5
    summary = _summary(tmp_path / "out", 1)
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [g["name"] for g in summary["goals"]]
    for case, goal in zip(cases, summary["goals"], strict=True):
        assert case.get("classname") == f"sprint.{goal['category']}"
        failure = case.find("failure")
        assert (failure is not None) == (goal["status"] == "missed"), goal["id"]
        assert case.find("error") is None and case.find("skipped") is None
    assert suite.get("tests") == str(len(summary["goals"]))
    assert suite.get("failures") == "2" and suite.get("errors") == "0"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["verdict"] == "MISSED" and properties["score"] == "50.0"


def test_junit_errors_and_skips_follow_the_no_data_policy(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    broken = {
        'avg(up{job=~"unmogrowp.*"}) * 100': 'avg(up{job=~"unmogrowp.*"} * 100',  # syntax
        "total_pilot_customers": "absent_metric_for_the_test",  # no data
        "no_data: fail": "no_data: skip",
        **ABSOLUTE_P95,
    }
    config = shipped_config(tmp_path, prometheus.url, replace=broken)
    junit = tmp_path / "goals.xml"
    assert _run(config, tmp_path / "out", 3, "--junit", str(junit)) == 0
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["System Uptime"].find("error") is not None
    assert cases["Pilot Customers"].find("skipped") is not None
    assert cases["Time to Launch"].find("failure") is None  # at risk passes


def test_an_unwritable_junit_file_is_exit_4_after_the_reports(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url, ABSOLUTE_P95)
    junit = tmp_path / "not-a-folder"
    junit.write_text("a file where a folder should be")
    assert _run(config, tmp_path / "out", 3, "--gate", "--junit", str(junit / "goals.xml")) == 4
    err = capsys.readouterr().err
    assert f"JUnit file: cannot write {junit / 'goals.xml'}" in err
    assert f"(the reports are in {tmp_path / 'out' / 'week-03'})" in err
    assert _summary(tmp_path / "out", 3)["overall"]["verdict"] == "ACHIEVED"
