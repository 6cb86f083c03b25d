"""`python -m pipeline checkin [--config C] --goal ID [--week N] --confidence 1-10 --note TEXT
[--author NAME]`: add a person's confidence in a goal, with a note, to the team's check-ins
file (report.checkins_file), which the reports show beside the forecast."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import load_config
from pipeline.core.checkins import (
    MAX_CONFIDENCE,
    MAX_NOTE_CHARS,
    MIN_CONFIDENCE,
    CheckinEntry,
    append_checkin,
    whole,
)
from pipeline.core.settings import Settings
from pipeline.core.text import one_line, strip_controls
from pipeline.errors import UsageError, UsageParser
from pipeline.scoring.window import current_week, week_window

AUTHOR_VARIABLES = ("USER", "LOGNAME")  # --author's default: the first one set


def _confidence(text: str) -> int:
    try:
        return whole(text, MIN_CONFIDENCE, MAX_CONFIDENCE, "a whole number from 1 to 10")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _week(text: str) -> int | None:
    if text == "current":
        return None
    try:
        return whole(text, 1, None, "a week number (1 or more) or 'current'")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def checkin_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of `checkin`."""
    parser = UsageParser(
        prog=f"{prog} checkin",
        description="Add a check-in: how confident you are (1 to 10) that a goal will be met, "
        "and why. It is appended to report.checkins_file (checkins.yaml beside the config), "
        "a file to keep in git; each report shows a goal's latest check-in of its week beside "
        "the forecast.",
    )
    parser.add_argument("--config", default="config.yaml", type=Path)
    parser.add_argument("--goal", required=True, metavar="ID", help="the goal's id")
    parser.add_argument(
        "--week", type=_week, metavar="N", help="the week it is about [the week holding now]"
    )
    parser.add_argument(
        "--confidence", type=_confidence, required=True, metavar="1-10", help="1: no chance"
    )
    parser.add_argument("--note", required=True, metavar="TEXT", help="why (plain text)")
    parser.add_argument(
        "--author", metavar="NAME", help="who says so [$USER, else $LOGNAME; else none]"
    )
    return parser


def run_checkin(
    args: argparse.Namespace, now: datetime | None = None, env: Mapping[str, str] | None = None
) -> int:
    """Check the check-in against the config, append it, say where; return 0."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    note = strip_controls(args.note).strip()
    if not note:
        raise UsageError("--note is empty: say in a few words why you are this confident")
    if len(note) > MAX_NOTE_CHARS:
        raise UsageError(
            f"--note is {len(note):,} characters long; keep it to {MAX_NOTE_CHARS:,} (link to "
            "the rest)"
        )
    loaded = load_config(args.config)
    goal = _goal(loaded, args.goal)
    week = _checked_week(loaded, args.week, now)
    path = loaded.report.checkins_file
    if path is None:  # every loaded config has one; a hand-made Settings may not
        raise UsageError(f"{loaded.path}: no check-ins file (report.checkins_file)")
    entry = CheckinEntry(
        goal=goal,
        week=week,
        confidence=args.confidence,
        note=note,
        author=_author(args.author, env),
        at=now.astimezone(loaded.sprint.zone),
    )
    append_checkin(path, entry)
    by = f" by {one_line(entry.author)}" if entry.author else ""
    print(f"{path}: added {goal}, week {week}: {entry.confidence}/10{by}")
    return 0


def _goal(loaded: Settings, wanted: str) -> str:
    """`wanted` if the config has that goal; UsageError naming the goals it has."""
    known = [g.id for g in loaded.goals]
    if wanted not in known:
        raise UsageError(
            f"--goal {one_line(wanted)}: no such goal in {loaded.path} (goals: {', '.join(known)})"
        )
    return wanted


def _checked_week(loaded: Settings, week: int | None, now: datetime) -> int:
    """The week asked for, or the one holding `now`; UsageError for one not begun yet, or past
    the sprint's last week (`sprint.weeks`)."""
    if week is None:
        week = current_week(loaded.sprint, now)
    else:
        week_window(loaded.sprint, week, now)  # UsageError: not begun, or past the year 9999
    last = loaded.sprint.weeks
    if last is not None and week > last:
        raise UsageError(
            f"--week: the sprint has {last} weeks (sprint.weeks), so there is no week {week} to "
            "check in on; give --week for one of them"
        )
    return week


def _author(given: str | None, env: Mapping[str, str] | None) -> str | None:
    """--author, or the user's login name from the environment; None when neither is there."""
    if given is not None:
        return one_line(given).strip() or None
    variables = os.environ if env is None else env
    for name in AUTHOR_VARIABLES:
        value = one_line(variables.get(name, "")).strip()
        if value:
            return value
    return None
