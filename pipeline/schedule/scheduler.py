"""`python -m pipeline schedule`: the nightly run in the foreground, with a persistent job store.

The job store keeps the next run time across restarts: a run missed while the scheduler was
down runs once when it comes back (coalesced), if it is no later than `misfire_grace`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from pipeline.config import load_config
from pipeline.core.cron import cron_trigger, latest_fire_time
from pipeline.core.settings import Settings
from pipeline.delivery.chat import channel_urls
from pipeline.delivery.deliver import check_email
from pipeline.errors import JobStoreError, PipelineError
from pipeline.run import RunOutcome, RunRequest, run_week
from pipeline.schedule.lock import scheduler_lock

log = logging.getLogger("pipeline")
JOB_ID = "nightly-report"
JOBSTORE_FILE = "scheduler.sqlite"


def jobstore_path(loaded: Settings) -> Path:
    """schedule.jobstore, or scheduler.sqlite in the output folder."""
    return loaded.schedule.jobstore or loaded.output_dir / JOBSTORE_FILE


def scheduled_run(config_path: str) -> None:
    """One nightly run of `--week current`; it logs failures and never raises."""
    try:
        run_slot(load_config(config_path))
    except Exception as exc:  # a failed slot is logged; the next slot runs
        log_failure(exc)


def run_slot(loaded: Settings, in_portfolio: bool = False) -> RunOutcome:
    """`--week current` as of the latest slot of the config's cron, delivered as the schedule
    says; logs how it went. `in_portfolio`: a team's (its site links to the portfolio)."""
    settings = loaded.schedule
    now = datetime.now(loaded.sprint.zone)
    lookback = timedelta(seconds=settings.misfire_grace_s) + timedelta(days=1)
    # Report as of the slot, not the minute it ran: a rerun of one slot then says the
    # same thing and its e-mail is recognised as already sent.
    slot = latest_fire_time(settings.cron, loaded.sprint.zone, now, lookback) or now
    request = RunRequest(
        week=None,
        output_dir=loaded.output_dir,
        as_of=slot,
        formats=loaded.report.formats,
        email=settings.email,
        notify=settings.notify and bool(loaded.notify),
        in_portfolio=in_portfolio,
    )
    started = time.monotonic()
    outcome = run_week(loaded, request, now=now)
    card = outcome.result.scorecard
    log.info(
        "scheduled run for %s: week %d %s (%s) in %.1fs",
        slot.isoformat(),
        outcome.result.window.week,
        card.verdict,
        "no score" if card.score is None else f"{card.score:.1f}",
        time.monotonic() - started,
    )
    return outcome


def log_failure(exc: Exception) -> int:
    """Log a failed slot as one line (with the traceback under PIPELINE_DEBUG); its exit code."""
    code = exc.exit_code if isinstance(exc, PipelineError) else 1
    debug = "\n" + traceback.format_exc().rstrip() if os.environ.get("PIPELINE_DEBUG") else ""
    log.error("scheduled run failed (exit code %d): %s: %s%s", code, type(exc).__name__, exc, debug)
    return code


def run_scheduler(config_path: Path, stop: threading.Event | None = None) -> int:
    """Run the scheduler until SIGTERM/SIGINT (or `stop`); return the exit code."""
    loaded = load_config(config_path)
    if loaded.schedule.email:
        check_email(loaded.mail, os.environ, str(loaded.path))
    if loaded.schedule.notify and loaded.notify:
        channel_urls(loaded.notify, os.environ, str(loaded.path))
    store = jobstore_path(loaded)
    with scheduler_lock(store, loaded.output_dir):
        return _schedule(loaded, store, stop)


def _schedule(loaded: Settings, store: Path, stop: threading.Event | None) -> int:
    settings = loaded.schedule
    scheduler = BackgroundScheduler(
        timezone=loaded.sprint.zone,
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{store}")},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.misfire_grace_s,
        },
    )
    try:
        scheduler.start(paused=True)
        job = _add_job(scheduler, loaded)
    except SQLAlchemyError as exc:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        raise store_error(store, exc) from None
    return serve(
        scheduler,
        stop,
        lambda: log.info(
            "scheduler started: '%s' in %s, next run %s (job store %s)",
            settings.cron,
            loaded.sprint.timezone,
            job.next_run_time,
            store,
        ),
    )


def serve(
    scheduler: BackgroundScheduler, stop: threading.Event | None, started: Callable[[], None]
) -> int:
    """Resume `scheduler` (started paused), call `started`, and run until SIGTERM/SIGINT (or
    `stop`); then let a run under way finish. Return the exit code."""
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("%s received: stopping after the current run, if any", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.resume()
        started()
        # Wake up every second: a signal delivered to another thread (a run's HTTP or watchdog
        # threads) only sets a flag, and Python runs the handler when the main thread wakes.
        while not stop.wait(timeout=1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("scheduler stopped")
    return 0


def store_error(store: Path, exc: SQLAlchemyError) -> JobStoreError:
    """What to do about a job store SQLite cannot use (corrupt, a directory, unreadable)."""
    cause = getattr(exc, "orig", None) or exc  # SQLite's own words, without SQLAlchemy's link
    what = "it is a directory" if store.is_dir() else str(cause).splitlines()[0]
    return JobStoreError(
        f"{store} cannot be used as the scheduler's job store ({what}); move it aside "
        f"(mv {store} {store}.broken): the scheduler starts a new one, and its first run is "
        "the next cron slot (a slot missed while it was down is not caught up)"
    )


def _add_job(scheduler: BackgroundScheduler, loaded: Settings) -> Job:
    """The nightly job of one config."""
    return add_nightly_job(
        scheduler,
        loaded,
        JOB_ID,
        scheduled_run,
        [str(loaded.path.resolve())],
        "nightly convergence report",
    )


def add_nightly_job(
    scheduler: BackgroundScheduler,
    loaded: Settings,
    job_id: str,
    func: Callable[..., None],
    args: list[str],
    name: str,
    **options: Any,
) -> Job:
    """The job `job_id` on the config's cron, keeping a stored next run time when the cron line
    and time zone have not changed."""
    trigger = cron_trigger(loaded.schedule.cron, loaded.sprint.zone)
    existing = scheduler.get_job(job_id)
    keep: dict[str, datetime] = {}
    if existing and repr(existing.trigger) == repr(trigger) and existing.next_run_time:
        # keep the stored next run time: replacing the job would forget a missed run
        keep["next_run_time"] = existing.next_run_time
    return scheduler.add_job(
        func, trigger, args=args, id=job_id, name=name, replace_existing=True, **keep, **options
    )
