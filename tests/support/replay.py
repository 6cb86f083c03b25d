"""Replay a Prometheus rule file over the demo weeks in a real Prometheus.

`replay_prometheus` starts a Prometheus on the demo data and backfills the file's recording
rules into it with `promtool tsdb create-blocks-from rules`, one pass per dependency level (a
rule that reads a rule recorded in the same backfill would read nothing: promtool evaluates
every rule against the server, not against the blocks it is writing). `evaluate` then asks the
server for each alerting rule's `expr` over each week (range queries at `step_s`) and applies
Prometheus's alerting semantics (`for`, `keep_firing_for`) in Python: promtool does not
evaluate alerts (in 2.42 it even records an alerting rule's expr as a series named after the
alert, so alerting rules are left out of the files it is given).

The result, `Replay`, counts the firing episodes per alert and week, the hours each alert was
firing and which (alert, goal) pairs fire at each week's end; `agreement` compares the latter
with the statuses a dry run of the pipeline gives (`report_statuses`), and `markdown_table`
prints it all. `python -m tests.support.replay --config config.yaml` prints the table for the
rules generated from a config (or for a rule file given with --rules).

The week's end: `firing_at_end` is the alert state at the week's last evaluation, the last step
strictly before the window's end. The pipeline's week holds no sample at its end instant (that
one belongs to the next week), and at the end instant itself an expression already reads the
next week's first sample: a goal whose value steps at midnight (the demo's satisfaction per
week) would be judged on next week's value there.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
import yaml

from pipeline.config import load_config
from pipeline.core.settings import Settings
from pipeline.core.targets import parse_duration
from pipeline.demo.generate import demo_series
from pipeline.demo.openmetrics import write_openmetrics
from pipeline.demo.promserver import PrometheusServer, backfill, require
from pipeline.generate.rules import rules_yaml
from pipeline.run import RunRequest, run_week
from pipeline.scoring.window import week_end, week_window

DEFAULT_INTERVAL = "1m"  # Prometheus's default evaluation_interval: groups without `interval`
MAX_POINTS = 10_000  # Prometheus refuses range queries of more than 11,000 steps
# promtool writes one block per rule and block range: the default 2 h blocks make 252 per rule
# over three weeks (15 s for three rules); this hidden flag of `create-blocks-from` makes the
# ranges 162 h (the largest compatible range under 168 h: a week at 1m is under 11,000 steps).
RULE_BLOCK_DURATION = "168h"
GOAL_ALERT = re.compile(r"(Missed|AtRisk|NoData)$")


def is_goal_alert(alert: str) -> bool:
    """A goal's alert: its name ends in Missed, AtRisk or NoData."""
    return bool(GOAL_ALERT.search(alert))


# -- the rule file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule of the file, its durations in seconds."""

    name: str
    expr: str
    for_s: float
    keep_firing_for_s: float
    labels: Mapping[str, str]
    group: str

    @property
    def goal(self) -> str | None:
        """The `goal` label the rule sets, if any."""
        return self.labels.get("goal")


@dataclass(frozen=True)
class RecordRule:
    """One recording rule; `level` 0 reads only raw series, n reads rules of level < n."""

    record: str
    group: str
    level: int
    rule: Mapping[str, Any]  # as written in the file


def _seconds(text: object) -> float:
    value = str(text or "0").strip()
    return 0.0 if re.fullmatch(r"0+[a-z]*", value) else parse_duration(value)


def _groups(rules_text: str) -> list[dict[str, Any]]:
    document = yaml.safe_load(rules_text) or {}
    if document.get("kind") == "PrometheusRule":  # the operator's wrapping
        document = document.get("spec") or {}
    groups: list[dict[str, Any]] = document.get("groups") or []
    return groups


def alert_rules(rules_text: str) -> tuple[AlertRule, ...]:
    """Every alerting rule of the file, in file order."""
    return tuple(
        AlertRule(
            name=str(rule["alert"]),
            expr=str(rule["expr"]),
            for_s=_seconds(rule.get("for")),
            keep_firing_for_s=_seconds(rule.get("keep_firing_for")),
            labels={str(k): str(v) for k, v in (rule.get("labels") or {}).items()},
            group=str(group["name"]),
        )
        for group in _groups(rules_text)
        for rule in group.get("rules") or []
        if "alert" in rule
    )


def _reads(expr: str, name: str) -> bool:
    """Whether `expr` names the metric `name` (as an identifier, or `__name__="name"`)."""
    bare = rf"(?<![\w:]){re.escape(name)}(?![\w:])"
    quoted = rf"__name__\s*=~?\s*[\"']{re.escape(name)}[\"']"
    return re.search(bare, expr) is not None or re.search(quoted, expr) is not None


def record_rules(rules_text: str) -> tuple[RecordRule, ...]:
    """Every recording rule of the file with its dependency level; a ValueError on a cycle."""
    found = [
        (str(group["name"]), dict(rule))
        for group in _groups(rules_text)
        for rule in group.get("rules") or []
        if "record" in rule
    ]
    names = {str(rule["record"]) for _, rule in found}
    reads: dict[str, set[str]] = {name: set() for name in names}
    for _, rule in found:  # a name recorded by several rules reads what all of them read
        expr = str(rule["expr"])
        reads[str(rule["record"])] |= {n for n in names if _reads(expr, n)}
    for name in names:
        reads[name].discard(name)  # a rule reading its own past: no earlier pass to wait for
    levels: dict[str, int] = {}

    def level(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise ValueError(f"recording rules read each other in a cycle: {' -> '.join(path)}")
        if name not in levels:
            below = [level(n, (*path, name)) for n in reads[name]]
            levels[name] = 1 + max(below) if below else 0
        return levels[name]

    return tuple(
        RecordRule(str(rule["record"]), group, level(str(rule["record"]), ()), rule)
        for group, rule in found
    )


def _pass_files(rules_text: str) -> list[str]:
    """One rule file per dependency level: its recording rules in their groups (name and
    interval kept, so promtool evaluates them at the groups' own timestamps), no alerts."""
    records = record_rules(rules_text)
    files = []
    for level in range(1 + max((r.level for r in records), default=-1)):
        groups = []
        for group in _groups(rules_text):
            rules = [dict(r.rule) for r in records if r.group == group["name"] and r.level == level]
            if rules:
                kept = {k: v for k, v in group.items() if k != "rules"}
                groups.append({**kept, "rules": rules})
        files.append(yaml.safe_dump({"groups": groups}, sort_keys=False, allow_unicode=True))
    return files


# -- the weeks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """Week `number` of the sprint: [start, end), as the pipeline computes it."""

    number: int
    start: datetime
    end: datetime

    def steps(self, step_s: float) -> list[float]:
        """The evaluation instants: every multiple of step_s from the start, before the end
        (the pipeline's grid: its week holds no sample at the end instant)."""
        first = math.ceil(self.start.timestamp() / step_s) * step_s
        count = max(0, math.ceil((self.end.timestamp() - first) / step_s))
        return [round(first + i * step_s, 3) for i in range(count)]  # ms, as Prometheus


def sprint_weeks(loaded: Settings, numbers: Iterable[int] | None = None) -> tuple[Week, ...]:
    """The sprint's weeks (all of `sprint.weeks`, 3 if unset, or `numbers`) from the pipeline's
    own week windows."""
    chosen = list(numbers or range(1, (loaded.sprint.weeks or 3) + 1))
    weeks = []
    for number in chosen:
        window = week_window(loaded.sprint, number, week_end(loaded.sprint, number))
        weeks.append(Week(number, window.start, window.end))
    return tuple(weeks)


# -- the server ------------------------------------------------------------------------------


def write_demo_data(path: Path) -> Path:
    """The demo's three weeks as OpenMetrics at `path`."""
    with open(path, "w") as out:
        write_openmetrics(demo_series(), out)
    return path


def demo_blocks(work: Path) -> Path:
    """The demo's three weeks as TSDB blocks under `work`, to hand to several replays."""
    backfill(write_demo_data(work / "demo.om"), work / "demo-blocks")
    (work / "demo.om").unlink()
    return work / "demo-blocks"


def _backfill_rules(
    server: PrometheusServer, text: str, span: tuple[datetime, datetime], work: Path, n: int
) -> list[Path]:
    path = work / f"rules-pass-{n}.yml"
    path.write_text(text)
    out = work / f"rules-pass-{n}-blocks"
    done = subprocess.run(
        [
            require("promtool"),
            "tsdb",
            "create-blocks-from",
            "rules",
            f"--start={int(span[0].timestamp())}",
            f"--end={int(span[1].timestamp())}",
            f"--url={server.url}",
            f"--output-dir={out}",
            f"--eval-interval={DEFAULT_INTERVAL}",
            f"--max-block-duration={RULE_BLOCK_DURATION}",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"promtool could not backfill {path}: {done.stderr.strip()[-2000:]}")
    return sorted(out.iterdir()) if out.is_dir() else []


@contextmanager
def replay_prometheus(
    rules_text: str, data: Path, work: Path, span: tuple[datetime, datetime]
) -> Iterator[PrometheusServer]:
    """A Prometheus on `data` (an OpenMetrics file, or a folder of TSDB blocks, copied) with
    the recording rules of `rules_text` backfilled over `span`, one promtool pass per
    dependency level, the server restarted after each to load the new blocks."""
    work.mkdir(parents=True, exist_ok=True)
    tsdb = work / "tsdb"
    if data.is_dir():
        shutil.copytree(data, tsdb)
    else:
        backfill(data, tsdb)
    server = PrometheusServer(tsdb, log_path=work / "prometheus.log")
    with server:
        for n, text in enumerate(_pass_files(rules_text)):
            blocks = _backfill_rules(server, text, span, work, n)
            server.stop()
            for block in blocks:
                shutil.move(block, tsdb / block.name)
            server.start()
        yield server


# -- the alerts ------------------------------------------------------------------------------

Labels = frozenset[tuple[str, str]]


def _query_range(
    url: str, expr: str, times: Sequence[float], step_s: float
) -> dict[Labels, set[float]]:
    """The series `expr` returns over `times` (a regular grid): each one's labels and the
    instants it was returned at."""
    found: dict[Labels, set[float]] = {}
    for i in range(0, len(times), MAX_POINTS):
        chunk = times[i : i + MAX_POINTS]
        form = {"query": expr, "start": chunk[0], "end": chunk[-1], "step": step_s}
        answer = requests.post(f"{url}/api/v1/query_range", data=form, timeout=120).json()
        if answer.get("status") != "success":
            raise RuntimeError(f"query_range {expr!r}: {answer.get('error', answer)}")
        data = answer["data"]
        if data["resultType"] != "matrix":
            raise RuntimeError(f"query_range {expr!r}: a {data['resultType']}, not a matrix")
        for series in data["result"]:
            labels = frozenset((k, v) for k, v in series["metric"].items() if k != "__name__")
            found.setdefault(labels, set()).update(round(float(t), 3) for t, _ in series["values"])
    return found


def alert_states(
    present: Sequence[bool], times: Sequence[float], for_s: float, keep_firing_for_s: float
) -> list[bool]:
    """Whether one alert series fires at each evaluation, given whether the expr returned it
    there; Prometheus's rules/alerting.go: returned while inactive, the series turns pending
    (active since then); pending for `for_s`, it fires; missing, a pending series is dropped
    and a firing one resolves, unless `keep_firing_for_s` > 0: then it keeps firing while
    less than that has passed since the first evaluation that missed it."""
    firing = []
    state = "inactive"
    active_at = keep_since = 0.0
    keeping = False
    for here, t in zip(present, times, strict=True):
        if here:
            if state == "inactive":
                state, active_at = "pending", t
            keeping = False
        elif state == "firing" and keep_firing_for_s > 0:
            if not keeping:
                keeping, keep_since = True, t
            if t - keep_since >= keep_firing_for_s:
                state, keeping = "inactive", False
        else:
            state, keeping = "inactive", False
        if state == "pending" and t - active_at >= for_s:
            state = "firing"
        firing.append(state == "firing")
    return firing


@dataclass(frozen=True)
class Replay:
    """What the alerting rules did over the weeks.

    episodes[(alert, week)]: the firing episodes of the alert's series (a maximal run of
    firing steps within the week; a run that goes on from the week before counts again);
    firing_hours[(alert, week)]: how long at least one of its series fired;
    firing_at_end[week]: the (alert, goal label or "") pairs firing at the week's last step.
    """

    alerts: tuple[AlertRule, ...]
    weeks: tuple[Week, ...]
    step_s: float
    episodes: Mapping[tuple[str, int], int]
    firing_hours: Mapping[tuple[str, int], float]
    firing_at_end: Mapping[int, frozenset[tuple[str, str]]]


def evaluate(url: str, rules_text: str, weeks: Sequence[Week], step_s: float = 60.0) -> Replay:
    """Each alerting rule of `rules_text` over `weeks` against the Prometheus at `url`, its
    state carried from one week to the next (as a Prometheus running through them would;
    reset when a week does not follow the one before).

    `step_s` stands for the rule groups' evaluation interval and should be it: a coarser step
    samples the expr and distorts `for` (the current rules' CustomerSatisfactionAtRisk fires
    71 times in week 1 evaluated each minute, 252 times every 5 minutes, 94 every 15)."""
    alerts = alert_rules(rules_text)
    grids = [w.steps(step_s) for w in weeks]
    episodes: dict[tuple[str, int], int] = {}
    hours: dict[tuple[str, int], float] = {}
    at_end: dict[int, set[tuple[str, str]]] = {w.number: set() for w in weeks}
    for alert in alerts:
        found: dict[Labels, set[float]] = {}
        for grid in grids:
            if grid:
                for labels, ts in _query_range(url, alert.expr, grid, step_s).items():
                    found.setdefault(labels, set()).update(ts)
        series = {
            frozenset({**dict(labels), **alert.labels}.items()): ts for labels, ts in found.items()
        }
        firing = {labels: _fire(alert, grids, ts, step_s) for labels, ts in series.items()}
        for w, week in enumerate(weeks):
            flags = [f[w] for f in firing.values()]
            episodes[alert.name, week.number] = sum(_runs(f) for f in flags)
            steps = sum(any(col) for col in zip(*flags, strict=True)) if flags else 0
            hours[alert.name, week.number] = steps * step_s / 3600
            for labels, f in firing.items():
                if f[w] and f[w][-1]:
                    at_end[week.number].add((alert.name, dict(labels).get("goal", "")))
    return Replay(
        alerts,
        tuple(weeks),
        step_s,
        episodes,
        hours,
        {n: frozenset(pairs) for n, pairs in at_end.items()},
    )


def _fire(
    alert: AlertRule, grids: Sequence[Sequence[float]], returned: set[float], step_s: float
) -> list[list[bool]]:
    """The series' firing flags, week by week, its state carried across contiguous weeks."""
    segments: list[list[Sequence[float]]] = []
    for grid in grids:
        last = segments[-1][-1] if segments and segments[-1][-1] else None
        if last is not None and grid and grid[0] - last[-1] <= step_s * 1.5:
            segments[-1].append(grid)
        else:  # the first week, or one that does not follow the one before: a fresh state
            segments.append([grid])
    out: list[list[bool]] = []
    for segment in segments:
        times = [t for grid in segment for t in grid]
        states = alert_states(
            [t in returned for t in times], times, alert.for_s, alert.keep_firing_for_s
        )
        for grid in segment:
            out.append(states[: len(grid)])
            states = states[len(grid) :]
    return out


def _runs(flags: Sequence[bool]) -> int:
    """The maximal runs of True."""
    return sum(1 for i, f in enumerate(flags) if f and (i == 0 or not flags[i - 1]))


def default_span(weeks: Sequence[Week]) -> tuple[datetime, datetime]:
    """From a week before the first week (a rule over a week's window reads that far back) to
    the last week's end."""
    first, last = weeks[0], weeks[-1]
    return first.start - (first.end - first.start), last.end


def replay(
    rules_text: str,
    data: Path,
    work: Path,
    weeks: Sequence[Week],
    step_s: float = 60.0,
    span: tuple[datetime, datetime] | None = None,
) -> Replay:
    """`replay_prometheus` then `evaluate`: the alerting rules of `rules_text` over `weeks` of
    `data`, the recording rules backfilled over `span` (by default `default_span`)."""
    with replay_prometheus(rules_text, data, work, span or default_span(weeks)) as server:
        return evaluate(server.url, rules_text, weeks, step_s)


# -- the report ------------------------------------------------------------------------------


def report_statuses(config: Path, weeks: Iterable[int]) -> dict[int, dict[str, str]]:
    """week -> {goal id: status} of a run of the pipeline for each week in order (Markdown
    into `config`'s folder, so each week's relative targets have the weeks before as their
    baseline), seen from the end of the last of them (each week complete); `config` points at
    the Prometheus to ask."""
    loaded = load_config(config, env={})
    numbers = sorted(weeks)
    now = week_end(loaded.sprint, numbers[-1])
    statuses = {}
    for number in numbers:
        request = RunRequest(number, config.parent / "reports")
        result = run_week(loaded, request, now=now).result
        statuses[number] = {g.spec.id: str(g.status) for g in result.goals}
    return statuses


def agreement(
    result: Replay,
    statuses: Mapping[int, Mapping[str, str]],
    goal_alert: Callable[[str], bool] = is_goal_alert,
) -> dict[int, dict[str, bool]]:
    """week -> {goal: whether the alerts agree with the report}: some goal alert of the goal
    fires at the week's end iff the report does not call the goal met."""
    agrees: dict[int, dict[str, bool]] = {}
    for week, goals in statuses.items():
        firing = {goal for alert, goal in result.firing_at_end.get(week, ()) if goal_alert(alert)}
        agrees[week] = {
            goal: (goal in firing) == (status != "met") for goal, status in goals.items()
        }
    return agrees


def _hours(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def markdown_table(
    result: Replay,
    statuses: Mapping[int, Mapping[str, str]] | None = None,
    goal_alert: Callable[[str], bool] = is_goal_alert,
) -> str:
    """One row per alert: its episodes each week, its firing hours each week and, given the
    report's statuses, whether its goal's alerts agree with the report at each week's end;
    then the goals that disagree."""
    numbers = [w.number for w in result.weeks]
    weeks = "/".join(str(n) for n in numbers)
    agrees = agreement(result, statuses, goal_alert) if statuses else {}
    head = [
        "Alert",
        *(f"Episodes week {n}" for n in numbers),
        f"Firing hours (week {weeks})",
        f"Agrees at week end (week {weeks})",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for alert in result.alerts:
        goal = alert.goal if goal_alert(alert.name) else None
        verdicts = [
            "–"
            if goal is None or goal not in agrees.get(n, {})
            else ("yes" if agrees[n][goal] else "**no**")
            for n in numbers
        ]
        cells = [
            alert.name,
            *(str(result.episodes[alert.name, n]) for n in numbers),
            " / ".join(_hours(result.firing_hours[alert.name, n]) for n in numbers),
            " / ".join(verdicts),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    for n in numbers:
        for goal, ok in sorted(agrees.get(n, {}).items()):
            if not ok and statuses:
                firing = sorted(
                    a for a, g in result.firing_at_end[n] if g == goal and goal_alert(a)
                )
                lines.append(
                    f"\nWeek {n}: {goal} is {statuses[n][goal]} in the report; "
                    + (
                        f"firing at the week's end: {', '.join(firing)}"
                        if firing
                        else "no goal alert fires at the week's end"
                    )
                )
    return "\n".join(lines) + "\n"


# -- the command line ------------------------------------------------------------------------


def _pointed_at(config: Path, url: str, folder: Path) -> Path:
    """A copy of `config` in `folder` whose prometheus.url is `url`."""
    document = yaml.safe_load(config.read_text())
    document.setdefault("prometheus", {})["url"] = url
    copy = folder / "config.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return copy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.replay",
        description="Replay alert rules over the demo weeks in a real Prometheus; print a table.",
    )
    parser.add_argument("--config", type=Path, required=True, help="the goals (config.yaml)")
    parser.add_argument("--rules", type=Path, help="a rule file [the rules of --config]")
    parser.add_argument("--step", type=float, default=60.0, help="seconds between evaluations")
    parser.add_argument("--work", type=Path, help="keep the TSDB and logs here [a temp dir]")
    args = parser.parse_args(argv)
    loaded = load_config(args.config, env={})
    rules_text = args.rules.read_text() if args.rules else rules_yaml(loaded)
    weeks = sprint_weeks(loaded)
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = write_demo_data(work / "demo.om")
        with replay_prometheus(rules_text, data, work, default_span(weeks)) as server:
            result = evaluate(server.url, rules_text, weeks, args.step)
            config = _pointed_at(args.config, server.url, work)
            statuses = report_statuses(config, [w.number for w in weeks])
    print(markdown_table(result, statuses), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
