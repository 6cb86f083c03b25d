"""A login in ~/.netrc ($NETRC) for the host never replaces the credentials the config gives:
requests takes it for any request without `auth=`, over the Authorization header the config
set. Prometheus (fault proxy), the Pushgateway (recording gateway) and chat (receiver)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from tests.support.chatserver import chat_receiver
from tests.support.command import cli_args
from tests.support.configs import shipped_config, write_config
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.handmade import HANDMADE
from tests.support.pushgateway import (  # noqa: F401 (fixtures)
    RecordingGateway,
    recording_gateway_fixture,
)

pytestmark = pytest.mark.prometheus
TOKEN = "tok-CONFIGURED-2b7e"
NETRC_PASSWORD = "netrc-SECRET-91f0"


@pytest.fixture(autouse=True)
def netrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A login for 127.0.0.1 in the file requests reads, and the configured token."""
    path = tmp_path / "netrc"
    path.write_text(f"machine 127.0.0.1 login netrc-user password {NETRC_PASSWORD}\n")
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    monkeypatch.setenv("SECRET_TOKEN", TOKEN)


def _week(config: Path, out: Path, week: int, *extra: str) -> int:
    return main(cli_args(week, config, out, "--format", "md", "-q", *extra))


def test_prometheus_keeps_the_configured_token(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    faults = Faults()
    with fault_proxy(prometheus.url, faults) as url:
        settings = 'retries: 0, bearer_token_env: SECRET_TOKEN, headers: {X-Scope-OrgID: "one"}'
        text = HANDMADE.replace("retries: 1", settings)
        config = write_config(tmp_path / "c.yaml", text, url)
        assert _week(config, tmp_path / "out", 1) == 0
        assert main(["validate", "--config", str(config)]) == 2  # its instant queries too; 2:
        # HANDMADE has a broken goal on purpose
    assert faults.requests
    assert {r["Authorization"] for r in faults.requests} == {f"Bearer {TOKEN}"}


def test_the_pushgateway_keeps_the_configured_token(
    tmp_path: Path, prometheus: PrometheusServer, recording_gateway: RecordingGateway
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    metrics = f"\nmetrics:\n  pushgateway_url: {recording_gateway.url}\n"
    config.write_text(config.read_text() + metrics + "  bearer_token_env: SECRET_TOKEN\n")
    assert _week(config, tmp_path / "out", 1) == 0
    [push] = recording_gateway.pushes
    assert push.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_chat_webhook_keeps_the_configured_header(
    tmp_path: Path, prometheus: PrometheusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with chat_receiver() as hook:
        url = f"json://{hook.url}/hooks?+Authorization=Bearer%20{TOKEN}"
        monkeypatch.setenv("CHAT_URL", url)
        config = shipped_config(tmp_path, prometheus.url)
        channel = "notify:\n  - {name: team, url_env: CHAT_URL, timeout_s: 10}\n"
        config.write_text(config.read_text() + channel)
        assert _week(config, tmp_path / "out", 3, "--notify") == 0
    [posted] = hook.posts
    assert posted.headers["Authorization"] == f"Bearer {TOKEN}"
