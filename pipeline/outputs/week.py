"""Write a scored week into its folder: charts, each chosen agent's report in each format, and
summary.json with the files written from its document, swapped in atomically (folder.py) and
recorded in the history in the same step.

WRITERS is the format registry: one entry per Format, in the order files are written; TABLES
writes each of the files summary.json lists beside it (layout.WEEK_FILES).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pipeline.core.formats import Format
from pipeline.core.history import History
from pipeline.core.model import AgentResult, WeekResult
from pipeline.errors import OutputError
from pipeline.outputs.csvfiles import goals_csv, series_csv
from pipeline.outputs.folder import staged_week_dir, write_text
from pipeline.outputs.layout import (
    GOALS_CSV,
    INDEX,
    SERIES_CSV,
    SUMMARY_JSON,
    WEEK_FILES,
    week_dir_name,
)
from pipeline.outputs.site import Thresholds, render_week_index, write_index
from pipeline.outputs.summary import summary, summary_text
from pipeline.outputs.summary_model import Summary
from pipeline.report.charts.cache import CACHE_DIR, ChartCache
from pipeline.report.charts.jobs import WeekCharts, chart_jobs
from pipeline.report.pdfpool import PdfJob, print_pdfs
from pipeline.report.render import render_html, render_markdown
from pipeline.report.view import ReportView, build_report
from pipeline.scoring.trend import Trend
from pipeline.scoring.week import Week

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


@dataclass(frozen=True)
class Written:
    """A week as this run wrote it: the week, its folder, each chosen agent's files there, and
    the summary document its summary.json, CSV files and page were written from."""

    week: Week
    folder: Path
    files: AgentFiles
    summary: Summary


def write_week(
    week: Week,
    formats: Collection[Format],
    output_dir: Path,
    history: History,
    keep_previous: bool = False,
    in_portfolio: bool = False,
) -> Written:
    """Render the chosen agents' reports and summary.json into the week folder, atomically,
    and record the run in `history` in the same step; return what was written.

    keep_previous: keep the other agents' files of an earlier run of this week.
    in_portfolio: a team's week (`--config-dir`): its site links up to the portfolio.
    Call under the week lock.
    """
    result, trend = week.result, week.trend
    guard = history.recording(result)
    with staged_week_dir(output_dir, week.number, keep_previous, guard) as staging:
        charts, jobs = chart_jobs(result, week.results, week.chosen, trend)
        pdfs: list[PdfJob] = []
        with WeekCharts(jobs, staging, ChartCache(output_dir / CACHE_DIR)) as drawing:
            files = {  # rendered while the charts are drawn: a page needs only their names
                agent.id: write_agent(result, agent, charts, trend, formats, staging, pdfs)
                for agent in week.chosen
            }
            drawing.finish()
        print_pdfs(pdfs)
        document = summary(result, trend, files)  # one document: the JSON, CSV and page
        write_text(staging / SUMMARY_JSON, summary_text(document))
        write_tables(document, staging, _stamp(result))
    thresholds = Thresholds(result.pass_score, result.warning_score)
    _update_site(output_dir, _stamp(result), thresholds, in_portfolio)
    return Written(week, output_dir / week_dir_name(week.number), files, document)


Table = Callable[[Summary, str], str]  # the summary and when it was generated -> file text

TABLES: Mapping[str, Table] = {  # how each of WEEK_FILES is written
    GOALS_CSV: lambda document, generated: goals_csv(document),
    SERIES_CSV: lambda document, generated: series_csv(document),
    INDEX: render_week_index,
}


def write_tables(document: Summary, folder: Path, generated: str) -> None:
    """The files summary.json lists beside it (CSV files, the week's page), from its document."""
    for name in WEEK_FILES:
        write_text(folder / name, TABLES[name](document, generated))


def _update_site(
    output_dir: Path, generated: str, thresholds: Thresholds, in_portfolio: bool
) -> None:
    """Rewrite the site's index.html; the week is in place already, so a failure here is a
    warning, not the run's error."""
    try:
        path = write_index(output_dir, generated, thresholds, in_portfolio)
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
