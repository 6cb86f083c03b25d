"""A bad night at delivery: servers that drip, stall or take their time; what gets attached;
two runs racing to send the same week. Real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.delivery.smtp import _Watchdog
from pipeline.demo.promserver import PrometheusServer
from tests.support.command import pipeline_command
from tests.support.setups import AGENT_MAIL, TIMEOUT_S, timed_email_config
from tests.support.smtp import Inbox, SmtpServer, self_signed_cert
from tests.support.smtp_faults import DripServer, SlowInbox

pytestmark = pytest.mark.prometheus


def _deliveries(out: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(out / "history.sqlite") as db:
        rows = db.execute("SELECT agent_id, recipient FROM deliveries ORDER BY agent_id").fetchall()
    return [(str(a), str(r)) for a, r in rows]


def test_a_dripping_server_is_given_up_at_the_deadline(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    # One byte a second: every read gets a byte in time, so only a deadline for the whole
    # exchange ends it. Without one, the greeting alone takes ~40 s and EHLO's reply longer.
    inbox = Inbox()
    with DripServer(inbox, drip_s=1.0) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        cmd = pipeline_command(1, config, out, "-q", "--email", "--agent", "go-code")
        started = time.monotonic()
        done = subprocess.run(
            [*cmd, "--format", "md"], capture_output=True, text=True, timeout=60, check=False
        )
        elapsed = time.monotonic() - started
    assert done.returncode == 4, done.stderr
    assert done.stderr == (
        f"error: e-mail failed for 1 of 1 agents: go-code: SMTP 127.0.0.1:{smtp.port}: no "
        f"complete exchange within {TIMEOUT_S}s (stopped while waiting for the greeting); "
        f"email.timeout_s is {TIMEOUT_S} (the reports are in {out / 'week-01'})\n"
    )
    assert elapsed < TIMEOUT_S + 30  # the run itself takes a few seconds on a slow machine
    assert inbox.messages == []
    assert (out / "week-01" / "go-code.md").exists()
    assert _deliveries(out) == []


def test_a_stall_after_data_fails_that_agent_and_the_others_are_served(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = SlowInbox(stall_for=frozenset({"go-team@example.com"}))
    with SmtpServer(inbox) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        started = time.monotonic()
        assert main(["--week", "1", "--config", str(config), "--output", str(out), "-q",
                     "--email", "--format", "md"]) == 4  # fmt: skip
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert err == (
        f"error: e-mail failed for 1 of 4 agents: go-code: SMTP 127.0.0.1:{smtp.port}: no "
        f"complete exchange within {TIMEOUT_S}s (stopped while sending the message); "
        f"email.timeout_s is {TIMEOUT_S} (the reports are in {out / 'week-01'})\n"
    )
    assert inbox.stalled == [["go-team@example.com"]]  # it got that far, and no further
    served = sorted(r for rs, _ in inbox.messages for r in rs)
    assert served == sorted(r for a, rs in AGENT_MAIL.items() if a != "go-code" for r in rs)
    assert ("go-code", "go-team@example.com") not in _deliveries(out)  # tried again next run
    assert elapsed < TIMEOUT_S + 60
    assert len(list((out / "week-01").glob("*.md"))) == 4


def test_a_non_ascii_password_logs_in(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "pässwörd-ü€-ключ"
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("SMTP_PASSWORD", secret)
    inbox = Inbox()
    with SmtpServer(inbox, tls=(cert, key), password=secret) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port, security="starttls")
        out = tmp_path / "out"
        args = ["--week", "1", "--config", str(config), "--output", str(out), "--email"]
        assert main([*args, "--agent", "go-code", "--format", "md"]) == 0
        monkeypatch.setenv("SMTP_PASSWORD", "pässwörd-falsch")
        assert main([*args, "--agent", "devops", "--format", "md"]) == 4
    assert [r for r, _ in inbox.messages] == [["go-team@example.com"]]
    err = capsys.readouterr().err
    assert "535 5.7.8 Authentication credentials invalid" in err
    assert "pässwörd" not in err and "UnicodeEncodeError" not in err


def test_mail_attaches_only_what_this_run_wrote(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        args = ["--week", "1", "--config", str(config), "--output", str(out), "-q"]
        assert main([*args, "--agent", "go-code", "--format", "pdf"]) == 0  # no e-mail
        assert (out / "week-01" / "go-code.pdf").exists()  # kept by the next --agent run
        assert main([*args, "--agent", "go-code", "--format", "md", "--email"]) == 0
    [(recipients, message)] = inbox.messages
    assert recipients == ["go-team@example.com"]
    assert [p.get_filename() for p in message.iter_attachments()] == ["go-code.md"]
    body = message.get_body(("plain",)).get_content()
    assert "go-code.pdf" not in body


def test_a_recipient_listed_twice_gets_one_message(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port)
        text = config.read_text().replace(
            "[go-team@example.com]", "[go-team@example.com, Go Team <GO-TEAM@example.com>]"
        )
        config.write_text(text)
        out = tmp_path / "out"
        args = ["--week", "1", "--config", str(config), "--output", str(out), "-q", "--email"]
        assert main([*args, "--agent", "go-code", "--format", "md"]) == 0
    assert [r for r, _ in inbox.messages] == [["go-team@example.com"]]
    assert inbox.messages[0][1]["To"] == "go-team@example.com"
    assert (
        f"{config}: agents[3].email[1]: 'Go Team <GO-TEAM@example.com>' is already "
        "agents[3].email[0]; it is mailed once" in capsys.readouterr().err
    )


def test_a_line_break_in_an_agent_name_is_a_config_error_before_anything_is_written(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port)
        text = config.read_text().replace("name: Go Code Agent", 'name: "Go\\r\\nBcc: x@evil.org"')
        config.write_text(text)
        out = tmp_path / "out"
        assert main(["--week", "1", "--config", str(config), "--output", str(out), "--email"]) == 2
    assert capsys.readouterr().err == (
        f"error: {config}: agents[3].name: 'Go\\r\\nBcc: x@evil.org' contains a line break, "
        "which cannot go into an e-mail header\n"
    )
    assert inbox.messages == [] and not out.exists()


def test_two_runs_racing_send_each_message_once(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    # A slow server: the first run is still sending when the second has written its reports.
    inbox = SlowInbox(delay_s=1.0)
    with SmtpServer(inbox) as smtp:
        config = timed_email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        cmd = [*pipeline_command(1, config, out, "-q", "--email"), "--format", "md"]
        runs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in runs]
    # the one that waited for the other's week lock says so (even with -q), and nothing else
    waited = re.compile(r"week 1 is locked by pid \d+ on host .+ since \S+; waiting up to 1800s\n")
    assert [code for code, _ in results] == [0, 0]
    assert all(err == "" or waited.fullmatch(err) for _, err in results), results
    delivered = sorted(r for rs, _ in inbox.messages for r in rs)
    assert delivered == sorted(r for rs in AGENT_MAIL.values() for r in rs)
    assert len(_deliveries(out)) == 4


def test_a_read_timing_out_at_the_deadline_counts_as_the_deadline_before_the_timer_runs() -> None:
    # On a busy machine the socket's own timeout can end a read at the deadline before the
    # watchdog's timer thread has run: the message must still name the deadline and the stage.
    dog = _Watchdog(0.05)  # not entered: its timer never fires
    dog.stage = "sending the message"
    assert dog.passed() is None
    time.sleep(0.06)
    assert not dog.fired
    assert dog.passed() == "sending the message"
