"""Hostile data in every output: each .md through three Markdown renderers, HTML, PDF, e-mail
and terminal. No element comes from data, no stray backslash or control character shows, and
the data still reads as itself. (A fake source: this tests rendering, not Prometheus.)"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import numpy as np
import pytest
from matplotlib.text import Text
from pypdf import PdfReader
from rich.console import Console

from pipeline.config import load_config
from pipeline.core.model import Horizons, Outlook, QueryResult, Series, WeekResult
from pipeline.core.text import MAX_MESSAGE_CHARS, one_line
from pipeline.delivery.compose import compose
from pipeline.demo.promserver import PrometheusServer
from pipeline.outputs.table import scores_table
from pipeline.report.charts.draw import goal_figure
from pipeline.report.render import render_html, render_markdown
from pipeline.report.view import build_report
from pipeline.run import RunOutcome, RunRequest, run_week
from tests.support.configs import write_config
from tests.support.forecast import goal_odds, mid_week, verdict_odds
from tests.support.renderers import RENDERERS, Parsed, parse, shown

NOW = datetime(2026, 11, 26, tzinfo=UTC)
IMG = "http://h/a<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
LINK = "x](javascript:alert(1))"
SPECIALS = "*_~| &amp; back\\slash $5 $x^2$ #"
CONTROLS = "esc\x1b[31m bel\x07 nul\x00 c1\x9b"
ADDRESSES = "ops@example.com www.example.com"
LABELS = [IMG, SCRIPT, LINK, SPECIALS, CONTROLS, ADDRESSES, "`code` [/] [bold]x[/bold]"]
# Names that reach an e-mail header may not hold control characters (a config error); the
# labels, units and server messages below, which come from the source, carry them instead.
SPRINT = "Sprint ](javascript:x) &amp; `x` ~~s~~"
AGENT = "Agent <b>One</b> [/] |"
LATENCY = f"Latency {SCRIPT} *_~|"
ERRORS = f"Errors {IMG}"
LINKED = "[click](javascript:alert(1)) \\$"
CATEGORY = "tech <i>x</i>_y"
MESSAGE = f"bad_data: {IMG} \x1b[31m {SCRIPT} " + "y" * 5000
WARNING = f"warn \x1b]0;title\x07 {SCRIPT}"
QUERY = 'sum(x{a="`<b>`"}[5m])\n  by (customer)'
DATA = [*LABELS, SPRINT, AGENT, LATENCY, ERRORS, LINKED, WARNING]
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A backslash escape left in text: a backslash before what Markdown escapes.
BACKSLASH_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
# The report's own tags; `img` only for its charts, `a` only for links to Prometheus.
OWN_TAGS = {"h1", "h2", "h3", "p", "strong", "em", "hr", "ul", "ol", "li", "code"}
OWN_TAGS |= {"table", "thead", "tbody", "tr", "th", "td", "img", "a"}
PROMETHEUS_LINK = re.compile(r"http://127\.0\.0\.1:\d+/graph\?g0\.expr=")

CONFIG = {
    "sprint": {"name": SPRINT, "start": "2026-11-02", "week_days": 1, "step": "1h"},
    "scoring": {"categories": {CATEGORY: {"weight": 0.4}, "customer": {"weight": 0.6}}},
    "goals": [
        {"id": "lat", "name": LATENCY, "category": CATEGORY, "query": QUERY,
         "aggregate": "max", "target": "<= 100", "warning": "<= 150", "unit": "req_s"},
        {"id": "err", "name": ERRORS, "category": "customer", "query": "q_err",
         "aggregate": "last", "target": ">= 1", "unit": "<i>u</i>"},
        {"id": "lnk", "name": LINKED, "category": "customer", "query": "q_lnk",
         "aggregate": "last", "target": "30..50", "unit": "$"},
    ],
    "agents": [
        {"id": "one", "name": AGENT, "goals": ["lat", "err", "lnk"]},
        {"id": "two", "name": "Plain agent", "goals": ["lnk"]},
    ],
}  # fmt: skip


class HostileSource:
    """Every label value on the latency query, a long hostile error, a hostile warning."""

    def __init__(self, worst: float) -> None:
        self.worst = worst

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        if query == "q_err":
            return QueryResult(query, error=MESSAGE, rejected=True)
        ts = np.arange(first_ts, last_ts + step_s, step_s)
        if query == "q_lnk":
            series = (Series((("x", LINK),), ts, np.full(ts.size, 40.0)),)
            return QueryResult(query, series, warnings=(WARNING,))
        values = [self.worst, *(50.0 + i for i in range(len(LABELS) - 1))]
        return QueryResult(
            query,
            tuple(
                Series((("customer", label),), ts, np.full(ts.size, value))
                for label, value in zip(LABELS, values, strict=True)
            ),
        )


@pytest.fixture(scope="module")
def week2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunOutcome]:
    """Weeks 1 and 2 (so there is a last week), in md, html and pdf."""
    tmp = tmp_path_factory.mktemp("hostile")
    config = tmp / "c.yaml"
    config.write_text(json.dumps(CONFIG))  # JSON is YAML; "\u001b" stays an escape
    loaded = load_config(config, env={})
    formats = ("md", "html", "pdf")
    run_week(
        loaded, RunRequest(1, tmp / "out", formats=formats), now=NOW, source=HostileSource(180)
    )
    yield run_week(
        loaded, RunRequest(2, tmp / "out", formats=formats), now=NOW, source=HostileSource(160)
    )


def _folder(outcome: RunOutcome) -> Path:
    assert outcome.folder is not None
    return outcome.folder


def _without_data(text: str) -> str:
    """`text` with every piece of hostile data (as shown, capped if long) taken out."""
    text = shown(text)
    for value in sorted(DATA, key=len, reverse=True):
        text = text.replace(shown(one_line(value)), "")
    return text.replace(shown(one_line(MESSAGE))[:MAX_MESSAGE_CHARS], "")


def _check_elements(parsed: Parsed) -> None:
    for tag, attrs in parsed.elements:
        assert tag in OWN_TAGS, (tag, attrs)
        if tag == "img":
            assert set(attrs) == {"src", "alt"} and str(attrs["src"]).startswith("charts/")
        if tag == "a":
            assert PROMETHEUS_LINK.match(str(attrs.get("href"))), attrs
        if tag not in ("img", "a"):
            assert not attrs or tag in ("th", "td"), (tag, attrs)  # td/th: align only
    assert not parsed.comments


@pytest.mark.parametrize("agent", ["one", "two"])
@pytest.mark.parametrize("renderer", RENDERERS)
def test_markdown_renders_data_as_text(week2: RunOutcome, renderer: str, agent: str) -> None:
    markdown = (_folder(week2) / f"{agent}.md").read_text()
    assert not CONTROL_CHARS.search(markdown)
    parsed = parse(RENDERERS[renderer](markdown))
    _check_elements(parsed)
    text = shown(parsed.text)
    for value in (SPRINT, LINKED, "req_s"):
        assert shown(one_line(value)) in text
    rest = _without_data(parsed.text)
    assert "\\" not in rest and "&lt;" not in rest and "&#" not in rest
    if agent == "one":
        for value in (AGENT, *LABELS, LINK, LATENCY, ERRORS, WARNING):
            assert shown(one_line(value)) in text
        assert f"... ({len(one_line(MESSAGE)) - MAX_MESSAGE_CHARS:,} more)" in text
        assert sum(tag == "img" for tag, _ in parsed.elements) == 3  # one chart per goal


def test_html_report_shows_data_as_text(week2: RunOutcome) -> None:
    html = (_folder(week2) / "one.html").read_text()
    assert not CONTROL_CHARS.search(html)
    parsed = parse(html)
    assert not [t for t, _ in parsed.elements if t in ("script", "i", "b")]
    assert all(str(a["src"]).startswith("charts/") for t, a in parsed.elements if t == "img")
    assert not [a for _, a in parsed.elements if any(k.startswith("on") for k in a)]
    text = shown(parsed.text)
    for value in (SPRINT, AGENT, *LABELS, LATENCY, ERRORS, LINKED, WARNING):
        assert shown(one_line(value)) in text
    rest = _without_data(parsed.text)
    assert not BACKSLASH_ESCAPE.search(rest) and "&lt;" not in rest and "&#" not in rest


def test_pdf_text_has_no_escapes_or_controls(week2: RunOutcome) -> None:
    reader = PdfReader(_folder(week2) / "one.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert not CONTROL_CHARS.search(text)
    joined = "".join(text.split())  # table cells wrap lines
    assert "req_s" in joined and "req\\_s" not in joined
    assert "<script>alert(1)</script>" in joined and "&lt;" not in joined
    assert not BACKSLASH_ESCAPE.search(joined.replace("back\\slash", "").replace("\\$", ""))


def _forecast(result: WeekResult) -> WeekResult:
    """`result` in progress, with odds for every goal (their units are hostile) and agent."""
    at = result.window.end
    odds = Horizons(week_end=goal_odds(at, 0.72, 0.17, 91.2, 95, 98.1))
    card = Horizons(week_end=verdict_odds(at, 0.1, 0.3, 40.0))
    outlook = Outlook(
        goals={g.spec.id: odds for g in result.goals},
        overall=card,
        agents={a.id: card for a in result.agents},
    )
    return mid_week(result, outlook)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_forecast_renders_as_text(week2: RunOutcome, renderer: str) -> None:
    result = _forecast(week2.result)
    view = build_report(result, result.agents[0], {}, week2.trend)
    markdown = render_markdown(view)
    assert not CONTROL_CHARS.search(markdown)
    parsed = parse(RENDERERS[renderer](markdown))
    _check_elements(parsed)
    text = shown(parsed.text)
    for unit in ("req_s", "<i>u</i>", "$"):
        assert f"72 % (91.2 to 98.1 {unit})" in text  # the goal tables
        assert f"its value likely ends at 91.2 to 98.1 {unit} " in text  # the details
    assert f"{shown(LATENCY)} may cost " in text  # what to watch
    assert "so far" in text and "expected at the week's end: MISSED (60 %)" in text
    rest = _without_data(parsed.text)
    assert "\\" not in rest and "&lt;" not in rest and "&#" not in rest
    html = parse(render_html(view))
    assert "72 %91.2 to 98.1 <i>u</i>" in "".join(html.text.split("\n"))
    assert not [t for t, _ in html.elements if t in ("script", "i", "b")]


def test_email_has_no_controls(week2: RunOutcome, tmp_path: Path) -> None:
    message = compose(
        week2.result, week2.trend, week2.result.agents[0], "r@example.com", ["a@example.com"], []
    )
    assert isinstance(message, EmailMessage)
    subject = str(message["Subject"])
    assert not CONTROL_CHARS.search(subject) and "\n" not in subject
    assert "Agent <b>One</b> [/] |" in subject
    bodies = {p.get_content_subtype(): p.get_content() for p in message.iter_parts()}
    assert set(bodies) == {"plain", "html"}
    for body in bodies.values():
        assert not CONTROL_CHARS.search(body.replace("\r\n", "\n"))
    assert ERRORS in bodies["plain"]
    html = parse(bodies["html"])
    assert ERRORS in html.text
    assert {t for t, _ in html.elements} == {"html", "body", "p", "strong", "ul", "li"}


def test_terminal_table_is_plain_text(week2: RunOutcome) -> None:
    out = io.StringIO()
    Console(file=out, width=300, force_terminal=True, color_system="standard").print(
        scores_table(week2.result)
    )
    shown_text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # rich's own styles
    assert not CONTROL_CHARS.search(shown_text.replace("\n", ""))
    assert "Agent <b>One</b> [/] |" in shown_text  # rich markup printed, not applied


@pytest.mark.parametrize("goal_id", ["lat", "err", "lnk"])
def test_chart_text_is_plain(week2: RunOutcome, goal_id: str) -> None:
    window = week2.result.window
    query = week2.result.goal(goal_id).spec.query
    data = HostileSource(160).query_range(query, window.first_ts, window.last_ts, window.step_s)
    figure = goal_figure(week2.result.goal(goal_id), data, window)
    texts = [t.get_text() for t in figure.findobj(Text) if t.get_text()]
    assert texts and not [t for t in texts if CONTROL_CHARS.search(t)]
    assert not [t for t in texts if re.search(r"(?<!\\)\$", t)]  # `$` is not mathtext
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no glyph missing, no mathtext parse error
        figure.savefig(io.BytesIO(), format="png")


REAL = """
prometheus: {url: "http://127.0.0.1:9090", retries: 0}
sprint: {name: Real, start: 2026-11-02, week_days: 1, step: 1h}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: label, name: Label, category: technical, query: tst_label, aggregate: last,
     target: ">= 10"}
  - {id: bad, name: Bad, category: technical, query: "sum(tst_label) by (<img src=x>)",
     aggregate: last, target: ">= 10"}
agents:
  - {id: one, name: One, goals: [label, bad]}
"""


@pytest.mark.prometheus
@pytest.mark.parametrize("renderer", RENDERERS)
def test_real_prometheus_labels_and_errors_stay_text(
    tmp_path: Path, prometheus: PrometheusServer, renderer: str
) -> None:
    loaded = load_config(write_config(tmp_path / "c.yaml", REAL, prometheus.url), env={})
    outcome = run_week(loaded, RunRequest(1, tmp_path / "out"), now=NOW)
    error = outcome.result.goal("bad").message
    assert error and "<op:<>" in error  # the server quotes the query back, tag-like
    parsed = parse(RENDERERS[renderer]((_folder(outcome) / "one.md").read_text()))
    _check_elements(parsed)
    text = shown(parsed.text)
    assert 'customer="http://h/a<img src=x onerror=alert(1)>"' in text
    assert 'customer="<img src="http://127.0.0.1:9/x"> | *bold*"' in text
    assert shown(error) in text
    assert "\\" not in text
