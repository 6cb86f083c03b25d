"""One scheduler per job store: an exclusive lock on a file beside it, for the scheduler's life.

Two schedulers on one job store (a restart that overlaps, two hosts on shared storage) would
each run every slot. The lock file names its holder (pid and host) for the one turned away.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import OutputError, UsageError


def lock_path(store: Path) -> Path:
    """`scheduler.sqlite` -> `scheduler.sqlite.lock`."""
    return store.with_name(store.name + ".lock")


@contextmanager
def scheduler_lock(store: Path) -> Iterator[None]:
    """Hold the job store's lock; UsageError (exit 2) naming the holder if another has it."""
    path = lock_path(store)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 (held open for the scheduler's life)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "a process that has not written its name yet"
            raise UsageError(
                f"another scheduler already uses the job store {store} ({holder}); "
                f"stop it first (the lock is {path})"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on host {socket.gethostname()}\n")
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
