"""`python -m pipeline validate`: the config, then each query asked once of the server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.config import load_config
from pipeline.core.text import cap
from pipeline.generate.rules import promtool_check, rules_yaml
from pipeline.outputs.table import cell
from pipeline.query.ask import require_usable
from pipeline.query.source import PrometheusSource


@dataclass(frozen=True)
class QueryCheck:
    """What the server said about one goal's query, evaluated now."""

    goal_id: str
    query: str
    error: str | None
    series: int


def validate(config_path: Path, console: Console) -> int:
    """Check the config and every query; return the exit code (0, 2 or 3)."""
    loaded = load_config(config_path)  # ConfigError (exit 2) lists every problem
    goals = loaded.goals
    console.print(cell(f"{loaded.path}: valid ({len(goals)} goals, {len(loaded.agents)} agents)"))
    rules_ok, rules_said = promtool_check(rules_yaml(loaded))
    console.print(cell(f"generated rules: {rules_said}"), soft_wrap=True)
    source = PrometheusSource(loaded.source, os.environ)
    answers = {q: source.instant_series(q) for q in dict.fromkeys(g.query for g in goals)}
    checks = [
        QueryCheck(g.id, g.query, answers[g.query].error, len(answers[g.query].series))
        for g in goals
    ]
    require_usable(answers.values(), loaded.source.url, rejected_too=False)  # listed below
    table = Table(title=cell(f"queries against {source.shown_url}"))
    for column in ("Goal", "Query", "Parses", "Data now", "Series"):
        table.add_column(column)
    for c in checks:
        table.add_row(
            c.goal_id,
            cell(c.query),
            cell("no: " + cap(c.error)) if c.error else "yes",
            "—" if c.error else ("yes" if c.series else "no"),
            "—" if c.error else str(c.series),
        )
    console.print(table)
    bad = [c for c in checks if c.error]
    if bad:
        console.print(f"{len(bad)} of {len(checks)} queries are invalid", markup=False)
        return 2
    return 2 if rules_ok is False else 0
