"""The cases of `run_bench.py`: configs made from the shipped demo config, and the floor.

Every case runs `python -m pipeline` as a whole process against the demo Prometheus, week 1,
Markdown and PDF (the issue's default run), with more agents or more goals than the demo; the
`week` cases add HTML and compare with the sequential floor (issue 26), and `teams 50` runs 50
copies of the demo config in one process (bench/teams.py, the same on both trees) and again with
`--config-dir` (the after tree only).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from data import RANGE_START, SERIES_COUNT, SERIES_START  # bench/data.py, next to this file

ROOT = Path(__file__).resolve().parent.parent
WEEK_START = 1793577600  # 2026-11-02T00:00:00Z, week 1 of the demo sprint
WEEK_END = WEEK_START + 7 * 86400 - 60
CPU = "cpu"  # floor_parts' key for the CPU time of its processes
FLOOR_IMPORTS = (
    "import matplotlib.pyplot, weasyprint, jinja2, pydantic, numpy, requests, yaml, rich"
)


@dataclass(frozen=True)
class Case:
    """One row of the table: a command line made from the config folder and the server's URL."""

    name: str
    command: Callable[[Path], list[str]]  # the case's folder -> argv
    config: Callable[[dict[str, Any]], dict[str, Any]] | None  # the demo config -> the case's
    data: str = "demo"  # the Prometheus it reads: the demo's, or a set of bench/data.py
    fresh: bool = False  # every run starts with no output folder (no chart cache, no history)
    floor: bool = False  # the table compares it with the sequential floor
    teams: int = 0  # the config written as this many teams' files in `teams/`

    @property
    def key(self) -> str:
        """What `--cases` names it by: `series 1000` for `series 1,000 (...)`."""
        return self.name.split(" (")[0].replace(",", "")


def _demo() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text())
    return loaded


def more_agents(count: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The demo config with `count` agents: the demo's four, repeated under new ids."""

    def change(config: dict[str, Any]) -> dict[str, Any]:
        agents = config["agents"]
        config["agents"] = [
            {**deepcopy(agents[i % len(agents)]), "id": f"agent-{i:03d}", "name": f"Agent {i}"}
            for i in range(count)
        ]
        return config

    return change


def more_goals(count: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The demo config with `count` goals: the demo's ten repeated, each copy its own query
    (`(q) + k - k`: the same values, a distinct query the run sends on its own)."""

    def change(config: dict[str, Any]) -> dict[str, Any]:
        goals = config["goals"]
        made = []
        for k in range(count):
            goal = deepcopy(goals[k % len(goals)])
            rounds = k // len(goals)
            if rounds:
                goal.update(
                    id=f"{goal['id']}_{rounds}",
                    name=f"{goal['name']} {rounds}",
                    query=f"({goal['query']}) + {rounds} - {rounds}",
                )
            made.append(goal)
        copies = range((count + len(goals) - 1) // len(goals))
        ids = {g["id"] for g in made}
        for agent in config["agents"]:
            owned = [f"{g}_{r}" if r else g for r in copies for g in agent["goals"]]
            agent["goals"] = [g for g in owned if g in ids]
        config["goals"] = made
        return config

    return change


def write_config(
    folder: Path, url: str, change: Callable[[dict[str, Any]], dict[str, Any]], tree: Path
) -> Path:
    """The changed demo config, pointed at `url`, in `folder`, for the code of `tree`: a tree
    from before `sprint.weeks` existed (the forecast's sprint end) would reject the key, and
    without it forecasts nothing at the sprint's end, which is the comparison a before/after
    run wants."""
    config = change(_demo())
    config["prometheus"]["url"] = url
    spec = tree / "pipeline" / "config" / "spec.py"
    if spec.exists() and "weeks:" not in spec.read_text():
        config["sprint"].pop("weeks", None)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def write_teams(folder: Path, count: int) -> None:
    """`count` teams' configs in `folder/teams/`: copies of `folder/config.yaml`, each its own
    sprint name."""
    config = yaml.safe_load((folder / "config.yaml").read_text())
    (folder / "teams").mkdir()
    for i in range(count):
        config["sprint"]["name"] = f"Team {i:02d}"
        (folder / "teams" / f"team-{i:02d}.yaml").write_text(yaml.safe_dump(config))


def teams_command(folder: Path) -> list[str]:
    """bench/teams.py over the case's teams: week 1 of each, Markdown, HTML and PDF."""
    return [
        sys.executable, str(ROOT / "bench" / "teams.py"), "--dir", str(folder / "teams"),
        "--output", str(folder / "out"), "--format", "md,html,pdf",
    ]  # fmt: skip


def config_dir_command(folder: Path) -> list[str]:
    """`python -m pipeline --config-dir` over the case's teams: the product's own many-teams run
    (week 1, Markdown, HTML and PDF, and the portfolio page); a tree before issue 26 has no
    --config-dir, so its column shows the usage error."""
    return [
        sys.executable, "-m", "pipeline", "--week", "1", "--config-dir", str(folder / "teams"),
        "--output", str(folder / "out"), "-q", "--format", "md,html,pdf",
    ]  # fmt: skip


def run_command(folder: Path) -> list[str]:
    """`python -m pipeline --week 1` with the case's config, Markdown and PDF."""
    return [
        sys.executable, "-m", "pipeline", "--week", "1", "--config", str(folder / "config.yaml"),
        "--output", str(folder / "out"), "-q", "--format", "md,pdf",
    ]  # fmt: skip


def md_command(folder: Path) -> list[str]:
    """`python -m pipeline --week 1`, Markdown only (its charts, no PDF)."""
    return [*run_command(folder)[:-1], "md"]


def week_command(folder: Path) -> list[str]:
    """`python -m pipeline --week 1`, Markdown, HTML and PDF: the week of issue 26's floor."""
    return [*run_command(folder)[:-1], "md,html,pdf"]


def mid_week_command(folder: Path) -> list[str]:
    """Week 2 of the demo as at its Wednesday noon: a week in progress, so the run forecasts
    both the week's and the sprint's end (the nightly run a reader sees mid-sprint)."""
    return [
        sys.executable, "-m", "pipeline", "--week", "2", "--as-of", "2026-11-11T12:00:00Z",
        "--config", str(folder / "config.yaml"), "--output", str(folder / "out"), "-q",
        "--format", "md,pdf",
    ]  # fmt: skip


def _bench_config(goals: list[dict[str, Any]], start: int, days: int) -> dict[str, Any]:
    """A config of its own (no demo goals): `goals`, all one agent's, a sprint of `days`-day
    weeks at 1 m from `start`, timeout generous, no retries (a failure shows as it is)."""
    agents = [{"id": "agent", "name": "Agent", "goals": [g["id"] for g in goals]}]
    day = time.strftime("%Y-%m-%d", time.gmtime(start))
    return {
        "prometheus": {"url": "", "timeout_s": 120, "retries": 0, "max_series_per_goal": 10_000},
        "sprint": {
            "name": "Bench",
            "start": day,
            "week_days": days,
            "timezone": "UTC",
            "step": "1m",
        },
        "scoring": {"categories": {"technical": {"weight": 1}}},
        "goals": goals,
        "agents": agents,
        "report": {"formats": ["md"]},
    }


def many_series(count: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """One goal whose query answers `count` series of bench/data.py's `series` set (each
    10,080 samples at 1 m over week 1), scored by their p95."""
    digits = len(str(count - 1))
    query = (
        "bench_series"
        if count == SERIES_COUNT
        else f'bench_series{{customer=~"c{"0" * (5 - digits)}[0-9]{{{digits}}}"}}'
    )
    assert count == SERIES_COUNT or count == 10**digits, "a power of ten, or all of them"
    goal = {"id": "many", "name": "Many series", "category": "technical", "query": query,
            "unit": "ms", "aggregate": "p95", "target": "< 120", "warning": "< 130"}  # fmt: skip

    def change(_: dict[str, Any]) -> dict[str, Any]:
        return _bench_config([goal], SERIES_START, 7)

    return change


RANGE_GOALS = [
    {"id": "latency", "name": "Latency p95", "category": "technical", "unit": "ms",
     "query": "bench_range_latency_ms", "aggregate": "p95", "target": "< 130", "warning": "< 150"},
    {"id": "throughput", "name": "Throughput", "category": "technical", "unit": "events/s",
     "query": "sum(rate(bench_range_events_total[5m]))", "aggregate": "mean",
     "target": ">= 3000", "warning": ">= 2500"},
    {"id": "uptime", "name": "Uptime", "category": "technical", "unit": "%",
     "query": "avg(bench_range_up) * 100", "aggregate": "mean", "target": "> 99.9",
     "warning": ">= 99.5"},
    {"id": "score", "name": "Score", "category": "technical", "unit": "%",
     "query": "bench_range_score", "aggregate": "last", "target": "> 90", "warning": ">= 85"},
]  # fmt: skip


def long_week(days: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Four goals (11 series) over a `days`-day week 1 at 1 m, from bench/data.py's `range` set."""

    def change(_: dict[str, Any]) -> dict[str, Any]:
        return _bench_config(deepcopy(RANGE_GOALS), RANGE_START, days)

    return change


def _same(config: dict[str, Any]) -> dict[str, Any]:
    return config


CASES = [
    Case("week (4 agents, 10 goals, md html pdf; charts cached)", week_command, _same, floor=True),
    Case("week-new (the same, charts drawn)", week_command, _same, fresh=True, floor=True),
    Case(
        "teams 50 (of 10 goals, 4 agents; md html pdf; one process)", teams_command, _same, teams=50
    ),
    Case(
        "teams 50 --config-dir (the same, and the portfolio)", config_dir_command, _same, teams=50
    ),
    Case("default (4 agents, 10 goals)", run_command, _same),
    Case("mid-week (week 2 as of Wednesday noon)", mid_week_command, _same),
    Case("--help", lambda folder: [sys.executable, "-m", "pipeline", "--help"], None),
    Case(
        "validate",
        lambda folder: [
            sys.executable,
            "-m",
            "pipeline",
            "validate",
            "--config",
            str(folder / "config.yaml"),
        ],
        _same,
    ),
    Case("agents 16", run_command, more_agents(16)),
    Case("agents 64", run_command, more_agents(64)),
    Case("goals 40", run_command, more_goals(40)),
    Case("goals 160", run_command, more_goals(160)),
    Case("goals 500", run_command, more_goals(500)),  # the pool's memory (issue 20)
    Case("goals 500 md (Markdown only)", md_command, more_goals(500)),
    Case("series 100 (1 goal, 1 week at 1m)", run_command, many_series(100), "series"),
    Case("series 1,000", run_command, many_series(1000), "series"),
    Case("series 5,000 (50.4 M samples)", run_command, many_series(5000), "series"),
    Case("range 7 (days at 1m, 4 goals, 11 series)", run_command, long_week(7), "range"),
    Case("range 30", run_command, long_week(30), "range"),
    Case("range 90", run_command, long_week(90), "range"),
]


def floor_pages(folder: Path) -> list[Path]:
    """The HTML reports whose layout the floor counts: the week's, written once into
    `folder/html` with the case's config (the code of `folder`'s tree does not matter: the
    floor is the libraries' time for the same pages)."""
    html = folder / "html"
    command = [*run_command(folder)[:-5], "--output", str(html), "-q", "--format", "html"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    pages = sorted((html / "week-01").glob("*.html"))
    return [p for p in pages if p.name != "index.html"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def floor_parts(url: str, pages: list[Path]) -> dict[str, float]:
    """The sequential floor of the week, in seconds: the libraries' imports in a fresh process,
    the server's time for the distinct queries (one plain request each, no gzip), and
    WeasyPrint's layout of the week's HTML reports (`pages`) in one process after its imports;
    and under CPU the CPU time of the two processes (the server's is in neither)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR_IMPORTS], check=True)
    imports = time.perf_counter() - started
    queries = dict.fromkeys(g["query"] for g in _demo()["goals"])
    started = time.perf_counter()
    for query in queries:
        params = {"query": query, "start": WEEK_START, "end": WEEK_END, "step": "60"}
        with urllib.request.urlopen(
            f"{url}/api/v1/query_range?{urllib.parse.urlencode(params)}"
        ) as r:
            r.read()
    server = time.perf_counter() - started
    layout = subprocess.run(
        [sys.executable, "-c", _LAYOUT, *map(str, pages)],
        check=True,
        capture_output=True,
        text=True,
    )
    return {
        "imports": imports,
        "queries": server,
        "pdf layout": float(layout.stdout),
        CPU: _children_cpu() - cpu,
    }


_LAYOUT = """
import sys, time, weasyprint
started = time.perf_counter()
for page in sys.argv[1:]:
    weasyprint.HTML(filename=page).write_pdf()
print(time.perf_counter() - started)
"""
