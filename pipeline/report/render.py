"""Render report data through the Jinja2 templates, package data of `pipeline.report_templates`
(the repository's top-level report_templates/, mapped into the package by pyproject)."""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline.core.text import strip_controls
from pipeline.report import formatting as fmt
from pipeline.report import spans
from pipeline.report.view import ReportView

TEMPLATES = "pipeline.report_templates"
# `, ` between two `name="value"` pairs of a label set (a value holding `", x="` only adds a
# break opportunity: the text is the same)
BETWEEN_PAIRS = re.compile(r'(?<="), (?=[a-zA-Z_][a-zA-Z0-9_]*=")')


@cache
def environment() -> Environment:
    """The one template environment: strict about missing data, autoescaping HTML."""
    env = Environment(
        loader=PackageLoader(TEMPLATES, "."),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_no_controls,
    )
    env.filters["md"] = spans.to_markdown  # a value or a sentence as inert Markdown
    env.filters["code"] = spans.md_code
    env.filters["html"] = spans.to_html  # a sentence as HTML (other values are autoescaped)
    env.filters["labels"] = label_pairs
    # numbers a template prints itself go through the one formatter, as the views' do
    env.filters["number"] = fmt.number
    env.filters["score"] = fmt.score
    env.filters["count"] = fmt.count
    return env


def _no_controls(value: object) -> object:
    """Every printed value without control characters (ESC, BEL, ...), in every template."""
    if isinstance(value, Markup):
        return Markup(strip_controls(str(value)))
    return strip_controls(value) if isinstance(value, str) else value


def label_pairs(text: str) -> Markup:
    """A series' labels, `a="x", b="y"`, as HTML that wraps between pairs, not inside one:
    each pair with its comma is a `span.label` (report.css keeps it whole)."""
    pairs = BETWEEN_PAIRS.split(text)
    return Markup(" ").join(
        Markup('<span class="label">{}</span>').format(pair + ("," if i < len(pairs) - 1 else ""))
        for i, pair in enumerate(pairs)
    )


def render_markdown(view: ReportView) -> str:
    """The Markdown report of one agent."""
    return environment().get_template("report.md.j2").render(r=view)


def render_html(view: ReportView) -> str:
    """The HTML page of one agent's report: what the PDF is printed from."""
    return environment().get_template("report.html.j2").render(r=view)
