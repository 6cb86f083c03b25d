"""Build the data of one agent's report, ready to print: templates only lay it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline import __version__
from pipeline.core.model import AgentResult, CategoryScore, GoalResult, WeekResult
from pipeline.report import formatting as fmt
from pipeline.report import narrative
from pipeline.report import odds as outlook
from pipeline.report.badge import Badge
from pipeline.report.charts.data import TREND_CHART
from pipeline.report.checkins import LEGEND as CHECKINS_LEGEND
from pipeline.report.checkins import checkin_notes
from pipeline.report.goals import GoalDetail, GoalRow, goal_detail, goal_row
from pipeline.report.matrix import MatrixGrid, MatrixRow, matrix_grid, matrix_rows
from pipeline.report.owners import StepGroup, step_groups
from pipeline.report.quality import quality_notes
from pipeline.report.spans import Sentence
from pipeline.scoring.trend import Trend


@dataclass(frozen=True)
class CategoryTable:
    """The goals of one category (`Technical Goals (40% weight)`)."""

    title: str
    score: str
    rows: tuple[GoalRow, ...]


@dataclass(frozen=True)
class WeekLine:
    """One week of the sprint so far, for the trend."""

    week: int
    score: str
    verdict: Badge
    current: bool


@dataclass(frozen=True)
class QueryLine:
    """What a reader needs to rerun a goal's query."""

    goal: str
    query: str
    aggregate: str
    target: str


@dataclass(frozen=True)
class Provenance:
    """Where the numbers come from and which run made them: the appendix and the footer."""

    window_start_utc: str
    window_end_utc: str
    step: str
    generated_at: str
    config_digest: str
    version: str


@dataclass(frozen=True)
class ReportView:
    """Everything one agent's report shows."""

    sprint: str
    week: int
    agent_name: str
    period: str
    timezone: str
    complete: bool
    verdict: Badge  # the sprint's
    overall: str
    categories: tuple[tuple[str, str, str], ...]  # (title, weight %, score)
    agent_verdict: Badge
    agent_score: str
    agent_expected: Sentence | None  # `expected at the week's end: **ACHIEVED** (72 %)`
    sprint_expected: Sentence | None
    summary: tuple[Sentence, ...]
    agent_reasons: tuple[Sentence, ...]
    reasons: tuple[Sentence, ...]  # the sprint's
    changes: tuple[Sentence, ...]  # what moved, then the goals last week's record lacks
    changes_note: Sentence | None  # nothing moved, or no record of last week to compare with
    tables: tuple[CategoryTable, ...]
    forecast_horizon: str | None  # the goal tables' forecast column: `at the week's end`
    watch: tuple[Sentence, ...]  # what to watch: the goals likely to cost the most points
    details: tuple[GoalDetail, ...]
    matrix: tuple[MatrixRow, ...]  # the Markdown report's
    grid: MatrixGrid  # the HTML and PDF reports'
    quality: tuple[Sentence, ...]
    next_steps: tuple[Sentence, ...]
    queries: tuple[QueryLine, ...]
    has_history: bool
    weeks: tuple[WeekLine, ...]
    trend_chart: str | None
    run: Provenance
    owners: bool = False  # some goal has an owner: the Markdown goal tables' Owner column
    checkins: bool = False  # some goal has a check-in this week: the goal tables' column
    checkins_legend: str = CHECKINS_LEGEND
    step_groups: tuple[StepGroup, ...] = ()  # the next steps by owner, when some have one
    steps_after: tuple[Sentence, ...] = ()  # with step_groups: what follows them (rerun)

    @property
    def headline(self) -> str:
        """`DevOps Agent: MISSED 70.0 · Sprint: ACHIEVED 94.0`, the PDF's subject."""
        return (
            f"{self.agent_name}: {self.agent_verdict.text} {self.agent_score} · "
            f"Sprint: {self.verdict.text} {self.overall}"
        )


def build_report(
    result: WeekResult, agent: AgentResult, charts: dict[str, str], trend: Trend
) -> ReportView:
    """The report of `agent` for the week in `result`."""
    window = result.window
    card = result.scorecard
    agent_goals = [result.goal(g) for g in agent.goal_ids]
    mine_first = _mine_first(result, agent)
    note, unrecorded = narrative.changes_note(trend, mine_first, window.week)
    groups = step_groups(result, agent)
    return ReportView(
        sprint=result.sprint,
        week=window.week,
        agent_name=agent.name,
        period=narrative.period(window),
        timezone=window.timezone,
        complete=window.complete,
        verdict=Badge.of(card.verdict),
        overall=fmt.score(card.score),
        categories=tuple(
            (_category_name(c), fmt.weight(c.weight), fmt.score(c.score)) for c in card.categories
        ),
        agent_verdict=Badge.of(agent.scorecard.verdict),
        agent_score=fmt.score(agent.scorecard.score),
        agent_expected=narrative.expected(result, result.outlook.agent(agent.id)),
        sprint_expected=narrative.expected(result, result.outlook.overall),
        summary=narrative.summary(result, agent),
        agent_reasons=narrative.agent_reasons(result, agent),
        reasons=narrative.reasons(result, agent),
        changes=(*narrative.changes(trend, mine_first), *unrecorded) if trend.has_history else (),
        changes_note=note if trend.has_history else None,
        tables=_tables(result, agent, trend),
        forecast_horizon=_forecast_horizon(result),
        watch=narrative.watch(result, agent),
        details=tuple(goal_detail(g, charts, trend.goals[g.spec.id], result) for g in agent_goals),
        matrix=matrix_rows(result, agent),
        grid=matrix_grid(result, agent),
        quality=(*quality_notes(result), *checkin_notes(result)),
        next_steps=narrative.next_steps(result, agent),
        queries=_queries(result),
        has_history=trend.has_history,
        weeks=_weeks(trend, window.week),
        trend_chart=TREND_CHART if trend.has_history else None,
        run=_provenance(result),
        owners=any(g.spec.owner for g in result.goals),
        checkins=bool(result.checkins.goals),
        step_groups=groups,
        steps_after=(narrative.RERUN,) if groups and not window.complete else (),
    )


def _category_name(category: CategoryScore) -> str:
    """`technical_debt` -> `Technical Debt`."""
    return category.name.replace("_", " ").title()


def _tables(result: WeekResult, agent: AgentResult, trend: Trend) -> tuple[CategoryTable, ...]:
    """One table per category, every goal of the sprint, the agent's marked as its own."""
    mine = set(agent.goal_ids)
    return tuple(
        CategoryTable(
            title=f"{_category_name(cat)} Goals ({fmt.weight(cat.weight)} weight)",
            score=fmt.score(cat.score),
            rows=tuple(
                goal_row(
                    g,
                    g.spec.id in mine,
                    trend.goals[g.spec.id],
                    outlook.shown(result, result.outlook.goal(g.spec.id)),
                    result.checkins.goals.get(g.spec.id),
                )
                for g in result.goals
                if g.spec.category == cat.name
            ),
        )
        for cat in result.scorecard.categories
    )


def _forecast_horizon(result: WeekResult) -> str | None:
    """The horizon of the goal tables' forecast column; None when no goal has one."""
    if any(outlook.shown(result, result.outlook.goal(g.spec.id)) for g in result.goals):
        return outlook.shown_horizon(result)
    return None


def _weeks(trend: Trend, current: int) -> tuple[WeekLine, ...]:
    """The sprint's weeks so far, each with its overall score and verdict."""
    return tuple(
        WeekLine(
            week=w.week,
            score=fmt.score(w.score),
            verdict=Badge.of(w.verdict),
            current=w.week == current,
        )
        for w in trend.weeks
    )


def _queries(result: WeekResult) -> tuple[QueryLine, ...]:
    return tuple(
        QueryLine(g.spec.name, g.spec.query, g.spec.aggregate, fmt.target(g.spec.target))
        for g in result.goals
    )


def _provenance(result: WeekResult) -> Provenance:
    window = result.window
    return Provenance(
        window_start_utc=_utc(window.first_ts),
        window_end_utc=_utc(window.last_ts),
        step=f"{fmt.number(window.step_s)}s",
        generated_at=result.generated_at.isoformat(timespec="seconds"),
        config_digest=result.config_digest,
        version=__version__,
    )


def _mine_first(result: WeekResult, agent: AgentResult) -> list[GoalResult]:
    mine = set(agent.goal_ids)
    return sorted(result.goals, key=lambda g: g.spec.id not in mine)


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
