"""Run history and delivery records in one SQLite file beside the reports."""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pipeline.core.model import Labels, WeekResult
from pipeline.core.outcomes import Status, Verdict
from pipeline.core.relative import Invalidation
from pipeline.errors import HistoryError

_E = TypeVar("_E", Status, Verdict)

FILE_NAME = "history.sqlite"
# PRAGMA user_version; 0 is the unversioned schema of 0.1 (same tables as 2); 3 adds the weeks
# left out of baselines (invalidations); each upgrade only adds tables
SCHEMA_VERSION = 3
BUSY_TIMEOUT_S = 10.0  # how long to wait for another process's write before failing
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
CREATE TABLE IF NOT EXISTS invalidations (
    week INTEGER PRIMARY KEY,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    week INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
DROP TABLE IF EXISTS category_scores;
DROP TABLE IF EXISTS agent_scores;
"""
log = logging.getLogger("pipeline")


@dataclass(frozen=True)
class GoalPoint:
    """A goal's outcome in one earlier week; `series` is empty in runs recorded before 0.2."""

    week: int
    value: float | None
    status: Status
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
    verdict: Verdict
    complete: bool


@dataclass(frozen=True)
class Past:
    """What the history says about the weeks before the one being reported."""

    weeks: tuple[WeekPoint, ...]  # oldest first, the latest run of each week
    goals: dict[str, tuple[GoalPoint, ...]]  # goal id -> its points, oldest first
    # the weeks up to the one reported (itself included) left out of baselines, oldest first
    invalidated: tuple[Invalidation, ...] = ()


class History:
    """The SQLite history of one output folder.

    Every failure is a HistoryError that names the file and what to do: a corrupt file is to be
    moved aside (the next run starts a new history); a file another process holds is waited
    for BUSY_TIMEOUT_S, then the run fails before anything is replaced.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode (transactions are explicit) on the current schema;
        any SQLite failure in the body is a HistoryError naming the file and what to do."""
        if not self.path.exists():
            log.info("%s: no history yet, starting a new one", self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from None
        try:
            self._upgrade(db)
            yield db
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            db.close()

    def _upgrade(self, db: sqlite3.Connection) -> None:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path} was written by a newer version of the pipeline (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade, or move the file aside"
            )
        if version < SCHEMA_VERSION:
            db.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )

    def _error(self, exc: BaseException) -> HistoryError:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
            return HistoryError(
                f"{self.path} is locked by another process (waited {BUSY_TIMEOUT_S:g}s); "
                "nothing was replaced: run again when it is done"
            )
        if isinstance(exc, sqlite3.OperationalError) and "disk is full" in text:
            return HistoryError(  # the file is fine: moving it aside would lose the history
                f"cannot write {self.path}: the disk is full; nothing was replaced: free some "
                "space and run again"
            )
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in text:
            return HistoryError(  # the file is fine: it is the permissions
                f"cannot write {self.path}: it is read-only here ({text}); nothing was changed: "
                "check the permissions of the file and of its folder"
            )
        return HistoryError(
            f"{self.path} cannot be used as the run history ({text}); move it aside "
            f"(mv {self.path} {self.path}.broken): the next run starts a new history"
        )

    @contextmanager
    def recording(self, result: WeekResult) -> Iterator[None]:
        """Record `result` in a transaction committed only if the body (the swap) succeeds.

        The write lock is taken first: a locked history fails here, before the body runs.
        """
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            _insert_run(db, result)
            try:
                yield
            except BaseException:
                db.rollback()
                raise
            try:
                db.commit()
            except sqlite3.Error as exc:
                raise HistoryError(
                    f"week {result.window.week}'s reports were replaced, but the run could not "
                    f"be recorded in {self.path} ({exc}); the next run of that week records it"
                ) from None

    def before(self, week: int) -> Past:
        """The latest run of each week before `week`, and the weeks up to `week` left out of
        baselines."""
        if not self.path.exists():  # nothing recorded yet
            return Past(weeks=(), goals={})
        with self._db() as db:
            return _past(db, week)

    def peek(self, week: int) -> Past:
        """`before(week)` read without writing anything (no upgrade, no new file): for a dry
        run. A history of an older schema reads as far as it goes."""
        if not self.path.exists():
            return Past(weeks=(), goals={})
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                self._upgrade(db)  # raises: written by a newer version
            return _past(db, week)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            db.close()

    def invalidate(self, week: int, reason: str, at: str) -> Invalidation | None:
        """Leave `week` out of every baseline from now on, for `reason`; the invalidation it
        replaces (the same week said again), if any."""
        with self._db() as db, db:
            db.execute("BEGIN IMMEDIATE")
            before = db.execute(
                "SELECT week, reason, at FROM invalidations WHERE week = ?", (week,)
            ).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO invalidations (week, reason, at) VALUES (?, ?, ?)",
                (week, reason, at),
            )
        return Invalidation(*before) if before else None

    def recorded_weeks(self) -> tuple[int, ...]:
        """The weeks with at least one run recorded, in order."""
        if not self.path.exists():
            return ()
        with self._db() as db:
            rows = db.execute("SELECT DISTINCT week FROM runs ORDER BY week").fetchall()
        return tuple(int(r[0]) for r in rows)

    def runs(self) -> int:
        """How many runs are recorded."""
        with self._db() as db:
            return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def sent_to(self, week: int, agent_id: str, content_hashes: Sequence[str]) -> set[str]:
        """The recipients that already received this very report (recorded under any of
        `content_hashes`: the key, and the one an earlier version made for it)."""
        if not self.path.exists() or not content_hashes:
            return set()
        marks = ", ".join("?" * len(content_hashes))
        with self._db() as db:
            rows = db.execute(
                "SELECT recipient FROM deliveries WHERE week = ? AND agent_id = ? "
                f"AND content_hash IN ({marks})",
                (week, agent_id, *content_hashes),
            ).fetchall()
        return {r[0] for r in rows}

    def record_delivery(
        self, week: int, agent_id: str, content_hash: str, recipients: list[str], sent_at: str
    ) -> None:
        """Remember who received a report."""
        with self._db() as db, db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?)",
                [(week, agent_id, content_hash, r, sent_at) for r in recipients],
            )


def _insert_run(db: sqlite3.Connection, result: WeekResult) -> None:
    card = result.scorecard
    cursor = db.execute(
        "INSERT INTO runs (week, generated_at, window_end, complete, score, verdict, "
        "config_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            result.window.week,
            result.generated_at.isoformat(),
            result.window.end.isoformat(),
            int(result.window.complete),
            _finite(card.score),
            card.verdict,
            result.config_digest,
        ),
    )
    run_id = cursor.lastrowid
    db.executemany(
        "INSERT INTO goal_scores VALUES (?, ?, ?, ?, ?)",
        [(run_id, g.spec.id, _finite(g.value), g.status, _finite(g.score)) for g in result.goals],
    )
    db.executemany(
        "INSERT INTO series_values VALUES (?, ?, ?, ?, ?)",
        [
            (run_id, g.spec.id, rank, _labels_json(s.labels), _finite(s.value))
            for g in result.goals
            for rank, s in enumerate(g.series)
        ],
    )


def _known(kind: type[_E], text: str) -> _E:
    """A stored status or verdict as its enum; one this version does not know is an error."""
    try:
        return kind(text)
    except ValueError:
        raise HistoryError(
            f"the history holds an unknown {kind.__name__.lower()} {text!r}"
        ) from None


def _past(db: sqlite3.Connection, week: int) -> Past:
    runs, goals = _read_past(db, week)
    return Past(
        weeks=tuple(WeekPoint(w, s, _known(Verdict, v), bool(c)) for _, w, s, v, c in runs),
        goals={k: tuple(v) for k, v in goals.items()},
        invalidated=_invalidations(db, week),
    )


def _invalidations(db: sqlite3.Connection, week: int) -> tuple[Invalidation, ...]:
    """The invalidations of weeks up to `week` (none in a history older than schema 3)."""
    known = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'invalidations'"
    ).fetchone()
    if known is None:
        return ()
    rows = db.execute(
        "SELECT week, reason, at FROM invalidations WHERE week <= ? ORDER BY week", (week,)
    ).fetchall()
    return tuple(Invalidation(int(w), str(r), str(a)) for w, r, a in rows)


def _read_past(
    db: sqlite3.Connection, week: int
) -> tuple[list[tuple[int, int, float | None, str, int]], dict[str, list[GoalPoint]]]:
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
            point = GoalPoint(
                run_week, value, _known(Status, status), score, series.get(goal_id, ())
            )
            goals.setdefault(goal_id, []).append(point)
    return runs, goals


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
