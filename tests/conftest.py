"""Session fixtures: a real Prometheus on 127.0.0.1 loaded with demo and handmade series, and
one loaded with the demo sprint moved to the clock the tests run under. Fixtures only: the
helpers tests import live in tests/support/."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from pipeline.demo.generate import SPRINT_START, demo_series
from pipeline.demo.openmetrics import write_openmetrics
from pipeline.demo.promserver import PrometheusServer, backfill
from tests.support.binaries import require_binary
from tests.support.configs import shipped_config
from tests.support.demosite import write_demo_site
from tests.support.handmade import handmade_openmetrics
from tests.support.live import LIVE_DAYS_BEFORE, LiveSprint


def _require_prometheus() -> None:
    require_binary("prometheus")
    require_binary("promtool", package="prometheus")


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus with the three demo weeks and the handmade series backfilled."""
    _require_prometheus()
    root = tmp_path_factory.mktemp("prometheus")
    source = root / "data.om"
    with open(source, "w") as out:
        out.write(handmade_openmetrics())
        write_openmetrics(demo_series(), out)
    backfill(source, root / "tsdb")
    with PrometheusServer(root / "tsdb", log_path=root / "prometheus.log") as server:
        yield server


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Path:
    """The demo's three weeks in every format, run in order into one output folder: the site as
    a nightly run leaves it. Built once per worker and shared by the modules that only read it
    (the site, its pages in a browser, the PDFs' layout); a test that writes works on a copy."""
    return write_demo_site(prometheus.url, tmp_path_factory.mktemp("demo-site"))


@pytest.fixture(scope="session")
def live_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSprint]:
    """For tests of "now" (the scheduler, `--week current`): data built around the clock the
    session runs under, whatever the date, so nothing depends on the day the suite runs."""
    _require_prometheus()
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


@pytest.fixture
def demo_config(tmp_path: Path, prometheus: PrometheusServer) -> Path:
    """The shipped config.yaml, pointed at the test Prometheus."""
    return shipped_config(tmp_path, prometheus.url)
