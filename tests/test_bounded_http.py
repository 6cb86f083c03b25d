"""The adapter's waits: backoff and Retry-After, never more than timeout_s; the run's lane for
large answers."""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from pipeline.query.bounded_http import (
    BoundedAdapter,
    DeadlineExceeded,
    Lane,
    Limits,
    ResponseTooLarge,
    _retry_after,
)


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


def _declared_then_stalled(listener: socket.socket, declared: int) -> None:
    """Answer one request with a Content-Length of `declared` bytes and the start of a query
    result, then send nothing more."""
    conn, _ = listener.accept()
    with conn:
        conn.recv(65536)
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\n\r\n"
        conn.sendall(head.encode() + b'{"status":"success","data":')
        time.sleep(5)


def test_a_length_past_the_cap_then_a_stall_is_no_answer_within_the_deadline() -> None:
    """Cut off at the deadline, the beginning of a result must not read as one too large (a
    caller would split its range and wait the whole deadline again, and again)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        threading.Thread(
            target=_declared_then_stalled, args=(listener, 100 << 20), daemon=True
        ).start()
        session = requests.Session()
        adapter = BoundedAdapter(Limits(timeout_s=1, retries=0, max_bytes=1 << 20))
        session.mount("http://", adapter)
        adapter.give_up = lambda head: True
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="no complete answer within 1s"):
            session.get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        assert time.monotonic() - started < 3


class _Body(BaseHTTPRequestHandler):
    """Answers GET /<n> with n bytes."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        data = b" " * int(self.path.strip("/"))
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def bodies() -> Iterator[str]:
    """A local server whose /<n> answers n bytes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Body)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _session(lane: Lane, timeout_s: float = 10) -> requests.Session:
    session = requests.Session()
    limits = Limits(timeout_s=timeout_s, retries=0, max_bytes=4 << 20)
    session.mount("http://", BoundedAdapter(limits, lane=lane))
    return session


def _get_later(session: requests.Session, url: str) -> tuple[threading.Thread, list[object]]:
    got: list[object] = []

    def get() -> None:
        try:
            got.append(len(session.get(url).content))
        except requests.RequestException as exc:
            got.append(exc)

    thread = threading.Thread(target=get, daemon=True)
    thread.start()
    return thread, got


def test_one_large_answer_at_a_time_the_next_waits_until_it_is_released(bodies: str) -> None:
    lane = Lane(4 << 20)  # answers past 1 MiB take turns
    held = _session(lane).get(f"{bodies}/{2 << 20}")
    assert len(held.content) == 2 << 20
    assert len(_session(lane).get(f"{bodies}/{1 << 20}").content) == 1 << 20  # small: no wait
    thread, got = _get_later(_session(lane), f"{bodies}/{3 << 20}")
    thread.join(0.5)
    assert got == []  # waiting for the lane
    lane.release(held)
    thread.join(5)
    assert got == [3 << 20]


def test_a_large_answer_let_go_gives_the_lane_back(bodies: str) -> None:
    lane = Lane(4 << 20)
    held = _session(lane).get(f"{bodies}/{2 << 20}")
    thread, got = _get_later(_session(lane), f"{bodies}/{2 << 20}")
    thread.join(0.5)
    assert got == []
    del held
    gc.collect()
    thread.join(5)
    assert got == [2 << 20]


def test_waiting_for_the_lane_ends_at_the_attempts_deadline(bodies: str) -> None:
    lane = Lane(4 << 20)
    held = _session(lane).get(f"{bodies}/{2 << 20}")
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="no complete answer within 1s"):
        _session(lane, timeout_s=1).get(f"{bodies}/{2 << 20}")
    assert time.monotonic() - started < 3
    lane.release(held)
    assert len(_session(lane).get(f"{bodies}/{2 << 20}").content) == 2 << 20  # given back


def test_an_answer_over_the_cap_gives_the_lane_back(bodies: str) -> None:
    lane = Lane(4 << 20)
    with pytest.raises(ResponseTooLarge):
        _session(lane).get(f"{bodies}/{5 << 20}")
    assert len(_session(lane).get(f"{bodies}/{2 << 20}").content) == 2 << 20


def test_an_answer_given_up_past_the_free_share_never_takes_the_lane(bodies: str) -> None:
    """The caller that can ask for less (a range that can be cut) gives an answer up where it
    would need the lane: it stops at the free share (1 MiB of 4), the lane stays free. Given
    up on nothing, the same answer takes the lane as before."""
    lane = Lane(4 << 20)
    held = _session(lane).get(f"{bodies}/{2 << 20}")  # holds the lane
    session = requests.Session()
    adapter = BoundedAdapter(Limits(timeout_s=1, retries=0, max_bytes=4 << 20), lane=lane)
    session.mount("http://", adapter)
    seen: list[bytes] = []
    adapter.give_up = lambda head: seen.append(head) or True
    with pytest.raises(ResponseTooLarge) as stopped:
        session.get(f"{bodies}/{3 << 20}")  # no wait for the held lane: stopped at once
    assert (stopped.value.limit, stopped.value.head, seen) == (1 << 20, b" " * 256, [b" " * 256])
    adapter.give_up = lambda head: False
    with pytest.raises(DeadlineExceeded):  # waits for the lane, until its deadline
        session.get(f"{bodies}/{3 << 20}")
    lane.release(held)
    assert len(session.get(f"{bodies}/{3 << 20}").content) == 3 << 20
