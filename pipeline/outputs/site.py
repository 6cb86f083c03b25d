"""The browsable report site: `index.html` across weeks, and one in each week folder.

Built from the summary.json files on disk (what was really written), not from this run alone,
so the index lists every week; static and self-contained (inline CSS and SVG, no script).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

from pydantic import ValidationError

from pipeline.core.checkins import MAX_NOTE_CHARS
from pipeline.core.people import display_name
from pipeline.core.targets import parse_target
from pipeline.core.text import cap, one_line
from pipeline.outputs.folder import replace_text, site_lock
from pipeline.outputs.layout import INDEX, SUMMARY_JSON, WEEK_GLOB, week_dir_name
from pipeline.outputs.summary_model import (
    AgentSummary,
    CheckinSummary,
    GoalSummary,
    Summary,
    upgraded,
)
from pipeline.report import formatting as fmt
from pipeline.report.badge import Badge
from pipeline.report.render import environment

log = logging.getLogger("pipeline")
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
    id: str = ""
    owner: str | None = None  # as shown: `Dana`
    checkin: str | None = None  # its check-in of the week: `7/10`, `7/10, stale`
    note: str | None = None  # and its note, one line


@dataclass(frozen=True)
class WeekRow:
    """A week as the site shows it; `cells` follows the site's agent order (None: not in it)."""

    week: int
    folder: str
    window: str
    window_dates: tuple[str, str]  # the first and the last day, each shown unbroken
    complete: bool
    verdict: Badge
    score: float | None
    cells: tuple[AgentCell | None, ...]
    files: tuple[Link, ...]  # summary.json and the CSV files, relative to the week folder
    goals: tuple[GoalLine, ...]

    @property
    def score_text(self) -> str:
        return fmt.score(self.score)

    @property
    def owners(self) -> bool:
        """Some goal has an owner: the goals table shows the column."""
        return any(g.owner for g in self.goals)

    @property
    def checkins(self) -> bool:
        """Some goal has a check-in this week: the goals table shows the column."""
        return any(g.checkin for g in self.goals)

    @property
    def example_goal(self) -> str:
        """A goal id for the page's `checkin` command line."""
        return self.goals[0].id if self.goals and self.goals[0].id else "GOAL_ID"


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    week: int
    label: str


@dataclass(frozen=True)
class Thresholds:
    """The verdict's thresholds: at or above `pass_score` met, below `warning_score` missed."""

    pass_score: float
    warning_score: float


@dataclass(frozen=True)
class ScoreBand:
    """A verdict's band of scores on the trend's canvas, as the PDF's trend chart shades it."""

    code: str  # met, at_risk, missed: the CSS class that colours it
    label: str
    y: float
    height: float


@dataclass(frozen=True)
class SiteView:
    sprint: str
    agents: tuple[str, ...]  # agent names, the table's columns
    weeks: tuple[WeekRow, ...]  # newest first
    trend: tuple[TrendPoint, ...]  # oldest first, on a 100 x 40 canvas (score 100 at y=4)
    bands: tuple[ScoreBand, ...] = ()  # top to bottom; none when the thresholds are not known
    portfolio: str | None = None  # the link to every team's portfolio page, for a team's site

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.trend)


def read_summaries(output_dir: Path) -> list[Summary]:
    """Each week folder's summary.json, by week; unreadable ones are left out with a warning."""
    found = []
    for path in sorted(output_dir.glob(f"{WEEK_GLOB}/{SUMMARY_JSON}")):
        try:
            # json first: a file nested thousands deep is a RecursionError, named as such
            document = upgraded(json.loads(path.read_text(encoding="utf-8")))
            found.append(Summary.model_validate(document))
        except (OSError, ValueError, ValidationError, RecursionError) as exc:
            log.warning("site: %s left out of the index (%s)", path, type(exc).__name__)
    return sorted(found, key=lambda d: d.week)


def site_view(
    summaries: Sequence[Summary], prefix_weeks: bool = True, thresholds: Thresholds | None = None
) -> SiteView:
    """The index's data; `prefix_weeks`: links start with the week folder (the top index);
    `thresholds`: the score chart's verdict bands."""
    agents: dict[str, str] = {}
    for doc in summaries:
        for agent in doc.agents:
            agents.setdefault(agent.id, agent.name)
    rows = tuple(_week_row(doc, list(agents), prefix_weeks) for doc in reversed(summaries))
    return SiteView(
        sprint=summaries[-1].sprint if summaries else "",
        agents=tuple(agents.values()),
        weeks=rows,
        trend=_trend(rows),
        bands=_bands(thresholds) if thresholds else (),
    )


def _week_row(doc: Summary, agent_ids: list[str], prefix: bool) -> WeekRow:
    folder = week_dir_name(doc.week)
    base = f"{folder}/" if prefix else ""
    by_id = {a.id: a for a in doc.agents}
    cells = tuple(_cell(by_id[a], base) if a in by_id else None for a in agent_ids)
    data = (SUMMARY_JSON, *(name for name in doc.files if name != INDEX))  # not the page itself
    return WeekRow(
        week=doc.week,
        folder=folder,
        window=f"{doc.window.start[:10]} to {doc.window.end[:10]}",
        window_dates=(doc.window.start[:10], doc.window.end[:10]),
        complete=doc.window.complete,
        verdict=Badge.of(doc.overall.verdict),
        score=doc.overall.score,
        cells=cells,
        files=tuple(Link(name, _href(base, name)) for name in data),
        goals=tuple(_goal_line(g) for g in doc.goals),
    )


def _cell(agent: AgentSummary, base: str) -> AgentCell:
    return AgentCell(
        name=agent.name,
        verdict=Badge.of(agent.verdict),
        score=fmt.score(agent.score),
        links=tuple(
            Link(label, _href(base, agent.files[kind]))
            for kind, label in FORMAT_LABELS.items()
            if kind in agent.files
        ),
    )


def _goal_line(goal: GoalSummary) -> GoalLine:
    value, unit = goal.value, goal.unit
    shown = "—" if value is None else fmt.quantity(float(value), unit, ())  # "NaN" too
    return GoalLine(
        name=goal.name,
        status=Badge.of(goal.status),
        value=shown,
        target=_goal_target(goal),
        score=fmt.score(goal.score),
        id=goal.id,
        owner=display_name(one_line(goal.owner)) if goal.owner else None,
        checkin=_checkin(goal.checkin),
        note=cap(one_line(goal.checkin.note).strip(), MAX_NOTE_CHARS) if goal.checkin else None,
    )


def _checkin(checkin: CheckinSummary | None) -> str | None:
    """`7/10`, with its flags: `7/10, stale, disagrees`."""
    if checkin is None:
        return None
    shown = [
        name for name, on in (("stale", checkin.stale), ("disagrees", checkin.disagrees)) if on
    ]
    return ", ".join([f"{checkin.confidence}/10", *shown])


def _target(text: str, unit: str) -> str:
    """A goal's target as the reports write it (`>= 1,000,000 events/s`); as summary.json
    holds it if it does not parse (a file written by another version)."""
    try:
        return fmt.target(parse_target(text), unit)
    except ValueError:
        return f"{text} {unit}".strip()


def _goal_target(goal: GoalSummary) -> str:
    """The target shown; a relative goal's with its relative target (`<= 90.75 ms (<= +10%)`),
    or that alone when it has no baseline."""
    if goal.baseline is None:
        return _target(goal.target, goal.unit)
    if goal.baseline.bound is None:
        return f"{goal.baseline.relative} (no baseline)"
    return f"{_target(goal.target, goal.unit)} ({goal.baseline.relative})"


def _href(base: str, name: str) -> str:
    return quote(f"{base}{name}")


def _y(score: float) -> float:
    """A score's height on the trend's canvas: 100 at y=4, 0 at y=34."""
    return 34 - 30 * score / 100


def _bands(t: Thresholds) -> tuple[ScoreBand, ...]:
    """Passed, at risk and missed, as draw_trend_chart shades the PDF's chart."""
    edges = (
        ("met", f"passed: {t.pass_score:g} and above", 100.0, t.pass_score),
        (
            "at_risk",
            f"at risk: {t.warning_score:g} to {t.pass_score:g}",
            t.pass_score,
            t.warning_score,
        ),
        ("missed", f"missed: below {t.warning_score:g}", t.warning_score, 0.0),
    )
    return tuple(
        ScoreBand(code, label, round(_y(high), 2), round(_y(low) - _y(high), 2))
        for code, label, high, low in edges
        if high > low
    )


def _trend(rows: Sequence[WeekRow]) -> tuple[TrendPoint, ...]:
    scored = [r for r in reversed(rows) if r.score is not None]
    if not scored:
        return ()
    span = max(1, len(scored) - 1)
    return tuple(
        TrendPoint(
            x=5 + 90 * i / span if len(scored) > 1 else 50,
            y=_y(r.score or 0),
            week=r.week,
            label=f"week {r.week}: {r.score_text}",
        )
        for i, r in enumerate(scored)
    )


def render_index(view: SiteView, generated: str) -> str:
    """The top index.html: every week and agent."""
    return environment().get_template("site/index.html.j2").render(s=view, generated=generated)


def render_week_index(doc: Summary, generated: str) -> str:
    """A week folder's index.html: its agents, their files, its goals."""
    view = site_view([doc], prefix_weeks=False)
    return (
        environment()
        .get_template("site/week.html.j2")
        .render(s=view, w=view.weeks[0], generated=generated)
    )


def write_index(
    output_dir: Path,
    generated: str,
    thresholds: Thresholds | None = None,
    in_portfolio: bool = False,
) -> Path:
    """(Re)write `output_dir/index.html` atomically from the week folders there; the score
    chart's bands from `thresholds` (this run's, as the PDF's trend chart has them);
    `in_portfolio`: a team's site, linking up to the portfolio page beside its folder."""
    path = output_dir / INDEX
    with site_lock(output_dir):  # runs of two weeks: the later read sees both week folders
        view = site_view(read_summaries(output_dir), thresholds=thresholds)
        if in_portfolio:
            view = replace(view, portfolio=f"../{INDEX}")
        replace_text(path, render_index(view, generated))
    return path
