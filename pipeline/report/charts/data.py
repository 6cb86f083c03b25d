"""What a chart is in a week folder and which series it draws, without matplotlib: the report
views and the chart cache need these, and a week whose charts all come from the cache never
imports the plotting library."""

from __future__ import annotations

from pipeline.core.model import GoalResult, QueryResult, Series

GOAL_CHARTS = "charts/goals"  # apart from fixed names: a goal may be called `trend`
TREND_CHART = "charts/trend.png"  # the overall score of each week so far


def chart_name(goal_id: str) -> str:
    """Path of a goal's chart, relative to the week folder."""
    return f"{GOAL_CHARTS}/{goal_id}.png"


def ordered_series(goal: GoalResult, data: QueryResult) -> list[Series]:
    """The query's series the goal scored, worst first (the goal's order): what its chart draws."""
    by_labels = {s.labels: s for s in data.series}
    return [by_labels[s.labels] for s in goal.series if s.labels in by_labels]
