"""The one exception tree of the pipeline; the CLI maps each class to an exit code."""

from __future__ import annotations

import argparse
import os
import traceback
from typing import Any

from pipeline import __version__


class PipelineError(Exception):
    """Any failure the user can act on; exit code 1 unless a subclass says otherwise."""

    exit_code = 1


class UsageError(PipelineError):
    """Bad command-line usage."""

    exit_code = 2


class ConfigError(PipelineError):
    """The config file is missing or invalid; carries every problem found."""

    exit_code = 2

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


class SourceUnavailable(PipelineError):
    """The metrics source could not be reached after retries."""

    exit_code = 3


class NoDataInWindow(PipelineError):
    """`validate`: every query parses, but some goals have no data in the window checked."""

    exit_code = 6


class DeliveryError(PipelineError):
    """Reports were written but e-mail delivery failed for at least one agent."""

    exit_code = 4


class HistoryError(PipelineError):
    """history.sqlite cannot be read or written (corrupt, unreadable, locked too long)."""

    exit_code = 1


class JobStoreError(PipelineError):
    """The scheduler's job store (scheduler.sqlite) cannot be opened or read."""

    exit_code = 1


class OutputError(PipelineError):
    """The reports could not be written; the previous ones are left in place."""

    exit_code = 1


class CheckinsError(PipelineError):
    """The check-ins file (report.checkins_file) cannot be read, or is not a list of check-ins;
    it is never written over then."""

    exit_code = 2


class UsageParser(argparse.ArgumentParser):
    """An argument parser whose errors are UsageError (exit 2, one line), not argparse's exit;
    every command's has `--version`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--version", action="version", version=f"%(prog)s {__version__}")

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see --help)")


def unexpected(exc: Exception) -> str:
    """How an exception that is not a PipelineError (a bug) is said, in one line; its traceback
    goes to stderr too under PIPELINE_DEBUG."""
    from pipeline.core.text import cap, one_line

    if os.environ.get("PIPELINE_DEBUG"):
        traceback.print_exception(exc)
    return (
        f"unexpected error: {type(exc).__name__}: {one_line(cap(str(exc)))} "
        "(set PIPELINE_DEBUG=1 to see the traceback)"
    )
