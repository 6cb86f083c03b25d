"""Range queries against any Prometheus-compatible HTTP API, split into chunks and merged."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException

from pipeline.answers import Verdict, judge, status_text
from pipeline.bounded_http import (
    Abort,
    Aborted,
    BoundedAdapter,
    Limits,
    ResponseTooLarge,
)
from pipeline.errors import SourceUnavailable
from pipeline.http_reasons import failure_reason, tls_reason
from pipeline.model import QueryResult, Series
from pipeline.parse import Grid, Malformed, TooManySeries, parse_range
from pipeline.ranges import chunk_bounds, split_refused, too_many_text
from pipeline.settings import SourceSettings
from pipeline.text import cap, mask_url, one_line


class MetricsSource(Protocol):
    """Anything that answers range queries; tests of one stage pass a fake."""

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult: ...


class _BadResponse(Exception):
    """The server answered, but not with a usable query result for this goal."""

    def __init__(self, message: str, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected  # the server refused the query itself (bad PromQL, limits)


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


class PrometheusSource:
    """Prometheus HTTP API through prometheus-api-client, with retries, auth, chunking, limits.

    The first query that finds the source unusable stops the others (they end within
    milliseconds, with the same message), so a run against a stalled source takes at most
    one request's worst case: (2 x retries + 1) x timeout_s.
    """

    def __init__(
        self,
        settings: SourceSettings,
        env: Mapping[str, str],
        backoff_s: float = 0.5,
    ) -> None:
        self.settings = settings
        self.shown_url = mask_url(settings.url)
        self._headers = dict(settings.headers)
        self._auth_key: str | None = None
        if settings.bearer_token_env:
            self._headers["Authorization"] = f"Bearer {env[settings.bearer_token_env]}"
            self._auth_key = "bearer_token_env"
        self._auth: tuple[str, str] | None = None
        if settings.basic_auth:
            username, password_env = settings.basic_auth
            self._auth = (username, env[password_env])
            self._auth_key = "basic_auth"
        self.limits = Limits(
            timeout_s=settings.timeout_s,
            retries=settings.retries,
            max_bytes=settings.max_response_bytes,
            backoff_s=backoff_s,
        )
        self._abort = Abort()
        self._lock = threading.Lock()
        self._failure: SourceUnavailable | None = None

    def _client(self) -> tuple[PrometheusConnect, list[requests.Response], BoundedAdapter]:
        # One client (and session) per query: sessions are not shared between threads, and
        # the response hook lets us read `warnings`, which custom_query_range drops.
        seen: list[requests.Response] = []
        session = requests.Session()
        session.verify = self.settings.verify_tls
        session.max_redirects = 0  # a redirect is reported, not followed (see _redirected)
        if not self.settings.compress:  # prometheus.compression
            session.headers["Accept-Encoding"] = "identity"
        session.hooks["response"].append(lambda r, *a, **k: seen.append(r))
        client = PrometheusConnect(
            url=self.settings.url,
            headers=self._headers,
            disable_ssl=not self.settings.verify_tls,
            auth=self._auth,
            session=session,
            timeout=self.settings.timeout_s,  # type: ignore[arg-type,unused-ignore]
        )
        adapter = BoundedAdapter(self.limits, self._abort)
        # after the client, which mounts its own adapter on its URL
        for prefix in ("http://", "https://", self.settings.url):
            session.mount(prefix, adapter)
        return client, seen, adapter

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        """Run `query` at every step from first_ts to last_ts inclusive; merge the chunks."""
        chunks = chunk_bounds(first_ts, last_ts, step_s, self.settings.max_points_per_request)
        client, seen, adapter = self._client()
        parts: list[object] = []
        warnings: list[str] = []
        sent = 0
        try:
            while chunks:
                start, end = chunks.pop(0)
                seen.clear()
                sent += 1
                try:
                    parts.append(self._fetch(client, seen, adapter, query, start, end, step_s))
                except _BadResponse as exc:
                    halves = split_refused(
                        str(exc), start, end, step_s, self.settings.min_points_per_request
                    )
                    if halves is None:
                        error = too_many_text(str(exc), self.settings.min_points_per_request)
                        return QueryResult(
                            query=query, error=error, rejected=exc.rejected, requests=sent
                        )
                    chunks[:0] = halves
                    continue
                warnings.extend(_warnings(seen))
        finally:
            client.close()
        grid = Grid(first_ts, last_ts, step_s)
        try:
            series = parse_range(parts, grid, self.settings.max_series_per_goal)
        except (Malformed, TooManySeries) as exc:
            limit = isinstance(exc, TooManySeries)
            return QueryResult(query=query, error=str(exc), rejected=limit, requests=sent)
        return QueryResult(
            query=query,
            series=series,
            warnings=tuple(dict.fromkeys(warnings)),
            requests=sent,
        )

    def instant_series(self, query: str) -> QueryResult:
        """Evaluate `query` once, now; the result holds how many series it returned."""
        client, seen, adapter = self._client()
        try:
            data = self._call(client, seen, adapter, lambda: client.custom_query(query))
        except _BadResponse as exc:
            return QueryResult(query=query, error=str(exc), rejected=exc.rejected, requests=1)
        finally:
            client.close()
        if not isinstance(data, list):
            error = "unexpected response: data.result is not a list of series"
            return QueryResult(query=query, error=error, requests=1)
        empty = np.empty(0)
        found = tuple(Series((), empty, empty) for _ in data)
        return QueryResult(query=query, series=found, warnings=tuple(_warnings(seen)), requests=1)

    def _fetch(
        self,
        client: PrometheusConnect,
        seen: list[requests.Response],
        adapter: BoundedAdapter,
        query: str,
        start: float,
        end: float,
        step_s: float,
    ) -> object:
        return self._call(
            client,
            seen,
            adapter,
            lambda: client.custom_query_range(
                query,
                start_time=datetime.fromtimestamp(start, UTC),
                end_time=datetime.fromtimestamp(end, UTC),
                step=f"{step_s:g}",
            ),
        )

    def _call(
        self,
        client: PrometheusConnect,
        seen: list[requests.Response],
        adapter: BoundedAdapter,
        request: Callable[[], Any],
    ) -> Any:
        """Make one API call; map failures to SourceUnavailable or _BadResponse."""
        try:
            return request()
        except Aborted:
            raise self._stopped() from None
        except ResponseTooLarge:
            raise _BadResponse(
                f"the answer is larger than {_size(self.limits.max_bytes)} "
                "(raise prometheus.max_response_bytes to allow more)",
                rejected=True,
            ) from None
        except requests.exceptions.TooManyRedirects as exc:
            raise self._unusable(_redirected(exc.response)) from None
        except requests.exceptions.SSLError as exc:
            raise self._unusable(tls_reason(exc)) from None
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            reason = failure_reason(exc, self.settings.timeout_s)
            raise self._unusable(f"{reason} ({adapter.tries} tries)") from None
        except requests.exceptions.ContentDecodingError:
            raise self._unusable("the answer could not be decompressed") from None
        except requests.exceptions.JSONDecodeError:
            pass  # judged below, with the response
        except requests.exceptions.RequestException as exc:
            raise self._unusable(f"{type(exc).__name__} ({adapter.tries} tries)") from None
        except (PrometheusApiClientException, ValueError, KeyError, TypeError):
            pass
        judgement = judge(seen[-1] if seen else None, adapter.tries, self._auth_key)
        if judgement.verdict is Verdict.UNUSABLE:
            raise self._unusable(judgement.message)
        raise _BadResponse(judgement.message, rejected=judgement.verdict is Verdict.REJECTED)

    def _unusable(self, reason: str) -> SourceUnavailable:
        """The source is not usable: remember why, and stop the other queries."""
        error = SourceUnavailable(f"Prometheus at {self.shown_url}: {reason}")
        with self._lock:
            if self._failure is None:
                self._failure = error
        self._abort.set()
        return error

    def _stopped(self) -> SourceUnavailable:
        with self._lock:
            return SourceUnavailable(str(self._failure or "the source was found unusable"))


def _size(count: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size and count % size == 0:
            return f"{count // size:,} {unit}"
    return f"{count:,} bytes"


def _redirected(response: requests.Response | None) -> str:
    if response is None:
        return "redirected"
    where = one_line(cap(mask_url(response.headers.get("Location", "")), 200))
    return (
        f"{status_text(response)}, redirected to {where or 'nowhere'} "
        "(redirects are not followed: set prometheus.url to the final address)"
    )


def _warnings(seen: list[requests.Response]) -> list[str]:
    for response in reversed(seen):
        if b'"warnings"' not in response.content:
            return []  # parsing a large answer twice only to find nothing would be a waste
        try:
            found = response.json().get("warnings") or []
        except (ValueError, AttributeError):
            return []
        return [one_line(cap(str(w))) for w in found]
    return []
