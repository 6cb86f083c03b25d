"""Range queries against any Prometheus-compatible HTTP API, split into chunks and merged."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from pipeline.config import PrometheusSettings
from pipeline.errors import SourceUnavailable
from pipeline.model import Labels, QueryResult, Series

RETRY_STATUSES = (500, 502, 503, 504)


class MetricsSource(Protocol):
    """Anything that answers range queries; tests of one stage pass a fake."""

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult: ...


class _BadResponse(Exception):
    """The server answered, but not with a usable query result."""

    def __init__(self, message: str, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected  # the server refused the query itself (bad PromQL, limits)


def require_usable(results: Iterable[QueryResult], url: str) -> None:
    """SourceUnavailable when every query got an unusable answer (not a rejected query)."""
    results = list(results)
    if results and all(r.error and not r.rejected for r in results):
        raise SourceUnavailable(
            f"Prometheus at {url} answered, but no query got a usable response: {results[0].error}"
        )


def chunk_bounds(
    first_ts: float, last_ts: float, step_s: float, max_points: int
) -> list[tuple[float, float]]:
    """Split [first, last] (both sample times) into consecutive ranges of at most max_points."""
    bounds = []
    start = first_ts
    while start <= last_ts:
        end = min(start + (max_points - 1) * step_s, last_ts)
        bounds.append((start, end))
        start = end + step_s
    return bounds


class PrometheusSource:
    """Prometheus HTTP API through prometheus-api-client, with retries, auth and chunking."""

    def __init__(
        self,
        settings: PrometheusSettings,
        env: Mapping[str, str],
        backoff_factor: float = 0.5,
    ) -> None:
        self.settings = settings
        self._headers = dict(settings.headers)
        if settings.bearer_token_env:
            self._headers["Authorization"] = f"Bearer {env[settings.bearer_token_env]}"
        self._auth: tuple[str, str] | None = None
        if settings.basic_auth:
            self._auth = (settings.basic_auth.username, env[settings.basic_auth.password_env])
        self._retry = Retry(
            total=settings.retries,
            backoff_factor=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=None,
            raise_on_status=False,
        )

    def _client(self) -> tuple[PrometheusConnect, list[requests.Response]]:
        # One client (and session) per query: sessions are not shared between threads, and
        # the response hook lets us read `warnings`, which custom_query_range drops.
        seen: list[requests.Response] = []
        session = requests.Session()
        session.verify = self.settings.verify_tls
        session.hooks["response"].append(lambda r, *a, **k: seen.append(r))
        client = PrometheusConnect(
            url=self.settings.url,
            headers=self._headers,
            disable_ssl=not self.settings.verify_tls,
            retry=self._retry,
            auth=self._auth,
            session=session,
            timeout=self.settings.timeout_s,  # type: ignore[arg-type,unused-ignore]
        )
        return client, seen

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        """Run `query` at every step from first_ts to last_ts inclusive; merge the chunks."""
        chunks = chunk_bounds(first_ts, last_ts, step_s, self.settings.max_points_per_request)
        client, seen = self._client()
        parts: list[list[dict[str, Any]]] = []
        warnings: list[str] = []
        try:
            for start, end in chunks:
                seen.clear()
                try:
                    parts.append(self._fetch(client, seen, query, start, end, step_s))
                except _BadResponse as exc:
                    return QueryResult(
                        query=query, error=str(exc), rejected=exc.rejected, requests=len(parts) + 1
                    )
                warnings.extend(_warnings(seen))
        finally:
            client.close()
        return QueryResult(
            query=query,
            series=_merge(parts),
            warnings=tuple(dict.fromkeys(warnings)),
            requests=len(chunks),
        )

    def instant_series(self, query: str) -> QueryResult:
        """Evaluate `query` once, now; the result holds how many series it returned."""
        client, seen = self._client()
        try:
            data = self._call(client, seen, lambda: client.custom_query(query))
        except _BadResponse as exc:
            return QueryResult(query=query, error=str(exc), rejected=exc.rejected, requests=1)
        finally:
            client.close()
        empty = np.empty(0)
        found = tuple(Series((), empty, empty) for _ in data) if isinstance(data, list) else ()
        return QueryResult(query=query, series=found, warnings=tuple(_warnings(seen)), requests=1)

    def _fetch(
        self,
        client: PrometheusConnect,
        seen: list[requests.Response],
        query: str,
        start: float,
        end: float,
        step_s: float,
    ) -> list[dict[str, Any]]:
        data = self._call(
            client,
            seen,
            lambda: client.custom_query_range(
                query,
                start_time=datetime.fromtimestamp(start, UTC),
                end_time=datetime.fromtimestamp(end, UTC),
                step=f"{step_s:g}",
            ),
        )
        if not isinstance(data, list) or not all(
            isinstance(s, dict) and "metric" in s and "values" in s for s in data
        ):
            raise _BadResponse("unexpected response: data.result is not a list of range series")
        return data

    def _call(
        self, client: PrometheusConnect, seen: list[requests.Response], request: Callable[[], Any]
    ) -> Any:
        """Make one API call; map failures to SourceUnavailable or _BadResponse."""
        tries = self.settings.retries + 1
        try:
            return request()
        except requests.exceptions.JSONDecodeError as exc:  # before RequestException, its parent
            raise _BadResponse(_shape_error(exc)) from None
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            reason = _reason(exc, self.settings.timeout_s)
            raise SourceUnavailable(
                f"Prometheus at {self.settings.url}: {reason} ({tries} tries)"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise SourceUnavailable(
                f"Prometheus at {self.settings.url}: {type(exc).__name__} ({tries} tries)"
            ) from None
        except PrometheusApiClientException:
            response = seen[-1] if seen else None
            if response is not None and response.status_code in RETRY_STATUSES:
                raise SourceUnavailable(
                    f"Prometheus at {self.settings.url}: HTTP {response.status_code} "
                    f"({tries} tries)"
                ) from None
            raise _BadResponse(_server_error(response), rejected=True) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise _BadResponse(_shape_error(exc)) from None


def _reason(exc: requests.exceptions.RequestException, timeout_s: float) -> str:
    text = str(exc)
    if "Read timed out" in text or isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout_s:g}s"
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name does not resolve"),
        ("Temporary failure in name resolution", "host name does not resolve"),
        ("nodename nor servname", "host name does not resolve"),
        ("timed out", "connection timed out"),
    ):
        if needle in text:
            return reason
    return "connection failed"


def _server_error(response: requests.Response | None) -> str:
    if response is None:
        return "the server rejected the query"
    try:
        body = response.json()
        return f"{body['errorType']}: {body['error']}"
    except (ValueError, KeyError, TypeError):
        snippet = response.text[:200].strip()
        return f"HTTP {response.status_code}: {snippet or 'empty body'}"


def _shape_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError | requests.exceptions.JSONDecodeError):
        return f"response is not valid JSON ({exc})"
    return f"unexpected response shape: missing or wrong field {exc}"


def _warnings(seen: list[requests.Response]) -> list[str]:
    for response in reversed(seen):
        try:
            found = response.json().get("warnings") or []
        except (ValueError, AttributeError):
            return []
        return [str(w) for w in found]
    return []


def _merge(parts: list[list[dict[str, Any]]]) -> tuple[Series, ...]:
    """Join each series' chunks in time order, dropping samples repeated at chunk edges."""
    pieces: dict[Labels, list[list[Any]]] = {}
    for part in parts:
        for item in part:
            labels: Labels = tuple(sorted((str(k), str(v)) for k, v in item["metric"].items()))
            pieces.setdefault(labels, []).extend(item["values"])
    merged = []
    for labels, values in pieces.items():
        if not values:
            continue
        ts = np.fromiter((float(v[0]) for v in values), dtype=np.float64, count=len(values))
        vs = np.fromiter((float(v[1]) for v in values), dtype=np.float64, count=len(values))
        unique_ts, index = np.unique(ts, return_index=True)
        merged.append(Series(labels=labels, timestamps=unique_ts, values=vs[index]))
    return tuple(sorted(merged, key=lambda s: s.labels))
