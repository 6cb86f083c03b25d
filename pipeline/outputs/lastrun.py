"""`last-run.json` in a team's folder (`--config-dir`): how its latest run ended, for the
portfolio page (a failed run writes no week folder to read that from)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.core.outcomes import RunState
from pipeline.core.text import cap, one_line
from pipeline.outputs.folder import replace_text

log = logging.getLogger("pipeline")
LAST_RUN = "last-run.json"
MAX_MESSAGE_CHARS = 500  # a line on the portfolio; the whole message is in the run's log


@dataclass(frozen=True)
class LastRun:
    """When a team's latest run (not a dry run) ended, how, and its error message if any."""

    at: str  # ISO 8601, whole seconds
    state: RunState
    message: str | None = None

    @property
    def exit_code(self) -> int:
        return self.state.exit_code


def write_last_run(folder: Path, at: datetime, state: RunState, message: str | None) -> None:
    """Record the run in `folder/last-run.json` (OutputError when it cannot be written)."""
    document = {
        "at": at.replace(microsecond=0).isoformat(),
        "state": state.value,
        "exit_code": state.exit_code,
        "message": cap(one_line(message), MAX_MESSAGE_CHARS) if message else None,
    }
    replace_text(folder / LAST_RUN, json.dumps(document, indent=2) + "\n")


def read_last_run(folder: Path) -> LastRun | None:
    """The team's last run as recorded; None when there is none or it does not read."""
    path = folder / LAST_RUN
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        message = document.get("message")
        return LastRun(
            at=str(document["at"]),
            state=RunState(document["state"]),
            message=cap(one_line(str(message)), MAX_MESSAGE_CHARS) if message else None,
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        log.warning("portfolio: %s left out (%s)", path, type(exc).__name__)
        return None
