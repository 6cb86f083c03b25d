"""Many teams from one install (`--config-dir`): which files are teams, each team's reports
under its own folder, one team's failure (a YAML that does not parse, a config error, a source
that times out or answers 401, an SMTP server that refuses, an exception) said with its id
while the others run, the highest exit code, the portfolio page (also in a real Chromium), and
the scheduler keeping its team jobs in step with the folder."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

import pipeline.schedule.teams as schedule_teams
import pipeline.teams.run as teams_run
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.checkins import default_checkins_name
from pipeline.core.cron import cron_trigger
from pipeline.demo.promserver import PrometheusServer
from pipeline.outputs.portfolio import portfolio_view
from pipeline.schedule.teams import TeamJobs, scheduled_team_run, team_job_id
from pipeline.teams.folder import ID_RULE, read_roster
from tests.support import ROOT
from tests.support.browser import LAPTOP, PHONE, Seen, chromium_tabs, links, static_server
from tests.support.configs import ABSOLUTE_P95
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.hostile import drip, status
from tests.support.live import LiveSprint
from tests.support.scheduler import Scheduler
from tests.support.setups import AGENT_MAIL
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
    (tmp_path / "lost.yaml").symlink_to(tmp_path / "missing" / "lost.yaml")  # a lost mount
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    roster = read_roster(tmp_path)
    assert roster.ids == ("alpha", "b-2_x", "loop", "lost")  # teams that fail to load
    assert [t.path.name for t in roster.misnamed] == ["Team A.yaml"]
    assert roster.notes == (
        "alpha.old.yaml: not a team (a team's file is <id>.yaml, its id made of lowercase "
        "letters, digits, '-' and '_', starting with a letter or a digit, at most 64 characters)",
        "notes.yml: not a team (only *.yaml files are teams)",
        "sub.yaml: not a team (not a file)",
    )


@pytest.mark.parametrize(
    ("config", "checkins"),
    [
        ("config.yaml", "checkins.yaml"),
        ("alpha.yaml", "alpha.checkins.yaml"),
        ("c", "c.checkins.yaml"),
    ],
)
def test_a_configs_check_ins_are_named_after_it(config: str, checkins: str) -> None:
    assert default_checkins_name(config) == checkins


def test_a_teams_default_check_ins_file_is_its_own_and_a_set_one_is_kept(tmp_path: Path) -> None:
    text = _demo_team("onboarding", "http://127.0.0.1:9")
    shared = text.replace("  formats: [md]\n", "  formats: [md]\n  checkins_file: shared.yaml\n")
    folder = _folder(tmp_path, {"alpha": text, "beta": shared})
    assert load_config(folder / "alpha.yaml").report.checkins_file == folder / "alpha.checkins.yaml"
    assert load_config(folder / "beta.yaml").report.checkins_file == folder / "shared.yaml"


def test_the_demo_teams_are_the_shipped_sprint_and_a_smaller_one() -> None:
    roster = read_roster(TEAMS)
    assert roster.ids == ("attribution", "onboarding") and not roster.misnamed
    assert not roster.notes  # attribution.checkins.yaml is its check-ins, not a team
    attribution = load_config(TEAMS / "attribution.yaml")
    assert attribution.digest == load_config(ROOT / "config.yaml").digest  # the same file
    assert attribution.report.checkins_file == TEAMS / "attribution.checkins.yaml"
    assert attribution.report.checkins_file.read_bytes() == (ROOT / "checkins.yaml").read_bytes()
    onboarding = load_config(TEAMS / "onboarding.yaml")
    assert (len(onboarding.goals), len(onboarding.agents)) == (4, 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--config-dir", "{tmp}/none"], "--config-dir {tmp}/none: no such folder"),
        (
            ["--config-dir", "{tmp}/empty"],
            "--config-dir {tmp}/empty: no team in it (each team is an <id>.yaml)",
        ),
        (
            ["--config-dir", "{tmp}/empty", "--agent", "devops"],
            "--agent names one config's agents: not with --config-dir",
        ),
        (
            ["--config-dir", "{tmp}/empty", "--junit", "j.xml"],
            "--junit j.xml: with --config-dir, put {team} in the path (each team writes its "
            "own, e.g. --junit out/{team}.xml)",
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


def test_teams_that_cannot_load_fail_alone_and_the_portfolio_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A date that does not exist (PyYAML's bare ValueError stopped the whole run), a link to
    a lost mount and a link loop (silently not teams): each its own config error."""
    folder = _folder(
        tmp_path,
        {
            "bad-date": _demo_team(
                "onboarding", "http://127.0.0.1:9", **{"2026-11-02": "2026-02-30"}
            )
        },
    )
    (folder / "lost.yaml").symlink_to(tmp_path / "unmounted" / "lost.yaml")
    (folder / "loop.yaml").symlink_to("loop.yaml")
    out = tmp_path / "out"
    assert main(["--week", "1", "--config-dir", str(folder), "--output", str(out), "-q"]) == 2
    err = capsys.readouterr().err.splitlines()
    line = (folder / "bad-date.yaml").read_text().splitlines().index("  start: 2026-02-30") + 1
    assert err == [
        f"error: bad-date: {folder}/bad-date.yaml: line {line}, column 10: not valid YAML: "
        "'2026-02-30' is not a valid date or time (day is out of range for month)",
        f"error: loop: {folder}/loop.yaml: cannot read the file: Too many levels of symbolic links",
        f"error: lost: {folder}/lost.yaml: cannot read the file: No such file or directory",
    ]
    assert [_last_run(out, t) for t in ("bad-date", "loop", "lost")] == [("config", 2)] * 3
    page = (out / "index.html").read_text()
    assert all(f">{t}<" in page for t in ("bad-date", "loop", "lost"))


# --- one run over many teams ----------------------------------------------------------------


@dataclass(frozen=True)
class Servers:
    prometheus: str
    smtp_port: int
    inbox: Inbox
    unauthorised: str  # a proxy answering 401 to every request
    stalled: str  # a proxy dripping its answers, slower than a second


REFUSED = "refused@example.com"  # the SMTP server refuses it
AGENT_MAIL_ADDRESSES = [a for addresses in AGENT_MAIL.values() for a in addresses]


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
        "onboarding", s.prometheus, s.smtp_port, **{'target: ">= 8"': 'target: ">= six"'}
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
        "Prometheus at {unauthorised}: 401 Unauthorized (the server wants credentials or a "
        "tenant: set prometheus.bearer_token_env or basic_auth, or the tenant's header in "
        "prometheus.headers (X-Scope-OrgID for Mimir and Cortex))",
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
        f"good: week 3: AT RISK (76.7/100); reports in {out}/good/week-03",
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
        "attribution": _demo_team("attribution", servers.prometheus, servers.smtp_port),
        "onboarding": _good(servers),
        "mailless": BROKEN["smtp"](servers),  # its failed delivery (4) comes before its gate
    }
    folder = _folder(tmp_path, teams)
    out = tmp_path / "out"
    args = ["--week", "3", "--config-dir", str(folder), "--output", str(out), "--email", "-q"]
    assert main([*args, "--gate", "--fail-under", "80"], NOW) == 5  # the highest of 0, 4, 5
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"error: mailless: e-mail failed for 1 of 2 agents: support: SMTP 127.0.0.1:"
        f"{servers.smtp_port}: refused@example.com refused: 550 5.1.1 <refused@example.com>: "
        f"mailbox unavailable (the reports are in {out}/mailless/week-03)",
        "error: onboarding: week 3 fails the gate: AT RISK 76.7/100, below --fail-under 80",
    ]
    assert captured.out.splitlines() == [
        f"attribution: week 3: ACHIEVED (94.0/100); reports in {out}/attribution/week-03",
        "attribution: week 3 passes the gate: ACHIEVED 94.0/100",
        f"onboarding: week 3: AT RISK (76.7/100); reports in {out}/onboarding/week-03",
        "3 teams, 1 without error; mailless exit 4, onboarding exit 5; the portfolio is "
        f"{out}/index.html",
    ]
    assert _last_run(out, "onboarding") == ("gate", 5)
    assert _last_run(out, "mailless") == ("delivery", 4)
    assert _last_run(out, "attribution") == ("written", 0)


# --- five teams and the portfolio -----------------------------------------------------------

WEDNESDAY = "2026-11-18T12:00:00+00:00"  # week 3 in progress: the portfolio shows forecasts
CHECKIN = (
    "- {goal: pilot_customers, week: 3, confidence: 8, note: two pilots sign on Thursday, "
    "at: '2026-11-17T09:00:00+00:00'}\n"
)


@dataclass(frozen=True)
class FiveTeams:
    folder: Path
    out: Path
    code: int
    err: str
    out_text: str
    mailed: list[str]


@pytest.fixture(scope="module")
def five(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> FiveTeams:
    """Five teams (two sound, three broken) and files that are not teams, run for week 2, then
    for week 3 as of its Wednesday with e-mail."""
    root = tmp_path_factory.mktemp("five")
    folder = _folder(
        root,
        {
            "attribution": _demo_team("attribution", servers.prometheus, servers.smtp_port),
            "onboarding": _good(servers),
            "misconfigured": BROKEN["config"](servers),
            "locked-out": BROKEN["unauthorised"](servers),
            "mailless": BROKEN["smtp"](servers),
            "Team A": _good(servers),
        },
    )
    (folder / "onboarding.checkins.yaml").write_text(CHECKIN)
    (folder / "checkins.yaml").write_text("not: a team\n")
    (folder / "notes.txt").write_text("not a team either\n")
    out = root / "out"
    base = ["--config-dir", str(folder), "--output", str(out), "-q"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["--week", "2", *base], NOW)
    sent = len(servers.inbox.messages)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["--week", "3", "--as-of", WEDNESDAY, "--email", *base], NOW)
    mailed = sorted(r for rcpts, _ in servers.inbox.messages[sent:] for r in rcpts)
    return FiveTeams(folder, out, code, stderr.getvalue(), stdout.getvalue(), mailed)


@pytest.mark.prometheus
def test_five_teams_exit_with_the_highest_code_and_each_says_its_own(
    five: FiveTeams, servers: Servers
) -> None:
    out, folder = five.out, five.folder
    assert five.code == 4  # 2 (config, misnamed), 3 (401), 4 (SMTP): the highest
    assert five.err.splitlines() == [
        "error: Team A.yaml: 'Team A' is not a team id: a team's file is <id>.yaml, its id made "
        "of lowercase letters, digits, '-' and '_', starting with a letter or a digit, at most "
        "64 characters; rename the file",
        f"error: misconfigured: {folder}/misconfigured.yaml: goals[0].target: cannot parse "
        "'>= six' (expected '>= X', '> X', '<= X', '< X', '== X' or 'A..B')",
        f"error: locked-out: Prometheus at {servers.unauthorised}: 401 Unauthorized (the server "
        "wants credentials or a tenant: set prometheus.bearer_token_env or basic_auth, or the "
        "tenant's header in prometheus.headers (X-Scope-OrgID for Mimir and Cortex))",
        f"error: mailless: e-mail failed for 1 of 2 agents: support: SMTP 127.0.0.1:"
        f"{servers.smtp_port}: refused@example.com refused: 550 5.1.1 <refused@example.com>: "
        f"mailbox unavailable (the reports are in {out}/mailless/week-03)",
    ]
    assert five.out_text.splitlines() == [
        f"attribution: week 3: AT RISK (88.0/100); reports in {out}/attribution/week-03",
        f"onboarding: week 3: AT RISK (76.7/100); reports in {out}/onboarding/week-03",
        "6 teams, 2 without error; Team A.yaml exit 2, locked-out exit 3, mailless exit 4, "
        f"misconfigured exit 2; the portfolio is {out}/index.html",
    ]
    # each team's folder holds its own weeks, history and lock files, nothing of another's
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "attribution",
        "index.html",
        "locked-out",
        "mailless",
        "misconfigured",
        "onboarding",
    ]
    for team in ("attribution", "onboarding", "mailless"):
        assert sorted(p.name for p in (out / team).glob("week-*")) == ["week-02", "week-03"]
        assert (out / team / "history.sqlite").is_file()
        assert (out / team / ".week-03.lock").is_file()
    for team in ("locked-out", "misconfigured"):
        assert [p.name for p in (out / team).iterdir()] == ["last-run.json"]
    # the sound teams' reports were mailed, and the mailless team's to the address not refused
    assert five.mailed == sorted(
        [*AGENT_MAIL_ADDRESSES, *["onboarding@example.com"] * 2, "support@example.com"]
    )
    # onboarding read its own check-ins file; mailless, from the same text, has none
    goals = json.loads((out / "onboarding" / "week-03" / "summary.json").read_text())["goals"]
    assert {g["id"]: g["checkin"]["confidence"] for g in goals if g["checkin"]} == {
        "pilot_customers": 8
    }
    goals = json.loads((out / "mailless" / "week-03" / "summary.json").read_text())["goals"]
    assert not any(g["checkin"] for g in goals)


@pytest.mark.prometheus
def test_the_portfolio_lists_every_teams_verdict_trend_forecast_and_latest_run(
    five: FiveTeams, servers: Servers
) -> None:
    view = portfolio_view(five.out, read_roster(five.folder).ids, [])
    rows = {t.id: t for t in view.teams}
    assert list(rows) == ["attribution", "locked-out", "mailless", "misconfigured", "onboarding"]
    assert view.tally == "5 teams: 3 AT RISK; 2 with no week reported; 3 whose latest run failed"

    def shown(team: str) -> tuple[object, ...]:
        t = rows[team]
        latest = t.latest and (t.latest.verdict.label, t.latest.score, t.latest.complete)
        expected = t.expected and (t.expected.verdict.label, t.expected.chance, t.expected.horizon)
        run = t.run and (t.run.label, t.run.exit, t.run.at)
        return t.href, t.sprint, latest, t.trend_text, expected or t.no_forecast, run

    at = "2026-11-26 00:00 UTC"  # the runs' clock
    assert shown("attribution") == (
        "attribution/index.html",
        "UnMoGrowP Attribution Platform",
        ("⚠ AT RISK", "88.0", False),
        "w2 76.0, w3 88.0",
        ("⚠ AT RISK", "89 %", "at the sprint's end"),
        ("✔ reports written", "", at),
    )
    assert shown("onboarding") == (
        "onboarding/index.html",
        "Pilot Onboarding",
        ("⚠ AT RISK", "76.7", False),
        "w2 65.0, w3 76.7",
        ("⚠ AT RISK", "55 %", "at the sprint's end"),
        ("✔ reports written", "", at),
    )
    failed = ("⚠ delivery failed", "exit 4", at)
    assert shown("mailless")[2:] == (*shown("onboarding")[2:-1], failed)
    assert shown("locked-out") == (
        None,
        None,
        None,
        "",
        "no week reported yet",
        ("⊘ source unreachable", "exit 3", at),
    )
    assert rows["locked-out"].run.message == (  # type: ignore[union-attr]
        f"Prometheus at {servers.unauthorised}: 401 Unauthorized (the server wants "
        "credentials or a tenant: set prometheus.bearer_token_env or basic_auth, or the "
        "tenant's header in prometheus.headers (X-Scope-OrgID for Mimir and Cortex))"
    )
    assert shown("misconfigured")[-1] == ("⊘ config error", "exit 2", at)
    page = (five.out / "index.html").read_text()
    assert "<h2>Misnamed team files</h2>" in page
    assert "<li>Team A.yaml: &#39;Team A&#39; is not a team id: " in page
    assert 'aria-label="Score by week: w2 76.0, w3 88.0"' in page


@dataclass(frozen=True)
class PortfolioSeen:
    widths: dict[int, Seen]
    served: list[tuple[str, int]]  # each link of the page, followed


@pytest.fixture(scope="module")
def seen(five: FiveTeams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortfolioSeen]:
    log = tmp_path_factory.mktemp("portfolio-http") / "http.log"
    with static_server(five.out, log) as server, chromium_tabs() as tabs:
        widths = {w: tabs.visit(f"{server.url}/index.html", w) for w in (PHONE, LAPTOP)}
        for href in links((five.out / "index.html").read_text()):
            if href.startswith("data:"):  # the page's empty icon
                continue
            tabs.visit(f"{server.url}/{href}", LAPTOP, axe=False)
        yield PortfolioSeen(widths, server.requests())


@pytest.mark.prometheus
def test_the_portfolio_in_chromium_fits_a_phone_and_a_laptop_and_passes_axe(
    seen: PortfolioSeen,
) -> None:
    for width, page in seen.widths.items():
        assert page.inner_width == width
        assert page.overflow == 0, width  # no sideways scroll
        assert page.clipped == 0, width  # nothing hidden in a box that scrolls
        assert page.console == (), width
        assert page.violations == (), width
        # only an error message breaks a token (a path or a URL wider than a phone)
        assert all(b.endswith(" (in samp)") for b in page.broken), page.broken


@pytest.mark.prometheus
def test_the_portfolio_links_to_each_teams_site_and_latest_week(seen: PortfolioSeen) -> None:
    ignored = ("/index.html", "/favicon.ico")  # the page itself; what Chromium asks anyway
    followed = {path: code for path, code in seen.served if path not in ignored}
    assert followed == {
        "/attribution/index.html": 200,
        "/attribution/week-03/index.html": 200,
        "/mailless/index.html": 200,
        "/mailless/week-03/index.html": 200,
        "/onboarding/index.html": 200,
        "/onboarding/week-03/index.html": 200,
    }


@pytest.mark.prometheus
def test_each_teams_site_links_back_to_the_portfolio(five: FiveTeams) -> None:
    sites = sorted(five.out.glob("*/index.html"))
    assert [p.parent.name for p in sites] == ["attribution", "mailless", "onboarding"]
    for site in sites:
        html = site.read_text()
        assert html.count('<nav><a href="../index.html">All teams</a></nav>') == 1, site
        assert (site.parent / "../index.html").resolve() == five.out / "index.html"


@pytest.mark.prometheus
def test_validate_checks_every_team_and_exits_with_the_highest_code(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(
        tmp_path,
        {
            "good": _good(servers),
            "broken": BROKEN["config"](servers),
            "unauthorised": BROKEN["unauthorised"](servers),
        },
    )
    (folder / "Team A.yaml").write_text(_good(servers))
    (folder / "good.checkins.yaml").write_text("[]\n")  # a team's check-ins: not a team
    wednesday = datetime(2026, 11, 18, 12, tzinfo=UTC)  # in the demo's week 3
    code = main(["validate", "--config-dir", str(folder)], wednesday)
    captured = capsys.readouterr()
    assert code == 3
    where = {"folder": str(folder), "unauthorised": servers.unauthorised}
    assert captured.err.splitlines() == [
        f"error: Team A.yaml: 'Team A' is not a team id: {ID_RULE}; rename the file",
        f"error: broken: {EXPECTED['config'][2].format(**where)}",
        f"error: unauthorised: {EXPECTED['unauthorised'][2].format(**where)}",
    ]
    lines = captured.out.splitlines()
    headers = [line for line in lines if line.endswith(":") and " " not in line.strip(":")]
    assert headers == ["broken:", "good:", "unauthorised:"]
    assert lines[0] == "Team A.yaml:"
    assert f"{folder}/good.yaml: valid (4 goals, 2 agents)" in lines
    assert lines[-1] == "4 teams, 1 valid; Team A.yaml exit 2, broken exit 2, unauthorised exit 3"
    # each team's lines are what `validate --config` says of it alone
    good = lines[lines.index("good:") + 1 : lines.index("unauthorised:")]
    assert main(["validate", "--config", str(folder / "good.yaml")], wednesday) == 0
    assert capsys.readouterr().out.splitlines() == good


def test_validate_of_an_empty_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--config-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: --config-dir {tmp_path}: no team in it (each team is an <id>.yaml)\n"
    )


# --- the scheduler --------------------------------------------------------------------------


@pytest.fixture
def said() -> Iterator[list[str]]:
    """The lines the pipeline logs, as the scheduler's log shows them."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger, handler = logging.getLogger("pipeline"), Keep(logging.INFO)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def _cron(text: str, cron: str) -> str:
    return text.replace('cron: "30 2 * * 1-5"', f'cron: "{cron}"')


@pytest.fixture
def paused() -> Iterator[BackgroundScheduler]:
    """A scheduler that keeps jobs but runs none."""
    scheduler = BackgroundScheduler(timezone=UTC, jobstores={"default": MemoryJobStore()})
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def _triggers(scheduler: BackgroundScheduler) -> dict[str, str]:
    return {job.id: repr(job.trigger) for job in scheduler.get_jobs()}


PARIS_TRIGGER = repr(cron_trigger("30 2 * * 1-5", ZoneInfo("Europe/Paris")))


@pytest.mark.clock
def test_the_scheduler_follows_the_folder_a_team_added_changed_broken_or_removed(
    tmp_path: Path, paused: BackgroundScheduler, said: list[str]
) -> None:
    team = _demo_team("onboarding", "http://127.0.0.1:9", 25)
    folder, root = _folder(tmp_path, {"alpha": team}), tmp_path / "out"
    jobs = TeamJobs(folder, root)
    paris = ZoneInfo("Europe/Paris")
    jobs.sync(paused)
    assert _triggers(paused) == {"team:alpha": PARIS_TRIGGER}
    alpha = paused.get_job(team_job_id("alpha"))
    assert alpha.args == (str(folder / "alpha.yaml"), str(root), "alpha")
    assert alpha.misfire_grace_time == 3600
    assert alpha.next_run_time == cron_trigger(
        "30 2 * * 1-5", ZoneInfo("Europe/Paris")
    ).get_next_fire_time(None, datetime.now(UTC))
    assert said == [
        f"alpha: scheduled: '30 2 * * 1-5' in Europe/Paris, next run {alpha.next_run_time}"
    ]
    assert "alpha" in (root / "index.html").read_text()  # the portfolio lists it, not run yet

    said.clear()
    jobs.sync(paused)  # nothing changed: nothing said, nothing moved
    assert said == [] and paused.get_job("team:alpha").next_run_time == alpha.next_run_time

    (folder / "beta.yaml").write_text(_cron(team, "0 6 * * *"))  # added
    (folder / "alpha.yaml").write_text(_cron(team, "15 3 * * *"))  # its cron changed
    (folder / "gamma.yaml").write_text("goals: [\n")  # does not parse
    jobs.sync(paused)
    jobs.sync(paused)  # each is said once
    assert _triggers(paused) == {
        "team:alpha": repr(cron_trigger("15 3 * * *", paris)),
        "team:beta": repr(cron_trigger("0 6 * * *", paris)),
    }
    assert [re.sub(r"next run .*", "next run ...", line) for line in said] == [
        "alpha: schedule read again: '15 3 * * *' in Europe/Paris, next run ...",
        "beta: scheduled: '0 6 * * *' in Europe/Paris, next run ...",
        f"gamma: {folder}/gamma.yaml: line 2, column 1: not valid YAML: expected the node "
        "content, but found '<stream end>' (not scheduled until it is fixed)",
    ]

    said.clear()
    (folder / "beta.yaml").unlink()  # removed
    (folder / "alpha.yaml").write_text(team.replace('target: ">= 8"', 'target: ">= eight"'))
    jobs.sync(paused)
    assert _triggers(paused) == {"team:alpha": repr(cron_trigger("15 3 * * *", paris))}
    assert said == [
        f"alpha: {folder}/alpha.yaml: goals[0].target: cannot parse '>= eight' (expected "
        "'>= X', '> X', '<= X', '< X', '== X' or 'A..B') (its schedule is kept until it is "
        "fixed)",
        f"beta: removed from {folder}: no longer scheduled (its reports stay in {root}/beta)",
    ]
    page = (root / "index.html").read_text()
    assert ">alpha<" in page and "beta" not in page


def test_a_bug_in_loading_one_team_does_not_stop_the_scheduler_reading_the_others(
    tmp_path: Path, paused: BackgroundScheduler, said: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = schedule_teams.load_team

    def load_team(team: Any, root: Path) -> Any:
        if team.id == "boom":
            raise RuntimeError("a bug")
        return real(team, root)

    monkeypatch.setattr(schedule_teams, "load_team", load_team)
    team = _demo_team("onboarding", "http://127.0.0.1:9", 25)
    folder = _folder(tmp_path, {"boom": team, "later": team})
    TeamJobs(folder, tmp_path / "out").sync(paused)
    assert list(_triggers(paused)) == ["team:later"]
    assert said[0] == (
        "boom: unexpected error: RuntimeError: a bug (set PIPELINE_DEBUG=1 to see the traceback) "
        "(not scheduled until it is fixed)"
    )


@pytest.mark.prometheus
@pytest.mark.clock
def test_a_teams_slot_reads_its_config_again_records_how_it_ended_and_rewrites_the_portfolio(
    tmp_path: Path, live_prometheus: LiveSprint, said: list[str]
) -> None:
    live = live_prometheus
    team = _demo_team(
        "onboarding",
        live.url,
        **{"start: 2026-11-02": f"start: {live.start}", "  email: true\n": "  email: false\n"},
    )
    folder, root = _folder(tmp_path, {"alpha": team}), tmp_path / "out"
    (folder / "beta.yaml").write_text(team.replace("retries: 3", "retries: tries"))
    for team_id in ("alpha", "beta"):
        scheduled_team_run(str(folder / f"{team_id}.yaml"), str(root), team_id)
    assert [p.name for p in (root / "alpha").glob("week-*")] == ["week-02"]  # the live week
    assert _last_run(root, "alpha") == ("written", 0)
    assert _last_run(root, "beta") == ("config", 2)
    assert any(line.startswith("alpha: scheduled run for ") for line in said)
    assert (
        f"beta: scheduled run failed (exit code 2): ConfigError: {folder}/beta.yaml: "
        "prometheus.retries: input should be a valid integer, unable to parse string as an "
        "integer (got 'tries')" in said
    )
    page = (root / "index.html").read_text()
    assert 'href="alpha/index.html"' in page and "config error" in page
    assert '<a href="../index.html">All teams</a>' in (root / "alpha" / "index.html").read_text()
    (folder / "alpha.yaml").unlink()
    said.clear()
    scheduled_team_run(str(folder / "alpha.yaml"), str(root), "alpha")
    assert said == [f"alpha: not run: {folder}/alpha.yaml is gone"]


@pytest.mark.prometheus
@pytest.mark.clock
def test_the_scheduler_picks_up_a_new_team_file_and_drops_a_removed_one(
    tmp_path: Path, live_prometheus: LiveSprint
) -> None:
    """The real command: a team every 2 seconds, another added while it runs, the first
    removed; no restart."""
    live = live_prometheus
    team = _demo_team(
        "onboarding",
        live.url,
        **{
            "start: 2026-11-02": f"start: {live.start}",
            "  email: true\n": "  email: false\n",
            'cron: "30 2 * * 1-5"': 'cron: "*/2 * * * * *"',
        },
    )
    folder, out = _folder(tmp_path, {"alpha": team}), tmp_path / "out"
    scheduler = Scheduler(folder, tmp_path / "s.log", "--output", str(out), flag="--config-dir")
    try:
        scheduler.wait_for("alpha: scheduled run for")
        (folder / "beta.yaml").write_text(team)
        scheduler.wait_for("beta: scheduled: '*/2 * * * * *' in Europe/Paris")
        scheduler.wait_for("beta: scheduled run for")
        (folder / "alpha.yaml").unlink()
        scheduler.wait_for(f"alpha: removed from {folder}: no longer scheduled")
    finally:
        assert scheduler.stop() == 0
    output = scheduler.output()
    assert f"scheduler started: 1 team in {folder}, the folder read again every 5s" in output
    assert "Traceback" not in output and "error" not in output.lower()
    assert _last_run(out, "beta") == ("written", 0)
    assert [p.name for p in (out / "beta").glob("week-*")] == ["week-02"]
    page = (out / "index.html").read_text()
    assert 'href="beta/index.html"' in page and "alpha" not in page
    assert (out / "scheduler.sqlite").is_file()
