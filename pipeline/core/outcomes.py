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
