"""Logs every path a Python process writes, creates or removes outside WRITES_ALLOWED.

tests/test_kubernetes.py puts this folder on PYTHONPATH for a run with the pod's environment,
so every Python process of the run (the CLI, the pool's fork server and workers) imports it at
start-up: what it logs is what a read-only root file system would refuse. Files opened by C
libraries (fontconfig's cache) are not seen.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_ALLOWED = tuple(os.environ.get("WRITES_ALLOWED", "").split(os.pathsep))
_LOG = os.environ.get("WRITES_LOG")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# event -> the (path, dir_fd) argument positions of each path it changes (None: no dir_fd)
_CHANGES: dict[str, tuple[tuple[int, int | None], ...]] = {
    "os.mkdir": ((0, 2),),
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.rename": ((0, 2), (1, 3)),
    "os.symlink": ((1, 2),),
    "os.link": ((1, 3),),
    "os.truncate": ((0, None),),
}


def _full(path: Any, dir_fd: Any) -> str | None:
    """`path` made absolute (relative to the folder `dir_fd` is open on, when given)."""
    if path is None or isinstance(path, int):
        return None
    text = os.fsdecode(path)
    if isinstance(dir_fd, int) and dir_fd >= 0 and not os.path.isabs(text):
        return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), text)
    return os.path.abspath(text)


def _writes(event: str, args: tuple[Any, ...]) -> list[str]:
    """The paths `event` writes to, creates or removes."""
    if event == "open":
        path, mode, flags = args
        writes = (mode and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE_FLAGS
        full = _full(path, None) if writes else None
        return [full] if full else []
    if event == "sqlite3.connect" and args[0] != ":memory:":
        full = _full(args[0], None)
        return [full] if full else []
    found = []
    for at, fd_at in _CHANGES.get(event, ()):
        full = _full(args[at], args[fd_at] if fd_at is not None else None)
        if full:
            found.append(full)
    return found


if _LOG:
    _fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT)  # before the hook sees it

    def _hook(event: str, args: tuple[Any, ...]) -> None:
        try:  # an audit hook that raises fails the operation it watches: log, never raise
            for full in _writes(event, args):
                if "\0" in full:  # an abstract socket's name, not a file
                    continue
                if not full.startswith(_ALLOWED) and not full.startswith("/dev/"):
                    os.write(_fd, f"{os.getpid()} {event} {full}\n".encode())
        except Exception as exc:
            os.write(_fd, f"{os.getpid()} {event} hook failed: {exc!r}\n".encode())

    sys.addaudithook(_hook)
