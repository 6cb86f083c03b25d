"""Chat notifications through Apprise to a real HTTP receiver on 127.0.0.1 (json:// and
Mattermost's mmost://, which posts Slack-compatible payloads)."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.delivery.apprise_post import post, redact
from pipeline.delivery.chat import chat_message
from pipeline.demo.promserver import PrometheusServer
from tests.support.chartweek import scored_week
from tests.support.chatserver import Receiver, chat_receiver
from tests.support.command import cli_args, pipeline_command
from tests.support.configs import shipped_config
from tests.support.forecast import charts_outlook, mid_week, sprint_end_only

pytestmark = pytest.mark.prometheus
TOKEN = "hooks-SECRET-7f3a9c"
BASE = "https://reports.example.com/sprint/"


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    with chat_receiver() as json_hook, chat_receiver() as mattermost:
        yield json_hook, mattermost


def _config(tmp_path: Path, prom: PrometheusServer, timeout_s: float = 10) -> Path:
    config = shipped_config(tmp_path, prom.url)
    text = config.read_text().replace("report:\n", f"report:\n  base_url: {BASE}\n", 1) + (
        "notify:\n"
        f"  - {{name: team-json, url_env: CHAT_JSON_URL, timeout_s: {timeout_s}}}\n"
        f"  - {{name: devops-mm, url_env: CHAT_MM_URL, agents: [devops], timeout_s: {timeout_s}}}\n"
    )
    config.write_text(text)
    return config


def _env(monkeypatch: pytest.MonkeyPatch, json_hook: Receiver, mattermost: Receiver) -> None:
    monkeypatch.setenv("CHAT_JSON_URL", f"json://{json_hook.url}/{TOKEN}")
    monkeypatch.setenv("CHAT_MM_URL", f"mmost://{mattermost.url}/{TOKEN}")


def _run(config: Path, out: Path, week: int, *extra: str) -> int:
    """One week as the CLI runs it; Markdown only: chat posts the scores, not the pages."""
    return main(cli_args(week, config, out, "--format", "md", *extra))


def test_each_channel_gets_the_verdicts_changes_open_goals_and_link(
    tmp_path: Path,
    prometheus: PrometheusServer,
    receivers: tuple[Receiver, Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    json_hook, mattermost = receivers
    _env(monkeypatch, json_hook, mattermost)
    config, out = _config(tmp_path, prometheus), tmp_path / "out"
    assert _run(config, out, 2, "-q") == 0
    assert json_hook.posts == [] and mattermost.posts == []  # only with --notify
    assert _run(config, out, 3, "-q", "--notify") == 0
    [posted] = json_hook.posts
    payload = posted.json()
    assert payload["title"] == "UnMoGrowP Attribution Platform · week 3: ACHIEVED 94.0/100"
    message = payload["message"]
    for agent in ("Product Manager Agent", "DevOps Agent: MISSED 70.0/100", "Go Code Agent"):
        assert agent in message
    assert "What changed since last week:\n- " in message
    # the report names the series (customer="initech"); a chat message carries no label values
    assert "Customer Satisfaction: at risk → met (87.4 % → 90.99 %)." in message
    assert "initech" not in message
    assert "Goals not met:\n- Priya: Time to Launch at risk, 15 days against < 14 days" in message
    assert message.endswith(f"Report: {BASE}week-03/index.html")
    [mm] = mattermost.posts
    text = mm.json()["text"]
    assert "DevOps Agent: MISSED 70.0/100" in text and "Go Code Agent" not in text
    assert "Time to Launch" in text and "P95 Latency" not in text  # devops's goals only


def test_a_rerun_posts_nothing_new_unless_resent(
    tmp_path: Path,
    prometheus: PrometheusServer,
    receivers: tuple[Receiver, Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    json_hook, mattermost = receivers
    _env(monkeypatch, json_hook, mattermost)
    config, out = _config(tmp_path, prometheus), tmp_path / "out"
    assert _run(config, out, 3, "-q", "--notify") == 0
    assert _run(config, out, 3, "-q", "--notify") == 0
    assert (len(json_hook.posts), len(mattermost.posts)) == (1, 1)
    assert _run(config, out, 3, "-q", "--notify", "--resend") == 0
    assert (len(json_hook.posts), len(mattermost.posts)) == (2, 2)


def test_one_failing_channel_does_not_stop_the_other_and_exits_4(
    tmp_path: Path,
    prometheus: PrometheusServer,
    receivers: tuple[Receiver, Receiver],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    json_hook, mattermost = receivers
    _env(monkeypatch, json_hook, mattermost)
    config, out = _config(tmp_path, prometheus), tmp_path / "out"
    json_hook.status = 500
    assert _run(config, out, 3, "--notify") == 4
    err = capsys.readouterr().err
    assert "team-json" in err and "error=500" in err and "devops-mm" not in err.split("error:")[1]
    assert len(mattermost.posts) == 1 and (out / "week-03" / "devops.md").is_file()
    json_hook.status = 200
    assert _run(config, out, 3, "-q", "--notify") == 0  # the failed one is retried, alone
    assert (len(json_hook.posts), len(mattermost.posts)) == (2, 1)


def test_a_stalled_channel_ends_within_its_timeout(
    tmp_path: Path,
    prometheus: PrometheusServer,
    receivers: tuple[Receiver, Receiver],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    json_hook, mattermost = receivers
    _env(monkeypatch, json_hook, mattermost)
    json_hook.delay_s = 30
    config = _config(tmp_path, prometheus, timeout_s=1)
    assert _run(config, tmp_path / "out", 3, "-q", "--notify") == 4
    assert "team-json: no answer within 1 s" in capsys.readouterr().err
    assert len(mattermost.posts) == 1


def test_a_dripping_webhook_does_not_hold_the_process_past_its_deadline(
    tmp_path: Path, prometheus: PrometheusServer, receivers: tuple[Receiver, Receiver]
) -> None:
    # Apprise gives up at timeout_s but leaves its sending thread reading; the process must
    # still end (it used to wait for that thread: here a minute, for a slower drip forever)
    json_hook, mattermost = receivers
    json_hook.drip_s = 0.5
    env = {
        **os.environ,
        "CHAT_JSON_URL": f"json://{json_hook.url}/{TOKEN}",
        "CHAT_MM_URL": f"mmost://{mattermost.url}/{TOKEN}",
    }
    config = _config(tmp_path, prometheus, timeout_s=1)
    command = pipeline_command(3, config, tmp_path / "out", "-q", "--format", "md", "--notify")
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4, done.stderr
    assert time.monotonic() - started < 40
    assert "team-json: no answer within 1 s" in done.stderr
    assert TOKEN not in done.stderr and len(mattermost.posts) == 1


def test_the_secret_url_appears_in_no_output(
    tmp_path: Path,
    prometheus: PrometheusServer,
    receivers: tuple[Receiver, Receiver],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    json_hook, mattermost = receivers
    _env(monkeypatch, json_hook, mattermost)
    json_hook.status = 403
    config, out = _config(tmp_path, prometheus), tmp_path / "out"
    assert _run(config, out, 3, "--notify") == 4
    monkeypatch.setenv("CHAT_MM_URL", f"mmost://127.0.0.1:1/{TOKEN}")  # refused connection
    assert _run(config, out, 3, "--notify", "--resend") == 4
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    with sqlite3.connect(out / "history.sqlite") as db:
        assert TOKEN not in str(db.execute("SELECT * FROM deliveries").fetchall())


def test_notify_without_channels_is_a_config_error(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    assert _run(config, tmp_path / "out", 3, "--notify") == 2
    assert "notify: this section is needed to post to chat (--notify)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unset_url_variable_is_a_config_error_before_anything_is_written(
    tmp_path: Path,
    prometheus: PrometheusServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CHAT_JSON_URL", raising=False)
    monkeypatch.setenv("CHAT_MM_URL", "json://127.0.0.1:1/x")
    assert _run(_config(tmp_path, prometheus), tmp_path / "out", 3, "--notify") == 2
    assert "CHAT_JSON_URL" in capsys.readouterr().err
    assert not (tmp_path / "out" / "week-03").exists()


@pytest.mark.parametrize(
    ("url", "reply", "shown"),
    [
        (
            "slack://T1AB2C3/B4DE5F6/xoxbsecret",
            "bad token T1AB2C3 for B4DE5F6",
            "bad token *** for ***",
        ),
        ("discord://123456789/tok3n-abc", "webhook 123456789 refused", "webhook *** refused"),
        (
            "json://u:pw@127.0.0.1:9/h",
            "login pw failed for u (pwd ok)",
            "login *** failed for *** (pwd ok)",
        ),
        ("json://127.0.0.1:8080/x", "cannot reach 127.0.0.1", "cannot reach 127.0.0.1"),
    ],
)
def test_a_reason_never_shows_the_url_or_its_tokens(url: str, reply: str, shown: str) -> None:
    assert redact(reply, url) == shown


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        (f"?+X-Team=a%0D%0AX-Evil:%20{TOKEN}", "a line break"),  # an Apprise custom header
        (f"?+X-Team=a%00{TOKEN}", "a control character"),
        (f"\n{TOKEN}", "a line break"),  # `$(cat url.txt)` with a newline inside
    ],
    ids=["header-crlf", "header-nul", "raw-newline"],
)
def test_a_chat_url_that_cannot_go_into_a_request_is_a_config_error_before_anything_is_written(
    tmp_path: Path,
    prometheus: PrometheusServer,
    receivers: tuple[Receiver, Receiver],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tail: str,
    problem: str,
) -> None:
    json_hook, mattermost = receivers
    _env(monkeypatch, json_hook, mattermost)
    monkeypatch.setenv("CHAT_JSON_URL", f"json://{json_hook.url}/{TOKEN}{tail}")
    config = _config(tmp_path, prometheus)
    assert _run(config, tmp_path / "out", 3, "--notify") == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {config}: notify 'team-json': environment variable 'CHAT_JSON_URL' contains "
        f"{problem} (percent-encoded or not), which cannot go into an HTTP request\n"
    )
    assert not (tmp_path / "out" / "week-03").exists()
    assert (json_hook.posts, mattermost.posts) == ([], [])


def test_mid_week_the_message_carries_the_expected_verdicts(
    tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> None:
    json_hook, _ = receivers
    result, _, trend = scored_week(tmp_path)
    result = mid_week(result, charts_outlook(result))
    message = chat_message(result, trend, result.agents, f"{BASE}week-01/index.html")
    assert post(f"json://{json_hook.url}/{TOKEN}", message, 10) is None
    [posted] = json_hook.posts
    payload = posted.json()
    assert payload["title"] == (
        "Charts · week 1 (in progress): MISSED 50.0/100 so far, expected ACHIEVED (72 %)"
    )
    lines = payload["message"].splitlines()
    assert lines[:2] == [
        "Agent One: MISSED 25.0/100 so far, expected MISSED (60 %)",
        "Agent Two: AT RISK 75.0/100 so far, expected AT RISK (50 %)",
    ]
    # once the week is complete, only what it was
    done = dataclasses.replace(result, window=dataclasses.replace(result.window, complete=True))
    done = dataclasses.replace(done, outlook=sprint_end_only(done.outlook))
    finished = chat_message(done, trend, done.agents, None)
    assert finished.title == "Charts · week 1: MISSED 50.0/100"
    assert finished.body.splitlines()[:2] == [
        "Agent One: MISSED 25.0/100",
        "Agent Two: AT RISK 75.0/100",
    ]
