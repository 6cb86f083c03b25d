"""One scored week as it travels through a run, from scoring to the outputs and deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.core.model import AgentResult, QueryResult, WeekResult
from pipeline.scoring.trend import Trend


@dataclass(frozen=True)
class Week:
    """The week's result, the query results it was scored from (its charts draw them), its
    movement since earlier weeks, and the agents this run reports on (all unless asked)."""

    result: WeekResult
    results: Mapping[str, QueryResult]
    trend: Trend
    chosen: tuple[AgentResult, ...]

    @property
    def number(self) -> int:
        """The week of the sprint, from 1."""
        return self.result.window.week
