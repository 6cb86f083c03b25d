"""The Markdown report's content, from scored data (a fake source: this tests one stage)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import load_config
from pipeline.core.outcomes import Status, Verdict
from pipeline.report.badge import Badge
from pipeline.report.render import render_html, render_markdown
from pipeline.report.view import build_report
from pipeline.run import RunRequest, run_week
from tests.support import ROOT
from tests.support.configs import write_config
from tests.support.fakes import FakeSource

NOW = datetime(2026, 11, 26, tzinfo=UTC)
CONFIG = """
sprint: {name: "Sprint <b>X</b>", start: 2026-11-02, week_days: 1, step: 1h}
scoring: {categories: {technical: {weight: 0.4}, customer: {weight: 0.6}}}
goals:
  - {id: labels, name: "Label | test", category: technical, query: q_labels, aggregate: last,
     target: ">= 10", unit: ms}
  - {id: many, name: Many, category: customer, query: q_many, aggregate: max,
     target: "<= 100", warning: "<= 150"}
agents:
  - {id: one, name: Agent One, goals: [labels, many]}
  - {id: two, name: Agent Two, goals: [many]}
"""


def _report(tmp_path: Path, answers: dict[str, list[tuple[dict[str, str], float]]]) -> str:
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    source = FakeSource(answers)
    outcome = run_week(loaded, RunRequest(1, tmp_path, dry_run=True), now=NOW, source=source)
    assert source.calls.count("q_many") == 1  # shared by two agents, sent once
    result = outcome.result
    return render_markdown(build_report(result, result.agents[0], {}, outcome.trend))


def test_labels_are_data_not_markup(tmp_path: Path) -> None:
    evil = '<img src="http://127.0.0.1:9/x"> | *bold*'
    md = _report(
        tmp_path,
        {
            "q_labels": [({"customer": evil}, 5.0), ({"customer": "ok"}, 50.0)],
            "q_many": [({"c": "1"}, 1.0)],
        },
    )
    cell = 'customer="&lt;img src="http:&#47;/127.0.0.1:9/x"&gt; \\| \\*bold\\*"'
    assert f"| {cell} | 5 ms |" in md
    assert "<" not in md.replace("<=", "")  # the template's own `<=` is in a code span
    assert "Sprint &lt;b&gt;X&lt;/b&gt;" in md and "Label \\| test" in md


def test_report_carries_the_seed_sections(tmp_path: Path) -> None:
    md = _report(tmp_path, {"q_labels": [({}, 12.0)], "q_many": [({"c": "1"}, 120.0)]})
    for heading in (
        "## Executive Summary",
        "### Technical Goals (40% weight): 100.0",
        "### Customer Goals (60% weight): 50.0",
        "## Convergence Points: Agent One",
        "## Agent Integration Matrix",
        "## Data Quality",
        "## Next Steps",
        "## Appendix: Queries",
    ):
        assert heading in md
    # 0.4 * 100 + 0.6 * 50 = 70 -> MISSED (< 75)
    assert "**Agent One:** ❌ **MISSED** 70.0/100 (its own convergence points)" in md
    assert "**Sprint:** ❌ **MISSED** 70.0/100 (Sprint &lt;b&gt;X&lt;/b&gt;)" in md
    assert "| ★ Label \\| test | &gt;= 10 ms | 12 ms | ✅ Met | 100.0 | 100.0% |" in md
    assert "| ★ Many | &lt;= 100 | 120 | ⚠️ At risk | 50.0 | 100.0% |" in md
    assert "| **Agent One** | ✅ Label \\| test, ⚠️ Many | 70.0 | ❌ MISSED |" in md
    assert "1. Bring down **Many** from 120 to &lt;= 100." in md
    assert "- **Many** (max, target `<= 100`): `q_many`" in md


def test_thousands_of_series_list_the_worst_and_summarise_the_rest(tmp_path: Path) -> None:
    series = [({"c": f"{i:04d}"}, float(i % 200)) for i in range(5000)]
    md = _report(tmp_path, {"q_labels": [({}, 12.0)], "q_many": series})
    assert md.count('| c="') == 10
    assert '| c="0199" | 199 | ❌ Missed |' in md  # the worst comes first
    # values 0..199, 25 series each: met 0..100 (2,525), at risk 101..150 (1,250), missed
    # 151..199 (1,225), of which the 10 shown (all 199)
    assert "4,990 more series not listed: 2,525 met, 1,250 at risk, 1,215 missed." in md


def test_a_badge_names_every_outcome_with_a_style_of_the_html_report() -> None:
    css = (ROOT / "report_templates/assets/report.css").read_text()
    assert Badge.of(Verdict.AT_RISK) == Badge("at_risk", "AT RISK", "⚠️")
    assert Badge.of(Status.NO_DATA) == Badge("no_data", "No data", "❔")
    for outcome in (*Status, *Verdict):
        assert f".pill.{Badge.of(outcome).code}" in css, outcome
    for verdict in Verdict:
        assert f".badge.{Badge.of(verdict).code}" in css
        assert f"td.verdict.{Badge.of(verdict).code}" in css  # the matrix's status column
    for status in Status:
        assert f".cell.{Badge.of(status).code}" in css  # the matrix's goal cells


def test_the_html_matrix_is_a_coloured_cell_per_goal_and_agent(tmp_path: Path) -> None:
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    source = FakeSource({"q_labels": [({}, 12.0)], "q_many": [({"c": "1"}, 120.0)]})
    outcome = run_week(loaded, RunRequest(1, tmp_path, dry_run=True), now=NOW, source=source)
    result = outcome.result
    view = build_report(result, result.agents[1], {}, outcome.trend)
    (block,) = view.grid.blocks
    assert block.numbers == (1, 2)
    assert [(r.name, r.cells, r.current) for r in block.rows] == [
        ("Agent One", ("met", "at_risk"), False),
        ("Agent Two", ("", "at_risk"), True),  # blank: not its goal
    ]
    assert view.grid.goals == ((1, "Label | test"), (2, "Many"))
    html = render_html(view)
    assert html.count('<td class="cell ') == 4
    assert "1 Label | test · 2 Many" in html
