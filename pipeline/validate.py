"""`python -m pipeline validate`: the config (and the goals without an owner, the check-ins
file), the rules it generates, then each query asked of the server over the current week's
window: does it parse, and does it find data?"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.config import load_config
from pipeline.core.checkins import read_checkins
from pipeline.core.model import QueryResult, Window
from pipeline.core.settings import GoalSpec
from pipeline.core.text import cap, mask_url
from pipeline.errors import CheckinsError, ConfigError, NoDataInWindow, SourceUnavailable
from pipeline.generate.rules import promtool_check, rules_yaml
from pipeline.outputs.table import cell
from pipeline.query.ask import query_all, require_usable
from pipeline.query.source import PrometheusSource
from pipeline.scoring.window import data_window


@dataclass(frozen=True)
class QueryCheck:
    """What the server said about one goal's query: over the window, or now before the sprint."""

    index: int  # the goal's place in `goals`, for the messages' `goals[i]`
    goal_id: str
    query: str
    error: str | None
    rejected: bool  # the server refused the query itself (it does not parse, or its limits)
    series: int

    @property
    def where(self) -> str:
        """`goals[7] (broken)`."""
        return f"goals[{self.index}] ({self.goal_id})"


def validate(config_path: Path, console: Console, now: datetime | None = None) -> int:
    """Check the config, its rules and every query; return 0, or raise the failure: ConfigError
    (2) for a query the server rejects or rules promtool rejects, SourceUnavailable (3) for an
    unusable source or no data at all in the window, NoDataInWindow (6) for some goals without."""
    loaded = load_config(config_path)  # ConfigError (exit 2) lists every problem
    goals = loaded.goals
    counts = f"{len(goals)} goals, {len(loaded.agents)} agents"
    console.print(cell(f"{loaded.path}: loaded ({counts})"))
    for line in (_without_owner(goals), _checkins(loaded.report.checkins_file, goals)):
        if line:
            console.print(cell(line), soft_wrap=True)  # a note, not a problem: exit code kept
    rules_ok, rules_said = promtool_check(rules_yaml(loaded))
    console.print(cell(f"generated rules: {rules_said}"), soft_wrap=True)
    window = data_window(loaded.sprint, now or datetime.now(UTC))
    source = PrometheusSource(loaded.source, os.environ)
    answers = _ask(source, [g.query for g in goals], window)
    require_usable(answers.values(), loaded.source.url, rejected_too=False)  # listed below
    checks = [_check(i, g, answers[g.query]) for i, g in enumerate(goals)]
    console.print(_table(checks, window, source.shown_url))
    problems = [
        f"goals[{c.index}].query: "
        + ("the server rejects the query" if c.rejected else "no usable answer to the query")
        + f" of '{c.goal_id}': {cap(c.error)}"
        for c in checks
        if c.error
    ]
    if rules_ok is False:
        problems.append("the alert rules it generates fail `promtool check rules` (above)")
    if problems:
        raise ConfigError(str(loaded.path), problems)
    if window is not None:
        _require_data(checks, window, loaded.source.url, str(loaded.path))
    console.print(cell(f"{loaded.path}: valid ({counts})"))
    return 0


def _without_owner(goals: Sequence[GoalSpec]) -> str | None:
    """`goals without an owner (2 of 10): a, b`, or None when every goal has one."""
    missing = [g.id for g in goals if not g.owner]
    if not missing:
        return None
    return f"goals without an owner ({len(missing)} of {len(goals)}): {', '.join(missing)}"


def _checkins(path: Path | None, goals: Sequence[GoalSpec]) -> str | None:
    """What a run will make of the check-ins file: how many it holds, the goals it names that
    the config lacks, or why it cannot be read (a run then shows none)."""
    if path is None:
        return None
    if not path.exists():
        return f"check-ins: none yet ({path} does not exist)"
    try:
        entries = read_checkins(path)
    except CheckinsError as exc:
        return f"check-ins: not shown by a run, {cap(str(exc))}"
    known = {g.id for g in goals}
    unknown = sorted({e.goal for e in entries if e.goal not in known})
    line = f"check-ins: {len(entries)} in {path}"
    if unknown:
        line += f"; for goals the config does not have (not shown): {', '.join(unknown)}"
    return line


def _ask(
    source: PrometheusSource, queries: Sequence[str], window: Window | None
) -> Mapping[str, QueryResult]:
    """Each distinct query over the window, as a run asks it; before the sprint, once now."""
    if window is None:
        return {q: source.instant_series(q) for q in dict.fromkeys(queries)}
    return query_all(source, list(queries), window)


def _check(index: int, goal: GoalSpec, answer: QueryResult) -> QueryCheck:
    return QueryCheck(index, goal.id, goal.query, answer.error, answer.rejected, len(answer.series))


def _period(window: Window) -> str:
    """`week 3 (2026-11-16 00:00 to 2026-11-18 12:00 UTC, so far)`."""
    so_far = "" if window.complete else ", so far"
    start, end = (f"{t:%Y-%m-%d %H:%M}" for t in (window.start, window.end))
    return f"week {window.week} ({start} to {end} {window.timezone}{so_far})"


def _table(checks: Sequence[QueryCheck], window: Window | None, url: str) -> Table:
    when = f"over {_period(window)}" if window else "now (the sprint has not started)"
    table = Table(title=cell(f"queries {when} against {url}"))
    for column in ("Goal", "Query", "Parses", "Data" if window else "Data now", "Series"):
        table.add_column(column)
    for c in checks:
        table.add_row(
            c.goal_id,
            cell(c.query),
            cell("no: " + cap(c.error)) if c.error else "yes",
            "—" if c.error else ("yes" if c.series else "no"),
            "—" if c.error else str(c.series),
        )
    return table


def _require_data(checks: Sequence[QueryCheck], window: Window, url: str, path: str) -> None:
    """SourceUnavailable when no goal has data in the window (a run would fail so too), else
    NoDataInWindow naming the goals without."""
    empty = [c for c in checks if not c.series]
    if not empty:
        return
    if len(empty) == len(checks):
        raise SourceUnavailable(
            f"Prometheus at {mask_url(url)} answered, but no goal's query has data in "
            f"{_period(window)}: check prometheus.url, prometheus.headers (a tenant) and the "
            "server's retention"
        )
    raise NoDataInWindow(
        f"{path}: no data in {_period(window)} for {len(empty)} of {len(checks)} goals: "
        + ", ".join(c.where for c in empty)
    )
