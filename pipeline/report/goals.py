"""The goals of a report, ready to print: table rows, per-series rows, details of each goal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from urllib.parse import quote, urlencode

from pipeline.core.checkins import GoalCheckin
from pipeline.core.model import GoalOdds, GoalResult, WeekResult, Window
from pipeline.core.outcomes import Status
from pipeline.core.text import cap
from pipeline.report import baselines, narrative
from pipeline.report import formatting as fmt
from pipeline.report import odds as outlook
from pipeline.report.badge import Badge
from pipeline.report.checkins import CheckinCell, checkin_cell, checkin_sentence
from pipeline.report.excluded import ExcludedNote, excluded_note
from pipeline.report.owners import owner_name
from pipeline.report.spans import Sentence
from pipeline.scoring.trend import GoalTrend

MAX_SERIES_SHOWN = 10


@dataclass(frozen=True)
class GoalRow:
    """One line of a goal table."""

    name: str
    target: str
    actual: str
    actual_series: str | None  # the series the value came from, when the goal has several
    status: Badge
    score: str
    coverage: str
    key: bool
    mine: bool
    previous: str
    previous_series: str | None
    change: str
    chance: str | None = None  # the forecast shown (report.odds.shown): p_met, `72 %`
    likely: str | None = None  # and where the value likely ends, p10 to p90: `91.2 to 98.1 ms`
    owner: str | None = None  # who answers for it, as shown (`Dana`)
    checkin: CheckinCell | None = None  # its check-in of the week: `7/10`, flags
    target_basis: str | None = None  # a relative target's: `last week +10 %`, `no baseline`


@dataclass(frozen=True)
class SeriesRow:
    """One series of a goal, for the per-series breakdown."""

    labels: str
    value: str
    status: Badge
    coverage: str
    previous: str
    change: str  # "new" for a series last week did not have


@dataclass(frozen=True)
class GoalDetail:
    """One of the agent's convergence points in detail."""

    row: GoalRow
    query: str
    link: str | None  # the query in the Prometheus UI, over the report's window
    aggregate: str
    warning: str | None  # the at-risk band, when the goal has one
    baseline: str | None  # a relative target's: what it was compared with, or why nothing
    sample_target: str | None  # what each sample must meet, when the goal says
    message: str | None
    series: tuple[SeriesRow, ...]
    series_total: int
    hidden_summary: str | None
    chart: str | None
    forecast: Sentence | None
    checkin: Sentence | None = None  # its check-in of the week, note and all
    excluded: ExcludedNote | None = None  # the outcome without its exclusions, and what they are


def goal_row(
    goal: GoalResult,
    mine: bool,
    trend: GoalTrend,
    odds: GoalOdds | None = None,
    checkin: GoalCheckin | None = None,
) -> GoalRow:
    """`goal`'s line in its category's table; `mine` when it is one of the agent's; `odds`:
    the forecast it shows, if any; `checkin`: its check-in of the week, if any."""
    spec = goal.spec
    previous = trend.previous
    target, basis = fmt.target(spec.target, spec.unit), None
    if goal.baseline is not None:
        target, basis = baselines.target_cell(goal)
    return GoalRow(
        name=spec.name,
        target=target,
        target_basis=basis,
        actual=fmt.goal_quantity(goal.value, spec),
        actual_series=fmt.series_name(goal, goal.series[0].labels) if goal.series else None,
        status=Badge.of(goal.status),
        score=fmt.score(goal.score),
        coverage=fmt.percent(goal.coverage),
        key=spec.key,
        mine=mine,
        previous=fmt.goal_quantity(previous.value, spec) if previous else "—",
        previous_series=(
            fmt.series_name(goal, previous.labels)
            if previous and previous.labels is not None
            else None
        ),
        change=fmt.goal_change(trend.change, goal.value, spec),
        chance=outlook.chance(odds.p_met) if odds else None,
        likely=outlook.goal_range(goal, odds) if odds else None,
        owner=owner_name(spec),
        checkin=checkin_cell(checkin),
    )


def series_rows(goal: GoalResult, trend: GoalTrend) -> tuple[SeriesRow, ...]:
    """The worst series first, each with its own last-week value, matched by labels."""
    spec = goal.spec
    keep = fmt.varying_labels([s.labels for s in goal.series])
    before = dict(trend.previous.series) if trend.previous and trend.previous.series else None
    rows = []
    for s in goal.series[:MAX_SERIES_SHOWN]:
        previous, change = "—", "—"
        if before is not None and s.labels not in before:
            change = "new"
        elif before is not None:
            last = before[s.labels]
            previous = fmt.goal_quantity(last, spec)
            if last is not None and s.value is not None:
                change = fmt.goal_change(s.value - last, s.value, spec)
        rows.append(
            SeriesRow(
                labels=fmt.labels_text(s.labels, keep),
                value=fmt.goal_quantity(s.value, spec),
                status=Badge.of(s.status),
                coverage=fmt.percent(s.coverage),
                previous=previous,
                change=change,
            )
        )
    return tuple(rows)


def goal_detail(
    goal: GoalResult, charts: dict[str, str], trend: GoalTrend, result: WeekResult
) -> GoalDetail:
    """One of the agent's goals in detail: its facts, forecast, series and chart."""
    spec = goal.spec
    checkin = result.checkins.goals.get(spec.id)
    odds = outlook.shown(result, result.outlook.goal(spec.id))
    unjudged = goal.baseline is not None and not goal.baseline.resolved and bool(goal.series)
    return GoalDetail(
        row=goal_row(goal, True, trend, odds, checkin),
        query=spec.query,
        link=graph_link(result.ui_url, spec.query, result.window),
        aggregate=spec.aggregate,
        warning=fmt.target(spec.warning, spec.unit)
        if spec.warning and spec.warning.resolved
        else None,
        baseline=baselines.compared(goal) if goal.baseline else None,
        sample_target=fmt.target(spec.sample_target, spec.unit) if spec.sample_target else None,
        # a relative goal without a bound: its baseline line says why
        message=cap(goal.message) if goal.message and not unjudged else None,
        series=series_rows(goal, trend),
        series_total=len(goal.series),
        hidden_summary=_hidden_summary(goal),
        chart=charts.get(spec.id),
        forecast=narrative.goal_forecast(result, goal),
        checkin=checkin_sentence(checkin, result.window.timezone) if checkin else None,
        excluded=excluded_note(goal, result.window),
    )


def _hidden_summary(goal: GoalResult) -> str | None:
    """`40 more series not listed: 38 met, 2 missed`, when there are more than are listed."""
    hidden = goal.series[MAX_SERIES_SHOWN:]
    if not hidden:
        return None
    counts = {s: sum(1 for x in hidden if x.status == s) for s in Status}
    parts = ", ".join(f"{fmt.count(n)} {s.text.lower()}" for s, n in counts.items() if n)
    return f"{fmt.count(len(hidden))} more series not listed: {parts}"


def graph_link(ui_url: str | None, query: str, window: Window) -> str | None:
    """The query in the Prometheus UI's graph page, over the report's window."""
    if ui_url is None:
        return None
    seconds = max(window.step_s, window.end.timestamp() - window.start.timestamp())
    span = f"{seconds / 3600:g}h" if seconds % 3600 == 0 else f"{seconds:g}s"
    params = {
        "g0.expr": query,
        "g0.tab": "0",
        "g0.range_input": span,
        "g0.end_input": window.end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "g0.step_input": f"{window.step_s:g}",
    }
    base = quote(ui_url, safe=":/%@-._~")  # no parentheses or spaces to end a Markdown link
    return f"{base}/graph?{urlencode(params, quote_via=quote)}"
