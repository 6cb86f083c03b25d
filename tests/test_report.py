"""The Markdown report's content, from scored data (a fake source: this tests one stage)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import load_config
from pipeline.core.outcomes import Status, Verdict
from pipeline.report.badge import Badge
from pipeline.report.render import render_html, render_markdown
from pipeline.report.view import build_report
from pipeline.run import RunRequest, run_week
from pipeline.scoring.trend import project
from tests.support import ROOT
from tests.support.chartweek import ANSWERS, run, scored_week
from tests.support.configs import write_config
from tests.support.fakes import FakeSource
from tests.support.forecast import charts_outlook, mid_week, sprint_end_only

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
    assert "**Agent One:** ✖ **MISSED** 70.0/100 (its own convergence points)" in md
    assert "**Sprint:** ✖ **MISSED** 70.0/100 (Sprint &lt;b&gt;X&lt;/b&gt;)" in md
    assert "| ★ Label \\| test | &gt;= 10 ms | 12 ms | ✔ Met | 100.0 | 100.0% |" in md
    assert "| ★ Many | &lt;= 100 | 120 | ⚠ At risk | 50.0 | 100.0% |" in md
    assert "| **Agent One** | ✔ Label \\| test, ⚠ Many | 70.0 | ✖ MISSED |" in md
    assert "1. Bring down **Many** from 120 to &lt;= 100." in md
    assert "- **Many** (max, target `<= 100`): `q_many`" in md


def test_thousands_of_series_list_the_worst_and_summarise_the_rest(tmp_path: Path) -> None:
    series = [({"c": f"{i:04d}"}, float(i % 200)) for i in range(5000)]
    md = _report(tmp_path, {"q_labels": [({}, 12.0)], "q_many": series})
    assert md.count('| c="') == 10
    assert '| c="0199" | 199 | ✖ Missed |' in md  # the worst comes first
    # values 0..199, 25 series each: met 0..100 (2,525), at risk 101..150 (1,250), missed
    # 151..199 (1,225), of which the 10 shown (all 199)
    assert "4,990 more series not listed: 2,525 met, 1,250 at risk, 1,215 missed." in md


def test_a_badge_names_every_outcome_with_a_style_of_the_html_report() -> None:
    css = (ROOT / "report_templates/assets/report.css").read_text()
    assert Badge.of(Verdict.AT_RISK) == Badge("at_risk", "AT RISK", "⚠")
    assert Badge.of(Status.NO_DATA) == Badge("no_data", "No data", "○")
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
    assert [(r.name, [c and c.code for c in r.cells], r.current) for r in block.rows] == [
        ("Agent One", ["met", "at_risk"], False),
        ("Agent Two", [None, "at_risk"], True),  # blank: not its goal
    ]
    assert view.grid.goals == ((1, "Label | test"), (2, "Many"))
    html = render_html(view)
    assert html.count('<td class="cell ') == 4
    # each status cell carries its icon, and the key says each icon's word
    assert html.count('<td class="cell met">✔</td>') == 1
    assert html.count('<td class="cell at_risk">⚠</td>') == 2
    assert '<span class="cell missed">✖</span> Missed' in html
    assert "1 Label | test · 2 Many" in html


def _forecast_md(tmp_path: Path, agent: int = 0, complete: bool = False) -> str:
    """chartweek's week with hand-made odds: in progress (week-end and sprint-end odds), or
    complete (sprint-end odds only)."""
    result, _, trend = scored_week(tmp_path)
    outlook = charts_outlook(result)
    if complete:
        result = dataclasses.replace(result, outlook=sprint_end_only(outlook), sprint_weeks=4)
    else:
        result = mid_week(result, outlook)
    return render_markdown(build_report(result, result.agents[agent], {}, trend))


def test_a_week_in_progress_says_so_far_and_what_is_expected(tmp_path: Path) -> None:
    md = _forecast_md(tmp_path)
    assert (
        "**Agent One:** ✖ **MISSED** 25.0/100 so far (its own convergence points); "
        "expected at the week's end: **MISSED** (60 %), "
        "at the sprint's end (week 4): **MISSED** (50 %)\n"
    ) in md
    assert (
        "**Sprint:** ✖ **MISSED** 50.0/100 so far (Charts); expected at the week's end: "
        "**ACHIEVED** (72 %), at the sprint's end (week 4): **AT RISK** (50 %)\n"
    ) in md
    # of two verdicts as likely, the worse
    two = _forecast_md(tmp_path, agent=1)
    assert "expected at the week's end: **AT RISK** (50 %)\n" in two


def test_each_goal_row_carries_its_chance_and_likely_range(tmp_path: Path) -> None:
    md = _forecast_md(tmp_path)
    assert "| Metric | Target | Actual | Status | Score | Coverage | Forecast |" in md
    latency = '| ★ Latency | &lt;= 100 ms | 120 ms, c="x" | ⚠ At risk | 50.0 | 100.0% |'
    assert f"{latency} 72 % (91.2 to 98.1 ms) |" in md
    assert "| Errors | &lt; 5 | 2 | ✔ Met | 100.0 | 100.0% | 95 % (1 to 3.5) |" in md
    assert (
        "Forecast: the chance each goal is met at the week's end, and where its value likely "
        "ends (10th to 90th percentile)."
    ) in md
    assert (
        "- **Forecast:** 72 % likely met at the week's end (at risk 17 %, missed 11 %); its value "
        "likely ends at 91.2 to 98.1 ms (10th to 90th percentile; median 95 ms).\n"
    ) in md


def test_what_to_watch_ranks_goals_by_the_points_they_are_likely_to_cost(tmp_path: Path) -> None:
    md = _forecast_md(tmp_path)
    # Up and Latency each carry half of Agent One's score: Up's expected score is
    # 100 * 0.30 + 50 * 0.42 = 51 (0.5 * 49 = 24.5 points), Latency's 72 + 8.5 (9.8 points)
    assert (
        "### What to watch\n\n"
        "Ranked by the points each is likely to cost at the week's end:\n"
        "- **Up** may cost 24.5 of this agent's points: 30 % likely met, its value likely 0 to 1.\n"
        "- **Latency** may cost 9.8 of this agent's points: 72 % likely met, its value likely "
        "91.2 to 98.1 ms.\n"
    ) in md


def test_a_complete_week_shows_the_sprint_end_forecast_only(tmp_path: Path) -> None:
    md = _forecast_md(tmp_path, complete=True)
    assert "so far" not in md and "week's end" not in md
    assert (
        "**Agent One:** ✖ **MISSED** 25.0/100 (its own convergence points); "
        "expected at the sprint's end (week 4): **MISSED** (50 %)\n"
    ) in md
    assert "| 50.0 | 100.0% | 81 % (80 to 99 ms) |" in md
    # Up: 100 * 0.5 + 50 * 0.2 = 60, half of the score: 20 points
    assert "- **Up** may cost 20.0 of this agent's points: 50 % likely met" in md
    # agent two has no sprint-end odds: its header says nothing of a forecast
    two = _forecast_md(tmp_path, agent=1, complete=True)
    assert "**Agent Two:** ⚠ **AT RISK** 75.0/100 (its own convergence points)\n" in two


def test_without_a_forecast_nothing_of_it_shows(tmp_path: Path) -> None:
    result, _, trend = scored_week(tmp_path)
    md = render_markdown(build_report(result, result.agents[0], {}, trend))
    for absent in ("so far", "expected", "Forecast", "What to watch", "likely"):
        assert absent not in md


def test_the_two_point_projection_is_not_shown(tmp_path: Path) -> None:
    """Latency moves from 120 to 110 ms: trend.py still projects it, no report says so."""
    out = tmp_path / "out"
    run(tmp_path, out, week=1)
    answers = {**ANSWERS, "q_lat": [({"c": "x"}, 110.0), ({"c": "y"}, 80.0)]}
    outcome = run(tmp_path, out, week=2, answers=answers)
    lat = next(g for g in outcome.result.goals if g.spec.id == "lat")
    assert lat.value == 110.0 and outcome.trend.goals["lat"].change == -10.0
    assert project(lat.value, -10.0, lat.spec.target, 2) is not None
    assert outcome.folder is not None
    for page in ("one.md", "one.html"):
        text = (outcome.folder / page).read_text()
        assert "▼ 10" in text  # last week is there
        assert "rate of change" not in text and "converging" not in text
        assert "Projection" not in text
