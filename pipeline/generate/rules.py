"""`python -m pipeline rules`: Prometheus alerting and recording rules from the goals.

The rule groups are built as data first (frozen values), then dumped as a rule file or wrapped
in a Prometheus Operator `PrometheusRule`. The groups, in order:
- `sprint_convergence_record` (at the sprint's step): each goal's query (without the times its
  exclusions leave out, pipeline/generate/quiet.py), a compliance goal's samples' verdicts,
  then each goal's aggregate over the last week, which the alerts compare;
- one group per category: each goal's weekly and forecast alerts (pipeline/generate/goal_alerts);
- `sprint_convergence_realtime` with `rules.realtime`: the guards on current values;
- `sprint_convergence_run`: the stale-run alert; then the team's own files (`rules.extra_files`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.outcomes import NoDataPolicy
from pipeline.core.routing import ROUTE_VALUE, agent_label
from pipeline.core.settings import GoalSpec, Rules, Settings
from pipeline.errors import ConfigError
from pipeline.generate import promql, quiet
from pipeline.generate.extra import extra_groups
from pipeline.generate.goal_alerts import (
    LAST_SUCCESS,
    Goal,
    likely_to_miss,
    realtime_alerts,
    weekly_alerts,
)
from pipeline.generate.rulemodel import (
    SAMPLE_PREFIX,
    WEEK_PREFIX,
    AlertingRule,
    RecordingRule,
    RuleGroup,
    Severity,
    literal,
    record_name,
)
from pipeline.generate.windows import Samples, weekly

STALE_ALERT = "SprintConvergenceRunStale"


def _query(loaded: Settings, spec: GoalSpec) -> str:
    """The goal's query as the rules read it: without the times its exclusions leave out (then
    never a bare selector)."""
    return quiet.read(spec.query, quiet.condition(loaded, spec.id))


def _samples(loaded: Settings, spec: GoalSpec) -> tuple[Samples, Samples]:
    """Where the rules read the goal's samples, and (compliance) each sample's verdict."""
    sprint = loaded.sprint
    step = promql.duration(sprint.step_s)
    mine = f"{{sprint={promql.string(sprint.name)}}}"
    read = _query(loaded, spec)
    query = promql.group(read)
    if loaded.rules.record and not promql.is_selector(read):
        values = Samples(record_name(spec.id) + mine, query, step)
    else:
        bare = read.strip() if promql.is_selector(read) else None
        values = Samples(bare, query, step)
    if spec.sample_target is None:
        return values, values
    # always recorded: a share of samples needs a subquery of the whole week otherwise
    return values, Samples(record_name(spec.id, SAMPLE_PREFIX) + mine, query, step)


def _goal(loaded: Settings, spec: GoalSpec) -> Goal:
    """Where the goal's alerts read its week, and the labels they carry (one per agent that
    lists it: an Alertmanager route on one agent then matches every goal it shares)."""
    window = promql.duration(loaded.sprint.week_days * 86_400)
    if loaded.rules.record:
        week = record_name(spec.id, WEEK_PREFIX) + f"{{sprint={promql.string(loaded.sprint.name)}}}"
        before, absent = f"{week} offset {window}", f"absent({week})"
    else:
        values, met = _samples(loaded, spec)
        week = f"({weekly(spec, values, met, window)})"
        before = f"({weekly(spec, values, met, window, offset=window)})"
        read = met if spec.sample_target is not None else values
        absent = f"absent_over_time({read.over(window)})"
    labels = {"sprint": loaded.sprint.name, "goal": spec.id, "category": spec.category}
    labels |= {agent_label(a.id): ROUTE_VALUE for a in loaded.agents if spec.id in a.goals}
    labels |= loaded.rules.labels
    return Goal(spec, labels, loaded.rules, window, week, before, absent)


def _records(loaded: Settings, specs: list[GoalSpec]) -> list[RecordingRule]:
    """At the sprint's step, in order: each goal's query (bare selectors are read as they are),
    a compliance goal's samples as 1 (meets sample_target) or 0, then each goal's aggregate over
    the last week, which reads the first two. With `rules.record: false` only the compliance
    samples (the alerts then compute the week themselves)."""
    sprint = {"sprint": loaded.sprint.name}
    window = promql.duration(loaded.sprint.week_days * 86_400)
    records, weeks = [], []
    for spec in specs:
        read = _query(loaded, spec)
        if loaded.rules.record and not promql.is_selector(read):
            records.append(RecordingRule(record_name(spec.id), read, sprint))
        if spec.sample_target is not None:
            met = promql.met_bool(promql.group(read), spec.sample_target)
            records.append(RecordingRule(record_name(spec.id, SAMPLE_PREFIX), met, sprint))
        if loaded.rules.record:
            week = weekly(spec, *_samples(loaded, spec), window)
            weeks.append(RecordingRule(record_name(spec.id, WEEK_PREFIX), week, sprint))
    return records + weeks


def build_groups(loaded: Settings) -> tuple[RuleGroup, ...]:
    """The generated groups (see the module's docstring); the team's own files not included."""
    specs = [s for s in loaded.goals if s.alert]
    _check_record_names(loaded, specs)
    groups = []
    records = _records(loaded, specs)
    if records:
        step = promql.duration(loaded.sprint.step_s)
        groups.append(RuleGroup("sprint_convergence_record", tuple(records), step))
    fails = loaded.scoring.no_data is NoDataPolicy.FAIL
    goals = {s.id: _goal(loaded, s) for s in specs}
    for category in dict.fromkeys(s.category for s in specs):
        rules: list[RecordingRule | AlertingRule] = []
        for spec in (s for s in specs if s.category == category):
            goal = goals[spec.id]
            rules.extend(weekly_alerts(goal, fails))
            rules.append(likely_to_miss(goal, loaded.sprint.name))
        groups.append(RuleGroup(f"sprint_convergence_{category}", tuple(rules)))
    if loaded.rules.realtime:
        guards = [
            alert
            for spec in specs
            for alert in realtime_alerts(goals[spec.id], _current(loaded, spec))
        ]
        groups.append(RuleGroup("sprint_convergence_realtime", tuple(guards)))
    groups.append(
        RuleGroup("sprint_convergence_run", (stale_alert(loaded.sprint.name, loaded.rules),))
    )
    return tuple(groups)


def _current(loaded: Settings, spec: GoalSpec) -> str:
    """The query's current value, atomic: the recorded series when there is one."""
    values, _ = _samples(loaded, spec)
    return f"({values.selector})" if values.selector else values.query


def _check_record_names(loaded: Settings, specs: list[GoalSpec]) -> None:
    seen: dict[str, str] = {}
    for spec in specs:
        name = record_name(spec.id)
        if name in seen and loaded.rules.record:
            raise ConfigError(
                str(loaded.path),
                [f"goals: '{seen[name]}' and '{spec.id}' both record as {name}; rename one"],
            )
        seen[name] = spec.id


def stale_alert(sprint: str, settings: Rules) -> AlertingRule:
    """Fires when no run of this sprint has succeeded for `rules.stale_after`, or none ever
    pushed its results (the metric is absent)."""
    after = settings.stale_after_s
    selector = f"{LAST_SUCCESS}{{sprint={promql.string(sprint)}}}"
    expr = (
        f"time() - max by (sprint) ({selector}) > {promql.number(after)} "
        f"or absent_over_time({selector}[{promql.duration(after)}])"
    )
    return AlertingRule(
        STALE_ALERT,
        expr,
        "",
        {"sprint": sprint, "severity": str(Severity.WARNING), **settings.labels},
        {
            "summary": literal(f"{sprint}: no successful report run for ")
            + "{{ if gt $value 1.0 }}{{ $value | humanizeDuration }}"
            + "{{ else }}"
            + literal(settings.stale_after)
            + " or more{{ end }}",
            "description": literal(
                f"The last run that pushed its results ({LAST_SUCCESS}) is older than "
                f"{settings.stale_after}, or no run ever pushed them: is the scheduler running?"
            ),
        },
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:200] or "sprint"


def rules_document(loaded: Settings, operator: bool = False) -> dict[str, Any]:
    """The rule file (`groups:`, the team's own files last), or a PrometheusRule of them."""
    ours = build_groups(loaded)
    body = {"groups": [g.as_dict() for g in ours] + extra_groups(loaded, {g.name for g in ours})}
    if not operator:
        return body
    metadata: dict[str, Any] = {"name": "sprint-convergence-" + _slug(loaded.sprint.name)}
    if loaded.rules.labels:
        metadata["labels"] = dict(loaded.rules.labels)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": body,
    }


def rules_yaml(loaded: Settings, operator: bool = False) -> str:
    """The generated rules as YAML text, with a header naming their source."""
    document = rules_document(loaded, operator)
    header = (
        f"# Generated by `python -m pipeline rules` from {loaded.path.name} "
        f"(digest {loaded.digest}); edit the goals, not this file.\n"
    ) + "".join(quiet.header(loaded))
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000_000)
    return header + ("---\n" if operator else "") + text


def promtool_check(text: str) -> tuple[bool | None, str]:
    """`promtool check rules` on `text`: (True, its output) when it passes, (False, why) when
    not, (None, why) when promtool is not installed."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return None, "not checked: promtool is not installed (apt-get install prometheus)"
    with tempfile.TemporaryDirectory(prefix="pipeline-rules-") as folder:
        path = Path(folder) / "rules.yml"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
        )
    output = (done.stdout + done.stderr).replace(str(path), "rules.yml")
    return done.returncode == 0, output.replace("Checking rules.yml", "", 1).strip()
