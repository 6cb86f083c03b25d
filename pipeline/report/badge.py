"""How an outcome (a goal's status, a verdict) is shown: one value instead of three fields."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.outcomes import Status, Verdict


@dataclass(frozen=True)
class Badge:
    """An outcome as the report shows it: `at_risk` (its CSS class), `At risk`, `⚠`."""

    code: str  # the outcome's value in lower case: a CSS class of the HTML report
    text: str
    icon: str

    @property
    def label(self) -> str:
        """`⚠ At risk`: the icon and the word, never the colour alone."""
        return f"{self.icon} {self.text}"

    @classmethod
    def of(cls, outcome: Status | Verdict) -> Badge:
        """The badge of a status or a verdict."""
        return cls(outcome.value.lower(), outcome.text, outcome.icon)
