"""Relative targets (`<= +10%` against `baseline: last_week`, `>= -5` against the median of
listed weeks) and `history invalidate`: the bound each run computes from the recorded weeks,
what it drives (status, summary.json, the reports, the pushed metric, alerts, the dashboard),
no baseline yet, odd baselines, invalidated weeks and the command's errors.

Weeks are one day long (`week_days: 1`) and data comes from a fake source, around a fixed NOW.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pypdf import PdfReader

from pipeline import __version__
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.config.load import validate_config
from pipeline.core.formats import Format
from pipeline.core.history import SCHEMA_VERSION, History
from pipeline.core.outcomes import Status
from pipeline.core.settings import Settings
from pipeline.core.text import one_line
from pipeline.errors import ConfigError
from pipeline.generate.dashboard import dashboard_json
from pipeline.generate.rules import rules_yaml
from pipeline.outputs.metrics import week_families
from pipeline.run import RunOutcome, RunRequest, run_week
from pipeline.scoring.baseline import Record, baseline_of, lack_text, left_out_text
from tests.support import ROOT
from tests.support.binaries import require_binary
from tests.support.configs import write_config
from tests.support.fakes import FakeSource
from tests.support.renderers import RENDERERS, parse, shown

NOW = datetime(2026, 11, 26, tzinfo=UTC)  # one-day weeks from 2026-11-02: weeks 1-24 are over
CONFIG = """
sprint: {name: Relative, start: 2026-11-02, week_days: 1, step: 1h, weeks: 6}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: lat, name: Latency, category: technical, query: q_lat, aggregate: max, unit: ms,
     target: "<= +10%", warning: "<= +20%", baseline: last_week}
  - {id: thr, name: Throughput, category: technical, query: q_thr, aggregate: min,
     target: ">= -5", baseline: {weeks: [1, 2], aggregate: median}}
  - {id: up, name: Up, category: technical, query: q_up, aggregate: min, target: ">= 1"}
agents:
  - {id: one, name: Agent One, goals: [lat, thr, up]}
"""
# the recorded weeks: latency's worst series (c="x"; c="y" is 10 ms lower) and throughput
WEEKS = {1: (82.5, 1000.0), 2: (92.1, 1100.0)}
REASON = "load test <script>alert(1)</script> **all** [x](javascript:y)\nline two \x1b[31m"
SCHEMA = json.loads((ROOT / "docs" / "summary.schema.json").read_text())


def _answers(latency: float, throughput: float) -> FakeSource:
    return FakeSource(
        {
            "q_lat": [({"c": "x"}, latency), ({"c": "y"}, latency - 10)],
            "q_thr": [({}, throughput)],
            "q_up": [({}, 1.0)],
        }
    )


def _run(
    loaded: Settings,
    out: Path,
    week: int,
    latency: float,
    throughput: float,
    formats: tuple[Format, ...] = (Format.MD, Format.HTML),
    **request: Any,
) -> RunOutcome:
    wanted = RunRequest(week, out, formats=formats, **request)
    return run_week(loaded, wanted, now=NOW, source=_answers(latency, throughput))


@dataclass(frozen=True)
class Recorded:
    """Weeks 1 and 2 run and recorded in `out`."""

    config: Path
    loaded: Settings
    out: Path

    def copy(self, folder: Path) -> Path:
        """A copy of the output folder (history and week folders) to change."""
        shutil.copytree(self.out, folder / "out")
        return folder / "out"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    folder = tmp_path_factory.mktemp("relative")
    config = write_config(folder / "c.yaml", CONFIG)
    loaded = load_config(config, env={})
    for week, (latency, throughput) in WEEKS.items():
        _run(loaded, folder / "out", week, latency, throughput)
    return Recorded(config, loaded, folder / "out")


def _summary(out: Path, week: int) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / f"week-{week:02d}" / "summary.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return document


def _goal(document: dict[str, Any], goal_id: str) -> dict[str, Any]:
    return next(g for g in document["goals"] if g["id"] == goal_id)


def _text(out: Path, week: int, kind: str) -> str:
    """The report as a reader sees it: Markdown through a renderer, or the HTML page."""
    page = (out / f"week-{week:02d}" / f"one.{kind}").read_text()
    return shown(parse(RENDERERS["cmark-gfm"](page) if kind == "md" else page).text)


def test_week_one_has_no_baseline_yet_and_is_no_data_with_the_reason(recorded: Recorded) -> None:
    document = _summary(recorded.out, 1)
    latency, throughput = _goal(document, "lat"), _goal(document, "thr")
    assert latency["status"] == "no_data" and latency["score"] == 0.0  # no_data: fail
    assert latency["message"] == "no baseline yet: week 1 has no week before it"
    # its value is recorded all the same: week 2 has a baseline
    assert latency["value"] == 82.5 and latency["target"] == "<= +10%"
    assert latency["baseline"] == {"relative": "<= +10%", "weeks": [], "value": None, "bound": None}
    assert throughput["message"] == "no baseline yet: week 1 is this week, week 2 is still to come"
    assert _goal(document, "up")["baseline"] is None
    for kind in ("md", "html"):
        text = _text(recorded.out, 1, kind)
        assert "<= +10 % of last week's value: no baseline yet: week 1 has no week before it" in (
            text
        )
        assert "<= +10 % (no baseline)" in text


def test_week_two_is_judged_against_last_weeks_value_plus_ten_percent(
    recorded: Recorded,
) -> None:
    document = _summary(recorded.out, 2)
    latency = _goal(document, "lat")
    assert latency["baseline"] == {
        "relative": "<= +10%",
        "weeks": [1],
        "value": 82.5,
        "bound": 90.75,
    }
    assert (latency["target"], latency["warning"], latency["status"]) == (
        "<= 90.75",
        "<= 99",
        "at_risk",
    )
    throughput = _goal(document, "thr")  # week 2 is this week: the median of week 1 alone
    assert throughput["baseline"]["weeks"] == [1] and throughput["target"] == ">= 995"
    for kind in ("md", "html"):
        text = _text(recorded.out, 2, kind)
        assert "92.1 ms against <= 90.75 ms: last week's 82.5 ms +10 %" in text
        assert "<= 90.75 ms (last week +10 %)" in text
        assert "1,100 against >= 995: week 1's 1,000 -5 (week 2 is this week)" in text
    site = shown(parse((recorded.out / "week-02" / "index.html").read_text()).text)
    assert "<= 90.75 ms (<= +10%)" in site
    csv = (recorded.out / "week-02" / "goals.csv").read_text().splitlines()
    header, row = csv[0].split(","), csv[1].split(",")
    assert row[header.index("baseline_bound")] == "90.75"


@pytest.mark.parametrize(
    ("latency", "status"),
    [(90.75, Status.MET), (95.0, Status.AT_RISK), (99.0, Status.AT_RISK), (99.5, Status.MISSED)],
)
def test_statuses_against_the_computed_bound_and_warning(
    recorded: Recorded, latency: float, status: Status
) -> None:
    """Week 2 again, as a dry run: `<= +10%` of 82.5 is 90.75, `<= +20%` is 99 (inclusive)."""
    before = (recorded.out / "history.sqlite").read_bytes()
    result = _run(recorded.loaded, recorded.out, 2, latency, 1100.0, dry_run=True).result
    goal = result.goal("lat")
    assert goal.status is status and str(goal.spec.target) == "<= 90.75"
    assert goal.baseline is not None and goal.baseline.bound == 90.75
    assert (recorded.out / "history.sqlite").read_bytes() == before  # a dry run writes nothing


def test_listed_weeks_take_their_median_and_last_week_the_week_before(
    recorded: Recorded,
) -> None:
    result = _run(recorded.loaded, recorded.out, 3, 101.0, 1046.0, dry_run=True).result
    throughput, latency = result.goal("thr"), result.goal("lat")
    assert throughput.baseline is not None
    assert (throughput.baseline.weeks, throughput.baseline.value) == ((1, 2), 1050.0)
    assert str(throughput.spec.target) == ">= 1045" and throughput.status is Status.MET
    assert str(latency.spec.target) == "<= 101.31" and latency.status is Status.MET
    missed = _run(recorded.loaded, recorded.out, 3, 101.5, 1044.0, dry_run=True).result
    assert missed.goal("thr").status is Status.MISSED
    assert missed.goal("lat").status is Status.AT_RISK


def test_the_pushed_target_metric_carries_the_resolved_bounds(recorded: Recorded) -> None:
    def bounds(week: int) -> dict[str, float]:
        result = _run(recorded.loaded, recorded.out, week, 92.1, 1100.0, dry_run=True).result
        family = next(f for f in week_families(result, 1.0, 0.0) if f.name.endswith("target"))
        return {s.labels["bound"]: s.value for s in family.samples if s.labels["goal"] == "lat"}

    assert bounds(1) == {}  # no baseline: no bound pushed (and no alert judges it)
    assert bounds(2) == {"target_max": 90.75, "warning_max": 99.0}


def test_a_week_in_progress_forecasts_against_the_bound_for_this_week_only(
    recorded: Recorded,
) -> None:
    """Week 3 at noon: last_week's bound moves by the sprint's end, listed weeks' does not."""
    noon = datetime(2026, 11, 4, 12, tzinfo=UTC)
    result = _run(recorded.loaded, recorded.out, 3, 95.0, 1100.0, dry_run=True, as_of=noon).result
    latency, throughput = result.outlook.goal("lat"), result.outlook.goal("thr")
    assert latency.week_end is not None and latency.week_end.p_met > 0.9  # 95 <= 101.31
    assert latency.sprint_end is None
    assert throughput.week_end is not None and throughput.sprint_end is not None


def test_an_invalidated_week_is_left_out_and_later_reports_say_so(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = recorded.copy(tmp_path)
    args = ["history", "invalidate", "--config", str(recorded.config), "--output", str(out)]
    assert main([*args, "--week", "2", "--reason", "first thought"], now=NOW) == 0
    assert main([*args, "--week", "2", "--reason", REASON], now=NOW) == 0
    said = capsys.readouterr().out
    assert f"week 2 is left out of baselines from now on ({out / 'history.sqlite'})" in said
    assert "it replaces the reason given at 2026-11-26T00:00:00+00:00: first thought" in said
    formats = (Format.MD, Format.HTML, Format.PDF)
    result = _run(recorded.loaded, out, 3, 95.0, 1100.0, formats).result
    latency, throughput = result.goal("lat"), result.goal("thr")
    assert latency.baseline is not None and latency.baseline.weeks == (1,)
    assert str(latency.spec.target) == "<= 90.75" and latency.status is Status.AT_RISK
    assert throughput.baseline is not None and throughput.baseline.weeks == (1,)
    document = _summary(out, 3)
    stored = one_line(REASON).strip()  # no control characters kept, in the history or here
    assert document["invalidated"] == [{"week": 2, "reason": stored, "at": NOW.isoformat()}]
    assert _goal(document, "lat")["baseline"]["weeks"] == [1]
    note = f"Week 2 is left out of baselines: {one_line(REASON)}."
    for kind in ("md", "html"):
        text = _text(out, 3, kind)
        assert shown(note) in text
        assert "95 ms against <= 90.75 ms: week 1's 82.5 ms +10 % (week 2 is left out of" in text
    markdown = (out / "week-03" / "one.md").read_text()
    html = (out / "week-03" / "one.html").read_text()
    for renderer in RENDERERS.values():  # the reason is text: no element comes from it
        elements = parse(renderer(markdown)).elements
        assert not [t for t, a in elements if t == "script" or "javascript" in str(a)]
    assert "<script>" not in html and "\x1b" not in markdown + html
    pdf = "".join(
        "\n".join(p.extract_text() for p in PdfReader(out / "week-03" / "one.pdf").pages).split()
    )
    assert "".join(note.split()) in pdf
    # a dry run reads the invalidation too, and writes nothing
    again = _run(recorded.loaded, out, 3, 95.0, 1100.0, dry_run=True).result
    assert again.goal("lat").baseline == latency.baseline


def _record(values: dict[int, float], invalidated: dict[int, str] | None = None) -> Record:
    return Record({"lat": tuple(values.items())}, invalidated or {})


@pytest.mark.parametrize(
    ("target", "values", "week", "bound", "message"),
    [
        ("<= +10%", {1: 80.0}, 3, 88.0, "week 2 has no recorded value"),  # last_week falls back
        ("<= +10%", {}, 3, None, "no baseline yet: weeks 1 and 2 have no recorded value"),
        ("<= +10%", {1: 0.0}, 2, None, "no bound: week 1's baseline 0 is not above 0, and a "
         "percent of it gives no bound (an amount, like '<= +5', does)"),
        ("<= +10%", {1: -4.0}, 2, None, "no bound: week 1's baseline -4 is not above 0, and a "
         "percent of it gives no bound (an amount, like '<= +5', does)"),
        ("<= +5", {1: -4.0}, 2, 1.0, None),  # an amount works from any baseline
        ("<= +10%", {1: 1.7e308}, 2, None,
         "no bound: week 1's baseline 1.7e+308 gives a bound that is not a finite number"),
        ("<= -100%", {1: 50.0}, 2, 0.0, None),
        ("<= +0.1%", {1: 0.1}, 2, 0.1001, None),  # without noise: not 0.10010000000000001
        ("<= +0%", {1: 1 / 3}, 2, 1 / 3, None),  # but with every digit a baseline has
        (">= -0.1", {1: 0.3}, 2, 0.2, None),  # not 0.19999999999999998
    ],
)  # fmt: skip
def test_odd_baselines(
    target: str,
    values: dict[int, float],
    week: int,
    bound: float | None,
    message: str | None,
) -> None:
    raw = yaml.safe_load(CONFIG)
    raw["goals"][0] |= {"target": target, "warning": None}
    spec = validate_config(raw, Path("c.yaml"), env={}).goals[0]
    baseline = baseline_of(spec, week, _record(values))
    assert baseline.bound == bound
    if bound is None:
        assert lack_text(baseline) == message
    elif message:
        assert left_out_text(baseline.left_out, week) == message


def test_a_history_that_cannot_be_read_leaves_a_dry_runs_relative_goals_without_baseline(
    recorded: Recorded, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "history.sqlite").write_bytes(b"not a database" * 100)
    result = _run(recorded.loaded, out, 2, 92.1, 1100.0, dry_run=True).result
    latency = result.goal("lat")
    assert latency.status is Status.NO_DATA and latency.message is not None
    assert latency.message.startswith("no baseline: the history cannot be read (")
    assert result.goal("up").status is Status.MET
    assert (out / "history.sqlite").read_bytes() == b"not a database" * 100


def test_a_schema_2_history_reads_and_is_upgraded_by_an_invalidation(
    recorded: Recorded, tmp_path: Path
) -> None:
    out = recorded.copy(tmp_path)
    path = out / "history.sqlite"
    with sqlite3.connect(path) as db:  # as 0.2 to issue 24 left it
        db.execute("DROP TABLE invalidations")
        db.execute("PRAGMA user_version = 2")
    db.close()
    before = path.read_bytes()
    past = History(path).peek(3)
    assert [w.week for w in past.weeks] == [1, 2] and past.invalidated == ()
    assert path.read_bytes() == before
    assert History(path).invalidate(2, "bad week", NOW.isoformat()) is None
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    db.close()
    assert [i.week for i in History(path).before(3).invalidated] == [2]


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (["--week", "0", "--reason", "x"], 2, "argument --week: weeks start at 1, not 0"),
        (["--week", "two", "--reason", "x"], 2, "expected a week number, not 'two'"),
        (["--week", "2", "--reason", " \n "], 2, "--reason: say why the week is left out"),
        (["--week", "2"], 2, "the following arguments are required: --reason"),
        (["--week", "7", "--reason", "x"], 2, "--week 7: the sprint has 6 weeks (sprint.weeks)"),
    ],
)
def test_history_invalidate_usage_errors(
    recorded: Recorded,
    args: list[str],
    code: int,
    error: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = (recorded.out / "history.sqlite").read_bytes()
    base = ["history", "invalidate", "--config", str(recorded.config), "--output"]
    assert main([*base, str(recorded.out), *args], now=NOW) == code
    assert error in capsys.readouterr().err
    assert (recorded.out / "history.sqlite").read_bytes() == before


def test_history_invalidate_file_problems_are_exit_1(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["history", "invalidate", "--config", str(recorded.config), "--week", "2"]
    nowhere = tmp_path / "nowhere"
    assert main([*base, "--reason", "x", "--output", str(nowhere)], now=NOW) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: {nowhere / 'history.sqlite'}: no run history there (run a week first, or give "
        "the folder that holds it with --output)\n"
    )
    assert not nowhere.exists()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "history.sqlite").write_bytes(b"x" * 4096)
    assert main([*base, "--reason", "x", "--output", str(broken)], now=NOW) == 1
    assert "cannot be used as the run history (file is not a database)" in capsys.readouterr().err
    assert main(["history"]) == 2
    assert "the following arguments are required: invalidate" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:  # argparse's version action exits
        main(["history", "invalidate", "--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"python -m pipeline history invalidate {__version__}\n"


@pytest.mark.parametrize(
    ("goal", "problem"),
    [
        ({"target": "<= +10%"}, "goals[0].target: '<= +10%' is relative: it needs baseline: "
         "(last_week, or {weeks: [1, 2], aggregate: median})"),
        ({"target": "<= 100", "baseline": "last_week"}, "goals[0].target: '<= 100' is absolute, "
         "but the goal has a baseline: give a relative target ('<= +10%', '>= -5'), or remove "
         "baseline"),
        ({"baseline": "yesterday"}, "goals[0].baseline: expected 'last_week' or {weeks: [1, 2], "
         "aggregate: median}, not 'yesterday'"),
        ({"baseline": {"weeks": []}}, "goals[0].baseline.weeks: list should have at least 1 "
         "item after validation, not 0"),
        ({"baseline": {"weeks": [0]}}, "goals[0].baseline.weeks[0]: input should be greater "
         "than or equal to 1 (got 0)"),
        ({"baseline": {"weeks": [2, 2]}}, "goals[0].baseline.weeks: week 2 is listed twice"),
        ({"baseline": {"weeks": [7]}}, "goals[0].baseline.weeks[0]: week 7 is past the "
         "sprint's last week (sprint.weeks: 6)"),
        ({"baseline": {"aggregate": "mean"}}, "goals[0].baseline: give the weeks, like "
         "{weeks: [1, 2], aggregate: median}"),
        ({"baseline": {"weeks": [1], "aggregate": "p95"}}, "goals[0].baseline.aggregate: input "
         "should be 'median', 'mean', 'min' or 'max' (got 'p95')"),
        ({"baseline": "last_week", "target": "<= 10%"}, "goals[0].target: '<= 10%': give the "
         "amount a sign, '+' above the baseline or '-' below it (like '<= +10%')"),
        ({"baseline": "last_week", "target": "== +5"}, "goals[0].target: '== +5': a relative "
         "target takes >=, >, <= or <, not =="),
        ({"baseline": "last_week", "target": "<= +1e999"}, "goals[0].target: '<= +1e999': the "
         "amount must be a finite number"),
        ({"baseline": "last_week", "warning": "<= +5%"}, "goals[0].warning: '<= +5%' does not "
         "contain the target '<= +10%' (the warning must hold every value that meets the "
         "target)"),
        ({"baseline": "last_week", "warning": "<= +20"}, "goals[0].warning: '<= +20' and the "
         "target '<= +10%' must both be percents or both amounts (then the warning holds the "
         "target whatever the baseline)"),
        ({"baseline": "last_week", "warning": "<= 200"}, "goals[0].warning: '<= 200' is "
         "absolute, but the target is relative: give a relative warning against the same "
         "baseline ('<= +20%')"),
        ({"target": ">= 1", "warning": ">= +5%"}, "goals[0].warning: '>= +5%' is relative: it "
         "needs baseline: and a relative target"),
    ],
)  # fmt: skip
def test_bad_relative_targets_are_config_errors(goal: dict[str, Any], problem: str) -> None:
    raw = yaml.safe_load(CONFIG)
    raw["goals"] = [
        {k: v for k, v in raw["goals"][0].items() if k not in ("warning", "baseline")} | goal
    ]
    raw["agents"][0]["goals"] = ["lat"]
    with pytest.raises(ConfigError) as caught:
        validate_config(raw, Path("c.yaml"), env={})
    assert caught.value.problems == [problem]


def test_a_signed_number_without_baseline_stays_absolute_with_a_note() -> None:
    raw = yaml.safe_load(CONFIG)
    raw["goals"][2] |= {"target": ">= +1", "warning": ">= -5"}
    loaded = validate_config(raw, Path("c.yaml"), env={})
    assert loaded.goals[2].relative is None and loaded.goals[2].target.low == 1
    assert loaded.notes == (
        "goals[2].target: '>= +1' is absolute (the goal has no baseline); add baseline: to "
        "compare with earlier weeks",
    )


def _promtool_test(
    folder: Path, rules: str, series: list[dict[str, str]], tests: list[Any]
) -> None:
    document = yaml.safe_load(rules)
    for group in document["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)  # only the labels are compared
    (folder / "rules.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    unit = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": tests}],
    }
    (folder / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    promtool = require_binary("promtool", package="prometheus")
    done = subprocess.run(
        [promtool, "test", "rules", "test.yml"], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


PUSHED = 'sprint="Relative",job="sprint_convergence",instance="pushgateway"'
TARGET = "sprint_convergence_goal_target"
SUCCESS = "sprint_convergence_last_success_timestamp_seconds"


def _pushed(week: int, target: float, warning: float, success: str) -> list[dict[str, str]]:
    where = f'{PUSHED},week="{week}",goal="lat"'
    return [
        {"series": f'{TARGET}{{{where},bound="target_max"}}', "values": f"{target}+0x60"},
        {"series": f'{TARGET}{{{where},bound="warning_max"}}', "values": f"{warning}+0x60"},
        {"series": f'{SUCCESS}{{{PUSHED},week="{week}"}}', "values": success},
    ]


def test_alerts_judge_the_week_against_the_bound_the_latest_run_pushed(
    recorded: Recorded, tmp_path: Path
) -> None:
    """c="x" at 95 ms, c="y" at 85 ms, c="z" at 100 ms. Week 2's run pushed <= 90.75 (warning
    <= 99): x is at risk, z missed. Once week 3's run (<= 101.31, warning <= 110.52) is the
    latest, neither; and before any run pushed a bound, nothing fires."""
    rules = replace(recorded.loaded.rules, for_="1m", record=False)
    text = rules_yaml(replace(recorded.loaded, rules=rules))
    assert "LatSlipping" not in text  # its bound moves every week
    series = [
        {"series": f'q_lat{{c="{c}"}}', "values": f"{v}+0x60"}
        for c, v in (("x", 95), ("y", 85), ("z", 100))
    ]
    series += _pushed(2, 90.75, 99, "200+0x60")
    series += _pushed(3, 101.31, 110.52, "_x20 3000+0x40")  # week 3's run at 20m
    labels = {"sprint": "Relative", "goal": "lat", "category": "technical", "agent_one": "true"}

    def firing(severity: str, *cases: str) -> list[dict[str, Any]]:
        return [{"exp_labels": {**labels, "severity": severity, "c": c}} for c in cases]

    tests = [
        {"eval_time": "10m", "alertname": "LatAtRisk", "exp_alerts": firing("warning", "x", "z")},
        {"eval_time": "10m", "alertname": "LatMissed", "exp_alerts": firing("critical", "z")},
        {"eval_time": "55m", "alertname": "LatMissed", "exp_alerts": []},
        {"eval_time": "55m", "alertname": "LatAtRisk", "exp_alerts": []},
    ]
    _promtool_test(tmp_path, text, series, tests)
    unpushed = [{"eval_time": "10m", "alertname": "LatAtRisk", "exp_alerts": []}]
    _promtool_test(tmp_path, text, series[:3], unpushed)


def test_the_dashboard_draws_no_fixed_threshold_for_a_relative_goal(recorded: Recorded) -> None:
    panels = {p["title"]: p for p in _panels(json.loads(dashboard_json(recorded.loaded)))}
    relative = panels["Latency"]["fieldConfig"]["defaults"]
    assert relative["thresholds"]["steps"] == [{"value": None, "color": "transparent"}]
    assert relative["custom"]["thresholdsStyle"]["mode"] == "off"
    absolute = panels["Up"]["fieldConfig"]["defaults"]
    assert [s["color"] for s in absolute["thresholds"]["steps"]] == ["red", "green"]
    targets = [t["expr"] for t in panels["Latency"]["targets"]]
    assert any('sprint_convergence_goal_target{sprint="Relative",goal="lat"' in e for e in targets)


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])
