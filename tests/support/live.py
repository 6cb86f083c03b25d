"""The live sprint: the demo sprint moved around the clock the tests run under, for tests of
"now" (the scheduler, `--week current`)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from pipeline.demo.promserver import PrometheusServer
from tests.support.configs import ABSOLUTE_P95, shipped_config

LIVE_DAYS_BEFORE = 9  # week 2 of the live sprint holds now (and the two nights before it)


@dataclasses.dataclass(frozen=True)
class LiveSprint:
    """A Prometheus holding the demo sprint moved to start LIVE_DAYS_BEFORE days before the day
    the test session started (UTC): its week 2 holds "now", with data up to it and beyond."""

    server: PrometheusServer
    start: date

    @property
    def url(self) -> str:
        return self.server.url


def live_config(folder: Path, live: LiveSprint) -> Path:
    """The shipped config.yaml pointed at the live Prometheus, its sprint starting when the live
    sprint does (P95 Latency absolute: a live week has no history of the weeks before)."""
    moved = {"start: 2026-11-02": f"start: {live.start}", **ABSOLUTE_P95}
    return shipped_config(folder, live.url, moved)
