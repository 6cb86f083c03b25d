"""The browsable report site, loaded in a real headless Chromium over HTTP and from file://."""

from __future__ import annotations

import json
import logging
import shutil
import struct
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from pipeline.outputs.site import read_summaries
from tests.support.browser import Page, links, load, static_server
from tests.support.command import pipeline_command
from tests.support.configs import shipped_config
from tests.support.logs import pipeline_log

pytestmark = pytest.mark.prometheus


@pytest.fixture
def site(demo_site: Path) -> Path:
    """The demo's three weeks in every format (conftest's `demo_site`, read only)."""
    return demo_site


def _pages(site: Path) -> list[Path]:
    return [site / "index.html", *sorted(site.glob("week-*/index.html"))]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def _local(found: list[str]) -> list[str]:
    """The links to files (the icon is an inline data: URL, so browsers ask for no favicon)."""
    assert found
    return [href for href in found if not href.startswith("data:")]


def _clean(page: Page) -> None:
    assert page.console == [], page.console


def test_the_index_lists_every_week_and_agent_with_verdicts(site: Path) -> None:
    html = (site / "index.html").read_text()
    for week in (1, 2, 3):
        assert f'href="week-0{week}/index.html"' in html
    for agent in ("Product Manager Agent", "DevOps Agent", "Testing Agent", "Go Code Agent"):
        assert agent in html
    assert "<script" not in html and "http://" not in html.split("</style>")[1]
    assert "All teams" not in html  # one team's site: no portfolio above it
    assert html.count('class="badge missed"') >= 1 and "<svg" in html


def test_every_link_resolves_over_http_with_no_console_error(site: Path, tmp_path: Path) -> None:
    with static_server(site, tmp_path / "http.log") as server:
        shot = tmp_path / "index.png"
        _clean(load(f"{server.url}/index.html", screenshot=shot))
        for path in _pages(site):
            url = f"{server.url}/{path.relative_to(site)}"
            page = load(url)
            _clean(page)
            assert "<table" in page.dom
            for href in _local(links(page.dom)):
                target = urljoin(url, href)
                with urllib.request.urlopen(target, timeout=10) as answer:
                    assert answer.status == 200, target
        assert not [r for r in server.requests() if r[1] >= 400], server.requests()
    assert _png_size(shot) == (1200, 900)
    assert shot.stat().st_size > 20_000  # drawn, not a blank page


def test_every_link_resolves_from_file_urls(site: Path) -> None:
    for path in _pages(site):
        page = load(path.as_uri())
        _clean(page)
        for href in _local(links(page.dom)):
            target = urlsplit(urljoin(path.as_uri(), href))
            assert target.scheme == "file", href
            assert Path(unquote(target.path)).is_file(), href


def test_the_index_reads_on_a_390_px_phone(site: Path, tmp_path: Path) -> None:
    # Test-only probe (the site has no script): the index in a 390 px frame, its widths measured,
    # beside a copy of the site (the shared one is read only).
    site = Path(shutil.copytree(site, tmp_path / "site"))
    probe = site / "probe-390.html"
    probe.write_text(
        '<iframe id="f" src="index.html" style="width:390px;height:900px;border:0"></iframe>'
        "<script>f.onload = () => { const d = f.contentDocument;"
        " const e = d.documentElement; document.title = e.scrollWidth + ' ' + e.clientWidth; };"
        "</script>"
    )
    try:
        with static_server(site, tmp_path / "http.log") as server:
            page = load(f"{server.url}/probe-390.html", width=500)
            shot = tmp_path / "phone.png"
            load(f"{server.url}/index.html", width=390, screenshot=shot)
    finally:
        probe.unlink()
    title = page.dom.split("<title>")[1].split("</title>")[0]
    scrolled, shown = map(int, title.split())
    assert 300 < shown <= 390 and scrolled == shown  # only the tables scroll sideways
    assert _png_size(shot)[0] == 390 and shot.stat().st_size > 10_000


def test_two_weeks_written_at_once_both_reach_the_index(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    out = tmp_path / "out"
    runs = [
        subprocess.Popen(pipeline_command(week, config, out, "-q", "--format", "md"))
        for week in (1, 2)
    ]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    html = (out / "index.html").read_text()
    assert 'href="week-01/index.html"' in html and 'href="week-02/index.html"' in html
    assert not list(out.glob(".index.html.*"))  # no temporary file left behind


def test_a_summary_json_nested_thousands_deep_is_left_out_of_the_index(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    out = tmp_path / "out"
    args = ["--config", str(config), "--output", str(out), "--format", "md", "-q"]
    assert main(["--week", "1", *args]) == 0
    broken = out / "week-02" / "summary.json"
    broken.parent.mkdir()
    broken.write_text("[" * 100_000)
    with pipeline_log(logging.WARNING) as log:
        assert main(["--week", "3", *args]) == 0
    html = (out / "index.html").read_text()
    assert 'href="week-01/index.html"' in html and 'href="week-03/index.html"' in html
    assert 'href="week-02/index.html"' not in html
    assert f"site: {broken} left out of the index (RecursionError)" in log.messages


def test_a_summary_json_not_of_the_summary_model_is_left_out_of_the_index(
    tmp_path: Path,
) -> None:
    (tmp_path / "week-01").mkdir()
    golden = Path(__file__).parent / "golden" / "week-01" / "summary.json"
    (tmp_path / "week-01" / "summary.json").write_bytes(golden.read_bytes())
    broken = tmp_path / "week-02" / "summary.json"
    broken.parent.mkdir()
    broken.write_text('{"week": 2, "overall": {"verdict": "met", "score": 90.0}}')
    with pipeline_log(logging.WARNING) as log:
        assert [s.week for s in read_summaries(tmp_path)] == [1]
    assert log.messages == [f"site: {broken} left out of the index (ValidationError)"]


def test_a_summary_json_written_before_as_of_existed_stays_in_the_index(tmp_path: Path) -> None:
    golden = json.loads((Path(__file__).parent / "golden" / "week-01" / "summary.json").read_text())
    del golden["as_of"]
    (tmp_path / "week-01").mkdir()
    (tmp_path / "week-01" / "summary.json").write_text(json.dumps(golden))
    [read] = read_summaries(tmp_path)
    assert read.as_of == golden["generated_at"]
