"""Lock files (flock) that name their holder: pid, host and since when, for whoever finds the
lock taken, so that a wait or a refusal can say who to look at."""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

from pipeline.errors import OutputError

log = logging.getLogger("pipeline")
POLL_S = 0.2  # how often a waiting run tries the lock again
NO_NAME = "a process that has not written its name yet"


def holder_line() -> str:
    """`pid 4242 on host h1 since 2026-12-02T19:00:00Z`: this process, from now."""
    since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"pid {os.getpid()} on host {socket.gethostname()} since {since}"


def try_lock(handle: TextIO) -> bool:
    """Take the exclusive lock on an open lock file if it is free; whether it was taken."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def holder_of(handle: TextIO) -> str:
    """Who holds the lock, as its holder wrote it in the file."""
    handle.seek(0)
    return handle.read().strip() or NO_NAME


@contextmanager
def signed(handle: TextIO) -> Iterator[None]:
    """With the lock taken: this process's name in the file; cleared and unlocked at the end."""
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(holder_line() + "\n")
        handle.flush()
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def bounded_lock(handle: TextIO, what: str, wait_s: float, after: str) -> Iterator[None]:
    """Hold the lock of an open lock file, waiting for it at most `wait_s` seconds. A wait is
    logged with the holder; past `wait_s`, an OutputError (exit 1) names the holder, the lock
    and `after` (what the caller leaves undone)."""
    if not try_lock(handle):
        log.warning("%s is locked by %s; waiting up to %gs", what, holder_of(handle), wait_s)
        deadline = time.monotonic() + wait_s
        while not try_lock(handle):
            if time.monotonic() >= deadline:
                raise OutputError(
                    f"{what} is still locked by {holder_of(handle)} after {wait_s:g}s of "
                    f"waiting; {after}: if that process is stuck, stop it, then run again "
                    f"(the lock is {handle.name})"
                )
            time.sleep(POLL_S)
    with signed(handle):
        yield
