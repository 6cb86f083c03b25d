"""Range queries against any Prometheus-compatible HTTP API, split into chunks and merged."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException

from pipeline.core.model import QueryResult, Series
from pipeline.core.settings import SourceSettings
from pipeline.core.text import mask_url
from pipeline.errors import SourceUnavailable
from pipeline.query.api_errors import AnswerKind, classify_answer
from pipeline.query.auth import NoAuth, credentials
from pipeline.query.bounded_http import (
    Abort,
    Aborted,
    BoundedAdapter,
    Lane,
    Limits,
    ResponseTooLarge,
)
from pipeline.query.chunks import (
    Chunks,
    is_result,
    split_refused,
    too_large_text,
    too_many_text,
)
from pipeline.query.decode import Answer, NotAnswer, read_answer
from pipeline.query.failures import failure_reason, redirect_reason, size_text, tls_reason
from pipeline.query.grid import Grid, Malformed, Merger, TooManySeries


class MetricsSource(Protocol):
    """Anything that answers range queries; tests of one stage pass a fake."""

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult: ...


@dataclass(frozen=True)
class _Connection:
    """What one query's requests go through: a client, its session, the answers seen (the last
    is classified when it is not a result) and the adapter that bounds each request."""

    client: PrometheusConnect
    session: requests.Session
    seen: list[requests.Response]
    adapter: BoundedAdapter
    abort: Abort  # stops this query's requests (and is set with the source's)


_T = TypeVar("_T")
_Asked = tuple[tuple[float, float], Future[requests.Response]]  # a range and its answer to come


class _Unusable(Exception):
    """Why the source is not usable, found in a request; `PrometheusSource._unusable` makes it
    the run's failure once the query reads it (a request no one reads changes nothing)."""


class _BadResponse(Exception):
    """The server answered, but not with a usable query result for this goal."""

    def __init__(self, message: str, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected  # the server refused the query itself (bad PromQL, its limits)


class _TooLarge(_BadResponse):
    """The answer passed max_response_bytes; `result` when it began as a query result (so a
    shorter range may fit), not a page or a stream of anything else."""

    def __init__(self, message: str, result: bool) -> None:
        super().__init__(message)
        self.result = result


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
        self._credentials = credentials(settings.url, settings, env)
        self._headers = {**dict(settings.headers), **self._credentials.headers}
        self.limits = Limits(
            timeout_s=settings.timeout_s,
            retries=settings.retries,
            max_bytes=settings.max_response_bytes,
            backoff_s=backoff_s,
        )
        self._abort = Abort()
        self._lane = Lane(settings.max_response_bytes)  # one large answer at a time, run-wide
        self._lock = threading.Lock()
        self._failure: SourceUnavailable | None = None

    def _client(self) -> _Connection:
        # One client (and session) per query: sessions are not shared between threads, and
        # the response hook keeps the last answer, to classify it when it is not a result.
        seen: list[requests.Response] = []
        session = requests.Session()
        # verify= goes on every request too: requests would put REQUESTS_CA_BUNDLE over the
        # session's (so over verify_tls: false and ca_file) for a request without it
        session.verify = self.settings.verify
        session.max_redirects = 0  # a redirect is reported, not followed (see redirect_reason)
        if not self.settings.compress:  # prometheus.compression
            session.headers["Accept-Encoding"] = "identity"
        session.hooks["response"].append(lambda r, *a, **k: seen.append(r))
        client = PrometheusConnect(
            url=self.settings.url,
            headers=self._headers,
            disable_ssl=not self.settings.verify_tls,
            auth=NoAuth(),  # never ~/.netrc's
            session=session,
            timeout=self.settings.timeout_s,  # type: ignore[arg-type,unused-ignore]
        )
        abort = self._abort.child()
        adapter = BoundedAdapter(self.limits, abort, self._lane)
        # after the client, which mounts its own adapter on its URL
        for prefix in ("http://", "https://", self.settings.url):
            session.mount(prefix, adapter)
        return _Connection(client, session, seen, adapter, abort)

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        """Run `query` at every step from first_ts to last_ts inclusive, in chunks."""
        connection = self._client()
        try:
            with connection.client:
                return self._chunked(connection, query, Grid(first_ts, last_ts, step_s))
        except _Unusable as exc:
            raise self._unusable(str(exc)) from None

    def _chunked(self, connection: _Connection, query: str, grid: Grid) -> QueryResult:
        """The next chunk is asked for while this one's answer is read into arrays and merged,
        then let go. Whatever ends the query stops the request still in flight."""
        floor, most = self.settings.min_points_per_request, self.settings.max_points_per_request
        step_s, limit = grid.step_s, self.settings.max_series_per_goal
        chunks = Chunks(grid.first_ts, grid.last_ts, step_s, (floor, most), self.limits.max_bytes)
        merger, warnings, sent = Merger(grid, limit), list[str](), 0
        with ThreadPoolExecutor(1) as fetcher:

            def ask() -> _Asked | None:
                bounds = chunks.take()
                get = self._get
                return bounds and (bounds, fetcher.submit(get, connection, query, *bounds, step_s))

            try:
                asked = ask()
                while asked:
                    (bounds, future), asked = asked, None
                    sent += 1
                    try:
                        # a large answer holds the run's lane until it is merged and let go
                        with self._lane.holding(future.result()) as response:
                            body = response.content
                            chunks.answered(bounds, len(body), b'"values":[[' in body)
                            asked = ask()
                            answer = self._read(connection, response)
                            merger.add(answer.series)
                            warnings.extend(answer.warnings)
                            del response, body, answer  # let it go before the next comes
                    except _TooLarge as exc:
                        if not (exc.result and chunks.too_big(bounds)):
                            error = too_large_text(str(exc), floor, exc.result)
                            return QueryResult(query, error=error, requests=sent)
                        asked = asked or ask()
                    except _BadResponse as exc:
                        halves = split_refused(str(exc), *bounds, step_s, floor)
                        if halves is None:
                            error = too_many_text(str(exc), floor)
                            return QueryResult(
                                query, error=error, rejected=exc.rejected, requests=sent
                            )
                        chunks.refused(halves)
                        asked = asked or ask()
                series = merger.series()
            except (Malformed, TooManySeries) as exc:
                return QueryResult(query, error=str(exc), requests=sent)
            finally:
                connection.abort.set()  # a chunk asked but no longer wanted
        return QueryResult(query, series, warnings=tuple(dict.fromkeys(warnings)), requests=sent)

    def instant_series(self, query: str) -> QueryResult:
        """Evaluate `query` once, now; the result holds how many series it returned."""
        connection = self._client()
        client = connection.client
        try:
            data = self._call(connection, lambda: client.custom_query(query))
        except _Unusable as exc:
            raise self._unusable(str(exc)) from None
        except _BadResponse as exc:
            return QueryResult(query=query, error=str(exc), rejected=exc.rejected, requests=1)
        finally:
            client.close()
        if not isinstance(data, list):
            error = "unexpected response: data.result is not a list of series"
            return QueryResult(query=query, error=error, requests=1)
        empty = np.empty(0)
        found = tuple(Series((), empty, empty) for _ in data)
        return QueryResult(query=query, series=found, requests=1)

    def _get(
        self, connection: _Connection, query: str, start: float, end: float, step_s: float
    ) -> requests.Response:
        """One range request (in the fetching thread): a 200 answer, else the
        classified failure."""
        params = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}"}
        # a range that can still be cut stops its answer past the lane's free share: shorter
        # ranges are asked instead of holding the lane (only a range at the floor may)
        points = round((end - start) / step_s) + 1
        splittable = points > self.settings.min_points_per_request
        connection.adapter.give_up = is_result if splittable else None

        def request() -> requests.Response:
            connection.seen.clear()  # the answer before this one is let go
            response = connection.session.get(
                f"{connection.client.url}/api/v1/query_range",
                params={**params, "step": f"{step_s:g}"},
                headers=self._headers,
                auth=NoAuth(),  # never ~/.netrc's
                timeout=self.settings.timeout_s,
                verify=self.settings.verify,
            )
            if response.status_code != 200:
                raise NotAnswer
            return response

        return self._call(connection, request)

    def _read(self, connection: _Connection, response: requests.Response) -> Answer:
        """A 200 answer's body read once into arrays (prometheus-api-client's
        custom_query_range would make a Python object of every sample, ~150 bytes each)."""
        try:
            return read_answer(response.content)
        except NotAnswer:
            raise self._classified(response, connection.adapter.tries) from None

    def _call(self, connection: _Connection, request: Callable[[], _T]) -> _T:
        """Make one API call; map failures to SourceUnavailable or _BadResponse. Malformed (an
        answer whose data cannot be read) goes through, for that goal's error."""
        adapter = connection.adapter
        try:
            return request()
        except Malformed:
            raise
        except Aborted:
            raise self._stopped() from None
        except ResponseTooLarge as exc:
            raise _TooLarge(
                f"the answer is larger than {size_text(exc.limit or self.limits.max_bytes)}",
                is_result(exc.head),
            ) from None
        except requests.exceptions.TooManyRedirects as exc:
            raise _Unusable(redirect_reason(exc.response)) from None
        except requests.exceptions.SSLError as exc:
            raise _Unusable(tls_reason(exc)) from None
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            reason = failure_reason(exc, self.settings.timeout_s)
            raise _Unusable(f"{reason} ({adapter.tries} tries)") from None
        except requests.exceptions.ContentDecodingError:
            raise _Unusable("the answer could not be decompressed") from None
        except requests.exceptions.JSONDecodeError:
            pass  # classified below, with the response
        except requests.exceptions.RequestException as exc:
            raise _Unusable(f"{type(exc).__name__} ({adapter.tries} tries)") from None
        except (PrometheusApiClientException, ValueError, KeyError, TypeError, RecursionError):
            pass  # NotAnswer too; RecursionError: JSON nested thousands deep (response.json())
        seen = connection.seen
        raise self._classified(seen[-1] if seen else None, adapter.tries)

    def _classified(self, response: requests.Response | None, tries: int) -> Exception:
        """What an answer that is not a result means: the source is unusable, or this goal
        gets the server's message."""
        names = tuple(name for name, _ in self.settings.headers)
        answer = classify_answer(response, tries, self._credentials.key, names)
        self._lane.release(response)  # classified: its body is no longer needed
        if answer.kind is AnswerKind.UNUSABLE:
            return _Unusable(answer.message)
        return _BadResponse(answer.message, rejected=answer.kind is AnswerKind.REJECTED)

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
