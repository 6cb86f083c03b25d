"""The demo's 12 PDFs on paper (issue 24), read back with `pdftotext -bbox`: every word inside
the text block of report.css's `@page`, and no page but the last less than a quarter full."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.report.render import label_pairs
from tests.support.binaries import require_binary
from tests.support.pdfbox import Layout, layout, page_margins, read_pages

AGENTS = {
    "product-manager": "Product Manager Agent",
    "devops": "DevOps Agent",
    "testing": "Testing Agent",
    "go-code": "Go Code Agent",
}
PDFS = [f"week-0{week}/{agent}.pdf" for week in (1, 2, 3) for agent in AGENTS]
QUARTER = 0.25


@pytest.fixture(scope="module")
def layouts(demo_site: Path) -> dict[str, Layout]:
    """Every PDF's layout, from the demo's weeks 1 to 3 as `make demo` runs them (conftest's
    `demo_site`: each week after the one before, so weeks 2 and 3 have their history)."""
    pdftotext = require_binary("pdftotext", package="poppler-utils")
    margins = page_margins()
    return {name: layout(read_pages(pdftotext, demo_site / name), margins) for name in PDFS}


@pytest.mark.prometheus
@pytest.mark.parametrize("pdf", PDFS)
def test_every_word_lies_inside_the_text_block(layouts: dict[str, Layout], pdf: str) -> None:
    found = layouts[pdf]
    assert found.outside == ()
    assert found.max_x <= found.right_edge + 1


@pytest.mark.prometheus
@pytest.mark.parametrize("pdf", PDFS)
def test_no_page_but_the_last_is_less_than_a_quarter_full(
    layouts: dict[str, Layout], pdf: str
) -> None:
    fills = layouts[pdf].fills
    assert [f"{fill:.0%}" for fill in fills[:-1] if fill < QUARTER] == [], fills


@pytest.mark.prometheus
@pytest.mark.parametrize("pdf", PDFS)
def test_the_margins_hold_only_the_running_title_and_the_footer(
    layouts: dict[str, Layout], pdf: str
) -> None:
    """What the layout check leaves out as margin text is the header and footer, nothing else."""
    folder, name = pdf.split("/")
    found = layouts[pdf]
    title = f"UnMoGrowP Attribution Platform · Week {int(folder[-2:])} · {AGENTS[name[:-4]]}"
    footer = r"Generated \S+ · config [0-9a-f]+ · v\S+"
    for number, text in enumerate(found.margin_text, 1):
        page = f"Page {number} of {found.pages}"
        if number == 1:
            assert text == page
        else:
            assert re.fullmatch(f"{re.escape(title)} {footer} {page}", text), text


def test_labels_break_between_pairs_and_keep_their_text() -> None:
    html = label_pairs('customer="a&b", job="x, y=\\"z", zone="eu-1"')
    assert html == (
        '<span class="label">customer=&#34;a&amp;b&#34;,</span> '
        '<span class="label">job=&#34;x, y=\\&#34;z&#34;,</span> '
        '<span class="label">zone=&#34;eu-1&#34;</span>'
    )
    assert label_pairs("(no labels)") == '<span class="label">(no labels)</span>'
