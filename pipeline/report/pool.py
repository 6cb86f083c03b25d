"""Run one function over a week's jobs in a small process pool, a worker per core.

Charts and PDFs do not depend on each other within their kind, and matplotlib and WeasyPrint
draw on one core. The workers are forked by a fork server (`multiprocessing`'s "forkserver"
start method), a fresh interpreter that imported only the drawing and printing modules: a
worker forked from the run itself after the queries would hold the run's query data (its pages
count in every worker's RSS and get copied as refcounts touch them; 2,000 goals took about
1.4 GB over the run and two workers). Each job is pickled to the worker that runs it,
so a worker holds only its own job's data. Results come back in job order, the same as running
the jobs in order. A job's exception is the caller's; a worker that dies breaks the pool at once
(`BrokenProcessPool`), which becomes an `OutputError`, never a hang. A worker ends when the run's
process ends, however it ends: the fork server, not the run, is a worker's parent (so a parent
death signal no longer reaches it), and a worker holds the server's "alive" pipe, so the server
would outlive a killed run too, and its workers draw on for nobody.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import select
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from pathlib import Path
from types import TracebackType
from typing import Generic, TypeVar

from pipeline.errors import OutputError

J = TypeVar("J")
R = TypeVar("R")

# What a worker needs, imported once in the fork server, so each worker starts ready. Only
# names here: importing this module loads neither matplotlib nor WeasyPrint.
WORKER_MODULES = (
    "pipeline.report.charts.jobs",
    "pipeline.report.charts.draw",
    "pipeline.report.pdfpool",
    "pipeline.report.pdf",
)


# The fork server listens on a Unix socket at <TMPDIR>/pymp-<8>/listener-<8>, and Linux allows
# such a path 107 bytes: what is left for TMPDIR.
SOCKET_PATH_MAX = 107
TEMP_ROOM = SOCKET_PATH_MAX - len("/pymp-12345678/listener-12345678")


def _check_temp_folder() -> None:
    """OutputError naming TMPDIR when it is too long for the fork server's socket (otherwise an
    OSError "AF_UNIX path too long" from deep in multiprocessing)."""
    folder = tempfile.gettempdir()
    if len(os.fsencode(folder)) > TEMP_ROOM:
        raise OutputError(
            f"the temporary folder {folder} is too long for the chart and PDF workers' socket "
            f"({len(os.fsencode(folder))} bytes, at most {TEMP_ROOM}): "
            "set TMPDIR to a shorter folder, e.g. /tmp"
        )


def _context() -> multiprocessing.context.BaseContext:
    """The fork server's context; its modules are set before the server starts (it starts once
    per process, at the first pool, and serves every later pool of that process)."""
    _check_temp_folder()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_MODULES))
    return context


# A container's CPU limit (cgroup v2: "<quota> <period>" in microseconds, or "max <period>").
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def _cpu_limit() -> int | None:
    """The CPUs the cgroup's quota allows, rounded up; None without a quota. A pod limited to
    2 CPUs sees every core of its node in its affinity, so the quota is what bounds it."""
    try:
        quota, period = CGROUP_CPU_MAX.read_text().split()[:2]
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):  # no cgroup v2, or "max": no quota
        return None


def start_early() -> None:
    """Start the fork server now, so that it imports the drawing and printing modules on another
    core while the run loads its config, queries and scores (it is started once per process;
    the first pool would otherwise wait for those imports)."""
    _context()
    forkserver.ensure_running()


def workers_for(jobs: int) -> int:
    """As many workers as usable cores (within the CPU limit), no more than there are jobs."""
    cores = len(os.sched_getaffinity(0))
    return max(1, min(jobs, cores, _cpu_limit() or cores))


def _die_with(run: int) -> None:
    """End this worker when the run's process `run` ends, however it ends (a pidfd, Linux)."""
    try:
        handle = os.pidfd_open(run)
    except ProcessLookupError:  # the run ended before this worker started
        os._exit(1)
    threading.Thread(target=_exit_when_ended, args=(handle,), daemon=True).start()


def _exit_when_ended(handle: int) -> None:
    select.select([handle], [], [])  # a pidfd turns readable when its process ends
    os._exit(1)


class Batch(Generic[J, R]):
    """`work` over `jobs`: started at once in a pool (with more than one worker), or run in order
    in this process when the results are asked for. With a pool, `work` and each job are pickled
    (module-level functions, plain data). Use as a context manager, so the pool is shut down
    however the caller leaves."""

    def __init__(self, work: Callable[[J], R], jobs: Sequence[J], what: str, workers: int) -> None:
        self.work, self.jobs, self.what = work, list(jobs), what
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[R]] = []
        if workers > 1 and len(self.jobs) > 1:
            self.pool = ProcessPoolExecutor(
                workers, mp_context=_context(), initializer=_die_with, initargs=(os.getpid(),)
            )
            self.futures = [self.pool.submit(work, job) for job in self.jobs]

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
