"""`python -m pipeline backtest [--config C] [--weeks A-B | --weeks N] [--json FILE]`."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path

from pipeline.backtest.render import json_text, markdown
from pipeline.backtest.replay import dry_runner, replay
from pipeline.backtest.summary import build_backtest
from pipeline.backtest.weeks import choose_weeks, parse_weeks
from pipeline.config import load_config
from pipeline.errors import UsageParser
from pipeline.outputs.folder import replace_text

log = logging.getLogger("pipeline")


def backtest_parser(prog: str) -> argparse.ArgumentParser:
    parser = UsageParser(
        prog=f"{prog} backtest",
        description="Replay every night of complete weeks as dry runs with --as-of (each local "
        "midnight strictly inside the week, in sprint.timezone) and print the Brier score and "
        "a reliability table of the forecast beside the old two-point projection, against each "
        "week's (and the sprint's) real outcome. Writes nothing else, sends nothing.",
    )
    parser.add_argument("--config", default="config.yaml", type=Path)
    parser.add_argument(
        "--weeks",
        metavar="A-B",
        help="the weeks to replay, like 1-3 or 2; each must be complete "
        "[every complete week of the sprint]",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write every prediction and score there"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    return parser


def run_backtest(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Replay, score, print the tables (and write --json); return the exit code."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    wanted = parse_weeks(args.weeks) if args.weeks is not None else None
    loaded = load_config(args.config)
    weeks = choose_weeks(loaded.sprint, wanted, now)
    result = build_backtest(replay(loaded, weeks, now, dry_runner(loaded, now)))
    if args.json is not None:
        replace_text(args.json, json_text(result))
        log.info("wrote %s", args.json)
    print(markdown(result), end="")
    return 0
