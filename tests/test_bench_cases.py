"""The bench's cases (bench/cases.py) are commands the current CLI accepts, and its teams are
teams: a case the CLI would refuse shows in `make bench` only as a failed row, long after."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.cli import build_parser
from pipeline.config import load_config
from pipeline.teams.folder import read_roster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from cases import CASES, Case, config_dir_command, write_config, write_teams  # noqa: E402

# the report runs: `python -m pipeline --week ...` (not --help, not validate)
PIPELINE_RUNS = [c for c in CASES if c.command(Path("x"))[1:4] == ["-m", "pipeline", "--week"]]


def test_case_keys_are_distinct() -> None:
    keys = [c.key for c in CASES]
    assert len(set(keys)) == len(keys)
    assert {"week", "week-new", "teams 50", "teams 50 --config-dir", "goals 500 md"} <= set(keys)


@pytest.mark.parametrize("case", PIPELINE_RUNS, ids=lambda c: c.key)
def test_run_cases_parse(case: Case, tmp_path: Path) -> None:
    args = build_parser().parse_args(case.command(tmp_path)[3:])
    assert args.week is not None
    assert (args.config_dir is not None) == bool(case.teams)


def test_teams_case_writes_loadable_teams(tmp_path: Path) -> None:
    write_config(tmp_path, "http://127.0.0.1:9", lambda c: c, ROOT)
    write_teams(tmp_path, 3)
    roster = read_roster(tmp_path / "teams")
    assert roster.ids == ("team-00", "team-01", "team-02")
    assert not roster.misnamed and not roster.notes
    names = {load_config(t.path).sprint.name for t in roster.teams}
    assert names == {"Team 00", "Team 01", "Team 02"}
    args = build_parser().parse_args(config_dir_command(tmp_path)[3:])
    assert args.config_dir == tmp_path / "teams"
