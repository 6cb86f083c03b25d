"""`python -m pipeline rules --alertmanager`: the generated config passes `amtool check-config`,
`amtool config routes test` sends each goal's alerts to every agent that owns the goal (and the
rest to the default receiver), a real Alertmanager inhibits a goal's warnings while it is
Missed, and no secret reaches the output.

The alerts' labels are the rules' contract: `sprint`, `goal`, `category`, `severity`,
`agent_<id>="true"` for each agent listing the goal, and `rules.labels`; the stale-run alert
only `sprint` and `severity`."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.routing import ROUTE_VALUE, agent_label
from pipeline.core.settings import Settings
from pipeline.demo.promserver import Daemon, free_port, start_daemon
from pipeline.generate.alertmanager import DEFAULT_RECEIVER, matcher
from pipeline.generate.rulemodel import AlertingRule
from pipeline.generate.rules import build_groups
from tests.support.binaries import require_binary
from tests.support.configs import shipped_config, write_config

SECRET = "s3cr3t-Pa55word-in-the-environment"
# Quotes, backslashes (before a quote, before an n), a comma and braces: each must survive
# the matchers' quoting.
SPRINT = 'Q4 "Launch", A\\"B\\n {x}'
STALE = "SprintConvergenceRunStale"


def _shared_config(folder: Path, email: bool = True) -> Path:
    """A goal three agents share, a goal no agent lists, one agent without e-mail."""
    goal = {"category": "technical", "aggregate": "last", "target": ">= 5", "warning": ">= 4"}
    doc: dict[str, Any] = {
        "sprint": {"name": SPRINT, "start": "2026-11-02"},
        "scoring": {"categories": {"technical": {"weight": 1.0}}},
        "goals": [
            goal | {"id": "shared", "name": "Shared", "query": "shared_metric"},
            goal | {"id": "unowned", "name": "Unowned", "query": "unowned_metric"},
            goal | {"id": "ops_only", "name": "Ops only", "query": "ops_metric"},
        ],
        "agents": [
            {"id": "ops", "name": "Ops", "goals": ["shared", "ops_only"], "email": ["o@x.test"]},
            {"id": "qa", "name": "QA", "goals": ["shared"]},
            {
                "id": "go-code",
                "name": "Go",
                "goals": ["shared"],
                "email": ["a@x.test", "Go Team <b@x.test>"],
            },
        ],
        "rules": {"labels": {"team": "platform"}},
    }
    if email:
        doc["email"] = {
            "smtp_host": "smtp.x.test",
            "smtp_port": 465,
            "security": "ssl",
            "username": "bot@x.test",
            "password_env": "AM_TEST_SMTP_PASSWORD",
            "from": "Sprint bot <bot@x.test>",
        }
    return write_config(folder / "config.yaml", yaml.safe_dump(doc, sort_keys=False))


def _generate(config: Path, out: Path) -> Path:
    assert main(["rules", "--alertmanager", "--config", str(config), "--output", str(out)]) == 0
    return out


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    amtool = require_binary("amtool")
    return subprocess.run([amtool, *args], capture_output=True, text=True, check=False)


def goal_labels(loaded: Settings, goal_id: str, severity: str = "warning") -> dict[str, str]:
    """The labels the rules give the goal's alerts (the contract above)."""
    spec = next(g for g in loaded.goals if g.id == goal_id)
    labels = {"sprint": loaded.sprint.name, "goal": spec.id, "category": spec.category}
    labels |= {"severity": severity, **loaded.rules.labels}
    owners = [a for a in loaded.agents if goal_id in a.goals]
    return labels | {agent_label(a.id): ROUTE_VALUE for a in owners}


def _routes_to(path: Path, labels: dict[str, str]) -> str:
    """The receivers (comma-joined, in the tree's order) an alert with `labels` reaches."""
    args = [matcher(name, value) for name, value in labels.items()]
    done = _amtool("config", "routes", "test", f"--config.file={path}", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def _verify(path: Path, expected: str, labels: dict[str, str]) -> None:
    """amtool's own check: it exits non-zero when the receivers are not `expected`."""
    args = [matcher(name, value) for name, value in labels.items()]
    flags = [f"--config.file={path}", f"--verify.receivers={expected}"]
    done = _amtool("config", "routes", "test", *flags, *args)
    assert done.returncode == 0, f"{labels}: {done.stdout}{done.stderr}"


def test_the_demo_config_passes_amtool_and_routes_each_goal_to_its_agents(
    tmp_path: Path,
) -> None:
    config = shipped_config(tmp_path)
    path = _generate(config, tmp_path / "alertmanager.yml")
    check = _amtool("check-config", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "1 inhibit rules" in check.stdout and "5 receivers" in check.stdout
    loaded = load_config(config)
    for spec in loaded.goals:
        owners = [a.id for a in loaded.agents if spec.id in a.goals]
        _verify(path, ",".join(owners) or DEFAULT_RECEIVER, goal_labels(loaded, spec.id))
    _every_generated_alert_reaches_its_owners(loaded, path)
    # the label's name, spelled out once: go-code's alerts carry agent_go_code="true"
    assert _routes_to(path, {"sprint": loaded.sprint.name, "agent_go_code": "true"}) == "go-code"
    stale = {"sprint": loaded.sprint.name, "severity": "warning"}
    assert _routes_to(path, {"alertname": STALE, **stale}) == DEFAULT_RECEIVER


def _every_generated_alert_reaches_its_owners(loaded: Settings, path: Path) -> None:
    """Each alert the rules generate, with the labels they give it (not the contract's copy),
    reaches the agents that list its goal, or the default receiver."""
    alerts = [r for g in build_groups(loaded) for r in g.rules if isinstance(r, AlertingRule)]
    assert len(alerts) > 3
    for rule in alerts:
        goal = rule.labels.get("goal")
        owners = [a.id for a in loaded.agents if goal in a.goals]
        _verify(
            path, ",".join(owners) or DEFAULT_RECEIVER, {"alertname": rule.alert, **rule.labels}
        )


def test_a_shared_goal_reaches_every_agent_and_the_rest_the_default(tmp_path: Path) -> None:
    config = _shared_config(tmp_path)
    path = _generate(config, tmp_path / "alertmanager.yml")
    check = _amtool("check-config", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    loaded = load_config(config)
    _verify(path, "ops,qa,go-code", goal_labels(loaded, "shared", "critical"))
    _verify(path, "ops", goal_labels(loaded, "ops_only"))
    _verify(path, DEFAULT_RECEIVER, goal_labels(loaded, "unowned"))
    _verify(path, DEFAULT_RECEIVER, {"alertname": STALE, "sprint": SPRINT, "severity": "warning"})
    _every_generated_alert_reaches_its_owners(loaded, path)
    # amtool does check: a wrong expectation fails, and another sprint's alert stays out of
    # this sprint's subtree (the root's receiver, not an agent's)
    wrong = [f"--config.file={path}", "--verify.receivers=ops", matcher("goal", "shared")]
    assert _amtool("config", "routes", "test", *wrong).returncode != 0
    other = goal_labels(loaded, "shared") | {"sprint": "Another sprint"}
    assert _routes_to(path, other) == DEFAULT_RECEIVER


def test_receivers_mail_the_agents_recipients_through_the_configs_smtp(tmp_path: Path) -> None:
    document = yaml.safe_load(_generate(_shared_config(tmp_path), tmp_path / "a.yml").read_text())
    assert document["global"] == {
        "smtp_smarthost": "smtp.x.test:465",
        "smtp_from": "Sprint bot <bot@x.test>",
        "smtp_require_tls": False,  # implicit TLS on 465: no STARTTLS to require
        "smtp_auth_username": "bot@x.test",
    }
    receivers = {r["name"]: r for r in document["receivers"]}
    assert list(receivers) == [DEFAULT_RECEIVER, "ops", "qa", "go-code"]
    assert receivers["ops"]["email_configs"] == [{"to": "o@x.test"}]
    assert receivers["go-code"]["email_configs"] == [{"to": "a@x.test, Go Team <b@x.test>"}]
    assert receivers["qa"] == {"name": "qa"}  # no recipients: empty, for the team to fill in
    assert receivers[DEFAULT_RECEIVER] == {"name": DEFAULT_RECEIVER}
    subtree = document["route"]["routes"][0]
    assert subtree["matchers"] == [matcher("sprint", SPRINT)]
    assert subtree["group_by"] == ["sprint", "goal"]
    assert [r["continue"] for r in subtree["routes"]] == [True, True, True]


def test_without_an_email_section_every_receiver_is_empty(tmp_path: Path) -> None:
    config = _shared_config(tmp_path, email=False)
    document = yaml.safe_load(_generate(config, tmp_path / "a.yml").read_text())
    assert "global" not in document
    assert all(set(r) == {"name"} for r in document["receivers"])


def test_no_secret_in_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AM_TEST_SMTP_PASSWORD", SECRET)
    monkeypatch.setenv("SMTP_PASSWORD", SECRET)  # the shipped config's password_env
    (tmp_path / "shipped").mkdir()
    for config in (_shared_config(tmp_path), shipped_config(tmp_path / "shipped")):
        assert main(["rules", "--alertmanager", "--config", str(config)]) == 0
        out, err = capsys.readouterr()
        assert SECRET not in out + err
        # where the password goes instead, and no password key at all
        assert "smtp_auth_password_file:" in out and "smtp_auth_password:" not in out


def test_alertmanager_and_the_operator_format_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path)
    assert main(["rules", "--alertmanager", "--format", "operator", "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "not allowed with argument --alertmanager" in err


def test_an_agent_named_like_the_default_receiver_is_a_config_error(tmp_path: Path) -> None:
    config = shipped_config(tmp_path, replace={"id: devops": f"id: {DEFAULT_RECEIVER}"})
    assert main(["rules", "--alertmanager", "--config", str(config)]) == 2


@pytest.mark.parametrize(
    ("value", "written"),
    [("plain", '"plain"'), ('say "hi"', r'"say \"hi\""'), ("a\\b\nc", r'"a\\b\nc"')],
)
def test_matcher_values_are_quoted_as_alertmanager_parses_them(value: str, written: str) -> None:
    assert matcher("sprint", value) == "sprint=" + written


class AlertmanagerServer(Daemon):
    """A real Alertmanager on 127.0.0.1 (no cluster, its data in `folder`)."""

    def __init__(self, binary: str, config: Path, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = [
            binary,
            f"--config.file={config}",
            f"--storage.path={folder}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
        ]
        self.log_path = folder / "alertmanager.log"

    def __enter__(self) -> AlertmanagerServer:
        self._process = start_daemon(self.argv, self.log_path, f"{self.url}/-/ready", "AM")
        return self


@pytest.fixture(name="alertmanager")
def alertmanager_fixture(tmp_path: Path) -> Iterator[tuple[AlertmanagerServer, Settings]]:
    binary = require_binary("prometheus-alertmanager", "alertmanager")
    config = _shared_config(tmp_path, email=False)
    path = _generate(config, tmp_path / "alertmanager.yml")
    (tmp_path / "data").mkdir()
    with AlertmanagerServer(binary, path, tmp_path / "data") as server:
        yield server, load_config(config)


def test_a_missed_goal_inhibits_its_warnings_not_other_goals(
    alertmanager: tuple[AlertmanagerServer, Settings],
) -> None:
    server, loaded = alertmanager
    now = datetime.now(UTC)
    window = {"startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=1)).isoformat()}

    def alert(name: str, goal: str, severity: str, **extra: str) -> dict[str, Any]:
        labels = {"alertname": name, **goal_labels(loaded, goal, severity), **extra}
        return {"labels": labels, **window}

    alerts = [
        alert("SharedMissed", "shared", "critical", customer="a"),
        alert("SharedAtRisk", "shared", "warning", customer="b"),  # same goal: inhibited
        alert("OpsOnlyAtRisk", "ops_only", "warning"),  # another goal: not
        {"labels": {"alertname": STALE, "sprint": SPRINT, "severity": "warning"}, **window},
    ]
    requests.post(f"{server.url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
    expected = {
        "SharedMissed": "active",
        "SharedAtRisk": "suppressed",
        "OpsOnlyAtRisk": "active",
        STALE: "active",
    }
    deadline = time.monotonic() + 10  # the inhibitor learns of the Missed alert asynchronously
    while True:
        answer = requests.get(f"{server.url}/api/v2/alerts", timeout=5)
        answer.raise_for_status()
        states = {a["labels"]["alertname"]: a["status"]["state"] for a in answer.json()}
        if states == expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert states == expected
    receivers = {
        a["labels"]["alertname"]: sorted(r["name"] for r in a["receivers"]) for a in answer.json()
    }
    assert receivers["SharedMissed"] == ["go-code", "ops", "qa"]
    assert receivers[STALE] == [DEFAULT_RECEIVER]
