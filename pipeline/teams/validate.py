"""`python -m pipeline validate --config-dir DIR`: each team's config and queries checked as
`validate --config DIR/<id>.yaml` checks them, every team's lines after a `<id>:` line, each
failure said as `error: <id>: ...`; the highest exit code."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console

from pipeline.core.text import strip_controls
from pipeline.errors import PipelineError, UsageError
from pipeline.teams.folder import misnamed_problem, read_teams
from pipeline.validate import validate


def validate_teams(folder: Path, console: Console, now: datetime | None = None) -> int:
    """Validate every team of `folder` in id order, each whatever the others did; UsageError
    when the folder is not one or holds no team."""
    roster = read_teams(folder)
    teams = sorted((*roster.teams, *roster.misnamed), key=lambda t: t.id)
    for note in roster.notes:
        print(f"note: {note}", file=sys.stderr)
    codes: dict[str, int] = {}
    for team in teams:
        name = team.id if team.valid else team.path.name
        print(f"{name}:")
        try:
            if not team.valid:
                raise UsageError(misnamed_problem(team))
            codes[name] = validate(team.path, console, now)
        except PipelineError as exc:
            for line in str(exc).splitlines():
                print(f"error: {name}: {strip_controls(line)}", file=sys.stderr)
            codes[name] = exc.exit_code
    failed = {name: code for name, code in codes.items() if code}
    said = f"{len(codes)} teams, {len(codes) - len(failed)} valid"
    if failed:
        said += "; " + ", ".join(f"{name} exit {code}" for name, code in failed.items())
    print(said)
    return max(codes.values())
