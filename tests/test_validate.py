"""`python -m pipeline validate`: config problems, then each query asked of the server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer, free_port
from tests.support.configs import shipped_config, write_config
from tests.support.handmade import HANDMADE

WEDNESDAY = datetime(2026, 11, 18, 12, tzinfo=UTC)  # in the demo's week 3
AFTER = datetime(2026, 12, 3, tzinfo=UTC)  # the demo sprint (3 weeks) is over
HANDMADE_NOON = datetime(2026, 11, 2, 12, tzinfo=UTC)  # the handmade one-day week 1


@pytest.mark.prometheus
def test_a_good_config_and_good_queries(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    assert main(["validate", "--config", str(config)], now=WEDNESDAY) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{config}: loaded (10 goals, 4 agents)\n")
    assert "generated rules: SUCCESS: 64 rules found\n" in out
    assert "queries over week 3 (2026-11-16 00:00 to 2026-11-18 12:00 UTC, so far)" in out
    assert "│ event_throughput " in out and "│ no " not in out
    assert out.endswith(f"{config}: valid (10 goals, 4 agents)\n")


@pytest.mark.prometheus
def test_after_the_sprint_its_last_week_is_checked(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    assert main(["validate", "--config", str(config)], now=AFTER) == 0
    assert "queries over week 3 (2026-11-16 00:00 to 2026-11-23 00:00 UTC) " in (
        capsys.readouterr().out
    )


@pytest.mark.prometheus
def test_a_rejected_query_exits_2_naming_the_goal(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "c.yaml", HANDMADE, prometheus.url)
    assert main(["validate", "--config", str(config)], now=HANDMADE_NOON) == 2
    captured = capsys.readouterr()
    assert "no: bad_data: " in captured.out and "valid" not in captured.out
    # promtool finds it too
    assert 'generated rules: FAILED: rules.yml: 11:11: group "sprint_convergence_record"' in (
        captured.out
    )
    assert captured.err.startswith(
        f"error: {config}: goals[7].query: the server rejects the query of 'broken': bad_data: "
    )
    assert captured.err.endswith(
        f"{config}: the alert rules it generates fail `promtool check rules` (above)\n"
    )
    assert captured.err.count("\n") == 2


@pytest.mark.prometheus
def test_goals_without_data_in_the_week_exit_6_naming_them(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(
        tmp_path,
        prometheus.url,
        {
            "query: total_pilot_customers": "query: total_pilot_customerz",
            "query: customer_satisfaction_score": 'query: customer_satisfaction_score{x="y"}',
        },
    )
    assert main(["validate", "--config", str(config)], now=WEDNESDAY) == 6
    captured = capsys.readouterr()
    assert "│ pilot_customers " in captured.out and "valid" not in captured.out
    assert captured.err == (
        f"error: {config}: no data in week 3 (2026-11-16 00:00 to 2026-11-18 12:00 UTC, so far) "
        "for 2 of 10 goals: goals[5] (pilot_customers), goals[6] (customer_satisfaction)\n"
    )


@pytest.mark.prometheus
def test_no_data_at_all_in_the_week_exits_3(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a wrong server, tenant or retention look like: a run would exit 3 too."""
    config = shipped_config(tmp_path, prometheus.url, {"start: 2026-11-02": "start: 2025-11-03"})
    assert main(["validate", "--config", str(config)], now=AFTER) == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {prometheus.url} answered, but no goal's query has data in week 3 "
        "(2025-11-17 00:00 to 2025-11-24 00:00 UTC): check prometheus.url, prometheus.headers "
        "(a tenant) and the server's retention\n"
    )


@pytest.mark.prometheus
def test_before_the_sprint_only_the_parsing_is_checked(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url, {"start: 2026-11-02": "start: 2027-01-04"})
    assert main(["validate", "--config", str(config)], now=AFTER) == 0
    out = capsys.readouterr().out
    assert "queries now (the sprint has not started) against " in out and "Data now" in out


def test_an_unreachable_server_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = shipped_config(tmp_path, url, {"retries: 3": "retries: 0"})
    assert main(["validate", "--config", str(config)]) == 3
    assert capsys.readouterr().err == f"error: Prometheus at {url}: connection refused (1 tries)\n"


def test_an_invalid_config_exits_2_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, replace={"step: 1m": "step: 1 minute", "UTC": "Mars/Base"})
    assert main(["validate", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"error: {config}: sprint.timezone: unknown time zone 'Mars/Base' (use an IANA name "
        "such as 'Europe/Paris')\n"
        f"{config}: sprint.step: cannot parse duration '1 minute' (expected e.g. '30s', '1m', "
        "'1h30m')\n"
    )
