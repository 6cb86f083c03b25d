"""The check-ins file (report.checkins_file, `checkins.yaml`): a YAML list a team keeps in git,
one entry per check-in, appended to under a lock and replaced whole, never half-written.

```yaml
- goal: p95_latency
  week: 3
  confidence: 7
  note: The cache rollout on Tuesday should bring it under 90 ms.
  author: Dana
  at: '2026-11-18T09:30:00+00:00'
```
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from pipeline.core.locks import bounded_lock
from pipeline.core.text import cap, one_line, strip_controls
from pipeline.core.yamltypes import CheckedLoader
from pipeline.errors import CheckinsError

KEYS = ("goal", "week", "confidence", "note", "author", "at")
REQUIRED = ("goal", "week", "confidence", "note", "at")
MIN_CONFIDENCE, MAX_CONFIDENCE = 1, 10
MAX_NOTE_CHARS = 2000  # the command's limit; a longer note written by hand is shown cut
MAX_FILE_BYTES = 16 * 1024 * 1024  # years of check-ins; more is a mistake (or /dev/zero)
MAX_PROBLEMS_SHOWN = 20
LOCK_WAIT_S = 60.0  # an append holds the lock for milliseconds
CHECKINS_SUFFIX = ".checkins.yaml"
SHARED_NAME = "checkins.yaml"  # config.yaml's


def default_checkins_name(config_name: str) -> str:
    """The check-ins file of a config by default, beside it: `checkins.yaml` for `config.yaml`,
    `alpha.checkins.yaml` for `alpha.yaml` (so many teams' configs share one folder)."""
    stem = config_name.rsplit(".", 1)[0] if "." in config_name else config_name
    return SHARED_NAME if config_name == "config.yaml" else f"{stem}{CHECKINS_SUFFIX}"


def is_checkins_name(name: str) -> bool:
    """Whether a file name is a check-ins file's by default (never a config's)."""
    return name == SHARED_NAME or name.endswith(CHECKINS_SUFFIX)


HEADER = (
    "# Check-ins: how confident each goal's owner is that it will be met, and why.\n"
    '# Add one with: python -m pipeline checkin --goal ID --confidence 1-10 --note "..."\n'
    "# Keep this file in git: each report shows a goal's latest check-in of its week.\n"
)
# Scalars a person may write unquoted that YAML would turn into something else: `note: yes`
# stays the text "yes", `note: 1.5` the text "1.5", and `at:` is read here, with its offset.
_AS_TEXT = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


class _Loader(CheckedLoader):
    """Safe types; booleans, floats and timestamps stay text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _AS_TEXT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class CheckinEntry:
    """One check-in as the file holds it."""

    goal: str
    week: int
    confidence: int  # 1 to 10
    note: str
    author: str | None
    at: datetime  # with its offset


@dataclass(frozen=True)
class GoalCheckin:
    """A goal's latest check-in of a report's week, judged at the report's end: `stale` when
    older than 7 days then, `disagrees` when it contradicts the forecast's `p_met`."""

    author: str | None
    confidence: int
    note: str
    at: datetime
    age: timedelta  # at the report's end (its as_of, or the end of a complete week)
    stale: bool
    disagrees: bool
    p_met: float | None  # the forecast it was weighed against; None: no forecast


@dataclass(frozen=True)
class WeekCheckins:
    """The check-ins a report shows, by goal id; `problem`: why the file could not be read (the
    report then shows none and says so)."""

    goals: Mapping[str, GoalCheckin] = field(default_factory=dict)
    problem: str | None = None


def read_checkins(path: Path) -> tuple[CheckinEntry, ...]:
    """Every check-in in the file, in file order; none when it does not exist. CheckinsError
    naming the file and every problem found."""
    return parse_checkins(_read_text(path), path)


def parse_checkins(text: str, path: Path) -> tuple[CheckinEntry, ...]:
    """The check-ins in `text` (the content of `path`); CheckinsError listing every problem."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return ()  # empty, or only comments
        if not isinstance(root, SequenceNode):
            kind = "a mapping" if isinstance(root, MappingNode) else "a single value"
            raise CheckinsError(
                f"{path}: expected a list of check-ins (each starting `- goal: ...`), found {kind}"
            )
        entries: list[CheckinEntry] = []
        problems: list[str] = []
        for number, node in enumerate(root.value, start=1):
            where = f"check-in {number} (line {node.start_mark.line + 1})"
            entry, wrong = _entry(loader.construct_object(node, deep=True), where)
            problems += wrong
            if entry is not None:
                entries.append(entry)
    except yaml.YAMLError as exc:
        raise CheckinsError(f"{path}: {_yaml_problem(exc)}") from None
    except RecursionError:
        raise CheckinsError(f"{path}: not valid YAML: nested thousands of levels deep") from None
    finally:
        loader.dispose()
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more problems")
        raise CheckinsError("\n".join(f"{path}: {p}" for p in shown))
    return tuple(entries)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}not valid YAML: {getattr(exc, 'problem', None) or exc}"


def _entry(raw: Any, where: str) -> tuple[CheckinEntry | None, list[str]]:
    """One check-in from its YAML value, or what is wrong with it."""
    if not isinstance(raw, dict):
        return None, [f"{where}: expected a mapping with {', '.join(REQUIRED)}"]
    problems = [f"{where}: unknown key '{one_line(str(k))}'" for k in raw if k not in KEYS]
    problems += [f"{where}: {k}: required key is missing" for k in REQUIRED if k not in raw]
    values: dict[str, Any] = {}
    for key, check in _CHECKS.items():
        if key in raw:
            try:
                values[key] = check(raw[key])
            except ValueError as exc:
                problems.append(f"{where}: {key}: {exc}")
    if problems:
        return None, problems
    return CheckinEntry(author=values.get("author"), **{k: values[k] for k in REQUIRED}), []


def _goal(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a goal id")
    return value.strip()


def whole(value: Any, low: int, high: int | None, what: str) -> int:
    """`value` (a number, or its text) as an int from `low` to `high` (None: no upper bound);
    ValueError saying `what` was expected."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())  # ASCII digits only: not `1_0`, not other scripts' digits
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected {what}, not '{cap(one_line(str(value)), 40)}'")
    if value < low or (high is not None and value > high):
        raise ValueError(f"expected {what}, not {value}")
    return value


def _week(value: Any) -> int:
    return whole(value, 1, None, "a week number, 1 or more")


def _confidence(value: Any) -> int:
    return whole(value, MIN_CONFIDENCE, MAX_CONFIDENCE, "a whole number from 1 to 10")


def _text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not strip_controls(value).strip():
        raise ValueError("expected text, and not empty")
    return value


def _author(value: Any) -> str | None:
    return None if value is None else _text(value)


def _at(value: Any) -> datetime:
    return instant(value if isinstance(value, str) else str(value))


def instant(text: str) -> datetime:
    """An ISO 8601 date and time with its offset; ValueError otherwise."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time with an offset, like 2026-11-18T09:30:00+00:00, not "
            f"'{cap(one_line(text), 40)}'"
        ) from None
    if when.utcoffset() is None:
        raise ValueError(f"'{text}' has no offset from UTC (add one, like +00:00)")
    return when


_CHECKS = {
    "goal": _goal,
    "week": _week,
    "confidence": _confidence,
    "note": _text,
    "author": _author,
    "at": _at,
}


def entry_yaml(entry: CheckinEntry) -> str:
    """One check-in as a YAML list item, its keys in the file's order."""
    values: dict[str, object] = {
        "goal": entry.goal,
        "week": entry.week,
        "confidence": entry.confidence,
        "note": entry.note,
    }
    if entry.author is not None:
        values["author"] = entry.author
    values["at"] = entry.at.isoformat()
    return yaml.safe_dump([values], sort_keys=False, allow_unicode=True, width=100)


def append_checkin(path: Path, entry: CheckinEntry, wait_s: float = LOCK_WAIT_S) -> None:
    """Add `entry` at the end of the file (created with a header if missing), keeping what is
    there byte for byte; under a lock file beside it (`.checkins.yaml.lock`), so that two
    processes adding at once both land. A file that does not read as check-ins is left alone:
    CheckinsError. Written to a temporary file, then renamed over it."""
    target = Path(os.path.realpath(path))  # a symbolic link stays one; its target is replaced
    lock = target.with_name(f".{target.name}.lock")
    try:
        handle = open(lock, "a+")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise CheckinsError(f"{path}: cannot create its lock file {lock}: {exc.strerror}") from None
    with handle, bounded_lock(handle, str(path), wait_s, "no check-in was added"):
        text = _read_text(target)
        entries = parse_checkins(text, path)
        _replace(target, _appended(text, entries, entry, path))


def _appended(text: str, entries: Sequence[CheckinEntry], entry: CheckinEntry, path: Path) -> str:
    """The file's text with `entry` added: appended as a list item when that reads back as the
    same check-ins plus this one (comments and layout kept); otherwise (a flow list `[...]`,
    an indented list, a `...` end marker) the whole list written anew."""
    block = entry_yaml(entry)
    if not text.strip():
        return (text or HEADER) + block
    candidate = text + ("" if text.endswith("\n") else "\n") + block
    try:
        if parse_checkins(candidate, path) == (*entries, entry):
            return candidate
    except CheckinsError:
        pass
    return HEADER + "".join(entry_yaml(e) for e in (*entries, entry))


def _read_text(path: Path) -> str:
    """The file's text; "" when it does not exist. CheckinsError when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise CheckinsError(f"{path}: cannot read the file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CheckinsError(f"{path}: not a regular file; give the path of a YAML file")
        try:
            data = file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CheckinsError(f"{path}: cannot read the file: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise CheckinsError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; is it the file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckinsError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _replace(path: Path, text: str) -> None:
    """Write `path` whole or not at all, keeping its permissions."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CheckinsError(f"{path}: cannot write the file: {exc.strerror or exc}") from None
