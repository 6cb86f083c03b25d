"""The CI gate: after a normal run, does the week pass, and if not, which goals failed it."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.model import GoalResult, WeekResult
from pipeline.core.outcomes import NoDataPolicy, Status, Verdict
from pipeline.errors import PipelineError
from pipeline.report import formatting as fmt
from pipeline.report.plain import open_goal_lines


class GateFailed(PipelineError):
    """`--gate`: the reports were written, but the week does not pass the gate."""

    exit_code = 5


@dataclass(frozen=True)
class GateResult:
    """Whether the week passes, why not, and the goals that pulled it down (worst first)."""

    passed: bool
    reason: str
    failed: tuple[GoalResult, ...]


def failing_goals(result: WeekResult) -> tuple[GoalResult, ...]:
    """Goals that cost the week points: missed, and unmeasured ones scored 0 under `fail`."""
    unmeasured_fail = result.no_data_policy is NoDataPolicy.FAIL
    return tuple(
        g
        for g in result.goals
        if g.status is Status.MISSED
        or (g.status in (Status.NO_DATA, Status.ERROR) and unmeasured_fail)
    )


def judge_gate(result: WeekResult, fail_under: float | None) -> GateResult:
    """The sprint fails the gate when its verdict is MISSED, or (with `fail_under`) when its
    score is below `fail_under` or there is no score at all."""
    card = result.scorecard
    shown = f"{card.verdict.text} {fmt.score(card.score)}/100"
    if card.verdict is Verdict.MISSED:
        vetoed = f", vetoed by key goal {', '.join(card.vetoed_by)}" if card.vetoed_by else ""
        return GateResult(False, f"{shown}{vetoed}", failing_goals(result))
    if fail_under is not None and (card.score is None or card.score < fail_under):
        return GateResult(
            False, f"{shown}, below --fail-under {fmt.number(fail_under)}", failing_goals(result)
        )
    return GateResult(True, shown, ())


def gate_message(result: WeekResult, gate: GateResult) -> str:
    """`week 3 fails the gate: MISSED 70.0/100; failed goals: Time to Launch (missed, ...)`."""
    head = (
        f"week {result.window.week} {'passes' if gate.passed else 'fails'} the gate: {gate.reason}"
    )
    if not gate.failed:
        return head
    return f"{head}; failed goals: " + "; ".join(open_goal_lines(gate.failed))
