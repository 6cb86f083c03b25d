"""`python -m pipeline.demo [--week N ...]`: run the pipeline on the bundled demo sprint.

Generates the demo data (cached in .demo/), backfills it with promtool, starts Prometheus on
127.0.0.1, runs `python -m pipeline --week N` for each week (each writing its metrics file), then
the two teams of demo/teams/ with `--config-dir` (weeks 1 and 2, and week 3 as of its Wednesday
noon, so the portfolio page shows forecasts), stops Prometheus again, then writes the goals'
alert rules and Grafana dashboard next to the reports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.demo.generate import VERSION, demo_series
from pipeline.demo.openmetrics import write_openmetrics
from pipeline.demo.promserver import PrometheusServer, backfill, free_port
from pipeline.errors import PipelineError

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "reports" / "rules.yml"
DASHBOARD = ROOT / "reports" / "dashboard.json"
ROUTES = ROOT / "reports" / "alertmanager.yml"
METRICS = ROOT / "reports" / "sprint_convergence.prom"
TEAMS = ROOT / "demo" / "teams"  # the demo sprint (a link to config.yaml) and a smaller one
TEAMS_OUT = ROOT / "reports" / "teams"
TEAMS_AS_OF = "2026-11-18T12:00:00+00:00"  # week 3's Wednesday noon: the forecasts show


def build_demo_tsdb(cache: Path) -> Path:
    """The demo TSDB blocks, rebuilt only when the generator's VERSION changes."""
    blocks = cache / "blocks"
    stamp = cache / "VERSION"
    if stamp.exists() and stamp.read_text() == VERSION and blocks.is_dir():
        return blocks
    shutil.rmtree(blocks, ignore_errors=True)  # only the demo's: the bench keeps its data here
    cache.mkdir(parents=True, exist_ok=True)
    source = cache / "demo.om"
    with open(source, "w") as out:
        write_openmetrics(demo_series(), out)
    backfill(source, blocks)
    source.unlink()
    stamp.write_text(VERSION)
    return blocks


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.demo")
    parser.add_argument("--week", action="append", default=[], help="weeks to report [1, 2, 3]")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    args, rest = parser.parse_known_args()
    blocks = build_demo_tsdb(ROOT / ".demo" / "cache")
    with tempfile.TemporaryDirectory(prefix="pipeline-demo-") as tmp:
        tsdb = Path(tmp) / "data"
        shutil.copytree(blocks, tsdb)  # Prometheus writes into its TSDB; keep the cache clean
        port = int(os.environ.get("DEMO_PORT", "9090"))
        if not _port_free(port):
            busy, port = port, free_port()
            print(f"demo: port {busy} is busy, using {port}")
        config, teams = args.config, TEAMS
        if port != 9090:  # the configs point at 9090: run from copies that point elsewhere
            config = _moved(args.config, Path(tmp) / "config.yaml", port)
            teams = Path(tmp) / "teams"
            for team in sorted(TEAMS.iterdir()):
                _moved(team, teams / team.name, port)
        with PrometheusServer(tsdb, port=port, log_path=Path(tmp) / "prometheus.log") as prom:
            print(f"demo: Prometheus with the demo sprint on {prom.url}")
            code = 0
            for week in args.week or ["1", "2", "3"]:
                cmd = [sys.executable, "-m", "pipeline", "--week", week, "--config", str(config)]
                cmd += ["--output", str(ROOT / "reports"), "--metrics-file", str(METRICS), *rest]
                print("demo: $", " ".join(cmd[1:]))
                code = subprocess.run(cmd, cwd=ROOT, check=False).returncode or code
            if not args.week:
                code = run_teams(teams) or code
        print("demo: Prometheus stopped")
    code = generate_files(args.config) or code
    if code == 0:
        print(f"demo: reports are in {ROOT / 'reports'}")
        print(f"demo: the report site is {ROOT / 'reports' / 'index.html'}")
        print(f"demo: alert rules in {RULES}, their routes in {ROUTES}")
        print(f"demo: Grafana dashboard in {DASHBOARD}")
        print(f"demo: the last week's metrics (textfile format) in {METRICS}")
        if not args.week:
            print(f"demo: two teams' portfolio page is {TEAMS_OUT / 'index.html'}")
    return code


def _moved(source: Path, target: Path, port: int) -> Path:
    """A copy of a config (or any text file) with the demo's Prometheus on `port`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    target.write_text(source.read_text().replace("http://127.0.0.1:9090", url))
    return target


def run_teams(folder: Path) -> int:
    """Weeks 1 to 3 of every team in `folder` into reports/teams/, week 3 as of its Wednesday;
    the highest exit code."""
    base = [sys.executable, "-m", "pipeline", "--config-dir", str(folder)]
    base += ["--output", str(TEAMS_OUT), "-q"]
    code = 0
    for week in (["--week", "1"], ["--week", "2"], ["--week", "3", "--as-of", TEAMS_AS_OF]):
        cmd = [*base, *week]
        print("demo: $", " ".join(cmd[1:]))
        code = subprocess.run(cmd, cwd=ROOT, check=False).returncode or code
    return code


def generate_files(config: Path) -> int:
    """The alert rules, their Alertmanager routes and the dashboard of the demo's goals,
    written next to the reports."""
    code = 0
    for command, path in (
        ("rules", RULES),
        ("rules --alertmanager", ROUTES),
        ("dashboard", DASHBOARD),
    ):
        cmd = [sys.executable, "-m", "pipeline", *command.split(), "--config", str(config)]
        cmd += ["--output", str(path)]
        print("demo: $", " ".join(cmd[1:]))
        code = subprocess.run(cmd, cwd=ROOT, check=False).returncode or code
    return code


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PipelineError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        sys.exit(1)
