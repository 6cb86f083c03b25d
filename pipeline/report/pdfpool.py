"""Print the week's PDFs in a small process pool, a worker per core (issue 14).

WeasyPrint lays out on one core, and a week's PDFs do not depend on each other. The workers
are forked after WeasyPrint is imported, so each starts ready; each PDF is the same file it
would be printed in order. A worker's failure is the run's error: its exception comes back
to the caller, and a worker that dies breaks the pool at once instead of leaving it waiting.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError

log = logging.getLogger("pipeline")


@dataclass(frozen=True)
class PdfJob:
    """One report to print: its HTML, the folder its links are relative to, the PDF's path."""

    html: str
    folder: Path
    target: Path


def _print(job: PdfJob) -> list[str]:
    from pipeline.report.pdf import write_pdf

    return write_pdf(job.html, base=job.folder, roots=[job.folder], target=job.target)


def workers_for(jobs: int) -> int:
    """As many workers as usable cores, no more than there are PDFs."""
    return max(1, min(jobs, len(os.sched_getaffinity(0))))


def print_pdfs(jobs: Sequence[PdfJob]) -> None:
    """Print every job's PDF, in parallel where there are cores for it; log refused URLs."""
    if not jobs:
        return
    from pipeline.report import pdf  # noqa: F401  WeasyPrint (0.45 s) before the fork, once

    workers = workers_for(len(jobs))
    refused = [_print(job) for job in jobs] if workers == 1 else _in_pool(jobs, workers)
    for job, urls in zip(jobs, refused, strict=True):
        for url in urls:
            log.warning("%s: refused to load %s", job.target.name, url)


def _in_pool(jobs: Sequence[PdfJob], workers: int) -> list[list[str]]:
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        return list(pool.map(_print, jobs))
    except BrokenProcessPool:
        raise OutputError("a process printing the PDFs stopped without an answer") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
