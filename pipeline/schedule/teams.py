"""`python -m pipeline schedule --config-dir DIR`: one scheduler for every team of a folder.

Each team runs on its own `schedule:` (cron, time zone, misfire grace, e-mail, chat) as a job
`team:<id>` in one job store, `<output>/scheduler.sqlite`. The folder is read again every
RESCAN_S seconds: a team added gets its job, a changed cron moves it, a removed team loses it,
without a restart. At its slot a team's config is read again, so what else changed applies
then. Two teams run at once at most; a team's failure is logged with its id and recorded for
the portfolio page, which each run rewrites.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from pipeline.core.outcomes import RunState
from pipeline.core.settings import Settings
from pipeline.core.text import cap, one_line
from pipeline.delivery.chat import channel_urls
from pipeline.delivery.deliver import check_email
from pipeline.errors import OutputError, PipelineError, UsageError, unexpected
from pipeline.outputs.lastrun import write_last_run
from pipeline.outputs.portfolio import write_portfolio
from pipeline.schedule.lock import scheduler_lock
from pipeline.schedule.scheduler import (
    JOBSTORE_FILE,
    add_nightly_job,
    log_failure,
    run_slot,
    serve,
    store_error,
)
from pipeline.teams.context import team_context
from pipeline.teams.folder import Roster, TeamFile, misnamed_problem, read_roster
from pipeline.teams.load import load_team, output_root, shared_push_groups

log = logging.getLogger("pipeline")
RESCAN_S = 5.0  # how often the folder is read again
TEAM_JOB = "team:"  # a team's job id: team:<id>
WORKERS = 2  # teams run at once
_LOCAL = "local"  # the rescan's job store: in memory, never in scheduler.sqlite


def team_job_id(team_id: str) -> str:
    return f"{TEAM_JOB}{team_id}"


def run_teams_scheduler(
    config_dir: Path,
    output: Path | None = None,
    stop: threading.Event | None = None,
    rescan_s: float = RESCAN_S,
) -> int:
    """Schedule every team of `config_dir` until SIGTERM/SIGINT (or `stop`); the exit code."""
    read_roster(config_dir)  # UsageError now when it is not a folder
    root = output_root(config_dir, output)
    store = root / JOBSTORE_FILE
    with scheduler_lock(store, root):
        scheduler = BackgroundScheduler(
            timezone=UTC,
            jobstores={
                "default": SQLAlchemyJobStore(url=f"sqlite:///{store}"),
                _LOCAL: MemoryJobStore(),
            },
            executors={"default": ThreadPoolExecutor(WORKERS), _LOCAL: ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        roster = TeamJobs(config_dir, root)
        try:
            scheduler.start(paused=True)
            roster.sync(scheduler)
        except SQLAlchemyError as exc:
            if scheduler.running:
                scheduler.shutdown(wait=False)
            raise store_error(store, exc) from None
        scheduler.add_job(
            roster.sync,
            IntervalTrigger(seconds=rescan_s),
            args=[scheduler],
            id="rescan",
            jobstore=_LOCAL,
            executor=_LOCAL,
        )
        return serve(
            scheduler,
            stop,
            lambda: log.info(
                "scheduler started: %s in %s, the folder read again every %gs (job store %s)",
                _teams(len(roster.scheduled(scheduler))),
                config_dir,
                rescan_s,
                store,
            ),
        )


def _teams(count: int) -> str:
    return f"{count} team{'' if count == 1 else 's'}"


class TeamJobs:
    """Keeps the scheduler's team jobs in step with the folder; says each change once."""

    def __init__(self, folder: Path, root: Path) -> None:
        self.folder = folder
        self.root = root
        self._digests: dict[str, str] = {}  # team id -> its file's digest when last read
        self._loaded: dict[str, Settings] = {}  # team id -> its settings when last read
        self._said: set[str] = set()  # notes and problems already logged
        self._ids: tuple[str, ...] | None = None  # the teams the portfolio was written with

    def scheduled(self, scheduler: BackgroundScheduler) -> list[str]:
        """The ids of the teams with a job."""
        return [j.id[len(TEAM_JOB) :] for j in scheduler.get_jobs() if j.id.startswith(TEAM_JOB)]

    def sync(self, scheduler: BackgroundScheduler) -> None:
        """Read the folder again: add, move or remove team jobs, then rewrite the portfolio
        when the teams changed. Never raises (it runs in the scheduler)."""
        try:
            roster = read_roster(self.folder)
        except UsageError as exc:
            self._say_once(logging.ERROR, f"{exc}; the teams keep their schedules")
            return
        for note in roster.notes:
            self._say_once(logging.INFO, f"{self.folder}: {note}")
        for team in roster.misnamed:
            self._say_once(logging.ERROR, f"{team.path.name}: {misnamed_problem(team)}")
        for team in roster.teams:
            self._sync_team(scheduler, team)
        loaded = [(i, self._loaded[i]) for i in roster.ids if i in self._loaded]
        for warning in shared_push_groups(loaded):
            self._say_once(logging.WARNING, f"{self.folder}: {warning}")
        self._remove_others(scheduler, roster.ids)
        for gone in set(self._digests) - set(roster.ids):  # a file back later is read anew
            self._digests.pop(gone)
            self._loaded.pop(gone, None)
        if roster.ids != self._ids:
            if not roster.ids:
                log.warning("%s: no team (each team is an <id>.yaml)", self.folder)
            self._ids = roster.ids
            rewrite_portfolio(self.root, roster)

    def _sync_team(self, scheduler: BackgroundScheduler, team: TeamFile) -> None:
        """The team's job added or moved if its file changed and loads."""
        job_id = team_job_id(team.id)
        digest = _digest(team.path)
        if self._digests.get(team.id) == digest:  # as it was read last time (or said broken)
            return
        self._digests[team.id] = digest
        with team_context(team.id):
            try:
                loaded = load_team(team, self.root)
            except Exception as exc:  # PipelineError, or a bug: the other teams are synced
                kept = "its schedule is kept" if scheduler.get_job(job_id) else "not scheduled"
                said = str(exc) if isinstance(exc, PipelineError) else unexpected(exc)
                for line in said.splitlines():
                    log.error("%s (%s until it is fixed)", line, kept)
                return
            _check_secrets(loaded)
            existing = scheduler.get_job(job_id)
            job = add_nightly_job(
                scheduler,
                loaded,
                job_id,
                scheduled_team_run,
                [str(team.path.absolute()), str(self.root.absolute()), team.id],
                f"nightly convergence report of {team.id}",
                misfire_grace_time=loaded.schedule.misfire_grace_s,
            )
            log.info(
                "%s: '%s' in %s, next run %s",
                "scheduled" if existing is None else "schedule read again",
                loaded.schedule.cron,
                loaded.sprint.timezone,
                job.next_run_time,
            )
        self._loaded[team.id] = loaded

    def _remove_others(self, scheduler: BackgroundScheduler, ids: Sequence[str]) -> None:
        """Remove the jobs of teams no longer in the folder (and any other stored job)."""
        wanted = {team_job_id(i) for i in ids}
        for job in scheduler.get_jobs(jobstore="default"):
            if job.id in wanted:
                continue
            scheduler.remove_job(job.id, jobstore="default")
            if job.id.startswith(TEAM_JOB):
                team_id = job.id[len(TEAM_JOB) :]
                self._digests.pop(team_id, None)
                self._loaded.pop(team_id, None)
                log.info(
                    "%s: removed from %s: no longer scheduled (its reports stay in %s)",
                    team_id,
                    self.folder,
                    self.root / team_id,
                )
            else:
                log.info("job '%s' is not a team's: removed from the job store", job.id)

    def _say_once(self, level: int, text: str) -> None:
        if text not in self._said:
            self._said.add(text)
            log.log(level, "%s", text)


def _digest(path: Path) -> str:
    """The file's bytes' digest; the error's name when it cannot be read (load_team says it)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.strerror}"


def _check_secrets(loaded: Settings) -> None:
    """Say now what the team's runs will miss from the environment (they fail with exit 2)."""
    try:
        if loaded.schedule.email:
            check_email(loaded.mail, os.environ, str(loaded.path))
        if loaded.schedule.notify and loaded.notify:
            channel_urls(loaded.notify, os.environ, str(loaded.path))
    except PipelineError as exc:
        log.error("%s (its runs fail until it is set)", exc)


def scheduled_team_run(config_path: str, root: str, team_id: str) -> None:
    """A team's slot: its config read again, `--week current` run, how it ended recorded in
    its folder, the portfolio rewritten. Logs failures with the team's id; never raises."""
    folder = Path(root)
    team = TeamFile(team_id, Path(config_path))
    with team_context(team_id):
        if not team.path.is_file():
            log.info("not run: %s is gone", team.path)
            return
        state, message = RunState.WRITTEN, None
        try:
            run_slot(load_team(team, folder), in_portfolio=True)
        except Exception as exc:  # a failed slot is logged; the other teams and slots run
            state = RunState.of_code(log_failure(exc))
            message = (
                str(exc)
                if isinstance(exc, PipelineError)
                else f"unexpected error: {type(exc).__name__}: {one_line(cap(str(exc)))}"
            )
        try:
            write_last_run(folder / team_id, datetime.now(UTC), state, message)
        except OutputError as exc:
            log.warning("%s", exc)
    try:
        rewrite_portfolio(folder, read_roster(team.path.parent))
    except UsageError as exc:
        log.warning("portfolio not rewritten: %s", exc)


def rewrite_portfolio(root: Path, roster: Roster) -> None:
    """The portfolio page from the teams' folders; a failure is a warning."""
    misnamed = [f"{t.path.name}: {misnamed_problem(t)}" for t in roster.misnamed]
    generated = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    try:
        write_portfolio(root, roster.ids, misnamed, generated)
    except OutputError as exc:
        log.warning("portfolio not rewritten: %s", exc)
