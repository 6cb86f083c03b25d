"""Many teams from one install (`--config-dir`): which files are teams, each team's reports
under its own folder, one team's failure (a YAML that does not parse, a config error, a source
that times out or answers 401, an SMTP server that refuses, an exception) said with its id
while the others run, the highest exit code, the portfolio page (also in a real Chromium), and
the scheduler keeping its team jobs in step with the folder."""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

import pipeline.teams.run as teams_run
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.checkins import default_checkins_name
from pipeline.core.cron import cron_trigger
from pipeline.demo.promserver import PrometheusServer
from pipeline.schedule.teams import TeamJobs, scheduled_team_run, team_job_id
from pipeline.teams.folder import read_roster
from tests.support import ROOT
from tests.support.browser import LAPTOP, PHONE, Seen, chromium_tabs, static_server
from tests.support.configs import ABSOLUTE_P95
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.hostile import drip, status
from tests.support.live import LiveSprint
from tests.support.smtp import Inbox, SmtpServer

NOW = datetime(2026, 11, 26, tzinfo=UTC)  # the runs' clock: week 3 of the demo is over
TEAMS = ROOT / "demo" / "teams"
SUMMARY_VOLATILE = ("generated_at",)


# --- team configs ---------------------------------------------------------------------------


def _demo_team(name: str, url: str, smtp_port: int | None = None, **replace: str) -> str:
    """A team config of demo/teams/ pointed at `url`, writing Markdown only, mailing through
    127.0.0.1:`smtp_port` without TLS, with text replaced."""
    text = (TEAMS / f"{name}.yaml").read_text()
    for old, new in {**ABSOLUTE_P95, "formats: [md, html, pdf]": "formats: [md]"}.items():
        text = text.replace(old, new)
    text = text.replace("formats: [md, html]", "formats: [md]")
    text = text.replace("http://127.0.0.1:9090", url)
    if smtp_port is not None:
        text = re.sub(
            r"email:\n(  .*\n)+",
            f"email:\n  smtp_host: 127.0.0.1\n  smtp_port: {smtp_port}\n  security: none\n"
            "  from: reports@example.com\n  timeout_s: 5\n",
            text,
        )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def _folder(root: Path, teams: dict[str, str]) -> Path:
    folder = root / "teams"
    folder.mkdir(parents=True, exist_ok=True)
    for team, text in teams.items():
        (folder / f"{team}.yaml").write_text(text)
    return folder


def _summary(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    for key in SUMMARY_VOLATILE:
        document.pop(key)
    return document


def _last_run(out: Path, team: str) -> tuple[str, int]:
    document = json.loads((out / team / "last-run.json").read_text())
    return document["state"], document["exit_code"]


# --- which files are teams ------------------------------------------------------------------


def test_only_yaml_files_named_by_a_team_id_are_teams(tmp_path: Path) -> None:
    for name in (
        "alpha.yaml",
        "b-2_x.yaml",
        "alpha.checkins.yaml",  # alpha's check-ins
        "checkins.yaml",  # a config.yaml's
        "alpha.old.yaml",
        "notes.yml",
        ".hidden.yaml",
        "README.md",
        "Team A.yaml",
    ):
        (tmp_path / name).write_text("x: 1\n")
    (tmp_path / "sub.yaml").mkdir()
    roster = read_roster(tmp_path)
    assert roster.ids == ("alpha", "b-2_x")
    assert [t.path.name for t in roster.misnamed] == ["Team A.yaml"]
    assert roster.notes == (
        "alpha.old.yaml: not a team (a team's file is <id>.yaml, its id made of lowercase "
        "letters, digits, '-' and '_', starting with a letter or a digit, at most 64 characters)",
        "notes.yml: not a team (only *.yaml files are teams)",
        "sub.yaml: not a team (not a file)",
    )


@pytest.mark.parametrize(
    ("config", "checkins"),
    [("config.yaml", "checkins.yaml"), ("alpha.yaml", "alpha.checkins.yaml"), ("c", "c.checkins.yaml")],
)
def test_a_configs_check_ins_are_named_after_it(config: str, checkins: str) -> None:
    assert default_checkins_name(config) == checkins


def test_a_teams_default_check_ins_file_is_its_own_and_a_set_one_is_kept(tmp_path: Path) -> None:
    text = _demo_team("onboarding", "http://127.0.0.1:9")
    shared = text.replace("  formats: [md]\n", "  formats: [md]\n  checkins_file: shared.yaml\n")
    folder = _folder(tmp_path, {"alpha": text, "beta": shared})
    assert load_config(folder / "alpha.yaml").report.checkins_file == folder / "alpha.checkins.yaml"
    assert load_config(folder / "beta.yaml").report.checkins_file == folder / "shared.yaml"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--config-dir", "{tmp}/none"], "--config-dir {tmp}/none: no such folder"),
        (["--config-dir", "{tmp}/empty"], "--config-dir {tmp}/empty: no team in it (each team is an <id>.yaml)"),
        (["--config-dir", "{tmp}/empty", "--agent", "devops"], "--agent names one config's agents: not with --config-dir"),
        (
            ["--config-dir", "{tmp}/empty", "--junit", "j.xml"],
            "--junit j.xml: with --config-dir, put {team} in the path (each team writes its own, e.g. --junit out/{team}.xml)",
        ),
        (
            ["--config-dir", "{tmp}/empty", "--config", "c.yaml"],
            "argument --config: not allowed with argument --config-dir (see --help)",
        ),
    ],
)
def test_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "checkins.yaml").write_text("[]\n")  # not a team
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["--week", "3", *args], now=NOW) == 2
    assert capsys.readouterr().err == f"error: {message.replace('{tmp}', str(tmp_path))}\n"


# --- one run over many teams ----------------------------------------------------------------


@dataclass(frozen=True)
class Servers:
    prometheus: str
    smtp_port: int
    inbox: Inbox
    unauthorised: str  # a proxy answering 401 to every request
    stalled: str  # a proxy dripping its answers, slower than a second


REFUSED = "refused@example.com"  # the SMTP server refuses it


@pytest.fixture(scope="module")
def servers(prometheus: PrometheusServer) -> Iterator[Servers]:
    inbox = Inbox(refuse={REFUSED})
    with (
        SmtpServer(inbox) as smtp,
        fault_proxy(prometheus.url, Faults(answer=status(401))) as unauthorised,
        fault_proxy(prometheus.url, Faults(answer=drip(0.2))) as stalled,
    ):
        yield Servers(prometheus.url, smtp.port, inbox, unauthorised, stalled)


def _good(s: Servers) -> str:
    return _demo_team("onboarding", s.prometheus, s.smtp_port)


QUICK = {"timeout_s: 30": "timeout_s: 1", "retries: 3": "retries: 0"}
BROKEN: dict[str, Callable[[Servers], str]] = {
    "yaml": lambda s: "goals: [\n",
    "config": lambda s: _demo_team(
        "onboarding", s.prometheus, s.smtp_port, **{'target: ">= 6"': 'target: ">= six"'}
    ),
    "timeout": lambda s: _demo_team("onboarding", s.stalled, s.smtp_port, **QUICK),
    "unauthorised": lambda s: _demo_team("onboarding", s.unauthorised, s.smtp_port, **QUICK),
    "smtp": lambda s: _demo_team(
        "onboarding", s.prometheus, s.smtp_port, **{"[support@example.com]": f"[{REFUSED}]"}
    ),
    "exception": lambda s: _demo_team(
        "onboarding", s.prometheus, s.smtp_port, **{"name: Pilot Onboarding": "name: Boom"}
    ),
}


@pytest.fixture
def boom(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the run of the sprint named Boom (and only that one)."""
    real = teams_run.run_week

    def run_week(loaded: Any, *args: Any, **kwargs: Any) -> Any:
        if loaded.sprint.name == "Boom":
            raise RuntimeError("a bug\nover two lines")
        return real(loaded, *args, **kwargs)

    monkeypatch.setattr(teams_run, "run_week", run_week)


@pytest.fixture(scope="module")
def alone(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The good team's week 3 run alone, with --config: what it must also be among others."""
    root = tmp_path_factory.mktemp("alone")
    config = root / "onboarding.yaml"
    config.write_text(_good(servers))
    assert main(["--week", "3", "--config", str(config), "--output", str(root / "out")], NOW) == 0
    return _summary(root / "out" / "week-03" / "summary.json")


# what each broken team's run ends with: its exit code, its state, its error line
EXPECTED = {
    "yaml": (
        2,
        "config",
        "{folder}/broken.yaml: line 2, column 1: not valid YAML: expected the node content, "
        "but found '<stream end>'",
    ),
    "config": (
        2,
        "config",
        "{folder}/broken.yaml: goals[0].target: cannot parse '>= six' (expected '>= X', "
        "'> X', '<= X', '< X', '== X' or 'A..B')",
    ),
    "timeout": (3, "source", "Prometheus at {stalled}: no complete answer within 1s (1 tries)"),
    "unauthorised": (
        3,
        "source",
        "Prometheus at {unauthorised}: 401 Unauthorized (the server wants credentials: set "
        "prometheus.bearer_token_env or basic_auth)",
    ),
    "smtp": (
        4,
        "delivery",
        "e-mail failed for 1 of 2 agents: support: SMTP 127.0.0.1:{smtp}: refused@example.com "
        "refused: 550 5.1.1 <refused@example.com>: mailbox unavailable (the reports are in "
        "{out}/broken/week-03)",
    ),
    "exception": (
        1,
        "failed",
        "unexpected error: RuntimeError: a bug over two lines (set PIPELINE_DEBUG=1 to see "
        "the traceback)",
    ),
}


@pytest.mark.prometheus
@pytest.mark.usefixtures("boom")
@pytest.mark.parametrize("broken", BROKEN)
def test_two_teams_one_broken(
    broken: str,
    servers: Servers,
    alone: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _folder(tmp_path, {"good": _good(servers), "broken": BROKEN[broken](servers)})
    out = tmp_path / "out"
    sent = len(servers.inbox.messages)
    code = main(
        ["--week", "3", "--config-dir", str(folder), "--output", str(out), "--email", "-q"], NOW
    )
    captured = capsys.readouterr()
    exit_code, state, message = EXPECTED[broken]
    where = {
        "folder": str(folder),
        "out": str(out),
        "stalled": servers.stalled,
        "unauthorised": servers.unauthorised,
        "smtp": str(servers.smtp_port),
    }
    assert code == exit_code
    assert captured.err == f"error: broken: {message.format(**where)}\n"
    assert captured.out.splitlines() == [
        f"good: week 3: ACHIEVED (100.0/100); reports in {out}/good/week-03",
        f"2 teams, 1 without error; broken exit {exit_code}; the portfolio is {out}/index.html",
    ]
    # the good team's week is what it is alone, and it was mailed
    assert _summary(out / "good" / "week-03" / "summary.json") == alone
    mailed = sorted(r for rcpts, _ in servers.inbox.messages[sent:] for r in rcpts)
    extra = ["onboarding@example.com"] if broken == "smtp" else []  # the broken team's other
    assert mailed == sorted(["onboarding@example.com", "support@example.com", *extra])
    assert _last_run(out, "good") == ("written", 0)
    assert _last_run(out, "broken") == (state, exit_code)
    assert (out / "broken" / "week-03").exists() is (broken == "smtp")  # written, not delivered
    page = (out / "index.html").read_text()
    assert 'href="good/index.html"' in page and ">broken<" in page


@pytest.mark.prometheus
def test_the_gate_of_each_team_and_the_highest_code(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    teams = {
        "attribution": _demo_team("attribution", servers.prometheus),
        "onboarding": _good(servers),
    }
    folder = _folder(tmp_path, teams)
    out = tmp_path / "out"
    args = ["--week", "1", "--config-dir", str(folder), "--output", str(out), "--gate", "-q"]
    assert main(args, NOW) == 5
    captured = capsys.readouterr()
    assert captured.err == (
        "error: attribution: week 1 fails the gate: MISSED 50.0/100, vetoed by key goal "
        "customer_satisfaction; failed goals: Customer Satisfaction: missed, 84.11 % against "
        "> 90 %; Success Rate: missed, 37.5 % against > 80 %\n"
    )
    assert captured.out.splitlines() == [
        f"attribution: week 1: MISSED (50.0/100); reports in {out}/attribution/week-01",
        f"onboarding: week 1: AT RISK (76.7/100); reports in {out}/onboarding/week-01",
        "onboarding: week 1 passes the gate: AT RISK 76.7/100",
        f"2 teams, 1 without error; attribution exit 5; the portfolio is {out}/index.html",
    ]
    assert _last_run(out, "attribution") == ("gate", 5)
    assert _last_run(out, "onboarding") == ("written", 0)
