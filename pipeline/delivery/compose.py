"""Compose one agent's e-mail: subject, plain-text and HTML body, the report attached."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipeline.core.addresses import mail_address
from pipeline.core.model import AgentResult, WeekResult
from pipeline.core.text import one_line
from pipeline.report import formatting as fmt
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
    moved: tuple[str, ...]
    open_goals: tuple[str, ...]
    attachments: tuple[str, ...]
    link: str | None = None  # the agent's report on the site (report.base_url)
    note: str | None = None  # why the report is linked, not attached


def subject(result: WeekResult, agent: AgentResult) -> str:
    """`UnMoGrowP · week 3 · DevOps Agent: MISSED 70.0/100 · sprint ACHIEVED 94.0/100`.

    The agent's own verdict next to its name, the sprint's named as such: never one for the other.
    """
    card, own = result.scorecard, agent.scorecard
    return one_line(
        f"{result.sprint} · week {result.window.week} · {agent.name}: "
        f"{own.verdict.text} {fmt.score(own.score)}/100 · "
        f"sprint {card.verdict.text} {fmt.score(card.score)}/100"
    )


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
