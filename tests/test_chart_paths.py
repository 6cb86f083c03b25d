"""Goal charts live apart from the fixed-name trend chart: a goal may be called `trend`."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from tests.support.configs import shipped_config

pytestmark = pytest.mark.prometheus


def test_a_goal_called_trend_keeps_its_chart_and_the_trend_chart(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url, {"event_throughput": "trend"})
    out = tmp_path / "out"
    for week in ("1", "2"):  # week 2 has a week before it: it draws the trend chart
        args = ["--week", week, "--config", str(config), "--output", str(out), "-q"]
        assert main([*args, "--format", "html"]) == 0
    folder = out / "week-02"
    goal_chart, trend_chart = folder / "charts/goals/trend.png", folder / "charts/trend.png"
    assert goal_chart.read_bytes() != trend_chart.read_bytes()
    page = (folder / "go-code.html").read_text()
    assert 'src="charts/goals/trend.png"' in page and 'src="charts/trend.png"' in page
