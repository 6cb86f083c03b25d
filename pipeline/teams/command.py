"""`python -m pipeline --config-dir DIR --week ...`: every team's week, a line for each (an
error line prefixed with its id), then where the portfolio is; the highest exit code."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from rich.console import Console

from pipeline.core.outcomes import RunState
from pipeline.core.text import strip_controls
from pipeline.errors import UsageError
from pipeline.outputs.table import scores_table
from pipeline.report import formatting as fmt
from pipeline.teams.run import TEAM_PLACEHOLDER, TeamDone, TeamsDone, TeamsRequest, run_teams


def teams_request(args: argparse.Namespace) -> TeamsRequest:
    """The request of the parsed command line; UsageError for what has no meaning per team."""
    if args.agent:
        raise UsageError("--agent names one config's agents: not with --config-dir")
    for flag, value in (("--junit", args.junit), ("--metrics-file", args.metrics_file)):
        if value is not None and TEAM_PLACEHOLDER not in str(value):
            raise UsageError(
                f"{flag} {value}: with --config-dir, put {TEAM_PLACEHOLDER} in the path "
                f"(each team writes its own, e.g. {flag} out/{TEAM_PLACEHOLDER}.xml)"
            )
    return TeamsRequest(
        config_dir=args.config_dir,
        output=args.output,
        week=args.week,
        as_of=args.as_of,
        formats=args.format,
        dry_run=args.dry_run,
        email=args.email,
        notify=args.notify,
        resend=args.resend,
        gate=args.gate,
        fail_under=args.fail_under,
        junit=str(args.junit) if args.junit else None,
        metrics_file=str(args.metrics_file) if args.metrics_file else None,
    )


def report_teams(args: argparse.Namespace, console: Console, now: datetime | None) -> int:
    """Run every team, say how each ended as it ends, and return the highest exit code."""
    done = run_teams(teams_request(args), now, lambda team: _say(team, console, args.dry_run))
    _say_all(done, args.dry_run)
    return done.exit_code


def _say(team: TeamDone, console: Console, dry_run: bool) -> None:
    outcome = team.outcome
    if outcome is not None and dry_run:
        print(f"{team.team}:")
        console.print(scores_table(outcome.result))
    elif outcome is not None:
        card = outcome.result.scorecard
        print(
            f"{team.team}: week {outcome.result.window.week}: {card.verdict.text} "
            f"({fmt.score(card.score)}/100); reports in {outcome.folder}"
        )
    if team.message is None:
        return
    if team.state is RunState.WRITTEN:  # a gate that passed
        for line in team.message.splitlines():
            print(f"{team.team}: {line}")
        return
    for line in team.message.splitlines():
        print(f"error: {team.team}: {strip_controls(line)}", file=sys.stderr)


def _say_all(done: TeamsDone, dry_run: bool) -> None:
    for problem in done.problems:
        print(f"error: {problem}", file=sys.stderr)
    failed = [t for t in done.teams if t.exit_code]
    counts = f"{len(done.teams)} teams, {len(done.teams) - len(failed)} without error"
    if failed:
        counts += "; " + ", ".join(f"{t.team} exit {t.exit_code}" for t in failed)
    where = "" if dry_run or done.portfolio is None else f"; the portfolio is {done.portfolio}"
    print(f"{counts}{where}")
