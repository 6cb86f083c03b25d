"""The query stage: each distinct goal query asked once of the source, a few at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed

from pipeline.errors import SourceUnavailable
from pipeline.model import QueryResult, Window
from pipeline.source import MetricsSource
from pipeline.text import mask_url

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


def require_usable(results: Iterable[QueryResult], url: str, expect_data: bool = False) -> None:
    """SourceUnavailable when every query got malformed data (not a rejected query), or, with
    `expect_data`, when every query answered with no series at all.

    No series anywhere is what a wrong tenant header, the wrong server or data past its
    retention look like; a report of every goal at 0 would replace last night's good one.
    """
    results = list(results)
    if not results:
        return
    if all(r.error and not r.rejected for r in results):
        raise SourceUnavailable(
            f"Prometheus at {mask_url(url)} answered, but no query got a usable response: "
            f"{results[0].error}"
        )
    if expect_data and all(not r.error and not r.series for r in results):
        raise SourceUnavailable(
            f"Prometheus at {mask_url(url)} answered, but every query returned no series in the "
            "window: check prometheus.url, prometheus.headers (a tenant) and the server's "
            "retention; nothing was replaced"
        )
