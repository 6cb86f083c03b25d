"""`rules.extra_files`: the team's own rule files, merged after the generated groups so that one
file goes to Prometheus and `promtool check rules` checks them all together."""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.settings import Settings
from pipeline.errors import ConfigError


def _groups(path: Path) -> list[dict[str, Any]]:
    """The `groups:` of one rule file, or the reason it has none."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read it: {exc.strerror or exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"not YAML: {str(exc).splitlines()[0]}") from exc
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ValueError("not a Prometheus rule file (a mapping with a list of `groups:`)")
    return groups


def extra_groups(loaded: Settings, taken: Set[str]) -> list[dict[str, Any]]:
    """The groups of every file in `rules.extra_files`, in order; a file that cannot be read or
    is not a rule file, or a group name used twice, is a config error."""
    problems: list[str] = []
    merged: list[dict[str, Any]] = []
    names = dict.fromkeys(taken, "the generated rules")
    for i, path in enumerate(loaded.rules.extra_files):
        where = f"rules.extra_files[{i}] ({path.name})"
        try:
            groups = _groups(path)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        for group in groups:
            name = str(group.get("name"))
            if name in names:
                problems.append(f"{where}: group '{name}' is also in {names[name]}; rename one")
            names.setdefault(name, where)
            merged.append(group)
    if problems:
        raise ConfigError(str(loaded.path), problems)
    return merged
