"""The report's story over two weeks: verdicts first, why, what changed, like-for-like change.

A fake source answers by week (this tests the scoring-to-report stages, not the query).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import load_config
from pipeline.core.model import QueryResult, Series
from pipeline.delivery.compose import mail_view
from pipeline.report import formatting as fmt
from pipeline.report.render import render_markdown
from pipeline.report.view import build_report
from pipeline.run import RunOutcome, RunRequest, run_week
from tests.support.configs import write_config

NOW = datetime(2026, 11, 26, tzinfo=UTC)
START = datetime(2026, 11, 2, tzinfo=UTC).timestamp()
CONFIG = """
prometheus: PROMETHEUS
sprint: {name: Sprint S, start: 2026-11-02, week_days: 1, step: 1h}
scoring: {categories: {technical: {weight: 0.4}, customer: {weight: 0.6}}}
goals:
  - {id: sat, name: Satisfaction, category: customer, query: q_sat, aggregate: last,
     target: "> 90", warning: ">= 85", unit: "%", key: true}
  - {id: up, name: Uptime, category: technical, query: q_up, aggregate: mean,
     target: "> 99", unit: "%"}
  - {id: lat, name: Latency, category: technical, query: q_lat, aggregate: mean,
     target: "< 100", unit: ms}
agents:
  - {id: ops, name: Ops Agent, goals: [up, lat, sat]}
  - {id: pm, name: PM Agent, goals: [sat]}
"""
Answers = dict[str, list[tuple[dict[str, str], float]]]


class WeeklySource:
    """Answers each query with constant series, chosen by the week of the range asked for."""

    def __init__(self, weeks: Callable[[int], Answers], late: dict[str, float] | None = None):
        self.weeks = weeks
        self.late = late or {}  # label value -> hours into the week its samples start

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        week = int((first_ts - START) // 86400) + 1
        ts = np.arange(first_ts, last_ts + step_s, step_s)
        series = []
        for labels, value in self.weeks(week)[query]:
            start = first_ts + 3600 * self.late.get(labels.get("customer", ""), 0)
            kept = ts[ts >= start]
            series.append(Series(tuple(sorted(labels.items())), kept, np.full(kept.size, value)))
        return QueryResult(query, tuple(series))


def two_weeks(
    tmp_path: Path, source: WeeklySource, prometheus: str = "{url: http://127.0.0.1:9090}"
) -> RunOutcome:
    """Run week 1 (recorded in history), then return week 2."""
    text = CONFIG.replace("PROMETHEUS", prometheus)
    loaded = load_config(write_config(tmp_path / "c.yaml", text), env={})
    out = tmp_path / "out"
    run_week(loaded, RunRequest(1, out, formats=("md",)), now=NOW, source=source)
    return run_week(loaded, RunRequest(2, out, formats=("md",)), now=NOW, source=source)


def _answers(week: int) -> Answers:
    return {
        # week 1: initech worst at 87.4 (at risk); week 2: initech 90.99 worst of the met ones
        "q_sat": [
            ({"customer": "acme"}, 92.0 if week == 1 else 93.86),
            ({"customer": "initech"}, 87.4 if week == 1 else 90.99),
            *([({"customer": "hooli"}, 95.0)] if week == 2 else []),
        ],
        "q_up": [({}, 99.4 if week == 1 else 99.400111)],
        "q_lat": [({}, 120.0 if week == 1 else 150.0)],
    }


@pytest.fixture
def week2(tmp_path: Path) -> RunOutcome:
    return two_weeks(tmp_path, WeeklySource(_answers, late={"hooli": 6}))


def _md(outcome: RunOutcome, agent: int = 0) -> str:
    result = outcome.result
    return render_markdown(build_report(result, result.agents[agent], {}, outcome.trend))


def test_header_gives_the_agents_verdict_then_the_sprints(week2: RunOutcome) -> None:
    md = _md(week2)
    # ops: uptime met, latency missed -> technical 50; satisfaction met -> 100; 0.4*50 + 0.6*100
    assert "**Ops Agent:** ⚠ **AT RISK** 80.0/100 (its own convergence points)\n" in md
    assert "**Sprint:** ⚠ **AT RISK** 80.0/100 (Sprint S)\n" in md
    assert "**Week:** 2, 2026-11-03 00:00 to 2026-11-04 00:00 UTC\n" in md
    pm = _md(week2, agent=1)
    assert "**PM Agent:** ✔ **ACHIEVED** 100.0/100 (its own convergence points)\n" in pm
    assert "**Sprint:** ⚠ **AT RISK** 80.0/100" in pm


def test_goal_value_names_the_series_it_came_from_both_weeks(week2: RunOutcome) -> None:
    md = _md(week2)
    # met series are ranked by margin: initech (0.99 above 90) is the goal's value, not acme
    row = (
        '| ★ 🔑 Satisfaction | &gt; 90 % | 90.99 %, customer="initech" | '
        '87.4 %, customer="initech" | ▲ 3.59 | ✔ Met |'
    )
    assert row in md


def test_series_tables_compare_each_series_with_itself(week2: RunOutcome) -> None:
    md = _md(week2)
    assert '| customer="initech" | 90.99 % | 87.4 % | ▲ 3.59 | ✔ Met |' in md
    assert '| customer="acme" | 93.86 % | 92 % | ▲ 1.86 | ✔ Met |' in md
    assert '| customer="hooli" | 95 % | — | new | ✔ Met |' in md


def test_a_change_finer_than_its_value_shows_as_zero(week2: RunOutcome) -> None:
    md = _md(week2)
    assert "| ★ Uptime | &gt; 99 % | 99.4 % | 99.4 % | = 0 | ✔ Met |" in md
    assert "0.000111" not in md


@pytest.mark.parametrize(
    ("delta", "like", "text"),
    [
        (0.000111, 99.4, "= 0"),
        (-0.0000077, 0.04, "= 0"),
        (0.0012, 0.04, "▲ 0.0012"),
        (60064.7, 1120010.0, "▲ 60,065"),
        (-9.264, 82.83, "▼ 9.26"),
        (0.4, 1500.0, "= 0"),
        (1.0, 6.0, "▲ 1"),
        (None, 5.0, "—"),
    ],
)
def test_change_precision_follows_the_value(delta: float | None, like: float, text: str) -> None:
    assert fmt.change(delta, like) == text


def test_why_explains_the_agents_verdict_and_its_weights(week2: RunOutcome) -> None:
    md = _md(week2)
    assert "### Why Ops Agent is AT RISK\n" in md
    assert (
        "- **Latency** (missed, 150 ms against &lt; 100 ms) costs 20.0 of this agent's points. "
        "It carries 20% of this agent's score (one of its 2 technical goals, which share 40%).\n"
    ) in md
    assert "- 80.0 is below the pass score of 90: AT RISK.\n" in md
    pm = _md(week2, agent=1)
    why = pm.split("### Why PM Agent is ACHIEVED\n")[1].split("\n\n")[0]
    assert why == (
        "- Held up by: **Satisfaction** (met, 100.0 points).\n"
        "- All of this agent's convergence points are met: keep them there and watch the trend."
    )


def test_a_key_goal_veto_is_said_once(tmp_path: Path) -> None:
    def answers(week: int) -> Answers:
        return {**_answers(week), "q_sat": [({"customer": "initech"}, 50.0)]}

    md = _md(two_weeks(tmp_path, WeeklySource(answers)))
    assert md.count("MISSED whatever the score") == 1
    # the sprint's reasons still count what the goal costs, without the veto sentence
    sprint = md.split("### Why the sprint is MISSED\n")[1].split("\n\n")[0]
    assert "- **Satisfaction** (missed, 50 % against &gt; 90 %) costs 60.0 points." in sprint
    assert (
        "- **Satisfaction** (missed, 50 % against &gt; 90 %) costs 60.0 of this agent's points; "
        "as a key goal it makes this agent's verdict (and the sprint's) MISSED whatever the score."
    ) in md


def test_what_changed_lists_status_moves_then_the_largest_moves(week2: RunOutcome) -> None:
    md = _md(week2)
    section = md.split("### What changed since last week\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        '- **Satisfaction**: at risk → met (87.4 %, customer="initech" → 90.99 %, '
        'customer="initech").',
        "- **Latency** moved ▲ 30: 120 ms → 150 ms.",
    ]


def test_quality_notes_group_one_cause_across_goals(tmp_path: Path) -> None:
    def answers(week: int) -> Answers:
        late = [({"customer": "hooli"}, 95.0), ({"customer": "acme"}, 95.0)]
        return {**_answers(week), "q_sat": late, "q_up": late, "q_lat": [({}, 50.0)]}

    md = _md(two_weeks(tmp_path, WeeklySource(answers, late={"hooli": 6})))
    quality = md.split("## Data Quality\n\n")[1].split("\n\n")[0]
    assert quality == (
        '- customer="hooli" has no samples before Tue 06:00 '
        "(2 goals, 6 of 24 samples missing each)."
    )


def test_each_goal_links_to_its_query_in_the_prometheus_ui(week2: RunOutcome) -> None:
    md = _md(week2)
    assert (
        "- **Query:** `q_lat` ([open in Prometheus](http://127.0.0.1:9090/graph?g0.expr=q_lat"
        "&g0.tab=0&g0.range_input=24h&g0.end_input=2026-11-04%2000%3A00%3A00"
        "&g0.step_input=3600))\n"
    ) in md


def test_no_link_when_the_url_carries_credentials(tmp_path: Path) -> None:
    outcome = two_weeks(tmp_path, WeeklySource(_answers), "{url: 'http://u:secret@127.0.0.1:9'}")
    md = _md(outcome)
    assert "open in Prometheus" not in md and "secret" not in md


def test_ui_url_replaces_the_api_address_in_links(tmp_path: Path) -> None:
    settings = "{url: 'http://127.0.0.1:9', ui_url: 'https://prom.example.com/ui'}"
    md = _md(two_weeks(tmp_path, WeeklySource(_answers), settings))
    assert "(https://prom.example.com/ui/graph?g0.expr=q_up&" in md


def test_a_week_in_progress_says_so_once(tmp_path: Path) -> None:
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG.replace("PROMETHEUS", "{}")))
    now = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    source = WeeklySource(_answers)
    outcome = run_week(loaded, RunRequest(1, tmp_path, dry_run=True), now=now, source=source)
    md = _md(outcome)
    assert "**Week:** 1, 2026-11-02 00:00 to 2026-11-02 14:30 UTC, **in progress**\n" in md
    assert md.count("in progress") == 2  # the header and the summary's sentence


def test_an_unscored_goal_is_not_called_met(tmp_path: Path) -> None:
    def answers(week: int) -> Answers:
        return {**_answers(week), "q_sat": []}

    source = WeeklySource(answers)
    text = CONFIG.replace("PROMETHEUS", "{}").replace(
        "customer: {weight: 0.6}}}", "customer: {weight: 0.6}}, no_data: skip}"
    )
    loaded = load_config(write_config(tmp_path / "c.yaml", text), env={})
    outcome = run_week(loaded, RunRequest(2, tmp_path, dry_run=True), now=NOW, source=source)
    pm = _md(outcome, agent=1)
    assert "### Why PM Agent is NO DATA\n" in pm
    assert "All of this agent's convergence points are met" not in pm
    # every text span is escaped, the report's own words too: `no\_data` reads as no_data
    assert "- **Satisfaction** (no data) is left out of this agent's score (no\\_data: skip)." in pm


@pytest.mark.parametrize(
    ("value", "near", "text"),
    [
        (99.904, (99.9,), "99.904"),  # not "99.9" against "> 99.9"
        (0.09996, (0.1,), "0.09996"),  # not "0.1" against "< 0.1"
        (999_999.6, (1_000_000.0,), "999,999.6"),
        (99.95, (99.9,), "99.95"),  # already tells them apart
        (99.9, (99.9,), "99.9"),  # on the bound itself
        (82.83, (100.0, 120.0), "82.83"),
    ],
)
def test_a_value_next_to_its_bound_shows_the_digits_that_tell_them_apart(
    value: float, near: tuple[float, ...], text: str
) -> None:
    assert fmt.number(value, near) == text


def test_a_change_is_as_precise_as_its_value_is_shown() -> None:
    assert fmt.change(0.008, 99.904, (99.9,)) == "▲ 0.008"
    assert fmt.change(0.008, 99.904) == "▲ 0.01"


def test_gap_times_carry_the_date_when_a_window_is_longer_than_a_week(tmp_path: Path) -> None:
    text = CONFIG.replace("PROMETHEUS", "{}").replace("week_days: 1", "week_days: 14")
    loaded = load_config(write_config(tmp_path / "c.yaml", text), env={})

    def answers(week: int) -> Answers:
        late = [({"customer": "hooli"}, 95.0), ({"customer": "acme"}, 95.0)]
        return {**_answers(week), "q_sat": late}

    source = WeeklySource(answers, late={"hooli": 24 * 8})
    outcome = run_week(loaded, RunRequest(1, tmp_path, dry_run=True), now=NOW, source=source)
    assert 'customer="hooli" has no samples before Tue 10 Nov 00:00 (192 of 336' in _md(outcome)


def test_the_email_says_what_changed_in_the_reports_words_as_plain_text(week2: RunOutcome) -> None:
    pm = week2.result.agents[1]
    view = mail_view(week2.result, week2.trend, pm, [])
    assert view.moved == (
        'Satisfaction: at risk → met (87.4 %, customer="initech" → 90.99 %, customer="initech").',
    )
