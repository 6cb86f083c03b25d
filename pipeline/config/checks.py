"""What load_config says about a config beyond each field's own validation: pydantic's errors
as 'path: problem' lines, the checks that span sections, and harmless oddities worth a note.

They run on the raw document, so every problem is reported together with the rest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pipeline.core.addresses import mail_address
from pipeline.core.headers import header_value_problem
from pipeline.core.routing import agent_label

_PLUS = re.compile(r"^\s*(>=|<=|==|>|<)\s*\+")


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if part == "[key]":  # pydantic's mark for an error in a mapping's key, named before it
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def describe(err: Any) -> str:
    """One pydantic error as 'path: problem'."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{_where(loc)}: unknown key"
    if kind == "missing":
        return f"{_where(loc)}: required key is missing"
    message = str(err["msg"])
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    else:
        message = message[0].lower() + message[1:]
        if "input" in err and not isinstance(err["input"], dict | list):
            message += f" (got {err['input']!r})"
    return f"{_where(loc)}: {message}"


def _items(raw: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def notes(raw: dict[str, Any]) -> tuple[str, ...]:
    """Recipients listed twice for one agent: each is mailed once; a target with a `+` and no
    baseline, which is absolute."""
    found = list(_plus_without_baseline(raw))
    for i, agent in _items(raw, "agents"):
        seen: dict[str, int] = {}
        emails = agent.get("email")
        for j, value in enumerate(emails if isinstance(emails, list) else []):
            try:
                address = mail_address(value).lower()
            except (TypeError, ValueError):
                continue
            if address in seen:
                found.append(
                    f"agents[{i}].email[{j}]: '{value}' is already agents[{i}].email"
                    f"[{seen[address]}]; it is mailed once"
                )
            else:
                seen[address] = j
    return tuple(found)


def _plus_without_baseline(raw: dict[str, Any]) -> Iterator[str]:
    """`<= +10` without `baseline:` is the absolute bound 10, as before relative targets."""
    for i, goal in _items(raw, "goals"):
        for key in ("target", "warning"):
            text = goal.get(key)
            if goal.get("baseline") is None and isinstance(text, str) and _PLUS.match(text):
                yield (
                    f"goals[{i}].{key}: '{text}' is absolute (the goal has no baseline); add "
                    "baseline: to compare with earlier weeks"
                )


def cross_checks(raw: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    """Checks that span sections; each returns its problems."""
    return [
        *_duplicate_ids(raw),
        *_unknown_goal_ids(raw),
        *_excluded_goal_ids(raw),
        *_routing_labels(raw),
        *_category_weights(raw),
        *_unknown_categories(raw),
        *_missing_secrets(raw, env),
        *_notify_channels(raw),
        *_link_needs_base_url(raw),
        *_metrics_secrets(raw, env),
        *_baseline_weeks(raw),
    ]


def unreadable_files(raw: dict[str, Any], folder: Path) -> list[str]:
    """The files the config names for the run to read (prometheus.ca_file), relative to its
    folder, that cannot be read: said now, not as a failure at the first request."""
    section = raw.get("prometheus")
    name = section.get("ca_file") if isinstance(section, dict) else None
    if not isinstance(name, str) or not name:
        return []
    try:
        (folder / name).open("rb").close()
    except OSError as exc:
        return [f"prometheus.ca_file: cannot read '{name}': {exc.strerror or exc}"]
    return []


def _duplicate_ids(raw: dict[str, Any]) -> Iterator[str]:
    for section in ("goals", "agents", "exclusions"):
        seen: dict[str, int] = {}
        for i, item in _items(raw, section):
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            if ident in seen:
                yield f"{section}[{i}].id: duplicate id '{ident}' (also {section}[{seen[ident]}])"
            else:
                seen[ident] = i


def _unknown_goal_ids(raw: dict[str, Any]) -> Iterator[str]:
    goal_ids = {
        item.get("id") for _, item in _items(raw, "goals") if isinstance(item.get("id"), str)
    }
    for i, agent in _items(raw, "agents"):
        goals = agent.get("goals")
        for j, gid in enumerate(goals if isinstance(goals, list) else []):
            if isinstance(gid, str) and gid not in goal_ids:
                yield f"agents[{i}].goals[{j}]: unknown goal id '{gid}'"


def _excluded_goal_ids(raw: dict[str, Any]) -> Iterator[str]:
    goal_ids = {
        item.get("id") for _, item in _items(raw, "goals") if isinstance(item.get("id"), str)
    }
    for i, exclusion in _items(raw, "exclusions"):
        goals = exclusion.get("goals")
        for j, gid in enumerate(goals if isinstance(goals, list) else []):
            if isinstance(gid, str) and gid not in goal_ids:
                yield f"exclusions[{i}].goals[{j}]: unknown goal id '{gid}'"


def _routing_labels(raw: dict[str, Any]) -> Iterator[str]:
    """Each agent's alerts route on their own label (`go-code` -> `agent_go_code`)."""
    seen: dict[str, int] = {}
    for i, agent in _items(raw, "agents"):
        ident = agent.get("id")
        if not isinstance(ident, str):
            continue
        label = agent_label(ident)
        if label in seen and raw["agents"][seen[label]].get("id") != ident:
            yield (
                f"agents[{i}].id: '{ident}' routes alerts on the same label as "
                f"agents[{seen[label]}] ({label}); rename one"
            )
        seen.setdefault(label, i)


def _categories(raw: dict[str, Any]) -> dict[Any, Any] | None:
    """scoring.categories when it is a non-empty mapping."""
    scoring = raw.get("scoring")
    categories = scoring.get("categories") if isinstance(scoring, dict) else None
    return categories if isinstance(categories, dict) and categories else None


def _category_weights(raw: dict[str, Any]) -> Iterator[str]:
    categories = _categories(raw)
    if categories is None:
        return
    weights = [c.get("weight") for c in categories.values() if isinstance(c, dict)]
    numbers = [w for w in weights if isinstance(w, int | float) and not isinstance(w, bool)]
    if len(numbers) == len(categories) and not math.isclose(sum(numbers), 1.0, abs_tol=1e-9):
        yield f"scoring.categories: weights sum to {sum(numbers):g}, they must sum to 1"


def _unknown_categories(raw: dict[str, Any]) -> Iterator[str]:
    categories = _categories(raw)
    if categories is None:
        return
    names = ", ".join(sorted(str(k) for k in categories))
    for i, goal in _items(raw, "goals"):
        cat = goal.get("category")
        if isinstance(cat, str) and cat not in categories:
            yield (
                f"goals[{i}].category: unknown category '{cat}' (scoring.categories has: {names})"
            )


def _baseline_weeks(raw: dict[str, Any]) -> Iterator[str]:
    """A baseline's weeks lie within the sprint (`sprint.weeks`, when set)."""
    sprint = raw.get("sprint")
    last = sprint.get("weeks") if isinstance(sprint, dict) else None
    if not isinstance(last, int) or isinstance(last, bool):
        return
    for i, goal in _items(raw, "goals"):
        baseline = goal.get("baseline")
        weeks = baseline.get("weeks") if isinstance(baseline, dict) else None
        for j, week in enumerate(weeks if isinstance(weeks, list) else []):
            if isinstance(week, int) and not isinstance(week, bool) and week > last:
                yield (
                    f"goals[{i}].baseline.weeks[{j}]: week {week} is past the sprint's last "
                    f"week (sprint.weeks: {last})"
                )


def _missing_secrets(raw: dict[str, Any], env: Mapping[str, str]) -> Iterator[str]:
    """Prometheus credentials named by environment variable must be set (e-mail's are checked
    only when e-mail is sent)."""
    yield from _unset_credentials("prometheus", raw.get("prometheus"), env)


def _unset_credentials(where: str, section: Any, env: Mapping[str, str]) -> Iterator[str]:
    """`bearer_token_env` and `basic_auth.password_env` of `section` that name unset variables,
    or variables whose value cannot go into an HTTP header (never quoted: they are secrets)."""
    if not isinstance(section, dict):
        return
    names = [(f"{where}.bearer_token_env", section.get("bearer_token_env"))]
    auth = section.get("basic_auth")
    if isinstance(auth, dict):
        names.append((f"{where}.basic_auth.password_env", auth.get("password_env")))
    for key, name in names:
        if not isinstance(name, str):
            continue
        value = env.get(name)
        if not value:
            yield f"{key}: environment variable '{name}' is not set"
        elif problem := header_value_problem(value):
            yield (
                f"{key}: environment variable '{name}' contains {problem}, which cannot go "
                "into an HTTP header (a trailing newline from a file?)"
            )


def _notify_channels(raw: dict[str, Any]) -> Iterator[str]:
    """Channel names are unique, and their agents exist."""
    agent_ids = {a.get("id") for _, a in _items(raw, "agents") if isinstance(a.get("id"), str)}
    seen: dict[str, int] = {}
    for i, channel in _items(raw, "notify"):
        name, env = channel.get("name"), channel.get("url_env")
        shown = name if isinstance(name, str) else env if isinstance(env, str) else None
        shown = shown if shown is None or shown == name else shown.lower().replace("_", "-")
        if shown in seen:
            yield f"notify[{i}]: channel '{shown}' is also notify[{seen[shown]}]; give each a name"
        elif shown is not None:
            seen[shown] = i
        agents = channel.get("agents")
        for j, agent in enumerate(agents if isinstance(agents, list) else []):
            if isinstance(agent, str) and agent not in agent_ids:
                yield f"notify[{i}].agents[{j}]: unknown agent id '{agent}'"


def _link_needs_base_url(raw: dict[str, Any]) -> Iterator[str]:
    email, report = raw.get("email"), raw.get("report")
    linked = isinstance(email, dict) and email.get("attach") == "link"
    if linked and not (isinstance(report, dict) and report.get("base_url")):
        yield "email.attach: 'link' needs report.base_url (where the reports are served)"


def _metrics_secrets(raw: dict[str, Any], env: Mapping[str, str]) -> Iterator[str]:
    """The Pushgateway's credentials must be in the environment when it is used."""
    metrics = raw.get("metrics")
    if isinstance(metrics, dict) and metrics.get("pushgateway_url"):
        yield from _unset_credentials("metrics", metrics, env)
