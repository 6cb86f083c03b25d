"""The browsable report site: `index.html` across weeks, and one in each week folder.

Built from the summary.json files on disk (what was really written), not from this run alone,
so the index lists every week; static and self-contained (inline CSS and SVG, no script).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.core.outcomes import Status, Verdict
from pipeline.outputs.csvfiles import GOALS_CSV, SERIES_CSV
from pipeline.outputs.folder import replace_text, site_lock
from pipeline.report import formatting as fmt
from pipeline.report.badge import Badge
from pipeline.report.render import environment

log = logging.getLogger("pipeline")
INDEX = "index.html"
SUMMARY = "summary.json"
FORMAT_LABELS = {"html": "page", "pdf": "PDF", "md": "Markdown"}


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class AgentCell:
    """One agent in one week: its verdict badge and its files."""

    name: str
    verdict: Badge
    score: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class GoalLine:
    name: str
    status: Badge
    value: str
    target: str
    score: str


@dataclass(frozen=True)
class WeekRow:
    """A week as the site shows it; `cells` follows the site's agent order (None: not in it)."""

    week: int
    folder: str
    window: str
    complete: bool
    verdict: Badge
    score: float | None
    cells: tuple[AgentCell | None, ...]
    files: tuple[Link, ...]  # summary.json and the CSV files, relative to the week folder
    goals: tuple[GoalLine, ...]

    @property
    def score_text(self) -> str:
        return fmt.score(self.score)


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    week: int
    label: str


@dataclass(frozen=True)
class SiteView:
    sprint: str
    agents: tuple[str, ...]  # agent names, the table's columns
    weeks: tuple[WeekRow, ...]  # newest first
    trend: tuple[TrendPoint, ...]  # oldest first, on a 100 x 40 canvas (score 100 at y=4)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.trend)


def read_summaries(output_dir: Path) -> list[Mapping[str, Any]]:
    """Each week folder's summary.json, by week; unreadable ones are left out with a warning."""
    found = []
    for path in sorted(output_dir.glob(f"week-*/{SUMMARY}")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            _week_row(doc, [], prefix=True)  # everything the site reads is there and valid
        # RecursionError: JSON nested thousands deep (a hand-edited or foreign file)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            log.warning("site: %s left out of the index (%s)", path, type(exc).__name__)
            continue
        found.append(doc)
    return sorted(found, key=lambda d: int(d["week"]))


def site_view(summaries: Sequence[Mapping[str, Any]], prefix_weeks: bool = True) -> SiteView:
    """The index's data; `prefix_weeks`: links start with the week folder (the top index)."""
    agents: dict[str, str] = {}
    for doc in summaries:
        for agent in doc.get("agents", []):
            agents.setdefault(str(agent["id"]), str(agent["name"]))
    rows = tuple(_week_row(doc, list(agents), prefix_weeks) for doc in reversed(summaries))
    return SiteView(
        sprint=str(summaries[-1]["sprint"]) if summaries else "",
        agents=tuple(agents.values()),
        weeks=rows,
        trend=_trend(rows),
    )


def _week_row(doc: Mapping[str, Any], agent_ids: list[str], prefix: bool) -> WeekRow:
    folder = f"week-{int(doc['week']):02d}"
    base = f"{folder}/" if prefix else ""
    by_id = {str(a["id"]): a for a in doc.get("agents", [])}
    cells = tuple(_cell(by_id[a], base) if a in by_id else None for a in agent_ids)
    window = doc.get("window", {})
    return WeekRow(
        week=int(doc["week"]),
        folder=folder,
        window=f"{str(window.get('start', ''))[:10]} to {str(window.get('end', ''))[:10]}",
        complete=bool(window.get("complete", False)),
        verdict=Badge.of(Verdict(doc["overall"]["verdict"])),
        score=_score(doc["overall"].get("score")),
        cells=cells,
        files=tuple(
            Link(name, _href(base, name))
            for name in (SUMMARY, GOALS_CSV, SERIES_CSV)
            if name == SUMMARY or name in doc.get("files", ())
        ),
        goals=tuple(_goal_line(g) for g in doc.get("goals", [])),
    )


def _cell(agent: Mapping[str, Any], base: str) -> AgentCell:
    files: Mapping[str, str] = agent.get("files", {})
    return AgentCell(
        name=str(agent["name"]),
        verdict=Badge.of(Verdict(agent["verdict"])),
        score=fmt.score(_score(agent.get("score"))),
        links=tuple(
            Link(label, _href(base, files[kind]))
            for kind, label in FORMAT_LABELS.items()
            if kind in files
        ),
    )


def _goal_line(goal: Mapping[str, Any]) -> GoalLine:
    value = goal.get("value")
    unit = str(goal.get("unit") or "")
    shown = "—" if value is None else fmt.quantity(float(value), unit, ())
    return GoalLine(
        name=str(goal["name"]),
        status=Badge.of(Status(goal["status"])),
        value=shown,
        target=f"{goal['target']} {unit}".strip(),
        score=fmt.score(_score(goal.get("score"))),
    )


def _score(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _href(base: str, name: str) -> str:
    return quote(f"{base}{name}")


def _trend(rows: Sequence[WeekRow]) -> tuple[TrendPoint, ...]:
    scored = [r for r in reversed(rows) if r.score is not None]
    if not scored:
        return ()
    span = max(1, len(scored) - 1)
    return tuple(
        TrendPoint(
            x=5 + 90 * i / span if len(scored) > 1 else 50,
            y=34 - 30 * (r.score or 0) / 100,
            week=r.week,
            label=f"week {r.week}: {r.score_text}",
        )
        for i, r in enumerate(scored)
    )


def render_index(view: SiteView, generated: str) -> str:
    """The top index.html: every week and agent."""
    return environment().get_template("site/index.html.j2").render(s=view, generated=generated)


def render_week_index(doc: Mapping[str, Any], generated: str) -> str:
    """A week folder's index.html: its agents, their files, its goals."""
    view = site_view([doc], prefix_weeks=False)
    return (
        environment()
        .get_template("site/week.html.j2")
        .render(s=view, w=view.weeks[0], generated=generated)
    )


def write_index(output_dir: Path, generated: str) -> Path:
    """(Re)write `output_dir/index.html` atomically from the week folders there."""
    path = output_dir / INDEX
    with site_lock(output_dir):  # runs of two weeks: the later read sees both week folders
        replace_text(path, render_index(site_view(read_summaries(output_dir)), generated))
    return path
