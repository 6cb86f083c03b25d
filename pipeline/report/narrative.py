"""The sentences of a report: summary, why, what changed, what to watch, next steps.

Each is a `spans.Sentence` of plain text (names in bold); nothing here is markup or escaped:
each template renders the sentences for its output (`spans.to_markdown`, `spans.to_html`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.core.model import (
    AgentResult,
    GoalOdds,
    GoalResult,
    Horizons,
    Scorecard,
    VerdictOdds,
    WeekResult,
    Window,
)
from pipeline.core.outcomes import Status, Verdict
from pipeline.report import baselines
from pipeline.report import formatting as fmt
from pipeline.report import odds as outlook
from pipeline.report.checkins import checkin_brief
from pipeline.report.spans import Sentence, Span, join, message, sentence, strong
from pipeline.scoring.trend import GoalTrend, Trend

ALL_MET = sentence(
    "All of this agent's convergence points are met: keep them there and watch the trend."
)
RERUN = sentence("Rerun after the week ends for the final figures.")
LARGEST_MOVES = 3
HELD_UP_NAMED = 3  # the goals named in "Held up by"; the others are counted


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
    lines: list[Sentence] = []
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
    held = _held_up_line(held_up(goals, own))
    if all(g.status == Status.MET for g in goals):
        return (*held, ALL_MET)
    lines[len(own.vetoed_by) : len(own.vetoed_by)] = held  # after the vetoes, before the costs
    rule = _verdict_rule(own, result.pass_score, result.warning_score)
    if rule:
        lines.append(rule)
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
    lines += _held_up_line(held_up(list(result.goals), card))
    costly = [gid for gid, p in sorted(lost.items(), key=lambda kv: -kv[1]) if p > 0]
    for gid in [g for g in costly if g not in card.vetoed_by or g in told][:3]:
        lines.append(
            sentence(_goal_state(result.goal(gid)), f" costs {fmt.score(lost[gid])} points.")
        )
    rule = _verdict_rule(card, result.pass_score, result.warning_score)
    if rule:
        lines.append(rule)
    return tuple(lines)


def held_up(goals: Sequence[GoalResult], card: Scorecard) -> tuple[tuple[GoalResult, float], ...]:
    """The goals that earned points of `card`'s score, with how many (share x score), most
    first; a missed or skipped goal earns none."""
    share = shares(list(goals), card)
    earned = [(g, share[g.spec.id] * g.score) for g in goals if g.score]
    return tuple(sorted(earned, key=lambda e: -e[1]))


def _held_up_line(earned: Sequence[tuple[GoalResult, float]]) -> tuple[Sentence, ...]:
    """`Held up by: **Event Throughput** (met, 10.0 points), ... and 6 more goals (49.0
    points).`; nothing when no goal earned a point."""
    if not earned:
        return ()
    parts: list[str | Span | Sentence] = ["Held up by: "]
    for i, (goal, points) in enumerate(earned[:HELD_UP_NAMED]):
        parts += [", " if i else "", strong(goal.spec.name)]
        parts.append(f" ({goal.status.text.lower()}, {fmt.score(points)} points)")
    rest = earned[HELD_UP_NAMED:]
    if rest:
        more = sum(points for _, points in rest)
        parts.append(f" and {_count(len(rest), 'more goal')} ({fmt.score(more)} points)")
    return (sentence(*parts, "."),)


def _goal_state(goal: GoalResult) -> Sentence:
    """**Time to Launch** (at risk, 15 days against < 14 days)."""
    spec = goal.spec
    state = goal.status.text.lower()
    if goal.value is not None and spec.target.resolved:
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
    """The agent's goals to act on (`pending_steps`), then, for a week in progress, RERUN."""
    lines = [line for _, line in pending_steps(result, agent)]
    if not lines:
        lines.append(ALL_MET)
    if not result.window.complete:
        lines.append(RERUN)
    return tuple(lines)


def pending_steps(
    result: WeekResult, agent: AgentResult
) -> tuple[tuple[GoalResult, Sentence], ...]:
    """The agent's goals to act on, each with its step, in the order of `at_stake`, those that
    veto the verdict first: its goals not met, and key goals met so far but likely missed."""
    pending = [
        s for s in at_stake(result, agent) if s.goal.status != Status.MET or _likely_missed(s)
    ]
    pending.sort(key=lambda s: not vetoes(s, agent))  # stable: by points at stake within each
    return tuple((s.goal, _next_step(s, vetoes(s, agent), result)) for s in pending)


@dataclass(frozen=True)
class Stake:
    """A goal and the points of an agent's score it is likely to cost."""

    goal: GoalResult
    points: float  # its share of the score x (100 - its expected score)
    odds: GoalOdds | None  # the forecast shown, if any


def at_stake(result: WeekResult, agent: AgentResult) -> tuple[Stake, ...]:
    """The agent's goals by the points each is likely to cost, most first: its share of the
    agent's score times (100 - its expected score): the forecast's (`outlook.shown`), or its
    score so far when it has none."""
    goals = [result.goal(g) for g in agent.goal_ids]
    share = shares(goals, agent.scorecard)
    found = []
    for goal in goals:
        odds = outlook.shown(result, result.outlook.goal(goal.spec.id))
        score = goal.score if odds is None else outlook.expected_score(odds)
        points = 0.0 if score is None else share[goal.spec.id] * (100.0 - score)
        found.append(Stake(goal, points, odds))
    return tuple(sorted(found, key=lambda s: -s.points))


def vetoes(stake: Stake, agent: AgentResult) -> bool:
    """Whether the goal makes (or is likely to make) the agent's verdict MISSED: a key goal
    that vetoes it now, or whose forecast says likely missed."""
    return stake.goal.spec.id in agent.scorecard.vetoed_by or _likely_missed(stake)


def _likely_missed(stake: Stake) -> bool:
    """A key goal whose forecast's most likely status is missed."""
    odds = stake.odds
    return stake.goal.spec.key and odds is not None and outlook.likely_status(odds) is Status.MISSED


def _next_step(stake: Stake, veto: bool, result: WeekResult) -> Sentence:
    goal = stake.goal
    spec = goal.spec
    name = strong(spec.name)
    key = "; as a key goal, missed it makes the verdict MISSED" if veto else ""
    if goal.status == Status.MET:  # a key goal met so far, but likely missed
        return sentence(
            "Keep ",
            name,
            f" at {fmt.target(spec.target, spec.unit)}: met so far "
            f"({fmt.goal_quantity(goal.value, spec)}), but likely missed "
            f"{outlook.shown_horizon(result)}{key}.",
        )
    if goal.status == Status.ERROR:
        return sentence("Fix the query of ", name, ": ", message(goal.message), ".")
    if goal.baseline is not None and not goal.baseline.resolved and goal.series:
        return sentence(
            "Judge ", name, " once it has a baseline: ", message(baselines.lack_note(goal)), "."
        )
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
        f"to {fmt.target(spec.target, spec.unit)}{where}{key}.",
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
    """The agent's goals with a forecast, in the order of `at_stake`: by the points they are
    likely to cost, costliest first; each with its check-in of the week, if any."""
    return tuple(
        join(
            [
                sentence(
                    strong(s.goal.spec.name),
                    f" may cost {fmt.score(s.points)} of this agent's points: "
                    f"{outlook.chance(s.odds.p_met)} likely met, its value likely "
                    f"{outlook.goal_range(s.goal, s.odds)}.",
                ),
                _checkin(result, s.goal),
            ]
        )
        for s in at_stake(result, agent)
        if s.odds is not None
    )


def _checkin(result: WeekResult, goal: GoalResult) -> Sentence | None:
    """`Check-in: 8/10 by Dana, disagrees.`, when the goal has one this week."""
    found = result.checkins.goals.get(goal.spec.id)
    return checkin_brief(found) if found else None


def period(window: Window) -> str:
    """`2026-11-02 00:00 to 2026-11-09 00:00 UTC`; a week in progress ends at the instant the
    run saw (its --as-of, or when it ran), and the reports say "in progress" beside it."""
    start = window.start.strftime("%Y-%m-%d %H:%M")
    end = window.end.strftime("%Y-%m-%d %H:%M")
    return f"{start} to {end} {window.timezone}"


def _count(n: int, noun: str) -> str:
    return f"{fmt.count(n)} {noun}" if n == 1 else f"{fmt.count(n)} {noun}s"
