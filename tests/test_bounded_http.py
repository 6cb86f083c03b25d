"""The adapter's waits: backoff and Retry-After, never more than timeout_s."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from pipeline.bounded_http import BoundedAdapter, DeadlineExceeded, Limits, _retry_after


@pytest.mark.clock
def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert _retry_after("120") == 120
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=100), usegmt=True)
    assert 90 < (_retry_after(later) or 0) <= 100
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=100), usegmt=True)
    assert _retry_after(earlier) == 0


@pytest.mark.parametrize(
    ("tries", "retry_after", "wait"),
    [
        (1, None, 0.5),
        (2, None, 1.0),
        (3, None, 2.0),
        (4, None, 2.0),
        (1, 86400.0, 2.0),
        (1, 1.0, 1.0),
    ],
)
def test_each_wait_is_at_most_timeout_s(tries: int, retry_after: float | None, wait: float) -> None:
    adapter = BoundedAdapter(Limits(timeout_s=2, retries=5, max_bytes=1024))
    adapter.tries = tries
    assert adapter._wait(retry_after) == wait


def _header_drip(listener: socket.socket) -> None:
    """Answer one request with a status line, then a header line every 0.2 s, never ending."""
    conn, _ = listener.accept()
    with conn:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):
            time.sleep(0.2)
            try:
                conn.sendall(b"X-Drip: 1\r\n")
            except OSError:
                return


def test_headers_cut_off_at_the_deadline_are_no_answer_not_an_empty_200() -> None:
    # each header line resets a socket time-out; the deadline shuts the socket down, after
    # which http.client sees the end of the headers: that must not read as a complete answer
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        server = threading.Thread(target=_header_drip, args=(listener,), daemon=True)
        server.start()
        session = requests.Session()
        session.mount("http://", BoundedAdapter(Limits(timeout_s=1, retries=0, max_bytes=1024)))
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(DeadlineExceeded, match="no complete answer within 1s"):
            session.get(url)
