"""Secrets (bearer token, basic-auth and SMTP passwords) never reach reports, logs or errors."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from tests.support.configs import shipped_config
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.smtp import Inbox, SmtpServer, self_signed_cert

pytestmark = pytest.mark.prometheus
TOKEN = "tok-9f8e7d6c5b4a"
PROM_PASSWORD = "prom-pw-1a2b3c4d"
SMTP_PASSWORD = "smtp-pw-5e6f7a8b"


def _everything(out: Path, *texts: str) -> str:
    """Every byte the runs left: files (PDF text too), stdout, stderr."""
    parts = list(texts)
    for path in out.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("latin-1"))
            if path.suffix == ".pdf":
                parts.extend(p.extract_text() for p in PdfReader(path).pages)
    return "\n".join(parts)


def _assert_absent(haystack: str, *secrets: str) -> None:
    for secret in secrets:
        for form in (secret, base64.b64encode(secret.encode()).decode()):
            assert form not in haystack


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_prometheus_and_smtp_secrets_stay_secret(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    auth: str,
) -> None:
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("PROM_TOKEN", TOKEN)
    monkeypatch.setenv("PROM_PASSWORD", PROM_PASSWORD)
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    auth_yaml = (
        "  bearer_token_env: PROM_TOKEN\n  headers: {X-Scope-OrgID: team-a}\n"
        if auth == "bearer"
        else "  basic_auth: {username: reporter, password_env: PROM_PASSWORD}\n"
    )
    faults = Faults()
    inbox = Inbox()
    out = tmp_path / "out"
    with (
        fault_proxy(prometheus.url, faults) as url,
        SmtpServer(inbox, tls=(cert, key), password=SMTP_PASSWORD) as smtp,
    ):
        config = shipped_config(tmp_path, url, {"  retries: 3\n": "  retries: 0\n" + auth_yaml})
        config.write_text(re.sub(r"smtp_port: \d+", f"smtp_port: {smtp.port}", config.read_text()))
        args = ["--week", "1", "--config", str(config), "--output", str(out)]
        assert main([*args, "--format", "md,pdf,html", "--email", "--agent", "go-code"]) == 0
        assert main([*args, "--dry-run"]) == 0
        assert main(["validate", "--config", str(config)]) == 0
        monkeypatch.setenv("SMTP_PASSWORD", "not-" + SMTP_PASSWORD)  # a login that fails
        assert main([*args, "--format", "md", "--email", "--agent", "devops"]) == 4
        faults.status_first.extend([503] * 10)  # and a server that fails
        assert main([*args, "--format", "md"]) == 3
    expected = (
        f"Bearer {TOKEN}"
        if auth == "bearer"
        else "Basic " + base64.b64encode(f"reporter:{PROM_PASSWORD}".encode()).decode()
    )
    assert all(r.get("Authorization") == expected for r in faults.requests)  # it was used
    if auth == "bearer":
        assert all(r.get("X-Scope-OrgID") == "team-a" for r in faults.requests)
    assert len(inbox.messages) == 1  # the login worked once, with the real password
    captured = capsys.readouterr()
    mails = "\n".join(m.as_string() for _, m in inbox.messages)
    _assert_absent(
        _everything(out, captured.out, captured.err, mails),
        TOKEN,
        PROM_PASSWORD,
        SMTP_PASSWORD,
        f"reporter:{PROM_PASSWORD}",
    )
