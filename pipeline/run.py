"""The one place that knows the order of the stages: config -> window -> query -> score -> write
-> deliver -> publish (the week's metrics). Each stage lives in its own module; this one only
hands results from one to the next."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.delivery.deliver import Delivery, check_email, deliver_week
from pipeline.errors import DeliveryError, UsageError
from pipeline.formats import Format
from pipeline.history import FILE_NAME as HISTORY_FILE
from pipeline.history import History, Past
from pipeline.metrics import publish_week
from pipeline.model import QueryResult, WeekResult
from pipeline.output import week_lock
from pipeline.query import query_all
from pipeline.report.write import AgentFiles, write_week
from pipeline.scoring import score_week
from pipeline.settings import MailSettings, Settings
from pipeline.source import MetricsSource, PrometheusSource, require_usable
from pipeline.trend import Trend, build_trend
from pipeline.window import current_week, week_window

log = logging.getLogger("pipeline")


@dataclass(frozen=True)
class RunRequest:
    """What the user asked for: which week, where, for whom, in which formats."""

    week: int | None  # None: the week that contains "now"
    output_dir: Path
    agents: tuple[str, ...] = ()
    formats: tuple[Format, ...] = (Format.MD,)
    dry_run: bool = False
    email: bool = False
    resend: bool = False
    metrics_file: Path | None = None  # also write the week's metrics there (textfile format)


@dataclass(frozen=True)
class RunOutcome:
    """The scored week, its movement since earlier weeks and, unless a dry run, its folder and
    the files this run wrote there."""

    result: WeekResult
    trend: Trend
    folder: Path | None
    files: AgentFiles = field(default_factory=dict)


def run_week(
    loaded: Settings,
    request: RunRequest,
    now: datetime | None = None,
    source: MetricsSource | None = None,
    env: Mapping[str, str] | None = None,
    on_query_done: Callable[[str], None] = lambda q: None,
) -> RunOutcome:
    """Query, score and (unless dry_run) write one week's reports and summary.json, e-mail them
    and publish the week's metrics; a failed e-mail or publish is a DeliveryError raised after
    everything else was done."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    _check_agents(loaded, request.agents)
    env = os.environ if env is None else env
    password = None
    if request.email and not request.dry_run:
        password = check_email(loaded.mail, env, str(loaded.path))
    week = request.week or current_week(loaded.sprint, now)
    window = week_window(loaded.sprint, week, now)
    source = source or PrometheusSource(loaded.source, env)
    log.info(
        "week %d: %s to %s, %d samples per series", week, window.start, window.end, window.expected
    )
    results = query_all(source, [g.query for g in loaded.goals], window, on_query_done)
    require_usable(results.values(), loaded.source.url, expect_data=window.expected > 0)
    result = score_week(loaded, window, results, now)
    if request.dry_run:  # writes nothing, so needs no history (which may be broken or busy)
        return RunOutcome(result, build_trend(result, Past(weeks=(), goals={})), None)
    history = History(request.output_dir / HISTORY_FILE)
    trend = build_trend(result, history.before(week))
    folder, files, deliveries = _write_and_deliver(
        result, results, trend, request, history, loaded.mail, password
    )
    problems = _failed_mail(deliveries)
    problems += publish_week(result, loaded.metrics, request.metrics_file, env, started)
    if problems:
        raise DeliveryError("; ".join(problems) + f" (the reports are in {folder})")
    return RunOutcome(result, trend, folder, files)


def _check_agents(loaded: Settings, wanted: Sequence[str]) -> None:
    """UsageError naming the first agent asked for that the config does not have."""
    unknown = [a for a in wanted if a not in {x.id for x in loaded.agents}]
    if unknown:
        known = ", ".join(a.id for a in loaded.agents)
        raise UsageError(f"--agent {unknown[0]}: no such agent in {loaded.path} (agents: {known})")


def _write_and_deliver(
    result: WeekResult,
    results: Mapping[str, QueryResult],
    trend: Trend,
    request: RunRequest,
    history: History,
    mail: MailSettings | None,
    password: str | None,
) -> tuple[Path, AgentFiles, Sequence[Delivery]]:
    """Write the chosen agents' reports, then e-mail them when asked: the folder, its files and
    each e-mail's outcome."""
    chosen = [a for a in result.agents if not request.agents or a.id in request.agents]
    # One week lock over writing and mailing: a second run of this week (a racing scheduler,
    # a manual run) sees this run's deliveries recorded before it checks what was sent.
    with week_lock(request.output_dir, result.window.week):
        folder, files = write_week(
            result,
            results,
            trend,
            chosen,
            request.formats,
            request.output_dir,
            history,
            keep_previous=bool(request.agents),
        )
        if not (request.email and mail):
            return folder, files, ()
        deliveries = deliver_week(
            result, trend, files, folder, mail, password, history, chosen, request.resend
        )
    return folder, files, deliveries


def _failed_mail(deliveries: Sequence[Delivery]) -> list[str]:
    """What to say about the agents whose e-mail failed (the reports are written all the same)."""
    failed = [d for d in deliveries if d.error]
    if not failed:
        return []
    return [
        f"e-mail failed for {len(failed)} of {len(deliveries)} agents: "
        + "; ".join(f"{d.agent_id}: {d.error}" for d in failed)
    ]
