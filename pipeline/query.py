"""The query stage: each distinct goal query asked once of the source, a few at a time."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from pipeline.model import QueryResult, Window
from pipeline.source import MetricsSource

QUERY_WORKERS = 4


def query_all(
    source: MetricsSource,
    queries: list[str],
    window: Window,
    on_done: Callable[[str], None] = lambda q: None,
) -> dict[str, QueryResult]:
    """Run each distinct query once, a few at a time."""
    distinct = list(dict.fromkeys(queries))
    if window.expected == 0:
        return {q: QueryResult(query=q) for q in distinct}

    def one(query: str) -> QueryResult:
        result = source.query_range(query, window.first_ts, window.last_ts, window.step_s)
        on_done(query)
        return result

    with ThreadPoolExecutor(max_workers=min(QUERY_WORKERS, len(distinct))) as pool:
        futures = {pool.submit(one, q): q for q in distinct}
        for future in as_completed(futures):
            if future.exception() is not None:
                # the first failure in time is the cause (the source stops the others)
                pool.shutdown(wait=True, cancel_futures=True)
                future.result()
        return {q: f.result() for f, q in futures.items()}
