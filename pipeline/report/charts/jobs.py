"""A week's charts: each taken from the chart cache, or drawn in a process pool.

`WeekCharts` starts the drawing when it is made and the caller renders the pages meanwhile
(a page only needs the charts' names); `finish()` waits for the pictures, keeps the new ones
in the cache and is where a drawing's failure becomes the run's error. A job is pickled to the
worker that draws it and carries only its own goal's query result and forecast band; matplotlib
is imported by the pool's fork server, or here only when the charts are drawn in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType

from pipeline.core.exclusions import scored_samples
from pipeline.core.history import WeekPoint
from pipeline.core.model import AgentResult, GoalResult, QueryResult, WeekResult, Window
from pipeline.report.charts.cache import ChartCache, goal_key, trend_key
from pipeline.report.charts.data import GOAL_CHARTS, TREND_CHART, ChartBand, chart_band, chart_name
from pipeline.report.pool import Batch, workers_for
from pipeline.scoring.trend import Trend

log = logging.getLogger("pipeline")


@dataclass(frozen=True)
class ChartJob:
    """One chart: its path in the week folder, its cache key, and how to draw it into a path."""

    name: str
    key: str
    draw: Callable[[Path], None]


def _draw_goal(
    goal: GoalResult, data: QueryResult, window: Window, band: ChartBand | None, path: Path
) -> None:
    from pipeline.report.charts.draw import draw_goal_chart

    draw_goal_chart(goal, data, window, path, band)


def _draw_trend(weeks: Sequence[WeekPoint], passing: float, warning: float, path: Path) -> None:
    from pipeline.report.charts.draw import draw_trend_chart

    draw_trend_chart(weeks, passing, warning, path)


def chart_jobs(
    result: WeekResult,
    results: Mapping[str, QueryResult],
    agents: Sequence[AgentResult],
    trend: Trend,
) -> tuple[dict[str, str], list[ChartJob]]:
    """The charts the agents' reports show: goal id -> chart name, and a job per chart (each
    goal once, with its forecast band in a week in progress, then the trend chart when there
    are earlier weeks)."""
    names, jobs = {}, []
    for goal_id in dict.fromkeys(g for a in agents for g in a.goal_ids):
        goal = result.goal(goal_id)
        data = scored_samples(goal, results)  # without its excluded samples
        names[goal_id] = chart_name(goal_id)
        band = chart_band(result, goal_id)
        key = goal_key(goal, data, result.window, band)
        draw = partial(_draw_goal, goal, data, result.window, band)
        jobs.append(ChartJob(names[goal_id], key, draw))
    if trend.has_history:
        scores = (trend.weeks, result.pass_score, result.warning_score)
        jobs.append(ChartJob(TREND_CHART, trend_key(*scores), partial(_draw_trend, *scores)))
    return names, jobs


def _draw(folder: Path, job: ChartJob) -> None:
    job.draw(folder / job.name)


class WeekCharts:
    """The charts of `jobs` in `folder`: cached ones copied now, the others drawn in a pool
    started now. Use as a context manager and call `finish()` before the PDFs are printed."""

    def __init__(self, jobs: Sequence[ChartJob], folder: Path, cache: ChartCache) -> None:
        self.folder, self.cache = folder, cache
        (folder / GOAL_CHARTS).mkdir(parents=True, exist_ok=True)
        self.drawn = [job for job in jobs if not cache.fetch(job.key, folder / job.name)]
        hits = len(jobs) - len(self.drawn)
        log.info("charts: %d from the cache, %d to draw", hits, len(self.drawn))
        self.batch = Batch(
            partial(_draw, folder),
            self.drawn,
            "drawing the charts",
            workers_for(len(self.drawn)),
        )

    def finish(self) -> None:
        """Wait for the charts being drawn (a failure is raised here), then keep them."""
        self.batch.results()
        for job in self.drawn:
            self.cache.store(job.key, self.folder / job.name)
        if self.drawn:
            self.cache.prune()

    def __enter__(self) -> WeekCharts:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.batch.close()
