"""Compose one agent's e-mail: subject, plain-text and HTML body, the report attached."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipeline.core.addresses import mail_address
from pipeline.core.model import AgentResult, Horizons, Scorecard, VerdictOdds, WeekResult
from pipeline.core.text import one_line
from pipeline.report import formatting as fmt
from pipeline.report.odds import week_end_expected
from pipeline.report.plain import moved_lines, open_goal_lines
from pipeline.report.render import environment
from pipeline.scoring.trend import Trend


@dataclass(frozen=True)
class Link:
    """Where the agent's report is online, and why the e-mail links it instead of attaching."""

    url: str
    note: str | None = None  # None: linked beside the attachments


@dataclass(frozen=True)
class MailView:
    """What the body of an agent's e-mail says."""

    sprint: str
    week: int
    agent: str
    period: str
    timezone: str
    complete: bool
    verdict_text: str
    overall: str
    categories: tuple[tuple[str, str], ...]
    agent_verdict_text: str
    agent_score: str
    agent_expected: str | None  # mid-week, with a forecast: `ACHIEVED (72 %)` at the week's end
    sprint_expected: str | None
    moved: tuple[str, ...]
    open_goals: tuple[str, ...]
    attachments: tuple[str, ...]
    link: str | None = None  # the agent's report on the site (report.base_url)
    note: str | None = None  # why the report is linked, not attached


def subject(result: WeekResult, agent: AgentResult) -> str:
    """`UnMoGrowP · week 3 · DevOps Agent: MISSED 70.0/100 · sprint ACHIEVED 94.0/100`.

    The agent's own verdict next to its name, the sprint's named as such: never one for the other.
    A week in progress says so, its verdicts are `so far`, and each carries the verdict expected
    at the week's end when there is a forecast: `week 2 (in progress) · DevOps Agent: AT RISK
    70.0/100 so far, expected ACHIEVED (72 %) · sprint ...`.
    """
    card, own = result.scorecard, agent.scorecard
    return one_line(
        f"{result.sprint} · {week_title(result)} · {agent.name}: "
        f"{verdict_text(result, own, result.outlook.agent(agent.id))} · "
        f"sprint {verdict_text(result, card, result.outlook.overall)}"
    )


def week_title(result: WeekResult) -> str:
    """`week 3`, or `week 3 (in progress)`."""
    window = result.window
    return f"week {window.week}" + ("" if window.complete else " (in progress)")


def verdict_text(result: WeekResult, card: Scorecard, odds: Horizons[VerdictOdds]) -> str:
    """`MISSED 70.0/100`; for a week in progress `MISSED 70.0/100 so far`, and with a forecast
    `..., expected ACHIEVED (72 %)` (the likely verdict at the week's end and its chance)."""
    text = f"{card.verdict.text} {fmt.score(card.score)}/100"
    if result.window.complete:
        return text
    expected = week_end_expected(odds)
    return f"{text} so far" + (f", expected {expected}" if expected else "")


def mail_view(
    result: WeekResult,
    trend: Trend,
    agent: AgentResult,
    attachments: list[Path],
    link: Link | None = None,
) -> MailView:
    """The body's data: scores, what changed since last week (the report's sentences, as plain
    text), the agent's goals not met.

    Names are made one line here; the templates drop any other control character.
    """
    goals = [result.goal(g) for g in agent.goal_ids]
    moved = moved_lines(trend, goals)
    open_goals = open_goal_lines(goals)
    window = result.window
    return MailView(
        sprint=one_line(result.sprint),
        week=window.week,
        agent=one_line(agent.name),
        period=f"{window.start:%Y-%m-%d} to {window.end:%Y-%m-%d %H:%M}",
        timezone=window.timezone,
        complete=window.complete,
        verdict_text=result.scorecard.verdict.text,
        overall=fmt.score(result.scorecard.score),
        categories=tuple(
            (one_line(c.name), fmt.score(c.score)) for c in result.scorecard.categories
        ),
        agent_verdict_text=agent.scorecard.verdict.text,
        agent_score=fmt.score(agent.scorecard.score),
        agent_expected=week_end_expected(result.outlook.agent(agent.id)),
        sprint_expected=week_end_expected(result.outlook.overall),
        moved=tuple(moved),
        open_goals=tuple(open_goals),
        attachments=tuple(p.name for p in attachments),
        link=link.url if link else None,
        note=link.note if link else None,
    )


def compose(
    result: WeekResult,
    trend: Trend,
    agent: AgentResult,
    sender: str,
    recipients: list[str],
    attachments: list[Path],
    link: Link | None = None,
) -> EmailMessage:
    """The message for one agent, with its report files attached, or linked."""
    view = mail_view(result, trend, agent, attachments, link)
    env = environment()
    message = EmailMessage()
    message["Subject"] = subject(result, agent)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain=mail_address(sender).rpartition("@")[2])
    message.set_content(env.get_template("email.txt.j2").render(m=view))
    message.add_alternative(env.get_template("email.html.j2").render(m=view), subtype="html")
    for path in attachments:
        if path.suffix == ".pdf":
            data = path.read_bytes()
            message.add_attachment(data, maintype="application", subtype="pdf", filename=path.name)
        else:
            text = path.read_text(encoding="utf-8")
            kind = "csv" if path.suffix == ".csv" else "markdown"
            message.add_attachment(text, subtype=kind, charset="utf-8", filename=path.name)
    return message
