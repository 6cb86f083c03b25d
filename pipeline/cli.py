"""Command line: parse arguments, call run_week, map PipelineError to the exit codes
(README.md, "Exit codes")."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.formats import Format, parse_formats
from pipeline.core.text import strip_controls
from pipeline.errors import PipelineError, UsageError, UsageParser, unexpected
from pipeline.generate.command import GENERATORS, generate, generator_parser

if TYPE_CHECKING:
    from rich.console import Console

    from pipeline.core.settings import Settings
    from pipeline.run import RunOutcome, RunRequest

# The heavy modules (the config's pydantic models, the report stages with matplotlib and
# WeasyPrint, rich) are imported by the command that uses them: `--help` needs none of them.

log = logging.getLogger("pipeline")


def _week(text: str) -> int | None:
    if text == "current":
        return None
    try:
        week = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'current', not '{text}'") from None
    if week < 1:
        raise argparse.ArgumentTypeError(f"weeks start at 1, not {week}")
    return week


def _instant(text: str) -> datetime:
    """An ISO 8601 date and time with its offset (`2026-11-18T12:00:00+00:00`, or `Z`)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time with an offset, like 2026-11-18T12:00:00+00:00, "
            f"not '{text}'"
        ) from None
    if when.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"'{text}' has no offset from UTC: add one, like {when.isoformat()}+00:00"
        )
    return when


def _score(text: str) -> float:
    try:
        score = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a score from 0 to 100, not '{text}'") from None
    if not 0 <= score <= 100:
        raise argparse.ArgumentTypeError(f"expected a score from 0 to 100, not '{text}'")
    return score


def _formats(text: str) -> tuple[Format, ...]:
    try:
        return parse_formats(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def program() -> str:
    """How the user called us: the console script `sprint-convergence`, or `python -m pipeline`."""
    name = Path(sys.argv[0]).name
    return "sprint-convergence" if name == "sprint-convergence" else "python -m pipeline"


def build_parser() -> argparse.ArgumentParser:
    """The parser of `python -m pipeline --week N ...`."""
    parser = UsageParser(
        prog=program(),
        description="Sprint convergence reports.",
        epilog="Also: 'python -m pipeline schedule [--config C | --config-dir DIR [--output O]]' "
        "runs the nightly scheduler, "
        "'python -m pipeline validate [--config C | --config-dir DIR]' checks the config and its "
        "queries, "
        "'python -m pipeline backtest [--config C] [--weeks A-B] [--json FILE]' scores past "
        "forecasts, "
        "'python -m pipeline checkin [--config C] --goal ID [--week N] --confidence 1-10 "
        "--note TEXT [--author NAME]' adds a check-in to report.checkins_file, "
        "'python -m pipeline rules|dashboard [--config C] [--output F]' write alert rules or a "
        "Grafana dashboard from the goals, 'python -m pipeline rules --alertmanager' an "
        "Alertmanager config routing their alerts to each agent, 'python -m pipeline history "
        "invalidate [--config C] [--output DIR] --week N --reason TEXT' leaves a week out of "
        "the baselines of relative targets.",
    )
    parser.add_argument("--week", type=_week, required=True, help="week number, or 'current'")
    _config_arguments(parser)
    parser.add_argument(
        "--as-of",
        type=_instant,
        metavar="TIME",
        help="see the world as at TIME, ISO 8601 with an offset [now]",
    )
    parser.add_argument("--output", type=Path, help="output folder [report.output_dir]")
    parser.add_argument("--agent", action="extend", nargs="+", default=[], help="only these agents")
    parser.add_argument("--format", type=_formats, help=f"{','.join(Format)} [report.formats]")
    parser.add_argument("--email", action="store_true", help="e-mail each agent's PDF")
    parser.add_argument(
        "--resend", action="store_true", help="with --email: send even if already sent"
    )
    parser.add_argument("--dry-run", action="store_true", help="query and score, write nothing")
    parser.add_argument("--notify", action="store_true", help="post to the chat channels (notify:)")
    parser.add_argument(
        "--gate", action="store_true", help="exit 5 when the verdict is MISSED (a CI gate)"
    )
    parser.add_argument(
        "--fail-under", type=_score, metavar="SCORE", help="with --gate: also exit 5 below SCORE"
    )
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write the goals as JUnit XML")
    parser.add_argument(
        "--metrics-file", type=Path, help="also write the week's metrics there (textfile format)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    return parser


RUN_TEAMS_HELP = "run every DIR/<team>.yaml; reports in <output>/<team>/ [output: DIR/reports]"


def _config_arguments(parser: argparse.ArgumentParser, teams_help: str = RUN_TEAMS_HELP) -> None:
    """`--config FILE`, or `--config-dir DIR`: every DIR/<team>.yaml, one team each."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--config", default="config.yaml", type=Path)
    which.add_argument(
        "--config-dir",
        type=Path,
        metavar="DIR",
        help=teams_help,
    )


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 160  # a pipe or a log file: don't squeeze tables into 80 columns
    return console


def _command_parser(command: str) -> argparse.ArgumentParser:
    parser = UsageParser(prog=f"{program()} {command}")
    parser.add_argument("--config", default="config.yaml", type=Path)
    return parser


def _validate_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog=f"{program()} validate")
    _config_arguments(parser, "check every DIR/<team>.yaml as --config checks one")
    return parser


def _schedule_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog=f"{program()} schedule")
    _config_arguments(parser)
    parser.add_argument(
        "--output", type=Path, help="with --config-dir: the output folder [DIR/reports]"
    )
    return parser


def _schedule(args: argparse.Namespace) -> int:
    setup_logging(quiet=False)
    if args.config_dir is None:
        if args.output is not None:
            raise UsageError("--output: only with --config-dir (else report.output_dir)")
        from pipeline.schedule.scheduler import run_scheduler  # APScheduler + SQLAlchemy

        return run_scheduler(args.config)
    from pipeline.schedule.teams import run_teams_scheduler

    return run_teams_scheduler(args.config_dir, args.output)


def main(argv: Sequence[str] | None = None, now: datetime | None = None) -> int:
    """Run the command line; return the exit code. `now`: the clock (tests fix it)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] == "schedule":
            return _schedule(_schedule_parser().parse_args(args_list[1:]))
        if args_list and args_list[0] == "validate":
            args = _validate_parser().parse_args(args_list[1:])
            if args.config_dir is not None:
                from pipeline.teams.validate import validate_teams

                return validate_teams(args.config_dir, _console(), now)
            from pipeline.validate import validate

            return validate(args.config, _console(), now)
        if args_list and args_list[0] == "backtest":
            from pipeline.backtest.command import backtest_parser, run_backtest

            args = backtest_parser(program()).parse_args(args_list[1:])
            setup_logging(quiet=args.quiet)
            return run_backtest(args, now)
        if args_list and args_list[0] == "checkin":
            from pipeline.checkin import checkin_parser, run_checkin

            args = checkin_parser(program()).parse_args(args_list[1:])
            setup_logging(quiet=False)  # a wait for another's lock is said on stderr
            return run_checkin(args, now)
        if args_list and args_list[0] == "history":
            from pipeline.invalidate import history_parser, run_history

            args = history_parser(program()).parse_args(args_list[1:])
            setup_logging(quiet=False)
            return run_history(args, now)
        if args_list and args_list[0] in GENERATORS:
            command = args_list[0]
            args = generator_parser(command, program()).parse_args(args_list[1:])
            from pipeline.config import load_config

            return generate(command, load_config(args.config), args)
        return _report(build_parser().parse_args(args_list), now)
    except PipelineError as exc:
        print(f"error: {strip_controls(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        print(unexpected(exc), file=sys.stderr)
        return 1


def setup_logging(quiet: bool) -> None:
    """Our progress lines on stderr; other libraries only for real errors."""
    logging.basicConfig(level=logging.ERROR, format="%(name)s: %(message)s", force=True)
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    if not log.handlers:
        log.addHandler(_Stderr())
        log.propagate = False


class _Stderr(logging.Handler):
    """Writes to whatever sys.stderr is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(strip_controls(record.getMessage()), file=sys.stderr)


def _report(args: argparse.Namespace, now: datetime | None) -> int:
    setup_logging(quiet=args.quiet)
    if args.resend and not (args.email or args.notify):
        raise UsageError("--resend only makes sense with --email or --notify")
    if args.fail_under is not None and not args.gate:
        raise UsageError("--fail-under only makes sense with --gate")
    if args.junit and args.dry_run:
        raise UsageError("--junit writes a file, and --dry-run writes nothing")
    if args.gate and args.dry_run:
        raise UsageError("--gate judges a written week: not with --dry-run")
    if args.metrics_file and args.dry_run:
        raise UsageError("--metrics-file writes a file: not with --dry-run")
    if not args.dry_run:  # a run that writes draws charts: their workers get ready meanwhile
        from pipeline.report.pool import start_early

        start_early()
    if args.config_dir is not None:
        from pipeline.teams.command import report_teams

        return report_teams(args, _console(), now)
    from pipeline.config import load_config
    from pipeline.run import RunRequest

    loaded = load_config(args.config)
    output = args.output or loaded.output_dir
    request = RunRequest(
        week=args.week,
        output_dir=output,
        as_of=args.as_of,
        agents=tuple(args.agent),
        formats=args.format or loaded.report.formats,
        dry_run=args.dry_run,
        email=args.email,
        notify=args.notify,
        resend=args.resend,
        junit=args.junit,
        metrics_file=args.metrics_file,
    )
    outcome = _run(loaded, request, now, quiet=args.quiet)
    result = outcome.result
    if request.dry_run:
        from pipeline.outputs.table import scores_table

        _console().print(scores_table(result))
    else:
        from pipeline.report import formatting as fmt

        card = result.scorecard
        print(
            f"week {result.window.week}: {card.verdict.text} "
            f"({fmt.score(card.score)}/100); reports in {outcome.folder}"
        )
    if args.gate:
        from pipeline.outputs.gate import GateFailed, gate_message, judge_gate

        gate = judge_gate(result, args.fail_under)
        if not gate.passed:
            raise GateFailed(gate_message(result, gate))
        print(gate_message(result, gate))
    return 0


def _run(loaded: Settings, request: RunRequest, now: datetime | None, quiet: bool) -> RunOutcome:
    """run_week with a progress bar over the queries on a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    from pipeline.run import run_week

    queries = len({g.query for g in loaded.goals})
    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task("querying Prometheus", total=queries)
        return run_week(loaded, request, now, on_query_done=lambda q: bar.advance(task))
