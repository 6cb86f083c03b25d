"""Write a scored week into its folder: charts, each chosen agent's report in each format, and
summary.json, swapped in atomically (output.py) and recorded in the history in the same step.

WRITERS is the format registry: one entry per Format, in the order files are written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.core.formats import Format
from pipeline.core.history import History
from pipeline.core.model import AgentResult, QueryResult, WeekResult
from pipeline.errors import OutputError
from pipeline.outputs.csvfiles import GOALS_CSV, SERIES_CSV, goals_csv, series_csv
from pipeline.outputs.folder import staged_week_dir, week_dir_name, write_text
from pipeline.outputs.site import INDEX, render_week_index, write_index
from pipeline.outputs.summary import summary_dict, summary_text
from pipeline.report.charts.cache import CACHE_DIR, ChartCache
from pipeline.report.charts.jobs import WeekCharts, chart_jobs
from pipeline.report.pdfpool import PdfJob, print_pdfs
from pipeline.report.render import render_html, render_markdown
from pipeline.report.view import ReportView, build_report
from pipeline.scoring.trend import Trend

log = logging.getLogger("pipeline")

AgentFiles = Mapping[str, Mapping[str, str]]  # agent id -> format -> file name in the folder


@dataclass
class Page:
    """One agent's report, rendered to HTML at most once for all the formats that need it."""

    view: ReportView
    folder: Path
    pdfs: list[PdfJob] = field(default_factory=list)  # printed together, after every page

    @cached_property
    def html(self) -> str:
        """The report as an HTML page (shared by the html and pdf formats)."""
        return render_html(self.view)


def _write_md(page: Page, target: Path) -> None:
    write_text(target, render_markdown(page.view))


def _write_html(page: Page, target: Path) -> None:
    write_text(target, page.html)


def _write_pdf(page: Page, target: Path) -> None:
    page.pdfs.append(PdfJob(page.html, page.folder, target))  # printed by print_pdfs


Writer = Callable[[Page, Path], None]

WRITERS: Mapping[Format, Writer] = {
    Format.MD: _write_md,
    Format.HTML: _write_html,
    Format.PDF: _write_pdf,
}


def file_name(agent_id: str, fmt: Format) -> str:
    """`devops.md`: an agent's report in one format."""
    return f"{agent_id}.{fmt.value}"


def write_week(
    result: WeekResult,
    results: Mapping[str, QueryResult],
    trend: Trend,
    chosen: Sequence[AgentResult],
    formats: Collection[Format],
    output_dir: Path,
    history: History,
    keep_previous: bool = False,
) -> tuple[Path, AgentFiles]:
    """Render the chosen agents' reports and summary.json into the week folder, atomically,
    and record the run in `history` in the same step; return the folder and the files written.

    keep_previous: keep the other agents' files of an earlier run of this week.
    Call under the week lock.
    """
    week = result.window.week
    guard = history.recording(result)
    with staged_week_dir(output_dir, week, keep_previous=keep_previous, guard=guard) as staging:
        charts, jobs = chart_jobs(result, results, chosen, trend)
        pdfs: list[PdfJob] = []
        with WeekCharts(jobs, staging, ChartCache(output_dir / CACHE_DIR)) as drawing:
            files = {  # rendered while the charts are drawn: a page needs only their names
                agent.id: write_agent(result, agent, charts, trend, formats, staging, pdfs)
                for agent in chosen
            }
            drawing.finish()
        print_pdfs(pdfs)
        summary = summary_dict(result, trend, files)  # one document: the JSON, CSV and page
        write_text(staging / "summary.json", summary_text(summary))
        write_tables(summary, staging, _stamp(result))
    _update_site(output_dir, _stamp(result))
    return output_dir / week_dir_name(week), files


def write_tables(summary: Mapping[str, Any], folder: Path, generated: str) -> None:
    """goals.csv, series.csv and the week's index.html, from summary.json's document."""
    write_text(folder / GOALS_CSV, goals_csv(summary))
    write_text(folder / SERIES_CSV, series_csv(summary))
    write_text(folder / INDEX, render_week_index(summary, generated))


def _update_site(output_dir: Path, generated: str) -> None:
    """Rewrite the site's index.html; the week is in place already, so a failure here is a
    warning, not the run's error."""
    try:
        path = write_index(output_dir, generated)
    except OutputError as exc:
        log.warning("the site's index was not updated: %s", exc)
        return
    log.info("site index: %s", path)


def _stamp(result: WeekResult) -> str:
    return f"{result.generated_at:%Y-%m-%d %H:%M} UTC"


def write_agent(
    result: WeekResult,
    agent: AgentResult,
    charts: dict[str, str],
    trend: Trend,
    formats: Collection[Format],
    folder: Path,
    pdfs: list[PdfJob],
) -> dict[str, str]:
    """Write one agent's report in each format, adding its PDF to `pdfs` to print; return
    format -> file name."""
    page = Page(build_report(result, agent, charts, trend), folder, pdfs)
    files = {}
    for fmt, write in WRITERS.items():
        if fmt in formats:
            files[fmt.value] = file_name(agent.id, fmt)
            write(page, folder / files[fmt.value])
    log.info("wrote %s", ", ".join(files.values()))
    return files
