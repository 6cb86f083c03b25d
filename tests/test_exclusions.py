"""Exclusion windows: a planned migration's spike left out of a goal's week.

A small sprint (10-minute steps) whose latency spikes to 250 ms, and whose uptime series has no
samples, during a migration on Tuesday of week 2. Week 2 is run first without exclusions, then
again into the same folder after the config gained them (a rerun of an old week applies a window
added later): the spike no longer counts, the raw outcome is kept beside the adjusted one, the
gap is not missing, and the report says both. Then: recurrences across a DST change, the config
errors, the forecast and the chart, and the generated rules under `promtool test rules`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import yaml
from numpy.typing import NDArray

from pipeline.config import load_config
from pipeline.core.exclusions import excluded, free_bounds, grid_points, in_window, occurrences
from pipeline.core.formats import Format
from pipeline.core.model import QueryResult, Series
from pipeline.core.outcomes import NoDataPolicy, Status, Verdict
from pipeline.core.settings import Exclusion, Settings, Sprint
from pipeline.errors import ConfigError
from pipeline.generate.rules import rules_yaml
from pipeline.query.ask import query_all
from pipeline.report.charts.draw import EXCLUDED_LABEL, goal_figure
from pipeline.report.excluded import excluded_note
from pipeline.run import RunRequest, run_week
from pipeline.scoring.score import score_excluding, score_goal, score_week, scorecard
from pipeline.scoring.window import week_window
from tests.support.binaries import require_binary
from tests.support.configs import write_config
from tests.support.renderers import RENDERERS, parse, shown

NOW = datetime(2026, 11, 20, tzinfo=UTC)  # week 3 in progress: weeks 1 and 2 are complete
MIGRATION = (datetime(2026, 11, 10, 2, tzinfo=UTC), datetime(2026, 11, 10, 4, tzinfo=UTC))
HOSTILE = "<script>alert(1)</script> **bold** [x](http://evil.example/) `tick` | \x1b[31m"

CONFIG = """
sprint: {name: Exclusions, start: 2026-11-02, step: 10m}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: lat, name: P95 Latency, category: technical, query: q_lat, aggregate: max,
     target: "<= 100", warning: "<= 300", unit: ms}
  - {id: up, name: Uptime, category: technical, query: q_up, aggregate: min, target: ">= 1"}
  - {id: err, name: Errors, category: technical, query: q_err, aggregate: max, target: "< 5"}
agents:
  - {id: ops, name: Ops, goals: [lat, up, err]}
"""
EXCLUSIONS = {
    "exclusions": [
        {
            "id": "db-migration",
            "start": "2026-11-10T02:00:00Z",
            "end": "2026-11-10T04:00:00+00:00",
            "reason": "planned database migration",
            "author": "ops@example.com",
            "goals": ["lat"],
        },
        {
            "id": "hostile",
            "start": "2026-11-10T03:00:00+01:00",  # 02:00 UTC
            "end": "2026-11-10T04:00:00Z",
            "reason": HOSTILE,
            "goals": ["up"],
        },
    ]
}

Curve = Callable[[NDArray[np.float64]], NDArray[np.float64]]  # NaN: no sample there


def _during(ts: NDArray[np.float64], start: datetime, end: datetime) -> NDArray[np.bool_]:
    return (ts >= start.timestamp()) & (ts < end.timestamp())


def _spike(ts: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(_during(ts, *MIGRATION), 250.0, 80.0)


def _gap(ts: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(_during(ts, *MIGRATION), np.nan, 1.0)


def _errors(ts: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(_during(ts, *MIGRATION), 9.0, 1.0)  # no exclusion covers it


CURVES: dict[str, Curve] = {"q_lat": _spike, "q_up": _gap, "q_err": _errors}


class CurveSource:
    """Each query's one series, its value at each step from a curve of the timestamps."""

    def __init__(self, curves: dict[str, Curve]) -> None:
        self.curves = curves

    def query_range(
        self, query: str, first_ts: float, last_ts: float, step_s: float
    ) -> QueryResult:
        ts = np.arange(first_ts, last_ts + step_s / 2, step_s)
        values = self.curves[query](ts)
        seen = ~np.isnan(values)
        return QueryResult(query, (Series((), ts[seen], values[seen]),))


def _config(folder: Path, text: str = CONFIG, extra: dict[str, Any] | None = None) -> Settings:
    body = text + (yaml.safe_dump(extra, sort_keys=False, allow_unicode=True) if extra else "")
    return load_config(write_config(folder / "config.yaml", body), env={})


@dataclass(frozen=True)
class Runs:
    before: dict[str, Any]  # summary.json of week 2 without exclusions
    before_md: str
    after: dict[str, Any]  # the same week rerun after the config gained them
    after_md: str
    after_html: str


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    folder = tmp_path_factory.mktemp("exclusions")
    out = folder / "reports"

    def run(loaded: Settings) -> tuple[dict[str, Any], str, str]:
        request = RunRequest(2, out, formats=(Format.MD, Format.HTML))
        outcome = run_week(loaded, request, now=NOW, source=CurveSource(CURVES))
        assert outcome.folder is not None
        summary = json.loads((outcome.folder / "summary.json").read_text())
        md = (outcome.folder / "ops.md").read_text()
        return summary, md, (outcome.folder / "ops.html").read_text()

    before, before_md, _ = run(_config(folder))
    after, after_md, after_html = run(_config(folder, extra=EXCLUSIONS))
    return Runs(before, before_md, after, after_md, after_html)


def _goal(summary: dict[str, Any], goal_id: str) -> dict[str, Any]:
    return next(g for g in summary["goals"] if g["id"] == goal_id)


def test_without_exclusions_the_spike_costs_the_goal(runs: Runs) -> None:
    lat, up = _goal(runs.before, "lat"), _goal(runs.before, "up")
    assert (lat["status"], lat["value"], lat["exclusions"], lat["raw"]) == (
        "at_risk",
        250,
        [],
        None,
    )
    assert up["coverage"] == pytest.approx(996 / 1008)  # 12 ten-minute steps missing
    assert "12 of 1,008 samples missing" in runs.before_md


def test_a_window_added_later_flips_the_rerun_week_and_keeps_the_raw_result(runs: Runs) -> None:
    lat = _goal(runs.after, "lat")
    assert (lat["status"], lat["value"], lat["score"]) == ("met", 80, 100)
    assert lat["exclusions"] == ["db-migration"]
    assert lat["raw"] == {"value": 250, "status": "at_risk", "score": 50}
    assert lat["coverage"] == 1.0
    # a goal no exclusion covers is scored as before, spike and all
    err = _goal(runs.after, "err")
    assert (err["status"], err["exclusions"], err["raw"]) == ("missed", [], None)
    # the scores follow the adjusted goals: lat 100, up 100, err 0
    assert runs.after["overall"]["score"] == pytest.approx(200 / 3)
    assert runs.after["agents"][0]["score"] == pytest.approx(200 / 3)
    assert runs.before["overall"]["score"] == pytest.approx(150 / 3)


def test_excluded_steps_are_not_expected(runs: Runs) -> None:
    """Uptime has no samples during its exclusion: covered all the same, nothing missing."""
    up = _goal(runs.after, "up")
    assert (up["status"], up["coverage"], up["exclusions"]) == ("met", 1.0, ["hostile"])
    assert up["raw"] == {"value": 1, "status": "met", "score": 100}
    assert "samples missing" not in runs.after_md


def test_the_markdown_says_both_outcomes_and_lists_the_exclusion(runs: Runs) -> None:
    md = runs.after_md
    assert (
        "- **Excluded:** met, 1 exclusion: planned database migration; without it: at risk, "
        "250 ms (score 50.0)\n"
        "  - `db-migration`, 2026-11-10 02:00 to 04:00 UTC: planned database migration "
        "(by ops&#8288;@example&#46;com)\n"
    ) in md
    assert "Excluded" not in runs.before_md


def test_hostile_reason_text_stays_text(runs: Runs) -> None:
    md, html = runs.after_md, runs.after_html
    plain = HOSTILE.replace("\x1b", "")
    assert "\x1b" not in md and "<script>" not in md
    for name, render in RENDERERS.items():  # no element, no link, no bold: the text as written
        page = parse(render(md))
        assert "script" not in {tag for tag, _ in page.elements}, name
        assert not any("evil" in str(attrs) for _, attrs in page.elements), name
        assert shown(plain) in shown(page.text), name
    page = parse(html)
    assert "script" not in {tag for tag, _ in page.elements}
    assert not any("evil" in str(attrs) for _, attrs in page.elements)
    assert shown(plain) in shown(page.text)


def _week(loaded: Settings, week: int, now: datetime = NOW) -> tuple[Any, dict[str, QueryResult]]:
    window = week_window(loaded.sprint, week, now)
    results = dict(query_all(CurveSource(CURVES), [g.query for g in loaded.goals], window))
    return score_week(loaded, window, results, now), results


def test_the_chart_hatches_the_excluded_time(tmp_path: Path) -> None:
    result, results = _week(_config(tmp_path, extra=EXCLUSIONS), 2)
    goal = result.goal("lat")
    figure = goal_figure(goal, results["q_lat"], result.window)
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert labels.count(EXCLUDED_LABEL) == 1
    plain = goal_figure(result.goal("err"), results["q_err"], result.window)
    assert EXCLUDED_LABEL not in plain.axes[0].get_legend_handles_labels()[1]


def test_the_forecast_sees_the_samples_without_the_spike(tmp_path: Path) -> None:
    """Week 2 as of Wednesday noon: the spike (Tuesday) is observed, the forecast of the week's
    max is missed or at risk for sure; without it, it is likely met."""
    as_of = datetime(2026, 11, 11, 12, tzinfo=UTC)
    odds = {}
    for name, extra in (("raw", None), ("excluded", EXCLUSIONS)):
        loaded = _config(tmp_path, extra=extra)
        request = RunRequest(2, tmp_path / "out", as_of=as_of, dry_run=True)
        outcome = run_week(loaded, request, now=NOW, source=CurveSource(CURVES))
        week_end = outcome.result.outlook.goal("lat").week_end
        assert week_end is not None
        odds[name] = week_end.p_met
    assert odds["raw"] == 0.0 and odds["excluded"] > 0.9


BERLIN_CONFIG = CONFIG.replace(
    "start: 2026-11-02, step: 10m", "start: 2026-10-22, step: 10m, timezone: Europe/Berlin"
)
NIGHTLY = {
    "exclusions": [
        {
            "id": "nightly-batch",
            "rrule": "RRULE:freq=daily; byhour=1;",  # shown as FREQ=DAILY;BYHOUR=1
            "duration": "30m",
            "reason": "nightly batch window",
            "goals": ["lat"],
        }
    ]
}
BERLIN = ZoneInfo("Europe/Berlin")


def _nightly_spike(ts: NDArray[np.float64]) -> NDArray[np.float64]:
    """250 from 01:00 to 01:30 Berlin time every night, else 80."""
    local = [datetime.fromtimestamp(t, BERLIN) for t in ts]
    return np.array([250.0 if (t.hour, t.minute // 30) == (1, 0) else 80.0 for t in local])


def test_a_recurrence_stays_at_its_local_hour_across_a_dst_change(tmp_path: Path) -> None:
    """Week 1 runs from Thursday 22 October to Thursday 29 October 2026; Berlin leaves summer
    time on Sunday the 25th. The windows stay at 01:00 local: 23:00 UTC before, 00:00 after."""
    loaded = _config(tmp_path, BERLIN_CONFIG, NIGHTLY)
    sprint, (nightly,) = loaded.sprint, loaded.exclusions
    window = week_window(sprint, 1, NOW)
    spans = occurrences(nightly, sprint, window.start.timestamp(), window.end.timestamp())
    utc = [datetime.fromtimestamp(a, UTC) for a, _ in spans]
    summer = [(day, 23) for day in (21, 22, 23, 24)]  # 01:00 CEST is 23:00 UTC the day before
    winter = [(day, 0) for day in (26, 27, 28)]  # 01:00 CET is 00:00 UTC
    assert [(t.day, t.hour) for t in utc] == summer + winter
    assert all(b - a == 1800 for a, b in spans)
    assert {datetime.fromtimestamp(a, BERLIN).hour for a, _ in spans} == {1}
    # scored: every night's spike is left out, on both sides of the change
    source = CurveSource({**CURVES, "q_lat": _nightly_spike})
    results = dict(query_all(source, [g.query for g in loaded.goals], window))
    lat = score_week(loaded, window, results, NOW).goal("lat")
    assert (lat.status, lat.value) == (Status.MET, 80.0)
    assert lat.raw is not None and (lat.raw.status, lat.raw.value) == (Status.AT_RISK, 250.0)
    assert lat.coverage == 1.0
    note = excluded_note(lat, window)
    assert note is not None
    assert note.lines[0].when == (
        "FREQ=DAILY;BYHOUR=1, 30m each (Europe/Berlin): 7 windows this week, "
        "the first 2026-10-22 01:00 to 01:30"
    )


def _sprint(zone: str = "UTC") -> Sprint:
    return Sprint("S", date(2026, 11, 2), 7, zone, 600.0)


def _at(hour: int, minute: int, day: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_windows_are_half_open_and_steps_between_grid_points_count_once() -> None:
    once = Exclusion("x", "r", start=MIGRATION[0], end=MIGRATION[1])
    start, end = (t.timestamp() for t in MIGRATION)
    (applied,) = in_window([once], _sprint(), start - 86400, end + 86400)
    ts = np.array([start - 1, start, end - 1, end], dtype=np.float64)
    assert excluded([applied], ts).tolist() == [False, True, True, False]
    # 02:05 to 02:25 on a 10-minute grid from 02:00 holds 02:10 and 02:20
    short = Exclusion("y", "r", start=_at(2, 5), end=_at(2, 25))
    (part,) = in_window([short], _sprint(), start, end)
    assert grid_points([part], start, 600.0, 12) == 2
    assert grid_points([part, applied], start, 600.0, 12) == 12  # overlaps count once
    assert free_bounds([part], start, 600.0, 12) == (start, start + 11 * 600)
    assert free_bounds([applied], start, 600.0, 12) is None
    # no overlap, no exclusion
    assert in_window([once], _sprint(), end, end + 600) == ()


def test_coverage_counts_only_the_steps_left_expected(tmp_path: Path) -> None:
    """A series with 4 of the 10 steps left once 2 are excluded: coverage 4/8 (not 4/10)."""
    loaded = _config(tmp_path)
    window = week_window(loaded.sprint, 1, datetime(2026, 11, 2, 1, 40, tzinfo=UTC))
    assert window.expected == 10
    start = window.first_ts
    cut = Exclusion("x", "r", start=_at(0, 15, day=2), end=_at(0, 35, day=2))  # 00:20, 00:30
    applied = in_window([cut], loaded.sprint, start, window.end.timestamp())
    ts = start + 600.0 * np.array([0, 2, 4, 6, 7])  # 00:20 is excluded: 4 samples left
    result = QueryResult("q_lat", (Series((), ts, np.full(5, 50.0)),))
    goal = score_excluding(loaded.goals[0], result, window, NoDataPolicy.FAIL, applied)
    assert goal.coverage == pytest.approx(4 / 8)
    assert goal.series[0].present == 4
    assert goal.raw is not None and goal.raw.status is Status.MET


def test_a_goal_excluded_all_week_is_left_out_of_the_scores_and_vetoes_nothing(
    tmp_path: Path,
) -> None:
    """A freeze over a whole week must not make a met key goal count 0 under `no_data: fail`
    (and veto the verdict): the team left that time out, so the goal is left out."""
    loaded = _config(tmp_path)
    window = week_window(loaded.sprint, 1, datetime(2026, 11, 2, 1, 40, tzinfo=UTC))
    start = window.first_ts
    freeze = Exclusion("freeze", "r", start=_at(0, 0, day=1), end=_at(0, 0, day=3))
    applied = in_window([freeze], loaded.sprint, start, window.end.timestamp())
    ts = start + 600.0 * np.arange(window.expected)
    result = QueryResult("q_lat", (Series((), ts, np.full(window.expected, 50.0)),))
    spec = replace(loaded.goals[0], key=True)
    goal = score_excluding(spec, result, window, NoDataPolicy.FAIL, applied)
    assert (goal.status, goal.score, goal.wholly_excluded) == (Status.NO_DATA, None, True)
    assert goal.raw is not None and goal.raw.status is Status.MET
    card = scorecard([goal], {spec.category: 1.0}, 90, 75, NoDataPolicy.FAIL)
    assert (card.score, card.verdict, card.vetoed_by) == (None, Verdict.NO_DATA, ())
    unexcluded = score_goal(spec, QueryResult("q_lat"), window.expected, NoDataPolicy.FAIL)
    card = scorecard([unexcluded], {spec.category: 1.0}, 90, 75, NoDataPolicy.FAIL)
    assert card.vetoed_by == (spec.id,)  # no data without an exclusion still vetoes


def _problems(tmp_path: Path, exclusions: list[dict[str, Any]]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _config(tmp_path, extra={"exclusions": exclusions})
    assert info.value.exit_code == 2
    return info.value.problems


ONE_OFF = {"id": "a", "start": "2026-11-10T02:00:00Z", "end": "2026-11-10T04:00:00Z", "reason": "r"}
BAD: list[tuple[dict[str, Any], str]] = [
    (
        {**ONE_OFF, "rrule": "FREQ=DAILY", "duration": "1h"},
        "exclusions[0]: give start and end (a one-off window) or rrule and duration (a "
        "recurrence), not both",
    ),
    (
        {"id": "a", "reason": "r"},
        "exclusions[0]: give start and end (a one-off window) or rrule and duration (a recurrence)",
    ),
    (
        {**ONE_OFF, "end": "2026-11-10T02:00:00Z"},
        "exclusions[0].end: 2026-11-10T02:00:00+00:00 is not after start "
        "(2026-11-10T02:00:00+00:00)",
    ),
    (
        {**ONE_OFF, "end": "2026-11-10T03:00:00+02:00"},  # 01:00 UTC
        "exclusions[0].end: 2026-11-10T03:00:00+02:00 is not after start "
        "(2026-11-10T02:00:00+00:00)",
    ),
    ({**ONE_OFF, "start": "2026-11-10 02:00"}, "exclusions[0].start: input should have timezone"),
    ({k: v for k, v in ONE_OFF.items() if k != "reason"}, "exclusions[0].reason: required key"),
    ({**ONE_OFF, "reason": "  "}, "exclusions[0].reason: must not be empty"),
    ({**ONE_OFF, "goals": ["lat", "nope"]}, "exclusions[0].goals[1]: unknown goal id 'nope'"),
    ({**ONE_OFF, "goals": []}, "exclusions[0].goals: list should have at least 1 item"),
    (
        {"id": "a", "rrule": "FREQ=DAILY;BYHOUR=25", "duration": "30m", "reason": "r"},
        "exclusions[0].rrule: 'FREQ=DAILY;BYHOUR=25': hour must be in 0..23",
    ),
    (
        {"id": "a", "rrule": "BYHOUR=1", "duration": "30m", "reason": "r"},
        "exclusions[0].rrule: 'BYHOUR=1': FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, "
        "HOURLY, MINUTELY",
    ),
    (
        {"id": "a", "rrule": "DTSTART:20261101T000000\nRRULE:FREQ=DAILY", "duration": "1h"}
        | {"reason": "r"},
        "exclusions[0].rrule: 'DTSTART:20261101T000000\nRRULE:FREQ=DAILY' is not one RRULE value",
    ),
    (
        {"id": "a", "rrule": "FREQ=DAILY", "duration": "soon", "reason": "r"},
        "exclusions[0].duration: cannot parse duration 'soon'",
    ),
    (
        {"id": "a", "rrule": "FREQ=DAILY", "reason": "r"},
        "exclusions[0]: a recurrence needs both rrule and duration",
    ),
    ({**ONE_OFF, "id": "A b"}, "exclusions[0].id: string should match pattern"),
    (  # refused by dateutil only once iterated: a run would have failed on it
        {"id": "a", "rrule": "FREQ=MINUTELY;INTERVAL=1440;BYHOUR=3", "duration": "1m"}
        | {"reason": "r"},
        "exclusions[0].rrule: 'FREQ=MINUTELY;INTERVAL=1440;BYHOUR=3': Invalid combination of "
        "interval and byhour resulting in empty rule",
    ),
]


@pytest.mark.parametrize(("exclusion", "problem"), BAD, ids=[p for _, p in BAD])
def test_config_errors_name_the_exclusion_and_the_key(
    tmp_path: Path, exclusion: dict[str, Any], problem: str
) -> None:
    (found,) = _problems(tmp_path, [exclusion])
    assert found.startswith(problem), found


def test_duplicate_exclusion_ids_are_a_config_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path, [ONE_OFF, {**ONE_OFF, "reason": "again"}])
    assert problems == ["exclusions[1].id: duplicate id 'a' (also exclusions[0])"]


# `promtool test rules` starts at the unix epoch: a sprint there, spikes at 00:30 to 01:00. A
# day's week: promtool's engine refuses queries of more than 10,000 samples, and `rules.record:
# false` reads a week of the query as a subquery at each step.
RULES_CONFIG = """
sprint: {name: Quiet, start: 1970-01-01, week_days: 1, step: 1m}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: once, name: Once, category: technical, query: once_metric, aggregate: max,
     target: "<= 100", rules_for: 1m}
  - {id: nightly, name: Nightly, category: technical, query: sum(nightly_metric), aggregate: max,
     target: "<= 100", rules_for: 1m}
  - {id: control, name: Control, category: technical, query: control_metric, aggregate: max,
     target: "<= 100", rules_for: 1m}
agents:
  - {id: ops, name: Ops, goals: [once, nightly, control]}
rules: {record: RECORD}
exclusions:
  - {id: migration, start: "1970-01-01T00:30:00Z", end: "1970-01-01T01:00:00Z", reason: m,
     goals: [once]}
  - {id: batch, rrule: "FREQ=DAILY;BYHOUR=0;BYMINUTE=30", duration: 30m, reason: b,
     goals: [nightly]}
  - {id: monthly, rrule: "FREQ=MONTHLY;BYMONTHDAY=1", duration: 1h, reason: c,
     goals: [control]}
"""


@pytest.mark.parametrize("record", [True, False], ids=["recorded", "queries"])
def test_the_rules_stay_quiet_during_and_after_a_window(tmp_path: Path, record: bool) -> None:
    """`once` (a one-off window) and `nightly` (a daily recurrence at 00:30 UTC) spike to 1000
    inside their windows: no alert during or after them, and a week's max of 10; `control`,
    whose monthly exclusion PromQL cannot say, fires and is named in the file's header."""
    config = RULES_CONFIG.replace("RECORD", "true" if record else "false")
    text = rules_yaml(_config(tmp_path, config))
    assert "# exclusion monthly (FREQ=MONTHLY;BYMONTHDAY=1, UTC) is not in these rules" in text
    assert "once_metric) unless on () (vector(time()) >= 1800 < 3600)" in text
    assert "vector(time() % 86400) >= 1800 < 3600" in text
    (tmp_path / "rules.yml").write_text(text)
    spike = "10+0x29 1000+0x29 10+0x60"  # a sample a minute: 1000 from 00:30 to 00:59
    series = [
        {"series": f"{name}_metric", "values": spike} for name in ("once", "nightly", "control")
    ]

    def alerts(at: str, firing: bool) -> list[dict[str, Any]]:
        tests = []
        for goal in ("Once", "Nightly", "Control"):
            fires = firing and goal == "Control"
            labels = {"sprint": "Quiet", "goal": goal.lower(), "category": "technical"}
            labels |= {"agent_ops": "true", "severity": "critical"}
            expected = [{"exp_labels": labels}] if fires else []
            tests.append({"eval_time": at, "alertname": f"{goal}Missed", "exp_alerts": expected})
        return tests

    unit = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": alerts("45m", True) + alerts("90m", True),
                "promql_expr_test": [
                    {
                        "expr": f"max(max_over_time(({_read(text, 'once')})[2h:1m]))",
                        "eval_time": "90m",
                        "exp_samples": [{"labels": "{}", "value": 10}],
                    }
                ],
            }
        ],
    }
    doc = yaml.safe_load(text)
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    promtool = require_binary("promtool", package="prometheus")
    done = subprocess.run(
        [promtool, "test", "rules", "test.yml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _read(text: str, goal: str) -> str:
    """How the rules read `goal`'s samples: its recorded series, or its query."""
    rules = [r for g in yaml.safe_load(text)["groups"] for r in g["rules"]]
    recorded = f"sprint_convergence:goal_value:{goal}"
    if any(r.get("record") == recorded for r in rules):
        return f'{recorded}{{sprint="Quiet"}}'
    return f"({goal}_metric) unless on () (vector(time()) >= 1800 < 3600)"


WEEKLY_CONFIG = """
sprint: {name: Zones, start: 2026-11-02, step: 1m, timezone: ZONE}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: lat, name: Latency, category: technical, query: lat_metric, aggregate: max,
     target: "<= 100"}
agents:
  - {id: ops, name: Ops, goals: [lat]}
exclusions:
  - {id: sunday, rrule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=23", duration: 2h, reason: backups}
"""


def test_a_weekly_recurrence_in_a_fixed_offset_is_a_time_of_week_condition(
    tmp_path: Path,
) -> None:
    """Sunday 23:00 to Monday 01:00 at UTC+3, in seconds from local Monday 00:00 (across the
    week's turn: two ranges); in a zone with DST the rules cannot say it, and the rule file's
    header says so."""
    text = rules_yaml(_config(tmp_path, WEEKLY_CONFIG.replace("ZONE", "Etc/GMT-3")))
    sunday = 6 * 86400 + 23 * 3600
    phase = "vector((time() + 270000) % 604800)"  # UTC+3, and unix 0 was a Thursday
    both = f"{phase} >= {sunday} < 604800 or {phase} >= 0 < 3600"
    assert f"(lat_metric) unless on () ({both})" in text
    berlin = rules_yaml(_config(tmp_path, WEEKLY_CONFIG.replace("ZONE", "Europe/Berlin")))
    assert "unless" not in berlin
    assert "# exclusion sunday (FREQ=WEEKLY;BYDAY=SU;BYHOUR=23, Europe/Berlin) is not" in berlin
