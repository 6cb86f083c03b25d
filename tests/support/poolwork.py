"""Jobs for the pool's tests: module-level, so a worker can unpickle them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pipeline.core.model import GoalResult, QueryResult, Window
from pipeline.report.charts import draw as charts
from pipeline.report.charts.data import ChartBand

HELD: list[NDArray[np.float64]] = []  # in the run: data like the query results'


def rss_kib() -> int:
    """This process's resident set size, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def worker_state(_: int) -> tuple[int, int, bool]:
    """The worker's pid, its RSS (KiB) and whether it holds the run's data."""
    return os.getpid(), rss_kib(), bool(HELD)


def note_and_sleep(path: Path) -> None:
    """Write this process's id into `path`, then sleep as a long chart would."""
    path.write_text(str(os.getpid()))
    time.sleep(120)


def raise_on_lat(
    goal: GoalResult, data: QueryResult, window: Window, band: ChartBand | None, path: Path
) -> None:
    """The goal chart, except for the `lat` goal, which raises."""
    if goal.spec.id == "lat":
        raise ValueError("no room on the canvas")
    charts.draw_goal_chart(goal, data, window, path, band)


def die_on_lat(
    goal: GoalResult, data: QueryResult, window: Window, band: ChartBand | None, path: Path
) -> None:
    """The goal chart, except for the `lat` goal, which stops the process dead (out of memory)."""
    if goal.spec.id == "lat":
        os._exit(9)
    charts.draw_goal_chart(goal, data, window, path, band)


@dataclass(frozen=True)
class WithPid:
    """A chart's drawing, also writing the id of the process that drew it beside the chart."""

    draw: Callable[[Path], None]

    def __call__(self, path: Path) -> None:
        self.draw(path)
        path.with_suffix(".pid").write_text(str(os.getpid()))
