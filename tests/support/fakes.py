"""Fakes standing in for a stage's inputs, for tests of one stage."""

from __future__ import annotations

import numpy as np

from pipeline.core.model import QueryResult, Series


class FakeSource:
    """Answers from a dict of query -> series values (24 hourly samples each)."""

    def __init__(self, answers: dict[str, list[tuple[dict[str, str], float]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        self.calls.append(query)
        ts = np.arange(first_ts, last_ts + step_s, step_s)
        return QueryResult(
            query,
            tuple(
                Series(tuple(sorted(labels.items())), ts, np.full(ts.size, value))
                for labels, value in self.answers[query]
            ),
        )
