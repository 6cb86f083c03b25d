"""`python -m pipeline validate`: config problems, then each query asked of the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer, free_port
from tests.support.configs import shipped_config, write_config
from tests.support.handmade import HANDMADE


@pytest.mark.prometheus
def test_a_good_config_and_good_queries(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    assert main(["validate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"{config}: valid (10 goals, 4 agents)" in out
    assert "generated rules: SUCCESS: 65 rules found\n" in out
    # the demo data lies in November 2026: evaluated now, the queries parse but find nothing
    assert "│ event_throughput " in out and "invalid" not in out


@pytest.mark.prometheus
def test_a_rejected_query_exits_2(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "c.yaml", HANDMADE, prometheus.url)
    assert main(["validate", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    assert "no: bad_data: " in out and "1 of 8 queries are invalid" in out
    # promtool finds it too
    assert 'generated rules: FAILED: rules.yml: 11:11: group "sprint_convergence_record"' in out


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
