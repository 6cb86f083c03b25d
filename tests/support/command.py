"""The pipeline's command line, to run as a subprocess."""

from __future__ import annotations

import sys
from pathlib import Path


def pipeline_command(week: int | str, config: Path, out: Path, *extra: str) -> list[str]:
    """`python -m pipeline --week N --config C --output O ...`, to run as a subprocess."""
    return [
        sys.executable,
        "-m",
        "pipeline",
        "--week",
        str(week),
        "--config",
        str(config),
        "--output",
        str(out),
        *extra,
    ]
