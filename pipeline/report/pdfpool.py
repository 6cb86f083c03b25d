"""Print the week's PDFs in a small process pool, a worker per core.

WeasyPrint lays out on one core, and a week's PDFs do not depend on each other. The workers
come from the pool's fork server (`pool.py`), which imported WeasyPrint, so each starts ready;
each PDF is the same file it would be printed in order. A worker's failure is the run's error:
its exception comes back to the caller, and a worker that dies breaks the pool at once instead
of leaving it waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.report.pool import run_all, workers_for

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


def print_pdfs(jobs: Sequence[PdfJob]) -> None:
    """Print every job's PDF, in parallel where there are cores for it; log refused URLs."""
    if not jobs:
        return
    refused = run_all(_print, jobs, "printing the PDFs", workers_for(len(jobs)))
    for job, urls in zip(jobs, refused, strict=True):
        for url in urls:
            log.warning("%s: refused to load %s", job.target.name, url)
