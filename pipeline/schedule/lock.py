"""One scheduler per job store and per output folder: exclusive locks on a file beside the job
store and on one in the output folder, for the scheduler's life.

Two schedulers on one job store (a restart that overlaps, two hosts on shared storage) would
each run every slot; so would two whose configs differ only in their job store but write to one
output folder. The lock files name their holder (pid, host, since when) for the one turned away.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from pipeline.core.locks import holder_of, signed, try_lock
from pipeline.errors import OutputError, UsageError

OUTPUT_LOCK = ".scheduler.lock"  # in the output folder


def lock_path(store: Path) -> Path:
    """`scheduler.sqlite` -> `scheduler.sqlite.lock`."""
    return store.with_name(store.name + ".lock")


@contextmanager
def scheduler_lock(store: Path, output_dir: Path) -> Iterator[None]:
    """Hold the job store's lock, then the output folder's; UsageError (exit 2) naming the
    holder if another scheduler has either."""
    with ExitStack() as stack:
        stack.enter_context(_hold(lock_path(store), f"uses the job store {store}"))
        stack.enter_context(
            _hold(output_dir / OUTPUT_LOCK, f"writes to the output folder {output_dir}")
        )
        yield


@contextmanager
def _hold(path: Path, doing: str) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 (held open for the scheduler's life)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    with handle:
        if not try_lock(handle):
            raise UsageError(
                f"another scheduler already {doing} ({holder_of(handle)}); "
                f"stop it first (the lock is {path})"
            )
        with signed(handle):
            yield
