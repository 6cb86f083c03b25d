"""The command line in-process: exit codes, messages, files written (or not)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import __version__
from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer, free_port
from tests.support.command import pipeline_command
from tests.support.configs import shipped_config
from tests.support.live import LiveSprint, live_config

NOW = datetime(2026, 11, 26, tzinfo=UTC)  # the CLI's clock where a test depends on it

AGENTS = ["product-manager", "devops", "testing", "go-code"]


@pytest.mark.prometheus
def test_week_1_writes_reports_and_summary(
    tmp_path: Path, demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--week", "1", "--config", str(demo_config), "--output", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    folder = tmp_path / "out" / "week-01"
    assert out == f"week 1: MISSED (42.0/100); reports in {folder}\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{a}.{ext}" for a in AGENTS for ext in ("md", "html", "pdf")]
        + ["charts", "summary.json", "goals.csv", "series.csv", "index.html"]
    )
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["schema"] == 1 and summary["week"] == 1
    assert summary["window"] == {
        "start": "2026-11-02T00:00:00+00:00",
        "end": "2026-11-09T00:00:00+00:00",
        "complete": True,
    }
    assert summary["overall"]["verdict"] == "MISSED"
    assert summary["overall"]["vetoed_by"] == ["customer_satisfaction"]
    assert set(summary["categories"]) == {"technical", "customer"}
    assert [a["id"] for a in summary["agents"]] == AGENTS
    assert summary["agents"][3]["files"] == {
        "md": "go-code.md",
        "html": "go-code.html",
        "pdf": "go-code.pdf",
    }
    for goal in summary["goals"]:
        assert goal["status"] in ("met", "at_risk", "missed", "no_data", "error")
        assert 0 <= goal["score"] <= 100 and 0 <= goal["coverage"] <= 1
    # only the report's own folder, the lock files and the chart cache: no staging leftovers
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".cache",
        ".site.lock",
        ".week-01.lock",
        "history.sqlite",
        "index.html",
        "week-01",
    ]


@pytest.mark.prometheus
def test_agent_filter_keeps_the_other_reports(tmp_path: Path, demo_config: Path) -> None:
    out = tmp_path / "out"
    args = ["--week", "1", "--config", str(demo_config), "--output", str(out), "--format", "md"]
    assert main([*args, "-q"]) == 0
    before = (out / "week-01" / "devops.md").read_text()
    assert main([*args, "--agent", "go-code"]) == 0
    assert (out / "week-01" / "devops.md").read_text() == before
    summary = json.loads((out / "week-01" / "summary.json").read_text())
    assert [a["files"] for a in summary["agents"]][2:] == [{}, {"md": "go-code.md"}]


@pytest.mark.prometheus
def test_dry_run_prints_the_table_and_writes_nothing(
    tmp_path: Path, demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert (
        main(["--week", "1", "--config", str(demo_config), "--output", str(out), "--dry-run"]) == 0
    )
    printed = capsys.readouterr().out
    assert "Customer Satisfaction" in printed and "OVERALL" in printed and "42.0" in printed
    assert not out.exists()


def test_unreachable_prometheus_exits_3_and_keeps_previous_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = shipped_config(tmp_path, url, {"retries: 3": "retries: 1"})
    previous = tmp_path / "out" / "week-01"
    previous.mkdir(parents=True)
    (previous / "go-code.md").write_text("last night's report")
    code = main(["--week", "1", "--config", str(config), "--output", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert err == f"error: Prometheus at {url}: connection refused (2 tries)\n"
    assert (previous / "go-code.md").read_text() == "last night's report"
    assert sorted(p.name for p in previous.iterdir()) == ["go-code.md"]


def test_unresolvable_host_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = shipped_config(
        tmp_path, "http://prometheus.invalid:9090", {"retries: 3": "retries: 0"}
    )
    assert main(["--week", "1", "--config", str(config), "--output", str(tmp_path), "-q"]) == 3
    assert capsys.readouterr().err == (
        "error: Prometheus at http://prometheus.invalid:9090: "
        "host name does not resolve (1 tries)\n"
    )


def test_invalid_config_exits_2_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {'target: "< 14"': 'target: "=> 14"', "weight: 0.6": "weight: 0.5"}
    config = shipped_config(tmp_path, replace=bad)
    assert main(["--week", "1", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"error: {config}: goals[8].target: cannot parse '=> 14' (expected '>= X', '> X', "
        f"'<= X', '< X', '== X' or 'A..B')\n"
        f"{config}: scoring.categories: weights sum to 0.9, they must sum to 1\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: the following arguments are required: --week (see --help)\n"),
        (["--week", "0"], "error: argument --week: weeks start at 1, not 0 (see --help)\n"),
        (
            ["--week", "two"],
            "error: argument --week: expected a number or 'current', not 'two' (see --help)\n",
        ),
        (
            ["--week", "1", "--format", "docx"],
            "error: argument --format: 'docx': formats are md, "
            "pdf and html, comma-separated (see --help)\n",
        ),
        (
            ["--week", "1", "--agent", "nobody"],
            "error: --agent nobody: no such agent in "
            "{config} (agents: product-manager, devops, testing, go-code)\n",
        ),
        (["--week", "9"], "error: week 9 starts on 2026-12-28, which is in the future\n"),
        (
            ["--week", "1", "--as-of", "yesterday"],
            "error: argument --as-of: expected an ISO 8601 time with an offset, like "
            "2026-11-18T12:00:00+00:00, not 'yesterday' (see --help)\n",
        ),
        (
            ["--week", "1", "--as-of", "2026-11-18"],
            "error: argument --as-of: '2026-11-18' has no offset from UTC: add one, like "
            "2026-11-18T00:00:00+00:00 (see --help)\n",
        ),
        (
            ["--week", "current", "--as-of", "2026-11-26T09:00:01+09:00"],
            "error: --as-of 2026-11-26T09:00:01+09:00 is in the future (now is "
            "2026-11-26T09:00:00+09:00): a run sees what has happened\n",
        ),
        (
            ["--week", "3", "--as-of", "2026-11-10T00:00:00Z"],
            "error: week 3 starts on 2026-11-16, after --as-of 2026-11-10T00:00:00+00:00\n",
        ),
        (
            ["--week", "current", "--as-of", "2026-11-01T23:59:59+00:00"],
            "error: the sprint starts on 2026-11-02: there is no current week at --as-of "
            "2026-11-01T23:59:59+00:00\n",
        ),
    ],
)
def test_bad_usage_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    config = shipped_config(tmp_path)
    assert main([*args, "--config", str(config)], now=NOW) == 2
    assert capsys.readouterr().err == message.format(config=config)


def test_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--week", "1", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory\n"
    )


@pytest.mark.prometheus
def test_python_dash_m_runs_the_cli(tmp_path: Path, prometheus: PrometheusServer) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    done = subprocess.run(
        pipeline_command(2, config, tmp_path / "out"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "week-02" / "summary.json").exists()


@pytest.mark.prometheus
@pytest.mark.clock
def test_as_of_recreates_a_night_in_the_past(tmp_path: Path, prometheus: PrometheusServer) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    as_of = "2026-11-18T12:00:00+00:00"  # Wednesday noon of the demo's week 3
    command = pipeline_command(
        "current", config, tmp_path / "out", "--as-of", as_of, "--format", "md"
    )
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "week-03"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["as_of"] == as_of
    assert summary["window"] == {
        "start": "2026-11-16T00:00:00+00:00",
        "end": as_of,
        "complete": False,
    }
    assert summary["generated_at"] > as_of  # when it ran: now
    md = (folder / "devops.md").read_text()
    assert "**Week:** 3, 2026-11-16 00:00 to 2026-11-18 12:00 UTC, **in progress**\n" in md


@pytest.mark.prometheus
@pytest.mark.clock
def test_week_current_is_the_week_holding_now(tmp_path: Path, live_prometheus: LiveSprint) -> None:
    # the live sprint started LIVE_DAYS_BEFORE days before today: now is in its week 2
    config = live_config(tmp_path, live_prometheus)
    before = datetime.now(UTC).replace(microsecond=0)
    command = pipeline_command("current", config, tmp_path / "out", "--format", "md")
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    after = datetime.now(UTC)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "week-02" / "summary.json").read_text())
    as_of = datetime.fromisoformat(summary["as_of"])
    assert before <= as_of <= after
    assert summary["generated_at"] == summary["as_of"] == summary["window"]["end"]
    assert summary["window"]["complete"] is False
    assert all(g["status"] != "no_data" for g in summary["goals"]), summary["goals"]


@pytest.mark.prometheus
def test_anything_unexpected_exits_1_without_a_traceback(
    tmp_path: Path,
    demo_config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a bug stands in for "unexpected" (a corrupt history.sqlite is now an expected error)
    def bug(*args: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("pipeline.run.build_trend", bug)
    out = tmp_path / "out"
    assert main(["--week", "1", "--config", str(demo_config), "--output", str(out), "-q"]) == 1
    assert capsys.readouterr().err == (
        "unexpected error: ZeroDivisionError: division by zero "
        "(set PIPELINE_DEBUG=1 to see the traceback)\n"
    )
    assert not out.exists()


HEAVY = ("matplotlib", "weasyprint", "jinja2", "rich", "pydantic", "numpy", "pandas", "apprise")


def _imported_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running `code`."""
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    return set(done.stdout.splitlines()[-1].split())  # the last line: --help prints first


def test_help_imports_no_heavy_module() -> None:
    code = "from pipeline.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _imported_after(code) & set(HEAVY) == set()


def test_validate_imports_no_report_module() -> None:
    loaded = _imported_after("import pipeline.validate")
    assert loaded & {"matplotlib", "weasyprint", "jinja2", "pandas", "apprise"} == set()


def test_python_m_pipeline_says_its_version_and_needs_no_week(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"python -m pipeline {__version__}\n",
        "",
    )


@pytest.mark.parametrize(
    "command", ["validate", "schedule", "backtest", "rules", "dashboard", "history"]
)
def test_every_command_says_its_version(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:  # argparse's version action exits
        main([command, "--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"python -m pipeline {command} {__version__}\n"
