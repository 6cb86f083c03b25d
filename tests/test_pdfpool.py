"""The PDFs printed in a process pool: the same PDFs, and a failure is the run's error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.errors import OutputError
from pipeline.report import pdfpool
from pipeline.report.pdfpool import PdfJob, print_pdfs

PAGES = [f"<h1>Report {i}</h1><p>{'word ' * (200 * i)}</p>" for i in range(1, 5)]


def _jobs(folder: Path) -> list[PdfJob]:
    folder.mkdir()
    return [PdfJob(html, folder, folder / f"r{i}.pdf") for i, html in enumerate(PAGES)]


def _read(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfpool, "workers_for", lambda jobs: 2)  # a pool even on one core


@pytest.mark.usefixtures("two_workers")
def test_the_pool_prints_what_printing_in_order_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled = _jobs(tmp_path / "pool")
    print_pdfs(pooled)
    monkeypatch.setattr(pdfpool, "workers_for", lambda jobs: 1)
    ordered = _jobs(tmp_path / "order")
    print_pdfs(ordered)
    for a, b in zip(pooled, ordered, strict=True):
        assert _read(a.target) == _read(b.target)
    assert [len(PdfReader(j.target).pages) for j in pooled] == [1, 1, 1, 2]


@pytest.mark.usefixtures("two_workers")
def test_a_failing_pdf_is_the_runs_error(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path / "out")
    jobs[2] = PdfJob(PAGES[2], jobs[2].folder, tmp_path / "missing" / "r2.pdf")
    with pytest.raises(FileNotFoundError):
        print_pdfs(jobs)


def die(job: PdfJob) -> list[str]:
    """A worker that stops dead (killed, out of memory) for one of the PDFs."""
    if job.target.name == "r1.pdf":
        os._exit(9)
    return []


@pytest.mark.usefixtures("two_workers")
def test_a_worker_that_dies_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdfpool, "_print", die)
    with pytest.raises(OutputError, match="a process printing the PDFs stopped without an answer"):
        print_pdfs(_jobs(tmp_path / "out"))
