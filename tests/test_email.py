"""E-mail delivery against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.model import Outlook
from pipeline.delivery.compose import compose, subject
from pipeline.demo.promserver import PrometheusServer, free_port
from tests.support.chartweek import scored_week
from tests.support.command import cli_args
from tests.support.forecast import charts_outlook, mid_week, sprint_end_only
from tests.support.setups import AGENT_MAIL, email_config
from tests.support.smtp import Inbox, SmtpServer, self_signed_cert

pytestmark = pytest.mark.prometheus
SECRET = "s3cr3t-smtp-pa55"


def _tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusted: bool) -> tuple[Path, Path]:
    """A certificate for the test server, trusted by the client or not; the SMTP password set."""
    cert, key = self_signed_cert(tmp_path)
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # only the system's CAs
    monkeypatch.setenv("SMTP_PASSWORD", SECRET)
    return cert, key


def _run(config: Path, out: Path, *extra: str) -> int:
    return main(cli_args(1, config, out, "-q", "--email", *extra))


def test_each_agent_gets_its_pdf(tmp_path: Path, prometheus: PrometheusServer) -> None:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port)
        assert _run(config, tmp_path / "out") == 0
    folder = tmp_path / "out" / "week-01"
    summary = json.loads((folder / "summary.json").read_text())
    assert sorted(r for r, _ in inbox.messages) == sorted(AGENT_MAIL.values())
    for recipients, message in inbox.messages:
        agent = next(a for a, r in AGENT_MAIL.items() if r == recipients)
        assert message["To"] == recipients[0]
        own = next(a for a in summary["agents"] if a["id"] == agent)
        assert message["Subject"] == (
            f"UnMoGrowP Attribution Platform · week 1 · {own['name']}: "
            f"{own['verdict'].replace('_', ' ')} {own['score']:.1f}/100 · sprint MISSED 42.0/100"
        )
        attachments = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
        assert attachments[f"{agent}.pdf"] == (folder / f"{agent}.pdf").read_bytes()
        # text parts travel with CRLF line ends (RFC 5322); the text itself is unchanged
        markdown = attachments[f"{agent}.md"].replace("\r\n", "\n")
        assert markdown == (folder / f"{agent}.md").read_text()
        body = message.get_body(("plain",)).get_content()
        assert body.startswith(
            f"{own['name']}: {own['verdict'].replace('_', ' ')}, {own['score']:.1f}/100"
        )
        assert "week 1 of UnMoGrowP Attribution Platform" in body and "MISSED, 42.0/100" in body
        assert "Not met yet:" in body
        assert message.get_body(("html",)) is not None


def test_a_rerun_does_not_send_the_same_report_again(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        assert _run(config, out, "--agent", "go-code", "--format", "pdf") == 0
        assert _run(config, out, "--agent", "go-code", "--format", "pdf") == 0
        assert len(inbox.messages) == 1
        assert _run(config, out, "--agent", "go-code", "--format", "pdf", "--resend") == 0
        assert len(inbox.messages) == 2


def test_starttls_and_login(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cert, key = _tls(tmp_path, monkeypatch, trusted=True)
    inbox = Inbox()
    with SmtpServer(inbox, tls=(cert, key), password=SECRET) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port, security="starttls")
        out = tmp_path / "out"
        assert _run(config, out, "--agent", "go-code", "--format", "pdf") == 0
        assert len(inbox.messages) == 1
        monkeypatch.setenv("SMTP_PASSWORD", "wrong")
        assert _run(config, out, "--agent", "devops", "--format", "pdf") == 4
    err = capsys.readouterr().err
    assert (
        f"error: e-mail failed for 1 of 1 agents: devops: SMTP 127.0.0.1:{smtp.port}: "
        "535 5.7.8 Authentication credentials invalid" in err
    )
    assert SECRET not in err and "wrong" not in err


def test_implicit_tls_and_login(
    tmp_path: Path, prometheus: PrometheusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _tls(tmp_path, monkeypatch, trusted=True)
    inbox = Inbox()
    with SmtpServer(inbox, tls=(cert, key), password=SECRET, implicit=True) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port, security="ssl")
        assert _run(config, tmp_path / "out", "--agent", "testing", "--format", "pdf") == 0
    assert [r for r, _ in inbox.messages] == [["testing@example.com"]]


def test_an_untrusted_certificate_is_refused(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cert, key = _tls(tmp_path, monkeypatch, trusted=False)
    inbox = Inbox()
    with SmtpServer(inbox, tls=(cert, key), password=SECRET) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port, security="starttls")
        assert _run(config, tmp_path / "out", "--agent", "testing", "--format", "pdf") == 4
    assert "TLS failed: CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err
    assert inbox.messages == []


def test_one_refused_recipient_does_not_stop_the_others(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = Inbox(refuse={"gone@example.com"})
    with SmtpServer(inbox) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port, extra_recipient="gone@example.com")
        assert _run(config, tmp_path / "out", "--format", "pdf") == 4
    err = capsys.readouterr().err
    assert err.startswith(
        "error: e-mail failed for 1 of 4 agents: go-code: gone@example.com refused: "
        "550 5.1.1 <gone@example.com>: mailbox unavailable"
    )
    delivered = sorted(r for rs, _ in inbox.messages for r in rs)
    assert delivered == sorted(r[0] for r in AGENT_MAIL.values())


def test_smtp_down_exits_4_and_keeps_the_reports(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    config = email_config(tmp_path, prometheus, port)
    assert _run(config, tmp_path / "out", "--agent", "go-code") == 4
    err = capsys.readouterr().err
    assert err == (
        f"error: e-mail failed for 1 of 1 agents: go-code: SMTP 127.0.0.1:{port}: "
        f"connection refused (the reports are in {tmp_path / 'out' / 'week-01'})\n"
    )
    assert (tmp_path / "out" / "week-01" / "go-code.pdf").exists()


def test_missing_smtp_password_is_a_config_error(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    config = email_config(tmp_path, prometheus, free_port(), security="starttls")
    assert _run(config, tmp_path / "out") == 2
    assert capsys.readouterr().err == (
        f"error: {config}: email.password_env: environment variable 'SMTP_PASSWORD' is not set\n"
    )
    assert not (tmp_path / "out").exists()


def test_mid_week_the_subject_and_body_carry_the_expected_verdict(tmp_path: Path) -> None:
    result, _, trend = scored_week(tmp_path)
    result = mid_week(result, charts_outlook(result))
    one, two = result.agents
    assert subject(result, one) == (
        "Charts · week 1 (in progress) · Agent One: MISSED 25.0/100 so far, expected MISSED "
        "(60 %) · sprint MISSED 50.0/100 so far, expected ACHIEVED (72 %)"
    )
    assert subject(result, two).startswith(
        "Charts · week 1 (in progress) · Agent Two: AT RISK 75.0/100 so far, expected AT RISK "
        "(50 %) · "
    )
    message = compose(result, trend, one, "r@example.com", ["a@example.com"], [])
    assert message["Subject"] == subject(result, one)
    text = message.get_body(("plain",)).get_content()
    assert (
        "Agent One: MISSED, 25.0/100 (its own convergence points) so far; expected at the week's "
        "end: MISSED (60 %)."
    ) in text
    assert "so far; expected at the week's end: ACHIEVED (72 %)." in text
    html = message.get_body(("html",)).get_content()
    assert "expected at the week's end: <strong>ACHIEVED (72 %)</strong>" in html


def test_a_week_in_progress_without_a_forecast_says_so_far_only(tmp_path: Path) -> None:
    result, _, _ = scored_week(tmp_path)
    result = mid_week(result, Outlook())
    assert subject(result, result.agents[0]) == (
        "Charts · week 1 (in progress) · Agent One: MISSED 25.0/100 so far · "
        "sprint MISSED 50.0/100 so far"
    )


def test_a_complete_week_keeps_its_subject_whatever_the_sprint_end_odds(tmp_path: Path) -> None:
    result, _, _ = scored_week(tmp_path)
    result = dataclasses.replace(result, outlook=sprint_end_only(charts_outlook(result)))
    assert subject(result, result.agents[0]) == (
        "Charts · week 1 · Agent One: MISSED 25.0/100 · sprint MISSED 50.0/100"
    )
