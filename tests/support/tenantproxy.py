"""A tenant-enforcing proxy in front of a real Prometheus (or VictoriaMetrics), as
prom-label-proxy in header mode and Mimir's or Cortex's query front end behave.

- A query without the tenant header is refused 401 with Mimir's and Cortex's `no org id`.
- A tenant the proxy does not know is refused 403 (as an authenticating gateway in front of
  them would; Mimir itself takes any tenant id, and an id without data finds nothing).
- Every other query is passed on with the tenant's label matcher added to each selector
  (`promql_labels.with_label`), so it sees only that tenant's series, whatever it asks.

Only the query endpoints are served (GET or a POST form, like Prometheus); any other path is
404, so nothing reaches the server unenforced. Bodies never echo a header value.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import requests

from tests.support.promql_labels import QueryError, with_label

QUERY_PATHS = ("/api/v1/query", "/api/v1/query_range")


@dataclass
class Tenancy:
    """Which header names the tenant, which label holds it, and each tenant id's label value;
    `seen` records each request: its path, the tenant id (None: no header) and the query sent on
    (None: refused)."""

    tenants: Mapping[str, str]
    header: str = "X-Scope-OrgID"
    label: str = "tenant"
    seen: list[tuple[str, str | None, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._serve(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        self._serve(parse_qsl(body, keep_blank_values=True))

    def _serve(self, params: list[tuple[str, str]]) -> None:
        tenancy, path = self.server.tenancy, urlsplit(self.path).path
        tenant = self.headers.get(tenancy.header) or None
        if path not in QUERY_PATHS:
            tenancy.seen.append((path, tenant, None))
            self._send(404, b"404 page not found\n", "text/plain")
        elif tenant is None:
            tenancy.seen.append((path, None, None))
            self._send(401, b"no org id\n", "text/plain")
        elif tenant not in tenancy.tenants:
            tenancy.seen.append((path, tenant, None))
            self._send(403, b"the tenant is not allowed\n", "text/plain")
        else:
            self._forward(path, tenant, params)

    def _forward(self, path: str, tenant: str, params: list[tuple[str, str]]) -> None:
        tenancy = self.server.tenancy
        value = tenancy.tenants[tenant]
        try:
            enforced = [
                (k, with_label(v, tenancy.label, value) if k == "query" else v) for k, v in params
            ]
        except QueryError as exc:
            tenancy.seen.append((path, tenant, None))
            error = {"status": "error", "errorType": "bad_data", "error": str(exc)}
            self._send(400, json.dumps(error).encode(), "application/json")
            return
        tenancy.seen.append((path, tenant, dict(enforced).get("query")))
        upstream = requests.post(self.server.upstream + path, data=enforced, timeout=60)
        kind = upstream.headers.get("Content-Type", "application/json")
        self._send(upstream.status_code, upstream.content, kind)

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tenancy: Tenancy
    upstream: str


@contextmanager
def tenant_proxy(upstream: str, tenancy: Tenancy) -> Iterator[str]:
    """Run the proxy in front of `upstream` (a base URL); yield its URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.tenancy = tenancy
    server.upstream = upstream.rstrip("/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
