"""A requests adapter whose every request ends on time and within a size.

prometheus-api-client takes a `requests.Session`; mounted on it, this adapter
- gives each attempt a total deadline of `timeout_s` (connect, headers and the whole body): a
  watchdog shuts the socket down when it passes, so a server that drips its answer cannot hold
  the run (socket time-outs alone bound each read, not the request);
- reads the body itself, counting bytes after decompression, and stops past `max_bytes`;
- shares one `Lane` among the adapters of a run: an answer may grow past `Lane.free_bytes`
  (a quarter of `max_bytes`) only while it holds the lane, so one answer at most is large at
  a time; or, when the adapter's `give_up` says so of how the answer began, it stops there
  (the caller asks for less instead). The answers read (4) and held for merging (4) at once
  take under ~3 x `max_bytes` (one large, seven small), not one `max_bytes` each; answers that
  fail (a gzip bomb, an endless body) are never held, so a run where every query gets one
  stays under 1.75 x `max_bytes` (one at the cap, three at the quarter);
- retries connection failures, time-outs, 429 and 5xx answers; it waits `backoff_s` x 2^(n-1)
  before retry n, or what Retry-After asks, but never more than `timeout_s`. So one request
  takes at most (retries + 1) x timeout_s + retries x timeout_s;
- stops at once when its `Abort` is set (another query found the source unusable).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 64 * 1024
HEAD_BYTES = 256  # of an answer too large: how it began (is it a query result at all?)
READER_SHARES = 4  # answers read at once in a run (query.QUERY_WORKERS, one fetcher each)


@dataclass(frozen=True)
class Limits:
    """How long one attempt may take, how often to retry, how big an answer may be."""

    timeout_s: float
    retries: int
    max_bytes: int
    backoff_s: float = 0.5


class DeadlineExceeded(requests.exceptions.Timeout):
    """No complete answer within timeout_s."""


class Lane:
    """The run's one way for an answer to grow past `free_bytes` (max_bytes / READER_SHARES).

    The reader that crosses it waits for the lane (its deadline still runs) and keeps it while
    the answer is held: until `release(response)`, or until the response is let go. Answers
    under `free_bytes` never wait, so a normal run reads as many at once as before.
    """

    def __init__(self, max_bytes: int, shares: int = READER_SHARES) -> None:
        self.free_bytes = max_bytes // shares
        self._free = threading.Semaphore(1)
        # each held answer's finalizer gives the lane back once: when called, or when collected
        self._held: weakref.WeakKeyDictionary[
            requests.Response, weakref.finalize[[], requests.Response]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def take(self, stopped: Callable[[], bool]) -> Callable[[], None]:
        """Wait for the lane; return how to give it back (once). DeadlineExceeded when
        `stopped()` says the attempt is over while waiting."""
        while not self._free.acquire(timeout=0.05):
            if stopped():
                raise DeadlineExceeded("stopped while waiting to read a large answer")
        given = threading.Event()

        def give_back() -> None:
            with self._lock:
                if given.is_set():
                    return
                given.set()
            self._free.release()

        return give_back

    def keep(self, response: requests.Response, give_back: Callable[[], None]) -> None:
        """`response` holds the lane until released, or until it is let go."""
        with self._lock:
            self._held[response] = weakref.finalize(response, give_back)

    def release(self, response: requests.Response | None) -> None:
        """The answer in `response` is let go: another may grow past `free_bytes`."""
        if response is None:
            return
        with self._lock:
            done = self._held.pop(response, None)
        if done is not None:
            done()

    @contextlib.contextmanager
    def holding(self, response: requests.Response) -> Iterator[requests.Response]:
        """`response` while it is used; the lane is given back after, however it ends."""
        try:
            yield response
        finally:
            self.release(response)


class ResponseTooLarge(requests.exceptions.RequestException):
    """The answer grew past `limit` bytes (after decompression): max_bytes, or the lane's free
    share when the caller gave it up there; `head` is how it began."""

    def __init__(self, message: str, head: bytes = b"", limit: int = 0) -> None:
        super().__init__(message)
        self.head = head
        self.limit = limit


class Aborted(requests.exceptions.RequestException):
    """Stopped because another request found the source unusable."""


class Abort:
    """Shared by the requests of a run: set once, it stops every attempt still going."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._watches: set[_Watch | _Follower] = set()

    def set(self) -> None:
        """Stop every attempt now and refuse new ones."""
        with self._lock:
            self._event.set()
            watches = list(self._watches)
        for watch in watches:
            watch.fire()

    def child(self) -> Abort:
        """An Abort set with this one, that can also be set alone (one query's requests)."""
        child = Abort()
        if not self._add(_Follower(child)):
            child.set()
        return child

    def is_set(self) -> bool:
        """Whether set() was called."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True (at once) when set."""
        return self._event.wait(seconds)

    def _add(self, watch: _Watch | _Follower) -> bool:
        with self._lock:
            if self._event.is_set():
                return False
            self._watches.add(watch)
            return True

    def _remove(self, watch: _Watch | _Follower) -> None:
        with self._lock:
            self._watches.discard(watch)


class _Follower:
    """Sets a child Abort when its parent is set."""

    def __init__(self, child: Abort) -> None:
        self.child = child

    def fire(self) -> None:
        self.child.set()


class _Watch:
    """The deadline of one attempt: when it passes, the attempt's sockets are shut down."""

    def __init__(self, timeout_s: float, abort: Abort) -> None:
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.fired = False
        self._abort = abort
        self._timer = threading.Timer(timeout_s, self.fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        if not self._abort._add(self):
            self.fired = True
        self._timer.start()
        _current.watch = self
        return self

    def __exit__(self, *exc: object) -> None:
        _current.watch = None
        self._timer.cancel()
        self._abort._remove(self)
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()

    def add(self, sock: socket.socket) -> None:
        """Watch `sock` (a duplicate, which still works once TLS has wrapped the original)."""
        with self._lock:
            self._socks.append(sock.dup())
            fired = self.fired
        if fired:
            self.fire()

    def fire(self) -> None:
        """Shut the sockets down: a blocked read returns at once."""
        with self._lock:
            self.fired = True
            for sock in self._socks:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()  # the _Watch of the attempt running in this thread, if any


def _watched(sock: socket.socket) -> socket.socket:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.add(sock)
    return sock


class _Connection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _TlsConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection


_POOLS = {"http": _Pool, "https": _TlsPool}


class BoundedAdapter(HTTPAdapter):
    """Deadline per attempt, size cap, retries with capped waits; `tries` of the last send."""

    def __init__(
        self, limits: Limits, abort: Abort | None = None, lane: Lane | None = None
    ) -> None:
        self.limits = limits
        self.abort = abort or Abort()
        self.lane = lane or Lane(limits.max_bytes)
        self.tries = 0
        # given the first HEAD_BYTES of an answer growing past the lane's free share: True to
        # stop it there (ResponseTooLarge) rather than wait for the lane; set per request
        self.give_up: Callable[[bytes], bool] | None = None
        super().__init__(max_retries=0)  # we retry ourselves, with a deadline per attempt

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: object = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send `request`, retrying; the body is always read here, within the limits."""
        self.tries = 0
        while True:
            if self.abort.is_set():
                raise Aborted("stopped: another query found the source unusable")
            self.tries += 1
            last = self.tries > self.limits.retries
            retry_after = None
            try:
                response = self._attempt(request, verify, cert, proxies)
            except requests.exceptions.SSLError:
                raise  # a certificate problem does not go away by asking again
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError):
                if last:
                    raise
            else:
                if last or response.status_code not in RETRY_STATUSES:
                    return response
                retry_after = _retry_after(response.headers.get("Retry-After"))
                self.lane.release(response)  # this answer is let go: asked again
            if self.abort.wait(self._wait(retry_after)):
                raise Aborted("stopped: another query found the source unusable")

    def _wait(self, retry_after: float | None) -> float:
        backoff = self.limits.backoff_s * 2 ** (self.tries - 1)
        return min(backoff if retry_after is None else retry_after, self.limits.timeout_s)

    def _attempt(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: Any,
        proxies: Mapping[str, str] | None,
    ) -> requests.Response:
        t = self.limits.timeout_s
        with _Watch(t, self.abort) as watch:
            try:
                response = super().send(
                    request, stream=True, timeout=(t, t), verify=verify, cert=cert, proxies=proxies
                )
                response._content = read_body(
                    response, self.limits.max_bytes, self.lane, lambda: watch.fired, self.give_up
                )
                if watch.fired:  # cut off mid-headers or mid-body: what arrived is not all
                    self.lane.release(response)
                    raise DeadlineExceeded(f"no complete answer within {t:g}s")
            except (requests.exceptions.RequestException, OSError):
                if not watch.fired:  # past the deadline, even "too large" is a partial answer:
                    raise  # a head cut short must not be taken for a result to split
                if self.abort.is_set():
                    raise Aborted("stopped: another query found the source unusable") from None
                raise DeadlineExceeded(f"no complete answer within {t:g}s") from None
            finally:
                self.close()  # a new connection, and so a new deadline, for every attempt
        return response


def read_body(
    response: requests.Response,
    max_bytes: int,
    lane: Lane | None = None,
    stopped: Callable[[], bool] = lambda: False,
    give_up: Callable[[bytes], bool] | None = None,
) -> bytes:
    """The whole body, decompressed; ResponseTooLarge past `max_bytes`. Past `lane.free_bytes`
    the reading waits for the lane, and `response` keeps it (see Lane); or, if `give_up` says so
    of the body's first HEAD_BYTES, ResponseTooLarge there."""
    too_large = f"the answer is larger than {max_bytes:,} bytes"
    length = response.headers.get("Content-Length", "")
    plain = response.headers.get("Content-Encoding", "identity") == "identity"
    if plain and length.isdigit() and int(length) > max_bytes:
        try:
            head = response.raw.read(HEAD_BYTES)
        except (urllib3.exceptions.HTTPError, OSError):
            head = b""
        response.close()
        raise ResponseTooLarge(too_large, head, max_bytes)
    body = bytearray()
    give_back: Callable[[], None] | None = None
    read = False
    try:
        for chunk in response.raw.stream(CHUNK_BYTES, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise ResponseTooLarge(too_large, bytes(body[:HEAD_BYTES]), max_bytes)
            if lane and give_back is None and len(body) > lane.free_bytes:
                head = bytes(body[:HEAD_BYTES])
                if give_up and give_up(head):
                    free = lane.free_bytes
                    raise ResponseTooLarge(f"the answer is larger than {free:,} bytes", head, free)
                give_back = lane.take(stopped)
        content = bytes(body)
        read = True
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(str(exc)) from None
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(str(exc)) from None
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(str(exc)) from None
    except urllib3.exceptions.HTTPError as exc:
        raise requests.exceptions.ConnectionError(str(exc)) from None
    finally:
        del body  # before the lane is given back: the answer so far is let go
        response.close()
        if give_back and not read:
            give_back()
    if lane and give_back:
        lane.keep(response, give_back)
    return content


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
