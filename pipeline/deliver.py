"""Send each agent's report over SMTP, once per report and recipient."""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from pipeline.config import EmailSettings
from pipeline.errors import ConfigError
from pipeline.history import History
from pipeline.mail import compose
from pipeline.model import AgentResult, WeekResult
from pipeline.summary import summary_dict
from pipeline.trend import Trend

log = logging.getLogger("pipeline")
SMTP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Delivery:
    """What happened to one agent's e-mail."""

    agent_id: str
    sent: tuple[str, ...]
    skipped: tuple[str, ...]  # already received this very report
    error: str | None


def check_email(settings: EmailSettings | None, env: Mapping[str, str], config: str) -> str | None:
    """The SMTP password (or None); ConfigError when e-mail cannot be sent with this config."""
    if settings is None:
        raise ConfigError(config, ["email: this section is needed to send e-mail"])
    if settings.password_env is None:
        return None
    password = env.get(settings.password_env)
    if not password:
        raise ConfigError(
            config,
            [f"email.password_env: environment variable '{settings.password_env}' is not set"],
        )
    return password


def week_fingerprint(result: WeekResult, trend: Trend) -> str:
    """A hash of what the week's reports say, blind to when they were generated."""
    document = summary_dict(result, trend, files={})
    document.pop("generated_at")
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def deliver_week(
    result: WeekResult,
    trend: Trend,
    folder: Path,
    settings: EmailSettings,
    password: str | None,
    history: History,
    agents: list[AgentResult],
    resend: bool = False,
) -> list[Delivery]:
    """E-mail each agent's files in `folder` to its recipients; never stop at one failure."""
    outcomes = []
    week = result.window.week
    fingerprint = week_fingerprint(result, trend)
    for agent in agents:
        files = [p for p in (folder / f"{agent.id}.pdf", folder / f"{agent.id}.md") if p.exists()]
        if not agent.email or not files:
            continue
        digest = hashlib.sha256(f"{fingerprint}:{agent.id}".encode()).hexdigest()
        done = set() if resend else history.sent_to(week, agent.id, digest)
        todo = [r for r in agent.email if r not in done]
        skipped = tuple(r for r in agent.email if r in done)
        if not todo:
            log.info("%s: already sent to %s", agent.id, ", ".join(skipped))
            outcomes.append(Delivery(agent.id, (), skipped, None))
            continue
        message = compose(result, trend, agent, settings.from_, todo, files)
        try:
            refused = _send(settings, password, message)
            error = None
        except (smtplib.SMTPException, OSError) as exc:
            refused = {r: _reply(exc) for r in todo}
            error = f"SMTP {settings.smtp_host}:{settings.smtp_port}: {_reply(exc)}"
        sent = [r for r in todo if r not in refused]
        if sent:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            history.record_delivery(week, agent.id, digest, sent, stamp)
            log.info("%s: e-mailed %s", agent.id, ", ".join(sent))
        if refused and error is None:
            error = "; ".join(f"{r} refused: {reply}" for r, reply in refused.items())
        outcomes.append(Delivery(agent.id, tuple(sent), skipped, error))
    return outcomes


def _send(settings: EmailSettings, password: str | None, message: EmailMessage) -> dict[str, str]:
    """Send over one SMTP connection; return the recipients the server refused."""
    context = ssl.create_default_context()
    host, port = settings.smtp_host, settings.smtp_port
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_S, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, password or "")
        refused = smtp.send_message(message)
    return {r: f"{code} {_text(text)}" for r, (code, text) in refused.items()}


def _reply(exc: BaseException) -> str:
    """The SMTP server's reply, or what kept us from reaching it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{r} refused: {code} {_text(text)}" for r, (code, text) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
