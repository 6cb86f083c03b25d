"""`python -m pipeline backtest`: the nights and weeks it picks and the two-point baseline (pure),
then the demo weeks 1-3 replayed against the session's real Prometheus: counts, Brier scores
recomputed from --json, nights that see nothing after their --as-of, and usage errors."""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.backtest.predict import Horizon, Subject, projected
from pipeline.backtest.weeks import choose_weeks, nights, parse_weeks
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.model import GoalResult
from pipeline.core.outcomes import Status
from pipeline.core.settings import GoalSpec, Sprint
from pipeline.core.targets import parse_target
from pipeline.demo.promserver import PrometheusServer, free_port
from pipeline.errors import UsageError
from pipeline.run import RunRequest, run_week
from tests.support.configs import shipped_config

NOW = datetime(2026, 11, 26, tzinfo=UTC)  # weeks 1-3 of the demo sprint are complete
DEMO = Sprint("demo", date(2026, 11, 2), 7, "UTC", 60.0, weeks=3)
GOALS = 10


# -- pure parts ------------------------------------------------------------------------------


def test_nights_are_the_local_midnights_strictly_inside_the_week() -> None:
    assert nights(DEMO, 2) == tuple(datetime(2026, 11, d, tzinfo=UTC) for d in range(10, 16))
    # Berlin leaves summer time on 2026-10-25: midnights before are +02:00, after +01:00
    berlin = Sprint("b", date(2026, 10, 22), 5, "Europe/Berlin", 60.0)
    assert [n.isoformat() for n in nights(berlin, 1)] == [
        "2026-10-23T00:00:00+02:00",
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
    ]
    assert nights(Sprint("d", date(2026, 11, 2), 1, "UTC", 60.0), 1) == ()


@pytest.mark.parametrize(("text", "weeks"), [("2", (2, 2)), ("1-3", (1, 3)), (" 2 - 3 ", (2, 3))])
def test_weeks_parse(text: str, weeks: tuple[int, int]) -> None:
    assert parse_weeks(text) == weeks


@pytest.mark.parametrize("text", ["", "x", "1-", "-2", "3-1", "0", "0-2", "1..3", "1-2-3"])
def test_malformed_weeks_are_usage_errors_naming_the_flag(text: str) -> None:
    with pytest.raises(UsageError, match="--weeks"):
        parse_weeks(text)


def test_weeks_chosen_are_complete_and_in_the_sprint() -> None:
    assert choose_weeks(DEMO, None, NOW) == range(1, 4)  # bounded by sprint.weeks
    assert choose_weeks(DEMO, None, datetime(2026, 11, 19, tzinfo=UTC)) == range(1, 3)
    unbounded = Sprint("demo", date(2026, 11, 2), 7, "UTC", 60.0)
    assert choose_weeks(unbounded, None, datetime(2026, 12, 1, tzinfo=UTC)) == range(1, 5)
    assert choose_weeks(DEMO, (2, 3), NOW) == range(2, 4)
    at_the_end = datetime(2026, 11, 23, tzinfo=UTC)  # week 3 ends then: complete
    assert choose_weeks(DEMO, (3, 3), at_the_end) == range(3, 4)
    with pytest.raises(UsageError, match=r"--weeks 3: week 3 is not complete yet"):
        choose_weeks(DEMO, (3, 3), at_the_end - timedelta(seconds=1))
    with pytest.raises(UsageError, match=r"--weeks 2-4: the sprint has 3 weeks"):
        choose_weeks(DEMO, (2, 4), NOW)
    with pytest.raises(UsageError, match=r"no week of the sprint is complete yet.*--weeks"):
        choose_weeks(DEMO, None, datetime(2026, 11, 5, tzinfo=UTC))


def _goal(status: Status, value: float | None, target: str = ">= 90") -> GoalResult:
    spec = GoalSpec("g", "G", "c", "q", "", "last", parse_target(target), None, None, 1.0, False)
    return GoalResult(spec, status, None, value, 1.0)


def test_two_point_projection_baseline() -> None:
    # met so far: 1.0, whatever the horizon or the previous week
    assert projected(_goal(Status.MET, 95), None, 2, 2) == 1.0
    # no previous week, or nothing measured: the status so far (not met)
    assert projected(_goal(Status.AT_RISK, 85), None, 2, 3) == 0.0
    assert projected(_goal(Status.NO_DATA, None), 80, 2, 3) == 0.0
    # 80 at the end of week 1, 85 so far in week 2: +5 a week meets >= 90 in week 3
    assert projected(_goal(Status.AT_RISK, 85), 80, 2, 3) == 1.0
    assert projected(_goal(Status.AT_RISK, 85), 80, 2, 2) == 0.0  # not by this week's end
    assert projected(_goal(Status.AT_RISK, 85), 82, 2, 3) == 0.0  # +3: week 4
    assert projected(_goal(Status.AT_RISK, 85), 88, 2, 9) == 0.0  # moving away
    assert projected(_goal(Status.AT_RISK, 15, "< 14"), 16, 2, 3) == 0.0  # 14 is not < 14
    assert projected(_goal(Status.AT_RISK, 15, "< 14"), 16.5, 2, 3) == 1.0


# -- the demo weeks against a real Prometheus ------------------------------------------------


@dataclass(frozen=True)
class Demo:
    config: Path
    code: int
    out: str
    json: dict[str, Any]


def _main(*argv: str, now: datetime = NOW) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["backtest", *argv], now=now)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Demo:
    """The backtest of every complete week (1-3) of the demo sprint, once for the module."""
    folder = tmp_path_factory.mktemp("backtest")
    config = shipped_config(folder, prometheus.url)
    found = folder / "predictions.json"
    code, out, _ = _main("--config", str(config), "--json", str(found), "-q")
    return Demo(config, code, out, json.loads(found.read_text()) if code == 0 else {})


def _brier_rows(out: str) -> list[tuple[str, str, float, int]]:
    """(section title, method, Brier, predictions) of each Brier table row printed."""
    rows, title = [], ""
    for line in out.splitlines():
        if line.startswith("**"):
            title = line.strip("*")
        found = re.fullmatch(r"\| (forecast|two-point projection) \| ([\d.]+) \| (\d+) \|", line)
        if found:
            rows.append((title, found[1], float(found[2]), int(found[3])))
    return rows


@pytest.mark.prometheus
def test_demo_tables_count_every_night_of_every_goal(demo: Demo) -> None:
    assert demo.code == 0
    nights_replayed = 3 * 6
    assert len(demo.json["nights"]) == nights_replayed
    goal_predictions = nights_replayed * GOALS
    assert demo.out.startswith(
        f"Backtest of weeks 1-3: {nights_replayed} nights (each midnight inside a week), "
        f"{GOALS} goals, {2 * goal_predictions} goal predictions ({goal_predictions} at the "
        f"week's end, {goal_predictions} at the sprint's end)."
    )
    rows = _brier_rows(demo.out)
    goals = [r for r in rows if r[0].startswith("Goals")]
    assert [(r[0], r[1]) for r in goals] == [
        ("Goals met at the week's end", "forecast"),
        ("Goals met at the week's end", "two-point projection"),
        ("Goals met at the sprint's end (week 3)", "forecast"),
        ("Goals met at the sprint's end (week 3)", "two-point projection"),
    ]
    assert {r[3] for r in goals} == {goal_predictions}
    verdicts = [r for r in rows if r[0].startswith("Verdicts")]
    assert {r[3] for r in verdicts} == {nights_replayed * 5}  # the sprint and 4 agents
    # each reliability table's bins hold every goal prediction, for both methods
    tables = re.findall(r"((?:\| \d\.\d–\d\.\d \|.*\n)+)", demo.out)
    assert len(tables) == 2
    for table in tables:
        cells = [line.split("|") for line in table.splitlines()]
        assert sum(int(c[2]) for c in cells) == goal_predictions
        assert sum(int(c[5]) for c in cells) == goal_predictions


@pytest.mark.prometheus
def test_demo_brier_scores_are_those_of_the_json_predictions(demo: Demo) -> None:
    predictions = demo.json["predictions"]
    assert all(
        p.keys() >= {"week", "night", "id", "horizon", "forecast", "projection", "outcome"}
        for p in predictions
    )
    printed = {(r[1], r[2], r[3]) for r in _brier_rows(demo.out)}
    assert len(demo.json["summary"]) == 8  # goals and verdicts x 2 horizons x 2 methods
    for entry in demo.json["summary"]:
        chosen = [
            p
            for p in predictions
            if p["horizon"] == entry["horizon"]
            and (p["subject"] == Subject.GOAL) == (entry["subjects"] == "goals")
        ]
        key = "forecast" if entry["method"] == "forecast" else "projection"
        brier = sum((p[key] - p["outcome"]) ** 2 for p in chosen) / len(chosen)
        assert entry["predictions"] == len(chosen)
        assert entry["brier"] == pytest.approx(brier, abs=1e-12)
        assert (entry["method"], round(brier, 3), len(chosen)) in printed
    # the projection is 0 or 1, and at the week's end it is the status so far
    assert {p["projection"] for p in predictions} == {0.0, 1.0}
    for p in predictions:
        if p["subject"] == Subject.GOAL and p["horizon"] == Horizon.WEEK_END:
            assert p["projection"] == float(p["so_far"] == "met")


@pytest.mark.prometheus
def test_a_night_sees_what_a_dry_run_as_of_it_sees(demo: Demo) -> None:
    """Week 2's Thursday (as of 2026-11-12 00:00): the same values and odds as a dry run
    with that --as-of, and values unlike the complete week's."""
    night = "2026-11-12T00:00:00+00:00"
    loaded = load_config(demo.config, env={})
    week1 = run_week(loaded, RunRequest(1, Path("unused"), dry_run=True), now=NOW).result
    earlier = {g.spec.id: [(1, g.value)] for g in week1.goals if g.value is not None}
    as_of = datetime.fromisoformat(night)
    request = RunRequest(2, Path("unused"), as_of=as_of, dry_run=True, earlier=earlier)
    direct = run_week(loaded, request, now=NOW).result  # as the history would have it
    final = run_week(loaded, RunRequest(2, Path("unused"), dry_run=True), now=NOW).result
    replayed = {
        p["id"]: p
        for p in demo.json["predictions"]
        if p["night"] == night and p["subject"] == "goal" and p["horizon"] == "week_end"
    }
    assert len(replayed) == GOALS
    for goal, whole, before in zip(direct.goals, final.goals, week1.goals, strict=True):
        seen = replayed[goal.spec.id]
        odds = direct.outlook.goals[goal.spec.id].week_end
        assert odds is not None and seen["odds"]
        assert seen["forecast"] == odds.p_met
        assert seen["so_far"] == goal.status.value
        assert seen["value"] == pytest.approx(goal.value)
        assert seen["previous"] == pytest.approx(before.value)
        assert seen["outcome"] == (whole.status is Status.MET)
    changed = [g for g, w in zip(direct.goals, final.goals, strict=True) if g.value != w.value]
    assert len(changed) >= GOALS // 2  # the night did not read the rest of the week
    sprint = next(
        p
        for p in demo.json["predictions"]
        if p["night"] == night and p["subject"] == "sprint" and p["horizon"] == "sprint_end"
    )
    odds_then = direct.outlook.overall.sprint_end
    assert odds_then is not None and sprint["forecast"] == odds_then.p_achieved
    assert sprint["so_far"] == direct.scorecard.verdict.value


@pytest.mark.parametrize("weeks", ["x", "3-1", "0", "2-4"])
def test_bad_weeks_exit_2_naming_the_flag(tmp_path: Path, weeks: str) -> None:
    code, out, err = _main("--config", str(shipped_config(tmp_path)), "--weeks", weeks)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: --weeks {weeks}") and err.count("\n") == 1


def test_a_week_in_progress_exits_2(tmp_path: Path) -> None:
    config = str(shipped_config(tmp_path))
    code, out, err = _main(
        "--config", config, "--weeks", "2-3", now=datetime(2026, 11, 19, 12, tzinfo=UTC)
    )
    assert (code, out) == (2, "")
    assert err == (
        "error: --weeks 2-3: week 3 is not complete yet (it ends on 2026-11-23T00:00:00+00:00); "
        "a backtest needs each week's outcome\n"
    )
    code, _, err = _main("--config", config, now=datetime(2026, 11, 5, tzinfo=UTC))
    assert code == 2 and "nothing to backtest (--weeks)" in err


def test_unreachable_prometheus_exits_3_like_a_run(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = shipped_config(tmp_path, url, {"retries: 3": "retries: 0"})
    json_file = tmp_path / "predictions.json"
    code, out, err = _main("--config", str(config), "--json", str(json_file), "-q")
    assert (code, out) == (3, "")
    assert err == f"error: Prometheus at {url}: connection refused (1 tries)\n"
    assert not json_file.exists()


@pytest.mark.prometheus
def test_the_readme_quotes_the_demo_backtest(demo: Demo) -> None:
    """The README's backtest tables are blocks of what the demo's backtest prints."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("How good are the odds?", 1)[1].split("\n## ", 1)[0]
    quoted = [b for b in section.split("\n\n") if b.startswith(("|", "**"))]
    printed = demo.out.split("\n\n")
    assert len(quoted) >= 4
    assert [b for b in quoted if b.strip() not in {p.strip() for p in printed}] == []
