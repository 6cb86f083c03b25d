"""The pipeline's command line: its arguments for one week, for `main` or a subprocess."""

from __future__ import annotations

import sys
from pathlib import Path


def cli_args(week: int | str, config: Path, out: Path, *extra: str) -> list[str]:
    """`--week N --config C --output O ...`, the arguments `pipeline.cli.main` takes."""
    return ["--week", str(week), "--config", str(config), "--output", str(out), *extra]


def pipeline_command(week: int | str, config: Path, out: Path, *extra: str) -> list[str]:
    """`python -m pipeline --week N --config C --output O ...`, to run as a subprocess."""
    return [sys.executable, "-m", "pipeline", *cli_args(week, config, out, *extra)]
