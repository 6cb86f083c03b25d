"""The generated alert rules replayed over the demo's three weeks in a real Prometheus
(tests/support/replay.py): how often each alert fires, and whether the goal alerts firing at
each week's end are the goals the report does not call met. First the harness's own parts
(alerting semantics, recording-rule passes), then a rule file of chained recording rules, then
the rules generated from the shipped config.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from pipeline.config import load_config
from pipeline.generate.rules import rules_yaml
from tests.support.binaries import require_binary
from tests.support.configs import shipped_config
from tests.support.replay import (
    Replay,
    Week,
    agreement,
    alert_rules,
    alert_states,
    default_span,
    demo_blocks,
    evaluate,
    markdown_table,
    record_rules,
    replay_prometheus,
    report_statuses,
    sprint_weeks,
)

pytestmark = pytest.mark.prometheus
# The replay's sprint samples every 5 minutes (config.yaml: 1m): the report scores those
# samples and the rules record them at that interval, so both judge the same thing, at a
# twenty-fifth of the cost (a week's window holds 2,016 samples, evaluated 2,016 times a week).
# `python -m tests.support.replay --config config.yaml` replays the shipped 1m sprint.
# keep_firing_for spans 12 of its steps (the shipped 30m spans 30 one-minute steps): a `last`
# value on its bound (globex's satisfaction at 90 against "> 90") is one alert, not ten.
SPRINT_STEP = {"step: 1m": "step: 5m", "\nagents:": "\nrules: {keep_firing_for: 1h}\nagents:"}
STEP_S = 300.0
MAX_EPISODES = 3


# -- the harness's parts ---------------------------------------------------------------------


def _states(present: str, for_s: float = 0, keep_s: float = 0) -> str:
    """`alert_states` on a string of evaluations one minute apart (x: returned, .: not),
    as a string (F: firing, .: not)."""
    times = [60.0 * i for i in range(len(present))]
    flags = alert_states([c == "x" for c in present], times, for_s, keep_s)
    return "".join("F" if f else "." for f in flags)


def test_alert_states_follow_prometheus_for_and_keep_firing_for() -> None:
    assert _states("..xx.x..") == "..FF.F.."  # no `for`: fires at once
    # for 2m: pending at the first evaluation, firing once returned for 2m; a gap resets it
    assert _states("xx.xxxx.x", for_s=120) == ".....FF.."
    # keep_firing_for 2m: still firing at the two evaluations that miss it, then resolved
    assert _states("xxx....", for_s=60, keep_s=120) == ".FFFF.."
    # returned again while kept firing: firing on, the keep starts again at the next miss
    assert _states("xx.x...", keep_s=120) == "FFFFFF."
    # a pending series is not kept
    assert _states("x...", for_s=120, keep_s=600) == "...."


CHAINED = """
groups:
- name: raw
  rules:
  - record: replay:throughput
    expr: sum(rate(attribution_events_processed_total[5m]))
  - record: replay:throughput:week
    expr: avg_over_time(replay:throughput[7d])
    labels: {goal: event_throughput}
- name: weekly
  interval: 5m
  rules:
  - record: replay:throughput:week_low
    expr: replay:throughput:week < 1000000
  - alert: EventThroughputAtRisk
    expr: replay:throughput:week_low
    for: 30m
    keep_firing_for: 1h
    labels: {severity: warning}
- name: other
  rules:
  - record: x2
    expr: '{__name__="replay:throughput"} * 2'
"""


def test_recording_rules_get_one_pass_per_dependency_level() -> None:
    levels = {r.record: r.level for r in record_rules(CHAINED)}
    assert levels == {
        "replay:throughput": 0,
        "replay:throughput:week": 1,
        "replay:throughput:week_low": 2,
        "x2": 1,  # reads replay:throughput through __name__
    }
    cycle = "groups: [{name: g, rules: [{record: a, expr: b}, {record: b, expr: a + 1}]}]"
    with pytest.raises(ValueError, match="cycle"):
        record_rules(cycle)
    (alert,) = alert_rules(CHAINED)
    assert (alert.for_s, alert.keep_firing_for_s, alert.goal) == (1800, 3600, None)


# -- Prometheus ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shipped:
    """The replay of the rules generated from config.yaml and the report's statuses."""

    weeks: tuple[Week, ...]
    result: Replay
    statuses: dict[int, dict[str, str]]
    config: Path


@pytest.fixture(scope="module")
def blocks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_binary("prometheus")
    require_binary("promtool", package="prometheus")
    return demo_blocks(tmp_path_factory.mktemp("replay-demo"))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory, blocks: Path) -> Iterator[Shipped]:
    work = tmp_path_factory.mktemp("replay-shipped")
    loaded = load_config(shipped_config(work, replace=SPRINT_STEP), env={})
    rules_text = rules_yaml(loaded)
    weeks = sprint_weeks(loaded)
    with replay_prometheus(rules_text, blocks, work / "prometheus", default_span(weeks)) as server:
        result = evaluate(server.url, rules_text, weeks, STEP_S)
        config = shipped_config(work, server.url, replace=SPRINT_STEP)
        statuses = report_statuses(config, [w.number for w in weeks])
    print(markdown_table(result, statuses))  # shown with -s, or when a test fails
    yield Shipped(weeks, result, statuses, config)


def test_weeks_are_the_pipelines_and_the_report_tells_the_demos_story(shipped: Shipped) -> None:
    assert [(w.number, w.start.isoformat()) for w in shipped.weeks] == [
        (1, "2026-11-02T00:00:00+00:00"),
        (2, "2026-11-09T00:00:00+00:00"),
        (3, "2026-11-16T00:00:00+00:00"),
    ]
    assert len(shipped.weeks[0].steps(STEP_S)) == 7 * 24 * 12
    week3 = shipped.statuses[3]
    assert len(week3) == 10
    assert {g for g, s in week3.items() if s != "met"} == {"time_to_launch"}
    alerts = [a.name for a in shipped.result.alerts]
    assert alerts[0] == "EventThroughputAtRisk" and alerts[-1] == "SprintConvergenceRunStale"
    for alert in alerts:
        for week in (1, 2, 3):
            assert 0 <= shipped.result.firing_hours[alert, week] <= 7 * 24
    rows = markdown_table(shipped.result, shipped.statuses).splitlines()
    assert rows[0].startswith("| Alert | Episodes week 1 | Episodes week 2 | Episodes week 3 |")
    assert [r.split(" | ")[0] for r in rows[2 : 2 + len(alerts)]] == [f"| {a}" for a in alerts]
    assert rows[1 + len(alerts)].endswith("| – / – / – |")  # the stale-run alert: no goal


def test_chained_recording_rules_are_backfilled_and_their_alert_replayed(
    tmp_path: Path, blocks: Path, shipped: Shipped
) -> None:
    """Three levels of recording rules (one group at 5m): each pass reads the one before; the
    alert on the week's mean throughput agrees with the report at each week's end."""
    weeks = shipped.weeks
    count = "count_over_time(replay:throughput:week[1d])"  # the day before week 2
    with replay_prometheus(CHAINED, blocks, tmp_path, default_span(weeks)) as server:
        result = evaluate(server.url, CHAINED, weeks, STEP_S)
        answer = requests.get(
            f"{server.url}/api/v1/query",
            params={"query": count, "time": str(weeks[1].start.timestamp())},
            timeout=10,
        ).json()
    (series,) = answer["data"]["result"]
    assert series["metric"] == {"goal": "event_throughput"}
    assert float(series["value"][1]) == 24 * 60  # one a minute, the sprint's step
    assert (tmp_path / "rules-pass-2.yml").exists()
    agrees = agreement(result, shipped.statuses)
    assert [agrees[w.number]["event_throughput"] for w in weeks] == [True, True, True]
    assert result.firing_at_end[1] == {("EventThroughputAtRisk", "event_throughput")}
    assert all(result.episodes["EventThroughputAtRisk", w.number] <= MAX_EPISODES for w in weeks)


def test_no_alert_fires_more_than_three_times_a_week(shipped: Shipped) -> None:
    result = shipped.result
    flapping = {key: count for key, count in result.episodes.items() if count > MAX_EPISODES}
    assert flapping == {}


def test_goal_alerts_at_each_weeks_end_are_the_goals_the_report_does_not_call_met(
    shipped: Shipped,
) -> None:
    """A relative goal's alerts judge it against the bound the latest run pushed (none in a
    replay: test_relative_targets.py has them against pushed bounds): here they stay quiet."""
    relative = {g.id for g in load_config(shipped.config, env={}).goals if g.relative}
    assert relative == {"p95_latency"}
    agrees = agreement(shipped.result, shipped.statuses)
    disagree = {
        (week, goal)
        for week, goals in agrees.items()
        for goal, ok in goals.items()
        if not ok and goal not in relative
    }
    assert disagree == set()
    quiet = {goal for week in agrees for _, goal in shipped.result.firing_at_end.get(week, ())}
    assert not quiet & relative
