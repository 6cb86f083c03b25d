"""Hostile answers for the fault proxy: what a misbehaving Prometheus-compatible server sends.

Each function returns an answer (a callable given the request handler) for `Faults.answer` or
`Faults.answer_first`; queries the fault does not match still reach the real Prometheus.
"""

from __future__ import annotations

import contextlib
import json
import time
import zlib
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler

from tests.support.faultproxy import Answer

GIVE_UP_S = 60.0  # a dripping or endless answer stops by itself after this, client or not


def _headers(handler: BaseHTTPRequestHandler, code: int, headers: dict[str, str]) -> None:
    handler.send_response(code)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


def _write(handler: BaseHTTPRequestHandler, data: bytes) -> bool:
    """Write, and say whether the client is still there."""
    try:
        handler.wfile.write(data)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def status(
    code: int,
    body: bytes | str = b"",
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> Answer:
    """A plain answer with this status, body and headers."""
    data = body.encode() if isinstance(body, str) else body

    def answer(handler: BaseHTTPRequestHandler) -> None:
        extra = {"Content-Type": content_type, "Content-Length": str(len(data))}
        _headers(handler, code, {**extra, **(headers or {})})
        _write(handler, data)

    return answer


def api_error(code: int, error_type: str, error: str) -> Answer:
    """A Prometheus API error: JSON with status error, errorType and error."""
    body = json.dumps({"status": "error", "errorType": error_type, "error": error})
    return status(code, body, "application/json")


def document(doc: object) -> Answer:
    """200 with this JSON document."""
    return status(200, json.dumps(doc), "application/json")


def matrix(series: Iterable[tuple[object, object]]) -> Answer:
    """A successful range answer with these (metric, values) pairs, however malformed."""
    result = [{"metric": metric, "values": values} for metric, values in series]
    return document({"status": "success", "data": {"resultType": "matrix", "result": result}})


def drip(interval_s: float = 0.2) -> Answer:
    """Headers at once, then the body one byte every `interval_s`, never complete."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, 200, {"Content-Type": "application/json", "Content-Length": "100000"})
        stop = time.monotonic() + GIVE_UP_S
        while time.monotonic() < stop and _write(handler, b" "):
            time.sleep(interval_s)

    return answer


def stall() -> Answer:
    """Accept the request and never answer."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(GIVE_UP_S)

    return answer


def gzip_bomb(size: int) -> Answer:
    """A small gzip body that inflates to `size` bytes (a JSON prefix, then spaces)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    parts = [squeezer.compress(b'{"status":"success","data":{"result":[')]
    block = b" " * (1 << 20)
    for _ in range(size >> 20):
        parts.append(squeezer.compress(block))
    parts.append(squeezer.compress(b"]}}") + squeezer.flush())
    body = b"".join(parts)

    def answer(handler: BaseHTTPRequestHandler) -> None:
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Content-Length": str(len(body)),
        }
        _headers(handler, 200, headers)
        _write(handler, body)

    return answer


def endless(chunk: int = 1 << 16) -> Answer:
    """200 with a body that never ends and says no length: spaces until the client leaves."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, 200, {"Content-Type": "application/json"})
        data = b" " * chunk
        stop = time.monotonic() + GIVE_UP_S
        with contextlib.suppress(OSError):
            while time.monotonic() < stop and _write(handler, data):
                pass
        handler.close_connection = True

    return answer
