"""An HTTP proxy in front of the real Prometheus that injects faults on demand."""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

Answer = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Faults:
    """What the proxy does; `match` limits a fault to queries containing that text, `spare`
    spares the queries containing that one."""

    match: str = ""
    spare: str | None = None
    status_first: list[int] = field(default_factory=list)  # answer these statuses first
    delay_s: float = 0.0
    body: str | None = None  # "not_json", "truncated", "wrong_shape"
    warnings: list[str] = field(default_factory=list)
    reject: str | None = None  # answer 422 with this execution error
    requests: list[dict[str, str]] = field(default_factory=list)  # headers of each request
    queries: list[str] = field(default_factory=list)
    answer_first: list[Answer] = field(default_factory=list)  # hostile answers, then the real
    answer: Answer | None = None  # a hostile answer (hostile.py) to every matching query


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        faults = self.server.faults
        query = parse_qs(urlsplit(self.path).query).get("query", [""])[0]
        faults.requests.append(dict(self.headers))
        faults.queries.append(query)
        hit = faults.match in query and not (faults.spare and faults.spare in query)
        if hit and faults.delay_s:
            time.sleep(faults.delay_s)
        if hit and faults.answer_first:
            faults.answer_first.pop(0)(self)
            return
        if hit and faults.answer is not None:
            faults.answer(self)
            return
        if hit and faults.status_first:
            self._send(faults.status_first.pop(0), b'{"status":"error","error":"unavailable"}')
            return
        if hit and faults.reject:
            body = {"status": "error", "errorType": "execution", "error": faults.reject}
            self._send(422, json.dumps(body).encode())
            return
        upstream = requests.get(self.server.upstream + self.path, timeout=30)
        body = upstream.content
        if hit and faults.body == "not_json":
            body = b"<html><body>502 Bad Gateway from a load balancer</body></html>"
        elif hit and faults.body == "truncated":
            body = body[: len(body) // 2]
        elif hit and faults.body == "wrong_shape":
            body = b'{"status":"success","data":{"resultType":"matrix","result":{"oops":1}}}'
        elif hit and faults.warnings and upstream.status_code == 200:
            document = json.loads(body)
            document["warnings"] = faults.warnings
            body = json.dumps(document).encode()
        self._send(upstream.status_code, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # the client may have given up (a time-out): that is the point of a delay
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    faults: Faults
    upstream: str


@contextmanager
def fault_proxy(upstream: str, faults: Faults, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Run the proxy (over TLS with `tls`); yield its URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.faults = faults
    server.upstream = upstream
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http{'s' if tls else ''}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
