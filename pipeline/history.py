"""Run history and delivery records in one SQLite file beside the reports."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.model import Labels, WeekResult

FILE_NAME = "history.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    week INTEGER NOT NULL,
    generated_at TEXT NOT NULL,
    window_end TEXT NOT NULL,
    complete INTEGER NOT NULL,
    score REAL,
    verdict TEXT NOT NULL,
    config_digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS goal_scores (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    goal_id TEXT NOT NULL,
    value REAL,
    status TEXT NOT NULL,
    score REAL
);
CREATE TABLE IF NOT EXISTS series_values (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    goal_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    labels TEXT NOT NULL,
    value REAL
);
CREATE TABLE IF NOT EXISTS category_scores (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    category TEXT NOT NULL,
    score REAL
);
CREATE TABLE IF NOT EXISTS agent_scores (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    agent_id TEXT NOT NULL,
    score REAL,
    verdict TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    week INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class GoalPoint:
    """A goal's outcome in one earlier week; `series` is empty in runs recorded before 0.2."""

    week: int
    value: float | None
    status: str
    score: float | None
    series: tuple[tuple[Labels, float | None], ...] = ()  # worst first

    @property
    def labels(self) -> Labels | None:
        """The labels of the series the goal's value came from (its worst), when known."""
        return self.series[0][0] if self.series else None


@dataclass(frozen=True)
class WeekPoint:
    """The overall outcome of one earlier week."""

    week: int
    score: float | None
    verdict: str
    complete: bool


@dataclass(frozen=True)
class Past:
    """What the history says about the weeks before the one being reported."""

    weeks: tuple[WeekPoint, ...]  # oldest first, the latest run of each week
    goals: dict[str, tuple[GoalPoint, ...]]  # goal id -> its points, oldest first


class History:
    """The SQLite history of one output folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.executescript(_SCHEMA)
            with db:
                yield db
        finally:
            db.close()

    def record(self, result: WeekResult) -> None:
        """Store a completed run's scores."""
        with self._db() as db:
            card = result.scorecard
            cursor = db.execute(
                "INSERT INTO runs (week, generated_at, window_end, complete, score, verdict, "
                "config_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    result.window.week,
                    result.generated_at.isoformat(),
                    result.window.end.isoformat(),
                    int(result.window.complete),
                    card.score,
                    card.verdict,
                    result.config_digest,
                ),
            )
            run_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO goal_scores VALUES (?, ?, ?, ?, ?)",
                [(run_id, g.spec.id, _finite(g.value), g.status, g.score) for g in result.goals],
            )
            db.executemany(
                "INSERT INTO series_values VALUES (?, ?, ?, ?, ?)",
                [
                    (run_id, g.spec.id, rank, _labels_json(s.labels), _finite(s.value))
                    for g in result.goals
                    for rank, s in enumerate(g.series)
                ],
            )
            db.executemany(
                "INSERT INTO category_scores VALUES (?, ?, ?)",
                [(run_id, c.name, c.score) for c in card.categories],
            )
            db.executemany(
                "INSERT INTO agent_scores VALUES (?, ?, ?, ?)",
                [(run_id, a.id, a.scorecard.score, a.scorecard.verdict) for a in result.agents],
            )

    def before(self, week: int) -> Past:
        """The latest run of each week before `week`."""
        if not self.path.exists():  # nothing recorded yet (and a dry run must not create it)
            return Past(weeks=(), goals={})
        with self._db() as db:
            runs = db.execute(
                "SELECT id, week, score, verdict, complete FROM runs WHERE week < ? AND id IN "
                "(SELECT MAX(id) FROM runs GROUP BY week) ORDER BY week",
                (week,),
            ).fetchall()
            goals: dict[str, list[GoalPoint]] = {}
            for run_id, run_week, *_ in runs:
                series = _series_of(db, run_id)
                for goal_id, value, status, score in db.execute(
                    "SELECT goal_id, value, status, score FROM goal_scores WHERE run_id = ?",
                    (run_id,),
                ):
                    point = GoalPoint(run_week, value, status, score, series.get(goal_id, ()))
                    goals.setdefault(goal_id, []).append(point)
        return Past(
            weeks=tuple(WeekPoint(w, s, v, bool(c)) for _, w, s, v, c in runs),
            goals={k: tuple(v) for k, v in goals.items()},
        )

    def runs(self) -> int:
        """How many runs are recorded."""
        with self._db() as db:
            return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def sent_to(self, week: int, agent_id: str, content_hash: str) -> set[str]:
        """The recipients that already received this very report."""
        if not self.path.exists():
            return set()
        with self._db() as db:
            rows = db.execute(
                "SELECT recipient FROM deliveries WHERE week = ? AND agent_id = ? "
                "AND content_hash = ?",
                (week, agent_id, content_hash),
            ).fetchall()
        return {r[0] for r in rows}

    def record_delivery(
        self, week: int, agent_id: str, content_hash: str, recipients: list[str], sent_at: str
    ) -> None:
        """Remember who received a report."""
        with self._db() as db:
            db.executemany(
                "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?)",
                [(week, agent_id, content_hash, r, sent_at) for r in recipients],
            )


def _series_of(
    db: sqlite3.Connection, run_id: int
) -> dict[str, tuple[tuple[Labels, float | None], ...]]:
    rows = db.execute(
        "SELECT goal_id, labels, value FROM series_values WHERE run_id = ? ORDER BY goal_id, rank",
        (run_id,),
    )
    series: dict[str, list[tuple[Labels, float | None]]] = {}
    for goal_id, labels, value in rows:
        pairs = tuple((str(k), str(v)) for k, v in json.loads(labels))
        series.setdefault(goal_id, []).append((pairs, value))
    return {k: tuple(v) for k, v in series.items()}


def _labels_json(labels: Labels) -> str:
    return json.dumps([list(pair) for pair in labels], ensure_ascii=False)


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None
