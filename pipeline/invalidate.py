"""`python -m pipeline history invalidate [--config C] [--output DIR] --week N --reason TEXT`:
leave week N out of every baseline of a relative target (recorded in DIR/history.sqlite)."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import load_config
from pipeline.core.history import FILE_NAME, History
from pipeline.core.text import one_line
from pipeline.errors import HistoryError, UsageError, UsageParser

log = logging.getLogger("pipeline")


def _week(text: str) -> int:
    try:
        week = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a week number, not '{text}'") from None
    if week < 1:
        raise argparse.ArgumentTypeError(f"weeks start at 1, not {week}")
    return week


def history_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of `python -m pipeline history ...` (after `history`)."""
    parser = UsageParser(prog=f"{prog} history", description="Change the run history.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="invalidate")
    invalidate = actions.add_parser(
        "invalidate",
        help="leave a week out of every baseline",
        description="Leave week N out of every baseline of a relative target from now on (a "
        "bad week, an incident); later reports say so, with the reason. Said again for the "
        "same week, the new reason replaces the old.",
    )
    invalidate.add_argument("--config", default="config.yaml", type=Path)
    invalidate.add_argument(
        "--output", type=Path, help="the folder holding history.sqlite [report.output_dir]"
    )
    invalidate.add_argument("--week", type=_week, required=True, help="the week to leave out")
    invalidate.add_argument("--reason", required=True, help="why (shown in later reports)")
    return parser


def run_history(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Record the invalidation; say what was done on stdout. Return the exit code."""
    reason = one_line(args.reason).strip()  # stored and shown: no control characters
    if not one_line(reason).strip():
        raise UsageError("--reason: say why the week is left out (later reports show it)")
    loaded = load_config(args.config)
    weeks = loaded.sprint.weeks
    if weeks is not None and args.week > weeks:
        raise UsageError(f"--week {args.week}: the sprint has {weeks} weeks (sprint.weeks)")
    path = (args.output or loaded.output_dir) / FILE_NAME
    if not path.is_file():
        raise HistoryError(
            f"{path}: no run history there (run a week first, or give the folder that holds "
            "it with --output)"
        )
    history = History(path)
    at = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    replaced = history.invalidate(args.week, reason, at)
    print(f"week {args.week} is left out of baselines from now on ({path})")
    if replaced is not None:
        print(f"it replaces the reason given at {replaced.at}: {one_line(replaced.reason)}")
    if args.week not in history.recorded_weeks():
        print(f"week {args.week} has no run recorded yet: it is left out once it has")
    return 0
