"""PDF reports read back: content, pages, charts, and WeasyPrint fetching nothing foreign."""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from pipeline import __version__
from pipeline.config import load_config
from pipeline.core.model import QueryResult
from pipeline.demo.promserver import PrometheusServer
from pipeline.report.charts.draw import goal_figure
from pipeline.report.pdf import write_pdf
from pipeline.report.render import render_html
from pipeline.report.view import build_report
from pipeline.run import RunRequest, run_week
from tests.support import ROOT
from tests.support.binaries import require_binary
from tests.support.chartweek import ANSWERS, run
from tests.support.configs import shipped_config, write_config
from tests.support.fakes import FakeSource
from tests.support.forecast import charts_outlook, mid_week

NOW = datetime(2026, 11, 26, tzinfo=UTC)
AGENTS = {
    "product-manager": "Product Manager Agent",
    "devops": "DevOps Agent",
    "testing": "Testing Agent",
    "go-code": "Go Code Agent",
}


def _text(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def _images(pdf: Path) -> int:
    """Distinct images embedded (WeasyPrint shares one resource dict between pages)."""
    return len({img.data for page in PdfReader(pdf).pages for img in page.images})


@pytest.fixture(scope="module")
def demo_week(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Path:
    tmp = tmp_path_factory.mktemp("pdf")
    loaded = load_config(shipped_config(tmp, prometheus.url), env={})
    request = RunRequest(week=1, output_dir=tmp / "out", formats=("md", "pdf", "html"))
    folder = run_week(loaded, request, now=NOW).folder
    assert folder is not None
    return folder


@pytest.fixture(scope="module")
def demo_week3(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Path:
    """Week 3 of the demo, after weeks 1 and 2 (Markdown only) filled in the history."""
    tmp = tmp_path_factory.mktemp("pdf3")
    loaded = load_config(shipped_config(tmp, prometheus.url), env={})
    for week in (1, 2):
        run_week(loaded, RunRequest(week=week, output_dir=tmp / "out", formats=("md",)), now=NOW)
    request = RunRequest(week=3, output_dir=tmp / "out", formats=("md", "pdf"))
    folder = run_week(loaded, request, now=NOW).folder
    assert folder is not None
    return folder


@pytest.mark.prometheus
@pytest.mark.parametrize("agent", AGENTS)
def test_demo_pdf_reads_back(demo_week: Path, agent: str) -> None:
    loaded = load_config(ROOT / "config.yaml", env={})
    pdf = demo_week / f"{agent}.pdf"
    pages = _text(pdf)
    assert 4 <= len(pages) <= 12
    first = pages[0]
    assert AGENTS[agent] in first and "UnMoGrowP Attribution Platform" in first
    assert "MISSED" in first and "42.0" in first and "60.0" in first and "30.0" in first
    assert "2026-11-02 00:00 to 2026-11-09 00:00 UTC" in first
    assert first.count("Generated ") <= 1  # the footer leaves page 1 to the cover's own line
    everything = "\n".join(pages)
    for goal in loaded.goals:
        assert goal.name in everything
    assert f"Page 2 of {len(pages)}" in pages[1]
    assert f"UnMoGrowP Attribution Platform · Week 1 · {AGENTS[agent]}" in pages[1]
    mine = next(a for a in loaded.agents if a.id == agent).goals
    assert _images(pdf) == len(mine)  # one chart per convergence point
    assert (demo_week / f"{agent}.html").read_text().count('<img src="charts/') == len(mine)
    if shutil.which("pdftoppm"):  # a PNG of page 1 to look at, beside the test's files
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(demo_week / f"{agent}-page"),
            ],
            check=True,
        )
        assert (demo_week / f"{agent}-page-1.png").stat().st_size > 10_000


@pytest.mark.prometheus
@pytest.mark.parametrize("agent", AGENTS)
def test_pdf_metadata_names_the_report_and_its_verdicts(demo_week3: Path, agent: str) -> None:
    meta = PdfReader(demo_week3 / f"{agent}.pdf").metadata
    assert meta is not None
    assert meta.title == f"UnMoGrowP Attribution Platform · week 3 · {AGENTS[agent]}"
    assert meta.author == f"sprint-convergence-pipeline {__version__}"
    summary = json.loads((demo_week3 / "summary.json").read_text())
    own = next(a for a in summary["agents"] if a["id"] == agent)
    verdict = {"AT_RISK": "AT RISK", "NO_DATA": "NO DATA"}
    assert meta.subject == (
        f"{AGENTS[agent]}: {verdict.get(own['verdict'], own['verdict'])} {own['score']:.1f} · "
        f"Sprint: ACHIEVED {summary['overall']['score']:.1f}"
    )
    assert meta.creation_date == NOW


@pytest.mark.prometheus
@pytest.mark.parametrize("agent", AGENTS)
def test_no_page_but_the_last_is_near_empty(demo_week3: Path, agent: str) -> None:
    pages = _text(demo_week3 / f"{agent}.pdf")
    # running header and footer alone are ~120 characters; a page of content has 1,000+
    fill = [len(text) for text in pages[:-1]]
    assert min(fill) > 500, fill


@pytest.mark.prometheus
def test_charts_are_drawn_once_and_shared(demo_week: Path) -> None:
    charts = sorted(p.name for p in (demo_week / "charts" / "goals").iterdir())
    assert len(charts) == 10  # 10 goals, though agents show 16 convergence points in all
    md = (demo_week / "go-code.md").read_text()
    assert "![Event Throughput](charts/goals/event_throughput.png)" in md


MANY = """
sprint: {name: Many, start: 2026-11-02, week_days: 1, step: 10m}
scoring: {categories: {technical: {weight: 0.4}, customer: {weight: 0.6}}}
goals:
  - {id: fifty, name: Fifty series, category: technical, query: q50, aggregate: max,
     target: "<= 100", warning: "<= 110", unit: ms}
  - {id: empty, name: Nothing here, category: customer, query: q_empty, aggregate: last,
     target: ">= 1"}
GOALS
agents:
  - {id: a, name: Agent A, goals: [fifty, empty]}
  - {id: b, name: Agent B, goals: [ALL]}
report: {formats: [pdf]}
"""


def _many_config(tmp_path: Path, extra_goals: int) -> Path:
    goals = "".join(
        f"  - {{id: g{i:02d}, name: Goal number {i}, category: customer, query: q_g, "
        f"aggregate: last, target: '>= 1'}}\n"
        for i in range(extra_goals)
    )
    ids = ", ".join(["fifty", "empty", *(f"g{i:02d}" for i in range(extra_goals))])
    return write_config(tmp_path / "c.yaml", MANY.replace("GOALS\n", goals).replace("ALL", ids))


def _fake() -> FakeSource:
    return FakeSource(
        {
            "q50": [({"customer": f"c{i:02d}"}, 60.0 + i) for i in range(50)],
            "q_empty": [],
            "q_g": [({}, 1.0)],
        }
    )


def test_fifty_series_and_no_data(tmp_path: Path) -> None:
    loaded = load_config(_many_config(tmp_path, 0), env={})
    request = RunRequest(week=1, output_dir=tmp_path / "out", formats=("pdf",), agents=("a",))
    folder = run_week(loaded, request, now=NOW, source=_fake()).folder
    assert folder is not None
    text = "\n".join(_text(folder / "a.pdf"))
    assert 'customer="c49"' in text  # the worst series is listed first
    assert "40 more series not listed: 40 met." in text
    assert "no samples in the window" in text
    assert _images(folder / "a.pdf") == 2


def test_no_data_chart_says_so(tmp_path: Path) -> None:
    loaded = load_config(_many_config(tmp_path, 0), env={})
    result = run_week(loaded, RunRequest(1, tmp_path, dry_run=True), now=NOW, source=_fake())
    empty = result.result.goal("empty")
    fig = goal_figure(empty, QueryResult("q_empty"), result.result.window)
    assert [t.get_text() for t in fig.axes[0].texts] == ["No data in this window"]
    fifty = result.result.goal("fifty")
    fig = goal_figure(fifty, _fake().query_range("q50", 0, 0, 600), result.result.window)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[0] == "all 50 series (min to max)"
    assert labels[1:4] == ['customer="c49"', 'customer="c48"', 'customer="c47"']
    assert "target <= 100" in labels and "at risk <= 110" in labels


def test_forty_goals_break_across_pages_with_repeated_headers(tmp_path: Path) -> None:
    loaded = load_config(_many_config(tmp_path, 38), env={})
    request = RunRequest(week=1, output_dir=tmp_path / "out", formats=("pdf",), agents=("b",))
    folder = run_week(loaded, request, now=NOW, source=_fake()).folder
    assert folder is not None
    pages = _text(folder / "b.pdf")
    table_pages = [p for p in pages if "Goal number" in p and "COVERAGE" in p]
    assert len(table_pages) >= 2  # the goal table spans pages and repeats its header
    assert all(f"Goal number {i}" in "\n".join(pages) for i in range(38))


class _Listener:
    """A real TCP socket on 127.0.0.1 that records every connection it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_weasyprint_fetches_nothing_but_the_reports_files(tmp_path: Path) -> None:
    listener = _Listener()
    try:
        (tmp_path / "charts").mkdir()
        figure = goal_figure(*_one_goal(tmp_path))
        figure.savefig(tmp_path / "charts" / "ok.png")
        html = (
            f'<p>report</p><img src="charts/ok.png">'
            f'<img src="http://127.0.0.1:{listener.port}/x.png">'
            f'<link rel="stylesheet" href="http://127.0.0.1:{listener.port}/s.css">'
            f'<img src="file:///etc/passwd"><img src="../outside.png">'
        )
        (tmp_path.parent / "outside.png").write_bytes((tmp_path / "charts" / "ok.png").read_bytes())
        refused = write_pdf(html, base=tmp_path, roots=[tmp_path], target=tmp_path / "r.pdf")
    finally:
        listener.close()
    assert listener.connections == 0
    assert sorted(refused) == sorted(
        [
            f"http://127.0.0.1:{listener.port}/x.png",
            f"http://127.0.0.1:{listener.port}/s.css",
            "file:///etc/passwd",
            (tmp_path.parent / "outside.png").as_uri(),
        ]
    )
    assert _images(tmp_path / "r.pdf") == 1  # only the report's own chart
    assert b"root:x:0" not in (tmp_path / "r.pdf").read_bytes()


def test_a_hostile_label_is_printed_not_fetched(tmp_path: Path) -> None:
    listener = _Listener()
    evil = f'<img src="http://127.0.0.1:{listener.port}/x"><img src="file:///etc/passwd">'
    try:
        loaded = load_config(_many_config(tmp_path, 0), env={})
        series = [({"customer": evil}, 200.0), ({"customer": "ok"}, 50.0)]
        source = FakeSource({"q50": series, "q_empty": [], "q_g": []})
        request = RunRequest(1, tmp_path / "out", formats=("pdf", "html"), agents=("a",))
        folder = run_week(loaded, request, now=NOW, source=source).folder
    finally:
        listener.close()
    assert folder is not None and listener.connections == 0
    printed = "".join("".join(_text(folder / "a.pdf")).split())  # table cells wrap lines
    assert f'customer="<imgsrc="http://127.0.0.1:{listener.port}/x">' in printed
    assert _images(folder / "a.pdf") == 2  # the two charts, nothing else
    assert "&lt;img src=" in (folder / "a.html").read_text()


def _one_goal(tmp_path: Path) -> tuple[object, QueryResult, object]:
    loaded = load_config(_many_config(tmp_path, 0), env={})
    source = _fake()
    outcome = run_week(loaded, RunRequest(1, tmp_path, dry_run=True), now=NOW, source=source)
    data = source.query_range(
        "q50", outcome.result.window.first_ts, outcome.result.window.last_ts, 600
    )
    return outcome.result.goal("fifty"), data, outcome.result.window


@pytest.mark.prometheus
def test_page_one_png_is_not_blank(demo_week: Path, tmp_path: Path) -> None:
    pdftoppm = require_binary("pdftoppm", package="poppler-utils")
    from matplotlib.image import imread

    page = tmp_path / "page-1"
    pdf = demo_week / "go-code.pdf"
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(page)],
        check=True,
    )
    pixels = imread(io.BytesIO(page.with_suffix(".png").read_bytes()), format="png")
    assert float(np.std(pixels)) > 0.05


def test_goal_tables_with_a_forecast_stay_within_the_page(tmp_path: Path) -> None:
    """The widest goal table: last week, change and the forecast column (9 columns)."""
    run(tmp_path, tmp_path / "out", 1)
    answers = {**ANSWERS, "q_lat": [({"c": "x"}, 110.0), ({"c": "y"}, 80.0)]}
    outcome = run(tmp_path, tmp_path / "out", 2, answers)
    result = mid_week(outcome.result, charts_outlook(outcome.result))
    view = build_report(result, result.agents[0], {}, outcome.trend)
    assert view.has_history and view.forecast_horizon
    document = HTML(string=render_html(view)).render()
    tables = []
    for page in document.pages:
        box = page._page_box
        right = box.content_box_x() + box.width
        tables += [(t, right) for t in _descendants(box) if isinstance(t, boxes.TableBox)]
    goals = [t for t, _ in tables if "goals" in (t.element.get("class") or "")]
    assert goals and all(t.position_x + t.margin_width() <= right + 0.01 for t, right in tables)
    document.write_pdf(tmp_path / "forecast.pdf")
    text = " ".join(" ".join(_text(tmp_path / "forecast.pdf")).split())
    assert "FORECAST" in text and "91.2 to 98.1" in text


def _descendants(box: boxes.Box) -> list[boxes.Box]:
    found = [box]
    for child in getattr(box, "children", []):
        found += _descendants(child)
    return found
