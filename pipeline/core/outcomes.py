"""The outcomes a run can reach, as enums: each carries the text and icon people see."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A goal's (or one series') outcome for the week."""

    MET = "met"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NO_DATA = "no_data"
    ERROR = "error"

    @property
    def text(self) -> str:
        """`At risk`: how a report names the status."""
        return _STATUS_TEXT[self]

    @property
    def icon(self) -> str:
        """`⚠`: the status's shape, shown beside its word."""
        return _STATUS_ICON[self]

    @property
    def measured(self) -> bool:
        """The goal has a value judged against its target (met, at risk or missed)."""
        return self in (Status.MET, Status.AT_RISK, Status.MISSED)


class Verdict(StrEnum):
    """A scorecard's verdict: the sprint's, or one agent's."""

    ACHIEVED = "ACHIEVED"
    AT_RISK = "AT_RISK"
    MISSED = "MISSED"
    NO_DATA = "NO_DATA"

    @property
    def text(self) -> str:
        """`AT RISK`: how a report names the verdict."""
        return self.value.replace("_", " ")

    @property
    def icon(self) -> str:
        return _VERDICT_ICON[self]


class NoDataPolicy(StrEnum):
    """What an unmeasured goal counts for: 0 points (`fail`), or nothing at all (`skip`)."""

    FAIL = "fail"
    SKIP = "skip"


_STATUS_TEXT = {
    Status.MET: "Met",
    Status.AT_RISK: "At risk",
    Status.MISSED: "Missed",
    Status.NO_DATA: "No data",
    Status.ERROR: "Error",
}
# Text glyphs, not emoji: DejaVu Sans (the PDF's font) has each of them, Markdown shows them as
# they are, and each has its own shape, so a status never rests on its colour alone.
_STATUS_ICON = {
    Status.MET: "✔",
    Status.AT_RISK: "⚠",
    Status.MISSED: "✖",
    Status.NO_DATA: "○",
    Status.ERROR: "⊘",
}
_VERDICT_ICON = {
    Verdict.ACHIEVED: "✔",
    Verdict.AT_RISK: "⚠",
    Verdict.MISSED: "✖",
    Verdict.NO_DATA: "○",
}


class RunState(StrEnum):
    """How a team's latest run ended (`--config-dir`): the README's exit code, in words."""

    WRITTEN = "written"  # 0
    FAILED = "failed"  # 1: could not write, a lock, anything unexpected
    CONFIG = "config"  # 2
    SOURCE = "source"  # 3
    DELIVERY = "delivery"  # 4: reports written
    GATE = "gate"  # 5: reports written

    @property
    def exit_code(self) -> int:
        return _RUN_CODES[self]

    @property
    def text(self) -> str:
        """`source unreachable`: how the portfolio names it."""
        return _RUN_TEXT[self]

    @property
    def icon(self) -> str:
        return "✔" if self is RunState.WRITTEN else "⚠" if self.wrote else "⊘"

    @property
    def wrote(self) -> bool:
        """The run wrote the week's reports (delivering them may have failed)."""
        return self in (RunState.WRITTEN, RunState.DELIVERY, RunState.GATE)

    @classmethod
    def of_code(cls, code: int) -> RunState:
        """The state of an exit code; an unknown code is FAILED."""
        return next((s for s, c in _RUN_CODES.items() if c == code), cls.FAILED)


_RUN_CODES = {
    RunState.WRITTEN: 0,
    RunState.FAILED: 1,
    RunState.CONFIG: 2,
    RunState.SOURCE: 3,
    RunState.DELIVERY: 4,
    RunState.GATE: 5,
}
_RUN_TEXT = {
    RunState.WRITTEN: "reports written",
    RunState.FAILED: "run failed",
    RunState.CONFIG: "config error",
    RunState.SOURCE: "source unreachable",
    RunState.DELIVERY: "delivery failed",
    RunState.GATE: "gate failed",
}
