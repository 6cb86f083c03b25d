"""Where a PDF's words are: `pdftotext -bbox` read back, against the text block of the report's
`@page` rule (its size and margins, read from report.css)."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.support import ROOT

CSS = ROOT / "report_templates" / "assets" / "report.css"
XHTML = "{http://www.w3.org/1999/xhtml}"
POINTS = {"pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "px": 0.75}


@dataclass(frozen=True)
class Word:
    """One word of a page and its box, in points from the page's top left corner."""

    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class Page:
    """One page: its size and its words in reading order."""

    width: float
    height: float
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Margins:
    """The `@page` margins, in points."""

    top: float
    right: float
    bottom: float
    left: float


def page_margins(css: Path = CSS) -> Margins:
    """The `margin` of the stylesheet's first `@page` rule (one to four lengths)."""
    rule = re.search(r"@page\s*\{(.*?)\n\}", css.read_text(), re.S)
    assert rule, f"no @page rule in {css}"
    margin = re.search(r"(?:^|[;{\s])margin\s*:\s*([^;]+);", rule.group(1))
    assert margin, f"no margin in the @page rule of {css}"
    values = [_points(v) for v in margin.group(1).split()]
    top = values[0]
    right = values[1] if len(values) > 1 else top
    bottom = values[2] if len(values) > 2 else top
    left = values[3] if len(values) > 3 else right
    return Margins(top, right, bottom, left)


def _points(length: str) -> float:
    found = re.fullmatch(r"([0-9.]+)(pt|mm|cm|in|px)", length.strip())
    assert found, f"not a length in points, mm, cm, in or px: {length!r}"
    return float(found.group(1)) * POINTS[found.group(2)]


def read_pages(pdftotext: str, pdf: Path) -> list[Page]:
    """Every page of `pdf` with its words, as `pdftotext -bbox` prints them."""
    xhtml = subprocess.run(
        [pdftotext, "-bbox", str(pdf), "-"], check=True, capture_output=True
    ).stdout
    pages = []
    for page in ET.fromstring(xhtml).iter(f"{XHTML}page"):
        words = tuple(
            Word(
                w.text or "",
                float(w.attrib["xMin"]),
                float(w.attrib["yMin"]),
                float(w.attrib["xMax"]),
                float(w.attrib["yMax"]),
            )
            for w in page.iter(f"{XHTML}word")
        )
        pages.append(Page(float(page.attrib["width"]), float(page.attrib["height"]), words))
    return pages


@dataclass(frozen=True)
class Layout:
    """What a PDF's pages say about its layout, against the text block."""

    pages: int
    max_x: float  # the right edge of the rightmost word on any page
    right_edge: float  # the text block's right edge
    fills: tuple[float, ...]  # per page: how far down its lowest word is, 0 to 1 of the block
    outside: tuple[str, ...]  # words outside the page's margins, with where
    margin_text: tuple[str, ...]  # per page: the words in its top and bottom margins


def layout(pages: list[Page], margins: Margins, tolerance: float = 1.0) -> Layout:
    """Each page's words against the text block, `tolerance` points either side. Words in the
    top margin (the running title) or the bottom margin (the footer) must still lie between
    the left and right margins, and are kept apart, per page, in `Layout.margin_text`."""
    outside: list[str] = []
    fills: list[float] = []
    bands: list[str] = []
    max_x = 0.0
    right_edge = pages[0].width - margins.right
    for number, page in enumerate(pages, 1):
        left, right = margins.left - tolerance, page.width - margins.right + tolerance
        top, bottom = margins.top, page.height - margins.bottom
        lowest, band = top, []
        for word in page.words:
            max_x = max(max_x, word.x_max)
            where = f"page {number}: {word.text!r} at x {word.x_min:.1f} to {word.x_max:.1f}"
            if word.x_min < left or word.x_max > right:
                outside.append(f"{where} (text block {margins.left:.1f} to {right_edge:.1f})")
            if word.y_min < 0 or word.y_max > page.height:
                outside.append(f"{where}, y {word.y_min:.1f} to {word.y_max:.1f}: off the page")
            if word.y_max <= top or word.y_min >= bottom:  # the running title or the footer
                band.append(word.text)
                continue
            if word.y_min < top - tolerance or word.y_max > bottom + tolerance:
                outside.append(f"{where}, y {word.y_min:.1f} to {word.y_max:.1f}: across a margin")
            lowest = max(lowest, word.y_max)
        fills.append((lowest - top) / (bottom - top))
        bands.append(" ".join(band))
    return Layout(len(pages), max_x, right_edge, tuple(fills), tuple(outside), tuple(bands))
