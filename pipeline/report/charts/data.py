"""What a chart is in a week folder and which series it draws, without matplotlib: the report
views and the chart cache need these, and a week whose charts all come from the cache never
imports the plotting library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.core.model import ForecastBand, GoalResult, QueryResult, Series, WeekResult

GOAL_CHARTS = "charts/goals"  # apart from fixed names: a goal may be called `trend`
TREND_CHART = "charts/trend.png"  # the overall score of each week so far


@dataclass(frozen=True, eq=False)
class ChartBand:
    """The forecast a goal's chart draws: `band` (p10 to p90 of the deciding series) from the
    last observed point, and `until`, the week's end, where the chart's time axis then ends."""

    band: ForecastBand
    until: datetime


def chart_name(goal_id: str) -> str:
    """Path of a goal's chart, relative to the week folder."""
    return f"{GOAL_CHARTS}/{goal_id}.png"


def ordered_series(goal: GoalResult, data: QueryResult) -> list[Series]:
    """The query's series the goal scored, worst first (the goal's order): what its chart draws."""
    by_labels = {s.labels: s for s in data.series}
    return [by_labels[s.labels] for s in goal.series if s.labels in by_labels]


def chart_band(result: WeekResult, goal_id: str) -> ChartBand | None:
    """The forecast band `goal_id`'s chart draws: None without one (a complete week, or a goal
    without a forecast). Its axis ends at the week's end, the time of the goal's week-end odds
    (made with the band), or at the band's last point if it had none."""
    band = result.outlook.bands.get(goal_id)
    if band is None or band.timestamps.size == 0:
        return None
    odds = result.outlook.goal(goal_id).week_end
    last = datetime.fromtimestamp(float(band.timestamps[-1]), result.window.end.tzinfo)
    until = max(odds.at if odds is not None else last, last, result.window.end)
    return ChartBand(band, until)
