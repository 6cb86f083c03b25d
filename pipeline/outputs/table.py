"""The terminal table of a week's scores (`--dry-run`)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from pipeline.core.model import WeekResult
from pipeline.core.text import one_line
from pipeline.report import formatting as fmt


def cell(text: str) -> Text:
    """External text (names, labels, server messages) as a rich cell: never markup."""
    return Text(one_line(text))


def scores_table(result: WeekResult) -> Table:
    """Goals, then categories, overall and agents, as a rich table."""
    window = result.window
    state = "complete" if window.complete else "in progress"
    table = Table(title=cell(f"{result.sprint}: week {window.week} ({state})"))
    for column in ("Goal", "Category", "Target", "Actual", "Status", "Score", "Coverage"):
        table.add_column(column, justify="right" if column in ("Score", "Coverage") else "left")
    for goal in result.goals:
        spec = goal.spec
        table.add_row(
            cell(spec.name),
            cell(spec.category),
            fmt.target(spec.target),
            cell(fmt.goal_quantity(goal.value, spec)),
            goal.status.text,
            fmt.score(goal.score),
            fmt.percent(goal.coverage),
        )
    table.add_section()
    for cat in result.scorecard.categories:
        name = cell(f"{cat.name} ({fmt.weight(cat.weight)})")
        table.add_row(name, "", "", "", "", fmt.score(cat.score), "")
    card = result.scorecard
    table.add_row("OVERALL", "", "", "", card.verdict.text, fmt.score(card.score), "")
    table.add_section()
    for agent in result.agents:
        verdict = agent.scorecard.verdict.text
        score = fmt.score(agent.scorecard.score)
        table.add_row(cell(agent.name), "agent", "", "", verdict, score, "")
    return table
