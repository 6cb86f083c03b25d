"""A real HTTP receiver on 127.0.0.1 for chat webhooks: records each POST, answers as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver got, and how it answers (`status`, after `delay_s`)."""

    port: int = 0
    status: int = 200
    delay_s: float = 0.0
    drip_s: float = 0.0  # > 0: a 1 MB body announced, then one byte this often, for 60 s
    posts: list[Posted] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def chat_receiver(status: int = 200, delay_s: float = 0.0) -> Iterator[Receiver]:
    """Start the receiver; yields its state, shared with the serving thread."""
    receiver = Receiver(status=status, delay_s=delay_s)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.posts.append(Posted(self.path, dict(self.headers.items()), body))
            time.sleep(receiver.delay_s)
            if receiver.drip_s:
                self._drip(receiver.drip_s)
                return
            try:
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            except OSError:
                pass  # the poster stopped waiting (its deadline): nothing to tell it, nor stderr

        def _drip(self, every_s: float) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            for _ in range(int(60 / every_s)):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(every_s)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
