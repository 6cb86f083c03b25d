"""The portfolio page, `<output>/index.html` of `--config-dir`: every team's latest verdict, its
score by week, the verdict its forecast expects, and how its latest run ended, linking to each
team's own site.

Built from what is on disk (each team's newest summary.json and last-run.json), not from one
run, so a team that failed tonight still shows last week; static, inline CSS, no script.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from pydantic import ValidationError

from pipeline.core.outcomes import RunState, Verdict
from pipeline.outputs.folder import replace_text, site_lock
from pipeline.outputs.lastrun import LastRun, read_last_run
from pipeline.outputs.layout import INDEX, SUMMARY_JSON, WEEK_GLOB, week_dir_name
from pipeline.outputs.summary_model import Summary, VerdictOddsSummary, upgraded
from pipeline.report import formatting as fmt
from pipeline.report.badge import Badge
from pipeline.report.render import environment

log = logging.getLogger("pipeline")


@dataclass(frozen=True)
class Point:
    """A week's score on a sparkline's 100 x 40 canvas (score 100 at y=4, 0 at y=36)."""

    x: float
    y: float
    label: str  # `week 2: 76.0`


@dataclass(frozen=True)
class Latest:
    """A team's newest reported week."""

    week: int
    href: str  # its week page
    verdict: Badge
    score: str
    complete: bool


@dataclass(frozen=True)
class Expected:
    """The verdict the team's forecast finds most likely, and when."""

    verdict: Badge
    chance: str  # `67 %`
    horizon: str  # `at the sprint's end, 2026-11-23`


@dataclass(frozen=True)
class RunLine:
    """How the team's latest run ended, as the page shows it."""

    code: str  # the badge's CSS class
    label: str  # `⊘ source unreachable`
    exit: str  # `exit 3`; empty for a run that wrote and delivered
    at: str  # `2026-11-18 12:00 UTC`
    message: str | None


@dataclass(frozen=True)
class TeamRow:
    id: str
    href: str | None  # the team's site, when it has one
    sprint: str | None
    latest: Latest | None
    trend: tuple[Point, ...]  # oldest first
    expected: Expected | None
    no_forecast: str  # why there is no expected verdict
    run: RunLine | None

    @property
    def trend_text(self) -> str:
        """`w1 42.0, w2 76.0, w3 94.0`."""
        return ", ".join(p.label for p in self.trend)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.trend)


@dataclass(frozen=True)
class PortfolioView:
    teams: tuple[TeamRow, ...]  # by id
    not_teams: tuple[str, ...]  # what is wrong with each misnamed file of the folder

    @property
    def tally(self) -> str:
        """`3 teams: 1 ACHIEVED, 1 AT RISK, 1 MISSED; 1 latest run failed`."""
        verdicts = [t.latest.verdict.text for t in self.teams if t.latest]
        counts = [f"{verdicts.count(v.text)} {v.text}" for v in Verdict if v.text in verdicts]
        failed = sum(1 for t in self.teams if t.run and t.run.code != "achieved")
        unreported = sum(1 for t in self.teams if not t.latest)
        parts = [", ".join(counts)] if counts else []
        if unreported:
            parts.append(f"{unreported} with no week reported")
        if failed:
            parts.append(f"{failed} whose latest run failed")
        teams = f"{len(self.teams)} team{'' if len(self.teams) == 1 else 's'}"
        return f"{teams}: {'; '.join(parts)}" if parts else teams


def latest_summary(folder: Path) -> Summary | None:
    """The newest week folder's summary.json that reads; None when there is none."""
    found = folder.glob(f"{WEEK_GLOB}/{SUMMARY_JSON}")
    for path in sorted(found, key=_week_number, reverse=True):
        try:
            document = upgraded(json.loads(path.read_text(encoding="utf-8")))
            return Summary.model_validate(document)
        except (OSError, ValueError, ValidationError, RecursionError) as exc:
            log.warning("portfolio: %s left out (%s)", path, type(exc).__name__)
    return None


def _week_number(summary: Path) -> int:
    """`week-104/summary.json` -> 104 (week-100 comes after week-99); -1 if not a number."""
    digits = summary.parent.name.rpartition("-")[2]
    return int(digits) if digits.isdigit() else -1


def portfolio_view(root: Path, team_ids: Sequence[str], not_teams: Sequence[str]) -> PortfolioView:
    """The page's data, read from each team's folder in `root`."""
    return PortfolioView(tuple(_row(root, t) for t in sorted(team_ids)), tuple(not_teams))


def _row(root: Path, team_id: str) -> TeamRow:
    folder = root / team_id
    doc = latest_summary(folder)
    site = f"{team_id}/{INDEX}"
    expected, why = _expected(doc)
    return TeamRow(
        id=team_id,
        href=quote(site) if (root / site).is_file() else None,
        sprint=doc.sprint if doc else None,
        latest=_latest(team_id, doc) if doc else None,
        trend=_trend(doc) if doc else (),
        expected=expected,
        no_forecast=why,
        run=_run_line(read_last_run(folder)),
    )


def _latest(team_id: str, doc: Summary) -> Latest:
    return Latest(
        week=doc.week,
        href=quote(f"{team_id}/{week_dir_name(doc.week)}/{INDEX}"),
        verdict=Badge.of(doc.overall.verdict),
        score=fmt.score(doc.overall.score),
        complete=doc.window.complete,
    )


def _y(score: float) -> float:
    return round(36 - 32 * score / 100, 1)


def _trend(doc: Summary) -> tuple[Point, ...]:
    scored = [w for w in doc.trend if w.score is not None]
    span = max(1, len(scored) - 1)
    return tuple(
        Point(
            x=6 + 88 * i / span if len(scored) > 1 else 50,
            y=_y(w.score or 0),
            label=f"w{w.week} {fmt.score(w.score)}",
        )
        for i, w in enumerate(scored)
    )


def _likely(odds: VerdictOddsSummary) -> tuple[Verdict, float]:
    """The most likely verdict and its chance; of two as likely, the worse (report/odds.py)."""
    options = (
        (Verdict.MISSED, odds.p_missed),
        (Verdict.AT_RISK, odds.p_at_risk),
        (Verdict.ACHIEVED, odds.p_achieved),
    )
    return max(options, key=lambda o: o[1])


def _expected(doc: Summary | None) -> tuple[Expected | None, str]:
    """The expected verdict at the sprint's end, else at the week's end; else why none."""
    if doc is None:
        return None, "no week reported yet"
    forecast = doc.overall.forecast
    for odds, horizon in ((forecast.sprint_end, "sprint's"), (forecast.week_end, "week's")):
        if odds is not None:
            verdict, p = _likely(odds)
            return Expected(Badge.of(verdict), fmt.chance(p), f"at the {horizon} end"), ""
    if doc.window.complete:
        return None, "week complete, no forecast past it"
    return None, "no forecast"


def _run_line(run: LastRun | None) -> RunLine | None:
    if run is None:
        return None
    state = run.state
    code = "achieved" if state is RunState.WRITTEN else "at_risk" if state.wrote else "error"
    exit_text = "" if state is RunState.WRITTEN else f"exit {state.exit_code}"
    return RunLine(code, f"{state.icon} {state.text}", exit_text, _when(run.at), run.message)


def _when(iso: str) -> str:
    """`2026-11-18T12:00:00+00:00` -> `2026-11-18 12:00 UTC`."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.utcoffset() is not None:
        when = when.astimezone(UTC)
    return f"{when:%Y-%m-%d %H:%M} UTC"


def render_portfolio(view: PortfolioView, generated: str) -> str:
    return environment().get_template("site/portfolio.html.j2").render(p=view, generated=generated)


def write_portfolio(
    root: Path, team_ids: Sequence[str], not_teams: Sequence[str], generated: str
) -> Path:
    """(Re)write `root/index.html` atomically from the teams' folders (OutputError naming it
    when it cannot be written)."""
    path = root / INDEX
    with site_lock(root):  # two teams' runs at once: the later read sees both
        replace_text(path, render_portfolio(portfolio_view(root, team_ids, not_teams), generated))
    return path
