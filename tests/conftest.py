"""Session fixtures: a real Prometheus on 127.0.0.1 loaded with demo and handmade series, and
one loaded with the demo sprint moved to the clock the tests run under."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from pipeline.demo.generate import SPRINT_START, demo_series
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


@dataclasses.dataclass(frozen=True)
class LiveSprint:
    """A Prometheus holding the demo sprint moved to start LIVE_DAYS_BEFORE days before the day
    the test session started (UTC): its week 2 holds "now", with data up to it and beyond."""

    server: PrometheusServer
    start: date

    @property
    def url(self) -> str:
        return self.server.url


LIVE_DAYS_BEFORE = 9  # week 2 of the live sprint holds now (and the two nights before it)


@pytest.fixture(scope="session")
def live_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSprint]:
    """For tests of "now" (the scheduler, `--week current`): data built around the clock the
    session runs under, whatever the date, so nothing depends on the day the suite runs."""
    installed("prometheus", "prometheus", "promtool")
    root = tmp_path_factory.mktemp("live-prometheus")
    start = datetime.now(UTC).date() - timedelta(days=LIVE_DAYS_BEFORE)
    offset = (datetime.combine(start, time(0), tzinfo=UTC) - SPRINT_START).total_seconds()
    source = root / "data.om"
    with open(source, "w") as out:
        moved = [
            dataclasses.replace(s, timestamps=s.timestamps + offset) for s in demo_series(weeks=2)
        ]
        write_openmetrics(moved, out)
    backfill(source, root / "tsdb")
    with PrometheusServer(root / "tsdb", log_path=root / "prometheus.log") as server:
        yield LiveSprint(server, start)


def pipeline_command(week: int | str, config: Path, out: Path, *extra: str) -> list[str]:
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


def live_config(folder: Path, live: LiveSprint) -> Path:
    """The shipped config.yaml pointed at the live Prometheus, its sprint starting when the live
    sprint does."""
    return shipped_config(folder, live.url, {"start: 2026-11-02": f"start: {live.start}"})


@pytest.fixture
def demo_config(tmp_path: Path, prometheus: PrometheusServer) -> Path:
    """The shipped config.yaml, pointed at the test Prometheus."""
    return shipped_config(tmp_path, prometheus.url)
