"""A server on 127.0.0.1 that answers every request with a redirect to another origin (another
port), and the receiver there that records every request's headers: what a client sends
after a redirect is what the receiver holds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Redirect:
    """The redirecting origin and what it and the other origin received."""

    status: int = 302
    url: str = ""  # the origin: every request here is redirected
    target: str = ""  # the other origin, where the redirects point
    origin_requests: list[Seen] = field(default_factory=list)
    target_requests: list[Seen] = field(default_factory=list)

    @property
    def status_line(self) -> str:
        """`302 Found`: the origin's answer as messages name it."""
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    def leaked(self, *secrets: str) -> list[str]:
        """Every header of a request the other origin received, as `name: value` lines, that
        holds one of `secrets` (the cookie jar, basic auth and custom headers alike)."""
        lines = [f"{k}: {v}" for r in self.target_requests for k, v in r.headers.items()]
        return [line for line in lines if any(s in line for s in secrets)]


def _server(record: list[Seen], answer: tuple[int, dict[str, str]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            record.append(Seen(self.command, self.path, dict(self.headers.items())))
            status, headers = answer
            try:
                self.send_response(status)
                for name, value in {**headers, "Content-Length": "2"}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"{}")
            except OSError:
                pass

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def redirecting(status: int = 302) -> Iterator[Redirect]:
    """An origin answering `status` with `Location:` on another port (same path), which sets a
    cookie on the way, and that other origin answering 200 to all."""
    state = Redirect(status)
    target = _server(state.target_requests, (200, {"Content-Type": "application/json"}))
    state.target = f"http://127.0.0.1:{target.server_address[1]}"
    location = {"Location": state.target + "/elsewhere", "Set-Cookie": "origin=session-cookie"}
    origin = _server(state.origin_requests, (status, location))
    state.url = f"http://127.0.0.1:{origin.server_address[1]}"
    try:
        yield state
    finally:
        for server in (origin, target):
            server.shutdown()
            server.server_close()
