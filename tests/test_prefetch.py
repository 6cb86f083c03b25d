"""The next chunk is asked for while this one is read: a query that ends early (its own error)
stops the request in flight, and that request, never read, does not make the source unusable.

A small local HTTP server stands in for Prometheus (a unit test of the query stage): the first
answer to `bad` cannot be read or holds too many series, every later request for it stalls,
and `good` is answered at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from pipeline.settings import SourceSettings
from pipeline.source import PrometheusSource


def _answer(result: list[dict[str, object]]) -> bytes:
    document = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    return json.dumps(document, separators=(",", ":")).encode()


FIRST = {
    "malformed": _answer([{"metric": {}, "values": [[0, "x"]]}]),
    "too many series": _answer([{"metric": {"i": str(i)}, "values": [[0, "1"]]} for i in range(5)]),
}


@contextmanager
def _server(first: bytes) -> Iterator[tuple[str, list[str]]]:
    release = threading.Event()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)["query"][0]
            asked.append(query)
            if query == "bad" and asked.count("bad") > 1:
                release.wait(30)  # a stalled server, until the test ends
                return
            body = first if query == "bad" else _answer([{"metric": {}, "values": [[0, "1"]]}])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        release.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", sorted(FIRST))
def test_a_query_that_ends_early_leaves_the_source_usable(kind: str) -> None:
    with _server(FIRST[kind]) as (url, _):
        settings = SourceSettings(
            url=url, timeout_s=2, retries=1, headers=(), bearer_token_env=None,
            basic_auth=None, verify_tls=True, max_points_per_request=100,
            max_response_bytes=10**8, max_series_per_goal=3, graph_url=None,
            min_points_per_request=10,
        )  # fmt: skip
        source = PrometheusSource(settings, {}, backoff_s=0.1)
        bad = source.query_range("bad", 0, 60 * 999, 60)
        assert bad.error is not None and bad.requests == 1
        # the next chunk was asked for; it is stopped, sent or not, and its failure not kept
        good = source.query_range("good", 0, 60 * 999, 60)  # SourceUnavailable without the fix
        assert good.error is None and len(good.series) == 1
