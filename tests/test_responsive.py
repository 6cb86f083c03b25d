"""Every HTML page the demo writes (the site's index, each week's page, each agent's report) in a
real Chromium at 390 px (a phone) and 1280 px (a laptop): no sideways page scroll, no console
error, axe-core's contrast and name rules, no word or number broken mid-token, and a way back
from each report to the site. One browser for the module; each page is visited once per width."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest

from pipeline.outputs.site import Thresholds, render_index, site_view
from pipeline.outputs.summary_model import Summary
from tests.support.browser import LAPTOP, PHONE, Seen, chromium_tabs, static_server
from tests.support.demosite import WEEKS, html_pages

pytestmark = pytest.mark.prometheus

WIDTHS = (PHONE, LAPTOP)
AGENTS = ("devops", "go-code", "product-manager", "testing")  # the shipped config's


@pytest.fixture(scope="module")
def site(demo_site: Path) -> Path:
    """The demo's three weeks in every format (conftest's `demo_site`, read only)."""
    return demo_site


@dataclass(frozen=True)
class Visits:
    pages: dict[str, Seen]  # "week-01/devops.html@390": the page at that width
    printed_nav: str  # a report's <nav> display in print media (what the PDF is printed with)


@pytest.fixture(scope="module")
def visits(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visits]:
    log = tmp_path_factory.mktemp("responsive-http") / "http.log"
    with static_server(site, log) as server, chromium_tabs() as tabs:
        pages = {
            f"{name}@{width}": tabs.visit(f"{server.url}/{name}", width)
            for name in (p.relative_to(site).as_posix() for p in html_pages(site))
            for width in WIDTHS
        }
        yield Visits(pages, tabs.printed_display(f"{server.url}/week-01/devops.html", "nav"))


def _failing(visits: Visits, what: str) -> dict[str, object]:
    """Each page whose `what` is not empty (not zero), by page and width."""
    return {page: getattr(s, what) for page, s in visits.pages.items() if getattr(s, what)}


def test_every_page_the_demo_writes_is_checked(site: Path, visits: Visits) -> None:
    expected = ["index.html"] + [
        f"week-{week:02d}/{name}.html" for week in WEEKS for name in sorted((*AGENTS, "index"))
    ]
    assert [p.relative_to(site).as_posix() for p in html_pages(site)] == expected
    assert len(visits.pages) == len(WIDTHS) * len(expected)


def test_no_page_scrolls_sideways_and_each_is_laid_out_at_the_screens_width(
    visits: Visits,
) -> None:
    # a phone lays a page without a viewport tag out 980 px wide: innerWidth says which
    assert {p: s.inner_width for p, s in visits.pages.items() if s.inner_width != s.width} == {}
    assert _failing(visits, "overflow") == {}


def test_nothing_is_hidden_in_a_scrolling_box_but_a_reports_tables_on_a_phone(
    visits: Visits,
) -> None:
    # the site's tables become cards on a phone; a report's wide tables scroll in their box
    clipped = _failing(visits, "clipped")
    report = re.compile(rf"week-\d\d/(?!index)[a-z-]+\.html@{PHONE}")
    assert {page: px for page, px in clipped.items() if not report.fullmatch(page)} == {}


def test_no_console_error(visits: Visits) -> None:
    assert _failing(visits, "console") == {}


def test_axe_contrast_and_name_rules_pass(visits: Visits) -> None:
    assert _failing(visits, "violations") == {}


def test_no_word_or_number_is_broken_mid_token(visits: Visits) -> None:
    assert _failing(visits, "broken") == {}


def test_each_report_links_back_to_the_site_and_its_week(visits: Visits) -> None:
    for page, s in visits.pages.items():
        match = re.fullmatch(r"(week-\d\d)/([a-z-]+)\.html@\d+", page)
        if not match or match[2] == "index":
            continue
        assert s.nav == (urljoin(s.url, "../index.html"), urljoin(s.url, "index.html")), page
        assert f"{match[1]}/index.html@{s.width}" in visits.pages  # visited, so it was served
    assert visits.printed_nav == "none"  # the PDF has no links to a site it is not on


def test_the_score_chart_has_the_pdfs_verdict_bands() -> None:
    golden = Path(__file__).parent / "golden" / "week-03" / "summary.json"
    summary = Summary.model_validate(json.loads(golden.read_text()))
    view = site_view([summary], thresholds=Thresholds(pass_score=90, warning_score=75))
    # the canvas has score 100 at y=4 and 0 at y=34: 30 units for 100 points
    assert [(b.code, b.y, b.height) for b in view.bands] == [
        ("met", 4.0, 3.0),
        ("at_risk", 7.0, 4.5),
        ("missed", 11.5, 22.5),
    ]
    html = render_index(view, "now")
    assert '<rect class="band at_risk" x="5" y="7.0" width="90" height="4.5"/>' in html
    assert "at risk: 75 to 90" in html
    assert site_view([summary]).bands == ()  # thresholds unknown: no bands drawn
    touching = site_view([summary], thresholds=Thresholds(pass_score=80, warning_score=80))
    assert [b.code for b in touching.bands] == ["met", "missed"]  # no at-risk band to draw
