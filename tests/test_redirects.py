"""No credential leaves the origin it was configured for: every HTTP client (Prometheus, the
Pushgateway, chat) meets a redirect to another port, whose receiver records every header.
Each credential kind: a custom header, a bearer token, basic auth (in config and as
user:pass@ in the URL), a cookie (a custom header, and one the origin sets on the way)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from tests.support.configs import shipped_config, write_config
from tests.support.handmade import HANDMADE
from tests.support.redirects import Redirect, redirecting

STATUSES = (301, 302, 303, 307, 308)
HEADER_KEY = "hdr-SECRET-41c2"
TOKEN = "tok-SECRET-8d1e"
PASSWORD = "pw-SECRET-77aa"
COOKIE = "cookie-SECRET-5b90"
PATH_TOKEN = "path-SECRET-0c3f"
SECRETS = (HEADER_KEY, TOKEN, PASSWORD, COOKIE, PATH_TOKEN, "session-cookie")


def _secrets_in(text: str) -> list[str]:
    forms = [(s, base64.b64encode(f"reports:{s}".encode()).decode()) for s in SECRETS]
    return [form for pair in forms for form in pair if form in text]


@pytest.fixture
def redirects() -> Iterator[list[Redirect]]:
    with ExitStack() as stack:
        yield [stack.enter_context(redirecting(status)) for status in STATUSES]


@pytest.fixture(autouse=True)
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", TOKEN)
    monkeypatch.setenv("SECRET_PASSWORD", PASSWORD)


PROMETHEUS_AUTH = {
    "custom header and cookie": (
        f'{{X-Api-Key: "{HEADER_KEY}", Cookie: "session={COOKIE}"}}',
        "headers",
    ),
    "bearer token": ("SECRET_TOKEN", "bearer_token_env"),
    "basic auth": ("{username: reports, password_env: SECRET_PASSWORD}", "basic_auth"),
    "user:pass@ in the URL": ("", "url"),
}


@pytest.mark.parametrize("kind", PROMETHEUS_AUTH)
def test_prometheus_credentials_never_follow_a_redirect(
    kind: str,
    tmp_path: Path,
    redirects: list[Redirect],
    capsys: pytest.CaptureFixture[str],
) -> None:
    value, key = PROMETHEUS_AUTH[kind]
    for redirect in redirects:
        url = redirect.url
        if key == "url":
            url = url.replace("http://", f"http://reports:{PASSWORD}@")
        settings = f'url: "{url}", retries: 0' + (f", {key}: {value}" if key != "url" else "")
        text = HANDMADE.replace('url: "http://127.0.0.1:9090", retries: 1', settings)
        config = write_config(tmp_path / "c.yaml", text)
        assert main(["validate", "--config", str(config)]) == 3
        err = capsys.readouterr().err
        shown = url.replace(PASSWORD, "***")
        assert f"error: Prometheus at {shown}: {redirect.status_line}, redirected to " in err
        assert "(redirects are not followed: set prometheus.url to the final address)" in err
        assert _secrets_in(err) == []
        assert redirect.origin_requests, "the origin was asked"
        assert redirect.target_requests == [], kind
        assert redirect.leaked(*SECRETS) == []


PUSH_AUTH = {
    "bearer token": "  bearer_token_env: SECRET_TOKEN\n",
    "basic auth": "  basic_auth: {username: reports, password_env: SECRET_PASSWORD}\n",
    "user:pass@ in the URL": "",
}


@pytest.mark.prometheus
@pytest.mark.parametrize("kind", PUSH_AUTH)
def test_pushgateway_credentials_never_follow_a_redirect(
    kind: str,
    tmp_path: Path,
    prometheus: PrometheusServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with redirecting(307) as redirect:  # 307 and 308 keep the PUT and its body
        url = redirect.url
        if not PUSH_AUTH[kind]:
            url = url.replace("http://", f"http://reports:{PASSWORD}@")
        config = shipped_config(tmp_path, prometheus.url)
        text = f"\nmetrics:\n  pushgateway_url: {url}\n  timeout_s: 5\n{PUSH_AUTH[kind]}"
        config.write_text(config.read_text() + text)
        args = ["--week", "1", "--config", str(config), "--output", str(tmp_path / "out")]
        assert main([*args, "--format", "md", "-q"]) == 4
    err = capsys.readouterr().err
    assert (
        f"error: Pushgateway at {url.replace(PASSWORD, '***')}: 307 Temporary Redirect "
        "(redirects are not followed: set metrics.pushgateway_url to the final address)"
    ) in err
    assert _secrets_in(err) == []
    assert [r.method for r in redirect.origin_requests] == ["PUT"]
    assert "Authorization" in redirect.origin_requests[0].headers  # sent where configured
    assert redirect.target_requests == []


@pytest.mark.prometheus
def test_chat_credentials_never_follow_a_redirect(
    tmp_path: Path,
    prometheus: PrometheusServer,
    redirects: list[Redirect],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Apprise json:// with every credential kind it can carry: user:pass@, a custom header, a
    # bearer token and a cookie as custom headers, a token in the path; the last channel asks
    # Apprise to follow redirects (?redirect=yes): not followed all the same
    channels = ""
    for index, redirect in enumerate(redirects):
        host = redirect.url.removeprefix("http://")
        query = (
            f"+X-Api-Key={HEADER_KEY}&+Authorization=Bearer%20{TOKEN}&+Cookie=session%3D{COOKIE}"
        )
        if index == len(redirects) - 1:
            query += "&redirect=yes"
        url = f"json://reports:{PASSWORD}@{host}/hooks/{PATH_TOKEN}?{query}"
        monkeypatch.setenv(f"CHAT_{index}_URL", url)
        channels += f"  - {{name: chat-{index}, url_env: CHAT_{index}_URL, timeout_s: 10}}\n"
    config = shipped_config(tmp_path, prometheus.url)
    config.write_text(config.read_text() + "notify:\n" + channels)
    args = ["--week", "3", "--config", str(config), "--output", str(tmp_path / "out")]
    code = main([*args, "--format", "md", "-q", "--notify"])
    for redirect in redirects:
        assert redirect.leaked(*SECRETS) == [], redirect.status_line
        assert redirect.target_requests == [], redirect.status_line
        assert len(redirect.origin_requests) == 1
        assert redirect.origin_requests[0].headers["X-Api-Key"] == HEADER_KEY  # configured here
    assert code == 4
    err = capsys.readouterr().err
    assert f"chat failed for {len(redirects)} of {len(redirects)} channels: " in err
    for index, redirect in enumerate(redirects):
        assert (
            f"chat-{index}: {redirect.status_line} (redirects are not followed: set the "
            "channel's URL to the final address)"
        ) in err
    assert _secrets_in(err) == []
