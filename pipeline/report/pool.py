"""Run one function over a week's jobs in a small process pool, a worker per core (issue 14).

Charts and PDFs do not depend on each other within their kind, and matplotlib and WeasyPrint
draw on one core. The workers are forked after the caller imported what they need, and the
jobs reach them through the fork (the pool's initializer arguments are not pickled with
`fork`), so only a job's index and its result cross a pipe. Results come back in job order,
the same as running the jobs in order. A job's exception is the caller's; a worker that dies
breaks the pool at once (`BrokenProcessPool`), which becomes an `OutputError`, never a hang.
A worker dies with the run: it holds the run's open files, the week lock among them, and a
worker left behind by a killed run would keep the next run of that week waiting.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Generic, TypeVar

from pipeline.errors import OutputError

J = TypeVar("J")
R = TypeVar("R")

_adopted: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # in a worker: its batch
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def workers_for(jobs: int) -> int:
    """As many workers as usable cores, no more than there are jobs."""
    return max(1, min(jobs, len(os.sched_getaffinity(0))))


def _adopt(work: Callable[[Any], Any], jobs: Sequence[Any], parent: int) -> None:
    global _adopted
    _adopted = (work, jobs)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when the process (thread) that forked it ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the run ended before the line above
        os._exit(1)


def _run(index: int) -> Any:
    assert _adopted is not None, "a pool worker runs only after its initializer"
    work, jobs = _adopted
    return work(jobs[index])


class Batch(Generic[J, R]):
    """`work` over `jobs`: started at once in a forked pool (with more than one worker), or run
    in order in this process when the results are asked for. Use as a context manager, so the
    pool is shut down however the caller leaves."""

    def __init__(self, work: Callable[[J], R], jobs: Sequence[J], what: str, workers: int) -> None:
        self.work, self.jobs, self.what = work, list(jobs), what
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[R]] = []
        if workers > 1 and len(self.jobs) > 1:
            self.pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_adopt,
                initargs=(work, self.jobs, os.getpid()),
            )
            self.futures = [self.pool.submit(_run, i) for i in range(len(self.jobs))]

    def results(self) -> list[R]:
        """Each job's result, in job order; the first job's exception (in job order) is raised."""
        if self.pool is None:
            return [self.work(job) for job in self.jobs]
        try:
            return [future.result() for future in self.futures]
        except BrokenProcessPool:
            raise OutputError(f"a process {self.what} stopped without an answer") from None
        finally:
            self.close()

    def close(self) -> None:
        """Stop the pool: jobs not started are cancelled, running ones finish."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Batch[J, R]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def run_all(work: Callable[[J], R], jobs: Sequence[J], what: str, workers: int) -> list[R]:
    """`work(job)` for each job, in a pool of `workers` (in order with one); results in order."""
    with Batch(work, jobs, what, workers) as batch:
        return batch.results()
