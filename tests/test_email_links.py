"""E-mail with report.base_url: a link beside the files, instead of them (`attach: link`), or
instead of files over email.max_attachment_mb; CSV files with attach_csv. Real SMTP (aiosmtpd)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from tests.support.configs import shipped_config
from tests.support.smtp import Inbox, SmtpServer

pytestmark = pytest.mark.prometheus
BASE = "https://reports.example.com/sprint/"


def _config(tmp_path: Path, prom: PrometheusServer, port: int, email_extra: str) -> Path:
    config = shipped_config(tmp_path, prom.url)
    email = (
        f"email:\n  smtp_host: 127.0.0.1\n  smtp_port: {port}\n  security: none\n"
        f"  from: reports@example.com\n{email_extra}"
    )
    text = re.sub(r"email:\n(  .*\n)+", email, config.read_text())
    config.write_text(text.replace("report:\n", f"report:\n  base_url: {BASE}\n", 1))
    return config


def _send(tmp_path: Path, prom: PrometheusServer, email_extra: str) -> EmailMessage:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = _config(tmp_path, prom, smtp.port, email_extra)
        command = ["--week", "1", "--config", str(config), "--output", str(tmp_path / "out")]
        assert main([*command, "-q", "--email", "--agent", "devops"]) == 0
    [(_, message)] = inbox.messages
    return message


def _files(message: EmailMessage) -> list[str]:
    return sorted(str(p.get_filename()) for p in message.iter_attachments())


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_files_and_a_link_by_default(tmp_path: Path, prometheus: PrometheusServer) -> None:
    message = _send(tmp_path, prometheus, "")
    assert _files(message) == ["devops.md", "devops.pdf"]
    assert f"The report online: {BASE}week-01/devops.html" in _text(message)


def test_attach_link_sends_the_address_only(tmp_path: Path, prometheus: PrometheusServer) -> None:
    message = _send(tmp_path, prometheus, "  attach: link\n")
    assert _files(message) == []
    body = _text(message)
    assert f"The report online: {BASE}week-01/devops.html" in body
    assert "attached" not in body
    html = message.get_body(("html",))
    assert html is not None and f'<a href="{BASE}week-01/devops.html">' in html.get_content()


def test_files_over_the_limit_are_linked_with_a_note(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    message = _send(tmp_path, prometheus, "  max_attachment_mb: 0.01\n")
    assert _files(message) == []
    body = _text(message)
    assert "over the 0.01 MB attachment limit (email.max_attachment_mb)" in body
    assert f"{BASE}week-01/devops.html" in body


def test_attach_csv_adds_both_tables(tmp_path: Path, prometheus: PrometheusServer) -> None:
    message = _send(tmp_path, prometheus, "  attach_csv: true\n")
    assert _files(message) == ["devops.md", "devops.pdf", "goals.csv", "series.csv"]
    [goals] = [p for p in message.iter_attachments() if p.get_filename() == "goals.csv"]
    folder = tmp_path / "out" / "week-01"
    assert goals.get_content().replace("\r\n", "\n") == (folder / "goals.csv").read_text().replace(
        "\r\n", "\n"
    )


def test_attach_link_without_base_url_is_a_config_error(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, prometheus, 25, "  attach: link\n")
    config.write_text(config.read_text().replace(f"  base_url: {BASE}\n", ""))
    assert main(["--week", "1", "--config", str(config), "--output", str(tmp_path / "o")]) == 2
    assert "email.attach: 'link' needs report.base_url" in capsys.readouterr().err
