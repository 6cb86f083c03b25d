"""Chat notifications through Apprise (Slack, Teams, Mattermost, Discord, JSON, ...): the
week's verdicts, what changed and the goals not met, once per content and channel."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

from pipeline.core.headers import control_problem
from pipeline.core.model import AgentResult, GoalResult, WeekResult
from pipeline.core.settings import ChatChannel
from pipeline.core.text import cap, one_line
from pipeline.delivery.apprise_post import ChatMessage, post
from pipeline.delivery.compose import verdict_text, week_title
from pipeline.delivery.dispatch import Dispatch
from pipeline.errors import ConfigError
from pipeline.report.plain import moved_lines, open_goal_lines
from pipeline.scoring.trend import Trend

log = logging.getLogger("pipeline")


@dataclass(frozen=True)
class Notified:
    """What happened on one channel."""

    channel: str
    sent: bool
    skipped: bool  # this very message was already posted there
    error: str | None = None


def channel_urls(
    channels: Sequence[ChatChannel], env: Mapping[str, str], config: str
) -> dict[str, str]:
    """Each channel's URL from its env var; ConfigError naming every one that is not set, that
    holds a line break or control character (raw or percent-encoded: never quoted, it is a
    secret), or when there is no channel at all."""
    if not channels:
        raise ConfigError(config, ["notify: this section is needed to post to chat (--notify)"])
    missing = [c for c in channels if not env.get(c.url_env)]
    if missing:
        raise ConfigError(
            config,
            [f"notify '{c.name}': environment variable '{c.url_env}' is not set" for c in missing],
        )
    problems = []
    for channel in channels:
        url = env[channel.url_env]
        problem = control_problem(url) or control_problem(unquote(url))
        if problem:  # Apprise unquotes its custom headers (`?+X-Team=...`) and query values
            problems.append(
                f"notify '{channel.name}': environment variable '{channel.url_env}' contains "
                f"{problem} (percent-encoded or not), which cannot go into an HTTP request"
            )
    if problems:
        raise ConfigError(config, problems)
    return {c.name: env[c.url_env] for c in channels}


def chat_message(
    result: WeekResult, trend: Trend, agents: Sequence[AgentResult], link: str | None
) -> ChatMessage:
    """The verdicts (sprint, then each agent), what changed since last week, the goals not met,
    and the report's address. Only config text and numbers: no series labels, no server
    messages (data a chat could act on: `@channel`, `<!here>`)."""
    title = (
        f"{one_line(result.sprint)} · {week_title(result)}: "
        f"{verdict_text(result, result.scorecard, result.outlook.overall)}"
    )
    lines = [
        f"{one_line(a.name)}: {verdict_text(result, a.scorecard, result.outlook.agent(a.id))}"
        for a in agents
    ]
    goals = _goals_of(result, agents)
    moved = moved_lines(trend, goals, series=False)  # labels are data: no mentions in chat
    if moved:
        lines += ["", "What changed since last week:", *(f"- {m}" for m in moved)]
    open_goals = open_goal_lines(goals, why=False, owners=True)  # `Dana: P95 Latency at risk`
    if open_goals:
        lines += ["", "Goals not met:", *(f"- {g}" for g in open_goals)]
    if link:
        lines += ["", f"Report: {link}"]
    return ChatMessage(title, cap("\n".join(lines), 3500))


def _goals_of(result: WeekResult, agents: Sequence[AgentResult]) -> list[GoalResult]:
    ids = dict.fromkeys(g for a in agents for g in a.goal_ids)
    return [result.goal(g) for g in ids]


def notify_week(
    dispatch: Dispatch, channels: Sequence[ChatChannel], urls: Mapping[str, str]
) -> list[Notified]:
    """Post the week's message to each channel not already given this very message; one
    channel's failure never stops the others. Call under the week lock."""
    result, trend = dispatch.written.week.result, dispatch.written.week.trend
    week, link = result.window.week, dispatch.link()
    outcomes = []
    for channel in channels:
        agents = [a for a in result.agents if not channel.agents or a.id in channel.agents]
        message = chat_message(result, trend, agents, link)
        name = f"chat:{channel.name}"
        said = chat_message(result, trend, agents, None).body
        key = dispatch.keys.chat(name, said, message.body)
        if dispatch.already_sent(name, key.accepted):
            log.info("%s: already posted this week's message", channel.name)
            outcomes.append(Notified(channel.name, sent=False, skipped=True))
            continue
        error = post(urls[channel.name], message, channel.timeout_s)
        if error is None:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            dispatch.history.record_delivery(week, name, key.current, [channel.name], stamp)
            log.info("%s: posted week %d", channel.name, week)
        outcomes.append(Notified(channel.name, sent=error is None, skipped=False, error=error))
    return outcomes
