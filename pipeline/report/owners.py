"""Goals' owners as a report shows them: the name in the goal rows, and the next steps grouped
by owner, each owner in the order of their most pressing step, the goals without one last."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.model import AgentResult, WeekResult
from pipeline.core.people import display_name
from pipeline.core.settings import GoalSpec
from pipeline.report.narrative import pending_steps
from pipeline.report.spans import Sentence

NO_OWNER = "No owner"


@dataclass(frozen=True)
class StepGroup:
    """One owner's next steps, most pressing first (`NO_OWNER` for goals without one)."""

    owner: str
    steps: tuple[Sentence, ...]


def owner_name(spec: GoalSpec) -> str | None:
    """The goal's owner as shown (`Dana <dana@example.com>` -> `Dana`); None without one."""
    return display_name(spec.owner) if spec.owner else None


def step_groups(result: WeekResult, agent: AgentResult) -> tuple[StepGroup, ...]:
    """The agent's next steps by owner: owners in the order of the first step each has, steps
    in their order; the steps of goals without an owner last. None at all when no step's goal
    has an owner (the report lists the steps as one list)."""
    groups: dict[str | None, list[Sentence]] = {}
    for goal, step in pending_steps(result, agent):
        groups.setdefault(owner_name(goal.spec), []).append(step)
    if not any(owner is not None for owner in groups):
        return ()
    unowned = groups.pop(None, [])
    found = [StepGroup(owner, tuple(steps)) for owner, steps in groups.items() if owner]
    if unowned:
        found.append(StepGroup(NO_OWNER, tuple(unowned)))
    return tuple(found)
