"""Run every team of a config folder for one week, one after another: each team's failure is
its own (said with its id, recorded in its folder), the others run all the same; then the
portfolio page. The exit code is the highest of the teams'."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.formats import Format
from pipeline.core.outcomes import RunState
from pipeline.core.settings import Settings
from pipeline.errors import OutputError, PipelineError, unexpected
from pipeline.outputs.gate import gate_message, judge_gate
from pipeline.outputs.lastrun import write_last_run
from pipeline.outputs.portfolio import write_portfolio
from pipeline.run import RunOutcome, RunRequest, run_week
from pipeline.teams.context import team_context
from pipeline.teams.folder import Roster, TeamFile, misnamed_problem, read_teams
from pipeline.teams.load import load_team, output_root, shared_push_groups

log = logging.getLogger("pipeline")
TEAM_PLACEHOLDER = "{team}"  # in --junit and --metrics-file: each team's own file


@dataclass(frozen=True)
class TeamsRequest:
    """What the command line asks of every team of `config_dir`."""

    config_dir: Path
    output: Path | None = None  # the output root [DIR/reports]
    week: int | None = None  # None: each team's current week
    as_of: datetime | None = None
    formats: tuple[Format, ...] | None = None  # None: each team's report.formats
    dry_run: bool = False
    email: bool = False
    notify: bool = False
    resend: bool = False
    gate: bool = False
    fail_under: float | None = None
    junit: str | None = None  # a path with {team}
    metrics_file: str | None = None  # a path with {team}


@dataclass(frozen=True)
class TeamDone:
    """How one team's run ended: its state, what to say (the error, or the gate's verdict)
    and, when the run returned, its outcome."""

    team: str
    state: RunState
    message: str | None = None
    outcome: RunOutcome | None = None

    @property
    def exit_code(self) -> int:
        return self.state.exit_code


@dataclass(frozen=True)
class TeamsDone:
    """Every team's run, and the portfolio page when one was written."""

    root: Path
    teams: tuple[TeamDone, ...]
    portfolio: Path | None = None
    problems: tuple[str, ...] = field(default=())  # the portfolio's own failure

    @property
    def exit_code(self) -> int:
        codes = [t.exit_code for t in self.teams] + [1 for _ in self.problems]
        return max(codes, default=0)


def per_team(template: str | None, team_id: str) -> Path | None:
    """`--junit out/{team}.xml` for `alpha`: out/alpha.xml."""
    return Path(template.replace(TEAM_PLACEHOLDER, team_id)) if template else None


def run_teams(
    request: TeamsRequest,
    now: datetime | None = None,
    on_done: Callable[[TeamDone], None] = lambda done: None,
) -> TeamsDone:
    """Run each team of `request.config_dir`, calling `on_done` after each; UsageError when
    the folder is not one or holds no team."""
    roster = read_teams(request.config_dir)
    for note in roster.notes:
        log.info("%s: %s", request.config_dir, note)
    root = output_root(request.config_dir, request.output)
    done, ready = _load_all(roster, root, request, now, on_done)
    for warning in shared_push_groups(ready):
        log.warning("%s: %s", request.config_dir, warning)
    for team_id, loaded in ready:
        with team_context(team_id):
            result = _run_one(team_id, loaded, request, now)
        done.append(result)
        _record(root, result, request, now)
        on_done(result)
    done.sort(key=lambda d: d.team)
    if request.dry_run:
        return TeamsDone(root, tuple(done))
    return _with_portfolio(TeamsDone(root, tuple(done)), roster, now)


def _load_all(
    roster: Roster,
    root: Path,
    request: TeamsRequest,
    now: datetime | None,
    on_done: Callable[[TeamDone], None],
) -> tuple[list[TeamDone], list[tuple[str, Settings]]]:
    """Each team's settings, or its config error (said at once, before any team runs)."""
    done: list[TeamDone] = []
    ready: list[tuple[str, Settings]] = []
    for team in roster.misnamed:  # said with its file's name; it has no folder
        failed = TeamDone(team.path.name, RunState.CONFIG, misnamed_problem(team))
        done.append(failed)
        on_done(failed)
    for team in roster.teams:
        with team_context(team.id):
            loaded = _load_one(team, root)
        if isinstance(loaded, TeamDone):
            done.append(loaded)
            _record(root, loaded, request, now)
            on_done(loaded)
        else:
            ready.append((team.id, loaded))
    return done, ready


def _load_one(team: TeamFile, root: Path) -> Settings | TeamDone:
    """The team's settings, or how loading them failed."""
    try:
        return load_team(team, root)
    except PipelineError as exc:
        return TeamDone(team.id, RunState.of_code(exc.exit_code), str(exc))
    except Exception as exc:  # a bug in loading one team's config does not stop the others
        return TeamDone(team.id, RunState.FAILED, unexpected(exc))


def _run_one(
    team_id: str, loaded: Settings, request: TeamsRequest, now: datetime | None
) -> TeamDone:
    """One team's week, never raising but for Ctrl-C."""
    run_request = RunRequest(
        week=request.week,
        output_dir=loaded.output_dir,
        as_of=request.as_of,
        formats=request.formats or loaded.report.formats,
        dry_run=request.dry_run,
        email=request.email,
        notify=request.notify,
        resend=request.resend,
        junit=per_team(request.junit, team_id),
        metrics_file=per_team(request.metrics_file, team_id),
        in_portfolio=True,
    )
    try:
        outcome = run_week(loaded, run_request, now)
        if not request.gate:
            return TeamDone(team_id, RunState.WRITTEN, None, outcome)
        gate = judge_gate(outcome.result, request.fail_under)
        state = RunState.WRITTEN if gate.passed else RunState.GATE
        return TeamDone(team_id, state, gate_message(outcome.result, gate), outcome)
    except PipelineError as exc:
        return TeamDone(team_id, RunState.of_code(exc.exit_code), str(exc))
    except Exception as exc:  # one team's bug does not stop the others
        return TeamDone(team_id, RunState.FAILED, unexpected(exc))


def _record(root: Path, done: TeamDone, request: TeamsRequest | None, now: datetime | None) -> None:
    """The team's last-run.json, for the portfolio (a dry run records nothing)."""
    if request is not None and request.dry_run:
        return
    error = None if done.state is RunState.WRITTEN else done.message
    try:
        write_last_run(root / done.team, now or datetime.now(UTC), done.state, error)
    except OutputError as exc:
        log.warning("%s: %s", done.team, exc)


def _with_portfolio(done: TeamsDone, roster: Roster, now: datetime | None) -> TeamsDone:
    clock = (now or datetime.now(UTC)).astimezone(UTC)
    misnamed = [f"{t.path.name}: {misnamed_problem(t)}" for t in roster.misnamed]
    try:
        path = write_portfolio(done.root, roster.ids, misnamed, f"{clock:%Y-%m-%d %H:%M} UTC")
    except OutputError as exc:
        return TeamsDone(done.root, done.teams, None, (f"portfolio: {exc}",))
    return TeamsDone(done.root, done.teams, path)
