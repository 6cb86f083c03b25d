"""Session fixtures: a real Prometheus on 127.0.0.1 loaded with demo and handmade series."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.demo.generate import demo_series
from pipeline.demo.openmetrics import write_openmetrics
from pipeline.demo.promserver import PrometheusServer, backfill
from tests.handmade import handmade_openmetrics
from tests.parts import installed

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus with the three demo weeks and the handmade series backfilled."""
    installed("prometheus", "prometheus", "promtool")
    root = tmp_path_factory.mktemp("prometheus")
    source = root / "data.om"
    with open(source, "w") as out:
        out.write(handmade_openmetrics())
        write_openmetrics(demo_series(), out)
    backfill(source, root / "tsdb")
    with PrometheusServer(root / "tsdb", log_path=root / "prometheus.log") as server:
        yield server


def pipeline_command(week: int, config: Path, out: Path, *extra: str) -> list[str]:
    """`python -m pipeline --week N --config C --output O ...`, to run as a subprocess."""
    return [
        sys.executable,
        "-m",
        "pipeline",
        "--week",
        str(week),
        "--config",
        str(config),
        "--output",
        str(out),
        *extra,
    ]


def write_config(path: Path, text: str, url: str | None = None) -> Path:
    """Write a config file, pointing it at `url` when given."""
    if url:
        text = text.replace("http://127.0.0.1:9090", url)
    path.write_text(text)
    return path


def shipped_config(
    folder: Path, url: str | None = None, replace: dict[str, str] | None = None
) -> Path:
    """A copy of the shipped config.yaml in `folder`, pointed at `url`, with text replaced."""
    text = (ROOT / "config.yaml").read_text()
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    return write_config(folder / "config.yaml", text, url)


@pytest.fixture
def demo_config(tmp_path: Path, prometheus: PrometheusServer) -> Path:
    """The shipped config.yaml, pointed at the test Prometheus."""
    return shipped_config(tmp_path, prometheus.url)
