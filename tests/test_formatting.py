"""One formatter for every number a reader sees: its table of value and unit -> text, and the
places that used to print numbers their own way (the site's targets, float noise)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from pipeline.core.targets import parse_target
from pipeline.outputs.site import render_week_index
from pipeline.outputs.summary_model import Summary
from pipeline.report import formatting as fmt
from tests.support import ROOT

NOISE = 94.00000000000001  # 0.94 * 100, the user's example


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        # integers and large numbers: thousands separated, no decimals from 1,000 up
        (0.0, "", "0"),
        (5.0, "customers", "5 customers"),
        (999.0, "ms", "999 ms"),
        (1000.0, "", "1,000"),
        (1_000_000.0, "events/s", "1,000,000 events/s"),
        (1_234_567.89, "", "1,234,568"),
        (2.5e12, "bytes", "2,500,000,000,000 bytes"),
        # decimals: at most two from 1 up, trailing zeros dropped
        (99.95, "%", "99.95 %"),
        (12.5, "ms", "12.5 ms"),
        (82.8349, "ms", "82.83 ms"),
        (999.999, "", "1,000"),
        # small decimals: three significant digits
        (0.0832, "", "0.0832"),
        (0.04, "%", "0.04 %"),
        (0.000123456, "s", "0.000123 s"),
        (1.5e-9, "s", "1.5e-09 s"),
        # negatives
        (-5.5, "", "-5.5"),
        (-1234.6, "ms", "-1,235 ms"),
        (-0.0, "", "0"),
        (-0.0042, "", "-0.0042"),
        # percentages are a unit like any other
        (97.3, "%", "97.3 %"),
        (100.0, "%", "100 %"),
        # no value: no unit either
        (None, "ms", "n/a"),
        (math.nan, "%", "NaN"),
        (math.inf, "ms", "+Inf"),
        (-math.inf, "", "-Inf"),
        # float noise never reaches a reader
        (NOISE, "%", "94 %"),
        (0.1 + 0.2, "", "0.3"),
        (1_000_000.0000000002, "events/s", "1,000,000 events/s"),
        (99.90000000000001, "%", "99.9 %"),
    ],
)
def test_the_formatters_table(value: float | None, unit: str, text: str) -> None:
    assert fmt.quantity(value, unit) == text


@pytest.mark.parametrize(
    ("value", "near", "text"),
    [
        (NOISE, (94.0,), "94"),  # noise is not a digit that tells a value from its bound
        (94.0000001, (94.0,), "94.0000001"),  # a real difference still shows
        (99.904, (99.9,), "99.904"),
        (0.30000000000000004, (0.3,), "0.3"),
    ],
)
def test_near_a_bound_only_real_digits_show(
    value: float, near: tuple[float, ...], text: str
) -> None:
    assert fmt.number(value, near) == text


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: fmt.score(NOISE), "94.0"),
        (lambda: fmt.score(None), "—"),
        (lambda: fmt.score(-0.0), "0.0"),
        (lambda: fmt.score(100.0), "100.0"),
        (lambda: fmt.fixed(0.07712, 3), "0.077"),
        (lambda: fmt.fixed(-0.0001, 2), "0.00"),
        (lambda: fmt.fixed(1234.56, 1), "1,234.6"),
        (lambda: fmt.fixed(math.nan, 2), "NaN"),
        (lambda: fmt.count(1225), "1,225"),
        (lambda: fmt.percent(0.973), "97.3%"),
        (lambda: fmt.percent(0.99999), ">99.99%"),
        (lambda: fmt.percent(1.0), "100.0%"),
        (lambda: fmt.share(0.6), "60%"),
        (lambda: fmt.share(0.6000000000000001), "60%"),
        (lambda: fmt.weight(0.4), "40%"),
        (lambda: fmt.weight(1 / 3), "33.33%"),
        (lambda: fmt.weight(0.7000000000000001), "70%"),
        (lambda: fmt.chance(0.72), "72 %"),
        (lambda: fmt.chance(0.001), "<1 %"),
        (lambda: fmt.chance(0.999), ">99 %"),
        (lambda: fmt.change(NOISE - 90, NOISE), "▲ 4"),
        (lambda: fmt.change(-0.1 - 0.2, 5.0), "▼ 0.3"),
        (lambda: fmt.target(parse_target(">= 1000000"), "events/s"), ">= 1,000,000 events/s"),
        (lambda: fmt.target(parse_target("30..50"), "%"), "30..50 %"),
        (lambda: fmt.target(parse_target("< 0.1")), "< 0.1"),
        (lambda: fmt.target(parse_target(">= 1_500_000.5")), ">= 1,500,000"),
    ],
)
def test_scores_shares_chances_and_targets(call: object, text: str) -> None:
    assert callable(call) and call() == text


def test_the_site_week_page_formats_targets_and_values() -> None:
    """The user's report: the week page printed `>= 1000000` as written in the config."""
    golden = ROOT / "tests/golden/week-03/summary.json"
    doc = Summary.model_validate_json(golden.read_text())
    page = render_week_index(doc, "now")
    assert "&gt;= 1,000,000 events/s" in page and "1000000" not in page
    assert "&gt;= 1000000" not in page
    assert "1,120,010 events/s" in page  # the value beside it, as the reports show it


def test_the_site_keeps_a_target_it_cannot_read() -> None:
    golden = ROOT / "tests/golden/week-03/summary.json"
    doc = Summary.model_validate_json(golden.read_text())
    odd = doc.goals[0].model_copy(update={"target": "about 5"})  # an older or hand-made file
    doc = doc.model_copy(update={"goals": [odd, *doc.goals[1:]]})
    assert "about 5 events/s" in render_week_index(doc, "now")


def test_no_output_formats_a_displayed_number_its_own_way() -> None:
    """The format specs that print numbers (`:.1f`, `:g`, `:,`, `:.0%`) of the reports, pages,
    e-mails, chat, the terminal table and the backtest live in formatting.py; elsewhere there
    only machine text (URLs, SVG coordinates, CSS widths). The layers below (core, query,
    config) print numbers only in error messages, and cannot import the formatter."""
    outputs = ("report", "outputs", "backtest", "delivery/compose.py", "delivery/chat.py")
    allowed = {
        "pipeline/report/formatting.py",
        "pipeline/report/goals.py",  # the Prometheus UI link's range and step
        "pipeline/report/matrix.py",  # a CSS width
        "pipeline/outputs/site.py",  # SVG coordinates
        "pipeline/outputs/portfolio.py",  # SVG coordinates of each team's trend line
    }
    spec = re.compile(r"\{[^{}]*:[,.]?\d*[,.]?\d*[fg%]\}|\{[^{}]*:,\}")
    found = []
    for scope in outputs:
        base = ROOT / "pipeline" / scope
        for path in sorted(base.rglob("*.py") if base.is_dir() else [base]):
            name = path.relative_to(ROOT).as_posix()
            if name in allowed:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if spec.search(line):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert found == []


def test_templates_print_numbers_through_the_formatters_filters() -> None:
    from pipeline.report.render import environment

    env = environment()
    assert env.filters["number"] is fmt.number and env.filters["score"] is fmt.score
    rendered = env.from_string("{{ 1000000.0 | number }} {{ 94.00000000000001 | score }}").render()
    assert rendered == "1,000,000 94.0"


def test_csv_and_summary_keep_raw_numbers(tmp_path: Path) -> None:
    """Raw numbers stay raw where machines read them."""
    summary = (ROOT / "tests/golden/week-03/summary.json").read_text()
    assert '"target": ">= 1000000"' in summary  # the config's text, as it was written
    assert "1,000,000" not in summary
