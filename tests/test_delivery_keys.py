"""What makes a delivery new: the report's content and its recipient (or channel), never
settings that do not change what the recipient reads (time-outs, hosts, the job store)."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer, free_port
from pipeline.schedule.scheduler import scheduled_run
from tests.support.chatserver import chat_receiver
from tests.support.command import cli_args
from tests.support.configs import shipped_config
from tests.support.live import LiveSprint
from tests.support.logs import pipeline_log
from tests.support.scheduler import Scheduler
from tests.support.setups import email_config, schedule_config
from tests.support.smtp import Inbox, SmtpServer

TOKEN = "hooks-SECRET-41d2"


def _edit(config: Path, old: str, new: str) -> None:
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))


def _mail_go_code(config: Path, out: Path) -> list[str]:
    """The CLI's arguments to write week 1's Markdown for go-code and mail it."""
    return cli_args(1, config, out, "-q", "--email", "--agent", "go-code", "--format", "md")


@pytest.mark.prometheus
def test_settings_that_do_not_change_the_report_do_not_resend_it(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        args = _mail_go_code(config, out)
        assert main(args) == 0
        assert len(inbox.messages) == 1
        # delivery, transport and scheduling settings: the report says the same
        sender = "  from: reports@example.com\n"
        _edit(config, sender, f"{sender}  timeout_s: 7\n")
        assert main(args) == 0
        _edit(config, "  timeout_s: 30\n  retries: 3\n", "  timeout_s: 20\n  retries: 2\n")
        _edit(config, "  email: true\n", "  email: true\n  jobstore: elsewhere/jobs.sqlite\n")
        _edit(config, 'cron: "0 2 * * *"', 'cron: "0 3 * * *"')
        _edit(config, "report:\n", "report:\n  base_url: https://reports.example.com/s/\n")
        assert main(args) == 0
        assert len(inbox.messages) == 1
        # what the report says changed: a goal's name
        _edit(config, "name: P95 Latency", "name: P95 Latency (ms)")
        assert main(args) == 0
        assert len(inbox.messages) == 2


@pytest.mark.prometheus
def test_a_report_mailed_by_an_earlier_version_is_not_mailed_again(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    inbox = Inbox()
    with SmtpServer(inbox) as smtp:
        config = email_config(tmp_path, prometheus, smtp.port)
        out = tmp_path / "out"
        args = _mail_go_code(config, out)
        assert main(args) == 0
        # as the versions before issue 20 recorded it: summary.json (without the files this
        # run wrote, when it ran and the instant it saw) hashed with the config digest in it
        summary = json.loads((out / "week-01" / "summary.json").read_text())
        for name in ("generated_at", "as_of"):
            summary.pop(name)
        for agent in summary["agents"]:
            agent["files"] = {}
        earlier = hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()
        key = hashlib.sha256(f"{earlier}:go-code".encode()).hexdigest()
        with sqlite3.connect(out / "history.sqlite") as db:
            db.execute("UPDATE deliveries SET content_hash = ?", (key,))
        db.close()
        assert main(args) == 0
        assert len(inbox.messages) == 1


@pytest.mark.prometheus
def test_a_channels_timeout_or_the_reports_address_does_not_repost_the_message(
    tmp_path: Path, prometheus: PrometheusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with chat_receiver() as hook:
        monkeypatch.setenv("CHAT_URL", f"json://{hook.url}/{TOKEN}")
        config = shipped_config(tmp_path, prometheus.url)
        config.write_text(
            config.read_text() + "notify:\n  - {name: team, url_env: CHAT_URL, timeout_s: 10}\n"
        )
        out = tmp_path / "out"
        args = ["--week", "3", "--config", str(config), "--output", str(out), "-q"]
        args += ["--format", "md", "--notify"]
        assert main(args) == 0
        _edit(config, "timeout_s: 10}", "timeout_s: 20}")
        _edit(config, "  timeout_s: 30\n", "  timeout_s: 20\n")
        assert main(args) == 0
        # where the reports are served: the link in the message, not what it says
        _edit(config, "report:\n", "report:\n  base_url: https://reports.example.com/s/\n")
        assert main(args) == 0
        assert len(hook.posts) == 1
        assert "Report: https://" not in hook.posts[0].json()["message"]


def _second_scheduler(tmp_path: Path, first: Path) -> Path:
    """A scheduler config that differs from `first` only in its job store, writing to the same
    output folder."""
    folder = tmp_path / "second"
    folder.mkdir()
    text = first.read_text().replace(
        "  output_dir: reports\n", f"  output_dir: {first.parent / 'reports'}\n"
    )
    config = folder / "config.yaml"
    config.write_text(text)
    _edit(config, "  email: true\n", "  email: true\n  jobstore: jobs.sqlite\n")
    return config


def test_a_second_scheduler_on_the_same_output_folder_exits_2_naming_the_first(
    tmp_path: Path,
) -> None:
    url, port = f"http://127.0.0.1:{free_port()}", free_port()
    config = schedule_config(tmp_path, url, "0 2 * * *", port)
    other = _second_scheduler(tmp_path, config)
    out = tmp_path / "reports"
    first = Scheduler(config, tmp_path / "first.log")
    try:
        first.wait_for("scheduler started")
        command = [sys.executable, "-m", "pipeline", "schedule", "--config", str(other)]
        second = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 2
        assert second.stderr.startswith(
            f"error: another scheduler already writes to the output folder {out} (pid "
            f"{first.process.pid} on host {socket.gethostname()} since "
        )
        assert second.stderr.endswith(f"); stop it first (the lock is {out}/.scheduler.lock)\n")
        assert first.process.poll() is None  # the first goes on
    finally:
        assert first.stop() == 0
    # once the first has stopped, the other may start
    third = Scheduler(other, tmp_path / "third.log")
    try:
        third.wait_for("scheduler started")
    finally:
        assert third.stop() == 0


@pytest.mark.clock
@pytest.mark.prometheus
def test_two_schedulers_configs_on_one_output_folder_mail_each_slot_once(
    tmp_path: Path, live_prometheus: LiveSprint
) -> None:
    # the runs themselves, as each scheduler makes them for the same slot: the second finds
    # the first's deliveries recorded, though its config differs (its job store)
    live, inbox = live_prometheus, Inbox()
    with SmtpServer(inbox) as smtp:
        config = schedule_config(
            tmp_path, live.url, "0 2 * * *", smtp.port, start=live.start, formats="md"
        )
        other = _second_scheduler(tmp_path, config)
        with pipeline_log(logging.ERROR) as log:
            scheduled_run(str(config))
            scheduled_run(str(other))
        assert log.messages == []
        assert len(inbox.messages) == 4  # one per agent
