"""Send each agent's report over SMTP, once per report and recipient."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from pipeline.core.addresses import mail_address
from pipeline.core.history import History
from pipeline.core.settings import MailSettings
from pipeline.delivery import smtp
from pipeline.delivery.compose import Link, compose
from pipeline.delivery.dispatch import Dispatch
from pipeline.errors import ConfigError
from pipeline.outputs.layout import GOALS_CSV, INDEX, SERIES_CSV
from pipeline.report import formatting as fmt

log = logging.getLogger("pipeline")
ATTACHED = ("pdf", "md")  # the HTML page needs its charts folder: it is not attached


@dataclass(frozen=True)
class Delivery:
    """What happened to one agent's e-mail."""

    agent_id: str
    sent: tuple[str, ...]
    skipped: tuple[str, ...]  # already received this very report
    error: str | None


def check_email(settings: MailSettings | None, env: Mapping[str, str], config: str) -> str | None:
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


def deliver_week(
    dispatch: Dispatch, settings: MailSettings, password: str | None
) -> list[Delivery]:
    """E-mail each chosen agent the PDF and Markdown this run wrote for it, never what else lies
    in the week folder; never stop at one failure.

    Call under the week lock: what was sent is checked and recorded there, so a racing run of
    the same week sees this one's deliveries.
    """
    week = dispatch.written.week
    post = _Post(settings, password, dispatch.history, week.number)
    outcomes = []
    for agent in week.chosen:
        if not agent.email:
            continue
        attachments, link = _package(agent.id, dispatch, settings)
        if not attachments and link is None:
            log.warning("%s: not e-mailed: this run wrote no PDF or Markdown for it", agent.id)
            continue
        key = dispatch.keys.mail(agent.id)
        done = dispatch.already_sent(agent.id, key.accepted)
        todo = [r for r in agent.email if r not in done]
        skipped = tuple(r for r in agent.email if r in done)
        if not todo:
            log.info("%s: already sent to %s", agent.id, ", ".join(skipped))
            outcomes.append(Delivery(agent.id, (), skipped, None))
            continue
        message = compose(week.result, week.trend, agent, settings.sender, todo, attachments, link)
        sent, error = post.send(agent.id, key.current, message, todo)
        outcomes.append(Delivery(agent.id, sent, skipped, error))
    return outcomes


def _package(
    agent_id: str, dispatch: Dispatch, settings: MailSettings
) -> tuple[list[Path], Link | None]:
    """What one agent's e-mail carries: the report files (and CSV files with attach_csv), or,
    with `attach: link` or when they are over max_attachment_mb, the report's address."""
    folder = dispatch.written.folder
    written = dispatch.written.files.get(agent_id, {})
    reports = [folder / written[kind] for kind in ATTACHED if kind in written]
    if reports and settings.attach_csv:
        reports += [folder / GOALS_CSV, folder / SERIES_CSV]
    url = dispatch.link(written.get("html", INDEX))
    if url is None:
        return reports, None
    if settings.attach == "link":
        return [], Link(url)
    size = sum(p.stat().st_size for p in reports)
    limit = settings.max_attachment_mb * 2**20
    if size <= limit:
        return reports, Link(url)
    log.warning("%s: the attachments are over email.max_attachment_mb: linked instead", agent_id)
    note = (
        f"The report files ({fmt.fixed(size / 2**20, 1)} MB) are over the "
        f"{fmt.number(settings.max_attachment_mb)} MB "
        "attachment limit (email.max_attachment_mb): open them online instead."
    )
    return [], Link(url, note)


@dataclass(frozen=True)
class _Post:
    """One run's SMTP server, and the history where what it accepted is recorded."""

    settings: MailSettings
    password: str | None = field(repr=False)  # never in a log line or traceback
    history: History
    week: int

    def send(
        self, agent_id: str, digest: str, message: EmailMessage, todo: list[str]
    ) -> tuple[tuple[str, ...], str | None]:
        """Send `message` to `todo`; record and return who got it, and what went wrong."""
        envelope = {mail_address(r): r for r in todo}
        refused, error = self._submit(message, list(envelope))
        sent = tuple(entry for address, entry in envelope.items() if address not in refused)
        if sent:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            self.history.record_delivery(self.week, agent_id, digest, list(sent), stamp)
            log.info("%s: e-mailed %s", agent_id, ", ".join(sent))
        if refused and error is None:
            error = "; ".join(f"{r} refused: {reply}" for r, reply in refused.items())
        return sent, error

    def _submit(
        self, message: EmailMessage, recipients: list[str]
    ) -> tuple[Mapping[str, str], str | None]:
        """The recipients the server refused (with its reply), and an error when it failed."""
        settings = self.settings
        where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
        credentials = (settings.username, self.password or "") if settings.username else None
        try:
            refused = smtp.send(
                settings.smtp_host,
                settings.smtp_port,
                settings.security,
                credentials,
                message,
                settings.sender_address,
                recipients,
                settings.timeout_s,
            )
        except smtp.DeadlinePassed as exc:
            refused = {r: str(exc) for r in recipients}
            return refused, f"{where}: {exc}; email.timeout_s is {settings.timeout_s:g}"
        except (smtplib.SMTPException, OSError) as exc:
            return {r: _reply(exc) for r in recipients}, f"{where}: {_reply(exc)}"
        return refused, None


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
