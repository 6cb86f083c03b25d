"""The sentences of a report: summary, why, what changed, what to watch, next steps.

Each is a `spans.Sentence` of plain text (names in bold); nothing here is markup or escaped:
each template renders the sentences for its output (`spans.to_markdown`, `spans.to_html`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.core.model import (
    AgentResult,
    GoalResult,
    Horizons,
    Scorecard,
    VerdictOdds,
    WeekResult,
    Window,
)
from pipeline.core.outcomes import Status, Verdict
from pipeline.report import formatting as fmt
from pipeline.report import odds as outlook
from pipeline.report.spans import Sentence, Span, join, message, sentence, strong
from pipeline.scoring.trend import GoalTrend, Trend

ALL_MET = sentence(
    "All of this agent's convergence points are met: keep them there and watch the trend."
)
LARGEST_MOVES = 3


def summary(result: WeekResult, agent: AgentResult) -> tuple[Sentence, ...]:
    """The executive summary: the agent's verdict first, then the sprint's, then the tally."""
    card = result.scorecard
    own = agent.scorecard
    counts = {s: sum(1 for g in result.goals if g.status == s) for s in Status}
    tally = ", ".join(f"{n} {s.text.lower()}" for s, n in counts.items() if n)
    cats_text = ", ".join(f"{c.name} {fmt.score(c.score)}" for c in card.categories)
    lines = [
        sentence(
            f"{agent.name} is ",
            strong(own.verdict.text),
            f": its {_count(len(agent.goal_ids), 'convergence point')} score "
            f"{fmt.score(own.score)}/100.",
        ),
        sentence(
            f"The sprint, {result.sprint}, is ",
            strong(card.verdict.text),
            f": {fmt.score(card.score)}/100 overall ({cats_text}); "
            f"{_count(len(result.goals), 'goal')}: {tally}.",
        ),
    ]
    if not result.window.complete:
        lines.append(sentence("The week is still in progress: these are the figures so far."))
    return tuple(lines)


def agent_reasons(result: WeekResult, agent: AgentResult) -> tuple[Sentence, ...]:
    """Why the agent's verdict: its key-goal vetoes, what each goal costs, the thresholds."""
    own = agent.scorecard
    goals = [result.goal(g) for g in agent.goal_ids]
    lost = points_lost(goals, own)
    lines = []
    for goal in sorted(goals, key=lambda g: (g.spec.id not in own.vetoed_by, -lost[g.spec.id])):
        vetoes = goal.spec.id in own.vetoed_by
        if goal.score is None:
            lines.append(
                sentence(_goal_state(goal), " is left out of this agent's score (no_data: skip).")
            )
            continue
        if lost[goal.spec.id] <= 0 and not vetoes:
            continue
        line = f" costs {fmt.score(lost[goal.spec.id])} of this agent's points"
        if vetoes:
            both = " (and the sprint's)" if goal.spec.id in result.scorecard.vetoed_by else ""
            line += f"; as a key goal it makes this agent's verdict{both} MISSED whatever the score"
        own_line = sentence(_goal_state(goal), f"{line}.")
        lines.append(join([own_line, _weight_share(goal, goals, own)]))
    rule = _verdict_rule(own, result.pass_score, result.warning_score)
    if rule:
        lines.append(rule)
    if all(g.status == Status.MET for g in goals):
        return (ALL_MET,)
    return tuple(lines)


def reasons(result: WeekResult, agent: AgentResult | None = None) -> tuple[Sentence, ...]:
    """Why the sprint's verdict: key-goal vetoes, then the three goals that cost the most points.

    A veto already told in `agent`'s reasons is not told again.
    """
    card = result.scorecard
    told = set(agent.scorecard.vetoed_by) if agent else set()
    lost = points_lost(list(result.goals), card)
    lines = []
    for gid in card.vetoed_by:
        if gid not in told:
            goal = result.goal(gid)
            lines.append(
                sentence(
                    "Key goal ",
                    _goal_state(goal),
                    f" costs {fmt.score(lost[gid])} points and makes the "
                    "sprint's verdict MISSED whatever the score.",
                )
            )
    costly = [gid for gid, p in sorted(lost.items(), key=lambda kv: -kv[1]) if p > 0]
    for gid in [g for g in costly if g not in card.vetoed_by or g in told][:3]:
        lines.append(
            sentence(_goal_state(result.goal(gid)), f" costs {fmt.score(lost[gid])} points.")
        )
    rule = _verdict_rule(card, result.pass_score, result.warning_score)
    if rule:
        lines.append(rule)
    return tuple(lines)


def _goal_state(goal: GoalResult) -> Sentence:
    """**Time to Launch** (at risk, 15 days against < 14 days)."""
    spec = goal.spec
    state = goal.status.text.lower()
    if goal.value is not None:
        state += (
            f", {fmt.goal_quantity(goal.value, spec)} against {fmt.target(spec.target, spec.unit)}"
        )
    return sentence(strong(spec.name), f" ({state})")


def _weight_share(goal: GoalResult, goals: Sequence[GoalResult], card: Scorecard) -> str | None:
    """`It is this agent's only customer goal, so it carries 60 % of its score.`"""
    scored = {c.name: c.weight for c in card.categories if c.score is not None}
    cat = goal.spec.category
    if goal.score is None or cat not in scored or sum(scored.values()) <= 0:
        return None
    peers = [g for g in goals if g.spec.category == cat and g.score is not None]
    cat_share = scored[cat] / sum(scored.values())
    share = cat_share * goal.spec.weight / sum(g.spec.weight for g in peers)
    if len(peers) == 1:
        return f"It is this agent's only {cat} goal, so it carries {fmt.share(share)} of its score."
    return (
        f"It carries {fmt.share(share)} of this agent's score (one of its {len(peers)} {cat} "
        f"goals, which share {fmt.share(cat_share)})."
    )


def _verdict_rule(card: Scorecard, pass_score: float, warning_score: float) -> Sentence | None:
    """Which threshold the score fell under, when that (not a veto) decides the verdict."""
    if card.score is None or card.vetoed_by:
        return None
    score = fmt.score(card.score)
    if card.verdict == Verdict.MISSED:
        return sentence(
            f"{score} is below the at-risk threshold of {fmt.number(warning_score)}: MISSED."
        )
    if card.verdict == Verdict.AT_RISK:
        return sentence(f"{score} is below the pass score of {fmt.number(pass_score)}: AT RISK.")
    return None


def changes(trend: Trend, goals: Sequence[GoalResult], series: bool = True) -> tuple[Sentence, ...]:
    """What changed since last week among `goals`: each whose status moved (in the order given),
    then the largest moves of the others; `series`: name the series each value came from."""
    moved, still = [], []
    for goal in goals:
        previous = trend.goals[goal.spec.id].previous
        if previous is None:
            continue
        if previous.status != goal.status:
            moved.append(
                sentence(
                    strong(goal.spec.name),
                    f": {previous.status.text.lower()} → {goal.status.text.lower()}"
                    f" ({_from_to(goal, trend, series)}).",
                )
            )
        elif _relative_move(goal, trend.goals[goal.spec.id]) > 0:
            still.append(goal)
    still.sort(key=lambda g: -_relative_move(g, trend.goals[g.spec.id]))
    largest = [
        sentence(
            strong(g.spec.name),
            f" moved {fmt.goal_change(trend.goals[g.spec.id].change, g.value, g.spec)}: "
            f"{_from_to(g, trend, series)}.",
        )
        for g in still[:LARGEST_MOVES]
    ]
    return (*moved, *largest)


def changes_note(
    trend: Trend, goals: Sequence[GoalResult], week: int
) -> tuple[Sentence | None, tuple[Sentence, ...]]:
    """What `changes` cannot say: a sentence for the section (nothing moved, or no record of
    last week to compare with) and one line per goal last week's record does not hold.

    "Nothing moved" is only said of what was compared: a week missing from the history (a
    night that failed, a history moved aside) is said to be missing.
    """
    last = week - 1
    if not any(w.week == last for w in trend.weeks[:-1]):
        return sentence(
            f"There is no record of week {last} in the history: nothing is compared."
        ), ()
    unrecorded = tuple(
        sentence(strong(g.spec.name), f": not in the record of week {last}, nothing to compare.")
        for g in goals
        if trend.goals[g.spec.id].previous is None
    )
    if changes(trend, goals):
        return None, unrecorded
    if len(unrecorded) == len(goals):
        return None, unrecorded
    compared = "No goal compared with week " + str(last) if unrecorded else "No goal"
    quiet = sentence(f"{compared} changed status, and no value moved enough to show.")
    return quiet, unrecorded


def _from_to(goal: GoalResult, trend: Trend, series: bool = True) -> str:
    """`87.4 % → 90.99 %`, each naming its series when the goal has several (and `series`)."""
    previous = trend.goals[goal.spec.id].previous
    before = fmt.goal_quantity(previous.value if previous else None, goal.spec)
    now = fmt.goal_quantity(goal.value, goal.spec)
    if not series:
        return f"{before} → {now}"
    if previous and previous.labels is not None:
        before = ", ".join(filter(None, [before, fmt.series_name(goal, previous.labels)]))
    if goal.series:
        now = ", ".join(filter(None, [now, fmt.series_name(goal, goal.series[0].labels)]))
    return f"{before} → {now}"


def _relative_move(goal: GoalResult, trend: GoalTrend) -> float:
    """The change as a fraction of last week's value; 0 when it does not show at all."""
    previous = trend.previous
    if trend.change is None or previous is None or previous.value is None:
        return 0.0
    if fmt.goal_change(trend.change, goal.value, goal.spec) == "= 0":
        return 0.0
    return abs(trend.change) / (abs(previous.value) or 1.0)


def shares(goals: list[GoalResult], card: Scorecard) -> dict[str, float]:
    """Each goal's share of the score (0 to 1; 0 for a goal left out of it)."""
    scored_cats = {c.name: c.weight for c in card.categories if c.score is not None}
    cat_total = sum(scored_cats.values())
    found: dict[str, float] = {}
    for goal in goals:
        cat = goal.spec.category
        if goal.score is None or cat not in scored_cats or cat_total <= 0:
            found[goal.spec.id] = 0.0
            continue
        peers = sum(g.spec.weight for g in goals if g.spec.category == cat and g.score is not None)
        found[goal.spec.id] = scored_cats[cat] / cat_total * goal.spec.weight / peers
    return found


def points_lost(goals: list[GoalResult], card: Scorecard) -> dict[str, float]:
    """How many points of the overall score each goal costs (0 for a met or skipped goal)."""
    share = shares(goals, card)
    return {
        g.spec.id: share[g.spec.id] * (100.0 - g.score) if g.score is not None else 0.0
        for g in goals
    }


def next_steps(result: WeekResult, agent: AgentResult) -> tuple[Sentence, ...]:
    """The agent's goals not met, costliest first."""
    goals = [result.goal(g) for g in agent.goal_ids]
    lost = points_lost(goals, agent.scorecard)
    pending = sorted((g for g in goals if g.status != Status.MET), key=lambda g: -lost[g.spec.id])
    lines = [_next_step(g) for g in pending]
    if not lines:
        lines.append(ALL_MET)
    if not result.window.complete:
        lines.append(sentence("Rerun after the week ends for the final figures."))
    return tuple(lines)


def _next_step(goal: GoalResult) -> Sentence:
    spec = goal.spec
    name = strong(spec.name)
    if goal.status == Status.ERROR:
        return sentence("Fix the query of ", name, ": ", message(goal.message), ".")
    if goal.status == Status.NO_DATA:
        return sentence("Get data for ", name, ": its query returned no samples this week.")
    verb = {">=": "Raise", ">": "Raise", "<=": "Bring down", "<": "Bring down"}.get(
        spec.target.op, "Bring"
    )
    where = ""
    if len(goal.series) > 1:
        keep = fmt.varying_labels([s.labels for s in goal.series])
        where = f" (worst series: {fmt.labels_text(goal.series[0].labels, keep)})"
    return sentence(
        f"{verb} ",
        name,
        f" from {fmt.goal_quantity(goal.value, spec)} "
        f"to {fmt.target(spec.target, spec.unit)}{where}.",
    )


def expected(result: WeekResult, odds: Horizons[VerdictOdds]) -> Sentence | None:
    """`expected at the week's end: **ACHIEVED** (72 %)`, then at the sprint's end, for each
    horizon that has odds; None when there are none."""
    parts: list[str | Span | Sentence] = []
    for found in outlook.expected(result, odds):
        parts += [", " if parts else "expected ", f"{found.horizon}: "]
        parts += [strong(found.verdict.text), f" ({found.chance})"]
    return sentence(*parts) if parts else None


def goal_forecast(result: WeekResult, goal: GoalResult) -> Sentence | None:
    """`72 % likely met at the week's end (at risk 20 %, missed 8 %); its value likely ends at
    91.2 to 98.1 ms (10th to 90th percentile; median 95 ms).`, or None without odds."""
    odds = outlook.shown(result, result.outlook.goal(goal.spec.id))
    if odds is None:
        return None
    spec = goal.spec
    median = fmt.goal_quantity(odds.p50, spec)
    return sentence(
        f"{outlook.chance(odds.p_met)} likely met {outlook.shown_horizon(result)} "
        f"(at risk {outlook.chance(odds.p_at_risk)}, missed {outlook.chance(odds.p_missed)}); "
        f"its value likely ends at {outlook.goal_range(goal, odds)} "
        f"(10th to 90th percentile; median {median})."
    )


def watch(result: WeekResult, agent: AgentResult) -> tuple[Sentence, ...]:
    """The agent's goals with a forecast, by the points they are likely to cost, costliest
    first: the goal's share of the agent's score times (100 - its expected score)."""
    goals = [result.goal(g) for g in agent.goal_ids]
    share = shares(goals, agent.scorecard)
    costs = []
    for goal in goals:
        odds = outlook.shown(result, result.outlook.goal(goal.spec.id))
        if odds is not None:
            costs.append((share[goal.spec.id] * (100.0 - outlook.expected_score(odds)), goal, odds))
    costs.sort(key=lambda c: -c[0])
    return tuple(
        sentence(
            strong(goal.spec.name),
            f" may cost {fmt.score(cost)} of this agent's points: "
            f"{outlook.chance(odds.p_met)} likely met, its value likely "
            f"{outlook.goal_range(goal, odds)}.",
        )
        for cost, goal, odds in costs
    )


def period(window: Window) -> str:
    """`2026-11-02 00:00 to 2026-11-09 00:00 UTC`; a week in progress ends at the instant the
    run saw (its --as-of, or when it ran), and the reports say "in progress" beside it."""
    start = window.start.strftime("%Y-%m-%d %H:%M")
    end = window.end.strftime("%Y-%m-%d %H:%M")
    return f"{start} to {end} {window.timezone}"


def _count(n: int, noun: str) -> str:
    return f"{fmt.count(n)} {noun}" if n == 1 else f"{fmt.count(n)} {noun}s"
