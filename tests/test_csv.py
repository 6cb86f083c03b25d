"""goals.csv and series.csv read back with the csv module and compared with summary.json."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.core.outcomes import Status
from pipeline.demo.promserver import PrometheusServer
from pipeline.outputs.csvfiles import goals_csv, series_csv
from pipeline.outputs.summary_model import SeriesSummary, Summary
from tests.support.configs import shipped_config

pytestmark = pytest.mark.prometheus
GOLDEN_SUMMARY = Path(__file__).parent / "golden" / "week-01" / "summary.json"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, int | float) else str(value)


def test_every_run_writes_both_files_matching_summary_json(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    out = tmp_path / "out"
    for week in (2, 3):  # week 3 has a previous week: its nested fields are filled
        args = ["--week", str(week), "--config", str(config), "--output", str(out)]
        assert main([*args, "--format", "md", "-q"]) == 0
    folder = out / "week-03"
    summary = json.loads((folder / "summary.json").read_text())
    assert {"goals.csv", "series.csv"} <= set(summary["files"])
    goals = _rows(folder / "goals.csv")
    assert [g["id"] for g in goals] == [g["id"] for g in summary["goals"]]
    for row, goal in zip(goals, summary["goals"], strict=True):
        for key in ("name", "query", "target", "value", "status", "score", "coverage", "key"):
            assert row[key] == _shown(goal[key]), (goal["id"], key)
        assert row["previous_week"] == "2"
        assert row["previous_value"] == _shown(goal["previous"]["value"])
        assert row["series_count"] == str(len(goal["series"]))
    series = _rows(folder / "series.csv")
    expected = [(g["id"], s) for g in summary["goals"] for s in g["series"]]
    assert len(series) == len(expected)
    for row, (goal_id, s) in zip(series, expected, strict=True):
        assert row["goal_id"] == goal_id
        assert row["value"] == _shown(s["value"]) and row["status"] == s["status"]
        labels = {k.removeprefix("label_"): v for k, v in row.items() if k.startswith("label_")}
        assert {k: v for k, v in labels.items() if v} == s["labels"]


def _summary(labels: dict[str, str], value: Any = 1.5) -> Summary:
    """A real summary (the golden week 1) with one goal holding one series."""
    golden = Summary.model_validate_json(GOLDEN_SUMMARY.read_text())
    series = SeriesSummary(labels=labels, value=value, status=Status.MET, score=100.0, coverage=1)
    goal = golden.goals[0].model_copy(
        update={
            "name": '=HYPERLINK("http://x")',
            "previous": None,
            "forecast": None,
            "warnings": ["a", "b"],
            "series": [series],
        }
    )
    return golden.model_copy(update={"goals": [goal]})


def test_text_that_a_spreadsheet_would_run_is_kept_as_text() -> None:
    summary = _summary({"job": "+cmd|' /C calc'!A0", "env": "-1+1", "ok": "plain"}, "-Inf")
    [goal] = csv.DictReader(goals_csv(summary).splitlines())
    assert goal["name"] == '\'=HYPERLINK("http://x")'
    assert goal["warnings"] == "a; b"
    assert goal["previous_week"] == "" and goal["forecast_week_end_p_met"] == ""
    [row] = csv.DictReader(series_csv(summary).splitlines())
    assert row["label_job"] == "'+cmd|' /C calc'!A0"
    assert row["label_env"] == "'-1+1" and row["label_ok"] == "plain"
    assert row["value"] == "-Inf"  # summary.json's name for a number JSON cannot carry
    assert row["coverage"] == "1.0"  # as summary.json has it


# What a terminal runs or shows reordered: ESC, BEL, the C1 CSI, a lone CR, bidi overrides
_RUNNABLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def test_control_characters_from_config_or_data_never_reach_either_file(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    """`cat goals.csv` must not run an escape sequence from a goal's name, unit or message."""
    replace = {
        "name: Event Throughput": 'name: "Event \\e[2J\\aThrough\\rput\\u202e"',
        "unit: events/s": 'unit: "events\\e]0;pwned\\a/s"',
        "category: technical\n    query: sum(rate(attribution_events_processed_total[5m]))": (
            'category: technical\n    query: "sum(rate(attribution_events_processed_total[5m]))'
            ' # \\x9b31m comment"'
        ),
    }
    config = shipped_config(tmp_path, prometheus.url, replace)
    out = tmp_path / "out"
    args = ["--week", "2", "--config", str(config), "--output", str(out), "--format", "md"]
    assert main([*args, "-q"]) == 0
    folder = out / "week-02"
    for name in ("goals.csv", "series.csv"):
        text = (folder / name).read_bytes().decode("utf-8").replace("\r\n", "\n")
        assert not _RUNNABLE.search(text), name
    goal = _rows(folder / "goals.csv")[0]
    assert goal["name"] == "Event [2JThroughput"
    assert goal["unit"] == "events]0;pwned/s"
    assert goal["query"] == "sum(rate(attribution_events_processed_total[5m])) # 31m comment"


def test_a_label_name_or_value_with_control_characters_is_stripped() -> None:
    summary = _summary({"job\x1b[2J": "api\x07\u202e", "ok": "line\nbreak"})
    header = series_csv(summary).split("\r\n")[0]
    assert "label_job[2J" in header and "\x1b" not in header
    [parsed] = csv.DictReader(series_csv(summary).splitlines(keepends=True))
    assert parsed["label_job[2J"] == "api" and parsed["label_ok"] == "line\nbreak"
