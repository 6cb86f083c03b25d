"""Build the data of one agent's report, ready to print: templates only lay it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from pipeline import __version__
from pipeline.model import AgentResult, GoalResult, WeekResult, Window
from pipeline.outcomes import Status
from pipeline.report import formatting as fmt
from pipeline.report import narrative
from pipeline.report.charts import TREND_CHART
from pipeline.report.quality import quality_notes
from pipeline.report.spans import Sentence
from pipeline.text import cap
from pipeline.trend import GoalTrend, Trend

MAX_SERIES_SHOWN = 10


@dataclass(frozen=True)
class GoalRow:
    """One line of a goal table."""

    name: str
    target: str
    actual: str
    actual_series: str | None  # the series the value came from, when the goal has several
    status: str
    status_text: str
    icon: str
    score: str
    coverage: str
    key: bool
    mine: bool
    previous: str
    previous_series: str | None
    change: str


@dataclass(frozen=True)
class CategoryTable:
    """The goals of one category (`Technical Goals (40% weight)`)."""

    title: str
    score: str
    rows: tuple[GoalRow, ...]


@dataclass(frozen=True)
class SeriesRow:
    """One series of a goal, for the per-series breakdown."""

    labels: str
    value: str
    status: str
    icon: str
    status_text: str
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
    warning: str
    sample_target: str
    message: str | None
    series: tuple[SeriesRow, ...]
    series_total: int
    hidden_summary: str | None
    chart: str | None
    projection: Sentence | None


@dataclass(frozen=True)
class MatrixRow:
    """One agent in the agent integration matrix."""

    name: str
    points: tuple[tuple[str, str, str], ...]  # (status, icon, goal name)
    score: str
    verdict: str
    icon: str
    current: bool


@dataclass(frozen=True)
class WeekLine:
    """One week of the sprint so far, for the trend."""

    week: int
    score: str
    verdict: str
    verdict_text: str
    current: bool


@dataclass(frozen=True)
class QueryLine:
    """What a reader needs to rerun a goal's query."""

    goal: str
    query: str
    aggregate: str
    target: str


@dataclass(frozen=True)
class ReportView:
    """Everything one agent's report shows."""

    sprint: str
    week: int
    agent_name: str
    period: str
    timezone: str
    complete: bool
    verdict: str
    verdict_text: str
    verdict_icon: str
    overall: str
    categories: tuple[tuple[str, str, str], ...]  # (title, weight %, score)
    agent_verdict: str
    agent_verdict_text: str
    agent_verdict_icon: str
    agent_score: str
    summary: tuple[Sentence, ...]
    agent_reasons: tuple[Sentence, ...]
    reasons: tuple[Sentence, ...]  # the sprint's
    changes: tuple[Sentence, ...]
    tables: tuple[CategoryTable, ...]
    details: tuple[GoalDetail, ...]
    matrix: tuple[MatrixRow, ...]
    quality: tuple[Sentence, ...]
    next_steps: tuple[Sentence, ...]
    queries: tuple[QueryLine, ...]
    has_history: bool
    weeks: tuple[WeekLine, ...]
    trend_chart: str | None
    window_start_utc: str
    window_end_utc: str
    step: str
    generated_at: str
    config_digest: str
    version: str

    @property
    def headline(self) -> str:
        """`DevOps Agent: MISSED 70.0 · Sprint: ACHIEVED 94.0`, the PDF's subject."""
        return (
            f"{self.agent_name}: {self.agent_verdict_text} {self.agent_score} · "
            f"Sprint: {self.verdict_text} {self.overall}"
        )


def _row(goal: GoalResult, mine: bool, trend: GoalTrend) -> GoalRow:
    spec = goal.spec
    previous = trend.previous
    return GoalRow(
        name=spec.name,
        target=fmt.target(spec.target, spec.unit),
        actual=fmt.goal_quantity(goal.value, spec),
        actual_series=fmt.series_name(goal, goal.series[0].labels) if goal.series else None,
        status=goal.status,
        status_text=goal.status.text,
        icon=goal.status.icon,
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
    )


def _series_rows(goal: GoalResult, trend: GoalTrend) -> tuple[SeriesRow, ...]:
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
                status=s.status,
                icon=s.status.icon,
                status_text=s.status.text,
                coverage=fmt.percent(s.coverage),
                previous=previous,
                change=change,
            )
        )
    return tuple(rows)


def _detail(
    goal: GoalResult, charts: dict[str, str], trend: GoalTrend, result: WeekResult
) -> GoalDetail:
    spec = goal.spec
    hidden = goal.series[MAX_SERIES_SHOWN:]
    hidden_summary = None
    if hidden:
        counts = {s: sum(1 for x in hidden if x.status == s) for s in Status}
        parts = ", ".join(f"{n:,} {s.text.lower()}" for s, n in counts.items() if n)
        hidden_summary = f"{len(hidden):,} more series not listed: {parts}"
    return GoalDetail(
        row=_row(goal, True, trend),
        query=spec.query,
        link=graph_link(result.ui_url, spec.query, result.window),
        aggregate=spec.aggregate,
        warning=fmt.target(spec.warning, spec.unit) if spec.warning else "—",
        sample_target=fmt.target(spec.sample_target, spec.unit) if spec.sample_target else "",
        message=cap(goal.message) if goal.message else None,
        series=_series_rows(goal, trend),
        series_total=len(goal.series),
        hidden_summary=hidden_summary,
        chart=charts.get(spec.id),
        projection=narrative.projection(goal, trend),
    )


def _mine_first(result: WeekResult, agent: AgentResult) -> list[GoalResult]:
    mine = set(agent.goal_ids)
    return sorted(result.goals, key=lambda g: g.spec.id not in mine)


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


def build_report(
    result: WeekResult, agent: AgentResult, charts: dict[str, str], trend: Trend
) -> ReportView:
    """The report of `agent` for the week in `result`."""
    window = result.window
    mine = set(agent.goal_ids)
    card = result.scorecard
    tables = tuple(
        CategoryTable(
            title=f"{cat.name.replace('_', ' ').title()} Goals ({cat.weight * 100:g}% weight)",
            score=fmt.score(cat.score),
            rows=tuple(
                _row(g, g.spec.id in mine, trend.goals[g.spec.id])
                for g in result.goals
                if g.spec.category == cat.name
            ),
        )
        for cat in card.categories
    )
    agent_goals = [result.goal(g) for g in agent.goal_ids]
    return ReportView(
        sprint=result.sprint,
        week=window.week,
        agent_name=agent.name,
        period=narrative.period(window),
        timezone=window.timezone,
        complete=window.complete,
        verdict=card.verdict,
        verdict_text=card.verdict.text,
        verdict_icon=card.verdict.icon,
        overall=fmt.score(card.score),
        categories=tuple(
            (c.name.replace("_", " ").title(), f"{c.weight * 100:g}%", fmt.score(c.score))
            for c in card.categories
        ),
        agent_verdict=agent.scorecard.verdict,
        agent_verdict_text=agent.scorecard.verdict.text,
        agent_verdict_icon=agent.scorecard.verdict.icon,
        agent_score=fmt.score(agent.scorecard.score),
        summary=narrative.summary(result, agent),
        agent_reasons=narrative.agent_reasons(result, agent),
        reasons=narrative.reasons(result, agent),
        changes=narrative.changes(trend, _mine_first(result, agent)) if trend.has_history else (),
        tables=tables,
        details=tuple(_detail(g, charts, trend.goals[g.spec.id], result) for g in agent_goals),
        matrix=tuple(
            MatrixRow(
                name=a.name,
                points=tuple(
                    (
                        result.goal(g).status,
                        result.goal(g).status.icon,
                        result.goal(g).spec.name,
                    )
                    for g in a.goal_ids
                ),
                score=fmt.score(a.scorecard.score),
                verdict=a.scorecard.verdict.text,
                icon=a.scorecard.verdict.icon,
                current=a.id == agent.id,
            )
            for a in result.agents
        ),
        quality=quality_notes(result),
        next_steps=narrative.next_steps(result, agent, trend),
        queries=tuple(
            QueryLine(g.spec.name, g.spec.query, g.spec.aggregate, fmt.target(g.spec.target))
            for g in result.goals
        ),
        window_start_utc=_utc(window.first_ts),
        window_end_utc=_utc(window.last_ts),
        step=f"{window.step_s:g}s",
        generated_at=result.generated_at.isoformat(timespec="seconds"),
        config_digest=result.config_digest,
        version=__version__,
        has_history=trend.has_history,
        weeks=tuple(
            WeekLine(
                week=w.week,
                score=fmt.score(w.score),
                verdict=w.verdict,
                verdict_text=w.verdict.text,
                current=w.week == window.week,
            )
            for w in trend.weeks
        ),
        trend_chart=TREND_CHART if trend.has_history else None,
    )


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
