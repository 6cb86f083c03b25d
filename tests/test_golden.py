"""Golden Markdown reports of the demo's week 1.

Refresh after an intended change with `make golden` (UPDATE_GOLDEN=1), then review the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.demo.promserver import PrometheusServer
from pipeline.run import RunRequest, run_week
from tests.conftest import shipped_config

pytestmark = pytest.mark.prometheus
GOLDEN = Path(__file__).parent / "golden" / "week-01"
AGENTS = ["product-manager", "devops", "testing", "go-code"]


def scrub(text: str) -> str:
    """Blank what changes from run to run: generation time, the config's hash, the port."""
    text = re.sub(r"Generated \S+", "Generated <TIME>", text)
    text = re.sub(r"//127\.0\.0\.1:\d+/", "//127.0.0.1:<PORT>/", text)
    return re.sub(r"config [0-9a-f]{12}", "config <DIGEST>", text)


@pytest.fixture(scope="module")
def week1(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Path:
    tmp = tmp_path_factory.mktemp("golden")
    config = shipped_config(tmp, prometheus.url)
    request = RunRequest(week=1, output_dir=tmp / "out", formats=("md",))
    outcome = run_week(load_config(config, env={}), request, now=datetime(2026, 11, 26, tzinfo=UTC))
    assert outcome.folder is not None
    return outcome.folder


@pytest.mark.parametrize("agent", AGENTS)
def test_markdown_matches_golden(week1: Path, agent: str) -> None:
    actual = scrub((week1 / f"{agent}.md").read_text())
    golden = GOLDEN / f"{agent}.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual)
    assert actual == golden.read_text(), f"refresh with `make golden` if intended: {golden}"
