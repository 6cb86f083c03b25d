"""The one place that knows the order of the stages: config -> window -> query -> score (the
forecast, the week's check-ins) -> write -> deliver (e-mail, chat) -> publish (the week's
metrics). Each stage lives in its own module; this one only hands results from one to the next."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.formats import Format
from pipeline.core.history import FILE_NAME as HISTORY_FILE
from pipeline.core.history import History, Past
from pipeline.core.model import QueryResult, WeekResult, Window
from pipeline.core.settings import Settings
from pipeline.delivery.chat import Notified, channel_urls, notify_week
from pipeline.delivery.deliver import Delivery, check_email, deliver_week
from pipeline.delivery.dispatch import Dispatch
from pipeline.errors import DeliveryError, HistoryError, OutputError, UsageError
from pipeline.outputs.folder import replace_text, week_lock
from pipeline.outputs.junit import junit_xml
from pipeline.outputs.metrics import publish_week
from pipeline.outputs.week import AgentFiles, Written, write_week
from pipeline.query.ask import query_all, require_usable
from pipeline.query.source import MetricsSource, PrometheusSource
from pipeline.scoring.baseline import Record, record_of, resolve_goals
from pipeline.scoring.checkins import with_checkins
from pipeline.scoring.outlook import build_outlook
from pipeline.scoring.score import score_week
from pipeline.scoring.trend import Trend, build_trend
from pipeline.scoring.week import Week
from pipeline.scoring.weekly import Earlier, earlier_of
from pipeline.scoring.window import current_week, week_window

log = logging.getLogger("pipeline")


@dataclass(frozen=True)
class RunRequest:
    """What the user asked for: which week, where, for whom, in which formats."""

    week: int | None  # None: the week that contains `as_of`
    output_dir: Path
    as_of: datetime | None = None  # see the world as at this instant [the run's clock]
    agents: tuple[str, ...] = ()
    formats: tuple[Format, ...] = (Format.MD,)
    dry_run: bool = False
    email: bool = False
    notify: bool = False  # post to the config's chat channels
    resend: bool = False
    metrics_file: Path | None = None  # also write the week's metrics there (textfile format)
    junit: Path | None = None  # also write the goals as JUnit XML there
    in_portfolio: bool = False  # a team's run (--config-dir): its site links to the portfolio
    earlier: Earlier | None = (
        None  # a dry run's earlier weeks for the forecast (it reads no history)
    )


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
    """Query, score and (unless dry_run) write one week's reports and summary.json, deliver them
    and publish the week's metrics; a failed delivery or publish is a DeliveryError raised after
    everything else was done. `now` is the run's clock (tests fix it); the run sees the world as
    at `request.as_of`, by default `now`."""
    started = time.monotonic()
    now = now or datetime.now(UTC).replace(microsecond=0)  # whole seconds, like the summary
    as_of = _as_of(request.as_of, now)
    _check_agents(loaded, request.agents)
    env = os.environ if env is None else env
    secrets = _secrets(loaded, request, env)  # before any query: a missing one ends the run
    given = request.as_of is not None
    number = request.week or current_week(loaded.sprint, as_of, given)
    window = week_window(loaded.sprint, number, as_of, given)
    source = source or PrometheusSource(loaded.source, env)
    log.info(
        "week %d: %s to %s, %d samples per series",
        number,
        window.start,
        window.end,
        window.expected,
    )
    results = query_all(source, [g.query for g in loaded.goals], window, on_query_done)
    require_usable(results.values(), loaded.source.url, expect_data=window.expected > 0)
    history = History(request.output_dir / HISTORY_FILE)
    if request.dry_run:  # writes nothing, so needs no history (which may be broken or busy)
        record = _dry_record(loaded, history, number, request.earlier)
        result = _score(loaded, window, results, now, as_of, record)
        result = replace(result, outlook=build_outlook(loaded, result, results, request.earlier))
        return RunOutcome(result, build_trend(result, Past(weeks=(), goals={})), None)
    past = history.before(number)
    result = _score(loaded, window, results, now, as_of, record_of(past))
    result = replace(
        result,
        outlook=build_outlook(loaded, result, results, earlier_of(past)),
        invalidated=past.invalidated,
    )
    result = with_checkins(result, loaded.report.checkins_file)  # beside the forecast
    chosen = tuple(a for a in result.agents if not request.agents or a.id in request.agents)
    week = Week(result, results, build_trend(result, past), chosen)
    written, problems = _write_and_deliver(loaded, request, secrets, week, history)
    problems += publish_week(result, loaded.metrics, request.metrics_file, env, started)
    problems += _write_junit(result, request.junit)
    if problems:
        raise DeliveryError("; ".join(problems) + f" (the reports are in {written.folder})")
    return RunOutcome(result, week.trend, written.folder, written.files)


def _score(
    loaded: Settings,
    window: Window,
    results: Mapping[str, QueryResult],
    now: datetime,
    as_of: datetime,
    record: Record,
) -> WeekResult:
    """The week scored, each relative target resolved against its baseline in `record`."""
    resolved = resolve_goals(loaded.goals, window.week, record)
    settings = replace(loaded, goals=resolved.goals)
    return score_week(settings, window, results, now, as_of, resolved.baselines)


def _dry_record(loaded: Settings, history: History, week: int, earlier: Earlier | None) -> Record:
    """What a dry run's baselines read: the history read without writing (only when a goal is
    relative), or `earlier` (a backtest's) for its values; a history that cannot be read leaves
    the relative goals without a baseline, saying why."""
    if not any(g.relative for g in loaded.goals):
        return Record()
    try:
        return record_of(history.peek(week), earlier)
    except HistoryError as exc:
        return Record(unreadable=f"the history cannot be read ({exc})")


def _as_of(wanted: datetime | None, now: datetime) -> datetime:
    """The instant the run sees the world at: `wanted`, which must not be after `now`."""
    if wanted is None:
        return now
    if wanted > now:
        raise UsageError(
            f"--as-of {wanted.isoformat()} is in the future (now is "
            f"{now.astimezone(wanted.tzinfo).isoformat(timespec='seconds')}): a run sees what "
            "has happened"
        )
    return wanted


def _check_agents(loaded: Settings, wanted: Sequence[str]) -> None:
    """UsageError naming the first agent asked for that the config does not have."""
    unknown = [a for a in wanted if a not in {x.id for x in loaded.agents}]
    if unknown:
        known = ", ".join(a.id for a in loaded.agents)
        raise UsageError(f"--agent {unknown[0]}: no such agent in {loaded.path} (agents: {known})")


@dataclass(frozen=True)
class _Secrets:
    """What delivery needs from the environment, read and checked before the run queries."""

    smtp_password: str | None = field(default=None, repr=False)
    chat_urls: Mapping[str, str] = field(default_factory=dict, repr=False)


def _secrets(loaded: Settings, request: RunRequest, env: Mapping[str, str]) -> _Secrets:
    if request.dry_run:
        return _Secrets()
    password = check_email(loaded.mail, env, str(loaded.path)) if request.email else None
    urls = channel_urls(loaded.notify, env, str(loaded.path)) if request.notify else {}
    return _Secrets(password, urls)


def _write_and_deliver(
    loaded: Settings, request: RunRequest, secrets: _Secrets, week: Week, history: History
) -> tuple[Written, list[str]]:
    """Write the chosen agents' reports, then e-mail and post them when asked: what was
    written, and what to say about failed deliveries."""
    # One week lock over writing and delivering: a second run of this week (a racing scheduler,
    # a manual run) sees this run's deliveries recorded before it checks what was sent.
    with week_lock(request.output_dir, week.number):
        keep_previous = bool(request.agents)  # the other agents' files of an earlier run
        written = write_week(
            week, request.formats, request.output_dir, history, keep_previous, request.in_portfolio
        )
        dispatch = Dispatch(written, history, request.resend, loaded.report.base_url)
        deliveries = []
        if request.email and loaded.mail:
            deliveries = deliver_week(dispatch, loaded.mail, secrets.smtp_password)
        posts = []
        if secrets.chat_urls:
            posts = notify_week(dispatch, loaded.notify, secrets.chat_urls)
    return written, _failed(deliveries, posts)


def _write_junit(result: WeekResult, path: Path | None) -> list[str]:
    """The goals as JUnit XML at `path`, if asked; what went wrong, if anything (the reports are
    in place and delivered by then: a CI file that cannot be written does not undo them)."""
    if path is None:
        return []
    try:
        replace_text(path, junit_xml(result))
    except OutputError as exc:
        return [f"JUnit file: {exc}"]
    return []


def _failed(deliveries: Sequence[Delivery], posts: Sequence[Notified]) -> list[str]:
    """What to say about the agents whose e-mail and the channels whose post failed (the
    reports are written all the same)."""
    problems = []
    failed = [d for d in deliveries if d.error]
    if failed:
        problems.append(
            f"e-mail failed for {len(failed)} of {len(deliveries)} agents: "
            + "; ".join(f"{d.agent_id}: {d.error}" for d in failed)
        )
    unposted = [p for p in posts if p.error]
    if unposted:
        problems.append(
            f"chat failed for {len(unposted)} of {len(posts)} channels: "
            + "; ".join(f"{p.channel}: {p.error}" for p in unposted)
        )
    return problems
