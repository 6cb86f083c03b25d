"""The agent integration matrix: every agent and the status of each of its goals.

Markdown lists each agent's goals by name (MatrixRow). The HTML and PDF reports show a compact
grid (MatrixGrid): a row per agent, a coloured cell per goal with the status's icon, numbered
columns with the goal names and the icons' words once below, so laying it out costs a plain table
cell per goal instead of a badge."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.model import AgentResult, WeekResult
from pipeline.core.outcomes import Status
from pipeline.report import formatting as fmt
from pipeline.report.badge import Badge

GRID_COLUMNS = 24  # goal columns in one table; more goals continue in the next table


@dataclass(frozen=True)
class MatrixRow:
    """One agent in the Markdown matrix."""

    name: str
    points: tuple[tuple[Badge, str], ...]  # (status, goal name)
    score: str
    verdict: Badge
    current: bool


@dataclass(frozen=True)
class GridRow:
    """One agent in one table of the grid: a status per goal column (None: not its goal)."""

    name: str
    cells: tuple[Badge | None, ...]
    score: str
    verdict: Badge
    current: bool


@dataclass(frozen=True)
class GridBlock:
    """One table of the grid: the goal columns numbered `numbers`."""

    numbers: tuple[int, ...]
    cell_width: str  # a CSS percentage, the same for every goal column
    rows: tuple[GridRow, ...]


@dataclass(frozen=True)
class MatrixGrid:
    """The compact matrix of the HTML and PDF reports."""

    goals: tuple[tuple[int, str], ...]  # (column number, goal name), the key below the grid
    blocks: tuple[GridBlock, ...]
    key: tuple[Badge, ...] = tuple(Badge.of(s) for s in Status)  # each icon and its word


def matrix_rows(result: WeekResult, agent: AgentResult) -> tuple[MatrixRow, ...]:
    """Every agent with the status of each of its goals; `agent` marked as the current one."""
    return tuple(
        MatrixRow(
            name=a.name,
            points=tuple(
                (Badge.of(result.goal(g).status), result.goal(g).spec.name) for g in a.goal_ids
            ),
            score=fmt.score(a.scorecard.score),
            verdict=Badge.of(a.scorecard.verdict),
            current=a.id == agent.id,
        )
        for a in result.agents
    )


def matrix_grid(result: WeekResult, agent: AgentResult) -> MatrixGrid:
    """The grid of every agent against every goal of the week, in the goal tables' order."""
    ids = [g.spec.id for g in result.goals]
    badges = {g.spec.id: Badge.of(g.status) for g in result.goals}
    blocks = []
    for start in range(0, len(ids), GRID_COLUMNS):
        chunk = ids[start : start + GRID_COLUMNS]
        blocks.append(
            GridBlock(
                numbers=tuple(range(start + 1, start + len(chunk) + 1)),
                cell_width=f"{58 / max(len(chunk), 10):.3f}%",
                rows=tuple(
                    _grid_row(result, a, chunk, badges, a.id == agent.id) for a in result.agents
                ),
            )
        )
    return MatrixGrid(
        goals=tuple((n, g.spec.name) for n, g in enumerate(result.goals, 1)),
        blocks=tuple(blocks),
    )


def _grid_row(
    result: WeekResult,
    agent: AgentResult,
    ids: list[str],
    badges: dict[str, Badge],
    current: bool,
) -> GridRow:
    mine = set(agent.goal_ids)
    return GridRow(
        name=agent.name,
        cells=tuple(badges[g] if g in mine else None for g in ids),
        score=fmt.score(agent.scorecard.score),
        verdict=Badge.of(agent.scorecard.verdict),
        current=current,
    )
