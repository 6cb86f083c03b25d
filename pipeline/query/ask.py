"""The query stage: each distinct goal query asked once of the source, a few at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed

from pipeline.core.model import QueryResult, Window
from pipeline.core.text import mask_url
from pipeline.errors import SourceUnavailable
from pipeline.query.source import MetricsSource

QUERY_WORKERS = 4  # bounded_http.READER_SHARES: a quarter of max_response_bytes each, at once


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


def require_usable(
    results: Iterable[QueryResult], url: str, expect_data: bool = False, rejected_too: bool = True
) -> None:
    """SourceUnavailable when no query got a usable answer (every one failed, however: rejected
    by the server, too large, malformed, too many series), or, with `expect_data`, when no
    query returned a series (each one failed or answered with none).

    A week where no goal could be scored, or where every goal is at 0 (what a wrong tenant
    header, the wrong server or data past its retention look like), would replace last night's
    good report, history and mail with false ones. A single failed query among answered ones is
    only that goal's error. `rejected_too=False` (validate, which lists every query's verdict)
    counts only answers that are not the server refusing the query.
    """
    results = list(results)
    failed = [r for r in results if r.error and (rejected_too or not r.rejected)]
    where = f"Prometheus at {mask_url(url)} answered, but"
    if results and len(failed) == len(results):
        if all(r.rejected for r in failed):
            raise SourceUnavailable(
                f"{where} rejected every query (check each goal's query; nothing was "
                f"replaced): {failed[0].error}"
            )
        raise SourceUnavailable(f"{where} no query got a usable response: {failed[0].error}")
    answered = [r for r in results if not r.error]
    if expect_data and answered and not any(r.series for r in answered):
        fix = (
            "check prometheus.url, prometheus.headers (a tenant) and the server's retention; "
            "nothing was replaced"
        )
        if not failed:
            raise SourceUnavailable(f"{where} every query returned no series in the window: {fix}")
        raise SourceUnavailable(
            f"{where} no query returned a series in the window and {len(failed)} of "
            f"{len(results)} failed (the first: {failed[0].error}): {fix}"
        )
