"""The one place that knows the order of the stages: config -> window -> query -> score -> write."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import LoadedConfig
from pipeline.delivery.deliver import check_email, deliver_week
from pipeline.errors import DeliveryError, UsageError
from pipeline.history import FILE_NAME as HISTORY_FILE
from pipeline.history import History, Past
from pipeline.metrics import publish_week
from pipeline.model import AgentResult, GoalResult, QueryResult, Scorecard, WeekResult, Window
from pipeline.output import staged_week_dir, week_dir_name, week_lock, write_text
from pipeline.report.charts import (
    GOAL_CHARTS,
    TREND_CHART,
    chart_name,
    draw_goal_chart,
    draw_trend_chart,
)
from pipeline.report.render import render_html, render_markdown
from pipeline.report.view import build_report
from pipeline.scoring import score_goal, scorecard
from pipeline.source import MetricsSource, PrometheusSource, require_usable
from pipeline.summary import summary_json
from pipeline.trend import Trend, build_trend
from pipeline.window import current_week, week_window

log = logging.getLogger("pipeline")
QUERY_WORKERS = 4


@dataclass(frozen=True)
class RunRequest:
    """What the user asked for: which week, where, for whom, in which formats."""

    week: int | None  # None: the week that contains "now"
    output_dir: Path
    agents: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("md",)
    dry_run: bool = False
    email: bool = False
    resend: bool = False
    metrics_file: Path | None = None  # also write the week's metrics there (textfile format)


AgentFiles = Mapping[str, Mapping[str, str]]  # agent id -> format -> file name in the folder


@dataclass(frozen=True)
class RunOutcome:
    """The scored week, its movement since earlier weeks and, unless a dry run, its folder and
    the files this run wrote there."""

    result: WeekResult
    trend: Trend
    folder: Path | None
    files: AgentFiles = field(default_factory=dict)


def query_all(
    source: MetricsSource,
    queries: list[str],
    window: Window,
    on_done: Callable[[str], None] = lambda q: None,
) -> dict[str, QueryResult]:
    """Run each distinct query once, a few at a time."""
    distinct = list(dict.fromkeys(queries))
    if window.expected == 0:
        return {q: QueryResult(query=q) for q in distinct}

    def one(query: str) -> QueryResult:
        result = source.query_range(query, window.first_ts, window.last_ts, window.step_s)
        on_done(query)
        return result

    with ThreadPoolExecutor(max_workers=min(QUERY_WORKERS, len(distinct))) as pool:
        futures = {pool.submit(one, q): q for q in distinct}
        for future in as_completed(futures):
            if future.exception() is not None:
                # the first failure in time is the cause (the source stops the others)
                pool.shutdown(wait=True, cancel_futures=True)
                future.result()
        return {q: f.result() for f, q in futures.items()}


def score_week(
    loaded: LoadedConfig,
    window: Window,
    results: Mapping[str, QueryResult],
    generated_at: datetime,
) -> WeekResult:
    """Score every goal, the sprint and each agent from the query results."""
    cfg = loaded.config
    policy = cfg.scoring.no_data
    weights = {name: c.weight for name, c in cfg.scoring.categories.items()}

    def card(goals: Sequence[GoalResult]) -> Scorecard:
        return scorecard(goals, weights, cfg.scoring.pass_score, cfg.scoring.warning_score, policy)

    goals = tuple(
        score_goal(spec, results[spec.query], window.expected, policy)
        for spec in loaded.goal_specs()
    )
    by_id = {g.spec.id: g for g in goals}
    agents = tuple(
        AgentResult(
            id=a.id,
            name=a.name,
            goal_ids=tuple(a.goals),
            scorecard=card([by_id[g] for g in a.goals]),
            email=tuple(a.email),
        )
        for a in cfg.agents
    )
    return WeekResult(
        sprint=cfg.sprint.name,
        window=window,
        generated_at=generated_at,
        config_digest=loaded.digest,
        no_data_policy=policy,
        pass_score=cfg.scoring.pass_score,
        warning_score=cfg.scoring.warning_score,
        scorecard=card(list(goals)),
        goals=goals,
        agents=agents,
        ui_url=cfg.prometheus.graph_url,
    )


def run_week(
    loaded: LoadedConfig,
    request: RunRequest,
    now: datetime | None = None,
    source: MetricsSource | None = None,
    env: Mapping[str, str] | None = None,
    on_query_done: Callable[[str], None] = lambda q: None,
) -> RunOutcome:
    """Query, score and (unless dry_run) write one week's reports and summary.json."""
    cfg = loaded.config
    started = time.monotonic()
    now = now or datetime.now(UTC)
    unknown = [a for a in request.agents if a not in {x.id for x in cfg.agents}]
    if unknown:
        known = ", ".join(a.id for a in cfg.agents)
        raise UsageError(f"--agent {unknown[0]}: no such agent in {loaded.path} (agents: {known})")
    env = os.environ if env is None else env
    password = None
    if request.email and not request.dry_run:
        password = check_email(cfg.email, env, str(loaded.path))
    week = request.week or current_week(cfg.sprint, now)
    window = week_window(cfg.sprint, week, now)
    source = source or PrometheusSource(cfg.prometheus, env)
    log.info(
        "week %d: %s to %s, %d samples per series", week, window.start, window.end, window.expected
    )
    results = query_all(source, [g.query for g in cfg.goals], window, on_query_done)
    require_usable(results.values(), cfg.prometheus.url, expect_data=window.expected > 0)
    result = score_week(loaded, window, results, now)
    if request.dry_run:  # writes nothing, so needs no history (which may be broken or busy)
        return RunOutcome(result, build_trend(result, Past(weeks=(), goals={})), None)
    history = History(request.output_dir / HISTORY_FILE)
    trend = build_trend(result, history.before(week))
    chosen = [a for a in result.agents if not request.agents or a.id in request.agents]
    # One week lock over writing and mailing: a second run of this week (a racing scheduler,
    # a manual run) sees this run's deliveries recorded before it checks what was sent.
    deliveries = []
    with week_lock(request.output_dir, week):
        folder, files = write_week(result, results, trend, chosen, request, history)
        if request.email and cfg.email:
            deliveries = deliver_week(
                result, trend, files, folder, cfg.email, password, history, chosen, request.resend
            )
    problems = publish_week(result, cfg.metrics, request.metrics_file, env, started)
    failed = [d for d in deliveries if d.error]
    if failed:
        problems.insert(
            0,
            f"e-mail failed for {len(failed)} of {len(deliveries)} agents: "
            + "; ".join(f"{d.agent_id}: {d.error}" for d in failed),
        )
    if problems:
        raise DeliveryError("; ".join(problems) + f" (the reports are in {folder})")
    return RunOutcome(result, trend, folder, files)


def write_week(
    result: WeekResult,
    results: Mapping[str, QueryResult],
    trend: Trend,
    chosen: Sequence[AgentResult],
    request: RunRequest,
    history: History,
) -> tuple[Path, AgentFiles]:
    """Render the chosen agents' reports and summary.json into the week folder, atomically,
    and record the run in `history` in the same step; return the folder and the files written.

    Call under the week lock.
    """
    out = request.output_dir
    week = result.window.week
    keep = bool(request.agents)
    with staged_week_dir(out, week, keep_previous=keep, guard=history.recording(result)) as staging:
        charts = draw_charts(result, results, chosen, staging)
        if trend.has_history:
            path = staging / TREND_CHART
            draw_trend_chart(trend.weeks, result.pass_score, result.warning_score, path)
        files = {
            agent.id: write_agent(result, agent, charts, trend, request.formats, staging)
            for agent in chosen
        }
        write_text(staging / "summary.json", summary_json(result, trend, files))
    return out / week_dir_name(week), files


def draw_charts(
    result: WeekResult,
    results: Mapping[str, QueryResult],
    agents: Sequence[AgentResult],
    folder: Path,
) -> dict[str, str]:
    """Draw each goal shown by `agents` once; return goal id -> chart path in the folder."""
    wanted = list(dict.fromkeys(g for a in agents for g in a.goal_ids))
    (folder / GOAL_CHARTS).mkdir(parents=True, exist_ok=True)
    charts = {}
    for goal_id in wanted:
        goal = result.goal(goal_id)
        charts[goal_id] = chart_name(goal_id)
        draw_goal_chart(goal, results[goal.spec.query], result.window, folder / charts[goal_id])
    log.info("drew %d charts", len(charts))
    return charts


def write_agent(
    result: WeekResult,
    agent: AgentResult,
    charts: dict[str, str],
    trend: Trend,
    formats: Sequence[str],
    folder: Path,
) -> dict[str, str]:
    """Write one agent's report in each format; return format -> file name."""
    view = build_report(result, agent, charts, trend)
    files = {}
    if "md" in formats:
        files["md"] = f"{agent.id}.md"
        write_text(folder / files["md"], render_markdown(view))
    if "html" in formats or "pdf" in formats:
        html = render_html(view)
        if "html" in formats:
            files["html"] = f"{agent.id}.html"
            write_text(folder / files["html"], html)
        if "pdf" in formats:
            from pipeline.report.pdf import (
                write_pdf,  # WeasyPrint takes 0.45 s to import: only for PDFs
            )

            files["pdf"] = f"{agent.id}.pdf"
            refused = write_pdf(html, base=folder, roots=[folder], target=folder / files["pdf"])
            for url in refused:
                log.warning("%s: refused to load %s", files["pdf"], url)
    log.info("wrote %s", ", ".join(files.values()))
    return files
