"""Config documents and files shared by several test modules (no test imports another)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.demo.promserver import PrometheusServer
from tests.support.configs import shipped_config

# A small valid config document: two goals, one agent.
VALID: dict[str, Any] = {
    "sprint": {"name": "S", "start": "2026-11-02"},
    "scoring": {"categories": {"technical": {"weight": 0.4}, "customer": {"weight": 0.6}}},
    "goals": [
        {
            "id": "a",
            "name": "A",
            "category": "technical",
            "query": "up",
            "aggregate": "min",
            "target": ">= 1",
        },
        {
            "id": "b",
            "name": "B",
            "category": "customer",
            "query": "up",
            "aggregate": "last",
            "target": "30..50",
            "warning": "25..55",
        },
    ],
    "agents": [{"id": "pm", "name": "PM", "goals": ["a", "b"]}],
}

# Who the shipped config mails each agent's report to.
AGENT_MAIL = {
    "product-manager": ["product@example.com"],
    "devops": ["devops@example.com"],
    "testing": ["testing@example.com"],
    "go-code": ["go-team@example.com"],
}
TIMEOUT_S = 3  # email.timeout_s in timed_email_config


def email_config(
    tmp_path: Path,
    prom: PrometheusServer,
    port: int,
    security: str = "none",
    extra_recipient: str | None = None,
) -> Path:
    """The shipped config pointed at `prom`, sending through 127.0.0.1:`port`."""
    email = (
        f"email:\n  smtp_host: 127.0.0.1\n  smtp_port: {port}\n  security: {security}\n"
        f"  from: reports@example.com\n"
    )
    if security != "none":
        email += "  username: reports@example.com\n  password_env: SMTP_PASSWORD\n"
    config = shipped_config(tmp_path, prom.url)
    text = re.sub(r"email:\n(  .*\n)+", email, config.read_text())
    if extra_recipient:
        text = text.replace("[go-team@example.com]", f"[go-team@example.com, {extra_recipient}]")
    config.write_text(text)
    return config


def timed_email_config(
    tmp_path: Path, prom: PrometheusServer, port: int, security: str = "none"
) -> Path:
    """email_config with `email.timeout_s: TIMEOUT_S`."""
    config = email_config(tmp_path, prom, port, security)
    text = config.read_text().replace(
        "  from: reports@example.com\n", f"  from: reports@example.com\n  timeout_s: {TIMEOUT_S}\n"
    )
    config.write_text(text)
    return config


def schedule_config(
    tmp_path: Path,
    url: str,
    cron: str,
    smtp_port: int,
    grace: str = "1h",
    start: date | None = None,
    formats: str = "md, html, pdf",
) -> Path:
    """The shipped config pointed at `url`, mailing through `smtp_port`, on `cron`, writing
    `formats`; its sprint starts on `start` when given (a live sprint's first day)."""
    replace = {"formats: [md, html, pdf]": f"formats: [{formats}]"}
    if start:
        replace["start: 2026-11-02"] = f"start: {start}"
    config = shipped_config(tmp_path, url, replace)
    text = re.sub(
        r"email:\n(  .*\n)+",
        f"email:\n  smtp_host: 127.0.0.1\n  smtp_port: {smtp_port}\n  security: none\n"
        "  from: reports@example.com\n",
        config.read_text(),
    )
    text = re.sub(
        r"schedule:\n(  .*\n)+",
        f'schedule:\n  cron: "{cron}"\n  email: true\n  misfire_grace: {grace}\n',
        text,
    )
    config.write_text(text)
    return config
