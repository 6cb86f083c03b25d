"""Colour-blind safe: wherever a status is shown (Markdown, HTML, PDF, the site), its icon and
its word are beside its colour, the icons are text glyphs the PDF's fonts have, and the
stylesheets colour each status as pipeline/report/palette.py says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.config import load_config
from pipeline.core.formats import Format
from pipeline.core.outcomes import Status, Verdict
from pipeline.report import palette
from pipeline.report.badge import Badge
from pipeline.run import RunRequest, run_week
from tests.support import ROOT
from tests.support.chartweek import ANSWERS, CONFIG, NOW
from tests.support.configs import write_config
from tests.support.fakes import FakeSource

MARKED = re.compile(r'<span class="(?:pill|badge) (\w+)">([^<]*)</span>')
CELL = re.compile(r'<td class="cell (\w*)">([^<]*)</td>')
LABELS: dict[str, set[str]] = {}
for _outcome in (*Status, *Verdict):
    LABELS.setdefault(Badge.of(_outcome).code, set()).add(Badge.of(_outcome).label)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """chartweek's week (a goal met, one at risk, one missed) in Markdown, HTML and PDF."""
    tmp = tmp_path_factory.mktemp("marks")
    loaded = load_config(write_config(tmp / "c.yaml", CONFIG), env={})
    request = RunRequest(1, tmp / "out", formats=(Format.MD, Format.HTML, Format.PDF))
    folder = run_week(loaded, request, now=NOW, source=FakeSource(ANSWERS)).folder
    assert folder is not None
    return folder


def test_the_icons_are_text_glyphs_one_per_outcome() -> None:
    icons = {s: s.icon for s in Status}
    assert icons == {
        Status.MET: "✔",
        Status.AT_RISK: "⚠",
        Status.MISSED: "✖",
        Status.NO_DATA: "○",
        Status.ERROR: "⊘",
    }
    assert [v.icon for v in Verdict] == ["✔", "⚠", "✖", "○"]
    assert all(len(icon) == 1 for icon in icons.values())  # no emoji variation selector
    assert Badge.of(Status.AT_RISK).label == "⚠ At risk"
    assert Badge.of(Verdict.ACHIEVED).label == "✔ ACHIEVED"


def test_every_coloured_status_on_an_html_page_has_its_icon_and_word(week: Path) -> None:
    for page in ("one.html", "two.html", "index.html"):
        html = (week / page).read_text()
        marked = MARKED.findall(html)
        assert marked, page
        for code, text in marked:
            assert text in LABELS[code], f"{page}: {code} shown as {text!r}"
        shown = {code for code, _ in marked}
        assert {"met", "at_risk", "missed"} <= shown, page
    html = (week / "one.html").read_text()
    cells = CELL.findall(html)
    assert cells and {c for c, _ in cells} == {"", "met", "at_risk", "missed"}
    for code, text in cells:
        assert text == (Badge.of(Status(code)).icon if code else ""), code
    key = "".join(f'<span class="cell {s.value}">{s.icon}</span> {s.text} ' for s in Status)
    assert key in html  # the matrix's key: each icon with its word
    assert "✖ MISSED" in html and '<span class="badge-icon">✖</span>' in html  # the cover


def test_the_markdown_report_names_each_status_with_its_icon(week: Path) -> None:
    md = (week / "one.md").read_text()
    for line in ("| ✔ Met |", "| ⚠ At risk |", "| ✖ Missed |", "(✖ MISSED) |"):
        assert line in md, line
    assert "✔ Met · ⚠ At risk · ✖ Missed · ○ No data · ⊘ Error" in md  # the matrix's key
    assert not re.search("[\u2705\u274c\u2754\u26d4\ufe0f]", md)  # no emoji left


def test_the_pdf_shows_the_icons_in_its_own_fonts(week: Path) -> None:
    reader = PdfReader(week / "one.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    for shown in ("✔ Met", "⚠ At risk", "✖ Missed", "✖ MISSED"):
        assert shown in text, shown
    fonts = {
        str(font.get_object()["/BaseFont"]).partition("+")[2]
        for page in reader.pages
        for font in page["/Resources"].get("/Font", {}).values()
    }
    # DejaVu has every icon: no fallback font (an emoji font, or none: a blank box) is used
    assert fonts and all(f.startswith("DejaVu") for f in fonts), fonts


@pytest.mark.parametrize("sheet", ["report.css", "site.css"])
def test_the_stylesheets_colour_each_status_from_the_palette(sheet: str) -> None:
    css = (ROOT / "report_templates/assets" / sheet).read_text()
    rules = re.findall(r"^([^{}\n]*)\{([^}]*background: (#[0-9a-f]{6})[^}]*)\}", css, re.M)
    coloured = 0
    for selectors, body, colour in rules:
        for selector in selectors.split(","):
            match = re.fullmatch(r"\s*\.(pill|badge|cell)\.(\w+)\s*", selector)
            if match:
                coloured += 1
                assert colour == palette.STATUS[match[2]], selector
                if match[1] != "cell":  # a cell holds only its icon, set in `.cell`
                    assert f"color: {palette.ON_STATUS}" in body, selector
    assert coloured >= (6 if sheet == "site.css" else 15)
