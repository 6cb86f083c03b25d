"""`python -m pipeline dashboard`: a Grafana dashboard, built with Grafana's own typed models
(grafana-foundation-sdk, its Grafana 11.6 build: `schemaVersion` 41) and its JSON encoder.

Top to bottom: the sprint (its score and verdict of the week, the forecast's expected verdict,
the score by week, a table of every goal), then a row per agent (its score and verdict, its goals,
links to its goals shown under an earlier agent), then the goals no agent lists. Each goal has
exactly one panel, under the first agent (config order) that lists it. The stats and the table
read the pushed metrics (pipeline/outputs/metrics.py) of the `week` variable's week.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from itertools import count
from typing import Protocol, Self

from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import text
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from pipeline.core.settings import AgentSpec, GoalSpec, Settings
from pipeline.generate import promql
from pipeline.generate.panels import (
    DATASOURCE,
    Metrics,
    goal_panel,
    goals_table,
    link,
    links_panel,
    outlook_panel,
    score_panel,
    weeks_panel,
)
from pipeline.outputs.metrics import PREFIX

UNOWNED = "Not in any agent's report"
WIDTH, HEIGHT = 24, 8  # the grid's columns; a panel's height in rows
STAT_WIDTH, GOAL_WIDTH = 6, 9  # an agent's row: its stat, then two goals to a line


@dataclass(frozen=True)
class Section:
    """A row after the sprint's: an agent (None: the goals no agent lists), the goals whose panel
    it holds, and its goals whose panel is under an earlier agent."""

    agent: AgentSpec | None
    goals: tuple[GoalSpec, ...]
    elsewhere: tuple[GoalSpec, ...] = ()


def sections(loaded: Settings) -> list[Section]:
    """Every goal exactly once: under the first agent that lists it, else in the last row."""
    specs = {g.id: g for g in loaded.goals}
    owner: dict[str, str] = {}
    for agent in loaded.agents:
        for goal in agent.goals:
            owner.setdefault(goal, agent.id)
    rows = [
        Section(
            agent,
            tuple(specs[g] for g in agent.goals if owner[g] == agent.id),
            tuple(specs[g] for g in agent.goals if owner[g] != agent.id),
        )
        for agent in loaded.agents
    ]
    unowned = tuple(g for g in loaded.goals if g.id not in owner)
    return [*rows, Section(None, unowned)] if unowned else rows


class _Panel(Protocol):
    """What the grid needs of a panel builder of the SDK (each kind is its own class)."""

    def id(self, id_val: int) -> Self: ...
    def grid_pos(self, grid_pos: model.GridPos) -> Self: ...
    def build(self) -> model.Panel: ...


@dataclass(frozen=True)
class _Placed(Builder[model.Panel]):
    """A placed panel, as the dashboard builder takes it."""

    panel: _Panel

    def build(self) -> model.Panel:
        return self.panel.build()


@dataclass
class _Grid:
    """Rows and panels placed top to bottom, each given the next id."""

    ids: count[int] = field(default_factory=lambda: count(1))
    y: int = 0
    items: list[builders.Row | _Placed] = field(default_factory=list)

    def row(self, title: str) -> None:
        pos = model.GridPos(h=1, w=WIDTH, x=0, y=self.y)
        self.items.append(builders.Row(title).id(next(self.ids)).grid_pos(pos))
        self.y += 1

    def put(self, panel: _Panel, x: int, y: int, w: int, h: int) -> int:
        """Place `panel` and return its id."""
        number = next(self.ids)
        self.items.append(_Placed(panel.id(number).grid_pos(model.GridPos(h=h, w=w, x=x, y=y))))
        return number

    def goals(
        self, goals: tuple[GoalSpec, ...], metrics: Metrics, left: int
    ) -> tuple[dict[str, int], int]:
        """The goals' panels from row y, right of column `left`, as many to a line as fit:
        their ids, and the row below the last."""
        width = GOAL_WIDTH if left else WIDTH // 3
        per_line = (WIDTH - left) // width
        ids = {}
        for i, spec in enumerate(goals):
            line, column = divmod(i, per_line)
            x, y = left + column * width, self.y + line * HEIGHT
            ids[spec.id] = self.put(goal_panel(spec, metrics), x, y, width, HEIGHT)
        return ids, self.y + -(-len(goals) // per_line) * HEIGHT


def build_dashboard(loaded: Settings) -> model.Dashboard:
    """The dashboard as Grafana's typed model."""
    sprint, scoring = loaded.sprint.name, loaded.scoring
    metrics = Metrics(sprint)
    verdict = (scoring.pass_score, scoring.warning_score)
    grid = _Grid()
    grid.row("Sprint")
    overall = score_panel(
        f"{sprint}: score and verdict",
        metrics.of("score", scope="overall"),
        metrics.of("verdict", scope="overall"),
        *verdict,
    )
    grid.put(overall, 0, grid.y, STAT_WIDTH, HEIGHT)
    grid.put(outlook_panel(metrics, *verdict), STAT_WIDTH, grid.y, STAT_WIDTH, HEIGHT)
    grid.put(weeks_panel(metrics, *verdict), 2 * STAT_WIDTH, grid.y, WIDTH - 2 * STAT_WIDTH, HEIGHT)
    grid.y += HEIGHT
    table_height = min(4 + len(loaded.goals) + len(loaded.goals) // 4, 24)
    grid.put(goals_table(metrics, loaded.goals), 0, grid.y, WIDTH, table_height)
    grid.y += table_height
    panel_ids: dict[str, int] = {}
    where: dict[str, str] = {}
    pending: list[tuple[text.Panel, tuple[GoalSpec, ...]]] = []
    for section in sections(loaded):
        agent = section.agent
        title = agent.name if agent else UNOWNED
        grid.row(title)
        bottom = grid.y
        if agent:
            stat = score_panel(
                f"{agent.name}: score and verdict",
                metrics.of("agent_score", agent=agent.id),
                metrics.of("agent_verdict", agent=agent.id),
                *verdict,
            )
            grid.put(stat, 0, bottom, STAT_WIDTH, HEIGHT)
            bottom += HEIGHT
            if section.elsewhere:
                links = links_panel()
                height = max(4, len(section.elsewhere) + 3)
                grid.put(links, 0, bottom, STAT_WIDTH, height)
                pending.append((links, section.elsewhere))
                bottom += height
        ids, below = grid.goals(section.goals, metrics, STAT_WIDTH if agent else 0)
        panel_ids.update(ids)
        where.update(dict.fromkeys(ids, title))
        grid.y = max(below, bottom)
    for links, goals in pending:
        items = [link(g.name, panel_ids[g.id], where[g.id]) for g in goals]
        links.content("Shown under another agent:\n\n" + "\n".join(items))
    board = (
        builders.Dashboard(f"Sprint convergence: {sprint}")
        .uid("sprint-" + hashlib.sha256(sprint.encode()).hexdigest()[:12])
        .tags(["sprint-convergence"])
        .timezone(loaded.sprint.timezone)
        .editable()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .time(_start(loaded), "now")
        .refresh("5m")
        .with_variable(_datasource_variable())
        .with_variable(_week_variable(sprint))
    )
    for item in grid.items:
        board = board.with_row(item) if isinstance(item, builders.Row) else board.with_panel(item)
    return board.build()


def _start(loaded: Settings) -> str:
    start = datetime.combine(loaded.sprint.start, time(), loaded.sprint.zone)
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _datasource_variable() -> builders.DatasourceVariable:
    """Any Prometheus data source; `prometheus` until another is picked."""
    current = model.VariableOption(selected=True, text="prometheus", value="prometheus")
    return (
        builders.DatasourceVariable("datasource")
        .label("Prometheus")
        .type("prometheus")
        .current(current)
        .hide(model.VariableHide.DONT_HIDE)
    )


def _week_variable(sprint: str) -> builders.QueryVariable:
    """The week the stats and the table show: the latest pushed unless another is picked (no
    `current`: Grafana selects the first option, and the options sort the latest first)."""
    expr = f"label_values({PREFIX}score{{sprint={promql.string(sprint)}}}, week)"
    return (
        builders.QueryVariable("week")
        .label("Week")
        .datasource(DATASOURCE)
        .query({"query": expr, "refId": "week"})
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.NUMERICAL_DESC)
        .hide(model.VariableHide.DONT_HIDE)
    )


def dashboard_json(loaded: Settings) -> str:
    """The dashboard's JSON text, serialised by the SDK's encoder."""
    board = build_dashboard(loaded)
    return json.dumps(board, cls=JSONEncoder, indent=2, ensure_ascii=False) + "\n"
