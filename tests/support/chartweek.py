"""A small scored week from a fake source, for the tests of the chart pool and cache."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import load_config
from pipeline.core.formats import Format
from pipeline.core.history import Past
from pipeline.core.model import QueryResult, WeekResult
from pipeline.query.ask import query_all
from pipeline.run import RunOutcome, RunRequest, run_week
from pipeline.scoring.score import score_week
from pipeline.scoring.trend import Trend, build_trend
from pipeline.scoring.window import week_window
from tests.support.configs import write_config
from tests.support.fakes import FakeSource

NOW = datetime(2026, 11, 26, tzinfo=UTC)
CONFIG = """
sprint: {name: Charts, start: 2026-11-02, week_days: 1, step: 1h}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: up, name: Up, category: technical, query: q_up, aggregate: min, target: ">= 1"}
  - {id: lat, name: Latency, category: technical, query: q_lat, aggregate: max,
     target: "<= 100", warning: "<= 150", unit: ms}
  - {id: err, name: Errors, category: technical, query: q_err, aggregate: last, target: "< 5"}
agents:
  - {id: one, name: Agent One, goals: [up, lat]}
  - {id: two, name: Agent Two, goals: [lat, err]}
"""
Answers = dict[str, list[tuple[dict[str, str], float]]]
ANSWERS: Answers = {
    "q_up": [({"job": "a"}, 1.0), ({"job": "b"}, 0.0)],
    "q_lat": [({"c": "x"}, 120.0), ({"c": "y"}, 80.0)],
    "q_err": [({}, 2.0)],
}


def scored_week(
    tmp_path: Path, answers: Answers = ANSWERS
) -> tuple[WeekResult, dict[str, QueryResult], Trend]:
    """The week's result, its query results and a trend without earlier weeks."""
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    window = week_window(loaded.sprint, 1, NOW)
    results = query_all(FakeSource(answers), [g.query for g in loaded.goals], window)
    result = score_week(loaded, window, results, NOW)
    return result, dict(results), build_trend(result, Past(weeks=(), goals={}))


def run(tmp_path: Path, out: Path, week: int = 1, answers: Answers = ANSWERS) -> RunOutcome:
    """A whole run of `week` (Markdown and HTML) into `out`."""
    loaded = load_config(write_config(tmp_path / "c.yaml", CONFIG), env={})
    request = RunRequest(week, out, formats=(Format.MD, Format.HTML))
    return run_week(loaded, request, now=NOW, source=FakeSource(answers))
