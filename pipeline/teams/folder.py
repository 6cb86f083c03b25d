"""Which files of a config folder are teams: `<id>.yaml` for a team id, and what is not.

A team id is its config's file name without `.yaml`: lowercase letters, digits, `-` and `_`,
starting with a letter or a digit, at most 64 characters (it names a folder and a URL path on
every file system alike). Not teams: check-ins files (`checkins.yaml`, `<id>.checkins.yaml`),
hidden files, other names with a dot (`alpha.old.yaml`), folders, anything but `*.yaml`. A
`*.yaml` whose name is not a team id, or a link that leads to no file (a missing target, a
loop), is a team that fails with a config error, so neither a typo nor a lost mount is silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.checkins import is_checkins_name
from pipeline.errors import UsageError

SUFFIX = ".yaml"
TEAM_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
ID_RULE = (
    "a team's file is <id>.yaml, its id made of lowercase letters, digits, '-' and '_', "
    "starting with a letter or a digit, at most 64 characters"
)


@dataclass(frozen=True)
class TeamFile:
    """A team's config file and its id (for a misnamed file, the name without `.yaml`)."""

    id: str
    path: Path

    @property
    def valid(self) -> bool:
        """Whether the file's name is a team id."""
        return TEAM_ID.fullmatch(self.id) is not None


@dataclass(frozen=True)
class Roster:
    """A config folder read: its teams by id, the misnamed `*.yaml`, and notes on files that
    are not teams (check-ins files are not mentioned)."""

    folder: Path
    teams: tuple[TeamFile, ...]
    misnamed: tuple[TeamFile, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.teams)


def read_roster(folder: Path) -> Roster:
    """The teams of `folder`, sorted by id; UsageError when it is not a readable folder."""
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except FileNotFoundError:
        raise UsageError(f"--config-dir {folder}: no such folder") from None
    except NotADirectoryError:
        raise UsageError(
            f"--config-dir {folder}: not a folder (for one file, use --config)"
        ) from None
    except OSError as exc:
        raise UsageError(f"--config-dir {folder}: cannot read it: {exc.strerror}") from None
    teams: list[TeamFile] = []
    misnamed: list[TeamFile] = []
    notes: list[str] = []
    for path in entries:
        name = path.name
        if name.startswith(".") or is_checkins_name(name):
            continue
        if name.endswith(".yml") and path.is_file():
            notes.append(f"{name}: not a team (only *.yaml files are teams)")
            continue
        if not name.endswith(SUFFIX):
            continue
        stem = name[: -len(SUFFIX)]
        if "." in stem:
            notes.append(f"{name}: not a team ({ID_RULE})")
            continue
        if not path.is_file() and not path.is_symlink():  # a link that leads nowhere is a
            notes.append(f"{name}: not a team (not a file)")  # team whose file cannot be read
            continue
        team = TeamFile(stem, path)
        (teams if team.valid else misnamed).append(team)
    return Roster(folder, tuple(teams), tuple(misnamed), tuple(notes))


def read_teams(folder: Path) -> Roster:
    """The folder's roster; UsageError when it is not a readable folder or holds no team."""
    roster = read_roster(folder)
    if not roster.teams and not roster.misnamed:
        raise UsageError(f"--config-dir {folder}: no team in it (each team is an <id>.yaml)")
    return roster


def misnamed_problem(team: TeamFile) -> str:
    """What is wrong with a misnamed team file."""
    return f"'{team.id}' is not a team id: {ID_RULE}; rename the file"
