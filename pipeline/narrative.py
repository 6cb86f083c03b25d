"""The sentences of a report: summary, why, next steps, data quality, projection.

They are one-line Markdown (bold, backslash escapes, entities); the HTML view turns them into
HTML with `formatting.rich_html`. Every name or label in them is escaped here.
"""

from __future__ import annotations

from pipeline import formatting as fmt
from pipeline.model import AgentResult, GoalResult, Scorecard, WeekResult, Window
from pipeline.trend import GoalTrend, Trend

ALL_MET = "All of this agent's convergence points are met: keep them there and watch the trend."


def summary(result: WeekResult, agent: AgentResult) -> tuple[str, ...]:
    """The executive summary: the verdict and scores, the tally, the agent's own score."""
    card = result.scorecard
    counts = {s: sum(1 for g in result.goals if g.status == s) for s in fmt.STATUS_TEXT}
    tally = ", ".join(f"{n} {fmt.STATUS_TEXT[s].lower()}" for s, n in counts.items() if n)
    cats_text = ", ".join(f"{fmt.md_escape(c.name)} {fmt.score(c.score)}" for c in card.categories)
    lines = [
        f"Week {result.window.week} of {fmt.md_escape(result.sprint)} is "
        f"**{fmt.VERDICT_TEXT[card.verdict]}**: overall score {fmt.score(card.score)}/100 "
        f"({cats_text}).",
        f"{len(result.goals)} goals: {tally}.",
        f"{fmt.md_escape(agent.name)}'s {len(agent.goal_ids)} convergence points score "
        f"{fmt.score(agent.scorecard.score)}/100: "
        f"**{fmt.VERDICT_TEXT[agent.scorecard.verdict]}**.",
    ]
    if not result.window.complete:
        lines.append("The week is still in progress: these are the figures so far.")
    return tuple(lines)


def reasons(result: WeekResult) -> tuple[str, ...]:
    """Why the verdict: a key-goal veto, then the three goals that cost the most points."""
    card = result.scorecard
    lines = []
    for gid in card.vetoed_by:
        goal = result.goal(gid)
        lines.append(
            f"Key goal **{fmt.md_escape(goal.spec.name)}** is "
            f"{fmt.STATUS_TEXT[goal.status].lower()}: the verdict is MISSED whatever the score."
        )
    lost = points_lost(list(result.goals), card)
    for gid, points in sorted(lost.items(), key=lambda kv: -kv[1])[:3]:
        if points > 0:
            goal = result.goal(gid)
            lines.append(
                f"**{fmt.md_escape(goal.spec.name)}** ({fmt.STATUS_TEXT[goal.status].lower()}, "
                f"{fmt.md_escape(fmt.quantity(goal.value, goal.spec.unit))} against "
                f"{fmt.md_escape(fmt.target(goal.spec.target, goal.spec.unit))}) "
                f"costs {points:.1f} points."
            )
    return tuple(lines)


def points_lost(goals: list[GoalResult], card: Scorecard) -> dict[str, float]:
    """How many points of the overall score each goal costs (0 for a met or skipped goal)."""
    scored_cats = {c.name: c.weight for c in card.categories if c.score is not None}
    cat_total = sum(scored_cats.values())
    lost: dict[str, float] = {}
    for goal in goals:
        cat = goal.spec.category
        if goal.score is None or cat not in scored_cats or cat_total <= 0:
            lost[goal.spec.id] = 0.0
            continue
        peers = sum(g.spec.weight for g in goals if g.spec.category == cat and g.score is not None)
        share = scored_cats[cat] / cat_total * goal.spec.weight / peers
        lost[goal.spec.id] = share * (100.0 - goal.score)
    return lost


def next_steps(result: WeekResult, agent: AgentResult, trend: Trend) -> tuple[str, ...]:
    """The agent's goals not met, costliest first, each with its projection."""
    goals = [result.goal(g) for g in agent.goal_ids]
    lost = points_lost(goals, agent.scorecard)
    pending = sorted((g for g in goals if g.status != "met"), key=lambda g: -lost[g.spec.id])
    lines = [
        " ".join(filter(None, [_next_step(g), projection(g, trend.goals[g.spec.id])]))
        for g in pending
    ] or [ALL_MET]
    if not result.window.complete:
        lines.append("Rerun after the week ends for the final figures.")
    return tuple(lines)


def _next_step(goal: GoalResult) -> str:
    spec = goal.spec
    name = fmt.md_escape(spec.name)
    if goal.status == "error":
        return f"Fix the query of **{name}**: the server said {fmt.md_message(goal.message)}."
    if goal.status == "no_data":
        return f"Get data for **{name}**: its query returned no samples this week."
    verb = {">=": "Raise", ">": "Raise", "<=": "Bring down", "<": "Bring down"}.get(
        spec.target.op, "Bring"
    )
    where = ""
    if len(goal.series) > 1:
        keep = fmt.varying_labels([s.labels for s in goal.series])
        where = f" (worst series: {fmt.md_escape(fmt.labels_text(goal.series[0].labels, keep))})"
    return (
        f"{verb} **{name}** from {fmt.md_escape(fmt.quantity(goal.value, spec.unit))} "
        f"to {fmt.md_escape(fmt.target(spec.target, spec.unit))}{where}."
    )


def projection(goal: GoalResult, trend: GoalTrend) -> str | None:
    """`At the latest rate of change (▲ 2.5 % a week) it would be met in week 5.`"""
    found = trend.projection
    if found is None:
        return None
    rate = fmt.md_escape(f"{fmt.change(found.rate)} {goal.spec.unit}".strip()) + " a week"
    if found.week is None:
        return f"Not converging at the latest rate of change ({rate})."
    return f"At the latest rate of change ({rate}) it would be met in week {found.week}."


def period(window: Window) -> str:
    """`2026-11-02 00:00 to 2026-11-09 00:00`, or `... to now (..., in progress)`."""
    start = window.start.strftime("%Y-%m-%d %H:%M")
    end = window.end.strftime("%Y-%m-%d %H:%M")
    return f"{start} to {end}" if window.complete else f"{start} to now ({end}, in progress)"


def quality_notes(result: WeekResult) -> tuple[str, ...]:
    """No data, errors with the server's message, partial responses, missing samples."""
    notes = []
    expected = result.window.expected
    for goal in result.goals:
        name = f"**{fmt.md_escape(goal.spec.name)}**"
        if goal.status == "error":
            notes.append(f"{name}: query failed: {fmt.md_message(goal.message)}")
        elif goal.status == "no_data":
            effect = "scored 0" if result.no_data_policy == "fail" else "left out of the weights"
            notes.append(
                f"{name}: no samples in the window ({result.no_data_policy} policy: {effect})."
            )
        elif goal.coverage < 1:
            missing = round((1 - goal.coverage) * expected)
            notes.append(
                f"{name}: coverage {fmt.percent(goal.coverage)}: its least-covered series lacks "
                f"{missing:,} of {expected:,} samples."
            )
        for warning in goal.warnings:
            notes.append(f"{name}: partial response, the server warned: {fmt.md_message(warning)}")
    return tuple(notes)
